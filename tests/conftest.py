import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import multilevel as ml


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Keep each test file on one worker, as its module fixtures share fits, except files
    marked ``independent``, whose tests start their own processes or fits and spread over
    the workers.

    It runs before pytest-xdist's own hook, which names each test's group from the
    ``xdist_group`` marks it finds: marks added after it would group nothing.
    """
    for item in items:
        if (item.get_closest_marker("xdist_group") is None
                and item.get_closest_marker("independent") is None):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.fixture(scope="session", autouse=True)
def executable_cache_of_this_run(tmp_path_factory):
    """Compiled programs on disk for this run only, shared by its workers and the processes
    they start, not the user's cache: a test that counts compilations must not find one an
    earlier run left."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or str(os.getpid())
    directory = Path(tempfile.gettempdir()) / f"multilevel-tests-{run}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MULTILEVEL_CACHE_DIR", str(directory))
        yield directory


@pytest.fixture(scope="session")
def sleepstudy() -> pd.DataFrame:
    return ml.load_dataset("sleepstudy")


@pytest.fixture(scope="session")
def hsb() -> pd.DataFrame:
    return ml.load_dataset("hsb")


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture(scope="session")
def small_gaussian() -> pd.DataFrame:
    """60 rows, 6 groups, one slope: a model that samples in about a second."""
    rng = np.random.default_rng(7)
    g = np.repeat(np.arange(6), 10)
    x = rng.normal(size=60)
    y = 1.0 + 0.5 * x + rng.normal(0, 0.7, 6)[g] + rng.normal(0, 1.0, 60)
    return pd.DataFrame({"y": y, "x": x, "g": [f"G{k}" for k in g]})

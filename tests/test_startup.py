"""What importing multilevel leaves out, and that what it leaves out still works afterwards."""

import importlib.util

import pytest

from multilevel.startup import ZARR_UNUSED_FROM, _major_version
from new_process import in_new_process

# probed without importing: the test process itself must not import IPython for these tests
needs_ipython = pytest.mark.skipif(importlib.util.find_spec("IPython") is None,
                                   reason="IPython is not installed")
needs_zarr_3 = pytest.mark.skipif(_major_version("zarr") < ZARR_UNUSED_FROM,
                                  reason="zarr 3 or later is not installed")


@needs_ipython
def test_a_plain_process_does_not_import_ipython_and_can_import_it_later():
    state = in_new_process(
        "import json, sys\n"
        "import multilevel\n"
        "state = {'ipython': 'IPython' in sys.modules, 'numba': 'numba' in sys.modules}\n"
        "import IPython\n"
        "state['imported_later'] = IPython.__name__\n"
        "print(json.dumps(state))\n")
    # numba is imported as before: ArviZ needs its decorators at import
    assert state == {"ipython": False, "numba": True, "imported_later": "IPython"}


@needs_ipython
def test_where_ipython_runs_pymc_still_registers_its_pretty_printers():
    state = in_new_process(
        "import json\n"
        "import IPython.lib.pretty as pretty\n"
        "import multilevel, pymc\n"
        "print(json.dumps({'model': pymc.Model in pretty._type_pprinters}))\n")
    assert state == {"model": True}


@needs_ipython
def test_a_failed_import_leaves_ipython_importable():
    state = in_new_process(
        "import json, sys\n"
        "from multilevel.startup import without_unused_imports\n"
        "try:\n"
        "    with without_unused_imports():\n"
        "        raise KeyboardInterrupt\n"
        "except KeyboardInterrupt:\n"
        "    pass\n"
        "import IPython\n"
        "print(json.dumps({'imported': IPython.__name__}))\n")
    assert state == {"imported": "IPython"}


@needs_zarr_3
def test_pymc_cannot_use_zarr_3_so_multilevel_leaves_it_out_until_it_is_used():
    state = in_new_process(
        "import json, sys\n"
        "import pymc.backends.zarr as backend\n"
        "print(json.dumps({'pymc_uses_zarr': backend._zarr_available}))\n")
    # PyMC's zarr backend needs zarr 2: importing zarr 3 at PyMC's import gains nothing
    assert state == {"pymc_uses_zarr": False}
    state = in_new_process(
        "import json, sys\n"
        "import multilevel\n"
        "state = {name: name in sys.modules for name in ('zarr', 'numcodecs')}\n"
        "import zarr, numcodecs\n"
        "state['imported_later'] = [zarr.__name__, numcodecs.__name__]\n"
        "print(json.dumps(state))\n")
    assert state == {"zarr": False, "numcodecs": False, "imported_later": ["zarr", "numcodecs"]}


def test_zarr_is_left_out_only_from_version_3_on(monkeypatch):
    from multilevel import startup

    monkeypatch.setattr(startup, "_major_version", lambda distribution: 2)
    assert startup.unused_imports() == ("IPython",)
    monkeypatch.setattr(startup, "_major_version", lambda distribution: 3)
    assert startup.unused_imports() == ("IPython", "zarr", "numcodecs")


def test_a_distribution_that_is_not_installed_has_major_version_0():
    assert _major_version("no-such-distribution-here") == 0

"""The benchmark's models and data: InstEval read as lme4 reads it, the simulated data sets."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import models  # noqa: E402
import run  # noqa: E402
import simulate  # noqa: E402


def test_insteval_is_lme4s_data_with_service_a_factor_as_in_r():
    bench = models.MODELS["insteval"]
    path = bench.data_path()
    assert path == models.ROOT / "benchmarks" / "data" / "insteval.csv" and path.exists()
    with path.open() as handle:
        header = handle.readline().strip()
        rows = sum(1 for _ in handle)
    assert header == '"s","d","studage","lectage","service","dept","y"' and rows == 73_421
    # read back, the labels are numbers; as factors service gets brms's name service1
    assert set(bench.factors) == {"s", "d", "dept", "service"}
    assert bench.formula == models.MODELS["insteval_like"].formula
    assert models.MODELS["insteval_like"].data == "insteval_like.csv"


def test_the_million_row_model_runs_only_when_named():
    assert "million" in models.MODELS and "million" not in models.DEFAULT_MODELS
    assert "insteval" in models.DEFAULT_MODELS
    assert run.parse_args([]).models == list(models.DEFAULT_MODELS)
    assert run.parse_args(["--models", "million"]).models == ["million"]
    assert models.MODELS["million"].formula == "y ~ x + (1 + x | a) + (1 | b)"


def test_the_million_row_simulation_has_every_level_and_its_stated_effects():
    small = simulate.million(n=60_000, n_a=300, n_b=60)
    assert list(small.columns) == ["y", "x", "a", "b"] and len(small) == 60_000
    assert small["a"].nunique() == 300 and small["b"].nunique() == 60
    # the fixed seed gives the same data every time
    again = simulate.million(n=60_000, n_a=300, n_b=60)
    assert small.equals(again)
    # a regression on x alone recovers the mean slope; the residual holds the group effects
    slope = np.polyfit(small["x"], small["y"], 1)[0]
    assert abs(slope - 0.5) < 0.1
    assert 1.2 < small["y"].std() < 1.6  # sqrt(0.8^2 + 0.3^2 + 0.5^2 + 1.0^2) = 1.41

"""pp_average() and posterior_average(): models' draws mixed by their weights, as brms's."""

import warnings

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.results.model_averaging import _draw_counts

SETTINGS = {"chains": 2, "draws": 250, "warmup": 250, "progressbar": False}


@pytest.fixture(scope="module")
def two_models(small_gaussian):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        intercepts = ml.brm("y ~ x + (1 | g)", small_gaussian, seed=1, **SETTINGS)
        slopes = ml.brm("y ~ x + (1 + x | g)", small_gaussian, seed=2, **SETTINGS)
    return intercepts, slopes


def test_draws_are_shared_by_largest_remainder_as_brms():
    models = {"a": _Draws(100), "b": _Draws(100), "c": _Draws(100)}
    _, counts = _draw_counts(models, [1.0, 1.0, 1.0], 100, None)
    assert counts.tolist() == [34, 33, 33]
    weights, counts = _draw_counts(models, [0.0, 3.0, 1.0], 10, None)
    assert (weights.tolist(), counts.tolist()) == ([0.0, 0.75, 0.25], [0, 8, 2])
    with pytest.raises(ml.MultilevelError, match="same length as the number of models"):
        _draw_counts(models, [1.0, 2.0], 10, None)
    with pytest.raises(ml.MultilevelError, match="weights must be positive"):
        _draw_counts(models, [1.0, -1.0, 1.0], 10, None)
    with pytest.raises(ml.MultilevelError, match="has 100 draws, fewer than the 150"):
        _draw_counts(models, [1.0, 0.0, 0.0], 150, None)


class _Draws:
    def __init__(self, count):
        self.count = count

    def ndraws(self):
        return self.count


@pytest.mark.slow
def test_pp_average_mixes_each_models_predictions_by_weight(two_models, small_gaussian):
    intercepts, slopes = two_models
    newdata = small_gaussian.head(4)
    # all the weight on one model: its own expected values, every draw in order
    alone = ml.pp_average(intercepts, slopes, weights=[1.0, 0.0], method="posterior_epred",
                          newdata=newdata, summary=False, seed=1)
    np.testing.assert_array_equal(alone, intercepts.posterior_epred(newdata))
    table = ml.pp_average(intercepts, slopes, weights=[0.25, 0.75], method="posterior_epred",
                          newdata=newdata, ndraws=400, seed=1)
    assert table.attrs["ndraws"].tolist() == [100, 300]
    draws = ml.pp_average(intercepts, slopes, weights=[0.25, 0.75], method="posterior_epred",
                          newdata=newdata, ndraws=400, seed=1, summary=False)
    np.testing.assert_allclose(table["Estimate"], draws.mean(axis=0))
    # each block is draws of its model
    first = {tuple(np.round(row, 10)) for row in intercepts.posterior_epred(newdata)}
    assert {tuple(np.round(row, 10)) for row in draws[:100]} <= first
    # the default weights are stacking's, as brms's
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stacked = ml.pp_average(intercepts, slopes, newdata=newdata, seed=3)
        expected = ml.model_weights(intercepts, slopes)
    pd.testing.assert_series_equal(stacked.attrs["weights"], expected)


@pytest.mark.slow
def test_posterior_average_takes_the_common_parameters(two_models):
    intercepts, slopes = two_models
    mixed = ml.posterior_average(intercepts, slopes, weights=[0.5, 0.5], seed=4)
    assert "sd_g__x" not in mixed.columns and "b_x" in mixed.columns
    assert len(mixed) == intercepts.ndraws()
    own = set(np.round(intercepts.as_draws_df()["b_x"], 12))
    assert set(np.round(mixed["b_x"][:250], 12)) <= own
    with pytest.raises(ml.MultilevelError, match="sd_g__x cannot be found in all of the models"):
        ml.posterior_average(intercepts, slopes, variable="sd_g__x", weights=[0.5, 0.5])
    filled = ml.posterior_average(intercepts, slopes, variable=["sd_g__x"], missing=0.0,
                                  weights=[0.5, 0.5], seed=4)
    assert (filled["sd_g__x"][:250] == 0.0).all() and (filled["sd_g__x"][250:] > 0).all()


@pytest.mark.slow
def test_averages_refuse_other_responses(two_models, small_gaussian):
    intercepts, _ = two_models
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = ml.brm("x ~ 1 + (1 | g)", small_gaussian, seed=5, **SETTINGS)
    with pytest.raises(ml.MultilevelError, match="same response"):
        ml.pp_average(intercepts, other, weights=[0.5, 0.5])
    with pytest.raises(ml.MultilevelError, match="at least two fitted models"):
        ml.pp_average(intercepts)

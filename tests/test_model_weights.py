"""loo_model_weights(): stacking and pseudo-BMA weights against the loo package's."""

import numpy as np
import pytest

import multilevel as ml
from multilevel.results.model_weights import pseudobma_weights, stacking_weights


def _pointwise() -> np.ndarray:
    """Three models' leave-one-out log predictive densities of 40 observations."""
    rng = np.random.default_rng(2026)
    base = rng.normal(-1.2, 0.6, 40)
    return np.column_stack([base + rng.normal(0, 0.3, 40), base + rng.normal(0.05, 0.4, 40),
                            base + rng.normal(-0.1, 0.2, 40)])


def _log_score(lpd, weights):
    return float(np.log(np.exp(lpd) @ weights).sum())


def test_stacking_weights_equal_the_loo_packages():
    lpd = _pointwise()
    weights = stacking_weights(lpd)
    # loo 2.5.1's stacking_weights() of the same matrix; its constrOptim stops at a barrier
    # short of the boundary, so the weights agree to its tolerance and ours score no worse
    loo = np.array([6.572097941e-01, 3.427901200e-01, 8.597908630e-08])
    np.testing.assert_allclose(weights, loo, atol=1e-3)
    assert _log_score(lpd, weights) >= _log_score(lpd, loo) - 1e-9
    assert weights.sum() == pytest.approx(1.0)


def _optimality_gap(lpd, weights) -> float:
    """How far the weights are from the optimum: at it, each model's gradient of the log
    score is at most the number of observations, and equal to it where its weight is
    positive (the conditions of a concave maximum on the simplex)."""
    densities = np.exp(lpd - lpd.max(axis=1, keepdims=True))
    gradient = (densities / (densities @ weights)[:, None]).sum(axis=0) / len(lpd)
    return max(float(gradient.max()) - 1.0, float(np.abs(gradient - 1.0)[weights > 1e-3].max()))


@pytest.mark.parametrize("seed", range(12))
def test_stacking_weights_reach_the_optimum(seed):
    # models of unequal quality and spread, some of them far worse than the best
    rng = np.random.default_rng(seed)
    models, count = int(rng.integers(2, 8)), int(rng.integers(50, 2000))
    lpd = (rng.normal(-1, 1, (count, 1))
           + rng.normal(0, 1, (count, models)) * rng.uniform(0.1, 2, models)
           + rng.normal(0, 1, models))
    weights = stacking_weights(lpd)
    assert weights.min() >= 0 and weights.sum() == pytest.approx(1.0)
    assert _optimality_gap(lpd, weights) < 1e-3


def test_pseudobma_weights_equal_the_loo_packages():
    lpd = _pointwise()
    # loo 2.5.1's pseudobma_weights(BB = FALSE)
    np.testing.assert_allclose(pseudobma_weights(lpd, False, 0, 1.0, None),
                               [0.840925295769, 0.157500108730, 0.001574595501], rtol=1e-9)
    bootstrap = pseudobma_weights(lpd, True, 500, 1.0, seed=3)
    assert bootstrap.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(bootstrap, pseudobma_weights(lpd, True, 500, 1.0, seed=3))
    # a concentrated Dirichlet leaves every observation its weight: no bootstrap at all
    np.testing.assert_allclose(pseudobma_weights(lpd, True, 200, 1e7, seed=3),
                               pseudobma_weights(lpd, False, 0, 1.0, None), rtol=1e-2)


def test_loo_model_weights_names_its_methods():
    with pytest.raises(ml.MultilevelError, match="method must be one of 'stacking'"):
        ml.loo_model_weights(None, None, method="bma")
    with pytest.raises(ml.MultilevelError, match="needs at least two models"):
        ml.loo_model_weights(None)

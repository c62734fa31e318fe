"""The vectorised diagnostics against arviz's ``rhat`` and ``ess``, case by case."""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pytest
import xarray as xr
from scipy.signal import lfilter

from multilevel import diagnostics

RTOL = 1e-8


def arviz_diagnostics(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """arviz's rank R-hat, bulk ESS and tail ESS, called as posterior.convergence calls them."""
    data = xr.Dataset({"x": (("chain", "draw", "parameter"), values)})
    with warnings.catch_warnings():
        # constant draws divide zero by zero inside arviz
        warnings.simplefilter("ignore", RuntimeWarning)
        return (
            az.rhat(data)["x"].values,
            az.ess(data, method="bulk")["x"].values,
            az.ess(data, method="tail")["x"].values,
        )


def ours(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return diagnostics.rhat(values), diagnostics.ess_bulk(values), diagnostics.ess_tail(values)


def assert_like_arviz(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    expected = arviz_diagnostics(values)
    actual = ours(values)
    for name, got, want in zip(("rhat", "ess_bulk", "ess_tail"), actual, expected, strict=True):
        assert got.shape == (values.shape[2],), name
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=name)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=0, err_msg=name)
    return actual


def ar1(rng: np.random.Generator, shape: tuple[int, int, int], phi: float) -> np.ndarray:
    """Stationary AR(1) chains along the draw axis."""
    noise = rng.normal(size=shape)
    noise[:, 0] /= np.sqrt(1 - phi**2)
    return lfilter([1.0], [1.0, -phi], noise, axis=1)


@pytest.mark.parametrize(
    "shape",
    [(4, 1000, 12), (2, 51, 7), (3, 8, 5), (1, 200, 6), (6, 4, 3), (2, 5, 4), (9, 30, 4)],
)
def test_independent_normal_draws(shape):
    rng = np.random.default_rng(sum(shape))
    assert_like_arviz(rng.normal(size=shape))


@pytest.mark.parametrize("phi", [0.5, 0.95, 0.995, -0.6])
def test_autocorrelated_chains(phi):
    rng = np.random.default_rng(11)
    values = ar1(rng, (4, 500, 8), phi)
    _, bulk, _ = assert_like_arviz(values)
    if phi > 0:
        assert np.all(bulk < 2000)
    else:
        # antithetic chains: ESS above the number of draws
        assert np.all(bulk > 2000)


def test_long_autocorrelated_odd_chains():
    rng = np.random.default_rng(12)
    assert_like_arviz(ar1(rng, (3, 1001, 5), 0.9) * 100 + 5)


def test_heavy_tailed_draws():
    rng = np.random.default_rng(13)
    values = np.concatenate(
        [rng.standard_cauchy(size=(4, 300, 5)), rng.standard_t(1.5, size=(4, 300, 5))], axis=2
    )
    assert_like_arviz(values)


def test_chains_with_different_means_and_scales():
    rng = np.random.default_rng(14)
    values = rng.normal(size=(4, 400, 6))
    values[..., :3] += np.array([0.0, 0.0, 1.0, 4.0])[:, None, None]
    # same location, different spread: only the folded R-hat sees it
    values[..., 3:] *= np.array([1.0, 1.0, 1.0, 5.0])[:, None, None]
    rhat, _, _ = assert_like_arviz(values)
    assert np.all(rhat[:3] > 1.5)
    assert np.all(rhat[3:] > 1.1)


def test_stuck_and_drifting_chains():
    rng = np.random.default_rng(15)
    values = rng.normal(size=(4, 200, 3))
    values[1, 50:, 0] = values[1, 49, 0]
    values[..., 1] += np.linspace(0, 3, 200)
    values[0, :, 2] = rng.normal(size=200) * 1e-3
    assert_like_arviz(values)


def test_tied_draws():
    rng = np.random.default_rng(16)
    values = np.concatenate(
        [
            rng.poisson(2.0, size=(4, 300, 4)).astype(float),
            rng.integers(0, 2, size=(4, 300, 3)).astype(float),
            np.round(rng.normal(size=(4, 300, 3)), 1),
            # rare successes: the 5% quantile sits on the tie at zero
            (rng.uniform(size=(4, 300, 2)) < 0.03).astype(float),
        ],
        axis=2,
    )
    assert_like_arviz(values)


def test_constant_parameter():
    rng = np.random.default_rng(17)
    values = rng.normal(size=(4, 100, 3))
    values[..., 1] = 2.5
    rhat, bulk, tail = assert_like_arviz(values)
    assert np.isnan(rhat[1])
    assert bulk[1] == tail[1] == 400


@pytest.mark.parametrize("n_draws", [10, 11, 100, 1000, 1001])
def test_constant_within_chains(n_draws):
    """arviz's R-hat here is rounding noise (huge or NaN); it is reproduced bit for bit."""
    values = np.empty((4, n_draws, 4))
    values[..., 0] = np.arange(4.0)[:, None]
    values[..., 1] = np.array([0.0, 0.0, 1.0, 1.0])[:, None]
    values[..., 2] = np.array([0.3, 0.3, 0.3, 0.9])[:, None]
    values[..., 3] = np.array([0.1, 0.7, 1.3, 2.9])[:, None]
    expected = arviz_diagnostics(values)[0]
    np.testing.assert_array_equal(ours(values)[0], expected)
    assert_like_arviz(values)


def test_nan_draws():
    rng = np.random.default_rng(18)
    values = rng.normal(size=(3, 21, 4))
    values[1, 3, 0] = np.nan
    # the middle draw, which splitting drops, still makes the parameter NaN
    values[2, 10, 2] = np.nan
    rhat, bulk, tail = assert_like_arviz(values)
    for result in (rhat, bulk, tail):
        np.testing.assert_array_equal(np.isnan(result), [True, False, True, False])


def test_infinite_draws():
    rng = np.random.default_rng(19)
    values = rng.normal(size=(4, 100, 4))
    values[1, 5, 0] = np.inf
    values[:, :3, 1] = -np.inf
    # more than half infinite: the median is inf and the folded draws are NaN
    values[:, :60, 2] = np.inf
    values[:, ::2, 3] = np.inf
    values[:, 1::4, 3] = -np.inf
    assert_like_arviz(values)


@pytest.mark.parametrize("shape", [(1, 50, 3), (1, 4, 2)])
def test_one_chain(shape):
    rng = np.random.default_rng(20)
    rhat, bulk, _ = assert_like_arviz(rng.normal(size=shape))
    assert np.all(np.isnan(rhat))
    assert np.all(np.isfinite(bulk))


@pytest.mark.parametrize("n_draws", [1, 2, 3])
def test_too_few_draws(n_draws):
    rng = np.random.default_rng(21)
    for result in assert_like_arviz(rng.normal(size=(4, n_draws, 3))):
        assert np.all(np.isnan(result))


def test_values_equal_to_about_1e_12():
    """Distinct values about 1e-12 apart, tiny values and signed zeros."""
    rng = np.random.default_rng(22)
    values = 1.0 + rng.integers(0, 50, size=(4, 100, 4)) * 2.0**-50
    values[..., 1] = rng.normal(size=(4, 100)) * 1e-300
    values[..., 2] = rng.choice([-0.0, 0.0, 1.0, -1.0], size=(4, 100))
    values[..., 3] = 0.0
    values[:2, :, 3] = -0.0
    assert_like_arviz(values)


def test_float32_and_integer_draws():
    rng = np.random.default_rng(23)
    scaled = rng.normal(size=(4, 200, 6)) * np.array([1e-3, 1.0, 10.0, 1e3, 1e5, 1.0])
    scaled[..., 5] = np.round(scaled[..., 5] * 4) / 4
    assert_like_arviz(scaled.astype(np.float32))
    assert_like_arviz(rng.integers(0, 5, size=(4, 100, 3)))


def test_no_parameters():
    for result in ours(np.zeros((4, 100, 0))):
        assert result.shape == (0,)


def test_parameter_axis_is_last():
    rng = np.random.default_rng(24)
    values = ar1(rng, (4, 300, 6), 0.7) + np.arange(6.0)
    permutation = rng.permutation(6)
    for whole, permuted in zip(ours(values), ours(values[..., permutation]), strict=True):
        np.testing.assert_array_equal(whole[permutation], permuted)
    np.testing.assert_array_equal(diagnostics.rhat(values[..., 2:3]), diagnostics.rhat(values)[2:3])


def test_rejects_other_shapes():
    with pytest.raises(ValueError, match="chains, draws, parameters"):
        diagnostics.rhat(np.zeros((4, 100)))

"""Parameter recovery on data simulated from the model itself."""

import numpy as np
import pandas as pd
import pytest

import multilevel as ml

pytestmark = pytest.mark.slow

TRUTH = {
    "b_Intercept": 2.0, "b_x1": 0.5, "b_x2": -0.3,
    "sd_g__Intercept": 1.0, "sd_g__x1": 0.5, "cor_g__Intercept__x1": 0.5,
    "sd_h__Intercept": 0.7, "sigma": 1.0,
}


def simulate(seed: int = 11) -> pd.DataFrame:
    """Correlated intercepts and slopes by g (120 levels) crossed with intercepts by h (25)."""
    rng = np.random.default_rng(seed)
    n, n_g, n_h = 2400, 120, 25
    g = rng.integers(0, n_g, n)
    h = rng.integers(0, n_h, n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    sd = np.array([TRUTH["sd_g__Intercept"], TRUTH["sd_g__x1"]])
    cor = np.array([[1, TRUTH["cor_g__Intercept__x1"]], [TRUTH["cor_g__Intercept__x1"], 1]])
    r_g = rng.multivariate_normal([0, 0], np.outer(sd, sd) * cor, size=n_g)
    r_h = rng.normal(0, TRUTH["sd_h__Intercept"], n_h)
    mu = (TRUTH["b_Intercept"] + r_g[g, 0] + (TRUTH["b_x1"] + r_g[g, 1]) * x1
          + TRUTH["b_x2"] * x2 + r_h[h])
    y = rng.normal(mu, TRUTH["sigma"])
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": [f"g{k:02d}" for k in g], "h": h})


def test_intervals_cover_true_values():
    fit = ml.brm("y ~ x1 + x2 + (1 + x1 | g) + (1 | h)", simulate(), seed=3, progressbar=False)
    summary = fit.posterior_summary()
    missed = {
        name: (value, summary.loc[name, "Q2.5"], summary.loc[name, "Q97.5"])
        for name, value in TRUTH.items()
        if not summary.loc[name, "Q2.5"] <= value <= summary.loc[name, "Q97.5"]
    }
    assert missed == {}
    assert int(fit.idata.sample_stats["diverging"].sum()) == 0
    # the largest of 274 R-hats, the slowest with a bulk ESS near 300, ranged from 1.004 to
    # 1.026 over seeds 1 to 12: 1.05, brms's own warning threshold, tests convergence, not
    # the seed
    assert summary["Rhat"].max() < 1.05

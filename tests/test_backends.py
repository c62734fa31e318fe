"""Every NUTS backend and every approximation runs and gives sensible estimates.

The reference is brms's posterior of the sleepstudy model (../shared/reference/sleep_full.json):
NUTS backends must put its posterior means within their own intervals and close by Monte Carlo
error; approximations, which are biased by design, must put the population-level effects
within two of brms's posterior sds of its means and come near its residual sd.
"""

import pytest

import multilevel as ml
from reference import load_reference

pytestmark = pytest.mark.slow

FORMULA = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def brms_means():
    summary = load_reference("sleep_full")["summary"]
    return {row["variable"]: (row["mean"], row["sd"]) for row in summary}


@pytest.mark.parametrize("sampler", ["pymc", "numpyro", "blackjax"])
def test_nuts_backends_agree_with_brms(sampler, brms_means):
    fit = ml.brm(FORMULA, ml.load_dataset("sleepstudy"), sampler=sampler, chains=2,
                 draws=400, warmup=400, seed=11, progressbar=False)
    assert fit.settings.backend == sampler
    assert fit.idata.posterior.sizes["chain"] == 2
    table = fit.posterior_summary()
    for name in ("b_Intercept", "b_Days", "sd_Subject__Intercept", "sigma"):
        mean, sd = brms_means[name]
        # 800 draws with ESS of at least ~150: 4 MCSE of ours and brms's is under 0.35 sd
        assert abs(table.loc[name, "Estimate"] - mean) < 0.35 * sd, name
    assert table["Rhat"].max() < 1.05


@pytest.mark.parametrize("algorithm", [
    "meanfield",
    pytest.param("fullrank", marks=pytest.mark.xfail(
        reason="PyMC's full-rank ADVI, even started from the mean-field solution, ends with "
               "sigma several times brms's on this model", strict=False)),
    "pathfinder",
    "laplace",
])
def test_approximations_run_and_say_so(algorithm, brms_means):
    fit = ml.brm(FORMULA, ml.load_dataset("sleepstudy"), algorithm=algorithm, seed=11,
                 chains=2, draws=500, progressbar=False)
    text = str(fit.summary())
    assert f"Algorithm: {algorithm} (approximate posterior)" in text
    assert "approximation of the posterior" in text
    table = fit.posterior_summary()
    assert table["Rhat"].isna().all() and table["Bulk_ESS"].isna().all()
    assert fit.idata.posterior.sizes["draw"] == 1000
    for name in ("b_Intercept", "b_Days"):
        # approximations may be too narrow to cover brms's mean; they must land near it
        mean, sd = brms_means[name]
        assert abs(table.loc[name, "Estimate"] - mean) < 2 * sd, name
    sigma, _ = brms_means["sigma"]
    assert abs(table.loc["sigma", "Estimate"] / sigma - 1) < 0.3
    assert fit.fitted().shape == (fit.nobs, 4)


def test_unknown_algorithm_and_sampler_are_errors():
    data = ml.load_dataset("sleepstudy")
    with pytest.raises(ml.MultilevelError, match="algorithm must be one of sampling, meanfield"):
        ml.brm(FORMULA, data, algorithm="vb")
    with pytest.raises(ml.MultilevelError, match="sampler must be one of .*numpyro"):
        ml.brm(FORMULA, data, sampler="stan")

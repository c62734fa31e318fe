"""Every approximation of the posterior runs without PyTensor's C code, says so, and lands near
brms's posterior.

The reference is brms's posterior of the sleepstudy model (../shared/reference/sleep_full.json).
Approximations are biased by design. With the group-level effects integrated out (the form
every approximation takes where a Gaussian model has it), they must put the population-level
effects within two of brms's posterior sds of its means, the group-level sds within one and a
half, and come near its residual sd; the Laplace approximation must land on every parameter.
"""

import pytest

import multilevel as ml
from multilevel.inference import compile_cache
from reference import load_reference

pytestmark = pytest.mark.slow

FORMULA = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def brms_means():
    summary = load_reference("sleep_full")["summary"]
    return {row["variable"]: (row["mean"], row["sd"]) for row in summary}


class _CCode(Exception):
    """Raised where PyTensor would load or compile C code."""


ALGORITHMS = ["meanfield", "fullrank", "pathfinder", "laplace"]


@pytest.fixture(scope="module")
def fits():
    """Each approximation's fit, made where PyTensor's C code would raise: on a machine whose
    PyTensor cache is empty, C code takes most of a minute to compile, so the approximations
    run on the JAX log density instead, as NUTS does, and never ask for it."""
    from pytensor.link.c.cmodule import ModuleCache

    def c_code(*args, **kwargs):
        raise _CCode

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ModuleCache, "module_from_key", c_code)
        compile_cache.clear()  # nothing an earlier test compiled in this process is reused
        return {algorithm: ml.brm(FORMULA, ml.load_dataset("sleepstudy"), algorithm=algorithm,
                                  seed=11, chains=2, draws=500, progressbar=False)
                for algorithm in ALGORITHMS}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_approximations_run_and_say_so(algorithm, brms_means, fits):
    fit = fits[algorithm]
    text = str(fit.summary())
    assert f"Algorithm: {algorithm} (approximate posterior)" in text
    assert "approximation of the posterior" in text
    table = fit.posterior_summary()
    assert table["Rhat"].isna().all() and table["Bulk_ESS"].isna().all()
    assert fit.idata.posterior.sizes["draw"] == 1000
    # the group-level effects are integrated out, then drawn from their exact conditional
    assert fit.settings.parametrization == "collapsed"
    for name in ("b_Intercept", "b_Days"):
        # approximations may be too narrow to cover brms's mean; they must land near it
        mean, sd = brms_means[name]
        assert abs(table.loc[name, "Estimate"] - mean) < 2 * sd, name
    for name in ("sd_Subject__Intercept", "sd_Subject__Days"):
        mean, sd = brms_means[name]
        assert abs(table.loc[name, "Estimate"] - mean) < 1.5 * sd, name
    sigma, _ = brms_means["sigma"]
    assert abs(table.loc["sigma", "Estimate"] / sigma - 1) < 0.3
    assert fit.fitted().shape == (fit.nobs, 4)


def test_laplace_integrates_the_effects_out_and_lands_on_brms(brms_means, fits):
    """With the group-level effects integrated out, the mode of the sds is the marginal one
    (as lme4's and INLA's), and each ``r_`` comes from its exact conditional posterior: every
    parameter lands within half a brms posterior sd of brms's mean, its spread within a
    quarter of brms's. A 1,000-draw mean is within 0.1 of its own sd of its limit, so these
    bounds measure the approximation, not the draws."""
    fit = fits["laplace"]
    assert fit.settings.parametrization == "collapsed"
    table = fit.posterior_summary()
    assert set(brms_means) <= set(table.index)
    far = {name: (table.loc[name, "Estimate"], mean) for name, (mean, sd) in brms_means.items()
           if abs(table.loc[name, "Estimate"] - mean) > 0.5 * sd}
    assert far == {}
    spreads = {name: table.loc[name, "Est.Error"] / sd for name, (_, sd) in brms_means.items()}
    assert {name: ratio for name, ratio in spreads.items() if abs(ratio - 1) > 0.25} == {}

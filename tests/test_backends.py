"""Every NUTS backend runs and agrees with brms.

The reference is brms's posterior of the Dyestuff model (../shared/reference/dyestuff.json):
each backend must put its posterior means and sds within Monte Carlo error of brms's. It is
the smallest reference model, as the C code PyMC's own sampler compiles, and the operations
PyMC's blackjax path compiles one by one, grow with the model.
"""

import pytest

import multilevel as ml
from reference import load_reference, posterior_mismatches

pytestmark = [pytest.mark.slow, pytest.mark.independent]

FORMULA = "Yield ~ 1 + (1 | Batch)"


@pytest.mark.parametrize("sampler", ["pymc", "numpyro", "blackjax"])
def test_nuts_backends_agree_with_brms(sampler):
    fit = ml.brm(FORMULA, ml.load_dataset("dyestuff"), sampler=sampler, chains=2,
                 draws=200, warmup=200, seed=11, progressbar=False)
    assert fit.settings.backend == sampler
    assert fit.idata.posterior.sizes["chain"] == 2
    # means and sds within 4 Monte Carlo standard errors of both fits, from their ESS
    names = ["b_Intercept", "sd_Batch__Intercept", "sigma"]
    compared = [row for row in load_reference("dyestuff")["summary"]
                if row["variable"] in names]
    assert posterior_mismatches(fit, compared) == []
    assert fit.posterior_summary().loc[names, "Rhat"].max() < 1.05
    stats = fit.idata.sample_stats
    assert {"diverging", "energy", "tree_depth"} <= set(stats.data_vars)


def test_unknown_algorithm_and_sampler_are_errors():
    data = ml.load_dataset("dyestuff")
    with pytest.raises(ml.MultilevelError, match="algorithm must be one of sampling, meanfield"):
        ml.brm(FORMULA, data, algorithm="vb")
    with pytest.raises(ml.MultilevelError, match="sampler must be one of .*numpyro"):
        ml.brm(FORMULA, data, sampler="stan")

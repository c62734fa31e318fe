"""Fits of the public reference models against brms 2.18 (../shared/reference)."""


import numpy as np
import pytest

import multilevel as ml
from reference import (
    fit_with_warnings,
    load_reference,
    posterior_mismatches,
    prior_mismatches,
    reference_variables,
)

pytestmark = pytest.mark.slow

MODELS = ["sleep_full", "sleep_uncorr", "hsb_glp", "pastes_nested", "dyestuff"]


@pytest.fixture(scope="module")
def fits():
    results = {}
    for name in MODELS:
        reference = load_reference(name)
        fit, messages = fit_with_warnings(reference["formula"],
                                          ml.load_dataset(reference["data"]),
                                          family=reference["family"], seed=20261123,
                                          progressbar=False)
        results[name] = (reference, fit, messages)
    return results


@pytest.mark.parametrize("name", MODELS)
def test_prior_table_equals_brms(fits, name):
    reference, fit, _ = fits[name]
    assert prior_mismatches(fit.prior, reference["prior"]) == []


@pytest.mark.parametrize("name", MODELS)
def test_posterior_equals_brms(fits, name):
    reference, fit, _ = fits[name]
    assert posterior_mismatches(fit, reference["summary"]) == []
    brms_names = [row["variable"] for row in reference["summary"]]
    assert reference_variables(fit, reference) == brms_names


@pytest.mark.parametrize("name", MODELS)
def test_no_divergences_with_default_settings(fits, name):
    _, fit, messages = fits[name]
    assert int(fit.idata.sample_stats["diverging"].sum()) == 0, messages


@pytest.mark.parametrize("name", MODELS)
def test_no_convergence_warnings(fits, name):
    _, _, messages = fits[name]
    assert not [m for m in messages if "R-hat" in m or "ESS" in m]


def test_summary_layout(fits):
    _, fit, _ = fits["sleep_full"]
    text = str(fit.summary())
    lines = text.splitlines()
    assert lines[0] == " Family: gaussian "
    assert lines[1] == "  Links: mu = identity; sigma = identity "
    assert lines[2] == "Formula: Reaction ~ Days + (Days | Subject) "
    assert lines[3] == "   Data: sleepstudy (Number of observations: 180) "
    assert "Draws: 4 chains, each with iter = 2000; warmup = 1000; thin = 1;" in lines[4]
    assert "total post-warmup draws = 4000" in lines[5]
    assert "Multilevel Hyperparameters:" in lines
    assert "~Subject (Number of levels: 18) " in lines
    header = lines[lines.index("~Subject (Number of levels: 18) ") + 1].split()
    assert header == ["Estimate", "Est.Error", "l-95%", "CI", "u-95%", "CI", "Rhat", "Bulk_ESS",
                      "Tail_ESS"]
    for label in ["sd(Intercept)", "sd(Days)", "cor(Intercept,Days)", "Intercept", "Days",
                  "sigma"]:
        assert any(line.startswith(label + " ") for line in lines), label
    order = [lines.index(t) for t in ["Multilevel Hyperparameters:", "Regression Coefficients:",
                                      "Further Distributional Parameters:"]]
    assert order == sorted(order)
    assert "<table" in fit.summary()._repr_html_()


def test_accessors_agree_with_posterior_summary(fits):
    _, fit, _ = fits["sleep_full"]
    summary = fit.posterior_summary()
    fixef = fit.fixef()
    assert list(fixef.index) == ["Intercept", "Days"]
    assert list(fixef.columns) == ["Estimate", "Est.Error", "Q2.5", "Q97.5"]
    assert fixef.loc["Days", "Estimate"] == pytest.approx(summary.loc["b_Days", "Estimate"])
    ranef = fit.ranef()["Subject"]
    assert ranef.shape == (18, 8)
    assert ranef.loc["308", ("Intercept", "Estimate")] == pytest.approx(
        summary.loc["r_Subject[308,Intercept]", "Estimate"])
    coef = fit.coef()["Subject"]
    np.testing.assert_allclose(
        coef[("Days", "Estimate")],
        fixef.loc["Days", "Estimate"] + ranef[("Days", "Estimate")], rtol=1e-10)
    varcorr = fit.varcorr()
    assert varcorr["Subject"]["sd"].loc["Days", "Estimate"] == pytest.approx(
        summary.loc["sd_Subject__Days", "Estimate"])
    assert varcorr["Subject"]["cor"].loc[("Intercept", "Days"), "Estimate"] == pytest.approx(
        summary.loc["cor_Subject__Intercept__Days", "Estimate"])
    assert varcorr["residual__"]["sd"].loc["Intercept", "Estimate"] == pytest.approx(
        summary.loc["sigma", "Estimate"])
    draws = fit.as_draws_df()
    assert draws.shape[0] == 4000 and "b_Days" in draws


def test_idata_works_with_arviz(fits):
    import arviz as az

    _, fit, _ = fits["sleep_full"]
    table = az.summary(fit.idata, var_names=["b", "sd_Subject", "cor_Subject", "sigma"])
    assert "sd_Subject[Days]" in table.index
    assert "cor_Subject[Intercept__Days]" in table.index

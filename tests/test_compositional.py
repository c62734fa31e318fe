"""Responses of one column per category, ``cbind(a, b, c) ~ x``: brms's dirichlet (shares)
and multinomial (counts out of trials) families against brms 2.18 references
(tests/reference/families, run_all.sh), and their densities and draws against SciPy."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import multilevel as ml
from multilevel.errors import DataError, FormulaError, MultilevelError
from reference import (
    FAMILY_REFERENCE_DIR,
    brms_efficiency,
    family_reference_names,
    fit_references,
    fitted_mismatches,
    load_reference,
    mixing_problems,
    posterior_mismatches,
    prior_mismatches,
    reference_newdata,
    reference_prior_table,
)

MODELS = family_reference_names("compositional")


def test_both_references_are_here():
    assert MODELS == ["dirichlet", "multinomial"]


@pytest.mark.parametrize("name", MODELS)
def test_default_priors_equal_brms(name):
    reference = load_reference(name, FAMILY_REFERENCE_DIR)
    table = reference_prior_table(reference)
    # get_prior()'s table, with its rows of priors for every category (class b and
    # Intercept, no dpar); the fitted model's table is brms's fit$prior, without them
    assert prior_mismatches(table, reference["get_prior"]) == []
    # the categories are the response's columns after the first, named as brms names them
    assert sorted(set(table["dpar"]) - {""}) == ["mub", "muc"]


def _shares():
    return pd.DataFrame({"a": [0.2, 0.5, 0.3], "b": [0.3, 0.25, 0.3], "c": [0.5, 0.25, 0.4],
                         "x": [0.0, 1.0, 2.0]})


@pytest.mark.parametrize(("change", "family", "formula", "error", "match"), [
    (lambda f: f.assign(c=[0.5, 0.25, 0.5]), "dirichlet", "cbind(a, b, c) ~ x", DataError,
     r"add up to 1 in each row, but 1 row\(s\) of cbind\(a, b, c\).*row\(s\) 3"),
    (lambda f: f.assign(a=[0.0, 0.5, 0.3], b=[0.5, 0.25, 0.3]), "dirichlet",
     "cbind(a, b, c) ~ x", DataError, "shares above 0"),
    (lambda f: f.assign(c=["x", "y", "z"]), "dirichlet", "cbind(a, b, c) ~ x", DataError,
     "column 'c' of cbind\\(a, b, c\\) must be numeric"),
    (lambda f: f, "dirichlet", "a ~ x", FormulaError,
     "needs one response column per category: write 'cbind\\(a, b, c\\)"),
    (lambda f: f.assign(a=[1, 2, 3], b=[2, 2, 2], c=[1, 0, 3], n=[4, 4, 8]), "multinomial",
     "cbind(a, b, c) ~ x", DataError, "needs the number of trials.*trials\\(n\\)"),
    (lambda f: f.assign(a=[1, 2, 3], b=[2, 2, 2], c=[1, 0, 3], n=[4, 4, 7]), "multinomial",
     "cbind(a, b, c) | trials(n) ~ x", DataError, "add up to the trials\\(\\).*row\\(s\\) 3"),
    (lambda f: f.assign(a=[1, 2.5, 3], b=[2, 2, 2], c=[1, 0, 3], n=[4, 4, 8]),
     "multinomial", "cbind(a, b, c) | trials(n) ~ x", DataError, "integer counts"),
    (lambda f: f, "binomial", "cbind(a, b, c) ~ x", FormulaError,
     "'dirichlet' and 'multinomial'; family 'binomial' takes cbind\\(successes, failures\\)"),
    (lambda f: f, "gaussian", "cbind(a, b, c) ~ x", FormulaError,
     "family 'gaussian' takes one response column"),
    # brms: "Argument 'trials' is not supported for family 'dirichlet'"
    (lambda f: f.assign(n=1), "dirichlet", "cbind(a, b, c) | trials(n) ~ x", FormulaError,
     "Argument 'trials' is not supported for family 'dirichlet'"),
    (lambda f: f.rename(columns={"b": "b_1", "c": "b.1"}), "dirichlet",
     "cbind(a, b_1, b.1) ~ x", DataError, "Invalid response category names 'b.1', 'b_1'"),
])
def test_bad_responses_are_named(change, family, formula, error, match):
    with pytest.raises(error, match=match):
        ml.get_prior(formula, change(_shares()), family)


def test_categories_are_named_as_brms_makes_stan_names():
    # brms 2.18's make_stan_names(): R's make.names() less every "." and "_"
    data = _shares().rename(columns={"a": "time_asleep", "b": "time.sitting", "c": "on foot"})
    table = ml.get_prior("cbind(time_asleep, time.sitting, `on foot`) ~ x", data, "dirichlet")
    assert sorted(set(table["dpar"]) - {""}) == ["muonfoot", "mutimesitting"]


def test_the_program_reads_the_trials_column():
    counts = _shares().assign(a=[1, 2, 3], b=[2, 2, 2], c=[1, 0, 3], n=[4, 4, 8])
    code = str(ml.model_code("cbind(a, b, c) | trials(n) ~ x", counts, "multinomial"))
    assert 'trials = data["n"]' in code
    assert "pm.Multinomial(\"y\", n=trials" in code


@pytest.fixture(scope="module")
def fits():
    return fit_references(MODELS)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_posterior_equals_brms(fits, name):
    reference, fit, _ = fits[name]
    assert posterior_mismatches(fit, reference["summary"]) == []
    assert mixing_problems(fit, reference["summary"]) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_expected_values_of_new_rows_equal_brms_fitted(fits, name):
    reference, fit, _ = fits[name]
    newdata = reference_newdata(reference)
    draws = fit.posterior_epred(newdata=newdata)
    assert draws.shape == (2000, len(newdata), 3)
    # shares of a whole, or a multinomial's expected counts out of each row's trials
    total = newdata["size"].to_numpy() if name == "multinomial" else 1.0
    assert np.allclose(draws.sum(axis=2), total)
    chains = draws.reshape(4, 500, len(newdata), 3)
    table = fit.fitted(newdata=newdata)
    for k, label in enumerate("abc"):
        records = [r for r in reference["fitted"] if r["category"] == f"P(Y = {label})"]
        assert len(records) == len(newdata)
        assert fitted_mismatches(chains[..., k], records,
                                 brms_efficiency(fit, reference["summary"])) == []
        assert np.allclose(table[f"P(Y = {label})"]["Estimate"], draws[..., k].mean(axis=0))


@pytest.mark.slow
def test_summary_names_the_categories_links_as_brms(fits):
    for name, links in [("dirichlet", "mub = logit; muc = logit; phi = identity"),
                        ("multinomial", "mub = logit; muc = logit")]:
        reference, fit, _ = fits[name]
        text = str(fit.summary())
        assert f"Links: {links}" in text
        assert f"Links: {links}" in "\n".join(reference["summary_text"])
        assert f"Family: {name}" in text
        assert prior_mismatches(fit.prior, reference["prior"]) == []


@pytest.mark.slow
def test_log_likelihood_is_scipys_density_at_the_draws(fits):
    for name in MODELS:
        _, fit, _ = fits[name]
        design = fit.design
        shares = fit.posterior_epred()[:3]
        if name == "multinomial":
            shares = shares / design.trials[None, :, None]
        log_lik = fit.log_lik()[:3]
        for draw in range(3):
            for row in (0, 7, design.nobs - 1):
                if name == "dirichlet":
                    phi = fit.as_draws_df()["phi"].to_numpy()[draw]
                    expected = stats.dirichlet.logpdf(design.y[row], phi * shares[draw, row])
                else:
                    expected = stats.multinomial.logpmf(design.y[row], design.trials[row],
                                                        shares[draw, row])
                assert log_lik[draw, row] == pytest.approx(expected, rel=1e-8)


@pytest.mark.slow
def test_new_observations_keep_to_the_response_support(fits):
    for name in MODELS:
        reference, fit, _ = fits[name]
        newdata = reference_newdata(reference)
        draws = fit.posterior_predict(newdata=newdata, seed=3)
        assert draws.shape == (2000, len(newdata), 3)
        if name == "dirichlet":
            assert np.all(draws > 0) and np.allclose(draws.sum(axis=2), 1.0)
        else:
            assert np.all(draws == np.round(draws))
            assert np.all(draws.sum(axis=2) == newdata["size"].to_numpy()[None, :])
        # their mean is the expected value, within Monte Carlo error
        expected = fit.posterior_epred(newdata=newdata).mean(axis=0)
        spread = draws.std(axis=0) / np.sqrt(draws.shape[0])
        assert np.all(np.abs(draws.mean(axis=0) - expected) < 5 * spread + 1e-9)
        table = fit.predict(newdata=newdata, seed=3)
        assert list(table.columns.get_level_values(0).unique()) == ["a", "b", "c"]


@pytest.mark.slow
def test_what_needs_one_response_per_row_is_refused_by_name(fits):
    _, fit, _ = fits["dirichlet"]
    with pytest.raises(MultilevelError, match=r"pp_check\(\) reads one response per row.*"
                                              r"one per category \(cbind\(a, b, c\)\)"):
        fit.pp_check()
    with pytest.raises(MultilevelError, match="not defined for ordinal or categorical"):
        fit.residuals()
    with pytest.raises(MultilevelError, match="a dirichlet model has a linear predictor per "
                                              "category"):
        fit.icc()
    with pytest.raises(MultilevelError, match="dirichlet model have no order"):
        fit.conditional_effects("x")
    assert fit.conditional_effects("x", categorical=True) is not None
    with pytest.raises(MultilevelError, match="points=True\\) reads one response per row"):
        fit.conditional_effects("x", categorical=True, points=True)
    with pytest.raises(MultilevelError, match="one line for all of them means nothing"):
        fit.conditional_effects("x", method="posterior_predict")
    for summary in (fit.loo_predict, fit.loo_predictive_interval, fit.predictive_interval):
        with pytest.raises(MultilevelError, match="one per category \\(cbind\\(a, b, c\\)\\)"):
            summary()


@pytest.mark.slow
def test_averages_label_new_rows_by_column(fits):
    reference, shares, _ = fits["dirichlet"]
    newdata = reference_newdata(reference)
    table = ml.pp_average(shares, shares, weights=[0.5, 0.5], newdata=newdata, seed=1)
    assert list(table.columns.get_level_values(0).unique()) == ["a", "b", "c"]


def test_equations_name_the_distribution():
    data = _shares()
    dirichlet = ml.equation("cbind(a, b, c) ~ x", data, family="dirichlet")
    assert r"(\mathrm{a}_{i}, \mathrm{b}_{i}, \mathrm{c}_{i}) &\sim \mathrm{Dirichlet}" in str(
        dirichlet)
    counts = data.assign(a=[1, 2, 3], b=[2, 2, 2], c=[1, 0, 3], n=[4, 4, 8])
    multinomial = ml.equation("cbind(a, b, c) | trials(n) ~ x", counts, family="multinomial")
    assert r"\mathrm{Multinomial}(\mathrm{n}_{i}, \operatorname{softmax}(0," in str(multinomial)

"""Distributional parameters (``ml.bf``) against brms 2.18 (../shared/reference)."""


import contextlib

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.errors import FamilyError, FormulaError, PriorError
from multilevel.spec.formula import parse_formula
from reference import (
    FAMILY_REFERENCE_DIR,
    SHARED,
    fit_with_warnings,
    load_reference,
    mixing_problems,
    posterior_mismatches,
    prior_mismatches,
    reference_variables,
)

MODELS = ["sleep_sigma", "salamanders_zip"]


def reference_model(name):
    reference = load_reference(name)
    data = pd.read_csv(SHARED / "data" / f"{reference['data']}.csv")
    formula = ml.bf(reference["formula"], **(reference["dpars"] or {}))
    return reference, data, formula


@pytest.mark.parametrize("name", MODELS)
def test_prior_table_equals_brms(name):
    reference, data, formula = reference_model(name)
    table = ml.get_prior(formula, data, reference["family"])
    assert prior_mismatches(table, reference["prior"]) == []


def test_bf_parses_each_parameter_without_or_with_its_name():
    spec = parse_formula(ml.bf("y ~ x + (1 | g)", sigma="~ x + (1 | g)", nu="nu ~ 1"))
    assert spec.dpar_names == ("sigma", "nu")
    sigma = dict(spec.dpars)["sigma"]
    assert sigma.response is None and sigma.population == "x"
    assert [term.group for term in sigma.group_terms] == ["g"]
    assert spec.lines == ["y ~ x + (1 | g)", "sigma ~ x + (1 | g)", "nu ~ 1"]


@pytest.mark.parametrize("dpars, message", [
    ({"sigma": "shape ~ x"}, "must be one-sided"),
    ({"sigma": ["~ x"]}, "must be a string such as .~ x., or a number to hold it at"),
    ({"sigma": "~ x + (1 | g"}, r"Unbalanced '\(' in formula part '~ x"),
])
def test_bad_distributional_formulas_are_clear_errors(dpars, message):
    with pytest.raises(FormulaError, match=message):
        parse_formula(ml.bf("y ~ x", **dpars))


def test_a_parameter_the_family_lacks_is_named(sleepstudy):
    with pytest.raises(FamilyError, match=r"no distributional parameter 'sigma'.*has none"):
        ml.get_prior(ml.bf("Days ~ 1", sigma="~ 1"), sleepstudy, "poisson")
    with pytest.raises(FamilyError, match=r"'shape'.*parameters are sigma"):
        ml.get_prior(ml.bf("Reaction ~ Days", shape="~ Days"), sleepstudy)


def test_an_unknown_column_in_a_parameter_formula_is_named(sleepstudy):
    with pytest.raises(FormulaError, match=r"'Dayz'.*sigma ~ Dayz.*Did you mean 'Days'"):
        ml.get_prior(ml.bf("Reaction ~ Days", sigma="~ Dayz"), sleepstudy)


def test_priors_on_a_parameter_take_its_dpar(sleepstudy):
    formula = ml.bf("Reaction ~ Days + (1 | Subject)", sigma="~ Days + (1 | Subject)")
    table = ml.get_prior(formula, sleepstudy, prior=[
        ml.prior("normal(0, 0.5)", class_="b", dpar="sigma"),
        ml.prior("exponential(2)", class_="sd", group="Subject", dpar="sigma")])
    rows = table.set_index(["class", "coef", "group", "dpar"])["prior"]
    assert rows[("b", "Days", "", "sigma")] == "normal(0, 0.5)"
    assert rows[("b", "Days", "", "")] == "(flat)"
    assert rows[("sd", "Intercept", "Subject", "sigma")] == "exponential(2)"
    assert rows[("sd", "Intercept", "Subject", "")].startswith("student_t(3, 0, 59.3)")
    assert rows[("Intercept", "", "", "sigma")] == "student_t(3, 0, 2.5)"
    assert "sigma" not in table["class"].tolist()
    with pytest.raises(PriorError, match="do not correspond.*dpar 'zi'"):
        ml.get_prior(formula, sleepstudy, prior=ml.prior("normal(0, 1)", dpar="zi"))


def test_constant_probabilities_are_bounded_by_zero_and_one():
    data = pd.read_csv(SHARED / "data" / "salamanders.csv")
    table = ml.get_prior("count ~ mined + (1 | site)", data, "hurdle_poisson")
    hu = table.loc[table["class"] == "hu"].iloc[0]
    assert (hu["prior"], hu["lb"], hu["ub"]) == ("beta(1, 1)", "0", "1")


def test_links_line_names_the_link_of_each_predicted_parameter():
    assert ml.gaussian.link_description(("sigma",)) == "mu = identity; sigma = log"
    assert ml.gaussian.link_description() == "mu = identity; sigma = identity"
    assert ml.zero_inflated_negbinomial.link_description(("zi",)) == (
        "mu = log; shape = identity; zi = logit")
    # brms orders them sigma, nu (its summary: "mu = identity; sigma = identity; nu = identity")
    assert ml.student.link_description(("nu",)) == "mu = identity; sigma = identity; nu = logm1"


@pytest.fixture(scope="module")
def fits():
    results = {}
    for name in MODELS:
        reference, data, formula = reference_model(name)
        # half brms's draws: the comparisons' tolerances follow both fits' ESS
        fit, messages = fit_with_warnings(formula, data, reference["family"], seed=20261202,
                                          draws=500, warmup=500, progressbar=False)
        results[name] = (reference, fit, messages)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_posterior_equals_brms(fits, name):
    reference, fit, messages = fits[name]
    assert posterior_mismatches(fit, reference["summary"]) == []
    assert mixing_problems(fit, reference["summary"]) == []
    assert not [m for m in messages if "divergent" in m]
    assert sorted(reference_variables(fit, reference)) == sorted(
        row["variable"] for row in reference["summary"])


@pytest.mark.slow
def test_summary_lists_the_parameter_formula_link_and_coefficients(fits):
    _, fit, _ = fits["sleep_sigma"]
    text = str(fit.summary())
    assert "  Links: mu = identity; sigma = log \n" in text
    assert "Formula: Reaction ~ Days + (Days | Subject)\n         sigma ~ Days " in text
    assert fit.summary().fixed.index.tolist() == ["Intercept", "sigma_Intercept", "Days",
                                                  "sigma_Days"]
    assert "Further Distributional Parameters" not in text


@pytest.mark.slow
def test_predictions_use_each_rows_parameter(fits, sleepstudy):
    _, fit, _ = fits["sleep_sigma"]
    newdata = pd.DataFrame({"Days": [0, 9], "Subject": ["308", "308"]})
    draws = fit.posterior_predict(newdata=newdata, seed=1)
    mean = fit.posterior_epred(newdata=newdata)
    posterior = fit.idata.posterior
    sigma = np.exp(posterior["b_sigma_Intercept"].values.reshape(-1)[:, None]
                   + posterior["b_sigma"].values.reshape(-1, 1) * np.array([0.0, 9.0]))
    # the spread of new observations around their mean is the row's own sigma
    spread = np.sqrt(np.mean((draws - mean) ** 2, axis=0))
    expected = np.sqrt(np.mean(sigma ** 2, axis=0))
    assert np.allclose(spread, expected, rtol=0.08)
    assert spread[1] > 1.5 * spread[0]


@pytest.mark.slow
def test_posterior_linpred_gives_a_parameters_linear_predictor_and_its_inverse_link(fits):
    """brms's ``posterior_linpred(transform =, dpar =)``: a predicted parameter's linear
    predictor, or its value through the inverse link; the mean's when no parameter is named."""
    _, fit, _ = fits["sleep_sigma"]
    newdata = pd.DataFrame({"Days": [0, 9], "Subject": ["308", "308"]})
    posterior = fit.idata.posterior
    log_sigma = (posterior["b_sigma_Intercept"].values.reshape(-1)[:, None]
                 + posterior["b_sigma"].values.reshape(-1, 1) * np.array([0.0, 9.0]))
    assert np.allclose(fit.posterior_linpred(newdata, dpar="sigma"), log_sigma)
    assert np.allclose(fit.posterior_linpred(newdata, dpar="sigma", transform=True),
                       np.exp(log_sigma))
    mu = fit.posterior_linpred(newdata)
    assert np.array_equal(fit.posterior_linpred(newdata, dpar="mu"), mu)
    assert np.array_equal(fit.posterior_linpred(newdata, transform=True), mu)  # identity
    _, zip_fit, _ = fits["salamanders_zip"]
    eta = zip_fit.posterior_linpred()
    assert np.allclose(zip_fit.posterior_linpred(transform=True), np.exp(eta))
    zi = zip_fit.posterior_linpred(dpar="zi", transform=True)
    assert np.allclose(zip_fit.posterior_epred(), np.exp(eta) * (1 - zi))
    assert np.allclose(zip_fit.posterior_linpred(dpar="zi"), np.log(zi / (1 - zi)))
    with pytest.raises(ml.MultilevelError, match="Valid distributional parameters are: mu, "
                                                 "zi"):
        zip_fit.posterior_linpred(dpar="sigma")
    with pytest.raises(ml.MultilevelError, match="Valid non-linear parameters are: none"):
        zip_fit.posterior_linpred(nlpar="b1")
    with pytest.raises(ml.MultilevelError, match="'dpar' and 'nlpar' at the same time"):
        zip_fit.posterior_linpred(dpar="zi", nlpar="b1")


@pytest.mark.slow
def test_conditional_effects_show_a_distributional_parameter(fits):
    """brms's conditional_effects(fit, dpar = "sigma"): sigma over Days, the median of its
    draws, or its linear predictor with method = "posterior_linpred"."""
    _, fit, _ = fits["sleep_sigma"]
    posterior = fit.idata.posterior
    figure = fit.conditional_effects("Days", dpar="sigma", resolution=5)
    frame = figure["Days"]
    log_sigma = (posterior["b_sigma_Intercept"].values.reshape(-1)[:, None]
                 + posterior["b_sigma"].values.reshape(-1, 1) * frame["Days"].to_numpy())
    np.testing.assert_allclose(frame["estimate__"], np.median(np.exp(log_sigma), axis=0))
    assert figure.axes[0].get_ylabel() == "sigma"
    linear = fit.conditional_effects("Days", dpar="sigma", resolution=5,
                                     method="posterior_linpred")["Days"]
    np.testing.assert_allclose(linear["estimate__"], np.median(log_sigma, axis=0))
    with pytest.raises(ml.MultilevelError, match="Valid distributional parameters are"):
        fit.conditional_effects("Days", dpar="nu")
    with pytest.raises(ml.MultilevelError, match="dpar= shows a distributional parameter"):
        fit.conditional_effects("Days", dpar="sigma", points=True)


@pytest.mark.slow
def test_zero_inflation_enters_the_expected_value_and_loo(fits):
    _, fit, _ = fits["salamanders_zip"]
    data = fit.design.data
    newdata = data.iloc[:2].copy()
    newdata["mined"] = pd.Categorical(["yes", "no"], categories=["no", "yes"])
    posterior = fit.idata.posterior
    zi = 1 / (1 + np.exp(-(posterior["b_zi_Intercept"].values.reshape(-1, 1)
                           + posterior["b_zi"].values.reshape(-1, 1) * np.array([1.0, 0.0]))))
    mu = np.exp(fit.posterior_linpred(newdata=newdata))
    assert np.allclose(fit.posterior_epred(newdata=newdata), mu * (1 - zi))
    loo = fit.loo()
    assert loo.estimates.loc["elpd_loo", "Estimate"] < 0
    assert fit.log_lik().shape == (2000, len(data))


@pytest.mark.slow
def test_a_saved_fit_keeps_its_parameter_formulas(fits, tmp_path):
    _, fit, _ = fits["salamanders_zip"]
    fit.save(tmp_path / "zip")
    loaded = ml.load(tmp_path / "zip")
    assert loaded.design.spec.lines == fit.design.spec.lines
    pd.testing.assert_frame_equal(loaded.posterior_summary(), fit.posterior_summary())
    assert str(loaded.summary()) == str(fit.summary())


def test_group_effects_of_a_parameter_start_unjittered(sleepstudy):
    from multilevel.api import _design
    from multilevel.model.build import build_model
    from multilevel.priors.table import build_prior_table

    design = _design(ml.bf("Reaction ~ Days + (1 | Subject)", sigma="~ 1 + (1 | Subject)"),
                     sleepstudy, "gaussian")
    _, names = build_model(design, build_prior_table(design))
    assert names.unjittered == ("z_Subject_1",)


@pytest.mark.slow
def test_nutpie_samples_a_parameter_with_group_terms(monkeypatch):
    """nutpie, the sampler above 10,000 rows, on brms's sleep_sigma_group reference, with
    its low-rank correction of the mass matrix."""
    import nutpie

    options = []
    sample = nutpie.sample

    def recorded(*args, **kwargs):
        options.append(kwargs)
        return sample(*args, **kwargs)

    monkeypatch.setattr(nutpie, "sample", recorded)
    reference = load_reference("sleep_sigma_group", FAMILY_REFERENCE_DIR)
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / reference["data"])
    fit, messages = fit_with_warnings(ml.bf(reference["formula"], **reference["dpars"]), data,
                                      sampler="nutpie", seed=20261202, progressbar=False)
    assert [kwargs["low_rank_modified_mass_matrix"] for kwargs in options] == [True]
    assert posterior_mismatches(fit, reference["summary"]) == []
    assert not [m for m in messages if "R-hat" in m]


@pytest.mark.slow
def test_a_trace_too_large_for_memory_goes_through_disk_unchanged(monkeypatch, tmp_path):
    """nutpie writes a trace larger than ``IN_MEMORY_TRACE_BYTES`` to a directory of its own as
    it samples; the fit reads back what an in-memory trace gives, draw for draw, and leaves
    no directory behind. (The model above's, so its compiled code serves here.)"""
    import tempfile

    from multilevel.inference import nuts

    reference = load_reference("sleep_sigma_group", FAMILY_REFERENCE_DIR)
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / reference["data"])
    formula = ml.bf(reference["formula"], **reference["dpars"])
    settings = {"sampler": "nutpie", "seed": 5, "chains": 2, "draws": 100, "warmup": 100,
                "progressbar": False}
    in_memory = ml.brm(formula, data, **settings)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(nuts, "IN_MEMORY_TRACE_BYTES", 0)
    written = []
    store = nuts._trace_store

    def recorded(*args, **kwargs):
        with store(*args, **kwargs) as opened:
            written.append(opened)
            yield opened

    monkeypatch.setattr(nuts, "_trace_store", contextlib.contextmanager(recorded))
    through_disk = ml.brm(formula, data, **settings)
    assert written and all(opened is not None for opened in written)
    assert list(tmp_path.iterdir()) == []
    for group in ("posterior", "sample_stats"):
        kept, read = in_memory.idata[group], through_disk.idata[group]
        assert sorted(read.data_vars) == sorted(kept.data_vars)
        for name in kept.data_vars:
            np.testing.assert_array_equal(read[name].values, kept[name].values)
    assert str(through_disk.summary()) == str(in_memory.summary())
    through_disk.save(tmp_path / "fit")
    assert str(ml.load(tmp_path / "fit").summary()) == str(in_memory.summary())


def test_a_held_value_may_be_a_closed_bound(sleepstudy):
    """brms's nu may be 1 and a zero-inflation probability 0 or 1, unlike a quantile."""
    for formula, family in ((ml.bf("Reaction ~ Days", nu=1.0), "student"),
                            (ml.bf("Reaction ~ Days", zi=0.0), "zero_inflated_poisson")):
        data = sleepstudy.assign(Reaction=sleepstudy["Reaction"].round())
        table = ml.get_prior(formula, data, family)
        held = dict(formula.fixed)
        assert not set(held) & set(table["class"])

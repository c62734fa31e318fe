"""brms's category-specific effects cs() of ordinal models: the formula, the design, the
likelihood as brms's Stan code writes it, and what a fit shows. The posteriors of two brms
2.18 references (tests/reference/families/inhaler_cs.json, acat_cs.json) are compared in
test_ordinal.py."""

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.errors import DataError, FamilyError, FormulaError
from multilevel.spec.formula import parse_formula
from quick_mode import QUICK

pytestmark = pytest.mark.independent


@pytest.fixture(scope="module")
def inhaler():
    data = ml.load_dataset("inhaler")
    data["site"] = np.array(["a", "b", "c"])[np.arange(len(data)) % 3]
    return data


@pytest.mark.parametrize(("formula", "message"), [
    ("rating ~ cs(treat):period", "cs\\(\\) works as a term of its own"),
    ("rating ~ period + (cs(1) | subject)", "category specific group-level effects"),
    ("rating ~ cs(1)", "cs\\(\\) needs a predictor"),
    ("rating ~ period - cs(treat)", "cannot be removed"),
])
def test_misplaced_cs_terms_are_named(formula, message):
    with pytest.raises(FormulaError, match=message):
        parse_formula(formula)


def test_cs_is_refused_in_a_distributional_formula():
    with pytest.raises(FormulaError, match="formula of the response"):
        parse_formula(ml.bf("y ~ x", sigma="~ cs(x)"))


def test_cs_terms_are_parsed_beside_the_population_terms():
    spec = parse_formula("rating ~ period + cs(treat) + cse(0 + carry) + (1 | subject)")
    assert spec.population == "period"
    assert [(t.expression, t.text) for t in spec.category_specific] == [
        ("treat", "cs(treat)"), ("carry", "cse(0 + carry)")]


def test_only_ordinal_families_take_cs_terms(inhaler):
    with pytest.raises(FamilyError, match="not supported for family 'gaussian'.*'sratio'"):
        ml.get_prior("rating ~ period + cs(treat)", inhaler, "gaussian")
    with pytest.warns(UserWarning, match="should be considered experimental"):
        ml.get_prior("rating ~ period + cs(treat)", inhaler, "cumulative")


def test_sampling_the_priors_names_class_b_once(inhaler):
    with pytest.raises(ml.PriorError, match=r"flat ones: class b\. Give"):
        ml.brm("rating ~ period + cs(treat)", inhaler, "acat", sample_prior="only")


def test_a_column_cannot_be_both_category_specific_and_shared(inhaler):
    with pytest.raises(FormulaError, match="'treat' is both a category specific effect"):
        ml.get_prior("rating ~ treat + cs(treat)", inhaler, "acat")


def test_factor_columns_are_coded_as_brms_codes_them(inhaler):
    """cs(site) with an intercept's treatment contrasts, as brms's model matrix: sites b and
    c, whether or not the term writes '0 +'; their rows in the prior table are class b's."""
    for written in ("cs(site)", "cs(0 + site)"):
        table = ml.get_prior(f"rating ~ period + {written}", inhaler, "acat")
        assert table.loc[table["class"] == "b", "coef"].tolist() == ["", "period", "siteb",
                                                                     "sitec"]


def _sratio_cloglog_lpmf(y, mu, thresholds):
    """brms 2.18's Stan function sratio_cloglog_lpmf for one row, as written there."""
    q = -np.exp(thresholds - mu)
    p = np.empty(len(thresholds) + 1)
    for k in range(min(y, len(thresholds))):
        p[k] = np.log1p(-np.exp(q[k])) + q[:k].sum()
    if y == len(thresholds) + 1:
        p[-1] = q.sum()
    return p[y - 1]


def test_each_row_compares_its_predictor_with_thresholds_less_its_cs_terms(inhaler):
    """The model's log-likelihood at a point is brms's: sratio_cloglog_lpmf(Y[n] | mu[n],
    disc, Intercept - transpose(mucs[n])) with mucs = Xcs * bcs."""
    family = ml.get_family("sratio", "cloglog")
    model = ml.make_model("rating ~ period + cs(treat + site)", inhaler, family)
    rng = np.random.default_rng(3)
    point = {"Intercept": np.array([-0.3, 1.1, 0.4]), "b": rng.normal(0, 0.5, 1),
             **{f"bcs_{name}": rng.normal(0, 0.5, 3) for name in ("treat", "siteb", "sitec")}}
    ours = model.compile_logp(vars=model.observed_RVs, sum=False, mode=QUICK)(point)[0]
    period = inhaler["period"].to_numpy()
    columns = np.column_stack([inhaler["treat"], inhaler["site"] == "b",
                               inhaler["site"] == "c"]).astype(float)
    effects = np.stack([point["bcs_treat"], point["bcs_siteb"], point["bcs_sitec"]])
    mu = (period - period.mean()) * point["b"][0]
    thresholds = point["Intercept"] - columns @ effects
    theirs = [_sratio_cloglog_lpmf(y, m, t)
              for y, m, t in zip(inhaler["rating"], mu, thresholds, strict=True)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_the_equation_shows_each_rows_thresholds(inhaler):
    text = ml.equation("rating ~ period + cs(treat) + (1 | subject)", inhaler,
                       ml.get_family("sratio", "cloglog"), priors=True).latex
    assert r"= \theta_{c} - \delta_{c}\,\mathrm{treat}_{i} - \eta_{i}" in text
    assert r"p(\delta_{c}) &\propto 1\text{, for } c = 1, \ldots, 3" in text
    two = ml.equation("rating ~ cs(treat + period)", inhaler, "acat").latex
    assert (r"\eta_{i} - (\theta_{c} - \delta_{1c}\,\mathrm{treat}_{i} - "
            r"\delta_{2c}\,\mathrm{period}_{i})") in two


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*Effective Samples Size")  # a short fit
def test_a_fit_shows_one_effect_per_threshold(inhaler):
    fit = ml.brm("rating ~ period + cs(treat + site)", inhaler, "acat", seed=5, chains=2,
                 draws=150, warmup=150, progressbar=False, sample_prior="yes",
                 prior=ml.prior("normal(0, 2)", class_="b"))
    fixed = fit.summary().fixed.index.tolist()
    assert fixed == ["Intercept[1]", "Intercept[2]", "Intercept[3]", "period",
                     *[f"{name}[{k}]" for name in ("treat", "siteb", "sitec")
                       for k in (1, 2, 3)]]
    assert "bcs_siteb[2]" in fit.posterior_summary().index
    # brms's prior_bcs: one column for the class's shared prior
    assert {"prior_b", "prior_bcs"} <= set(fit.prior_draws.columns)
    assert fit.prior_draws["prior_bcs"].std() == pytest.approx(2, rel=0.3)
    newdata = pd.DataFrame({"period": [0.5, 0.5], "treat": [0.5, -0.5], "site": ["a", "c"]})
    probabilities = fit.posterior_epred(newdata=newdata)
    assert probabilities.shape == (300, 2, 4)
    np.testing.assert_allclose(probabilities.sum(axis=2), 1.0)
    with pytest.raises(DataError, match="site"):
        fit.posterior_epred(newdata=newdata.assign(site=["a", "z"]))
    figure = fit.conditional_effects("site", categorical=True)
    assert len(figure.axes[0].get_legend().get_texts()) == 4

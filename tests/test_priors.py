import json
import re
import warnings
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from pytensor.graph.traversal import ancestors
from scipy import stats

import multilevel as ml
from multilevel.errors import PriorError
from multilevel.model.lprior import lprior_draws
from multilevel.priors.distributions import Distribution, parse_distribution
from reference import load_reference, prior_mismatches

REFERENCES = ["sleep_full", "sleep_uncorr", "hsb_glp", "pastes_nested", "dyestuff", "rats"]


@pytest.mark.parametrize("name", REFERENCES)
def test_default_priors_equal_brms(name):
    reference = load_reference(name)
    table = ml.get_prior(reference["formula"], ml.load_dataset(reference["data"]),
                         reference["family"])
    assert prior_mismatches(table, reference["prior"]) == []


SIGMA_SCALE = json.loads((Path(__file__).parent / "reference" / "priors" / "sigma_scale.json")
                         .read_text())


@pytest.mark.parametrize(("family", "name"), [(ml.gaussian(link="log"), "gaussian_log"),
                                              (ml.lognormal, "lognormal")])
def test_sigma_prior_scale_is_brms(family, name):
    """brms scales sigma's default prior by the response itself under a log link, but by its
    log for a lognormal response (tests/reference/priors/make_sigma_scale.R)."""
    data = pd.DataFrame(SIGMA_SCALE["data"])
    table = ml.get_prior(SIGMA_SCALE["formula"], data, family)
    assert prior_mismatches(table, SIGMA_SCALE["get_prior"][name]) == []


GLOBAL_CATEGORICAL = json.loads((Path(__file__).parent / "reference" / "priors"
                                 / "global_categorical.json").read_text())["cases"]


@pytest.mark.parametrize("case", GLOBAL_CATEGORICAL, ids=lambda case: case["id"])
def test_global_priors_of_categorical_families_reach_each_category_as_brms(case):
    """brms 2.18 copies a prior on class b or Intercept without a dpar to that class of every
    predicted parameter without one of its own, warning that this is deprecated
    (tests/reference/priors/make_global_categorical.R)."""
    from reference import FAMILY_REFERENCE_DIR

    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / f"{case['data']}.csv")
    formula = ml.bf(case["formula"], **case.get("dpars", {}))
    priors = {"categorical": [ml.prior("normal(0, 5)", class_="b"),
                              ml.prior("normal(0, 1)", class_="b", dpar="muc"),
                              ml.prior("normal(0, 3)", class_="Intercept")],
              "dirichlet": [ml.prior("normal(0, 2)", class_="b")]}[case["id"]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = ml.get_prior(formula, data, case["family"].removesuffix("()"), prior=priors)
    expected = case["warnings"] if isinstance(case["warnings"], list) else [case["warnings"]]
    # brms repeats the warning for each class; it is given once here
    assert {str(w.message) for w in caught} == set(expected)
    # the fitted model's table, which brms's holds no rows without a dpar of
    wide = (table["dpar"] == "") & table["class"].isin(["b", "Intercept"])
    assert table.loc[wide, "prior"].tolist() == {
        "categorical": ["normal(0, 5)", "normal(0, 3)"],
        "dirichlet": ["normal(0, 2)", "(flat)"]}[case["id"]]
    table = table[~wide]
    assert prior_mismatches(table, case["prior_table"]) == []
    sources = {(row["class"], row["dpar"]): row["source"] for row in case["prior_table"]
               if not row["coef"]}
    ours = table[table["coef"] == ""]
    assert {(row["class"], row["dpar"]): row["source"]
            for _, row in ours.iterrows()} == sources


def test_global_priors_of_categorical_families_follow_brms_in_the_corners():
    from reference import FAMILY_REFERENCE_DIR

    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "categorical.csv")
    wide = ml.prior("normal(0, 5)", class_="b")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # brms copies the prior alone, not its bounds
        code = str(ml.model_code("choice ~ x", data, "categorical",
                                 prior=ml.prior("normal(0, 5)", class_="b", lb=0)))
        assert 'b_mub = pm.Normal("b_mub", mu=0.0, sigma=5.0' in code
        # an empty prior of a category is filled by the global one
        table = ml.get_prior("choice ~ x", data, "categorical",
                             prior=[wide, ml.prior("", class_="b", dpar="mub")])
        assert table.loc[(table["dpar"] == "mub") & (table["class"] == "b"),
                         "prior"].tolist() == ["normal(0, 5)"] * 2
        # on a class no category has, it matches no parameter, as brms says
        with pytest.raises(PriorError, match="do not correspond to any model parameter"):
            ml.get_prior("choice ~ 1", data, "categorical", prior=wide)
        with pytest.raises(PriorError, match="normal\\(0, 5\\) on class 'b' is given more"):
            ml.get_prior("choice ~ x", data, "categorical", prior=[wide, wide])
    # get_prior() lists a category-wide row of a class some category has, as brms
    for formula, classes in [("choice ~ 1", ["Intercept"]), ("choice ~ 0 + x", ["b"]),
                             ("choice ~ x", ["b", "Intercept"])]:
        table = ml.get_prior(formula, data, "categorical")
        assert table.loc[table["dpar"] == "", "class"].tolist() == classes


DIRICHLET_VECTORS = json.loads((Path(__file__).parent / "reference" / "priors"
                                / "dirichlet_vectors.json").read_text())["cases"]


@pytest.mark.parametrize("case", DIRICHLET_VECTORS, ids=lambda case: case["id"])
def test_a_vector_of_dirichlet_concentrations_is_brms(case):
    """brms's dirichlet(c(1, 0.5, 0.5)) on a monotonic effect's simplex (its vignette) or a
    mixture's proportions: the table shows it, the model's concentrations are brms's Stan
    data (tests/reference/priors/make_dirichlet_vectors.R)."""
    from reference import FAMILY_REFERENCE_DIR

    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / f"{case['data']}.csv")
    family = {"monotonic": "gaussian", "mixture": ml.mixture("gaussian", "gaussian")}[case["id"]]
    user = {"monotonic": ml.prior("dirichlet(c(1, 0.5, 0.5))", class_="simo",
                                  coef="moincome1"),
            "mixture": ml.prior("dirichlet(c(2, 1))", class_="theta")}[case["id"]]
    table = ml.get_prior(case["formula"], data, family, prior=user)
    assert prior_mismatches(table, case["prior_table"]) == []
    written = [row["prior"] for row in case["prior_table"] if row["source"] == "user"]
    assert table.loc[table["source"] == "user", "prior"].tolist() == written
    model = ml.make_model(case["formula"], data, family, prior=user)
    name = {"monotonic": "con_simo_moincome", "mixture": "con_theta"}[case["id"]]
    assert model[name].get_value().tolist() == case["concentration_values"]
    # one concentration per element of the simplex, or one for all
    wrong = ml.prior("dirichlet(c(1, 2, 3, 4))", class_=user.class_, coef=user.coef)
    with pytest.raises(PriorError, match="takes one concentration or"):
        ml.get_prior(case["formula"], data, family, prior=wrong)


def test_prior_table_layout_matches_brms(sleepstudy):
    table = ml.get_prior("Reaction ~ Days + (Days | Subject)", sleepstudy)
    assert list(table.columns) == ["prior", "class", "coef", "group", "resp", "dpar", "nlpar",
                                   "lb", "ub", "tag", "source"]
    assert table[["prior", "class", "coef", "group", "lb", "source"]].values.tolist() == [
        ["(flat)", "b", "", "", "", "default"],
        ["(flat)", "b", "Days", "", "", "(vectorized)"],
        ["lkj(1)", "cor", "", "", "", "default"],
        ["lkj(1)", "cor", "", "Subject", "", "(vectorized)"],
        ["student_t(3, 288.7, 59.3)", "Intercept", "", "", "", "default"],
        ["student_t(3, 0, 59.3)", "sd", "", "", "0", "default"],
        ["student_t(3, 0, 59.3)", "sd", "", "Subject", "0", "(vectorized)"],
        ["student_t(3, 0, 59.3)", "sd", "Days", "Subject", "0", "(vectorized)"],
        ["student_t(3, 0, 59.3)", "sd", "Intercept", "Subject", "0", "(vectorized)"],
        ["student_t(3, 0, 59.3)", "sigma", "", "", "0", "default"],
    ]


def test_user_priors_are_set_and_inherited(sleepstudy):
    table = ml.get_prior(
        "Reaction ~ Days + (Days | Subject)", sleepstudy,
        prior=[ml.prior("normal(0, 10)", class_="b", coef="Days"),
               ml.prior("exponential(0.1)", class_="sd", group="Subject"),
               ml.prior("lkj(2)", class_="cor")],
    ).set_index(["class", "coef", "group"])
    assert table.loc[("b", "Days", ""), ["prior", "source"]].tolist() == ["normal(0, 10)", "user"]
    assert table.loc[("b", "", ""), "prior"] == "(flat)"
    assert table.loc[("sd", "", "Subject"), ["prior", "source"]].tolist() == [
        "exponential(0.1)", "user"]
    assert table.loc[("sd", "Days", "Subject"), ["prior", "source"]].tolist() == [
        "exponential(0.1)", "(vectorized)"]
    assert table.loc[("sd", "", ""), "prior"] == "student_t(3, 0, 59.3)"
    assert table.loc[("cor", "", "Subject"), "prior"] == "lkj(2)"


def test_brms_218_spelling_of_correlation_prior(sleepstudy):
    table = ml.get_prior("Reaction ~ Days + (Days | Subject)", sleepstudy,
                         prior=ml.prior("lkj_corr_cholesky(3)", class_="L"))
    assert "lkj(3)" in table.loc[table["class"] == "cor", "prior"].tolist()


def test_prior_on_missing_parameter_lists_valid_ones(sleepstudy):
    with pytest.raises(PriorError) as error:
        ml.get_prior("Reaction ~ Days + (Days | Subject)", sleepstudy,
                     prior=ml.prior("normal(0, 1)", class_="b", coef="Dayz"))
    message = str(error.value)
    assert "do not correspond to any model parameter" in message
    assert "coef 'Dayz'" in message and "Did you mean 'Days'" in message
    assert "(class='b', coef='Days')" in message
    assert "(class='sd', coef='Intercept', group='Subject')" in message


def test_prior_on_missing_group(sleepstudy):
    with pytest.raises(PriorError, match="group 'Subjects'"):
        ml.get_prior("Reaction ~ Days + (Days | Subject)", sleepstudy,
                     prior=ml.prior("normal(0, 1)", class_="sd", group="Subjects"))


def test_prior_on_class_the_family_lacks(sleepstudy):
    with pytest.raises(PriorError, match="class 'shape'"):
        ml.get_prior("Reaction ~ Days", sleepstudy, prior=ml.prior("gamma(1, 1)", class_="shape"))


def test_duplicated_prior(sleepstudy):
    with pytest.raises(PriorError, match="Duplicated prior"):
        ml.get_prior("Reaction ~ Days", sleepstudy,
                     prior=[ml.prior("normal(0, 1)", coef="Days"),
                            ml.prior("normal(0, 2)", coef="Days")])


def test_lower_bounded_prior_on_unbounded_parameter_warns(sleepstudy):
    with pytest.warns(UserWarning, match="exponential has a lower bound"):
        ml.get_prior("Reaction ~ Days", sleepstudy,
                     prior=ml.prior("exponential(1)", coef="Days"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ml.get_prior("Reaction ~ Days", sleepstudy, prior=ml.prior("exponential(1)",
                                                                    class_="sigma"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("normal(0)", "normal takes 2 argument(s) (mu, sigma), got 1"),
        ("nromal(0, 1)", "Did you mean 'normal'"),
        ("normal(0, -1)", "sigma of 'normal(0, -1)' must be positive"),
        ("normal(a, 1)", "must be a number, got 'a'"),
        ("normal 0 1", "Cannot parse prior"),
        ("uniform(2, 1)", "lower < upper"),
    ],
)
def test_unparseable_priors(text, fragment):
    with pytest.raises(PriorError) as error:
        ml.prior(text)
    assert fragment in str(error.value)


def test_stan_spelling_round_trips():
    assert str(parse_distribution("student_t(3, 288.7, 59.3)")) == "student_t(3, 288.7, 59.3)"
    assert parse_distribution("") == Distribution("flat")
    assert str(parse_distribution("(flat)")) == "(flat)"


def test_lkj_only_on_correlations(sleepstudy):
    with pytest.raises(PriorError, match="lkj\\(\\) applies to class 'cor' only"):
        ml.get_prior("Reaction ~ Days", sleepstudy, prior=ml.prior("lkj(2)", class_="b"))
    with pytest.raises(PriorError, match="correlations take lkj"):
        ml.get_prior("Reaction ~ Days + (Days | Subject)", sleepstudy,
                     prior=ml.prior("normal(0, 1)", class_="cor"))


def test_bare_string_prior_is_rejected(sleepstudy):
    with pytest.raises(PriorError, match="ml.prior"):
        ml.get_prior("Reaction ~ Days", sleepstudy, prior="normal(0, 1)")


def test_prior_draws_have_their_priors_moments_and_build_no_c_code(sleepstudy, monkeypatch):
    """sample_prior="yes" draws every prior at once, a truncated one and an LKJ correlation
    included, on Python's implementations: C code would take seconds to build."""
    import numpy as np
    from pytensor.link.c.cmodule import ModuleCache
    from scipy import stats

    from multilevel.families import get_family
    from multilevel.priors.sampling import draw_priors
    from multilevel.priors.table import build_prior_table
    from multilevel.spec.design import build_design
    from multilevel.spec.formula import parse_formula

    def c_code(*args, **kwargs):
        raise AssertionError("C code was asked for")

    monkeypatch.setattr(ModuleCache, "module_from_key", c_code)
    design = build_design(parse_formula("Reaction ~ Days + (Days | Subject)"), sleepstudy,
                          get_family("gaussian"))
    table = build_prior_table(design, [ml.prior("normal(5, 2)", class_="sd"),
                                       ml.prior("lkj(2)", class_="cor"),
                                       ml.prior("normal(0, 3)", class_="b")])
    draws = draw_priors(design, table, 20_000, seed=4)
    # in the order of brms's Stan code
    assert list(draws) == ["prior_b", "prior_Intercept", "prior_sigma", "prior_sd_Subject",
                           "prior_cor_Subject"]
    # normal(5, 2) truncated at zero
    truncated = stats.truncnorm(-2.5, np.inf, loc=5, scale=2)
    assert draws["prior_sd_Subject"].min() >= 0
    assert draws["prior_sd_Subject"].mean() == pytest.approx(truncated.mean(), abs=0.05)
    assert draws["prior_b"].std() == pytest.approx(3, rel=0.03)
    # one correlation of LKJ(2) on two coefficients is 2 Beta(2, 2) - 1: sd sqrt(1/5)
    assert draws["prior_cor_Subject"].std() == pytest.approx(np.sqrt(1 / 5), rel=0.03)
    assert abs(draws["prior_cor_Subject"].mean()) < 0.02
    assert draws.notna().all().all()


def test_a_truncated_student_t_prior_is_drawn_and_a_hopeless_one_is_refused(sleepstudy):
    """PyMC's student_t has no CDF at infinity, through which it would draw a truncated one:
    such priors are drawn by rejection from the whole prior."""
    import numpy as np
    from scipy import stats

    from multilevel.families import get_family
    from multilevel.priors.sampling import draw_priors
    from multilevel.priors.table import build_prior_table
    from multilevel.spec.design import build_design
    from multilevel.spec.formula import parse_formula

    design = build_design(parse_formula("Reaction ~ Days + (1 | Subject)"), sleepstudy,
                          get_family("gaussian"))
    table = build_prior_table(design, [ml.prior("student_t(3, 5, 2)", class_="sd")])
    drawn = draw_priors(design, table, 4000, seed=2)["prior_sd_Subject"].to_numpy()
    whole = stats.t(3, loc=5, scale=2)
    below = whole.cdf(0.0)

    def truncated_cdf(x):
        return (whole.cdf(np.maximum(x, 0.0)) - below) / (1 - below)

    assert drawn.min() >= 0 and drawn.size == 4000
    assert stats.kstest(drawn, truncated_cdf).pvalue > 1e-4
    # a hundred-millionth of its mass above zero
    hopeless = build_prior_table(design, [ml.prior("student_t(3, -500, 1)", class_="sd")])
    with pytest.raises(PriorError, match=r"student_t\(3, -500, 1\) of class sd \(group Subj"):
        draw_priors(design, hopeless, 100, seed=1)


def test_bounds_restrict_a_whole_class_as_brms():
    data = ml.load_dataset("sleepstudy")
    table = ml.get_prior("Reaction ~ Days + (1 | Subject)", data, prior=[
        ml.prior("normal(0, 10)", class_="b", lb=0, ub=20),
        ml.prior("normal(0, 100)", class_="sigma", ub=80)])
    rows = table.set_index(["class", "coef"])
    assert rows.loc[("b", ""), ["lb", "ub"]].tolist() == ["0", "20"]
    assert rows.loc[("b", "Days"), ["lb", "ub", "source"]].tolist() == ["0", "20",
                                                                       "(vectorized)"]
    # sigma keeps its own lower bound, as brms
    assert rows.loc[("sigma", ""), ["lb", "ub"]].tolist() == ["0", "80"]


@pytest.mark.parametrize(("arguments", "message"), [
    ({"coef": "Days", "lb": 0}, "coef .* may not be given with lb or ub"),
    ({"lb": 2, "ub": 1}, "lb .2. must be below ub .1."),
    ({"lb": "zero"}, "lb of prior .* must be a finite number"),
    ({"ub": float("inf")}, "ub of prior .* must be a finite number"),
])
def test_malformed_bounds_are_named(arguments, message):
    with pytest.raises(PriorError, match=message):
        ml.prior("normal(0, 1)", **arguments)


def test_bounds_on_brms_own_bounded_classes_are_refused():
    data = ml.load_dataset("sleepstudy")
    with pytest.raises(PriorError, match="class 'sd' are brms's own"):
        ml.get_prior("Reaction ~ Days + (1 | Subject)", data,
                     prior=ml.prior("normal(0, 10)", class_="sd", lb=1))


def test_bounded_priors_survive_saving(tmp_path):
    from multilevel.results.storage import priors_from_json, priors_to_json

    priors = (ml.prior("normal(0, 10)", class_="b", lb=0), ml.prior("normal(0, 1)"))
    assert priors_from_json(json.loads(json.dumps(priors_to_json(priors)))) == priors


def test_prior_draws_respect_both_bounds():
    from multilevel.api import _design
    from multilevel.priors.sampling import draw_priors
    from multilevel.priors.table import build_prior_table

    design = _design("Reaction ~ Days", ml.load_dataset("sleepstudy"), "gaussian")
    table = build_prior_table(design, ml.prior("normal(0, 10)", class_="b", lb=-1, ub=2))
    draws = draw_priors(design, table, 2000, seed=1)["prior_b"]
    assert draws.min() >= -1 and draws.max() <= 2
    # a normal(0, 10) cut to [-1, 2] is nearly flat there: its mean is near the middle
    assert abs(draws.mean() - 0.5) < 5 * draws.std() / np.sqrt(len(draws))


@pytest.mark.parametrize(("text", "written", "args"), [
    ("horseshoe(1)", "horseshoe(1)", (1.0, 1.0, 1.0, 2.0, 4.0, 0.0, 1.0)),
    ("horseshoe()", "horseshoe()", (1.0, 1.0, 1.0, 2.0, 4.0, 0.0, 1.0)),
    ("horseshoe(df=3,par_ratio=0.1)", "horseshoe(df = 3, par_ratio = 0.1)",
     (3.0, 1.0, 1.0, 2.0, 4.0, 0.1, 1.0)),
    # R matches names first, then the rest by position
    ("horseshoe(scale_slab = 1, 5, 0.5, autoscale = FALSE)",
     "horseshoe(scale_slab = 1, 5, 0.5, autoscale = FALSE)", (5.0, 0.5, 1.0, 1.0, 4.0, 0.0, 0.0)),
    # mean_R2, prec_R2, autoscale, then one concentration or one per coefficient
    ("R2D2()", "R2D2()", (0.5, 2.0, 1.0, 1.0)),
    ("R2D2(0.3, cons_D2 = c(1, 2.5))", "R2D2(0.3, cons_D2 = c(1, 2.5))",
     (0.3, 2.0, 1.0, 1.0, 2.5)),
    ("R2D2(prec_R2 = 4, autoscale = FALSE)", "R2D2(prec_R2 = 4, autoscale = FALSE)",
     (0.5, 4.0, 0.0, 1.0)),
    ("lasso()", "lasso()", (1.0, 1.0)),
    ("lasso(scale = 0.5, 2)", "lasso(scale = 0.5, 2)", (2.0, 0.5)),
])
def test_special_priors_are_read_as_r_matches_their_arguments(text, written, args):
    distribution = parse_distribution(text)
    assert (str(distribution), distribution.args) == (written, args)


@pytest.mark.parametrize(("text", "message"), [
    ("horseshoe(0)", "Degrees of freedom of the local priors must be a single positive"),
    ("horseshoe(scale_global = -1)", "Scale of the global prior must be a single positive"),
    ("horseshoe(df_slab = 0)", "Degrees of freedom of the slab part must be"),
    ("horseshoe(par_ratio = 0)", "Argument 'par_ratio' must be greater 0"),
    ("horseshoe(autoscale = 2)", "autoscale must be TRUE or FALSE"),
    ("horseshoe(dof = 3)", "unknown or repeated argument 'dof'"),
    ("horseshoe(1, 1, 1, 1, 1, 1, TRUE, 1)", "at most 7 arguments"),
    ("R2D2(1)", "Mean of the R2 prior must be a single number in \\(0, 1\\)"),
    ("R2D2(prec_R2 = 0)", "Precision of the R2 prior must be a single positive number"),
    ("R2D2(cons_D2 = c(1, -1))", "Concentration of the D2 prior must be a vector of positive"),
    ("R2D2(mean_R2 = c(0.2, 0.3))", "Mean of the R2 prior must be a single number"),
    ("lasso(0)", "Degrees of freedom of the shrinkage parameter prior must be a single"),
    ("lasso(scale = -1)", "Scale of the Laplace priors must be a single positive number"),
    ("lasso(lambda = 1)", "unknown or repeated argument 'lambda'"),
])
def test_a_bad_special_prior_gets_brms_message(text, message):
    with pytest.raises(PriorError, match=message):
        parse_distribution(text)


@pytest.mark.parametrize(("formula", "priors", "message"), [
    ("Reaction ~ Days + x + (1 | Subject)", [ml.prior("horseshoe(1)"),
                                             ml.prior("normal(0, 1)", coef="x")],
     "Defining separate priors for single coefficients is not allowed"),
    ("Reaction ~ Days + (1 | Subject)", [ml.prior("horseshoe(1)", lb=0)],
     "Setting boundaries on coefficients is not allowed"),
    ("Reaction ~ Days + (1 | Subject)", [ml.prior("horseshoe(1)", class_="sd")],
     "horseshoe\\(\\) applies to the population-level effects as a whole"),
    ("Reaction ~ Days + (1 | Subject)", [ml.prior("horseshoe(1)", coef="Days")],
     "horseshoe\\(\\) applies to the population-level effects as a whole"),
    (ml.bf("Reaction ~ Days", sigma="~ Days"), [ml.prior("horseshoe(1)", dpar="sigma")],
     "on the mean's population-level effects only, not on those of 'sigma'"),
    ("Reaction ~ Days + s(x, k = 5)", [ml.prior("horseshoe(1)")],
     "not supported here in a model with s\\(\\) or mo\\(\\) terms"),
])
def test_horseshoe_follows_brms_rules(sleepstudy, formula, priors, message):
    data = sleepstudy.assign(x=np.sin(sleepstudy["Days"] + np.arange(len(sleepstudy)) / 7))
    with pytest.raises(PriorError, match=message):
        ml.get_prior(formula, data, prior=priors)


def test_horseshoe_is_one_hierarchy_kept_out_of_the_draws(sleepstudy):
    """brms's horseshoe: b = zb * lambda_tilde * hs_global; hs_global's scale is sigma's
    multiple (autoscale) where sigma is not predicted, and par_ratio / sqrt(N) sets it."""
    data = sleepstudy.assign(x=np.cos(np.arange(len(sleepstudy))))
    table = ml.get_prior("Reaction ~ Days + x", data, prior=[ml.prior("horseshoe(1)")])
    rows = table[table["class"] == "b"]
    assert rows["prior"].tolist() == ["horseshoe(1)"] * 3
    assert rows["source"].tolist() == ["user", "(vectorized)", "(vectorized)"]
    model = ml.make_model("Reaction ~ Days + x", data, prior=[ml.prior("horseshoe(1)")])
    assert {"zb", "hs_local", "hs_global", "hs_slab"} <= {v.name for v in model.free_RVs}
    # brms's autoscale: the global scale is sigma's multiple
    assert model["sigma"] in ancestors([model["hs_global"]])
    # without sigma, par_ratio / sqrt(N) is the global scale
    counts = data.assign(y=(data["Reaction"] > 300).astype(int))
    logistic = ml.make_model("y ~ Days + x", counts, "bernoulli",
                             prior=[ml.prior("horseshoe(par_ratio = 0.5)")])
    scale = logistic["hs_global"].owner.inputs[-1].eval()
    assert scale == pytest.approx(0.5 / np.sqrt(len(counts)))


def test_r2d2_and_lasso_follow_brms_rules(sleepstudy):
    data = sleepstudy.assign(x=np.cos(np.arange(len(sleepstudy))))
    with pytest.raises(PriorError, match="Defining separate priors for single coefficients"):
        ml.get_prior("Reaction ~ Days + x", data,
                     prior=[ml.prior("R2D2()"), ml.prior("normal(0, 1)", coef="x")])
    with pytest.raises(PriorError, match="lasso\\(\\) applies to the population-level"):
        ml.get_prior("Reaction ~ Days + (1 | Subject)", data,
                     prior=[ml.prior("lasso()", class_="sd")])
    with pytest.raises(PriorError, match="'cons_D2' of the R2D2 prior must be of length 1 or 2"):
        ml.make_model("Reaction ~ Days + x", data, prior=[ml.prior("R2D2(cons_D2 = c(1, 2, 3))")])


def test_r2d2_and_lasso_are_brms_hierarchies(sleepstudy):
    """brms's R2D2: b = zb * sqrt(R2D2_phi * R2D2_tau2), R2D2_tau2 = sigma^2 R2 / (1 - R2)
    where it autoscales; its lasso: b ~ double_exponential(0, scale * lasso_inv_lambda)."""
    data = sleepstudy.assign(x=np.cos(np.arange(len(sleepstudy))))
    model = ml.make_model("Reaction ~ Days + x", data, prior=[ml.prior("R2D2(cons_D2 = 2)")])
    assert {"zb", "R2D2_R2", "R2D2_phi"} <= {v.name for v in model.free_RVs}
    assert model["sigma"] in ancestors([model["b"]])
    np.testing.assert_array_equal(model["R2D2_phi"].owner.inputs[-1].eval(), [2.0, 2.0])
    binary = data.assign(y=(data["Reaction"] > 300).astype(int))
    logistic = ml.make_model("y ~ Days", binary, "bernoulli", prior=[ml.prior("R2D2()")])
    # one coefficient: its share is 1, as Stan's simplex[1]; no sigma to scale by
    assert "R2D2_phi" not in {v.name for v in logistic.free_RVs}
    assert logistic["R2D2_phi"].eval().tolist() == [1.0]
    lasso = ml.make_model("y ~ Days + x", binary, "bernoulli",
                          prior=[ml.prior("lasso(df = 2, scale = 0.5)")])
    assert {"b", "lasso_inv_lambda"} <= {v.name for v in lasso.free_RVs}
    assert lasso["lasso_inv_lambda"] in ancestors([lasso["b"]])


def test_rows_follow_r_collation_as_brms_orders_them(sleepstudy):
    """brms sorts its table with R's order(), which collates as ICU: punctuation before
    digits (brms 2.18's get_prior() lists x_a before x2, sx_1 before sx2_1)."""
    data = sleepstudy.assign(x_a=np.sin(np.arange(len(sleepstudy))),
                             x2=np.cos(np.arange(len(sleepstudy))))
    table = ml.get_prior("Reaction ~ x2 + x_a", data)
    assert table.loc[table["class"] == "b", "coef"].tolist() == ["", "x_a", "x2"]
    smooths = ml.get_prior("Reaction ~ s(x2, k = 5) + s(x_a, k = 5)", data)
    assert smooths.loc[smooths["class"] == "b", "coef"].tolist() == ["", "sx_a_1", "sx2_1"]


def test_a_constant_prior_holds_its_parameter(sleepstudy):
    """brms's constant(): the parameter is assigned, not sampled; its draws are the value
    (brms 2.18's Stan code: b[2] = 1; sigma = 30)."""
    priors = [ml.prior("constant(1)", coef="Days"), ml.prior("constant(30)", class_="sigma"),
              ml.prior("constant(20)", class_="sd", group="Subject")]
    table = ml.get_prior("Reaction ~ Days + (1 | Subject)", sleepstudy, prior=priors)
    held = table[table["prior"].str.startswith("constant")]
    assert held[["class", "coef", "source"]].values.tolist() == [
        ["b", "Days", "user"], ["sd", "", "user"], ["sd", "Intercept", "(vectorized)"],
        ["sigma", "", "user"]]
    model = ml.make_model("Reaction ~ Days + (1 | Subject)", sleepstudy, prior=priors)
    free = {v.name for v in model.free_RVs}
    assert not free & {"sigma", "sd_Subject", "b[Days]"}
    assert "Intercept" in free
    assert float(model["sigma"].eval()) == 30.0
    np.testing.assert_array_equal(model["sd_Subject"].eval(), [20.0])


@pytest.mark.parametrize(("family", "formula", "prior", "message"), [
    ("gaussian", "Reaction ~ Days", ("constant(-1)", {"class_": "sigma"}),
     "outside the parameter's bounds \\[0, Inf\\]"),
    ("gaussian", "Reaction ~ Days", ("constant(5)", {"lb": 6}),
     "outside the parameter's bounds \\[6, Inf\\]"),
    ("cumulative", "rating ~ Days", ("constant(1)", {"class_": "Intercept"}),
     "holding an ordinal model's thresholds is not supported"),
    ("gaussian", "Reaction ~ Days", ("constant(a)", {"class_": "sigma"}),
     "Argument value of 'constant\\(a\\)' must be a number"),
])
def test_a_bad_constant_prior_is_named(sleepstudy, family, formula, prior, message):
    data = sleepstudy.assign(rating=pd.cut(sleepstudy["Reaction"], 4, labels=False) + 1)
    with pytest.raises(PriorError, match=message):
        ml.get_prior(formula, data, family, prior=[ml.prior(prior[0], **prior[1])])


def _prior_numbers(table, class_, coef=""):
    row = table[(table["class"] == class_) & (table["coef"] == coef)].iloc[0]
    return [float(n) for n in re.findall(r"-?\d+\.?\d*", row["prior"])]


def test_lprior_sums_the_priors_as_brms_stan_code(sleepstudy):
    """brms's lprior: student_t_lpdf(Intercept | ...), normal_lpdf(b | ...), each sd's and
    sigma's half-t (student_t_lpdf - student_t_lccdf(0)) and lkj_corr_cholesky_lpdf(L | 2),
    for 2 x 2 log(3/4) + log(1 - r^2); the standard normal effects are not in it."""
    formula = "Reaction ~ Days + (Days | Subject)"
    priors = [ml.prior("normal(10, 5)", class_="b"), ml.prior("lkj(2)", class_="cor")]
    table = ml.get_prior(formula, sleepstudy, prior=priors)
    model = ml.make_model(formula, sleepstudy, prior=priors)
    rng = np.random.default_rng(1)
    draws = 5
    intercept, b = rng.normal(300, 20, (1, draws)), rng.normal(10, 5, (1, draws, 1))
    sd, sigma = rng.uniform(1, 40, (1, draws, 2)), rng.uniform(1, 40, (1, draws))
    cor = rng.uniform(-0.9, 0.9, (1, draws, 1))
    posterior = xr.Dataset({
        "Intercept": (("chain", "draw"), intercept), "b": (("chain", "draw", "b_dim"), b),
        "sd_Subject": (("chain", "draw", "sd_dim"), sd), "sigma": (("chain", "draw"), sigma),
        "cor_Subject": (("chain", "draw", "cor_dim"), cor),
        # draws of a variable outside the sum are not read
        "r_Subject": (("chain", "draw", "level", "coef"), rng.normal(size=(1, draws, 18, 2)))})
    df, location, scale = _prior_numbers(table, "Intercept")
    half_t = stats.t(df, 0, _prior_numbers(table, "sd")[2])
    expected = (stats.t(df, location, scale).logpdf(intercept)
                + stats.norm(10, 5).logpdf(b).sum(axis=-1)
                + (half_t.logpdf(sd) + np.log(2)).sum(axis=-1)
                + stats.t(df, 0, _prior_numbers(table, "sigma")[2]).logpdf(sigma) + np.log(2)
                + np.log(0.75) + np.log1p(-cor[..., 0] ** 2))
    lprior = lprior_draws(model, posterior)
    assert lprior.dims == ("chain", "draw")
    # PyMC's half-t adds log(2) in single precision (pt.log of an integer), 1.9e-9 off
    np.testing.assert_allclose(lprior, expected, rtol=0, atol=1e-8)


@pytest.mark.parametrize("size", [3, 4])
def test_lprior_of_a_correlation_matrix_is_stans_lkj_on_its_cholesky_factor(size):
    """Stan's lkj_corr_cholesky_lpdf(L | eta), sum over i = 2..K of (K - i + 2 eta - 2)
    log L_ii less the normalising constant, from correlations in brms's order of pairs."""
    from multilevel.model.lkj import correlations, lkj_log_normaliser, with_lkj_lprior
    rng = np.random.default_rng(size)
    factors = [np.linalg.cholesky(np.corrcoef(rng.normal(size=(size, size + 3))))
               for _ in range(3)]
    eta = 1.5
    with pm.Model() as model:
        raw = pm.Flat("raw", shape=(size, size))
        stored = with_lkj_lprior(pm.Deterministic("cor", correlations(raw, size)), [size], eta)
    entries = np.stack([[(f @ f.T)[j, i] for i in range(1, size) for j in range(i)]
                        for f in factors])
    lprior = lprior_draws(model, xr.Dataset({"cor": (("chain", "draw", "pair"),
                                                     entries[None])}))
    expected = [sum((size - i + 2 * eta - 2) * np.log(f[i - 1, i - 1])
                    for i in range(2, size + 1)) - lkj_log_normaliser(size, eta)
                for f in factors]
    assert stored is model["cor"]
    np.testing.assert_allclose(lprior.to_numpy()[0], expected, rtol=1e-12)


@pytest.mark.slow
def test_lprior_is_kept_and_arviz_measures_the_priors_pull_with_it(sleepstudy):
    """brms keeps lprior after the other parameters; ArviZ's power-scaling sensitivity reads
    it from the log_prior group: a normal(0, 1) prior on Days's slope (about 10 in the data)
    pulls its posterior, flat b and the default sigma prior do not."""
    formula = "Reaction ~ Days + (Days | Subject)"
    tight = ml.brm(formula, sleepstudy, prior=ml.prior("normal(0, 1)", class_="b"), seed=3,
                   draws=500, warmup=500, progressbar=False)
    flat = ml.brm(formula, sleepstudy, seed=3, draws=500, warmup=500, progressbar=False)
    columns = tight.as_draws_df().columns.tolist()
    assert columns[-4:] == ["lprior", ".chain", ".iteration", ".draw"]
    assert tight.posterior_summary().index[-1] == "lprior"
    np.testing.assert_array_equal(tight.idata.log_prior["lprior"], tight.idata.posterior["lprior"])
    sensitivity = {name: az.psens(fit.idata, component="prior", var_names=["b", "sigma"])
                   for name, fit in (("tight", tight), ("flat", flat))}
    assert sensitivity["tight"]["b"].item() > 0.05
    assert sensitivity["flat"]["b"].item() < 0.05
    assert sensitivity["tight"]["sigma"].item() < 0.05


PRIOR_DRAW_ORDER = Path(__file__).parent / "reference" / "priors" / "prior_draw_order"
PRIOR_DRAW_MODELS = {
    "slopes": ("y ~ x + (1 + x | g)", "gaussian", [ml.prior("normal(0, 1)", class_="b")]),
    "distributional": (
        ml.bf("y ~ x + mo(z) + (1 + x | g) + (1 | h)", "sigma ~ x + (1 | g)"), "gaussian",
        [ml.prior("normal(0, 1)", class_="b"), ml.prior("normal(0, 1)", class_="b",
                                                        dpar="sigma")]),
    "student": ("y ~ x + (1 | g)", "student", []),
    "mixture": ("y ~ x + (1 | g)", ml.mixture("gaussian", "gaussian"),
                [ml.prior("normal(0, 1)", class_="Intercept", dpar="mu1"),
                 ml.prior("normal(1, 1)", class_="Intercept", dpar="mu2")]),
    "nonlinear": (ml.bf("y ~ b1 * exp(-lambda * x)", "b1 ~ 1 + z + (1 | g)",
                        "lambda ~ 1 + (1 | g)", nl=True), "gaussian",
                  [ml.prior("normal(5, 2)", nlpar="b1"), ml.prior("normal(0, 1)",
                                                                  nlpar="lambda")]),
}


@pytest.mark.parametrize("name", PRIOR_DRAW_MODELS)
def test_prior_draws_are_in_brms_order(name):
    """sample_prior="yes" draws' columns in brms 2.18's order (make_prior_draw_order.R):
    the mean's b and Intercept, its monotonic simplexes and effects, the other parameters in
    the family's order, a mixture's proportions, each group's sds and correlations."""
    from multilevel.api import _design
    from multilevel.priors.sampling import draw_priors
    from multilevel.priors.table import build_prior_table

    formula, family, priors = PRIOR_DRAW_MODELS[name]
    data = pd.read_csv(PRIOR_DRAW_ORDER.with_suffix(".csv"))
    design = _design(formula, data, family)
    draws = draw_priors(design, build_prior_table(design, priors or None), 10, seed=1)
    expected = json.loads(PRIOR_DRAW_ORDER.with_suffix(".json").read_text())[name]
    assert list(draws) == expected

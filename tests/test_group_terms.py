"""brms's gr(): options of a group term, and sds by the levels of a column (gr(g, by = arm)).

The posterior of `y ~ arm + x + (1 + x | gr(g, by = arm))` is compared with brms's in
test_families.py (the `grouped_by` reference)."""

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.spec.design import build_design
from multilevel.spec.formula import parse_formula
from reference import FAMILY_REFERENCE_DIR

# the fit below is short: enough for names and new levels, not for brms's ESS standards
pytestmark = pytest.mark.filterwarnings("ignore:.*Effective Samples Size:UserWarning")


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    return pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "grouped_by.csv")


def test_gr_options_read_as_brms_reads_them():
    (term,) = parse_formula("y ~ x + (1 + x | gr(g, by = arm))").group_terms
    assert (term.factors, term.by, term.correlated, term.id) == (("g",), "arm", True, "")
    (term,) = parse_formula("y ~ (x | gr(g, cor = FALSE))").group_terms
    assert not term.correlated and term.by == ""
    (term,) = parse_formula('y ~ (x | gr(a:b, id = "p", dist = "gaussian"))').group_terms
    assert (term.factors, term.id, term.group) == (("a", "b"), "p", "a:b")
    # the same model as lme4's syntax
    plain = parse_formula("y ~ (1 | g)").group_terms[0]
    assert parse_formula("y ~ (1 | gr(g))").group_terms[0].factors == plain.factors


def test_uncorrelated_gr_is_the_double_bar(trial):
    family = ml.get_family("gaussian")
    written = build_design(parse_formula("y ~ x + (1 + x | gr(g, cor = FALSE))"), trial, family)
    double = build_design(parse_formula("y ~ x + (1 + x || g)"), trial, family)
    assert [(b.coefs, b.correlated) for b in written.blocks] == \
        [(b.coefs, b.correlated) for b in double.blocks]
    assert ml.get_prior("y ~ x + (1 + x | gr(g, cor = FALSE))", trial).equals(
        ml.get_prior("y ~ x + (1 + x || g)", trial))


def test_each_by_level_has_its_own_sds_and_correlations(trial):
    design = build_design(parse_formula("y ~ x + (1 + x | gr(g, by = arm)) + (0 + x | h)"),
                          trial.assign(h=np.tile(["a", "b"], len(trial) // 2)),
                          ml.get_family("gaussian"))
    block = design.blocks[0]
    assert block.by_levels == ["control", "treated"]
    # the first twelve classes are in the control arm
    assert block.level_by.tolist() == [0] * 12 + [1] * 12
    assert design.group_sd_names("g") == ["Intercept:armcontrol", "x:armcontrol",
                                          "Intercept:armtreated", "x:armtreated"]
    assert design.correlation_names("g") == ["Intercept:armcontrol__x:armcontrol",
                                             "Intercept:armtreated__x:armtreated"]
    assert design.group_coefs("g") == ["Intercept", "x"]
    assert design.group_sd_names("h") == ["x"]


def test_an_uncorrelated_by_term_lists_each_levels_sds_together(trial):
    design = build_design(parse_formula("y ~ x + (1 + x || gr(g, by = arm))"), trial,
                          ml.get_family("gaussian"))
    # brms's order: a by level's coefficients, then the next level's
    assert design.group_sd_names("g") == ["Intercept:armcontrol", "x:armcontrol",
                                          "Intercept:armtreated", "x:armtreated"]
    assert design.correlation_names("g") == []
    assert parse_formula("y ~ (1 | gr(g, by = NULL))").group_terms[0].by == ""


def test_by_levels_are_named_without_whitespace_only(trial):
    data = trial.assign(arm=trial["arm"].map({"control": "low dose", "treated": "high-dose+"}))
    design = build_design(parse_formula("y ~ x + (1 | gr(g, by = arm))"), data,
                          ml.get_family("gaussian"))
    assert design.group_sd_names("g") == ["Intercept:armhigh-dose+", "Intercept:armlowdose"]


def test_equations_index_the_sds_by_the_by_level_with_crossed_factors(trial):
    data = trial.assign(h=np.resize(["a", "b", "c"], len(trial)))
    lines = str(ml.equation("y ~ x + (1 + x | gr(g, by = arm)) + (1 | h)", data,
                            priors=True)).splitlines()
    assert any(r"\Sigma_{\mathrm{arm}[j]})" in line and "with sds by" in line for line in lines)
    assert any(line.startswith(r"\mathrm{corr}(\Sigma_{\mathrm{arm}[j]})") for line in lines)


def test_rows_missing_the_by_column_are_dropped_with_a_warning(trial):
    data = trial.assign(arm=trial["arm"].where(trial.index != 3))
    with pytest.warns(UserWarning, match="1 of 308 rows"):
        table = ml.get_prior("y ~ x + (1 | gr(g, by = arm))", data)
    assert "sd" in set(table["class"])


def test_a_model_with_sds_by_a_column_keeps_brms_form(trial):
    with pytest.raises(ml.MultilevelError, match="sds by the levels of a column"):
        ml.brm("y ~ x + (1 | gr(g, by = arm))", trial, parametrization="collapsed",
               progressbar=False)


@pytest.fixture(scope="module")
def by_fit(trial):
    data = trial.assign(z=np.random.default_rng(5).normal(size=len(trial)))
    return ml.brm("y ~ arm + x + (1 + x | gr(g, by = arm)) + (0 + z | g)", data, chains=2,
                  draws=300, warmup=300, seed=3, progressbar=False)


@pytest.mark.slow
def test_summary_and_varcorr_name_each_by_level_as_brms(by_fit):
    text = str(by_fit.summary())
    for label in ("sd(Intercept:armcontrol)", "sd(x:armtreated)",
                  "cor(Intercept:armtreated,x:armtreated)"):
        assert label in text
    assert {"sd_g__Intercept:armcontrol", "cor_g__Intercept:armcontrol__x:armcontrol"} <= \
        set(by_fit.as_draws_df().columns)
    sd = by_fit.varcorr()["g"]["sd"]
    assert sd.index.tolist() == ["Intercept:armcontrol", "x:armcontrol",
                                 "Intercept:armtreated", "x:armtreated", "z"]
    with pytest.raises(ml.MultilevelError, match="one per level of its by column"):
        by_fit.icc()


@pytest.mark.slow
def test_new_levels_are_drawn_within_their_by_level(by_fit):
    draws = by_fit.as_draws_df()
    new = pd.DataFrame({"x": [0.0], "z": [0.0], "arm": ["treated"], "g": ["new"]})
    population = (draws["b_Intercept"] + draws["b_armtreated"]).to_numpy()
    # one fitted level for all draws: a treated class's, never a control one's
    effect = by_fit.posterior_linpred(new, allow_new_levels=True, sample_new_levels="old_levels",
                                      seed=4)[:, 0] - population
    levels = [f"g{k:02d}" for k in range(1, 25)]
    matching = [level for level in levels
                if np.allclose(effect, draws[f"r_g[{level},Intercept]"])]
    assert len(matching) == 1 and int(matching[0][1:]) > 12
    # from the treated arm's sd: standard normal once divided by it
    effect = by_fit.posterior_linpred(new, allow_new_levels=True, sample_new_levels="gaussian",
                                      seed=4)[:, 0] - population
    scaled = effect / draws["sd_g__Intercept:armtreated"].to_numpy()
    count = len(scaled)
    assert abs(scaled.mean()) < 4 / np.sqrt(count)
    assert abs(scaled.std() - 1) < 4 / np.sqrt(2 * count)
    # a term without a by column draws from its own sd
    at_one = new.assign(z=1.0)
    effect = by_fit.posterior_linpred(at_one, allow_new_levels=True, re_formula="~ (0 + z | g)",
                                      sample_new_levels="gaussian", seed=4)[:, 0] - population
    scaled = effect / draws["sd_g__z"].to_numpy()
    assert abs(scaled.std() - 1) < 4 / np.sqrt(2 * count)
    with pytest.raises(ml.DataError, match="needs one of 'control', 'treated' per level"):
        by_fit.fitted(pd.DataFrame({"x": [0.0, 0.0], "z": 0.0, "arm": ["control", "treated"],
                                    "g": ["new", "new"]}), allow_new_levels=True)


@pytest.mark.slow
def test_conditional_effects_with_group_terms_take_the_by_column(by_fit):
    figure = by_fit.conditional_effects("x", re_formula=None,
                                        conditions={"arm": "treated", "g": "g20"})
    assert figure.axes

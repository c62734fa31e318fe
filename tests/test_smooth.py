"""Smooth terms ``s(x)`` in models, against brms 2.18 references made with
tests/reference/families (the bases themselves: test_smooth_basis.py)."""

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.errors import DataError, FormulaError
from multilevel.spec.design import build_design
from multilevel.spec.formula import parse_formula
from reference import (
    FAMILY_REFERENCE_DIR,
    brms_efficiency,
    family_reference_names,
    fit_with_warnings,
    fitted_mismatches,
    load_reference,
    mixing_problems,
    posterior_mismatches,
    prior_mismatches,
    reference_family,
    reference_variables,
)

MODELS = family_reference_names("smooth")
# brms met divergent transitions in all four (14, 6, 10 and 37 of 4000) at the sds's funnel;
# the fits here use adapt_delta = 0.95
RARE_DIVERGENCES = 20


def reference_model(name):
    reference = load_reference(name, FAMILY_REFERENCE_DIR)
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / reference["data"])
    return reference, data


def test_references_cover_a_grid_a_continuous_covariate_and_by():
    assert {reference_model(name)[0]["formula"] for name in MODELS} == {
        "Reaction ~ s(Days) + (1 | Subject)", "y ~ s(x) + (1 | g)",
        "y ~ cond + s(time, by = cond) + (1 | id)", "count ~ s(x, by = z) + (1 | g)"}


@pytest.mark.parametrize("name", MODELS)
def test_default_priors_equal_brms(name):
    reference, data = reference_model(name)
    table = ml.get_prior(reference["formula"], data, reference_family(reference))
    assert prior_mismatches(table, reference["prior"]) == []


def _brms_in_our_signs(reference, data):
    """brms's summary with each ``s_`` coefficient whose penalised column has the other sign
    (LAPACK's choice, see multilevel.spec.smooth) negated; brms's n-th smooth (one per level
    of a factor by) has the columns Zs_<n>_1."""
    design = build_design(parse_formula(reference["formula"]), data,
                          reference_family(reference))
    flip = set()
    for number, part in enumerate(design.smooths, start=1):
        columns = part.basis.Zr
        ours = np.sign(columns[np.argmax(np.abs(columns), axis=0), np.arange(columns.shape[1])])
        theirs = np.asarray(reference["spline_signs"][f"Zs_{number}_1"])
        flip |= {f"s_{part.label}[{j + 1}]" for j in np.flatnonzero(ours != theirs)}
    rows = []
    for row in reference["summary"]:
        row = dict(row)
        if row["variable"] in flip:
            row["mean"] = -row["mean"]
            row["2.5%"], row["97.5%"] = -row["97.5%"], -row["2.5%"]
        rows.append(row)
    return rows


@pytest.mark.parametrize(("formula", "error", "message"), [
    ("Reaction ~ s(Label)", DataError, "s\\(Label\\).*must be numeric"),
    ("Reaction ~ s(Days, k = 12)", DataError, "at least 12 unique values"),
    ("Reaction ~ s(Days, m = 3)", FormulaError, "'m = 3' is not supported"),
    ("Reaction ~ te(Days, Label)", FormulaError, "te\\(\\) terms are not supported"),
    ("Reaction ~ s(Dayz)", FormulaError, "Column 'Dayz' used in s\\(Dayz\\)"),
    ("Reaction ~ s(Days, by = Rank)", FormulaError,
     "'Rank', the by of 's\\(Days, by = Rank\\)', is an ordered categorical"),
    ("Reaction ~ s(Days, by = Dayz)", FormulaError,
     "Column 'Dayz' used in s\\(Days, by = Dayz\\)"),
    ("Reaction ~ s(Days, by = Subject, k = 12)", DataError, "at least 12 unique values"),
])
def test_bad_smooths_are_named(formula, error, message):
    data = ml.load_dataset("sleepstudy").assign(Label=lambda d: "day" + d["Days"].astype(str))
    data["Rank"] = pd.Categorical(data["Label"], ordered=True)
    with pytest.raises(error, match=message):
        ml.get_prior(formula, data)


@pytest.fixture(scope="module")
def fits():
    results = {}
    for name in MODELS:
        reference, data = reference_model(name)
        # half brms's draws: the comparisons' tolerances follow both fits' ESS
        fit, messages = fit_with_warnings(reference["formula"], data, reference_family(reference),
                                          seed=20261202,
                                          draws=500, warmup=500, target_accept=0.95,
                                          progressbar=False)
        results[name] = (reference, data, fit, messages)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_posterior_equals_brms(fits, name):
    reference, data, fit, messages = fits[name]
    assert posterior_mismatches(fit, _brms_in_our_signs(reference, data)) == []
    assert mixing_problems(fit, reference["summary"]) == []
    assert int(fit.idata.sample_stats["diverging"].sum()) <= RARE_DIVERGENCES
    brms_names = [row["variable"] for row in reference["summary"]]
    assert reference_variables(fit, reference) == brms_names


@pytest.mark.slow
def test_summary_and_predictions_use_the_smooth(fits):
    _, data, fit, _ = fits["smooth"]
    summary = fit.summary()
    assert summary.splines.index.tolist() == ["sds(sx_1)"]
    assert "sx_1" in summary.fixed.index
    assert str(summary).index("Smoothing Spline Hyperparameters:") < str(summary).index(
        "Multilevel Hyperparameters:")
    # new rows are evaluated on the fitted basis: the fitted rows again give the same values
    again = fit.fitted(newdata=data.iloc[:6], seed=1)["Estimate"].to_numpy()
    assert np.allclose(again, fit.fitted(seed=1)["Estimate"].to_numpy()[:6])
    figure = fit.conditional_effects()
    assert figure.axes[0].get_xlabel() == "x"


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_posterior_smooths_equal_brms(fits, name):
    """brms's posterior_smooths() at ten points over its variable's range (a sum of the
    spline's columns, whatever their signs), within both fits' Monte Carlo error; brms's
    conditional_smooths() summarises the same draws by their median and mad()."""
    reference, _, fit, _ = fits[name]
    records = reference["posterior_smooths"]
    (term,) = {record["smooth"] for record in records}
    smooth = fit.design.smooths[0].term
    variable = smooth.variable
    grid = pd.DataFrame({variable: [record["value"] for record in records]})
    if smooth.by is not None:  # over the by's levels, or a numeric by's mean and mean +- sd
        by = pd.Series([record["by"] for record in records])
        grid[smooth.by] = by.astype(float) if fit.design.data[smooth.by].dtype.kind == "f" else by
    draws = fit.posterior_smooths(term, newdata=grid)
    chains = fit.idata.posterior.sizes["chain"]
    assert fitted_mismatches(draws.reshape(chains, -1, len(grid)), records,
                             brms_efficiency(fit, reference["summary"])) == []
    figure = fit.conditional_smooths(resolution=10)
    frame = figure[f"mu: {term}"]
    assert list(frame.columns) == [variable, *([smooth.by] if smooth.by else []), "effect1__",
                                   "cond__", "estimate__", "se__", "lower__", "upper__"]
    np.testing.assert_allclose(frame[variable], grid[variable])
    np.testing.assert_allclose(frame["estimate__"], np.median(draws, axis=0))
    np.testing.assert_allclose(figure.axes[0].lines[0].get_ydata(), frame["estimate__"][:10])
    # a panel per level of a factor by, per value of a numeric by, as brms's facets
    assert len(figure.axes) == frame["cond__"].nunique()
    with pytest.raises(ml.MultilevelError, match=r"'s\(z\)' cannot be found. Valid smooth "
                                                 r"terms are: s\(" + variable):
        fit.posterior_smooths("s(z)")


@pytest.mark.slow
def test_a_by_factors_smooths_take_only_its_fitted_levels(fits):
    _, data, fit, _ = fits["smooth_by"]
    summary = fit.summary()
    assert summary.splines.index.tolist() == ["sds(stimecondcontrol_1)", "sds(stimecondearly_1)",
                                              "sds(stimecondlate_1)"]
    assert {"stime:condcontrol_1", "stime:condearly_1", "stime:condlate_1"} <= set(
        summary.fixed.index)
    rows = data.iloc[:3].assign(cond="delayed")
    with pytest.raises(DataError, match="New factor levels are not allowed for 'cond' of "
                                        "'s\\(time, by = cond\\)'.*Levels found: 'delayed'"):
        fit.posterior_smooths("s(time, by = cond)", newdata=rows)
    # each row's smooth is its own level's: the other levels' columns are zero there
    alone = fit.posterior_smooths("s(time,by=cond)", newdata=data.iloc[:3])
    np.testing.assert_allclose(alone, fit.posterior_smooths("s(time, by = cond)")[:, :3])

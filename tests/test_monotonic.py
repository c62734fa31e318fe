"""brms's monotonic effects mo(x): parsing, data checks, priors and predictions; the posterior
is compared with brms 2.18 in test_families.py (references ``monotonic`` and
``monotonic_interaction``)."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.errors import DataError, FormulaError, PriorError
from multilevel.plots.effect_variables import held_values, population_effects
from multilevel.spec.design import build_design
from multilevel.spec.formula import parse_formula
from reference import FAMILY_REFERENCE_DIR

FORMULA = "ls ~ mo(income) + x + (1 | g)"


@pytest.fixture(scope="module")
def incomes():
    return pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "monotonic.csv")


def test_positions_count_from_the_smallest_value_or_first_category(incomes):
    design = build_design(parse_formula(FORMULA), incomes, ml.gaussian)
    part, = design.monotonic
    assert part.size == 3 and part.minimum == 1
    np.testing.assert_array_equal(part.values, incomes["income"] - 1)
    labels = pd.Categorical(incomes["income"].map({1: "a", 2: "b", 3: "c", 4: "d"}),
                            categories=["a", "b", "c", "d"], ordered=True)
    part, = build_design(parse_formula(FORMULA), incomes.assign(income=labels),
                         ml.gaussian).monotonic
    np.testing.assert_array_equal(part.values, incomes["income"] - 1)
    np.testing.assert_array_equal(part.positions(pd.Series(["d", "a"])), [3, 0])


@pytest.mark.parametrize(("formula", "message"), [
    ("ls ~ mo(income):mo(x)", "take one mo"),
    ("ls ~ mo(income) * x * g", r"supported as mo\(x\):z or mo\(x\) \* z"),
    ("ls ~ mo(income):log(x)", "numeric columns"),
    ("ls ~ x - mo(income)", "cannot be removed"),
    ("ls ~ mo(log(income))", "one column of the data"),
])
def test_malformed_monotonic_terms_are_named(incomes, formula, message):
    with pytest.raises(FormulaError, match=message):
        ml.get_prior(formula, incomes)


@pytest.mark.parametrize(("formula", "coefs"), [
    # brms's names: mo() first from '*', the written order from ':'
    ("ls ~ mo(income) * x", ["moincome", "moincome:x"]),
    ("ls ~ x * mo(income)", ["moincome", "moincome:x"]),
    ("ls ~ x:mo(income)", ["x:moincome"]),
    # a repeated term is one term, as R reads it, and main effects come first
    ("ls ~ mo(income) + mo(income)", ["moincome"]),
    ("ls ~ mo(income):x + mo(income) * x", ["moincome", "moincome:x"]),
])
def test_monotonic_terms_are_named_and_ordered_as_brms(formula, coefs):
    assert [m.coef for m in parse_formula(formula).monotonic] == coefs


def test_default_effects_and_held_values_of_an_interaction(incomes):
    model = SimpleNamespace(design=build_design(parse_formula("ls ~ mo(income) * x"), incomes,
                                                ml.get_family("gaussian")))
    assert population_effects(model) == [("x",), ("income",), ("income", "x")]
    # brms holds a whole-number monotonic predictor at its rounded mean
    held = held_values(model, None)["income"]
    assert held == np.round(incomes["income"].mean())


def test_missing_values_of_new_rows_are_named(incomes):
    data = incomes.assign(bracket=pd.Categorical(incomes["income"], ordered=True))
    fit_design = build_design(parse_formula("ls ~ mo(bracket):x"), data,
                              ml.get_family("gaussian"))
    with pytest.raises(DataError, match="'bracket' of the new data has missing values"):
        fit_design.monotonic[0].positions(data["bracket"].where(data.index != 0))


def test_an_interaction_is_the_monotonic_term_times_its_columns(incomes):
    spec = parse_formula("ls ~ x * mo(income) + (1 | g)")
    # R's x + mo(income) + x:mo(income), named as brms names them, mo() first
    assert spec.population == "x"
    assert [(m.coef, m.simplex, m.covariates) for m in spec.monotonic] == [
        ("moincome", "moincome1", ()), ("moincome:x", "moincome:x1", ("x",))]
    table = ml.get_prior("ls ~ x * mo(income) + (1 | g)", incomes)
    # in brms's order, R's order() collating ':' before digits (monotonic_interaction.json)
    assert table.loc[table["class"] == "simo", "coef"].tolist() == ["moincome:x1", "moincome1"]
    with pytest.raises(DataError, match="column 'g' is of type"):
        ml.get_prior("ls ~ mo(income):g", incomes)


def test_a_distributional_parameter_takes_no_monotonic_effect(incomes):
    with pytest.raises(FormulaError, match="formula of the response"):
        ml.get_prior(ml.bf("ls ~ x", sigma="~ mo(income)"), incomes)


@pytest.mark.parametrize(("values", "message"), [
    ([1.5, 2, 3, 1] * 5, "not whole numbers"),
    (["a", "b", "a", "c"] * 5, "of type"),
    ([2, 2, 2, 2] * 5, "single value"),
])
def test_monotonic_predictors_must_be_ordinal(values, message):
    data = pd.DataFrame({"y": np.arange(20.0), "v": values})
    with pytest.raises(DataError, match=f"'v'.*{message}"):
        ml.get_prior("y ~ mo(v)", data)
    unordered = data.assign(v=pd.Categorical(["a", "b"] * 10))
    with pytest.raises(DataError, match="unordered categorical"):
        ml.get_prior("y ~ mo(v)", unordered)


def test_the_simplex_takes_a_dirichlet_prior_and_only_it_does(incomes):
    table = ml.get_prior(FORMULA, incomes,
                         prior=ml.prior("dirichlet(2)", class_="simo", coef="moincome1"))
    assert table.loc[table["class"] == "simo", "prior"].tolist() == ["dirichlet(2)"]
    with pytest.raises(PriorError, match="takes dirichlet"):
        ml.get_prior(FORMULA, incomes, prior=ml.prior("normal(0, 1)", class_="simo",
                                                      coef="moincome1"))
    with pytest.raises(PriorError, match="takes dirichlet"):
        ml.get_prior(FORMULA, incomes, prior=ml.prior("dirichlet(1)", class_="b"))


def test_new_values_outside_the_data_are_named(incomes):
    part, = build_design(parse_formula(FORMULA), incomes, ml.gaussian).monotonic
    with pytest.raises(DataError, match="'income'.*5 outside the range.*1 to 4"):
        part.positions(pd.Series([2, 5]))
    labels = pd.Categorical(["a", "b"] * 10, categories=["a", "b"], ordered=True)
    data = pd.DataFrame({"y": np.arange(20.0), "v": labels})
    part, = build_design(parse_formula("y ~ mo(v)"), data, ml.gaussian).monotonic
    with pytest.raises(DataError, match="'v'.*'z'.*not among the categories"):
        part.positions(pd.Series(["a", "z"]))


def test_prior_draws_of_a_monotonic_effect_are_named_as_brms(incomes):
    """brms's sample_prior: prior_bsp for the coefficients of mo() terms, prior_simo_moX1[k]
    for each element of the simplex, from its Dirichlet."""
    from multilevel.api import _design
    from multilevel.priors.sampling import draw_priors
    from multilevel.priors.table import build_prior_table

    design = _design("ls ~ mo(income) + x", incomes, "gaussian")
    table = build_prior_table(design, [ml.prior("normal(0, 20)", class_="b"),
                                       ml.prior("dirichlet(2)", class_="simo",
                                                coef="moincome1")])
    draws = draw_priors(design, table, 4000, seed=1)
    simplex = [f"prior_simo_moincome1[{k}]" for k in (1, 2, 3)]
    assert {"prior_bsp", *simplex} <= set(draws.columns)
    np.testing.assert_allclose(draws[simplex].sum(axis=1), 1.0)
    # a Dirichlet(2, 2, 2): each element's mean 1/3, its sd sqrt(2/63)
    assert np.all(np.abs(draws[simplex].mean() - 1 / 3) < 5 * np.sqrt(2 / 63 / 4000))
    assert abs(draws["prior_bsp"].std() - 20) < 5 * 20 / np.sqrt(2 * 4000)


def test_a_hypothesis_on_a_monotonic_effect_reads_its_class_prior_draws():
    from multilevel.results.hypothesis import _prior_column

    priors = pd.DataFrame({"prior_b": [0.0], "prior_bsp": [0.0]})
    assert _prior_column("bsp_moincome", priors) == "prior_bsp"
    assert _prior_column("b_x", priors) == "prior_b"

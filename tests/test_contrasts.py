"""An ordered factor coded by R's polynomial contrasts, as brms codes it."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.errors import FormulaError
from multilevel.families import get_family
from multilevel.spec.contrasts import polynomial_contrasts, polynomial_labels
from multilevel.spec.design import build_design
from multilevel.spec.formula import parse_formula
from multilevel.spec.newdata import new_data_design

# contr.poly(n) for n = 2 to 12, written by R (reference/contrasts/contr_poly.R)
CONTR_POLY = pd.read_csv(Path(__file__).parent / "reference" / "contrasts" / "contr_poly.csv")
LEVELS = ["low", "mid", "high", "top", "max"]


def design(formula, data):
    return build_design(parse_formula(formula), data, get_family("gaussian"))


def ordered_data() -> pd.DataFrame:
    """The data of brms 2.18's names below: five levels used, a sixth unused (brms drops it)."""
    return pd.DataFrame({
        "y": [1.2, 0.4, 2.2, 1.9, 3.1, 2.5, 0.3, 1.1, 2.8, 1.7, 0.9, 2.0],
        "z": np.linspace(-1, 1, 12), "f": list("abc") * 4, "g": list("uuuuuuvvvvvv"),
        "o": pd.Categorical(["low", "mid", "high", "top", "max", "mid"] * 2,
                            categories=[*LEVELS, "never"], ordered=True)})


@pytest.mark.parametrize("count", range(2, 13))
def test_polynomial_contrasts_equal_r(count):
    expected = CONTR_POLY[CONTR_POLY["levels"] == count]
    columns = list(dict.fromkeys(expected["column"]))
    assert polynomial_labels(count) == columns
    matrix = expected["value"].to_numpy().reshape(len(columns), count).T
    # R and NumPy orthogonalise the powers by different Householder codes (LINPACK, LAPACK);
    # the powers of degree ten and more are ill conditioned enough to differ by 1e-13
    np.testing.assert_allclose(polynomial_contrasts(count), matrix, rtol=0, atol=1e-12)


# brms 2.18's make_standata(formula, data = ordered_data())$X column names
BRMS_COLUMNS = {
    "y ~ o": ["o.L", "o.Q", "o.C", "oE4"],
    "y ~ 0 + o": ["olow", "omid", "ohigh", "otop", "omax"],
    "y ~ o * z": ["o.L", "o.Q", "o.C", "oE4", "z", "o.L:z", "o.Q:z", "o.C:z", "oE4:z"],
    "y ~ f + o:f": ["fb", "fc", "fa:o.L", "fb:o.L", "fc:o.L", "fa:o.Q", "fb:o.Q", "fc:o.Q",
                    "fa:o.C", "fb:o.C", "fc:o.C", "fa:oE4", "fb:oE4", "fc:oE4"],
    "y ~ o:z": ["olow:z", "omid:z", "ohigh:z", "otop:z", "omax:z"],
    "y ~ z + o + f": ["z", "o.L", "o.Q", "o.C", "oE4", "fb", "fc"],
}


@pytest.mark.parametrize("formula", BRMS_COLUMNS)
def test_an_ordered_predictor_has_brms_columns(formula):
    assert design(formula, ordered_data()).b_names == BRMS_COLUMNS[formula]


def test_an_ordered_predictor_is_coded_by_the_contrasts_of_its_used_levels():
    data = ordered_data()
    d = design("y ~ o", data)
    rows = data["o"].cat.codes.to_numpy()
    np.testing.assert_allclose(d.X, polynomial_contrasts(5)[rows], atol=1e-15)
    # new rows, some levels only, given as the categorical or as strings
    for values in (data["o"].iloc[[4, 1]], ["max", "mid"]):
        new = new_data_design(d, pd.DataFrame({"o": values}), [])
        np.testing.assert_allclose(new.X, polynomial_contrasts(5)[[4, 1]],
                                   atol=1e-15)


def test_an_ordered_group_term_has_brms_names():
    table = ml.get_prior("y ~ z + (o | g)", ordered_data())
    sds = table[(table["class"] == "sd") & (table["group"] == "g")]
    assert sorted(sds["coef"]) == ["", "Intercept", "o.C", "o.L", "o.Q", "oE4"]


def test_a_design_built_again_from_its_frame_keeps_the_contrasts():
    # a saved fit, update() and kfold() build the design again from the design's frame
    d = design("y ~ o + f", ordered_data())
    assert design("y ~ o + f", d.data).b_names == d.b_names == ["o.L", "o.Q", "o.C", "oE4",
                                                                "fb", "fc"]
    np.testing.assert_array_equal(design("y ~ o + f", d.data).X, d.X)


def test_an_ordered_factor_in_factor_or_relevel_is_refused_by_name():
    for formula in ("y ~ factor(o)", "y ~ relevel(o, 'mid')"):
        with pytest.raises(FormulaError, match=r"'o' is an ordered categorical.*as_unordered"):
            design(formula, ordered_data())
    with pytest.raises(FormulaError, match=r"factors of f:o by their contrasts.*\(f \* o\)"):
        design("y ~ o:f", ordered_data())


def test_unordered_monotonic_and_compared_uses_keep_their_coding():
    data = ordered_data()
    assert design("y ~ o", data.assign(o=data["o"].cat.as_unordered())).b_names == [
        "omid", "ohigh", "otop", "omax"]
    assert design("y ~ mo(o)", data).monotonic
    assert design("y ~ I(o == 'low')", data).b_names == ["IoEQEQlowTRUE"]

"""R's regression splines, ns() and bs(), in formulas, as brms's model matrices hold them."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.errors import FormulaError
from multilevel.families import get_family
from multilevel.spec.design import build_design
from multilevel.spec.formula import parse_formula
from multilevel.spec.newdata import new_data_design
from multilevel.spec.splines import RNaturalSpline

# R's bs() and ns() of x on its rows and on new values (reference/splines/check_splines.R)
SPLINES = Path(__file__).parent / "reference" / "splines"
R_BASES = pd.read_csv(SPLINES / "splines.csv")
X = pd.read_csv(SPLINES / "splines_x.csv")["x"].to_numpy()
NEW = np.array([-1.5, 0.2, 3.3, 7.75, 9.9, 12])


def design(formula, data):
    return build_design(parse_formula(formula), data, get_family("gaussian"))


def r_basis(case: str, rows: str) -> np.ndarray:
    entries = R_BASES[(R_BASES["case"] == case) & (R_BASES["rows"] == rows)]
    basis = np.zeros((entries["row"].max(), entries["column"].max()))
    basis[entries["row"] - 1, entries["column"] - 1] = entries["value"]
    return basis


@pytest.mark.parametrize("case", list(dict.fromkeys(R_BASES["case"])))
def test_a_spline_basis_equals_r_on_the_rows_and_on_new_values(case):
    data = pd.DataFrame({"y": np.linspace(0, 1, len(X)), "x": X})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = design(f"y ~ {case}", data)
    np.testing.assert_allclose(fitted.X, r_basis(case, "fit"), rtol=0, atol=1e-12)
    # rows beyond boundary knots given by Boundary.knots: R's bs() warns of them too
    assert any("beyond boundary knots" in str(w.message) for w in caught) == (
        case.startswith("bs(") and X.min() < 1 and "c(1, 10)" in case)
    # new values beyond the boundary knots are extrapolated as R's predict() does
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        new = new_data_design(fitted, pd.DataFrame({"x": NEW}), [])
    np.testing.assert_allclose(new.X, r_basis(case, "new"), rtol=0, atol=1e-12)
    beyond = [str(w.message) for w in caught if "beyond boundary knots" in str(w.message)]
    assert bool(beyond) == case.startswith("bs(")


# brms 2.18's get_prior() coefficient names of the same formulas
BRMS_NAMES = {
    "y ~ ns(x, df = 3) + bs(x, df = 4)": ["nsxdfEQ31", "nsxdfEQ32", "nsxdfEQ33", "bsxdfEQ41",
                                          "bsxdfEQ42", "bsxdfEQ43", "bsxdfEQ44"],
    "y ~ ns(x, knots = c(2.5, 6))": ["nsxknotsEQc2.561", "nsxknotsEQc2.562",
                                     "nsxknotsEQc2.563"],
    "y ~ bs(x, df = 4, degree = 2)": ["bsxdfEQ4degreeEQ21", "bsxdfEQ4degreeEQ22",
                                      "bsxdfEQ4degreeEQ23", "bsxdfEQ4degreeEQ24"],
    "y ~ ns(x, 3)": ["nsx31", "nsx32", "nsx33"],
    "y ~ ns(x, df = 4, intercept = TRUE)": [f"nsxdfEQ4interceptEQTRUE{k}" for k in range(1, 5)],
    "y ~ ns(x, df = 2):z": ["nsxdfEQ21:z", "nsxdfEQ22:z"],
    "y ~ ns(x, df = 3, Boundary.knots = c(0, 9))": [
        f"nsxdfEQ3Boundary.knotsEQc09{k}" for k in range(1, 4)],
}


@pytest.mark.parametrize("formula", BRMS_NAMES)
def test_spline_columns_have_brms_names(formula):
    data = pd.DataFrame({"y": np.linspace(0, 1, len(X)), "x": X, "z": np.cos(X)})
    assert design(formula, data).b_names == BRMS_NAMES[formula]


def test_a_group_term_takes_the_spline_columns():
    data = pd.DataFrame({"y": np.linspace(0, 1, len(X)), "x": X, "g": list("abcd") * 10})
    table = ml.get_prior("y ~ ns(x, df = 2) + (ns(x, df = 2) | g)", data)
    sds = table[(table["class"] == "sd") & (table["group"] == "g")]
    assert sorted(sds["coef"]) == ["", "Intercept", "nsxdfEQ21", "nsxdfEQ22"]


def test_the_knots_come_from_every_row_with_a_value_as_in_r():
    # R evaluates ns(x) on the whole data before it drops the rows missing the response
    y = np.where(np.arange(len(X)) % 4 == 0, np.nan, np.linspace(0, 1, len(X)))
    with pytest.warns(UserWarning, match="10 of 40 rows"):
        fitted = design("y ~ ns(x, df = 3)", pd.DataFrame({"y": y, "x": X}))
    every_row = RNaturalSpline()(X, df=3)
    np.testing.assert_allclose(fitted.X, every_row[~np.isnan(y)], rtol=0, atol=1e-14)


def test_an_unknown_spline_argument_is_named():
    data = pd.DataFrame({"y": np.linspace(0, 1, len(X)), "x": X})
    with pytest.raises(FormulaError, match="ns\\(\\) has no argument 'boundary'.*Boundary.knots"):
        design("y ~ ns(x, df = 3, boundary = c(0, 9))", data)


def test_c_is_for_arguments_only():
    data = pd.DataFrame({"y": np.linspace(0, 1, len(X)), "x": X, "z": np.cos(X)})
    with pytest.raises(FormulaError, match=r"calls c\(\) as a term.*ns\(x, knots = c\(2, 5\)\)"):
        design("y ~ c(x, z)", data)

"""brms's category-specific effects ``cs(x)`` of ordinal models.

In brms's sequential (``sratio``, ``cratio``) and adjacent-category (``acat``) models, and
experimentally in its cumulative model, a predictor inside ``cs()`` has one coefficient per
threshold: row n compares its linear predictor with the thresholds ``Intercept[k] - x_n *
bcs_x[k]`` instead of one effect shared by all of them. The columns are brms's: the
expression's model matrix as R codes it with an intercept (a factor's first level the
reference), without the intercept column and without centring.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, FamilyError, FormulaError
from ..families.family import Family
from ..names import coefficient_name
from .evaluation import design_matrix, evaluate_new_data, in_r_term_order, r_ordered_frame

# a call of cs() (or brms's older name cse()) anywhere in a term
CATEGORY_SPECIFIC_CALL = re.compile(r"(?<![A-Za-z0-9_.])cse?\s*\(")
# the families whose thresholds may vary by row, and the one brms allows with a warning
_FAMILIES = ("sratio", "cratio", "acat")
_EXPERIMENTAL = ("cumulative",)


@dataclass(frozen=True)
class CategorySpecificTerm:
    """A ``cs(x)`` term of the formula.

    Attributes
    ----------
    expression
        The formula expression inside ``cs()``: ``treat``, ``treat + carry``.
    text
        The term as written, for messages.
    """

    expression: str
    text: str


def parse_category_specific(arguments: str, term: str) -> CategorySpecificTerm:
    """A ``cs(expr)`` term; ``cs()``'s intercept ``cs(1)`` belongs in group terms, which
    are not supported, and is a named error here as in brms."""
    pieces = [piece.strip() for piece in re.split(r"\s*\+\s*", arguments.strip())]
    kept = [piece for piece in pieces if piece not in ("0", "1", "-1", "")]
    if not kept:
        raise FormulaError(f"{term!r}: cs() needs a predictor, as in cs(treat).")
    return CategorySpecificTerm(" + ".join(kept), term)


@dataclass
class CategorySpecificPart:
    """The ``cs()`` terms evaluated on the data.

    Attributes
    ----------
    X
        The columns, rows x coefficients, uncentred.
    names
        brms's names of the coefficients (``treat``; its variables ``bcs_treat[1]``, ...).
    terms
        formulae's matrix, to evaluate the columns on new data.
    """

    X: np.ndarray
    names: list[str]
    terms: object

    def new_rows(self, frame: pd.DataFrame) -> np.ndarray:
        """The columns on new data, with the fitted data's codings."""
        values = evaluate_new_data(self.terms, frame, "cs()")
        names = [coefficient_name(str(c)) for c in r_ordered_frame(self.terms).columns]
        return values[:, [names.index(name) for name in self.names]]


def category_specific_part(terms: tuple[CategorySpecificTerm, ...], frame: pd.DataFrame,
                           family: Family, b_names: list[str]) -> CategorySpecificPart | None:
    """Evaluate the ``cs()`` terms on the data; None without any.

    Raises
    ------
    FamilyError
        For a family other than brms's ordinal ones.
    FormulaError
        When a column is both category-specific and an ordinary population-level effect.
    """
    if not terms:
        return None
    written = ", ".join(term.text for term in terms)
    if family.name not in _FAMILIES + _EXPERIMENTAL:
        raise FamilyError(
            f"Category specific effects are not supported for family {family.name!r} "
            f"({written}); they apply to the ordinal families "
            f"{', '.join(repr(name) for name in _FAMILIES)} (and, experimentally, "
            "'cumulative').")
    if family.name in _EXPERIMENTAL:
        warnings.warn("Category specific effects for this family should be considered "
                      "experimental and may have convergence issues.", UserWarning,
                      stacklevel=5)
    expression = " + ".join(term.expression for term in terms)
    matrix = design_matrix(in_r_term_order(f"1 + {expression}"), frame,
                           f"the category specific terms {written}")
    table = r_ordered_frame(matrix)
    names = [coefficient_name(str(c)) for c in table.columns]
    keep = [k for k, name in enumerate(names) if name != "Intercept"]
    X = table.to_numpy(dtype=float)[:, keep]
    names = [names[k] for k in keep]
    both = [name for name in names if name in b_names]
    if both:
        raise FormulaError(
            f"{both[0]!r} is both a category specific effect ({written}) and an ordinary "
            "population-level effect; keep one of them.")
    # checks.py, which reads formulas, is not imported here: formula.py imports this module
    for k, name in enumerate(names):
        if not np.all(np.isfinite(X[:, k])):
            raise DataError(f"The category specific column {name!r} has values that are not "
                            "finite (inf or NaN); check its transformation.")
    return CategorySpecificPart(X, names, matrix)

"""R's polynomial contrasts, by which R (and so brms) codes an ordered factor.

A pandas categorical with ``ordered=True`` is R's ordered factor. R's ``model.matrix()``
codes it by ``contr.poly()``: orthonormal polynomials of its level positions, the columns
``o.L``, ``o.Q``, ``o.C``, ``o^4``, ... (brms names them ``b_o.L`` ... ``b_oE4``), where an
unordered factor gets treatment contrasts; where R codes a factor by all its levels (no
intercept, or an interaction without the factor's main effect) both take one column per level.

formulae codes a data column by treatment contrasts only, and its ``C()`` checks the levels
of new data against the fitted ones as sets, so a prediction on some of the levels fails.
So a formula's ordered factor ``o`` is evaluated as the call ``ordered_R(o)``, a
:class:`formulae.categorical.CategoricalBox` with :class:`RPolynomial` coding, whose
new-data evaluation takes the fitted levels; :func:`multilevel.names.r_column_name` writes
its columns back as R's.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from formulae.categorical import CategoricalBox, ContrastMatrix, Encoding

from ..errors import FormulaError
from .formula_text import inside_calls

# frame.attrs key listing the data's ordered factors: the columns coded by contr.poly()
POLYNOMIAL_FACTORS = "polynomial_factors"
# the call formulae evaluates an ordered factor as (names.py reads it back)
R_ORDERED = "ordered_R"
# R's contr.poly() refuses more levels: the polynomials lose their orthogonality
_MOST_LEVELS = 95


def polynomial_contrasts(count: int) -> np.ndarray:
    """R's ``contr.poly(count)``: the orthonormal polynomials of degrees 1 to ``count - 1``
    on the scores 1, ..., ``count``, each oriented as the power it comes from.

    Parameters
    ----------
    count
        The number of levels, 2 to 95.

    Returns
    -------
    numpy.ndarray
        A ``(count, count - 1)`` matrix, a row per level.
    """
    if not 2 <= count <= _MOST_LEVELS:
        raise ValueError(f"polynomial contrasts need 2 to {_MOST_LEVELS} levels, not {count}")
    scores = np.arange(1, count + 1, dtype=float)
    powers = np.vander(scores - scores.mean(), count, increasing=True)
    q, r = np.linalg.qr(powers)
    # R scales each of Q's columns by R's diagonal before normalising: the sign of the power
    return (q * np.sign(np.diag(r)))[:, 1:]


def polynomial_labels(count: int) -> list[str]:
    """R's names of the ``count - 1`` polynomial contrasts: ``.L``, ``.Q``, ``.C``, ``^4``..."""
    named = [".L", ".Q", ".C"]
    return [named[d - 1] if d <= 3 else f"^{d}" for d in range(1, count)]


class RPolynomial(Encoding):
    """formulae's coding of an ordered factor as R's: ``contr.poly()`` where the factor is
    coded by contrasts, one indicator per level where it takes all its levels."""

    def code_with_intercept(self, levels):
        return ContrastMatrix(np.eye(len(levels)), [str(level) for level in levels])

    def code_without_intercept(self, levels):
        return ContrastMatrix(polynomial_contrasts(len(levels)),
                              polynomial_labels(len(levels)))


def _ordered_factor(values) -> CategoricalBox:
    series = pd.Series(values)
    levels = (list(series.cat.categories) if isinstance(series.dtype, pd.CategoricalDtype)
              else None)
    plain = np.asarray(series.astype(object))
    # CategoricalBox takes levels (and an ordered categorical's categories) only equal to
    # those present; new data is coded by the fitted levels, which formulae keeps
    if levels is not None and set(plain) != set(levels):
        levels = None
    return CategoricalBox(plain, RPolynomial(), levels)


# the functions formulae evaluates the rewritten expression with
ORDERED_FUNCTIONS = {R_ORDERED: _ordered_factor}
# calls that would make another factor of an ordered one than R does
_FACTOR_CALLS = ("factor", "C", "relevel")


def as_written(text: str) -> str:
    """``text`` with each :data:`R_ORDERED` call written as the column it codes."""
    return re.sub(rf"(?<![\w.]){R_ORDERED}\(([^()]*)\)", lambda m: m.group(1), text)


def _occurrences(column: str, expression: str) -> list[re.Match]:
    return list(re.finditer(rf"(?<![\w.]){re.escape(column)}(?![\w.(])", expression))


def with_polynomial_contrasts(expression: str, columns, where: str) -> str:
    """``expression`` with each of ``columns`` (ordered factors) that is a term's variable
    evaluated as :data:`R_ORDERED`'s call.

    Parameters
    ----------
    expression
        A checked formula expression (:func:`multilevel.spec.evaluation.formula_variables`).
    columns
        The data's ordered factors.
    where
        What the expression is, for messages.

    Returns
    -------
    str
        The expression to evaluate.

    Raises
    ------
    FormulaError
        When an ordered factor is the argument of ``factor()``, ``C()`` or ``relevel()``,
        which R would keep ordered or refuse.
    """
    for column in columns:
        found = _occurrences(column, expression)
        if not found:
            continue
        within = inside_calls(expression)
        for match in found:
            before = expression[:match.start()].rstrip()
            call = re.search(r"([\w.]+)\s*\($", before)
            if call is not None and call.group(1) in _FACTOR_CALLS:
                raise FormulaError(
                    f"{expression!r} in {where}: {column!r} is an ordered categorical, "
                    f"which R codes by polynomial contrasts; {call.group(1)}({column}) is "
                    f"not reproduced here. Write {column} itself for those contrasts, or make "
                    f"it unordered (data[{column!r}] = data[{column!r}].cat.as_unordered()) "
                    "for treatment contrasts.")
        expression = "".join(_rewritten(expression, found, within, column))
    return expression


def _rewritten(expression: str, found: list[re.Match], within: list[bool], column: str):
    position = 0
    for match in found:
        yield expression[position:match.start()]
        yield (match.group(0) if within[match.start()]
               else f"{R_ORDERED}({column})")
        position = match.end()
    yield expression[position:]

"""brms's truncated responses ``y | trunc(lb = 0)``, ``trunc(ub = 10)``, ``trunc(lb, ub)``.

A truncated response is observed only between its bounds: each row's likelihood is the
density divided by the probability of the bounds' interval (for a count, of the values from
``lb`` to ``ub``), as brms's Stan code writes it. A bound is a number or a column, one per
row; ``-Inf`` and ``Inf`` leave that side open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, FamilyError, FormulaError
from ..families.builtin import family_names
from ..families.family import Family
from .evaluation import evaluate_expression
from .formula_text import split_top_level

_ARGUMENTS = ("lb", "ub")
_OPEN = {"lb": ("-Inf", "-inf"), "ub": ("Inf", "inf", "+Inf")}
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?L?$")


def truncation_bounds_text(arguments: str) -> dict[str, str]:
    """The bounds ``trunc()`` gives, by R's argument matching: ``{"lb": "0"}``; an open side
    is left out."""
    written = f"trunc({arguments})"
    bounds: dict[str, str] = {}
    pieces = [piece for _, piece in split_top_level(arguments, ",")] if arguments.strip() else []
    for position, piece in enumerate(pieces):
        key, equals, value = (part.strip() for part in piece.partition("="))
        if equals and key not in _ARGUMENTS:
            raise FormulaError(f"{written}: trunc() has no argument {key!r}; its arguments "
                               "are lb and ub, as in trunc(lb = 0) or trunc(lb = 0, ub = 10).")
        name = key if equals else (_ARGUMENTS[position] if position < 2 else None)
        value = value if equals else key
        if name is None or name in bounds or not value:
            raise FormulaError(f"{written}: give each of lb and ub at most once, as in "
                               "trunc(lb = 0, ub = 10).")
        bounds[name] = value
    bounds = {name: value for name, value in bounds.items() if value not in _OPEN[name]}
    if not bounds:
        raise FormulaError(f"{written} gives no bound; write trunc(lb = 0), trunc(ub = 10) or "
                           "both.")
    return bounds


def bound_columns_text(arguments: str) -> list[str]:
    """The bounds that are expressions of the data's columns, not numbers."""
    return [value for value in truncation_bounds_text(arguments).values()
            if not _NUMBER.match(value)]


@dataclass(frozen=True)
class Truncation:
    """Each row's truncation bounds, None for an open side.

    Attributes
    ----------
    lower, upper
        The bounds per row.
    text
        The addition as written, ``trunc(lb = 0)``, for messages.
    """

    lower: np.ndarray | None
    upper: np.ndarray | None
    text: str

    @property
    def bounds(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """``(lower, upper)``, as the families' log densities and means take them."""
        return self.lower, self.upper

    def rows(self, positions) -> Truncation:
        """The bounds of some rows (a fold's held-out rows)."""
        return Truncation(None if self.lower is None else self.lower[positions],
                          None if self.upper is None else self.upper[positions], self.text)


def _bound(value: str, frame: pd.DataFrame, text: str) -> np.ndarray:
    if _NUMBER.match(value):
        return np.full(len(frame), float(value.rstrip("L")))
    series = evaluate_expression(value, frame, text)
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series):
        raise DataError(f"The bound {value!r} of {text} must be numeric, got {series.dtype}.")
    return series.to_numpy(dtype=float)


def truncation_for_rows(arguments: str, frame: pd.DataFrame) -> Truncation:
    """The bounds of ``trunc(arguments)`` on the rows of ``frame`` (the data or new rows)."""
    text = f"trunc({arguments})"
    bounds = truncation_bounds_text(arguments)
    values = {name: _bound(value, frame, text) for name, value in bounds.items()}
    return Truncation(values.get("lb"), values.get("ub"), text)


def truncation(arguments: str, frame: pd.DataFrame, family: Family, y: np.ndarray) -> Truncation:
    """The bounds of the data's rows, checked against the family and the response.

    Raises
    ------
    FamilyError
        For a family whose truncated likelihood or mean is not available.
    DataError
        When a response lies outside its bounds, or a count's bound is not a whole number.
    """
    bounds = truncation_for_rows(arguments, frame)
    if family.truncated_mean is None:
        raise FamilyError(
            f"{bounds.text} is not supported for family {family.name!r}; truncation applies "
            f"to {', '.join(family_names(lambda f: f.truncated_mean is not None))} responses "
            "(the CDFs of the Student t and the negative binomial have no derivative in their "
            "degrees of freedom and shape for the sampler).")
    for bound in (bounds.lower, bounds.upper):
        if family.discrete and bound is not None and np.any(bound != np.round(bound)):
            raise DataError(f"The bounds of {bounds.text} must be whole numbers for the "
                            f"counts of family {family.name!r}.")
    outside = np.zeros(len(y), dtype=bool)
    if bounds.lower is not None:
        outside |= y < bounds.lower
    if bounds.upper is not None:
        outside |= y > bounds.upper
    if bounds.lower is not None and bounds.upper is not None:
        outside |= bounds.lower >= bounds.upper
    if np.any(outside):
        rows = np.flatnonzero(outside)
        raise DataError(
            f"Some responses are outside of the truncation bounds of {bounds.text}: "
            f"{len(rows)} row(s), the first at position {rows[0]} (value {y[rows[0]]:g}).")
    return bounds

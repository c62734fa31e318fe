"""brms's monotonic effects ``mo(x)`` of ordinal predictors.

A predictor with ordered values 0, 1, ..., D (an ordered categorical's codes, or whole numbers
counted from their smallest) enters the linear predictor as ``bsp * D * sum(simo[1:x])``: the
coefficient ``bsp`` is the effect across the whole range, the simplex ``simo`` the share of it
each step takes, so that the effect never changes direction (Bürkner & Charpentier, 2020).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, FormulaError
from ..names import brms_rename
from .formula_text import split_top_level


@dataclass(frozen=True)
class MonotonicTerm:
    """A ``mo(x)`` term of the formula.

    Attributes
    ----------
    variable
        The column of the ordinal predictor.
    text
        The term as written, for messages.
    covariates
        The numeric columns it is multiplied by in an interaction, ``mo(income):age``.
    """

    variable: str
    text: str
    covariates: tuple[str, ...] = ()
    # where mo() stands among an interaction's variables: brms names mo(x):z "mox:z" and
    # z:mo(x) "z:mox", and mo(x) * z and z * mo(x) alike "mox:z"
    position: int = 0

    @property
    def coef(self) -> str:
        """brms's name of the term: ``moincome``, its coefficient ``bsp_moincome``; in an
        interaction, its variables in their order, ``moincome:age``."""
        pieces = [brms_rename(c) for c in self.covariates]
        pieces.insert(self.position, f"mo{brms_rename(self.variable)}")
        return ":".join(pieces)

    @property
    def key(self) -> tuple[str, frozenset[str]]:
        """What makes two terms the same term, as R's terms() sees them: the variable and
        the covariates in any order."""
        return self.variable, frozenset(self.covariates)

    @property
    def simplex(self) -> str:
        """brms's name of the simplex (its prior's coef): ``moincome1``, its parameters
        ``simo_moincome1[1]``, ... ."""
        return f"{self.coef}1"


_MO_CALL = re.compile(r"^mo\s*\((.*)\)$", re.S)


def parse_monotonic(arguments: str, term: str) -> MonotonicTerm:
    """A ``mo(x)`` term; an expression or brms's ``id`` argument is a named error."""
    variable = arguments.strip()
    if not variable.isidentifier():
        raise FormulaError(f"{term!r}: mo() takes one column of the data, e.g. mo(income); "
                           f"got {variable!r}.")
    return MonotonicTerm(variable, term)


def parse_monotonic_interaction(term: str) -> tuple[list[str], list[MonotonicTerm]]:
    """The population terms and monotonic terms of an interaction with one ``mo()``:
    ``mo(income):age`` is one monotonic term; ``mo(income) * age`` is R's
    ``mo(income) + age + mo(income):age``."""
    crossed = [piece.strip() for _, piece in split_top_level(term, "*")]
    if len(crossed) > 2 or any(":" in piece for piece in crossed if len(crossed) == 2):
        raise FormulaError(f"{term!r}: a monotonic effect's interactions are supported as "
                           "mo(x):z or mo(x) * z with numeric columns z.")
    pieces = [piece.strip() for _, piece in split_top_level(term.replace("*", ":"), ":")]
    calls = [_MO_CALL.match(piece) for piece in pieces]
    others = [piece for piece, call in zip(pieces, calls, strict=True) if call is None]
    if sum(call is not None for call in calls) != 1 or not all(
            piece.isidentifier() for piece in others):
        raise FormulaError(f"{term!r}: a monotonic effect's interactions take one mo() and "
                           "numeric columns, as in mo(income):age or mo(income) * age.")
    variable = next(call for call in calls if call is not None).group(1)
    effect = parse_monotonic(variable, term)
    if len(crossed) == 1:
        position = next(k for k, call in enumerate(calls) if call is not None)
        return [], [MonotonicTerm(effect.variable, term, tuple(others), position)]
    interaction = MonotonicTerm(effect.variable, term, tuple(others))
    main = next(piece for piece, call in zip(pieces, calls, strict=True) if call is not None)
    return others, [MonotonicTerm(effect.variable, main), interaction]


@dataclass(frozen=True)
class MonotonicPart:
    """A ``mo(x)`` term evaluated on the data.

    Attributes
    ----------
    term
        The term.
    values
        Each row's position on the scale, 0..``size``.
    size
        D, the largest position: the number of steps, and of the simplex's elements.
    minimum
        The value counted as 0 for whole numbers (their smallest); None for an ordered
        categorical, whose codes count from its first category.
    categories
        An ordered categorical's categories, in order; None for whole numbers.
    """

    term: MonotonicTerm
    values: np.ndarray
    size: int
    minimum: float | None
    categories: tuple | None
    # the product of an interaction's numeric columns at each row; None without them
    covariate: np.ndarray | None = None

    def covariate_values(self, frame: pd.DataFrame) -> np.ndarray | None:
        """The product of the term's numeric columns at the rows of ``frame``."""
        return covariate_product(self.term, frame)

    def positions(self, series: pd.Series) -> np.ndarray:
        """The positions of new values, as the data's were counted."""
        column = self.term.variable
        if series.isna().any():
            raise DataError(f"Column {column!r} of the new data has missing values; "
                            f"{self.term.text!r} needs a value in every row.")
        if self.categories is not None:
            unknown = sorted({str(v) for v in series.dropna() if v not in self.categories})
            if unknown:
                raise DataError(
                    f"Column {column!r} of the new data has value(s) "
                    f"{', '.join(repr(v) for v in unknown[:5])} that are not among the "
                    f"categories of {self.term.text!r}: "
                    f"{', '.join(repr(str(c)) for c in self.categories)}.")
            return pd.Categorical(series, categories=list(self.categories)).codes.astype(int)
        positions = _whole_numbers(series, self.term) - self.minimum
        outside = np.unique(positions[(positions < 0) | (positions > self.size)])
        if len(outside):
            raise DataError(
                f"Column {column!r} of the new data has value(s) "
                f"{', '.join(format(v + self.minimum, 'g') for v in outside[:5])} outside the "
                f"range of {self.term.text!r} in the data, {self.minimum:g} to "
                f"{self.minimum + self.size:g}.")
        return positions.astype(int)


def _whole_numbers(series: pd.Series, term: MonotonicTerm) -> np.ndarray:
    values = (series.to_numpy(dtype=float)
              if pd.api.types.is_numeric_dtype(series.dtype)
              and not pd.api.types.is_bool_dtype(series.dtype) else None)
    if values is None or not np.all(values == np.round(values)):
        raise DataError(
            f"Monotonic predictors must be integers or ordered factors, but column "
            f"{term.variable!r} of {term.text!r} is "
            + (f"of type {series.dtype}" if values is None else "not whole numbers")
            + "; make it an ordered pandas Categorical or integers.")
    return values


def covariate_product(term: MonotonicTerm, frame: pd.DataFrame) -> np.ndarray | None:
    """The product of an interaction's numeric columns, row by row; None without any."""
    if not term.covariates:
        return None
    product = np.ones(len(frame))
    for column in term.covariates:
        series = frame[column]
        if (not pd.api.types.is_numeric_dtype(series.dtype)
                or pd.api.types.is_bool_dtype(series.dtype)):
            raise DataError(
                f"{term.text!r}: column {column!r} is of type {series.dtype}; a monotonic "
                "effect's interactions take numeric columns (a factor's indicator columns "
                "would need R's coding of the interaction, which is not supported).")
        product = product * series.to_numpy(dtype=float)
    return product


def monotonic_part(term: MonotonicTerm, frame: pd.DataFrame) -> MonotonicPart:
    """Evaluate ``term`` on the data: positions counted from 0 as brms counts them (an
    ordered categorical's codes, whole numbers less their smallest)."""
    series = frame[term.variable]
    if isinstance(series.dtype, pd.CategoricalDtype):
        if not series.dtype.ordered:
            raise DataError(
                f"Monotonic predictors must be integers or ordered factors, but column "
                f"{term.variable!r} of {term.text!r} is an unordered categorical; make it "
                "ordered (pd.Categorical(..., ordered=True)).")
        categories = tuple(series.cat.categories)
        values, minimum = series.cat.codes.to_numpy().astype(int), None
    else:
        numbers = _whole_numbers(series, term)
        categories, minimum = None, float(numbers.min())
        values = (numbers - minimum).astype(int)
    size = int(values.max())
    if size < 1:
        raise DataError(f"Column {term.variable!r} of {term.text!r} takes a single value; a "
                        "monotonic effect needs at least two.")
    return MonotonicPart(term, values, size, minimum, categories,
                         covariate_product(term, frame))

"""Censored responses, as brms's ``y | cens(censored)`` and ``y | cens(censored, y2)``.

Each row is uncensored, left-censored (the true value is at most ``y``), right-censored (it is
above ``y``) or interval-censored (above ``y`` and at most ``y2``), in brms's codes -1, 0, 1
and 2, which the likelihood reads (:func:`multilevel.families.censored.censored_log_density`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, FamilyError, FormulaError
from ..families.builtin import family_names
from ..families.censored import INTERVAL, LEFT, RIGHT, UNCENSORED
from ..families.family import Family
from .checks import check_columns
from .evaluation import evaluate_expression, formula_variables
from .formula import FormulaSpec

# brms reads any beginning of these words, as "l" or "inter"
_WORDS = {"left": LEFT, "none": UNCENSORED, "right": RIGHT, "interval": INTERVAL}
_CODES = (LEFT, UNCENSORED, RIGHT, INTERVAL)


# a logical column, which reaches the design as R's labels of a factor
_LOGICAL = {"TRUE": RIGHT, "FALSE": UNCENSORED}


def _code(value) -> int | None:
    if isinstance(value, (bool, np.bool_)):
        return RIGHT if value else UNCENSORED
    if value in _LOGICAL:
        return _LOGICAL[value]
    if isinstance(value, str):
        matches = [code for word, code in _WORDS.items() if value and word.startswith(value)]
        return matches[0] if len(matches) == 1 else None
    if isinstance(value, (int, float, np.integer, np.floating)) and value in _CODES:
        return int(value)
    return None


def censoring(spec: FormulaSpec, frame: pd.DataFrame, family: Family,
              y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's censoring code and the upper bound of interval-censored rows (``y``
    elsewhere).

    Parameters
    ----------
    spec
        The parsed formula, with a ``cens()`` addition.
    frame
        The model's rows.
    family
        The response family, which must allow censoring.
    y
        The response, the censoring point of censored rows.

    Returns
    -------
    codes, upper : numpy.ndarray
        brms's codes (-1 left, 0 none, 1 right, 2 interval) and the upper bounds.

    Raises
    ------
    FamilyError, FormulaError, DataError
        For a family without censoring, a residual structure, values that are no censoring
        code, interval-censored rows without ``y2`` or with ``y2`` not above ``y``.
    """
    label = f"cens({spec.additions['cens']})"
    if not family.censoring:
        names = family_names(lambda f: f.censoring)
        raise FamilyError(f"{label} censors the response of the {', '.join(names[:-1])} or "
                          f"{names[-1]} family; the family here is {family.name!r}.")
    if spec.autocor is not None:
        raise FormulaError(f"{spec.autocor.text!r} cannot be combined with {label}.")
    values = evaluate_expression(spec.additions["cens"], frame, "cens()").tolist()
    codes = [_code(value) for value in values]
    unknown = sorted({repr(v) for v, code in zip(values, codes, strict=True) if code is None})
    if unknown:
        raise DataError(f"{label} has value(s) {', '.join(unknown[:5])} that are no censoring "
                        "code; use 'left', 'none', 'right' or 'interval' (or their first "
                        "letters), -1, 0, 1 or 2, or True for right-censored rows.")
    codes = np.asarray(codes, dtype=np.int64)
    interval = codes == INTERVAL
    if spec.cens_upper is None:
        if interval.any():
            raise FormulaError(f"{label} marks {int(interval.sum())} row(s) as interval-"
                               f"censored; give their upper bounds as cens("
                               f"{spec.additions['cens']}, y2).")
        return codes, np.asarray(y).copy()
    # brms keeps rows whose upper bound is missing unless they are interval-censored
    check_columns({name: "cens()" for name in formula_variables(spec.cens_upper, "cens()")},
                  frame)
    bounds = evaluate_expression(spec.cens_upper, frame, "cens()").to_numpy(dtype=float)
    upper = np.asarray(y, dtype=float).copy()
    if np.any(~np.isfinite(bounds[interval])):
        raise DataError(f"{label}: the upper bound {spec.cens_upper!r} is missing or not "
                        f"finite in {int(np.sum(~np.isfinite(bounds[interval])))} "
                        "interval-censored row(s).")
    if np.any(bounds[interval] <= upper[interval]):
        raise DataError(f"{label}: the upper bound {spec.cens_upper!r} is not above the "
                        f"response in {int(np.sum(bounds[interval] <= upper[interval]))} "
                        "interval-censored row(s); left censoring points must be smaller "
                        "than right ones.")
    upper[interval] = bounds[interval]
    # in the response's own type, as the log CDFs take the two
    return codes, upper.astype(np.asarray(y).dtype)

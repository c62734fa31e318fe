"""The conditions predictions are shown under, as brms's ``make_conditions()`` makes them and
its ``conditional_effects(conditions = ...)`` reads them: one panel per row."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd

from ..errors import MultilevelError
from ..names import sorted_levels

# brms's column of a condition's label
CONDITION_LABEL = "cond__"


def make_conditions(x, variables, digits: int = 2) -> pd.DataFrame:
    """Conditions for :func:`conditional_effects`, as brms's ``make_conditions()``.

    Each factor (a categorical, text or logical column) takes each of its levels; each
    numeric variable its mean and the mean plus and minus one standard deviation. The
    conditions are every combination, the last variable changing fastest.

    Parameters
    ----------
    x
        A fitted model (its data are used) or a data frame.
    variables
        A column name or a list of them.
    digits
        Digits of the numbers in the labels.

    Returns
    -------
    pandas.DataFrame
        One row per condition with a column per variable and ``cond__``, its label
        (``"age = 41.2 & sex = f"``); pass it as ``conditions=`` to
        ``fit.conditional_effects()`` for one panel per condition.

    Examples
    --------
    >>> conditions = ml.make_conditions(fit, "age")
    >>> fit.conditional_effects("Days", conditions=conditions)
    """
    data = x.design.data if hasattr(x, "design") else x
    if not isinstance(data, pd.DataFrame):
        raise MultilevelError("make_conditions() takes a fitted model or a data frame, got "
                              f"{type(x).__name__}.")
    names = [variables] if isinstance(variables, str) else list(variables)
    missing = [name for name in names if name not in data.columns]
    if missing:
        raise MultilevelError(f"make_conditions(): no column {', '.join(map(repr, missing))} "
                              f"in the data; its columns: {', '.join(map(str, data.columns))}.")
    values = {name: _condition_values(data[name]) for name in names}
    frame = pd.DataFrame(list(product(*values.values())), columns=names)
    for name in names:
        if isinstance(data[name].dtype, pd.CategoricalDtype):
            frame[name] = pd.Categorical(frame[name], categories=data[name].cat.categories)
    frame[CONDITION_LABEL] = [" & ".join(f"{name} = {_label(row[name], digits)}"
                                         for name in names) for _, row in frame.iterrows()]
    return frame


def _is_factor(column: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(
        column.dtype)


def _condition_values(column: pd.Series) -> list:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return list(column.cat.categories)
    if _is_factor(column):
        return sorted_levels(column)
    values = column.to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    # R's sd(): the n - 1 denominator
    return list(values.mean() + np.array([-1.0, 0.0, 1.0]) * values.std(ddof=1))


def _label(value, digits: int) -> str:
    """R's ``as.character(round(value, digits))`` for a number, the level for a factor."""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"{round(float(value), digits) + 0.0:.15g}"  # no negative zero, as R's
    return str(value)


def condition_rows(conditions) -> list[tuple[str, dict]]:
    """Each condition's label and values: a dict is one condition, labelled ``"1"``; a data
    frame's rows are one each, labelled by their ``cond__`` or else numbered from 1, as
    brms's row names."""
    if conditions is None or isinstance(conditions, dict):
        return [("1", dict(conditions or {}))]
    if not isinstance(conditions, pd.DataFrame):
        raise MultilevelError("conditions must be a dict of values or a data frame with a row "
                              f"per condition (ml.make_conditions()), got "
                              f"{type(conditions).__name__}.")
    if conditions.empty:
        raise MultilevelError("conditions must have at least one row.")
    labels = (conditions[CONDITION_LABEL].astype(str).tolist()
              if CONDITION_LABEL in conditions.columns
              else [str(k) for k in range(1, len(conditions) + 1)])
    if len(set(labels)) < len(labels):
        raise MultilevelError("Condition labels (cond__) should be unique.")
    values = conditions.drop(columns=[CONDITION_LABEL], errors="ignore")
    return [(label, {name: row[name] for name in values.columns})
            for label, (_, row) in zip(labels, values.iterrows(), strict=True)]

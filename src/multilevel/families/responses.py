"""The checks of a response against its family's support: each returns the response as the
family's likelihood reads it, or raises a :class:`~multilevel.errors.DataError` naming the
column, the rule and values that break it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import DataError
from ..names import sorted_levels


def _kind_error(family: str, column: str, rule: str, bad: pd.Series) -> DataError:
    examples = ", ".join(repr(v) for v in bad.unique()[:5].tolist())
    return DataError(
        f"Family {family!r} needs {rule}, but response {column!r} has {len(bad)} value(s) "
        f"outside that, e.g. {examples}."
    )


def _numeric(series: pd.Series, family: str, column: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
        series.dtype
    ):
        raise DataError(
            f"Response {column!r} must be numeric for family {family!r}, but its dtype is "
            f"{series.dtype}."
        )
    return series.to_numpy(dtype=float)


def check_real(series, family, column, trials=None):
    return _numeric(series, family, column)


def _within(rule: str, outside):
    """A check of a numeric response whose values ``outside(values)`` marks as outside the
    family's support, described by ``rule``."""
    def check(series, family, column, trials=None):
        values = _numeric(series, family, column)
        bad = series[outside(values)]
        if len(bad):
            raise _kind_error(family, column, rule, bad)
        return values
    return check


check_positive = _within("positive values (> 0)", lambda v: v <= 0)
check_non_negative = _within("non-negative values (>= 0)", lambda v: v < 0)
check_unit_interval = _within("values strictly between 0 and 1", lambda v: (v <= 0) | (v >= 1))
check_zero_or_unit_interval = _within("values from 0 up to but excluding 1",
                                      lambda v: (v < 0) | (v >= 1))
check_closed_unit_interval = _within("values from 0 to 1", lambda v: (v < 0) | (v > 1))
check_angle = _within("angles from -pi to pi", lambda v: (v < -np.pi) | (v > np.pi))


def check_count(series, family, column, trials=None):
    values = _numeric(series, family, column)
    bad = series[(values < 0) | (values != np.round(values))]
    if len(bad):
        raise _kind_error(family, column, "non-negative integer counts", bad)
    return values.astype(np.int64)


def check_binary(series, family, column, trials=None):
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=np.int64)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float)
        bad = series[(values != 0) & (values != 1)]
        if len(bad):
            raise _kind_error(
                family, column, "0/1 values, booleans or a factor with two levels", bad
            )
        return values.astype(np.int64)
    levels = sorted_levels(series)
    if len(levels) != 2:
        raise DataError(
            f"Family {family!r} needs 0/1 values, booleans or a factor with two levels, but "
            f"response {column!r} has {len(levels)} level(s): "
            + ", ".join(repr(str(level)) for level in levels[:6])
            + "."
        )
    warnings.warn(
        f"Response {column!r} has levels {str(levels[0])!r} and {str(levels[1])!r}; "
        f"{str(levels[1])!r} is the success (1), as in brms.",
        UserWarning,
        stacklevel=2,
    )
    return (series == levels[1]).to_numpy(dtype=np.int64)


def check_ordinal(series, family, column, trials=None):
    """Categories 1..K: positive integers without gaps, or an ordered categorical."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        if not series.dtype.ordered:
            raise DataError(
                f"Family {family!r} needs ordered categories, but response {column!r} is an "
                "unordered categorical; make it ordered (pd.Categorical(..., ordered=True)) "
                "or use family 'categorical'."
            )
        codes = series.cat.codes.to_numpy() + 1
        labels = [str(c) for c in series.cat.categories]
    else:
        values = _numeric(series, family, column)
        bad = series[(values < 1) | (values != np.round(values))]
        if len(bad):
            raise _kind_error(family, column, "categories numbered 1, 2, ..., K or an ordered "
                              "categorical", bad)
        codes = values.astype(np.int64)
        labels = [str(k) for k in range(1, int(codes.max()) + 1)]
    missing = [labels[k - 1] for k in range(1, len(labels) + 1) if k not in set(codes)]
    if missing:
        raise DataError(
            f"Response {column!r} of family {family!r} has no observation of categor"
            f"{'y' if len(missing) == 1 else 'ies'} {', '.join(repr(m) for m in missing)} "
            f"among 1..{len(labels)}; number the observed categories without gaps."
        )
    if len(labels) < 2:
        raise DataError(f"Response {column!r} of family {family!r} has a single category; "
                        "an ordinal model needs at least two.")
    return codes


def check_categorical(series, family, column, trials=None):
    """Categories in R's factor order, numbered 1..K."""
    levels = sorted_levels(series)
    if len(levels) < 2:
        raise DataError(
            f"Response {column!r} of family {family!r} has {len(levels)} category; a "
            "categorical model needs at least two."
        )
    return (pd.Categorical(series, categories=levels).codes + 1).astype(np.int64)


def check_binomial(series, family, column, trials=None):
    values = check_count(series, family, column)
    if trials is None:
        raise DataError(
            f"Family {family!r} needs the number of trials: write '{column} | trials(n) ~ ...' "
            f"or 'cbind({column}, failures) ~ ...'."
        )
    bad = series[values > trials]
    if len(bad):
        raise _kind_error(family, column, "integer successes between 0 and the trials", bad)
    return values

"""The series and time order behind a residual structure (``ar()``, ``arma()``, ``cosy()``).

brms sorts the rows by series and time before fitting and puts its predictions back in the
data's order. Here the rows keep their order: each row knows its series, its position in
the series and the rows before it, so nothing downstream depends on how the data were
sorted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ..names import r_level_label, sorted_levels
from .autocor_terms import AutocorTerm


@dataclass(frozen=True)
class TimeSeries:
    """Rows arranged into series in time order.

    Attributes
    ----------
    term
        The residual-structure term of the formula.
    series
        Each row's series, as a position in ``series_labels``.
    position
        Each row's place in its series, 0 for the earliest time point.
    order
        The rows sorted by series and time (brms's order).
    series_labels
        The series' labels (the levels of ``gr``), one series without ``gr``.
    time_index
        Each row's time point, as a position in ``time_labels``.
    time_labels
        The distinct time points in increasing order, as R prints them.
    """

    term: AutocorTerm
    series: np.ndarray
    position: np.ndarray
    order: np.ndarray
    series_labels: list[str]
    time_index: np.ndarray
    time_labels: list[str]

    @property
    def kind(self) -> str:
        return self.term.kind

    @property
    def sizes(self) -> np.ndarray:
        """The number of rows in each series."""
        return np.bincount(self.series, minlength=len(self.series_labels))

    @property
    def longest(self) -> int:
        return int(self.sizes.max())

    def patterns(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The series grouped by the time points they have.

        Returns one (time points, rows) pair per distinct set of time points: the positions
        in ``time_labels``, increasing, and the rows of its series as a (series, time points)
        matrix in time order.
        """
        by_pattern: dict[tuple[int, ...], list[np.ndarray]] = {}
        sorted_series = self.series[self.order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_series)) + 1, len(self.order)]
        for begin, end in zip(starts[:-1], starts[1:], strict=True):
            rows = self.order[begin:end]
            by_pattern.setdefault(tuple(self.time_index[rows]), []).append(rows)
        return [(np.array(times), np.stack(rows)) for times, rows in by_pattern.items()]

    def lags(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The row ``k`` steps earlier in the same series, for k = 1..count.

        Returns an index array of shape (rows, count), pointing at the row itself where there
        is no earlier row, and a 0/1 mask of the same shape marking the real lags.
        """
        rows = len(self.series)
        index = np.repeat(np.arange(rows)[:, None], count, axis=1)
        mask = np.zeros((rows, count))
        sorted_series = self.series[self.order]
        for k in range(1, count + 1):
            same = np.zeros(rows, dtype=bool)
            same[k:] = sorted_series[k:] == sorted_series[:-k]
            later, earlier = self.order[k:][same[k:]], self.order[:-k][same[k:]]
            index[later, k - 1] = earlier
            mask[later, k - 1] = 1.0
        return index, mask


def time_series(term: AutocorTerm, frame: pd.DataFrame) -> TimeSeries:
    """Arrange the rows of ``frame`` into the series of ``term``.

    Raises
    ------
    DataError
        When the time column is not numeric or a series has a time point twice.
    """
    rows = len(frame)
    if term.time is None:
        time = np.arange(rows, dtype=float)
    else:
        column = frame[term.time]
        if not pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(
                column.dtype):
            raise DataError(
                f"The time variable {term.time!r} of {term.text!r} must be numeric (it orders "
                f"the observations), got {column.dtype} values such as {column.iloc[0]!r}."
            )
        time = column.to_numpy(dtype=float)
    if term.gr is None:
        series, labels = np.zeros(rows, dtype=int), ["1"]
    else:
        values = frame[term.gr]
        levels = sorted_levels(values)
        labels = [r_level_label(level) for level in levels]
        series = pd.Categorical(values, categories=levels).codes.astype(int)
    order = np.lexsort((time, series))
    sorted_series, sorted_time = series[order], time[order]
    repeated = (sorted_series[1:] == sorted_series[:-1]) & (sorted_time[1:] == sorted_time[:-1])
    if repeated.any():
        first = int(np.flatnonzero(repeated)[0])
        where = f" in series {labels[sorted_series[first]]!r}" if term.gr else ""
        raise DataError(
            f"Time points within groups must be unique: {term.text!r} has time "
            f"{sorted_time[first]:g} twice{where}. Each series needs one row per time point."
        )
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_series)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, rows]))
    position = np.empty(rows, dtype=int)
    position[order] = np.arange(rows) - run_start
    times, time_index = np.unique(time, return_inverse=True)
    return TimeSeries(term, series, position, order, labels, time_index,
                      [r_level_label(t) for t in times])

"""Families of a response in several columns, ``cbind(a, b, c) ~ x``: brms's ``dirichlet``
(shares of a whole) and ``multinomial`` (counts out of trials).

As in a categorical model, each column but the first has a linear predictor of its own
(``mub``, ``muc`` for columns ``b`` and ``c``) against the first's zero, and their softmax
gives each row's expected shares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from ..errors import DataError
from .category_likelihoods import category_predictors
from .family import AuxParameter, Family


def _shares(aux: dict):
    return pt.special.softmax(pt.stack(category_predictors(aux), axis=-1), axis=-1)


def _dirichlet_likelihood(eta, mu, aux, trials, link):
    return pm.Dirichlet, {"a": _shares(aux) * pt.shape_padright(aux["phi"])}


def _multinomial_likelihood(eta, mu, aux, trials, link):
    return pm.Multinomial, {"n": trials, "p": _shares(aux)}


def _columns(frame: pd.DataFrame, family: str, label: str) -> np.ndarray:
    for column in frame.columns:
        series = frame[column]
        if (pd.api.types.is_bool_dtype(series.dtype)
                or not pd.api.types.is_numeric_dtype(series.dtype)):
            raise DataError(f"Response column {column!r} of {label} must be numeric for "
                            f"family {family!r}, but its dtype is {series.dtype}.")
    return frame.to_numpy(dtype=float)


def _rows_error(family: str, label: str, rule: str, bad: np.ndarray) -> DataError:
    rows = ", ".join(str(int(row) + 1) for row in np.flatnonzero(bad)[:5])
    return DataError(f"Family {family!r} needs {rule}, but {int(bad.sum())} row(s) of {label} "
                     f"do not, e.g. row(s) {rows}.")


def check_simplex(frame, family, label, trials=None):
    """Shares above 0 whose row sums are 1, as brms's simplex responses."""
    values = _columns(frame, family, label)
    if np.any(values <= 0):
        raise _rows_error(family, label, "shares above 0 (a share of exactly 0 has no "
                          "density)", np.any(values <= 0, axis=1))
    # brms's tolerance, that of R's all.equal
    off = np.abs(values.sum(axis=1) - 1.0) > 1.5e-8
    if np.any(off):
        raise _rows_error(family, label, "shares that add up to 1 in each row", off)
    return values


def check_counts(frame, family, label, trials=None):
    """Non-negative integer counts whose row sums are the trials."""
    values = _columns(frame, family, label)
    bad = np.any((values < 0) | (values != np.round(values)), axis=1)
    if np.any(bad):
        raise _rows_error(family, label, "non-negative integer counts", bad)
    if trials is None:
        raise DataError(f"Family {family!r} needs the number of trials: write '{label} | "
                        "trials(n) ~ ...', n the sum of each row's counts.")
    off = values.sum(axis=1) != trials
    if np.any(off):
        raise _rows_error(family, label, "counts that add up to the trials() of their row",
                          off)
    return values.astype(np.int64)


def _mean_shares(mu, aux, trials):
    return mu


def _dirichlet_written(shares: str, aux: dict, trials: str, latex: bool) -> tuple[str, str]:
    if latex:
        return r"\mathrm{Dirichlet}", rf"{aux['phi']}\,{shares}"
    return "pm.Dirichlet", f"a={shares} * pt.shape_padright({aux['phi']})"


def _multinomial_written(shares: str, aux: dict, trials: str, latex: bool) -> tuple[str, str]:
    if latex:
        return r"\mathrm{Multinomial}", f"{trials}, {shares}"
    return "pm.Multinomial", f"n={trials}, p={shares}"


dirichlet = Family(
    "dirichlet", "logit", ("logit",),
    (AuxParameter("phi", 0.0, lambda y: "gamma(0.01, 0.01)"),),
    check_simplex, _dirichlet_likelihood, _mean_shares, categorical=True,
    columns=_dirichlet_written,
)
multinomial = Family(
    "multinomial", "logit", ("logit",), (), check_counts, _multinomial_likelihood,
    _mean_shares, discrete=True, needs_trials=True, categorical=True,
    columns=_multinomial_written,
)

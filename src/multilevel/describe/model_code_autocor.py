"""Residual structures (``ar()``, ``ma()``, ``arma()``, ``cosy()``, ``unstr()``) in a model's
PyMC program: the series of each row, prepared from the data, and helper functions that write
out the model stage's ARMA mean and joint densities (``model/autocor.py``) operation by
operation, so that the program's log density is the model's."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.autocor import AUTOCOR_DIMS
from ..names import sorted_levels
from ..priors.table import PriorTable
from ..spec.design import Design
from .model_code_data import array_literal, list_literal, native, quote
from .model_code_parts import prior_code

_SERIES_LAGS = '''def series_lags(series, time, count):
    """For k = 1..count, the row k steps earlier in the same series in time order (the row
    itself where there is none) and a 0/1 mask of the real lags; gaps in time do not count."""
    rows = len(series)
    order = np.lexsort((time, series))
    index = np.repeat(np.arange(rows)[:, None], count, axis=1)
    mask = np.zeros((rows, count))
    sorted_series = series[order]
    for k in range(1, count + 1):
        same = np.zeros(rows, dtype=bool)
        same[k:] = sorted_series[k:] == sorted_series[:-k]
        later, earlier = order[k:][same[k:]], order[:-k][same[k:]]
        index[later, k - 1] = earlier
        mask[later, k - 1] = 1.0
    return index, mask'''

_ARMA_MEAN = '''def arma_mean(eta, y, lag_index, lag_mask, ar, ma, p, q):
    """The mean with brms's ARMA terms (cov = FALSE): the lagged residuals of the series,
    the moving-average errors written as a convolution of the residuals y - eta."""
    residual = y - eta
    errors = residual
    if q:
        # the impulse response of e_n + sum_i ma_i e_(n-i) = residual_n
        length = lag_index.shape[1]
        if q == 1:
            impulse = pt.cumprod(pt.repeat(-ma[0], length))
        else:
            response = [pt.constant(1.0)]
            for t in range(1, length + 1):
                response.append(-sum(ma[i - 1] * response[t - i]
                                     for i in range(1, min(q, t) + 1)))
            impulse = pt.stack(response[1:])
        errors = residual + pt.sum(residual[lag_index] * lag_mask * impulse[None, :], axis=1)
    order = max(p, q)
    lagged = errors[lag_index[:, :order]] * lag_mask[:, :order]
    terms = pt.constant(0.0)
    if p:
        terms = terms + pt.dot(lagged[:, :p], ar)
    if q:
        terms = terms + pt.dot(lagged[:, :q], ma)
    return eta + terms'''

_SERIES_DENSITY = '''def series_density(quadratic, log_det, size, nu):
    """Multivariate normal (or t with nu) log densities of series of size rows, from their
    quadratic forms and the log determinants of their correlation matrices."""
    if nu is None:
        return -0.5 * (size * np.log(2 * np.pi) + log_det + quadratic)
    return (pt.gammaln(0.5 * (nu + size)) - pt.gammaln(0.5 * nu)
            - 0.5 * size * pt.log(nu * np.pi) - 0.5 * log_det
            - 0.5 * (nu + size) * pt.log1p(quadratic / nu))'''

_COSY_DENSITY = '''def cosy_log_density(residual, sigma, series, sizes, cosy, nu=None):
    """The residuals' joint log density under compound symmetry within each series: the
    correlation matrix (1 - c) I + c J has a closed-form inverse and determinant."""
    groups = len(sizes)
    standardized = residual / sigma
    total = pt.inc_subtensor(pt.zeros(groups)[series], standardized)
    squares = pt.inc_subtensor(pt.zeros(groups)[series], pt.sqr(standardized))
    shrink = cosy / (1.0 + (sizes - 1.0) * cosy)
    quadratic = (squares - shrink * pt.sqr(total)) / (1.0 - cosy)
    log_det = (sizes - 1.0) * pt.log1p(-cosy) + pt.log1p((sizes - 1.0) * cosy)
    log_sigma = pt.sum(pt.log(sigma) * pt.ones(len(series)))
    return pt.sum(series_density(quadratic, log_det, sizes, nu)) - log_sigma'''

_TIME_PATTERNS = '''def time_patterns(series, time_index):
    """The series grouped by the time points they have: (time points, rows as a
    series x time points matrix in time order) per distinct set of time points."""
    order = np.lexsort((time_index, series))
    by_pattern = {}
    sorted_series = series[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_series)) + 1, len(order)]
    for begin, end in zip(starts[:-1], starts[1:]):
        rows = order[begin:end]
        by_pattern.setdefault(tuple(time_index[rows]), []).append(rows)
    return [(np.array(times), np.stack(rows)) for times, rows in by_pattern.items()]'''

_UNSTR_DENSITY = '''def unstr_log_density(residual, sigma, patterns, cholesky, time_points,
                      nu=None):
    """The residuals' joint log density with an unstructured correlation matrix over the
    time points: a series with time points t has covariance diag(sigma) R[t, t] diag(sigma)."""
    scale = sigma * pt.ones(residual.shape[0])
    standardized = residual / scale
    correlation = pt.dot(cholesky, cholesky.T)
    total = -pt.sum(pt.log(scale))
    for times, rows in patterns:
        size = len(times)
        if size == time_points:
            factor = cholesky
        else:
            factor = pt.linalg.cholesky(correlation[times][:, times])
        values = standardized[rows]
        whitened = pt.linalg.solve_triangular(factor, values.T, lower=True)
        quadratic = pt.sum(pt.sqr(whitened), axis=0)
        log_det = 2.0 * pt.sum(pt.log(pt.diag(factor)))
        total = total + pt.sum(series_density(quadratic, log_det, size, nu))
    return total'''


def _history(design: Design) -> int:
    """How many earlier rows the ARMA mean reads (as ``arma_mean`` in the model stage)."""
    term = design.autocor.term
    if term.q:
        return max(design.autocor.longest - 1, term.p, term.q)
    return max(term.p, term.q)


def autocor_data(design: Design) -> tuple[list[str], list[str]]:
    """Code of each row's series and time for the design's residual structure, and the
    helper functions it needs."""
    series, term = design.autocor, design.autocor.term
    frame = design.data
    lines = ["", f"# the series of {term.text}: each row's series and time"]
    if term.gr is None:
        lines.append("autocor_series = np.zeros(len(data), dtype=int)")
        labels_code = "[0]"
    else:
        column = frame[term.gr]
        levels = [native(v) for v in sorted_levels(column)]
        codes = pd.Categorical(column, categories=levels).codes
        numeric = (pd.api.types.is_numeric_dtype(column.dtype)
                   and not pd.api.types.is_bool_dtype(column.dtype))
        if numeric and [native(v) for v in np.sort(column.unique())] == levels:
            lines.append(f"autocor_levels = np.sort(data[{quote(term.gr)}].unique())")
        else:
            lines.append(f"autocor_levels = {list_literal(levels)}")
        labels_code = "autocor_levels"
        if np.array_equal(codes, series.series):
            lines.append(f"autocor_series = pd.Categorical(data[{quote(term.gr)}], "
                         "categories=autocor_levels).codes")
        else:
            lines.append(f"autocor_series = {array_literal(series.series, '')}")
    if term.time is None:
        lines.append("autocor_time = np.arange(len(data), dtype=float)")
    else:
        lines.append(f"autocor_time = data[{quote(term.time)}].to_numpy(dtype=float)")
    helpers = []
    if series.kind == "arma":
        lines.append(f"lag_index, lag_mask = series_lags(autocor_series, autocor_time, "
                     f"{_history(design)})")
        helpers += [_SERIES_LAGS, _ARMA_MEAN]
    elif series.kind == "cosy":
        lines.append(f"autocor_sizes = np.bincount(autocor_series, minlength=len({labels_code}))"
                     ".astype(float)")
        helpers += [_SERIES_DENSITY, _COSY_DENSITY]
    else:
        lines.append("time_points, time_index = np.unique(autocor_time, return_inverse=True)")
        lines.append("patterns = time_patterns(autocor_series, time_index)")
        helpers += [_TIME_PATTERNS, _SERIES_DENSITY, _UNSTR_DENSITY]
    return lines, helpers


def autocor_coords(design: Design) -> list[tuple[str, str]]:
    """The coordinates of the residual structure's parameters, as the model stage names them."""
    term, coords = design.autocor.term, []
    for name, order in (("ar", term.p), ("ma", term.q)):
        if order:
            coords.append((AUTOCOR_DIMS[name], _labels(range(1, order + 1))))
    if design.autocor.kind == "unstr":
        times = design.autocor.time_labels
        coords.append((AUTOCOR_DIMS["cortime"], _labels(
            f"{times[j]}__{times[i]}" for i in range(1, len(times)) for j in range(i))))
    return coords


def _labels(values) -> str:
    return "[" + ", ".join(quote(str(v)) for v in values) + "]"


def autocor_parameters(design: Design, table: PriorTable) -> list[str]:
    """The residual structure's parameters, as the model stage's ``autocor_parameters``."""
    term = design.autocor.term
    if term.kind == "cosy":
        return ["# the correlation of any two residuals of a series (brms's cosy)",
                "cosy = " + prior_code("cosy", table.lookup("cosy"), 0.0, upper=1.0)]
    if term.kind == "unstr":
        size = len(design.autocor.time_labels)
        eta = table.lookup("cortime").args[0]
        return ["# the correlations between time points (brms's cortime)",
                f"Lcortime = lkj_corr_cholesky(\"Lcortime\", {size}, eta={eta!r})",
                "pm.Deterministic(\"cortime\", pt.dot(Lcortime, Lcortime.T)["
                f"{[j for i in range(1, size) for j in range(i)]}, "
                f"{[i for i in range(1, size) for _ in range(i)]}], "
                f"dims={quote(AUTOCOR_DIMS['cortime'])})"]
    lines = []
    for name, order in (("ar", term.p), ("ma", term.q)):
        if order:
            lines.append(f"# brms's {name}[1]" + (f", ..., {name}[{order}]" if order > 1 else ""))
            lines.append(f"{name} = " + prior_code(name, table.lookup(name), None,
                                                   extra=f"dims={quote(AUTOCOR_DIMS[name])}"))
    term_code = (f"mu = arma_mean(mu, y, lag_index, lag_mask, {'ar' if term.p else 'None'}, "
                 f"{'ma' if term.q else 'None'}, {term.p}, {term.q})")
    return lines + [term_code]


def autocor_likelihood(design: Design, nu: str | None) -> list[str] | None:
    """The joint likelihood of a cosy or unstr structure, None where the family's own is used."""
    kind = design.autocor.kind
    nu_code = nu or "None"
    if kind == "cosy":
        return ["# the residuals of a series are jointly normal (or t) with equal correlations",
                "pm.Potential(\"y_loglik\", cosy_log_density(y - mu, sigma, autocor_series, "
                f"autocor_sizes, cosy, {nu_code}))"]
    if kind == "unstr":
        return ["# the residuals of a series are jointly normal (or t), correlated as their "
                "time points",
                "pm.Potential(\"y_loglik\", unstr_log_density(y - mu, sigma, patterns, Lcortime, "
                f"len(time_points), {nu_code}))"]
    return None

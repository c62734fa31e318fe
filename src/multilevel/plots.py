"""Plots of a fit as brms and bayesplot draw them, with matplotlib.

Every function takes a :class:`multilevel.Fit` and returns a :class:`PlotFigure`, a
:class:`matplotlib.figure.Figure`. Figures are made with the object API rather than ``pyplot``,
so nothing is kept in pyplot's global figure list: a notebook shows the returned figure once, a
script saves it with ``fig.savefig(...)``, and any backend (Agg included) works.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from formulae import model_description
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, FancyArrowPatch
from scipy import stats as scipy_stats

from .errors import MultilevelError, close_matches
from .naming import sorted_levels
from .posterior import quantile_label

# bayesplot's default "blue" scheme, so the figures read like brms's
_LIGHT = "#d1e1ec"
_LIGHT_HI = "#b3cde0"
_MID = "#6497b1"
_MID_HI = "#005b96"
_DARK = "#03396c"
_DARK_HI = "#011f4b"
_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf")

# Integer responses spanning more values than this are drawn as continuous ones.
_MAX_INTEGER_SUPPORT = 60

PP_CHECK_TYPES = ("dens_overlay", "hist", "stat", "intervals", "bars", "ecdf_overlay",
                  "scatter_avg")
# brms summarises all draws for these types and draws 10 replicates for the others.
_ALL_DRAW_TYPES = ("stat", "intervals", "scatter_avg")
_DEFAULT_NDRAWS = 10


def _sd(values, axis=None):
    return np.std(values, axis=axis, ddof=1)


def _var(values, axis=None):
    return np.var(values, axis=axis, ddof=1)


def _mad(values, axis=None):
    # R's mad(), the scale brms and bayesplot users know
    median = np.median(values, axis=axis, keepdims=True)
    return 1.4826 * np.median(np.abs(values - median), axis=axis)


_STATS: dict[str, Callable] = {
    "mean": np.mean, "sd": _sd, "var": _var, "median": np.median, "mad": _mad,
    "min": np.min, "max": np.max,
}


# --- shared helpers ---------------------------------------------------------------------------

class PlotFigure(Figure):
    """A :class:`matplotlib.figure.Figure` that a notebook shows as a PNG image.

    IPython registers its PNG formatter for figures only once pyplot's inline backend is
    loaded, which a figure made without ``pyplot`` never triggers, so a plain ``Figure`` shows
    as text in a fresh kernel. This subclass renders itself instead, through Agg, leaving
    pyplot, the backend and IPython's formatters alone. Where the inline backend is active its
    formatter for ``Figure`` takes precedence over ``_repr_png_``, so a figure still shows as
    one image, drawn by the inline backend.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        # savefig picks the Agg canvas for "png" without replacing this figure's own canvas
        self.savefig(buffer, format="png")
        return buffer.getvalue()


def _figure(nrows: int, ncols: int, width: float, height: float, **kwargs):
    figure = PlotFigure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False, **kwargs)
    return figure, axes


def _grid_shape(count: int, ncol: int | None = None) -> tuple[int, int]:
    ncol = ncol or min(count, 3)
    ncol = max(1, min(ncol, count))
    return -(-count // ncol), ncol


def _drop_spare_axes(figure: Figure, axes: np.ndarray, used: int) -> list:
    flat = list(axes.flat)
    for ax in flat[used:]:
        figure.delaxes(ax)
    return flat[:used]


def _bandwidth(values: np.ndarray) -> float:
    """R's ``bw.nrd0``, the bandwidth of ``density()`` that bayesplot's curves use."""
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return 1.0
    sd = float(np.std(values, ddof=1))
    quartiles = np.percentile(values, [75, 25])
    spread = min(sd, float(quartiles[0] - quartiles[1]) / 1.34)
    if spread <= 0:
        spread = sd or abs(float(values[0])) or 1.0
    return 0.9 * spread * len(values) ** -0.2


def _density(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian kernel density of ``values`` on ``grid``."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    bandwidth = _bandwidth(values)
    total = np.zeros(len(grid))
    # chunks keep memory bounded for long vectors (thousands of draws or observations)
    for start in range(0, len(values), 2048):
        chunk = values[start:start + 2048]
        total += np.exp(-0.5 * ((grid[:, None] - chunk[None, :]) / bandwidth) ** 2).sum(axis=1)
    return total / (max(len(values), 1) * bandwidth * np.sqrt(2 * np.pi))


def _integer_support(*arrays: np.ndarray) -> np.ndarray | None:
    """The integers spanned by integer-valued arrays, or None when a density suits better."""
    values = np.concatenate([np.ravel(a) for a in arrays])
    values = values[np.isfinite(values)]
    if not len(values) or np.any(values != np.round(values)):
        return None
    low, high = int(values.min()), int(values.max())
    if high - low > _MAX_INTEGER_SUPPORT:
        return None
    return np.arange(low, high + 1)


def _frequencies(values: np.ndarray, support: np.ndarray) -> np.ndarray:
    counts = np.bincount((np.asarray(values) - support[0]).astype(np.int64),
                         minlength=len(support))
    return counts / max(len(values), 1)


def _response_label(fit) -> str:
    return fit.design.spec.response_label or "y"


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise MultilevelError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _check_prob(value, name: str = "prob") -> float:
    if not isinstance(value, (int, float)) or not 0 < value < 1:
        raise MultilevelError(f"{name} must be a number between 0 and 1, got {value!r}.")
    return float(value)


# --- pp_check -------------------------------------------------------------------------------

def pp_check(fit, type: str = "dens_overlay", ndraws: int | None = None,
             seed: int | None = None, stat: str | Callable = "mean", prob: float = 0.5,
             prob_outer: float = 0.9, x: str | None = None, bins: int = 30) -> Figure:
    """Posterior predictive check: the data against replicates from the posterior predictive.

    As brms's ``pp_check()``, which draws with bayesplot's ``ppc_*`` functions.

    Parameters
    ----------
    fit
        The fitted model.
    type
        ``"dens_overlay"`` (density of y over the densities of replicates; frequency
        polygons for discrete responses), ``"hist"`` (histograms of y and of replicates in
        panels), ``"stat"`` (histogram of a statistic of the replicates with the observed
        statistic marked), ``"intervals"`` (per-observation predictive intervals with y),
        ``"bars"`` (bar chart of a discrete y with replicate counts), ``"ecdf_overlay"``
        (empirical CDFs) or ``"scatter_avg"`` (y against the replicates' mean).
    ndraws
        Number of posterior draws to replicate the data with. As in brms, None means 10 for
        ``dens_overlay``, ``hist``, ``bars`` and ``ecdf_overlay`` and all draws for ``stat``,
        ``intervals`` and ``scatter_avg``.
    seed
        Seed for the choice of draws and the predictive draws.
    stat
        For ``type="stat"``: ``"mean"``, ``"sd"``, ``"var"``, ``"median"``, ``"mad"``,
        ``"min"``, ``"max"`` or a function of a 1-D array returning a number.
    prob, prob_outer
        For ``type="intervals"`` and ``"bars"``: probability mass of the inner and outer
        intervals (bayesplot's 0.5 and 0.9).
    x
        For ``type="intervals"``: a data column to put on the x axis instead of the
        observation number.
    bins
        Number of histogram bins for continuous responses (``hist``, ``stat``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MultilevelError
        For an unknown ``type`` or ``stat``, or ``bars`` on a non-integer response.
    """
    if type not in PP_CHECK_TYPES:
        raise MultilevelError(f"Unknown pp_check type {type!r}."
                              + close_matches(type, PP_CHECK_TYPES)
                              + " Valid types: " + ", ".join(PP_CHECK_TYPES) + ".")
    if ndraws is None and type not in _ALL_DRAW_TYPES:
        ndraws = _DEFAULT_NDRAWS
    if ndraws is not None:
        ndraws = _check_positive_int(ndraws, "ndraws")
    statistic, stat_name = _statistic(stat) if type == "stat" else (None, "")
    y = np.asarray(fit.design.y, dtype=float)
    yrep = np.asarray(fit.posterior_predict(ndraws=ndraws, seed=seed), dtype=float)
    discrete = fit.family.discrete
    label = _response_label(fit)
    if type == "dens_overlay":
        return _pp_dens_overlay(y, yrep, discrete, label)
    if type == "hist":
        return _pp_hist(y, yrep, discrete, label, bins)
    if type == "stat":
        return _pp_stat(y, yrep, statistic, stat_name, bins)
    if type == "intervals":
        return _pp_intervals(fit, y, yrep, _check_prob(prob), _check_prob(prob_outer, "prob_outer"),
                             x, label)
    if type == "bars":
        return _pp_bars(y, yrep, _check_prob(prob_outer, "prob_outer"), label)
    if type == "ecdf_overlay":
        return _pp_ecdf(y, yrep, label)
    return _pp_scatter_avg(y, yrep, label)


def _statistic(stat) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """A function giving the statistic of each row of a 2-D array, and its name."""
    if callable(stat):
        def rows(values: np.ndarray) -> np.ndarray:
            return np.array([float(stat(row)) for row in values])
        return rows, getattr(stat, "__name__", "stat")
    if stat not in _STATS:
        raise MultilevelError(f"Unknown statistic {stat!r}; use one of "
                              + ", ".join(_STATS) + " or a function of a 1-D array.")
    function = _STATS[stat]
    return (lambda values: function(values, axis=1)), stat


def _pp_dens_overlay(y, yrep, discrete: bool, label: str) -> Figure:
    figure, axes = _figure(1, 1, 6, 4)
    ax = axes[0, 0]
    support = _integer_support(y, yrep) if discrete else None
    if support is not None:
        # a density of counts would smear mass between integers; relative frequencies do not
        for k, draw in enumerate(yrep):
            ax.plot(support, _frequencies(draw, support), drawstyle="steps-mid",
                    color=_MID, lw=0.8, alpha=0.7, label="yrep" if k == 0 else "_nolegend_")
        ax.plot(support, _frequencies(y, support), drawstyle="steps-mid", color=_DARK_HI,
                lw=2, label="y")
        ax.set_ylabel("relative frequency")
    else:
        finite = np.concatenate([y, yrep.ravel()])
        finite = finite[np.isfinite(finite)]
        grid = np.linspace(finite.min(), finite.max(), 512)
        for k, draw in enumerate(yrep):
            ax.plot(grid, _density(draw, grid), color=_MID, lw=0.8, alpha=0.7,
                    label="yrep" if k == 0 else "_nolegend_")
        ax.plot(grid, _density(y, grid), color=_DARK_HI, lw=2, label="y")
        ax.set_yticks([])
    ax.set_xlabel(label)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False)
    return figure


def _hist_edges(values: np.ndarray, discrete: bool, bins: int) -> np.ndarray:
    support = _integer_support(values) if discrete else None
    if support is not None:
        return np.append(support, support[-1] + 1) - 0.5
    finite = values[np.isfinite(values)]
    return np.histogram_bin_edges(finite, bins=bins)


def _pp_hist(y, yrep, discrete: bool, label: str, bins: int) -> Figure:
    panels = 1 + len(yrep)
    nrows, ncols = _grid_shape(panels, 4)
    figure, axes = _figure(nrows, ncols, 2.4 * ncols, 1.9 * nrows + 0.3, sharex=True)
    used = _drop_spare_axes(figure, axes, panels)
    edges = _hist_edges(np.concatenate([y, yrep.ravel()]), discrete, bins)
    for k, ax in enumerate(used):
        values, title = (y, "y") if k == 0 else (yrep[k - 1], f"yrep {k}")
        ax.hist(values, bins=edges, color=_DARK if k == 0 else _LIGHT_HI,
                edgecolor=_DARK_HI if k == 0 else _MID, linewidth=0.5)
        ax.set_title(title, fontsize=9)
        ax.set_yticks([])
        ax.spines[["top", "right", "left"]].set_visible(False)
    figure.supxlabel(label)
    return figure


def _pp_stat(y, yrep, statistic, name: str, bins: int) -> Figure:
    figure, axes = _figure(1, 1, 6, 4)
    ax = axes[0, 0]
    replicated = np.asarray(statistic(yrep), dtype=float)
    observed = float(statistic(y[None, :])[0])
    edges = np.histogram_bin_edges(replicated[np.isfinite(replicated)], bins=bins)
    if edges[0] == edges[-1]:
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
    ax.hist(replicated, bins=edges, color=_LIGHT_HI, edgecolor=_MID, linewidth=0.5,
            label="T(yrep)")
    ax.axvline(observed, color=_DARK_HI, lw=2, label="T(y)")
    # the share of replicates at least as extreme is the posterior predictive p-value
    p_value = float(np.mean(replicated >= observed))
    ax.set_title(f"T = {name}; P(T(yrep) >= T(y)) = {p_value:.2f}", fontsize=10)
    ax.set_xlabel(f"T = {name}")
    ax.set_yticks([])
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.legend(frameon=False)
    return figure


def _pp_intervals(fit, y, yrep, prob: float, prob_outer: float, x: str | None,
                  label: str) -> Figure:
    if x is None:
        positions, xlabel = np.arange(1, len(y) + 1, dtype=float), "Observation"
    else:
        data = fit.design.data
        if x not in data.columns:
            raise MultilevelError(f"x={x!r} is not a column of the fitted data."
                                  + close_matches(x, data.columns)
                                  + " Columns: " + ", ".join(map(str, data.columns)) + ".")
        if not pd.api.types.is_numeric_dtype(data[x].dtype):
            raise MultilevelError(f"x={x!r} must be a numeric column, it is {data[x].dtype}.")
        positions, xlabel = data[x].to_numpy(dtype=float), x
    inner = np.quantile(yrep, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    outer = np.quantile(yrep, [(1 - prob_outer) / 2, (1 + prob_outer) / 2], axis=0)
    median = np.median(yrep, axis=0)
    width = min(12.0, max(6.0, len(y) / 25))
    figure, axes = _figure(1, 1, width, 4)
    ax = axes[0, 0]
    ax.vlines(positions, outer[0], outer[1], color=_LIGHT_HI, lw=1,
              label=f"yrep {100 * prob_outer:.0f}%")
    ax.vlines(positions, inner[0], inner[1], color=_MID, lw=2.5,
              label=f"yrep {100 * prob:.0f}%")
    ax.scatter(positions, median, s=12, facecolor=_LIGHT, edgecolor=_MID_HI, linewidth=0.6,
               zorder=3, label="yrep median")
    ax.scatter(positions, y, s=10, color=_DARK_HI, zorder=4, label="y")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(label)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, ncols=4, loc="upper left", bbox_to_anchor=(0, 1.12))
    return figure


def _pp_bars(y, yrep, prob_outer: float, label: str) -> Figure:
    support = _integer_support(y, yrep)
    if support is None:
        raise MultilevelError(
            "pp_check type 'bars' needs an integer response with at most "
            f"{_MAX_INTEGER_SUPPORT + 1} distinct values; use 'dens_overlay' or 'hist'.")
    counts = np.stack([np.bincount((draw - support[0]).astype(np.int64), minlength=len(support))
                       for draw in yrep])
    low, high = np.quantile(counts, [(1 - prob_outer) / 2, (1 + prob_outer) / 2], axis=0)
    figure, axes = _figure(1, 1, 6, 4)
    ax = axes[0, 0]
    observed = np.bincount((y - support[0]).astype(np.int64), minlength=len(support))
    ax.bar(support, observed, width=0.9, color=_LIGHT_HI, edgecolor=_MID, label="y")
    ax.vlines(support, low, high, color=_DARK, lw=1.5)
    ax.scatter(support, np.median(counts, axis=0), color=_DARK_HI, s=18, zorder=3,
               label=f"yrep median, {100 * prob_outer:.0f}% interval")
    ax.set_xlabel(label)
    ax.set_ylabel("count")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False)
    return figure


def _pp_ecdf(y, yrep, label: str) -> Figure:
    figure, axes = _figure(1, 1, 6, 4)
    ax = axes[0, 0]
    for k, draw in enumerate(yrep):
        ordered = np.sort(draw)
        ax.step(ordered, np.arange(1, len(ordered) + 1) / len(ordered), where="post",
                color=_MID, lw=0.8, alpha=0.7, label="yrep" if k == 0 else "_nolegend_")
    ordered = np.sort(y)
    ax.step(ordered, np.arange(1, len(ordered) + 1) / len(ordered), where="post",
            color=_DARK_HI, lw=2, label="y")
    ax.set_xlabel(label)
    ax.set_ylabel("ECDF")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False)
    return figure


def _pp_scatter_avg(y, yrep, label: str) -> Figure:
    figure, axes = _figure(1, 1, 5, 5)
    ax = axes[0, 0]
    average = yrep.mean(axis=0)
    ax.scatter(average, y, s=12, color=_MID_HI, alpha=0.7)
    low = float(min(average.min(), y.min()))
    high = float(max(average.max(), y.max()))
    ax.plot([low, high], [low, high], color="0.5", ls="--", lw=1)
    ax.set_xlabel("Average yrep")
    ax.set_ylabel(label)
    ax.spines[["top", "right"]].set_visible(False)
    return figure


# --- conditional_effects ---------------------------------------------------------------------

_METHODS = ("posterior_epred", "posterior_predict", "posterior_linpred")


def _variables_of(expression: str) -> set[str]:
    return {name for name in model_description(expression).var_names if name}


def _ordered(names, text: str) -> list[str]:
    """Variable names in order of first appearance in ``text``."""
    def position(name: str) -> int:
        found = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text)
        return found.start() if found else len(text)
    return sorted(names, key=position)


def _population_effects(fit) -> list[tuple[str, ...]]:
    """brms's default effects: each variable, then two-way combinations named by a term."""
    population = fit.design.spec.population
    combinations: list[tuple[str, ...]] = []
    for term in model_description(population).terms:
        names: list[str] = []
        for component in getattr(term, "components", []):
            for name in _ordered([n for n in component.var_names if n], str(component.name)):
                if name not in names:
                    names.append(name)
        if names and tuple(names) not in combinations:
            combinations.append(tuple(names))
    variables = list(dict.fromkeys(name for combo in combinations for name in combo))
    pairs = [combo for combo in combinations if len(combo) == 2]
    return [(name,) for name in variables] + pairs


def _uses_factor_call(fit, variable: str) -> bool:
    pattern = rf"\b(factor|C)\(\s*{re.escape(variable)}\s*\)"
    return re.search(pattern, fit.design.spec.population) is not None


def _is_factor(fit, variable: str) -> bool:
    column = fit.design.data[variable]
    if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(column.dtype):
        return True
    return not pd.api.types.is_numeric_dtype(column.dtype) or _uses_factor_call(fit, variable)


def _factor_levels(fit, variable: str) -> list:
    column = fit.design.data[variable]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(level) for level in column.cat.categories]
    return list(sorted_levels(column))


def _required_variables(fit) -> tuple[list[str], set[str], set[str]]:
    """Columns newdata needs: predictors, group factors, and response-side trials columns."""
    spec = fit.design.spec
    predictors = _variables_of(spec.population)
    for offset in spec.offsets:
        predictors |= _variables_of(offset)
    groups: set[str] = set()
    for term in spec.group_terms:
        predictors |= _variables_of(term.expr)
        groups.update(term.factors)
    trials: set[str] = set()
    if "trials" in spec.additions:
        trials |= _variables_of(spec.additions["trials"])
    if spec.cbind is not None:
        for part in spec.cbind:
            trials |= _variables_of(f"I({part})")
    predictors -= groups | trials
    return sorted(predictors), groups, trials


def _conditions(fit, conditions: dict | None) -> dict[str, object]:
    """Values at which the variables not being plotted are held."""
    data = fit.design.data
    predictors, groups, trials = _required_variables(fit)
    conditions = dict(conditions or {})
    known = set(predictors) | groups | trials
    unknown = [name for name in conditions if name not in known]
    if unknown:
        raise MultilevelError(
            "conditions names variable(s) the model does not use: "
            + ", ".join(repr(u) for u in unknown) + "; variables: "
            + ", ".join(sorted(known)) + ".")
    values: dict[str, object] = {}
    for name in predictors:
        if name in conditions:
            values[name] = conditions[name]
        elif _is_factor(fit, name):
            values[name] = _factor_levels(fit, name)[0]
        else:
            values[name] = float(data[name].mean())
    for name in groups:
        # with re_formula="~0" the level is ignored; with group terms it names an existing level
        values[name] = conditions.get(name, data[name].iloc[0])
    for name in trials:
        # one trial, as brms does, so the binomial curve is a probability
        values[name] = conditions.get(name, 1)
    return values


def _parse_effects(fit, effects) -> list[tuple[str, ...]]:
    defaults = _population_effects(fit)
    valid = [combo[0] for combo in defaults if len(combo) == 1]
    if not valid:
        raise MultilevelError(f"The model {fit.formula!r} has no population-level predictors, so "
                              "it has no conditional effects to show.")
    if effects is None:
        return defaults
    if isinstance(effects, str):
        effects = [effects]
    parsed = []
    for effect in effects:
        names = tuple(part.strip() for part in str(effect).split(":"))
        if len(names) > 2 or len(set(names)) != len(names):
            raise MultilevelError(f"Effect {effect!r}: give one variable or two distinct "
                                  "variables joined by ':' (e.g. 'Days:Sex').")
        for name in names:
            if name not in valid:
                raise MultilevelError(
                    f"Effect {effect!r}: {name!r} is not a population-level predictor of the "
                    "model." + close_matches(name, valid) + " Valid effects: "
                    + ", ".join(":".join(c) for c in defaults) + " (or any two joined by ':').")
        parsed.append(names)
    return parsed


def _effect_values(fit, variable: str, resolution: int, secondary: bool):
    """Values of an effect variable: a grid (or mean -1/0/+1 sd) if numeric, levels if a factor."""
    if _is_factor(fit, variable):
        return _factor_levels(fit, variable), True
    column = fit.design.data[variable].to_numpy(dtype=float)
    if secondary:
        mean, sd = column.mean(), column.std(ddof=1)
        return [mean + sd, mean, mean - sd], False
    return np.linspace(column.min(), column.max(), resolution), False


def _predictions(fit, newdata: pd.DataFrame, method: str, re_formula, ndraws, seed):
    if method == "posterior_epred" and fit.family.needs_trials:
        # the probability of success, whatever the trials columns hold
        eta = fit.posterior_linpred(newdata=newdata, re_formula=re_formula, ndraws=ndraws,
                                    seed=seed)
        return fit.family.link_function.inverse_numpy(eta)
    return getattr(fit, method)(newdata=newdata, re_formula=re_formula, ndraws=ndraws, seed=seed)


def _observed(fit) -> np.ndarray:
    y = np.asarray(fit.design.y, dtype=float)
    if fit.family.needs_trials:
        return y / fit.design.trials
    return y


def conditional_effects(fit, effects: str | Sequence[str] | None = None, points: bool = False,
                        prob: float = 0.95, re_formula="~0", resolution: int = 100,
                        robust: bool = True, method: str = "posterior_epred",
                        conditions: dict | None = None, ndraws: int | None = None,
                        seed: int | None = None, ncol: int | None = None,
                        jitter_width: float = 0.0) -> Figure:
    """Conditional effects of predictors on the expected response, as brms.

    Each effect is shown with the other predictors held at their mean (numeric) or
    reference level (factors). A numeric predictor gives a line with a credible band, a
    factor points with error bars; an interaction ``"x:f"`` gives one line or point set per
    level of ``f`` (for a numeric second variable, at its mean and mean +/- one sd).

    Parameters
    ----------
    fit
        The fitted model.
    effects
        A predictor (``"Days"``), an interaction of two (``"Days:Sex"``), or a list of these.
        None shows every population-level predictor and every two-way interaction of the
        formula, as brms.
    points
        Overlay the data (for binomial models the proportion of successes). As in brms, only
        rows at the reference level of the factors held fixed are shown.
    prob
        Probability mass of the credible band.
    re_formula
        Group terms to include; ``"~0"`` (brms's ``NA``) for none. Grouping factors are held
        at their first level.
    resolution
        Number of grid points of a numeric predictor.
    robust
        Centre line at the posterior median (brms's default) rather than the mean.
    method
        ``"posterior_epred"`` (expected response; for binomial models the success
        probability, as brms's default of one trial), ``"posterior_predict"`` or
        ``"posterior_linpred"``.
    conditions
        Values to hold other variables at instead of their means or reference levels, e.g.
        ``{"minority": "Yes"}``.
    ndraws, seed
        Use a random subset of draws.
    ncol
        Number of panel columns.
    jitter_width
        Horizontal jitter of data points on a factor axis.

    Returns
    -------
    matplotlib.figure.Figure
        One axis per effect.

    Raises
    ------
    MultilevelError
        For an effect naming a variable the model's population terms lack, or for a model
        without population-level predictors.
    """
    if method not in _METHODS:
        raise MultilevelError(f"method must be one of {', '.join(_METHODS)}, got {method!r}.")
    prob = _check_prob(prob)
    resolution = _check_positive_int(resolution, "resolution")
    parsed = _parse_effects(fit, effects)
    held = _conditions(fit, conditions)
    nrows, ncols = _grid_shape(len(parsed), ncol)
    figure, axes = _figure(nrows, ncols, 4.2 * ncols, 3.4 * nrows)
    used = _drop_spare_axes(figure, axes, len(parsed))
    for ax, effect in zip(used, parsed, strict=True):
        _draw_effect(fit, ax, effect, held, points, prob, re_formula, resolution, robust,
                     method, ndraws, seed, jitter_width)
    return figure


def _draw_effect(fit, ax, effect, held, points, prob, re_formula, resolution, robust, method,
                 ndraws, seed, jitter_width) -> None:
    first_values, first_is_factor = _effect_values(fit, effect[0], resolution, False)
    if len(effect) == 2:
        second_values, second_is_factor = _effect_values(fit, effect[1], resolution, True)
    else:
        second_values, second_is_factor = [None], True
    rows = []
    for second in second_values:
        for first in first_values:
            row = dict(held)
            row[effect[0]] = first
            if len(effect) == 2:
                row[effect[1]] = second
            rows.append(row)
    newdata = pd.DataFrame(rows)
    draws = _predictions(fit, newdata, method, re_formula, ndraws, seed)
    center = np.median(draws, axis=0) if robust else draws.mean(axis=0)
    lower, upper = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    size = len(first_values)
    groups = len(second_values)
    positions = np.arange(size, dtype=float)
    for k, second in enumerate(second_values):
        piece = slice(k * size, (k + 1) * size)
        color = _PALETTE[k % len(_PALETTE)] if groups > 1 else _MID_HI
        name = None if second is None else (str(second) if second_is_factor
                                            else f"{second:.2f}")
        if first_is_factor:
            offset = (k - (groups - 1) / 2) * min(0.6 / groups, 0.2) if groups > 1 else 0.0
            ax.errorbar(positions + offset, center[piece],
                        yerr=[center[piece] - lower[piece], upper[piece] - center[piece]],
                        fmt="o", color=color, capsize=3, label=name)
        else:
            ax.fill_between(first_values, lower[piece], upper[piece], color=color, alpha=0.25,
                            linewidth=0)
            ax.plot(first_values, center[piece], color=color, lw=2, label=name)
    if points:
        _draw_points(fit, ax, effect, held, first_values, first_is_factor, second_values,
                     second_is_factor, jitter_width)
    if first_is_factor:
        ax.set_xticks(positions, [str(v) for v in first_values])
        ax.set_xlim(-0.5, size - 0.5)
    ax.set_xlabel(effect[0])
    scale = {"posterior_linpred": f" (link scale: {fit.family.link})"}.get(method, "")
    response = _response_label(fit)
    if fit.family.needs_trials and method == "posterior_epred":
        response = f"{response} (probability per trial)"
    ax.set_ylabel(response + scale)
    ax.set_title(":".join(effect), fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    if len(effect) == 2:
        ax.legend(title=effect[1], frameon=False, fontsize=8, title_fontsize=8)


def _draw_points(fit, ax, effect, held, first_values, first_is_factor, second_values,
                 second_is_factor, jitter_width) -> None:
    data = fit.design.data
    y = _observed(fit)
    keep = np.ones(len(data), dtype=bool)
    predictors, _, _ = _required_variables(fit)
    for name in predictors:
        if name not in effect and _is_factor(fit, name):
            keep &= (data[name].astype(str) == str(held[name])).to_numpy()
    rng = np.random.default_rng(0)
    colors = np.full(len(data), "0.35", dtype=object)
    if len(effect) == 2 and second_is_factor:
        labels = data[effect[1]].astype(str).to_numpy()
        for k, level in enumerate(second_values):
            colors[labels == str(level)] = _PALETTE[k % len(_PALETTE)]
    if first_is_factor:
        lookup = {str(level): k for k, level in enumerate(first_values)}
        xs = data[effect[0]].astype(str).map(lookup).to_numpy(dtype=float)
        xs = xs + rng.uniform(-jitter_width, jitter_width, len(xs)) / 2
    else:
        xs = data[effect[0]].to_numpy(dtype=float)
    # above the credible band, below the line, as brms layers them
    ax.scatter(xs[keep], y[keep], c=list(colors[keep]), s=8, alpha=0.5, linewidths=0,
               zorder=1.5)


# --- plot: densities and traces --------------------------------------------------------------

def _default_variables(fit) -> list[str]:
    aux = set(fit.names.aux)
    return [name for name in fit.draws.names
            if name.startswith(("b_", "sd_", "cor_")) or name in aux]


def _select_variables(fit, variables, regex: bool) -> list[str]:
    names = list(fit.draws.names)
    if variables is None:
        return _default_variables(fit)
    if isinstance(variables, str):
        variables = [variables]
    chosen: list[str] = []
    for wanted in variables:
        if regex:
            matches = [name for name in names if re.search(wanted, name)]
        else:
            matches = [wanted] if wanted in names else []
        if not matches:
            shown = _default_variables(fit)
            raise MultilevelError(
                f"No parameter {'matches' if regex else 'is named'} {wanted!r}."
                + close_matches(wanted, names) + " Parameters include: " + ", ".join(shown)
                + " and the group-level effects r_<group>[<level>,<coef>].")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def plot(fit, variables: str | Sequence[str] | None = None, regex: bool = False) -> Figure:
    """Posterior density (left) and trace per chain (right) of each parameter, as brms's plot().

    Parameters
    ----------
    fit
        The fitted model.
    variables
        Parameter names as in ``fit.as_draws_df()`` (``"b_Days"``, ``"sd_Subject__Days"``,
        ``"r_Subject[308,Intercept]"``). None shows the population effects, group-level sds
        and correlations, and the family parameters such as ``sigma`` (not ``r_*``).
    regex
        Treat each entry of ``variables`` as a regular expression, as brms's ``regex=TRUE``.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes per parameter, in rows.

    Raises
    ------
    MultilevelError
        For a name (or pattern) that matches no parameter.
    """
    names = _select_variables(fit, variables, regex)
    draws = fit.draws
    figure, axes = _figure(len(names), 2, 9, 1.6 * len(names) + 0.4,
                           gridspec_kw={"width_ratios": [1, 1.6]})
    chains = draws.values.shape[0]
    colors = [_PALETTE[k % len(_PALETTE)] for k in range(chains)]
    for row, name in enumerate(names):
        values = draws.values[:, :, draws.names.index(name)]
        density_ax, trace_ax = axes[row]
        flat = values.ravel()
        low, high = float(flat.min()), float(flat.max())
        grid = np.linspace(low, high, 256) if high > low else np.array([low - 0.5, low + 0.5])
        density = _density(flat, grid)
        density_ax.fill_between(grid, density, color=_LIGHT_HI, linewidth=0)
        density_ax.plot(grid, density, color=_DARK, lw=1)
        density_ax.set_yticks([])
        density_ax.set_title(name, fontsize=9, loc="left")
        density_ax.spines[["top", "right", "left"]].set_visible(False)
        iterations = np.arange(1, values.shape[1] + 1)
        for chain in range(chains):
            trace_ax.plot(iterations, values[chain], color=colors[chain], lw=0.5, alpha=0.8,
                          label=f"chain {chain + 1}")
        trace_ax.set_title(name, fontsize=9, loc="left")
        trace_ax.spines[["top", "right"]].set_visible(False)
    axes[-1, 1].set_xlabel("iteration")
    axes[0, 1].legend(frameon=False, fontsize=7, ncols=min(chains, 4), loc="lower right",
                      bbox_to_anchor=(1, 1.02))
    return figure


# --- plot_ranef -------------------------------------------------------------------------------

def _check_group(fit, group) -> list[str]:
    groups = list(fit.names.groups)
    if not groups:
        raise MultilevelError(f"The model {fit.formula!r} has no group-level terms.")
    if group is None:
        return groups
    wanted = [group] if isinstance(group, str) else list(group)
    for name in wanted:
        if name not in groups:
            raise MultilevelError(f"Unknown grouping factor {name!r}." + close_matches(name, groups)
                                  + " Grouping factors: " + ", ".join(groups) + ".")
    return wanted


def _check_coefs(fit, group: str, coef) -> list[str]:
    coefs = fit.design.group_coefs(group)
    if coef is None:
        return coefs
    wanted = [coef] if isinstance(coef, str) else list(coef)
    for name in wanted:
        if name not in coefs:
            raise MultilevelError(f"{name!r} does not vary by {group!r}."
                                  + close_matches(name, coefs) + f" Coefficients of {group}: "
                                  + ", ".join(coefs) + ".")
    return wanted


def plot_ranef(fit, group: str | Sequence[str] | None = None,
               coef: str | Sequence[str] | None = None, prob: float = 0.95) -> Figure:
    """Caterpillar plot of the group-level effects, as lme4's ``dotplot(ranef(fit))``.

    For each grouping factor and varying coefficient, the levels are sorted by their
    estimate and drawn as a point with its credible interval, from ``fit.ranef()``.

    Parameters
    ----------
    fit
        The fitted model.
    group
        Grouping factor(s) to show; None for all.
    coef
        Varying coefficient(s) to show (``"Intercept"``, ``"Days"``); None for all.
    prob
        Probability mass of the intervals.

    Returns
    -------
    matplotlib.figure.Figure
        One axis per grouping factor and coefficient.

    Raises
    ------
    MultilevelError
        For an unknown grouping factor or coefficient.
    """
    prob = _check_prob(prob)
    groups = _check_group(fit, group)
    panels = [(g, c) for g in groups for c in _check_coefs(fit, g, coef)]
    probs = ((1 - prob) / 2, (1 + prob) / 2)
    low_label, high_label = (quantile_label(p) for p in probs)
    tables = fit.ranef(probs=probs)
    most = max(len(tables[g]) for g, _ in panels)
    nrows, ncols = _grid_shape(len(panels), 3)
    height = min(12.0, max(3.0, 0.16 * most + 1.0))
    figure, axes = _figure(nrows, ncols, 4 * ncols, height * nrows)
    used = _drop_spare_axes(figure, axes, len(panels))
    for ax, (group_name, coef_name) in zip(used, panels, strict=True):
        table = tables[group_name][coef_name].sort_values("Estimate")
        positions = np.arange(len(table))
        ax.hlines(positions, table[low_label], table[high_label], color=_MID, lw=1.2)
        ax.scatter(table["Estimate"], positions, color=_DARK_HI, s=14, zorder=3)
        ax.axvline(0, color="0.5", ls="--", lw=0.8)
        # past ~50 levels the labels overlap; the sorted profile is what remains readable
        if len(table) <= 50:
            ax.set_yticks(positions, [str(level) for level in table.index], fontsize=7)
        else:
            ax.set_yticks([])
        ax.set_ylabel(group_name)
        ax.set_xlabel(f"r_{group_name}[., {coef_name}] ({100 * prob:.0f}% interval)")
        ax.set_title(f"{group_name}: {coef_name}", fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
    return figure


# --- plot_shrinkage ---------------------------------------------------------------------------

def _population_eta(fit) -> tuple[np.ndarray, dict[str, float]]:
    """Posterior-mean population linear predictor per row and the population estimates."""
    fixef = fit.fixef()["Estimate"]
    design = fit.design
    eta = np.zeros(design.nobs)
    if design.has_intercept:
        eta += fixef["Intercept"]
    if design.b_names:
        eta += design.X @ fixef[design.b_names].to_numpy()
    if design.offset is not None:
        eta += design.offset
    return eta, {str(k): float(v) for k, v in fixef.items()}


def _group_values(fit, group: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The group's varying-term values (n x K), level index, level labels and coef names."""
    blocks = [block for block in fit.design.blocks if block.group == group]
    values = np.concatenate([block.values for block in blocks], axis=1)
    coefs = [coef for block in blocks for coef in block.coefs]
    return values, blocks[0].index, blocks[0].levels, coefs


def _adjusted_response(fit, index: np.ndarray, levels: int):
    """Response, prior weights and variance function for the per-level fits.

    Binomial data get half a success and half a failure per level and counts 0.5 per
    observation, so levels with all zeros (or all successes) keep a finite link-scale
    estimate: the empirical logit and log(mean + 0.5) of intercept-only blocks.
    """
    family = fit.family
    y = np.asarray(fit.design.y, dtype=float)
    ones = np.ones_like(y)
    if family.proportion:
        trials = fit.design.trials if fit.design.trials is not None else ones
        rows = np.bincount(index, minlength=levels)[index]
        proportion = (y + 0.5 / rows) / (trials + 1.0 / rows)
        return proportion, trials + 1.0 / rows, family.variance
    if family.discrete:
        return y + 0.5, ones, family.variance
    if family.log_scale_response:
        return np.log(y), ones, family.variance
    return y, ones, family.variance


def _no_pooling_fit(link, response, weights, variance, values, offset) -> np.ndarray:
    """Maximum-likelihood coefficients of one level by iteratively reweighted least squares."""
    k = values.shape[1]
    if len(response) < k or np.linalg.matrix_rank(values) < k:
        return np.full(k, np.nan)
    start = np.clip(response, 1e-6, None) if link.name in ("log", "sqrt") else response
    if link.name in ("logit", "probit", "cloglog"):
        start = np.clip(response, 1e-6, 1 - 1e-6)
    with np.errstate(all="ignore"):
        eta = link.forward(start)
    if not np.all(np.isfinite(eta)):
        eta = np.full_like(response, link.forward(np.mean(start)))
    beta = np.zeros(k)
    for _ in range(50):
        mu = link.inverse_numpy(eta)
        step = 1e-6 * np.maximum(1.0, np.abs(eta))
        derivative = (link.inverse_numpy(eta + step) - link.inverse_numpy(eta - step)) / (2 * step)
        derivative = np.where(np.abs(derivative) < 1e-12, 1e-12, derivative)
        working = eta - offset + (response - mu) / derivative
        w = weights * derivative ** 2 / np.maximum(variance(mu), 1e-12)
        root = np.sqrt(w)
        new_beta = np.linalg.lstsq(values * root[:, None], working * root, rcond=None)[0]
        eta = offset + values @ new_beta
        if np.allclose(new_beta, beta, rtol=1e-8, atol=1e-10):
            beta = new_beta
            break
        beta = new_beta
    return beta


def _no_pooling(fit, group: str) -> pd.DataFrame:
    """Each level's own estimate of the group's coefficients, other population terms fixed.

    The population terms that do not vary by ``group`` enter as an offset at their posterior
    means, so for ``Reaction ~ Days + (Days | Subject)`` this is ``lm(Reaction ~ Days)`` per
    subject; non-Gaussian families are fitted on their link scale.
    """
    values, index, levels, coefs = _group_values(fit, group)
    eta, population = _population_eta(fit)
    offset = eta.copy()
    for k, coef in enumerate(coefs):
        if coef in population:
            offset -= population[coef] * values[:, k]
    response, weights, variance = _adjusted_response(fit, index, len(levels))
    link = fit.family.link_function
    estimates = np.full((len(levels), len(coefs)), np.nan)
    for j in range(len(levels)):
        rows = index == j
        estimates[j] = _no_pooling_fit(link, response[rows], weights[rows], variance,
                                       values[rows], offset[rows])
    return pd.DataFrame(estimates, index=pd.Index(levels, name=group), columns=coefs)


def _multilevel(fit, group: str, population: dict[str, float]) -> pd.DataFrame:
    """Posterior-mean coefficients per level, population plus group-level effect.

    The same numbers as ``fit.coef()``'s Estimate (a mean of a sum is the sum of means),
    also for coefficients that vary without a population term.
    """
    varying = fit.ranef()[group]
    columns = {coef: population.get(coef, 0.0) + varying[(coef, "Estimate")].to_numpy()
               for coef in fit.design.group_coefs(group)}
    return pd.DataFrame(columns, index=pd.Index(fit.design.group_levels(group), name=group))


def _arrow(ax, start, end) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, color="0.45",
                                 lw=0.8, shrinkA=2, shrinkB=3, zorder=2))


def plot_shrinkage(fit, group: str | None = None, coef: str | Sequence[str] | None = None,
                   labels: bool | None = None) -> Figure:
    """Each level's own (no-pooling) estimate beside its multilevel estimate.

    Arrows go from the no-pooling estimate, fitted to the level's data alone, to the
    multilevel estimate (``fit.coef()``), which the model pulls towards the population
    estimate (marked). With two coefficients (an intercept and a slope) the display is a
    2-D scatter as in multilevel-model textbooks, with ellipses of the estimated group
    distribution; with one it has two columns, no pooling and multilevel.

    The no-pooling estimate fits the group's varying terms to each level's rows, holding the
    other population terms at their posterior means: ``lm(Reaction ~ Days)`` per subject for
    ``Reaction ~ Days + (Days | Subject)``. Other families are fitted on the link scale,
    with half a success and half a failure added per level for binomial and Bernoulli data
    (the empirical logit) and 0.5 added to counts (``log(mean + 0.5)``), so all-zero levels
    stay finite. A level whose data cannot identify its coefficients (say one observation
    for an intercept and a slope) has no arrow.

    Parameters
    ----------
    fit
        The fitted model.
    group
        The grouping factor; None for the first.
    coef
        One coefficient (1-D display) or two (2-D); None for the group's coefficients, the
        first two when there are more.
    labels
        Write level names next to the no-pooling points; None labels up to 30 levels.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MultilevelError
        For an unknown grouping factor or coefficient.
    """
    if group is not None and not isinstance(group, str):
        raise MultilevelError("plot_shrinkage shows one grouping factor; pass its name as group.")
    group = _check_group(fit, group)[0]
    coefs = _check_coefs(fit, group, coef)
    if coef is not None and len(coefs) > 2:
        raise MultilevelError(f"plot_shrinkage shows one or two coefficients, got {len(coefs)}.")
    coefs = coefs[:2]
    no_pooling = _no_pooling(fit, group)[coefs]
    _, population = _population_eta(fit)
    multilevel = _multilevel(fit, group, population)[coefs]
    centre = [population.get(c, 0.0) for c in coefs]
    if labels is None:
        labels = len(no_pooling) <= 30
    scale = "" if fit.family.link == "identity" else f" (link scale: {fit.family.link})"
    if len(coefs) == 1:
        return _shrinkage_1d(fit, group, coefs[0], no_pooling, multilevel, centre[0], labels,
                             scale)
    return _shrinkage_2d(fit, group, coefs, no_pooling, multilevel, centre, labels, scale)


def _shrinkage_1d(fit, group, coef, no_pooling, multilevel, centre, labels, scale) -> Figure:
    figure, axes = _figure(1, 1, 5, 6)
    ax = axes[0, 0]
    before = no_pooling[coef].to_numpy()
    after = multilevel[coef].to_numpy()
    finite = np.isfinite(before)
    ax.scatter(np.zeros(finite.sum()), before[finite], facecolor="white", edgecolor=_DARK_HI,
               s=28, zorder=3, label="no pooling")
    ax.scatter(np.ones(len(after)), after, color=_DARK_HI, s=28, zorder=3, label="multilevel")
    for b, a in zip(before[finite], after[finite], strict=True):
        _arrow(ax, (0, b), (1, a))
    ax.axhline(centre, color="#d62728", ls="--", lw=1.2, label="population estimate")
    if labels:
        for level, value in zip(no_pooling.index[finite], before[finite], strict=True):
            ax.annotate(str(level), (0, value), xytext=(-6, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=7, color="0.3")
    ax.set_xticks([0, 1], ["no pooling", "multilevel"])
    ax.set_xlim(-0.6 if labels else -0.3, 1.3)
    ax.set_ylabel(f"{coef}{scale}")
    ax.set_title(f"Shrinkage of {coef} by {group}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="best")
    return figure


def _group_covariance(fit, group, coefs) -> np.ndarray | None:
    entry = fit.varcorr()[group]
    sd = entry["sd"]["Estimate"]
    if not all(c in sd.index for c in coefs):
        return None
    correlation = 0.0
    if "cor" in entry:
        table = entry["cor"]["Estimate"]
        for pair in ((coefs[0], coefs[1]), (coefs[1], coefs[0])):
            if pair in table.index:
                correlation = float(table.loc[pair])
    s0, s1 = float(sd[coefs[0]]), float(sd[coefs[1]])
    return np.array([[s0 ** 2, correlation * s0 * s1], [correlation * s0 * s1, s1 ** 2]])


def _shrinkage_2d(fit, group, coefs, no_pooling, multilevel, centre, labels, scale) -> Figure:
    figure, axes = _figure(1, 1, 6.5, 5.5)
    ax = axes[0, 0]
    before = no_pooling.to_numpy()
    after = multilevel.to_numpy()
    finite = np.isfinite(before).all(axis=1)
    covariance = _group_covariance(fit, group, coefs)
    if covariance is not None:
        # contours of the fitted group distribution that the estimates are pulled into
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        angle = float(np.degrees(np.arctan2(eigenvectors[1, -1], eigenvectors[0, -1])))
        for mass in (0.5, 0.8, 0.95):
            radius = np.sqrt(scipy_stats.chi2.ppf(mass, 2) * np.maximum(eigenvalues, 0))
            ax.add_patch(Ellipse(centre, 2 * radius[-1], 2 * radius[0], angle=angle,
                                 fill=False, color="0.6", lw=0.8, ls=":", zorder=1))
    for b, a in zip(before[finite], after[finite], strict=True):
        _arrow(ax, tuple(b), tuple(a))
    ax.scatter(before[finite, 0], before[finite, 1], facecolor="white", edgecolor=_DARK_HI,
               s=30, zorder=3, label="no pooling")
    ax.scatter(after[:, 0], after[:, 1], color=_DARK_HI, s=30, zorder=3, label="multilevel")
    ax.scatter([centre[0]], [centre[1]], marker="X", color="#d62728", s=120, zorder=4,
               label="population estimate")
    if labels:
        for level, point in zip(no_pooling.index[finite], before[finite], strict=True):
            ax.annotate(str(level), tuple(point), xytext=(4, 4), textcoords="offset points",
                        fontsize=7, color="0.3")
    ax.set_xlabel(f"{coefs[0]}{scale}")
    ax.set_ylabel(f"{coefs[1]}{scale}")
    ax.set_title(f"Shrinkage of ({coefs[0]}, {coefs[1]}) by {group}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="best")
    ax.autoscale_view()
    return figure

"""Conditional effects, as brms's ``conditional_effects()``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ..errors import MultilevelError, close_matches
from ..spec.conditions import CONDITION_LABEL, condition_rows
from .common import (
    _MID_HI,
    _PALETTE,
    PlotFigure,
    _check_positive_int,
    _check_prob,
    _drop_spare_axes,
    _figure,
    _grid_shape,
    _response_label,
    effect_summary,
)
from .effect_variables import (
    factor_levels,
    held_values,
    in_order_of_appearance,
    is_factor,
    population_effects,
    required_variables,
)

_METHODS = ("posterior_epred", "posterior_predict", "posterior_linpred")


class ConditionalEffects(PlotFigure):
    """The figure of :func:`conditional_effects`, which also holds what it shows as brms's
    ``conditional_effects()`` object holds it: ``effects["Days"]`` (brms's ``ce$Days``) is
    a data frame of the grid's rows, the variables held, ``cond__``, ``effect1__`` (and
    ``effect2__`` or ``cats__``), ``estimate__``, ``se__``, ``lower__`` and ``upper__``.
    """

    # a figure is no collection to loop over, whatever its item access
    __iter__ = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.data: dict[str, pd.DataFrame] = {}

    def __getitem__(self, effect: str) -> pd.DataFrame:
        if effect not in self.data:
            raise KeyError(f"{effect!r}: the effects shown are {', '.join(self.data)}.")
        return self.data[effect]

    def keys(self):
        """The effects shown, as brms's ``names()`` of its object."""
        return self.data.keys()

    def items(self):
        """Each effect with its data frame."""
        return self.data.items()


def _parse_effects(fit, effects) -> list[tuple[str, ...]]:
    defaults = population_effects(fit)
    valid = [combo[0] for combo in defaults if len(combo) == 1]
    if not valid:
        raise MultilevelError(f"The model {fit.formula!r} has no population-level predictors, so "
                              "it has no conditional effects to show.")
    if effects is None:
        # brms puts a numeric variable of a default interaction first, on the axis
        return [combo[::-1] if len(combo) == 2 and is_factor(fit, combo[0])
                and not is_factor(fit, combo[1]) else combo for combo in defaults]
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


def _effect_values(fit, variable: str, resolution: int, secondary: bool,
                   int_conditions: dict):
    """Values of an effect variable: those ``int_conditions`` gives (a list, or a function of
    the data's column), else a grid (or mean -1/0/+1 sd) if numeric, levels if a factor."""
    factor = is_factor(fit, variable)
    if variable in int_conditions:
        given = int_conditions[variable]
        values = list(given(fit.design.data[variable]) if callable(given) else given)
        if not values:
            raise MultilevelError(f"int_conditions gives no values of {variable!r}.")
        if factor:
            return values, True
        # brms orders a numeric second effect's values from the largest down
        return sorted((float(v) for v in values), reverse=secondary), False
    if factor:
        return factor_levels(fit, variable), True
    column = fit.design.data[variable].to_numpy(dtype=float)
    if secondary:
        # the mean and one sd either side (a surface takes the second one's grid too)
        mean, sd = column.mean(), column.std(ddof=1)
        return [mean + sd, mean, mean - sd], False
    return np.linspace(column.min(), column.max(), resolution), False


def _predictions(fit, newdata: pd.DataFrame, method: str, re_formula, ndraws, seed, dpar):
    if dpar is not None:
        # a distributional parameter's values (brms's expected predictions of it), or its
        # linear predictor
        return fit.posterior_linpred(newdata=newdata, re_formula=re_formula, ndraws=ndraws,
                                     seed=seed, incl_autocor=False, dpar=dpar,
                                     transform=method == "posterior_epred")
    if method == "posterior_epred" and fit.family.needs_trials:
        # the probability of success, whatever the trials columns hold: the mean per trial
        drawn = fit._predict(newdata, re_formula, False, "uncertainty", ndraws, seed, False)
        mean, trials = drawn.mean(fit.family), np.asarray(drawn.trials, dtype=float)
        # a multinomial's expected counts per category (draws x rows x categories)
        return mean / (trials[:, None] if mean.ndim == 3 else trials)
    # the grid's rows are no series: brms leaves residual structures out here too
    return getattr(fit, method)(newdata=newdata, re_formula=re_formula, ndraws=ndraws, seed=seed,
                                incl_autocor=False)


def _observed(fit) -> np.ndarray:
    y = np.asarray(fit.design.y, dtype=float)
    if fit.family.needs_trials:
        return y / fit.design.trials
    return y


def conditional_effects(fit, effects: str | Sequence[str] | None = None, points: bool = False,
                        prob: float = 0.95, re_formula="~0", resolution: int = 100,
                        robust: bool = True, method: str = "posterior_epred",
                        conditions: dict | pd.DataFrame | None = None,
                        ndraws: int | None = None,
                        seed: int | None = None, ncol: int | None = None,
                        jitter_width: float = 0.0, categorical: bool = False,
                        spaghetti: bool = False,
                        int_conditions: dict | None = None, dpar: str | None = None,
                        surface: bool = False) -> Figure:
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
        ``{"minority": "Yes"}``; or a data frame with one row per condition, such as
        :func:`multilevel.make_conditions` makes, for one panel per effect and row, each
        titled by the row's ``cond__`` (its number where the frame has none), as brms's.
    ndraws, seed
        Use a random subset of draws.
    ncol
        Number of panel columns.
    jitter_width
        Horizontal jitter of data points on a factor axis.
    categorical
        For an ordinal or categorical model, one line per category's probability instead of
        the expected category (the categories taken as the numbers 1..K, ordinal models
        only), as brms's ``categorical``.
    spaghetti
        For a numeric predictor, a thin line per draw instead of the credible band, under
        the centre line, as brms's ``spaghetti``; factors keep their error bars. All draws
        unless ``ndraws`` is given (brms suggests about 100).
    dpar
        A distributional parameter to show instead of the response's mean (``"sigma"``), as
        brms's ``dpar``: its values, or its linear predictor with
        ``method="posterior_linpred"``.
    surface
        For an interaction of two numeric variables, the estimate over a grid of both as a
        filled contour map, as brms's ``surface = TRUE`` (``resolution`` points each).
    int_conditions
        The values at which to show an effect's variable, as brms's ``int_conditions``: a
        list, or a function of the data's column (``{"z": lambda z: z.quantile([0.1,
        0.9])}``); most useful for the second variable of an interaction, which is
        otherwise held at its mean and one sd either side.

    Returns
    -------
    ConditionalEffects
        A matplotlib figure with one axis per effect, which also holds brms's data frame of
        each effect: ``ce = fit.conditional_effects("Days")``, then ``ce["Days"]`` (brms's
        ``ce$Days``) has the grid's rows with ``effect1__``, ``estimate__`` (the median, or
        the mean with ``robust=False``), ``se__`` (the MAD, or the sd), ``lower__`` and
        ``upper__``; ``ce.keys()`` lists the effects.

    Raises
    ------
    MultilevelError
        For an effect naming a variable the model's population terms lack, or for a model
        without population-level predictors.
    """
    if method not in _METHODS:
        raise MultilevelError(f"method must be one of {', '.join(_METHODS)}, got {method!r}.")
    if dpar is not None and (method == "posterior_predict" or points or categorical):
        raise MultilevelError("dpar= shows a distributional parameter, which has no new "
                              "observations, data points or categories: use it with "
                              "method='posterior_epred' or 'posterior_linpred', without "
                              "points or categorical.")
    if categorical and not fit.design.categories:
        raise MultilevelError("categorical=True is only available for ordinal and categorical "
                              "models; "
                              f"this model's family is {fit.family.name!r}.")
    if fit.family.categorical and not categorical and (method == "posterior_epred"
                                                        or fit.family.columns):
        raise MultilevelError(f"The categories of a {fit.family.name} model have no order, so "
                              "one line for all of them means nothing; pass categorical=True "
                              "for each category's expected share.")
    if points:
        fit.design.require_one_response_per_row("conditional_effects(points=True)")
    if categorical and method != "posterior_epred":
        raise MultilevelError("categorical=True shows the categories' probabilities, so it "
                              "takes method='posterior_epred'.")
    prob = _check_prob(prob)
    resolution = _check_positive_int(resolution, "resolution")
    parsed = _parse_effects(fit, effects)
    if categorical and any(len(effect) > 1 for effect in parsed):
        raise MultilevelError("categorical=True shows one predictor per panel; interactions "
                              "such as " + ":".join(next(e for e in parsed if len(e) > 1))
                              + " are not available with it.")
    # one panel per effect and condition, each condition's values held
    held_by_label = [(label, held_values(fit, values))
                     for label, values in condition_rows(conditions)]
    labelled = isinstance(conditions, pd.DataFrame)
    int_conditions = dict(int_conditions or {})
    shown = {name for effect in parsed for name in effect}
    unknown = sorted(name for name in int_conditions if name not in shown)
    if unknown:
        raise MultilevelError(f"int_conditions names {', '.join(map(repr, unknown))}, which no "
                              f"effect shown has; their variables: {', '.join(sorted(shown))}.")
    panels = [(effect, label, held) for effect in parsed for label, held in held_by_label]
    nrows, ncols = _grid_shape(len(panels), ncol)
    figure, axes = _figure(nrows, ncols, 4.2 * ncols, 3.4 * nrows,
                           figure_class=ConditionalEffects)
    used = _drop_spare_axes(figure, axes, len(panels))
    request = _Request(points, prob, re_formula, resolution, robust, method, ndraws, seed,
                       jitter_width, categorical, spaghetti, int_conditions, dpar, surface)
    frames: dict[str, list[pd.DataFrame]] = {}
    for ax, (effect, label, held) in zip(used, panels, strict=True):
        # brms names a panel of categories by its effect and cats__ ("x:cats__")
        name = ":".join(effect + (("cats__",) if categorical else ()))
        frame = _draw_effect(fit, ax, effect, held, request, label)
        if labelled:  # brms's facet of the condition
            ax.set_title(f"{ax.get_title()}\n{label}", fontsize=9)
        frames.setdefault(name, []).append(frame)
    labels = [label for label, _ in held_by_label]
    for name, pieces in frames.items():
        frame = pd.concat(pieces, ignore_index=True)
        frame[CONDITION_LABEL] = pd.Categorical(frame[CONDITION_LABEL], categories=labels)
        figure.data[name] = frame
    return figure


@dataclass(frozen=True)
class _Request:
    """What :func:`conditional_effects` was asked, checked, for each of its panels."""

    points: bool
    prob: float
    re_formula: object
    resolution: int
    robust: bool
    method: str
    ndraws: int | None
    seed: int | None
    jitter_width: float
    categorical: bool
    spaghetti: bool
    int_conditions: dict
    dpar: str | None
    surface: bool


def _draw_effect(fit, ax, effect, held, request: _Request, label: str) -> pd.DataFrame:
    r = request
    first_values, first_is_factor = _effect_values(fit, effect[0], r.resolution, False,
                                                   r.int_conditions)
    surface = (r.surface and len(effect) == 2 and not first_is_factor
               and not is_factor(fit, effect[1]))
    if len(effect) == 2:
        second_values, second_is_factor = _effect_values(fit, effect[1], r.resolution,
                                                         not surface, r.int_conditions)
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
    draws = _predictions(fit, newdata, r.method, r.re_formula, r.ndraws, r.seed, r.dpar)
    legend_title = effect[1] if len(effect) == 2 else None
    if draws.ndim == 3 and r.categorical:
        # each category's probability takes the place of a second variable's level
        draws = draws.transpose(0, 2, 1).reshape(draws.shape[0], -1)
        second_values, second_is_factor = fit.design.categories, True
        legend_title = _response_label(fit)
    elif draws.ndim == 3:
        draws = draws @ np.arange(1, draws.shape[2] + 1)
    summary = effect_summary(draws, r.prob, r.robust)
    if surface:
        return _draw_surface(fit, ax, effect, newdata, summary, first_values, second_values, r,
                             label)
    center, lower, upper = (summary[c].to_numpy() for c in ("estimate__", "lower__", "upper__"))
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
        elif r.spaghetti:
            lines = [np.column_stack([first_values, draw]) for draw in draws[:, piece]]
            # fainter the more lines there are, so that where they crowd reads as density
            ax.add_collection(LineCollection(lines, colors=color, linewidths=0.5,
                                             alpha=min(0.5, 10 / len(lines))))
            ax.plot(first_values, center[piece], color=color, lw=2, label=name)
        else:
            ax.fill_between(first_values, lower[piece], upper[piece], color=color, alpha=0.25,
                            linewidth=0)
            ax.plot(first_values, center[piece], color=color, lw=2, label=name)
    if r.points:
        _draw_points(fit, ax, effect, held, first_values, first_is_factor, second_values,
                     second_is_factor, r.jitter_width)
    if first_is_factor:
        ax.set_xticks(positions, [str(v) for v in first_values])
        ax.set_xlim(-0.5, size - 0.5)
    ax.set_xlabel(effect[0])
    scale = {"posterior_linpred": " (link scale)" if r.dpar else
             f" (link scale: {fit.family.link})"}.get(r.method, "")
    response = _response_label(fit)
    if r.dpar is not None:
        response = r.dpar
    elif fit.family.needs_trials and r.method == "posterior_epred":
        response = f"{response} (probability per trial)"
    if r.categorical:
        response = "Probability"
    elif fit.design.categories and r.method == "posterior_epred" and r.dpar is None:
        response = f"{response} (expected category)"
    ax.set_ylabel(response + scale)
    ax.set_title(":".join(effect), fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    if legend_title is not None:
        ax.legend(title=legend_title, frameon=False, fontsize=8, title_fontsize=8)
    return _effect_frame(fit, effect, newdata, summary, r.re_formula,
                         fit.design.categories if r.categorical else None, label)


def _draw_surface(fit, ax, effect, newdata, summary, first_values, second_values,
                  request: _Request, label: str) -> pd.DataFrame:
    """brms's ``surface = TRUE``: two numeric effects over a grid of both, the estimate as a
    filled contour map with its colour bar."""
    estimate = summary["estimate__"].to_numpy().reshape(len(second_values), len(first_values))
    filled = ax.contourf(first_values, second_values, estimate, levels=12, cmap="viridis")
    label = request.dpar or _response_label(fit)
    ax.figure.colorbar(filled, ax=ax, label=label)
    ax.set_xlabel(effect[0])
    ax.set_ylabel(effect[1])
    ax.set_title(":".join(effect), fontsize=10)
    return _effect_frame(fit, effect, newdata, summary, request.re_formula, None, label,
                         surface=True)


def _effect_frame(fit, effect, newdata: pd.DataFrame, summary: pd.DataFrame, re_formula,
                  categories, label: str, surface: bool = False) -> pd.DataFrame:
    """brms's data frame of one effect: the grid's rows sorted by the first effect, then the
    second (each category's rows in turn with ``categorical``), the effects' columns, the
    response and the variables held, ``cond__`` (and ``cats__``), ``effect1__``,
    ``effect2__`` (the category with ``categorical``) and the summary of the draws."""
    rows = len(newdata)
    if categories is not None:
        newdata = pd.concat([newdata] * len(categories), ignore_index=True)
        newdata["cats__"] = pd.Categorical(np.repeat(categories, rows), categories=categories)
    frame = newdata.copy()
    _, groups, _ = required_variables(fit)
    for name in groups:
        if re_formula is not None and not (isinstance(re_formula, str) and re.search(
                rf"(?<![\w.]){re.escape(name)}(?![\w.])", re_formula)):
            frame[name] = None  # left out of the predictions: brms's NA
    response = _response_label(fit)
    data = fit.design.data
    if response in data.columns and response not in frame.columns:
        column = data[response]
        frame[response] = (float(column.mean()) if pd.api.types.is_numeric_dtype(column.dtype)
                           and not pd.api.types.is_bool_dtype(column.dtype)
                           else factor_levels(fit, response)[0])
    held = in_order_of_appearance([c for c in frame.columns
                                   if c not in effect and c not in ("cats__", response)],
                                  fit.formula)
    order = [*effect, *([response] if response in frame.columns else []), *held]
    frame = frame[order]
    frame[CONDITION_LABEL] = pd.Categorical([label] * len(frame))
    if categories is not None:
        frame["cats__"] = newdata["cats__"]
    for k, name in enumerate(effect, start=1):
        frame[f"effect{k}__"] = _effect_column(fit, newdata[name], name,
                                               held_at_few=k == 2 and not surface)
    if categories is not None:
        frame["effect2__"] = newdata["cats__"]  # the category takes a second effect's place
    frame = pd.concat([frame, summary.reset_index(drop=True)], axis=1)
    # brms sorts the grid by the first effect, then the second, within each category
    keys = [np.arange(len(frame)) // rows]
    for k, name in enumerate(effect, start=1):
        keys.append(frame[f"effect{k}__"].cat.codes if is_factor(fit, name)
                    else frame[name].to_numpy(dtype=float))
    ordered = np.lexsort(keys[::-1])
    return frame.iloc[ordered].reset_index(drop=True)


def _effect_column(fit, values: pd.Series, name: str, held_at_few: bool):
    """``effect1__`` or ``effect2__``: a factor's levels as a categorical; a numeric second
    effect held at a few values (not a surface's grid) rounded to two digits, as a
    categorical from the largest down, as brms's."""
    if is_factor(fit, name):
        levels = factor_levels(fit, name)
        return pd.Categorical(values.astype(str), categories=[str(level) for level in levels])
    if held_at_few:
        rounded = np.round(values.to_numpy(dtype=float), 2)
        return pd.Categorical(rounded, categories=sorted(set(rounded), reverse=True))
    return values.to_numpy(dtype=float)


def _draw_points(fit, ax, effect, held, first_values, first_is_factor, second_values,
                 second_is_factor, jitter_width) -> None:
    data = fit.design.data
    y = _observed(fit)
    keep = np.ones(len(data), dtype=bool)
    predictors, _, _ = required_variables(fit)
    for name in predictors:
        if name not in effect and is_factor(fit, name):
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

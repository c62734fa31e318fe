"""Conditional effects, as brms's ``conditional_effects()``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from formulae import model_description
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ..errors import MultilevelError, close_matches
from ..names import sorted_levels
from ..spec.truncation import bound_columns_text
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


def _variables_of(expression: str) -> set[str]:
    return {name for name in model_description(expression).var_names if name}


def _ordered(names, text: str) -> list[str]:
    """Variable names in order of first appearance in ``text``."""
    def position(name: str) -> int:
        found = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text)
        return found.start() if found else len(text)
    return sorted(names, key=position)


def _population_text(spec) -> str:
    """The population-level terms, the expressions of ``cs()`` terms among them; of a
    non-linear formula, its columns and its parameters' population-level terms."""
    if spec.nonlinear is not None:
        return " + ".join([name for name in spec.nonlinear.names if name not in spec.nlpar_names]
                          + [part.population for _, part in spec.nlpars])
    return " + ".join([spec.population] + [term.expression for term in spec.category_specific])


def _population_effects(fit) -> list[tuple[str, ...]]:
    """brms's default effects: each variable, then two-way combinations named by a term."""
    population = _population_text(fit.design.spec)
    combinations: list[tuple[str, ...]] = []
    for term in model_description(population).terms:
        names: list[str] = []
        for component in getattr(term, "components", []):
            for name in _ordered([n for n in component.var_names if n], str(component.name)):
                if name not in names:
                    names.append(name)
        if names and tuple(names) not in combinations:
            combinations.append(tuple(names))
    variables = list(dict.fromkeys([name for combo in combinations for name in combo]
                                   + [smooth.variable for smooth in fit.design.spec.smooths]
                                   + [effect.variable for effect in fit.design.spec.monotonic]))
    pairs = [combo for combo in combinations if len(combo) == 2]
    pairs += [(effect.variable, effect.covariates[0]) for effect in fit.design.spec.monotonic
              if len(effect.covariates) == 1]
    return [(name,) for name in variables] + list(dict.fromkeys(pairs))


def _uses_factor_call(fit, variable: str) -> bool:
    pattern = rf"\b(factor|C)\(\s*{re.escape(variable)}\s*\)"
    return re.search(pattern, _population_text(fit.design.spec)) is not None


def _is_factor(fit, variable: str) -> bool:
    # a monotonic effect's values are its levels: shown one by one, held at its first
    if any(effect.variable == variable for effect in fit.design.spec.monotonic):
        return True
    column = fit.design.data[variable]
    if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(column.dtype):
        return True
    return not pd.api.types.is_numeric_dtype(column.dtype) or _uses_factor_call(fit, variable)


def _is_monotonic_number(fit, variable: str) -> bool:
    column = fit.design.data[variable]
    return (any(effect.variable == variable for effect in fit.design.spec.monotonic)
            and pd.api.types.is_numeric_dtype(column.dtype)
            and not pd.api.types.is_bool_dtype(column.dtype))


def _factor_levels(fit, variable: str) -> list:
    column = fit.design.data[variable]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(level) for level in column.cat.categories]
    return list(sorted_levels(column))


def _required_variables(fit) -> tuple[list[str], set[str], set[str]]:
    """Columns newdata needs: predictors (standard errors among them), group factors, and
    response-side trials columns."""
    spec = fit.design.spec
    predictors = _variables_of(_population_text(spec))
    # the other parameters' formulas read their columns for the new rows too
    for _, part in spec.nlpars + spec.dpars:
        predictors |= _variables_of(part.population)
    for part in [spec] + [part for _, part in spec.nlpars + spec.dpars]:
        for offset in part.offsets:
            predictors |= _variables_of(offset)
    predictors |= {smooth.variable for smooth in spec.smooths}
    predictors |= {effect.variable for effect in spec.monotonic}
    if "se" in spec.additions:
        # standard errors are held at their mean, as brms holds every numeric variable
        predictors |= _variables_of(spec.additions["se"])
    if "trunc" in spec.additions:
        # so are the columns of truncation bounds
        for bound in bound_columns_text(spec.additions["trunc"]):
            predictors |= _variables_of(bound)
    groups: set[str] = set()
    for term in spec.group_terms + tuple(term for _, part in spec.nlpars
                                         for term in part.group_terms):
        predictors |= _variables_of(term.expr)
        groups.update(term.factors + ((term.by,) if term.by else ()))
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
        elif _is_monotonic_number(fit, name):
            # brms holds a whole-number monotonic predictor at its mean, rounded to a level
            levels = _factor_levels(fit, name)
            values[name] = levels[int(np.argmin(np.abs(np.asarray(levels, dtype=float)
                                                       - data[name].mean())))]
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
        # brms puts a numeric variable of a default interaction first, on the axis
        return [combo[::-1] if len(combo) == 2 and _is_factor(fit, combo[0])
                and not _is_factor(fit, combo[1]) else combo for combo in defaults]
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
    factor = _is_factor(fit, variable)
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
        return _factor_levels(fit, variable), True
    column = fit.design.data[variable].to_numpy(dtype=float)
    if secondary:
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
                        conditions: dict | None = None, ndraws: int | None = None,
                        seed: int | None = None, ncol: int | None = None,
                        jitter_width: float = 0.0, categorical: bool = False,
                        spaghetti: bool = False,
                        int_conditions: dict | None = None, dpar: str | None = None) -> Figure:
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
    held = _conditions(fit, conditions)
    int_conditions = dict(int_conditions or {})
    shown = {name for effect in parsed for name in effect}
    unknown = sorted(name for name in int_conditions if name not in shown)
    if unknown:
        raise MultilevelError(f"int_conditions names {', '.join(map(repr, unknown))}, which no "
                              f"effect shown has; their variables: {', '.join(sorted(shown))}.")
    nrows, ncols = _grid_shape(len(parsed), ncol)
    figure, axes = _figure(nrows, ncols, 4.2 * ncols, 3.4 * nrows,
                           figure_class=ConditionalEffects)
    used = _drop_spare_axes(figure, axes, len(parsed))
    request = _Request(points, prob, re_formula, resolution, robust, method, ndraws, seed,
                       jitter_width, categorical, spaghetti, int_conditions, dpar)
    for ax, effect in zip(used, parsed, strict=True):
        figure.data[":".join(effect)] = _draw_effect(fit, ax, effect, held, request)
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


def _draw_effect(fit, ax, effect, held, request: _Request) -> pd.DataFrame:
    r = request
    first_values, first_is_factor = _effect_values(fit, effect[0], r.resolution, False,
                                                   r.int_conditions)
    if len(effect) == 2:
        second_values, second_is_factor = _effect_values(fit, effect[1], r.resolution, True,
                                                         r.int_conditions)
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
                         fit.design.categories if r.categorical else None)


def _effect_frame(fit, effect, newdata: pd.DataFrame, summary: pd.DataFrame, re_formula,
                  categories) -> pd.DataFrame:
    """brms's data frame of one effect: the grid's rows sorted by the first effect, then the
    second (each category's rows in turn with ``categorical``), the effects' columns, the
    response and the variables held, ``cond__`` (and ``cats__``), ``effect1__``,
    ``effect2__`` (the category with ``categorical``) and the summary of the draws."""
    rows = len(newdata)
    if categories is not None:
        newdata = pd.concat([newdata] * len(categories), ignore_index=True)
        newdata["cats__"] = pd.Categorical(np.repeat(categories, rows), categories=categories)
    frame = newdata.copy()
    _, groups, _ = _required_variables(fit)
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
                           else _factor_levels(fit, response)[0])
    held = _ordered([c for c in frame.columns if c not in effect and c != "cats__"
                     and c != response], fit.formula)
    order = [*effect, *([response] if response in frame.columns else []), *held]
    frame = frame[order]
    frame["cond__"] = pd.Categorical(["1"] * len(frame))
    if categories is not None:
        frame["cats__"] = newdata["cats__"]
    for k, name in enumerate(effect, start=1):
        frame[f"effect{k}__"] = _effect_column(fit, newdata[name], name, k)
    if categories is not None:
        frame["effect2__"] = newdata["cats__"]  # the category takes a second effect's place
    frame = pd.concat([frame, summary.reset_index(drop=True)], axis=1)
    # brms sorts the grid by the first effect, then the second, within each category
    keys = [np.arange(len(frame)) // rows]
    for k, name in enumerate(effect, start=1):
        keys.append(frame[f"effect{k}__"].cat.codes if _is_factor(fit, name)
                    else frame[name].to_numpy(dtype=float))
    ordered = np.lexsort(keys[::-1])
    return frame.iloc[ordered].reset_index(drop=True)


def _effect_column(fit, values: pd.Series, name: str, position: int):
    """``effect1__`` or ``effect2__``: a factor's levels as a categorical; a numeric second
    effect's three values rounded to two digits, as a categorical from the largest down."""
    if _is_factor(fit, name):
        levels = _factor_levels(fit, name)
        return pd.Categorical(values.astype(str), categories=[str(level) for level in levels])
    if position == 2:
        rounded = np.round(values.to_numpy(dtype=float), 2)
        return pd.Categorical(rounded, categories=sorted(set(rounded), reverse=True))
    return values.to_numpy(dtype=float)


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

"""Averages of models by their weights, as brms's ``pp_average()`` and
``posterior_average()``: each model contributes draws in proportion to its weight."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ..errors import MultilevelError
from .fit import Fit
from .model_weights import model_weights
from .predict import summarize_rows

PREDICTION_METHODS = ("posterior_predict", "posterior_epred", "posterior_linpred")


def _models(fits: tuple, named: dict) -> dict:
    models = {f"model{k + 1}": fit for k, fit in enumerate(fits)}
    models.update({name: value for name, value in named.items() if isinstance(value, Fit)})
    if len(models) < 2:
        raise MultilevelError("Averaging needs at least two fitted models.")
    for name, model in models.items():
        if not isinstance(model, Fit):
            raise MultilevelError(f"{name} is a {type(model).__name__}, not a fitted model.")
    return models


def _draw_counts(models: dict, weights, ndraws, seed) -> tuple[pd.Series, pd.Series]:
    """The models' weights (computed by :func:`model_weights` unless given as numbers) and
    the draws each contributes: ``ndraws`` (the first model's number by default) shared by
    the weights, rounded by largest remainder as brms's."""
    if isinstance(weights, str):
        weights = model_weights(*models.values(), weights=weights, seed=seed)
    else:
        values = np.asarray(weights, dtype=float).reshape(-1)
        if values.size != len(models):
            raise MultilevelError("If numeric, weights must have the same length as the number "
                                  f"of models ({len(models)}), got {values.size}.")
        if np.any(values < 0) or not np.isfinite(values).all() or values.sum() <= 0:
            raise MultilevelError(f"If numeric, weights must be positive, got {list(values)}.")
        weights = values
    weights = pd.Series(np.asarray(weights, dtype=float), index=list(models), name="weight")
    weights = weights / weights.sum()
    if ndraws is None:
        ndraws = next(iter(models.values())).ndraws()
    if not isinstance(ndraws, numbers.Integral) or isinstance(ndraws, bool) or ndraws < 1:
        raise MultilevelError(f"ndraws must be a positive whole number, got {ndraws!r}.")
    shares = weights.to_numpy() * ndraws
    counts = np.floor(shares)
    remainders = np.argsort(-(shares - counts), kind="stable")
    counts[remainders[:int(round(shares.sum() - counts.sum()))]] += 1
    counts = pd.Series(counts.astype(int), index=weights.index, name="ndraws")
    for name, count in counts.items():
        if count > models[name].ndraws():
            raise MultilevelError(f"{name} has {models[name].ndraws()} draws, fewer than the "
                                  f"{count} its weight asks for; lower ndraws.")
    return weights, counts


def pp_average(*fits, weights="stacking", method: str = "posterior_predict", ndraws=None,
               summary: bool = True, probs=(0.025, 0.975), robust: bool = False, seed=None,
               **named_fits_and_arguments):
    """Predictions averaged over models by their weights, as brms's ``pp_average()``.

    Parameters
    ----------
    *fits
        Fitted models of the same response; keyword arguments whose values are fits add
        named models (positional ones are ``model1``, ``model2``, ...).
    weights
        ``"stacking"`` (the default), ``"pseudobma"``, ``"loo"``, ``"waic"`` or ``"kfold"``,
        computed by :func:`multilevel.model_weights`; or one number per model.
    method
        ``"posterior_predict"`` (the default), ``"posterior_epred"`` or
        ``"posterior_linpred"``.
    ndraws
        The number of draws of the average, shared by the weights (the first model's
        number of draws by default).
    summary, probs, robust
        Summarise per row (``Estimate``, ``Est.Error`` and the ``probs`` quantiles; with
        ``robust``, median and median absolute deviation); False gives the draws.
    seed
        Seed of the draws' subsets, new observations and Bayesian bootstrap.
    **named_fits_and_arguments
        Named models, and the prediction's own arguments (``newdata``, ``re_formula``,
        ``allow_new_levels``, ...).

    Returns
    -------
    pandas.DataFrame or numpy.ndarray
        The summary, with the weights and each model's number of draws in its ``attrs``
        (``"weights"``, ``"ndraws"``); or the draws (draws x rows), models in turn.
    """
    models = _models(fits, named_fits_and_arguments)
    arguments = {key: value for key, value in named_fits_and_arguments.items()
                 if key not in models}
    if method not in PREDICTION_METHODS:
        raise MultilevelError(f"method must be one of {', '.join(PREDICTION_METHODS)}, got "
                              f"{method!r}.")
    for reserved in ("ndraws", "seed", "summary"):
        arguments.pop(reserved, None)
    responses = {model.design.spec.response_expression for model in models.values()}
    if len(responses) > 1:
        raise MultilevelError("Can only average models predicting the same response; these "
                              f"predict {', '.join(sorted(map(str, responses)))}.")
    weights, counts = _draw_counts(models, weights, ndraws, seed)
    rng = np.random.default_rng(seed)
    parts = [getattr(models[name], method)(ndraws=int(count), seed=int(rng.integers(2**31)),
                                           **arguments)
             for name, count in counts.items() if count > 0]
    draws = np.concatenate(parts, axis=0)
    if not summary:
        return draws
    first = next(iter(models.values()))
    categories = first.design.categories
    # new shares or counts are labelled by their columns, as predict() labels them
    label = "{}" if first.family.columns and method == "posterior_predict" else "P(Y = {})"
    table = summarize_rows(draws, probs, categories, label, robust)
    table.attrs.update(weights=weights, ndraws=counts)
    return table


def posterior_average(*fits, variable=None, weights="stacking", ndraws=None, missing=None,
                      seed=None, **named_fits) -> pd.DataFrame:
    """Draws of parameters averaged over models by their weights, as brms's
    ``posterior_average()``.

    Parameters
    ----------
    *fits, **named_fits
        Fitted models, as for :func:`pp_average`.
    variable
        Parameters to average (brms's names); by default those all models have.
    weights, ndraws, seed
        As for :func:`pp_average`.
    missing
        A value for parameters some models lack (a number, or a dict by parameter); None
        requires every ``variable`` in every model.

    Returns
    -------
    pandas.DataFrame
        One row per draw, models in turn, one column per parameter; the weights and each
        model's number of draws in its ``attrs``.
    """
    models = _models(fits, named_fits)
    names = {name: list(model.as_draws_df().columns) for name, model in models.items()}
    every = [v for v in dict.fromkeys(sum(names.values(), [])) if not v.startswith(".")]
    common = [v for v in every if all(v in found for found in names.values())]
    wanted = (common if missing is None else every) if variable is None else (
        [variable] if isinstance(variable, str) else list(variable))
    available = common if missing is None else every
    absent = [v for v in wanted if v not in available]
    if absent:
        raise MultilevelError(
            f"Parameters {', '.join(absent)} cannot be found in all of the models. Consider "
            "using argument missing." if missing is None else
            f"Parameters {', '.join(absent)} cannot be found in any of the models.")
    fill = missing if isinstance(missing, dict) else dict.fromkeys(wanted, missing)
    weights, counts = _draw_counts(models, weights, ndraws, seed)
    rng = np.random.default_rng(seed)
    parts = []
    for name, count in counts.items():
        if count == 0:
            continue
        frame = models[name].as_draws_df()
        rows = np.sort(rng.choice(len(frame), size=int(count), replace=False))
        part = frame.iloc[rows][[v for v in wanted if v in frame.columns]]
        lacking = [v for v in wanted if v not in part.columns]
        unfilled = [v for v in lacking if v not in fill]
        if unfilled:
            raise MultilevelError(f"Argument missing has no value for parameters "
                                  f"{', '.join(unfilled)}.")
        parts.append(part.assign(**{v: fill[v] for v in lacking})[wanted])
    result = pd.concat(parts, ignore_index=True)
    result.attrs.update(weights=weights, ndraws=counts)
    return result

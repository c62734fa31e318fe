"""Weights of models for averaging their predictions, as brms's ``loo_model_weights()``
(the loo package's stacking and pseudo-BMA weights)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import logsumexp, softmax

from ..errors import MultilevelError
from .bridge_sampling import post_prob
from .criteria import model_criteria

WEIGHT_METHODS = ("stacking", "pseudobma")


def stacking_weights(lpd: np.ndarray) -> np.ndarray:
    """The weights w on the simplex that maximise ``sum_i log(sum_k w_k exp(lpd_ik))``, the
    log score of the stacked predictive distribution (Yao et al., 2018); ``lpd`` holds each
    observation's leave-one-out log predictive density (rows) under each model (columns).

    The objective is concave in w, so a constrained optimiser on the simplex itself (SLSQP,
    with the gradient) finds the optimum the loo package's barrier method approaches.
    """
    count, models = lpd.shape
    scaled = np.exp(lpd - lpd.max(axis=1, keepdims=True))

    def negative_score(weights: np.ndarray) -> tuple[float, np.ndarray]:
        mixture = np.maximum(scaled @ weights, np.finfo(float).tiny)
        return -float(np.log(mixture).sum()), -(scaled / mixture[:, None]).sum(axis=0)

    result = minimize(negative_score, np.full(models, 1.0 / models), jac=True, method="SLSQP",
                      bounds=[(0.0, 1.0)] * models,
                      constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0,
                                    "jac": lambda w: np.ones_like(w)}],
                      options={"ftol": 1e-14, "maxiter": 1000})
    weights = np.clip(result.x, 0.0, None)
    return weights / weights.sum()


def pseudobma_weights(lpd: np.ndarray, bayesian_bootstrap: bool, draws: int, alpha: float,
                      seed) -> np.ndarray:
    """Pseudo-BMA weights, each model's ``exp(elpd)`` normalised; with the Bayesian
    bootstrap (pseudo-BMA+), the mean of those weights over Dirichlet(alpha) reweightings of
    the observations, as the loo package computes them."""
    if not bayesian_bootstrap:
        return softmax(lpd.sum(axis=0))
    rng = np.random.default_rng(seed)
    count = lpd.shape[0]
    resampled = count * rng.dirichlet(np.full(count, alpha), size=draws) @ lpd
    return np.exp(resampled - logsumexp(resampled, axis=1, keepdims=True)).mean(axis=0)


def loo_model_weights(*fits, method: str = "stacking", BB: bool = True, BB_n: int = 1000,
                      alpha: float = 1.0, seed=None, **named_fits) -> pd.Series:
    """Model weights from leave-one-out cross-validation, as brms's ``loo_model_weights()``.

    Parameters
    ----------
    *fits, **named_fits
        Fitted models (or the results of their ``loo()``, ``kfold()`` or ``reloo()``);
        keyword names label them, positional ones are ``model1``, ``model2``, ...
    method
        ``"stacking"`` (the default, as in loo): the weights whose mixture of the models'
        predictive distributions predicts left-out observations best; ``"pseudobma"``:
        weights by each model's expected log predictive density.
    BB, BB_n, alpha
        For ``"pseudobma"``: whether to stabilise the weights with the Bayesian bootstrap
        (pseudo-BMA+, loo's default), with ``BB_n`` Dirichlet(``alpha``) draws.
    seed
        Seed of the Bayesian bootstrap.

    Returns
    -------
    pandas.Series
        The weights, named ``weight``, indexed by the models' names; they sum to 1.
    """
    if method not in WEIGHT_METHODS:
        raise MultilevelError(f"method must be one of {', '.join(map(repr, WEIGHT_METHODS))}, "
                              f"got {method!r}.")
    results = model_criteria(fits, named_fits, "loo", "loo_model_weights")
    lpd = np.column_stack([r.pointwise[f"elpd_{r.criterion}"].to_numpy()
                           for r in results.values()])
    if method == "stacking":
        weights = stacking_weights(lpd)
    else:
        weights = pseudobma_weights(lpd, BB, int(BB_n), float(alpha), seed)
    return pd.Series(weights, index=list(results), name="weight")


MODEL_WEIGHTS = ("stacking", "pseudobma", "loo", "waic", "kfold", "bma")


def model_weights(*fits, weights: str = "stacking", seed=None, **named_fits) -> pd.Series:
    """Weights of models, as brms's ``model_weights()``.

    Parameters
    ----------
    *fits, **named_fits
        Fitted models (or their criteria's results), as for :func:`loo_model_weights`.
    weights
        ``"stacking"`` (the default) or ``"pseudobma"``: :func:`loo_model_weights`;
        ``"loo"``, ``"waic"`` or ``"kfold"``: Akaike-type weights of the criterion,
        ``exp(-delta_ic / 2)`` normalised, that is each model's ``exp(elpd)`` normalised
        (``"kfold"`` refits each model ten times, as brms's); ``"bma"``: posterior model
        probabilities from marginal likelihoods (:func:`multilevel.post_prob`; each fit
        made with ``save_pars=ml.save_pars(all=True)`` and proper priors).
    seed
        Seed of pseudo-BMA's Bayesian bootstrap.

    Returns
    -------
    pandas.Series
        The weights, named ``weight``, indexed by the models' names.
    """
    if weights not in MODEL_WEIGHTS:
        raise MultilevelError(
            f"weights must be one of {', '.join(map(repr, MODEL_WEIGHTS))}, got {weights!r}.")
    if weights == "bma":
        names = [f"model{k}" for k in range(1, len(fits) + 1)] + list(named_fits)
        probabilities = post_prob(*fits, *named_fits.values(), seed=seed)
        return pd.Series(probabilities.to_numpy(), index=names, name="weight")
    if weights in ("stacking", "pseudobma"):
        return loo_model_weights(*fits, method=weights, seed=seed, **named_fits)
    results = model_criteria(fits, named_fits, weights, "model_weights")
    elpd = np.array([result.elpd for result in results.values()])
    return pd.Series(softmax(elpd), index=list(results), name="weight")

"""Cross-validation by refitting: brms's ``kfold()`` and ``reloo()``.

Each refit leaves out some observations, fits the model to the rest through the fit's own
refit hook (the one ``Fit.update`` uses), and scores the left-out observations: the elpd of
one is the log of the mean, over the refit's draws, of its likelihood given the refit (its
grouping levels new to the refit drawn as brms's ``allow_new_levels = TRUE`` does). A refit
runs as a task of :mod:`.executors`, in this process or on any executor, and sends back only
these scores and a few diagnostics (the whole refit with ``save_fits=True``). Its seed
comes from the fit's seed and its position, so that where it runs does not change it.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, replace

import arviz as az
import numpy as np
import pandas as pd

from ..errors import DataError, MultilevelError, SettingsError
from . import criteria
from .caller import warnings_at_callers_line
from .executors import as_executor, derived_seed, run_tasks, side_by_side_arguments
from .predict import PredictionRequest, linear_predictor, warn_if_first_data_set_only
from .psis import log_mean_exp

FOLD_TYPES = ("random", "stratified", "grouped", "loo")
# the keys that separate the random streams of one fit's refits (see derived_seed)
_SPLIT_STREAM, _KFOLD_STREAM, _RELOO_STREAM = 0, 1, 2
# arguments of brm() that would change what a refit fits, or that the refits set themselves
FIXED_ARGUMENTS = ("formula", "data", "newdata", "family", "prior", "sample_prior", "file",
                   "data_name")


@dataclass(frozen=True, eq=False, repr=False)
class KFold(criteria.InformationCriterion):
    """K-fold cross-validation, as brms's ``kfold()``.

    Attributes
    ----------
    estimates
        Rows ``elpd_kfold``, ``p_kfold``, ``kfoldic``; columns ``Estimate`` and ``SE``.
    pointwise
        One row per observation: ``elpd_kfold``, ``p_kfold`` and ``kfoldic``.
    K
        The number of folds.
    folds
        The fold (1 to K) of each observation.
    fold_type
        ``"random"``, ``"stratified"``, ``"grouped"``, ``"group"`` (one fold per level of
        ``group``), ``"loo"`` or ``"custom"``.
    refits
        One row per fold: the observations it left out (``omitted``), the refit's seed and
        its divergent transitions and largest R-hat.
    fits
        The refits, with ``save_fits=True``; None otherwise.
    data
        The fitted rows, with ``save_fits=True`` (brms's ``data`` slot).
    response
        Their response, with ``save_fits=True``.
    """

    K: int = 0
    folds: np.ndarray | None = None
    fold_type: str = "random"
    refits: pd.DataFrame | None = None
    fits: tuple | None = None
    data: pd.DataFrame | None = None
    response: np.ndarray | None = None

    @property
    def heading(self) -> str:
        return f"Based on {self.K}-fold cross-validation"

    def kfold_predict(self, method: str = "predict", seed: int | None = None) -> dict:
        """Each observation's predictions by the refit that left it out, as brms's
        ``kfold_predict()``: for measures of out-of-sample fit other than the elpd (a
        classification's accuracy, a prediction's error).

        Parameters
        ----------
        method
            ``"predict"``: draws of new observations (``posterior_predict``); ``"fitted"``:
            draws of the expected response (``posterior_epred``).
        seed
            Seed of the draws of new observations and of new grouping levels' effects.

        Returns
        -------
        dict
            ``y``, the observed responses, and ``yrep``, the draws (draws x observations,
            an ordinal model's ``"fitted"`` x categories), in the order of the fitted rows.

        Raises
        ------
        MultilevelError
            Without the refits, which ``kfold(..., save_fits=True)`` keeps.
        """
        if self.fits is None or self.data is None:
            raise MultilevelError("kfold_predict() needs the refits and data; run "
                                  "fit.kfold(..., save_fits=True), as brms needs save_fits = "
                                  "TRUE.")
        methods = {"predict": "posterior_predict", "fitted": "posterior_epred"}
        if method not in methods:
            raise MultilevelError(f"method must be 'predict' or 'fitted', got {method!r}.")
        yrep = None
        for k, refit in enumerate(self.fits, 1):
            rows = np.flatnonzero(self.folds == k)
            draws = getattr(refit, methods[method])(newdata=self.data.iloc[rows],
                                                    allow_new_levels=True, seed=seed)
            if yrep is None:
                yrep = np.full((draws.shape[0], len(self.folds), *draws.shape[2:]), np.nan)
            yrep[:, rows] = draws
        return {"y": self.response, "yrep": yrep}


def kfold_predict(x: KFold, method: str = "predict", seed: int | None = None) -> dict:
    """brms's ``kfold_predict(x, method)``: :meth:`KFold.kfold_predict` of ``x``, a
    ``fit.kfold(..., save_fits=True)``."""
    if not isinstance(x, KFold):
        raise MultilevelError(f"'x' must be the result of fit.kfold(), got "
                              f"{type(x).__name__}.")
    return x.kfold_predict(method, seed)


@dataclass(frozen=True, eq=False, repr=False)
class Reloo(criteria.InformationCriterion):
    """PSIS-LOO with exact leave-one-out values for the observations that were refitted,
    as brms's ``reloo()``; printed as ``loo()``.

    Attributes
    ----------
    refitted
        Positions of the observations left out one at a time and refitted; their
        ``pareto_k`` is 0, as brms sets it.
    refits
        One row per refitted observation: the refit's seed, divergent transitions and
        largest R-hat.
    """

    refitted: tuple[int, ...] = ()
    refits: pd.DataFrame | None = None


@dataclass(frozen=True)
class RefitScore:
    """What a refit sends back: the elpd of each left-out observation and diagnostics."""

    elpd: np.ndarray
    draws: int
    divergent: int
    max_rhat: float
    fit: object = None


def held_out_log_lik(refit, full_design, rows: np.ndarray, seed: int) -> np.ndarray:
    """Log-likelihood (draws x rows) of the fitted data's ``rows`` under ``refit``.

    The response, trials and weights are those of the full fit's design; new grouping
    levels take effects drawn as ``sample_new_levels="uncertainty"``. As brms's
    ``log_lik(newdata = )``, a residual structure's series are those of the left-out rows
    alone: ARMA terms lag through the left-out rows of a series, and under ``cosy`` and
    ``unstr`` each row is conditioned on the other left-out rows of its series.
    """
    if refit.design.categories != full_design.categories:
        raise DataError(
            "A refit's data lack some of the response's categories ("
            + ", ".join(map(str, full_design.categories)) + "), so it cannot score the "
            "left-out observations; use folds='stratified' with group= the response.")
    newdata = full_design.data.iloc[rows]
    request = PredictionRequest(newdata=newdata, allow_new_levels=True, seed=seed)
    prediction = linear_predictor(refit, request)
    if prediction.autocor is not None and prediction.autocor.joint:
        # each left-out row given the rest of the left-out rows of its series
        values = prediction.autocor.log_lik(full_design.y[rows], prediction.eta,
                                            prediction.aux)
    else:
        censoring = (None if full_design.censoring is None
                     else tuple(part[rows] for part in full_design.censoring))
        truncation = (None if full_design.truncation is None
                      else full_design.truncation.rows(rows).bounds)
        values = refit.design.family.log_density(full_design.y[rows], prediction.eta,
                                                 prediction.aux, prediction.trials, censoring,
                                                 truncation)
    if full_design.weights is not None:
        values = values * full_design.weights[rows]
    return values


def refit_and_score(base, left_out: np.ndarray, seed: int, brm_args: dict,
                    keep_fit: bool) -> RefitScore:
    """Fit ``base``'s model without the rows ``left_out`` and score those rows.

    ``base`` is a fit without draws (only its design, priors and settings travel to a
    worker); this is the function workers run.
    """
    design = base.design
    keep = np.setdiff1d(np.arange(design.nobs), left_out)
    refit = base._refit(base, newdata=design.data.iloc[keep].reset_index(drop=True),
                        data_name=base.data_name, seed=seed, **brm_args)
    elpd = log_mean_exp(held_out_log_lik(refit, design, left_out, seed))
    idata = refit.idata
    divergent = 0
    if "sample_stats" in idata.groups() and "diverging" in idata.sample_stats:
        divergent = int(idata.sample_stats["diverging"].values.sum())
    rhat = refit._convergence["Rhat"].to_numpy(dtype=float)
    draws = idata.posterior.sizes["chain"] * idata.posterior.sizes["draw"]
    return RefitScore(elpd=elpd, draws=int(draws), divergent=divergent,
                      max_rhat=float(np.nanmax(rhat)) if np.isfinite(rhat).any() else np.nan,
                      fit=refit if keep_fit else None)


def _check_refittable(fit, what: str) -> None:
    if fit._refit is None:
        raise MultilevelError(f"This fit was not made by ml.brm() or ml.load(), so {what} "
                              "cannot fit it again.")
    if fit.sample_prior == "only":
        raise MultilevelError(f"{what} needs the likelihood; this fit sampled the priors "
                              "only (sample_prior='only').")
    warn_if_first_data_set_only(fit)


def _refit_arguments(fit, brm_args: dict, executor, what: str) -> dict:
    fixed = [name for name in brm_args if name in FIXED_ARGUMENTS]
    if fixed:
        raise SettingsError(
            f"{what} got {', '.join(repr(n) for n in fixed)}; its refits fit this fit's model "
            "to its data and take only sampler settings of brm() (chains, draws, warmup, "
            "iter, cores, sampler, progressbar, ...). Refit a changed model with "
            "fit.update() first.")
    return side_by_side_arguments(brm_args, executor,
                                  brm_args.get("sampler", fit.settings.sampler))


def _base_seed(fit, seed) -> int:
    if seed is None:
        return int(fit.seed)
    if (not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0):
        raise SettingsError(f"seed must be a non-negative integer or None (the fit's seed), "
                            f"got {seed!r}.")
    return int(seed)


def _without_draws(fit):
    """The fit with an empty InferenceData: what a refit needs, light to send to a worker."""
    return replace(fit, idata=az.InferenceData(), criteria={})


def _lpd_of_full_fit(fit) -> np.ndarray:
    return log_mean_exp(fit.log_lik())


def _refit_table(index, omitted, seeds, scores) -> pd.DataFrame:
    return pd.DataFrame({"omitted": omitted, "seed": seeds,
                         "divergent": [s.divergent for s in scores],
                         "max_Rhat": [s.max_rhat for s in scores]}, index=index)


# --- folds, as the loo package's kfold_split_* ---------------------------------------------
def kfold_split_random(K: int, N: int, rng: np.random.Generator) -> np.ndarray:
    """Folds 1..K of N observations, of sizes differing by at most one, at random."""
    permutation = rng.permutation(N) + 1
    breaks = np.ceil(np.linspace(1, N, K + 1))
    return np.minimum(np.searchsorted(breaks, permutation, side="right"), K)


def kfold_split_stratified(K: int, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Folds 1..K in which each value of ``x`` is spread as evenly as it can be."""
    codes = pd.factorize(x, sort=True)[0]
    order = np.concatenate([rng.permutation(np.flatnonzero(codes == level))
                            for level in range(codes.max() + 1)])
    folds = np.empty(len(x), dtype=int)
    folds[order] = np.tile(np.arange(1, K + 1), -(-len(x) // K))[:len(x)]
    return folds


def kfold_split_grouped(K: int, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Folds 1..K that keep each value of ``x`` in one fold, as evenly sized in values as
    they can be."""
    codes = pd.factorize(x, sort=True)[0] + 1
    levels = int(codes.max())
    if levels == K:
        return codes
    size = -(-levels // K)
    small = size * K - levels
    large = K - small
    breaks = np.arange(large) * size + size + 0.5
    if small > 0:
        breaks = np.concatenate([breaks, breaks[-1] + np.arange(1, small) * (size - 1)])
    permutation = rng.permutation(levels) + 1
    # the level at position j of the permutation goes to the fold of j's interval
    fold_of_level = np.searchsorted(breaks, permutation, side="right") + 1
    return fold_of_level[codes - 1]


def _group_values(fit, group) -> np.ndarray:
    data = fit.design.data
    if not isinstance(group, str) or group not in data.columns:
        columns = ", ".join(repr(str(c)) for c in data.columns)
        raise DataError(f"group must name a column of the fit's data (a grouping factor such "
                        f"as {', '.join(map(repr, fit.design.groups)) or 'g'}), got "
                        f"{group!r}; columns: {columns}.")
    return data[group].astype(str).to_numpy()


def make_folds(fit, K, folds, group, rng: np.random.Generator) -> tuple[np.ndarray, int, str]:
    """Each observation's fold (1..K), the number of folds and the kind of split, as brms's
    ``kfold()`` makes them from its ``K``, ``folds`` and ``group``."""
    N = fit.nobs
    if (not isinstance(K, numbers.Integral) or isinstance(K, bool) or K < 2):
        raise SettingsError(f"K must be an integer of at least 2, got {K!r}.")
    if folds is None:
        if group is None:
            _check_at_most(K, N, "observations")
            return kfold_split_random(int(K), N, rng), int(K), "random"
        # one fold per level of the group, as brms sets K then
        codes = pd.factorize(_group_values(fit, group), sort=True)[0] + 1
        if codes.max() < 2:
            raise DataError(f"group {group!r} has one level; leave-one-group-out needs two.")
        return codes, int(codes.max()), "group"
    if isinstance(folds, str):
        if folds not in FOLD_TYPES:
            raise SettingsError(f"folds must be one of {', '.join(map(repr, FOLD_TYPES))}, a "
                                f"fold number per observation, or None, got {folds!r}.")
        if folds == "random":
            return make_folds(fit, K, None, None, rng)
        if folds == "loo":
            return np.arange(1, N + 1), N, "loo"
        if group is None:
            raise SettingsError(f"folds={folds!r} needs group=, the column to "
                                f"{'stratify' if folds == 'stratified' else 'group'} by.")
        values = _group_values(fit, group)
        if folds == "stratified":
            _check_at_most(K, N, "observations")
            return kfold_split_stratified(int(K), values, rng), int(K), "stratified"
        _check_at_most(K, len(set(values)), f"levels of {group!r}")
        return kfold_split_grouped(int(K), values, rng), int(K), "grouped"
    values = np.asarray(folds)
    if values.ndim != 1 or len(values) != N:
        raise DataError(f"folds must have one value per observation ({N}), got "
                        f"{values.shape[0] if values.ndim else 'a single value'}.")
    codes = pd.factorize(values, sort=True)[0] + 1
    if codes.max() < 2:
        raise DataError("folds has a single value; cross-validation needs at least two folds.")
    return codes, int(codes.max()), "custom"


def _check_at_most(K, available: int, what: str) -> None:
    if K > available:
        raise SettingsError(f"K={K} is more than the {available} {what}; K must lie between "
                            f"2 and {available}.")


# --- the methods --------------------------------------------------------------------------
@warnings_at_callers_line
def kfold(fit, K: int = 10, folds=None, group: str | None = None, save_fits: bool = False,
          executor=None, seed: int | None = None, **brm_args) -> KFold:
    """K-fold cross-validation by refitting, as brms's ``kfold()``; ``fit.kfold()`` calls it.

    See :meth:`multilevel.Fit.kfold` for the parameters.
    """
    _check_refittable(fit, "kfold()")
    if not isinstance(save_fits, (bool, np.bool_)):
        raise SettingsError(f"save_fits must be True or False, got {save_fits!r}.")
    executor = as_executor(executor)
    arguments = _refit_arguments(fit, brm_args, executor, "kfold()")
    base_seed = _base_seed(fit, seed)
    fold_of, K, fold_type = make_folds(
        fit, K, folds, group, np.random.default_rng(derived_seed(base_seed, _SPLIT_STREAM)))
    base = _without_draws(fit)
    left_out = [np.flatnonzero(fold_of == k) for k in range(1, K + 1)]
    seeds = [derived_seed(base_seed, _KFOLD_STREAM, k) for k in range(1, K + 1)]
    tasks = [(base, rows, s, arguments, bool(save_fits)) for rows, s in zip(left_out, seeds,
                                                                              strict=True)]
    scores = run_tasks(refit_and_score, tasks, executor,
                       ("Refit of fold", "Refits of folds"), range(1, K + 1))
    elpd = np.empty(fit.nobs)
    for rows, score in zip(left_out, scores, strict=True):
        elpd[rows] = score.elpd
    p = _lpd_of_full_fit(fit) - elpd
    pointwise = pd.DataFrame({"elpd_kfold": elpd, "p_kfold": p, "kfoldic": -2 * elpd})
    refits = _refit_table(pd.RangeIndex(1, K + 1, name="fold"),
                          [len(rows) for rows in left_out], seeds, scores)
    return KFold("kfold", _estimates(pointwise), pointwise, scores[0].draws, K=K,
                 folds=fold_of, fold_type=fold_type, refits=refits,
                 fits=tuple(s.fit for s in scores) if save_fits else None,
                 data=fit.design.data if save_fits else None,
                 response=np.asarray(fit.design.y) if save_fits else None)


def _estimates(pointwise: pd.DataFrame) -> pd.DataFrame:
    n = len(pointwise)
    # the loo package's standard error: sqrt(n * var) with R's var (ddof = 1)
    return pd.DataFrame({"Estimate": pointwise.sum(axis=0),
                         "SE": np.sqrt(n * pointwise.var(axis=0, ddof=1))})


@warnings_at_callers_line
def reloo(fit, loo=None, k_threshold: float = 0.7, executor=None, seed: int | None = None,
          **brm_args) -> Reloo:
    """Exact leave-one-out values where PSIS-LOO is unreliable, as brms's ``reloo()``;
    ``fit.reloo()`` calls it.

    See :meth:`multilevel.Fit.reloo` for the parameters.
    """
    _check_refittable(fit, "reloo()")
    if (not isinstance(k_threshold, numbers.Real) or isinstance(k_threshold, bool)
            or not np.isfinite(k_threshold)):
        raise SettingsError(f"k_threshold must be a number (0.7 by default), got "
                            f"{k_threshold!r}.")
    executor = as_executor(executor)
    arguments = _refit_arguments(fit, brm_args, executor, "reloo()")
    base_seed = _base_seed(fit, seed)
    if loo is None:
        with warnings.catch_warnings():
            # the high Pareto k it would warn about are what reloo() refits
            warnings.simplefilter("ignore")
            loo = fit.loo()
    elif not (isinstance(loo, criteria.InformationCriterion) and loo.criterion == "loo"
              and "pareto_k" in loo.pointwise):
        raise MultilevelError(f"loo must be the result of fit.loo(), got "
                              f"{type(loo).__name__}.")
    if loo.nobs != fit.nobs:
        raise MultilevelError(f"loo has {loo.nobs} observations and the fit {fit.nobs}; give "
                              "the loo() of this fit.")
    pareto_k = loo.pointwise["pareto_k"].to_numpy()
    refitted = np.flatnonzero(pareto_k > k_threshold)
    base = _without_draws(fit)
    seeds = [derived_seed(base_seed, _RELOO_STREAM, row) for row in refitted]
    tasks = [(base, np.array([row]), s, arguments, False) for row, s in zip(refitted, seeds,
                                                                             strict=True)]
    scores = run_tasks(refit_and_score, tasks, executor,
                       ("Refit without observation", "Refits without observations"), refitted)
    pointwise = loo.pointwise.copy()
    if len(refitted):
        exact = np.array([score.elpd[0] for score in scores])
        pointwise.loc[refitted, "elpd_loo"] = exact
        pointwise.loc[refitted, "p_loo"] = _lpd_of_full_fit(fit)[refitted] - exact
        pointwise.loc[refitted, "pareto_k"] = 0.0
        if "mcse_elpd_loo" in pointwise:
            # an exact refit has no importance-sampling error
            pointwise.loc[refitted, "mcse_elpd_loo"] = 0.0
    estimates = _estimates(pd.DataFrame({"elpd_loo": pointwise["elpd_loo"],
                                         "p_loo": pointwise["p_loo"],
                                         "looic": -2 * pointwise["elpd_loo"]}))
    refits = _refit_table(pd.Index(refitted, name="observation"), [1] * len(refitted), seeds,
                          scores)
    return Reloo("loo", estimates, pointwise, loo.draws,
                 refitted=tuple(int(r) for r in refitted), refits=refits.drop(columns="omitted"))

"""Marginal likelihoods by bridge sampling, Bayes factors and posterior model probabilities:
brms's ``bridge_sampler()``, ``bayes_factor()`` and ``post_prob()``.

brms hands a fit to the bridgesampling package, whose default method is reproduced here
(Meng & Wong's iterative scheme with a normal proposal; Gronau et al. 2017, "A tutorial on
bridge sampling"): the first half of each chain's draws, on the sampler's unconstrained
scale, fixes the proposal's mean and covariance; the second half and as many draws from the
proposal enter the iteration. The log density is the sampled model's own, with every
normalising constant, so that the estimate is the marginal likelihood of brms's model
whatever parametrisation the sampler used. No library in the stack offers bridge sampling,
which is why it is written here; its error is estimated with ArviZ's effective sample size
where bridgesampling uses coda's spectral density at zero.

It needs the sampler's unconstrained draws of every parameter, which a fit keeps when made
with ``save_pars=ml.save_pars(all=True)`` (brms's requirement too), and proper priors: with
a flat prior the marginal likelihood does not exist.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import pytensor
import xarray as xr

from ..errors import MultilevelError
from ..inference.numpyro import import_pymc_jax, jax_function, unflattener
from ..inference.nuts import without_library_notices
from ..model.build import build_model, untraced_graphs
from ..model.collapsed import unsupported_feature
from ..priors.sampling import flat_prior_parameters

# the group of InferenceData that holds the sampler's unconstrained draws
UNCONSTRAINED = "unconstrained_posterior"
_TOLERANCE, _MAX_ITERATIONS = 1e-10, 1000


@dataclass(frozen=True)
class SavePars:
    """Which draws a fit keeps (brms's ``save_pars()``): with ``all``, every parameter on
    the sampler's unconstrained scale too, as :func:`bridge_sampler` needs."""

    all: bool = False


def save_pars(all: bool = False) -> SavePars:  # noqa: A002 - brms's argument name
    """brms's ``save_pars()``: ``brm(..., save_pars=ml.save_pars(all=True))`` keeps every
    parameter's draws on the sampler's unconstrained scale, for :func:`bridge_sampler`.

    Parameters
    ----------
    all
        Keep them (brms's ``save_pars(all = TRUE)``).

    Returns
    -------
    SavePars
    """
    if not isinstance(all, bool):
        raise MultilevelError(f"save_pars(all=) must be True or False, got {all!r}.")
    return SavePars(all=all)


def unconstrained_draws(model, posterior: xr.Dataset) -> xr.Dataset:
    """The free variables of ``model`` in ``posterior`` mapped to the sampler's unconstrained
    scale, under their value variables' names (``sd_g_log__``)."""
    variables = {}
    for rv in model.free_RVs:
        value = posterior[rv.name]
        name = model.rvs_to_values[rv].name
        transform = model.rvs_to_transforms.get(rv)
        if transform is not None:
            placeholder = rv.type()
            try:
                forward = pytensor.function([placeholder],
                                            transform.forward(placeholder, *rv.owner.inputs),
                                            on_unused_input="ignore")
            except Exception as error:  # a transform whose bounds are other parameters
                raise MultilevelError(f"Cannot keep the unconstrained draws of {rv.name!r}: "
                                      f"{error}") from None
            array = value.values
            flat = array.reshape(-1, *array.shape[2:])
            mapped = np.stack([forward(np.asarray(v, dtype=rv.dtype)) for v in flat])
            mapped = mapped.reshape(array.shape[:2] + mapped.shape[1:])
            if mapped.shape == array.shape:
                value = xr.DataArray(mapped, dims=value.dims, coords=value.coords)
            else:  # a simplex of K values has K - 1 unconstrained ones
                value = xr.DataArray(mapped, dims=("chain", "draw", *(
                    f"{name}_dim_{k}" for k in range(mapped.ndim - 2))))
        variables[name] = value
    return xr.Dataset(variables)


def with_unconstrained_draws(idata: az.InferenceData, model, kept: list[str]):
    """``idata`` with the free variables' draws moved from its posterior, which keeps
    ``kept``, to the group :data:`UNCONSTRAINED` on their unconstrained scale."""
    unconstrained = unconstrained_draws(model, idata.posterior)
    idata.posterior = idata.posterior[kept]
    idata.add_groups({UNCONSTRAINED: unconstrained})
    return idata


@dataclass(frozen=True)
class BridgeEstimate:
    """A log marginal likelihood estimated by bridge sampling.

    Attributes
    ----------
    logml
        The estimate of the log marginal likelihood.
    niter
        Iterations of the scheme until it converged.
    cv
        The estimate's approximate coefficient of variation, about the sd of ``logml``.
    """

    logml: float
    niter: int
    cv: float

    def __repr__(self) -> str:
        return (f"Bridge sampling estimate of the log marginal likelihood: {self.logml:.5f}\n"
                f"Estimate obtained in {self.niter} iteration(s) via method \"normal\".")


def _as_matrix(group: xr.Dataset) -> np.ndarray:
    """chains x draws x parameters, the variables flattened in their order."""
    parts = [group[name].values.reshape(*group[name].values.shape[:2], -1)
             for name in group.data_vars]
    return np.concatenate(parts, axis=2)


def _sampled_model(fit):
    """The PyMC model whose log density is bridged: the collapsed form wherever the model
    has one, its free variables among the unconstrained draws (a fit in the full form keeps
    them too), as the same marginal likelihood in far fewer dimensions, where bridge
    sampling is far more accurate; else the model the sampler moved in. The likelihood is
    computed without nutpie's fused operation, whose density is the same."""
    kept = set(fit.idata[UNCONSTRAINED].data_vars)
    with untraced_graphs():
        if unsupported_feature(fit.design) is None:
            model, _ = build_model(fit.design, fit.prior_table, collapsed=True)
            if {v.name for v in model.value_vars} <= kept:
                return model
        model, _ = build_model(fit.design, fit.prior_table,
                               collapsed=fit.settings.parametrization == "collapsed")
    return model


def _log_density(fit):
    """The sampled model's log density of a stack of flat unconstrained vectors (JAX's, all
    at once), and the free variables' names in the order of the vectors."""
    import jax

    model = _sampled_model(fit)
    import_pymc_jax()  # JAX in 64 bits, as PyMC's JAX samplers have it
    with without_library_notices():
        function = jax_function(model.value_vars, [model.logp()])
    start = model.initial_point()
    unflatten = unflattener([np.shape(start[v.name]) for v in model.value_vars])
    batched = jax.jit(jax.vmap(lambda flat: function(*unflatten(flat))[0]))

    def density(points: np.ndarray) -> np.ndarray:
        values = np.asarray(batched(np.asarray(points, dtype=float)), dtype=float)
        return np.where(np.isfinite(values), values, -np.inf)

    return density, [v.name for v in model.value_vars]


def _improper_rows(table) -> list[str]:
    """The prior table's flat priors that apply to a parameter: each coefficient's own, and
    a class's where no coefficient of it has a row (``ar``, a smooth's ``sx_1``, an
    intercept). A flat prior between bounds one apart is the uniform density there."""
    with_coefs = {(row.class_, row.group, row.dpar) for row in table.rows if row.coef}
    flagged = []
    for row in table.rows:
        if row.prior.name != "flat" or (not row.coef and (row.class_, row.group, row.dpar)
                                        in with_coefs):
            continue
        try:
            if float(row.ub) - float(row.lb) == 1.0:
                continue
        except ValueError:
            pass
        flagged.append(" ".join(part for part in (f"class {row.class_}", row.coef and
                                                  f"coef {row.coef}", row.group and
                                                  f"group {row.group}", row.dpar and
                                                  f"dpar {row.dpar}") if part))
    return flagged


def _proper_priors(fit) -> None:
    flat = list(dict.fromkeys(flat_prior_parameters(fit.design, fit.prior_table)
                              + _improper_rows(fit.prior_table)))
    if flat:
        raise MultilevelError(
            "Bridge sampling needs proper priors: the marginal likelihood of a model with a "
            "flat prior does not exist, and these parameters have flat ones: "
            + "; ".join(flat) + ". Give them proper priors, e.g. "
            "ml.prior('normal(0, 10)', class_='b').")


def bridge_sampler(fit, seed: int | None = None) -> BridgeEstimate:
    """The log marginal likelihood of ``fit``'s model by bridge sampling, as brms's
    ``bridge_sampler()`` (bridgesampling's normal method).

    Parameters
    ----------
    fit
        A fit made with ``save_pars=ml.save_pars(all=True)`` by NUTS, every prior proper.
    seed
        Seed of the proposal's draws; by default the fit's.

    Returns
    -------
    BridgeEstimate
        ``logml``, the iterations and the approximate coefficient of variation ``cv``.
    """
    if fit.settings.is_approximation:
        raise MultilevelError("Bridge sampling needs draws from NUTS; this fit's are from "
                              f"the approximation {fit.settings.algorithm!r}.")
    if UNCONSTRAINED not in fit.idata.groups():
        raise MultilevelError(
            "Bridgesampling requires all parameters to be saved. Please set "
            "save_pars=ml.save_pars(all=True) when fitting your model.")
    if fit.sample_prior == "only":
        raise MultilevelError("Bridge sampling needs the likelihood; this fit sampled the "
                              "priors alone (sample_prior='only').")
    _proper_priors(fit)
    density, names = _log_density(fit)
    group = fit.idata[UNCONSTRAINED]
    draws = _as_matrix(group[names])
    chains, length, _ = draws.shape
    half = int(round(length / 2))
    fitting = draws[:, :half].reshape(-1, draws.shape[2])
    iterating = draws[:, half:]
    # bridgesampling's effective size of the iterated draws: the median over parameters
    ess = az.ess(xr.Dataset({"u": (("chain", "draw", "parameter"), iterating)}))["u"]
    neff = float(np.median(ess.values))
    iterating = iterating.reshape(-1, draws.shape[2])
    mean = fitting.mean(axis=0)
    covariance = _positive_definite(np.atleast_2d(np.cov(fitting, rowvar=False)))
    rng = np.random.default_rng(fit.seed if seed is None else seed)
    proposal = rng.multivariate_normal(mean, covariance, size=len(iterating),
                                       method="cholesky")
    q11, q21 = density(iterating), density(proposal)
    q12 = _normal_log_density(iterating, mean, covariance)
    q22 = _normal_log_density(proposal, mean, covariance)
    logml, niter = _iterate(q11 - q12, q21 - q22, neff)
    cv = _coefficient_of_variation(q11, q12, q21, q22, logml, chains)
    return BridgeEstimate(logml=logml, niter=niter, cv=cv)


def _positive_definite(matrix: np.ndarray) -> np.ndarray:
    """The matrix with eigenvalues below a small fraction of the largest raised to it, as
    bridgesampling's nearest positive definite matrix does for a singular sample
    covariance."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    floor = max(values.max(), 1e-300) * 1e-10
    return (vectors * np.maximum(values, floor)) @ vectors.T


def _normal_log_density(points: np.ndarray, mean: np.ndarray, covariance: np.ndarray):
    lower = np.linalg.cholesky(covariance)
    solved = np.linalg.solve(lower, (points - mean).T)
    return (-0.5 * np.sum(solved ** 2, axis=0) - np.sum(np.log(np.diag(lower)))
            - 0.5 * len(mean) * np.log(2 * np.pi))


def _iterate(l1: np.ndarray, l2: np.ndarray, neff: float) -> tuple[float, int]:
    """Meng & Wong's iterative scheme on the log ratios of the iterated posterior draws
    (``l1``) and the proposal's draws (``l2``), as bridgesampling runs it: until the ratio
    changes by less than 1e-10 of itself, else again from the geometric mean of its last two
    values until the log marginal likelihood changes by less than 1e-4 of itself, with
    bridgesampling's warning."""
    lstar = float(np.median(l1))
    n1, n2 = len(l1), len(l2)
    s1, s2 = neff / (neff + n2), n2 / (neff + n2)
    r, previous = 1.0, 1.0
    for criterion, tolerance, start in (("r", _TOLERANCE, 1.0), ("logml", 1e-4, None)):
        if start is None:
            warnings.warn("logml could not be estimated within maxiter, rerunning with "
                          "adjusted starting value. Estimate might be more variable than "
                          "usual.", UserWarning, stacklevel=3)
            r = float(np.sqrt(previous * r))
        else:
            r = start
        for iteration in range(1, _MAX_ITERATIONS + 1):
            with np.errstate(over="ignore", divide="ignore"):
                # bridgesampling's quotients, written so that large log ratios do not
                # overflow: e^l2 / (s1 e^l2 + s2 r) = 1 / (s1 + s2 r e^-l2)
                numerator = np.sum(1.0 / (s1 + s2 * r * np.exp(-(l2 - lstar))))
                denominator = np.sum(1.0 / (s1 * np.exp(l1 - lstar) + s2 * r))
            previous, r = r, (n1 / n2) * numerator / denominator
            change = (abs((r - previous) / r) if criterion == "r" else
                      abs((np.log(r) - np.log(previous)) / (np.log(r) + lstar)))
            if change <= tolerance:
                return float(np.log(r) + lstar), iteration
    raise MultilevelError(f"Bridge sampling did not converge in {_MAX_ITERATIONS} "
                          "iterations; more draws may help.")


def _coefficient_of_variation(q11, q12, q21, q22, logml: float, chains: int) -> float:
    """The estimate's approximate relative mean-squared error, bridgesampling's
    ``error_measures()`` (Fruhwirth-Schnatter 2004), its square root. The iterated draws'
    autocorrelation enters through ArviZ's effective sample size, where bridgesampling 1.1
    multiplies by coda's unnormalised spectral density at zero (the variance times the
    autocorrelation time), which gives smaller values than the formula means."""
    n1, n2 = len(q11), len(q21)
    s1, s2 = n1 / (n1 + n2), n2 / (n1 + n2)
    with np.errstate(over="ignore", divide="ignore"):
        # p / (s1 p + s2 g) and g / (s1 p + s2 g) from log ratios, without overflow
        f1 = 1.0 / (s1 + s2 * np.exp(q22 - q21 + logml))
        f2 = 1.0 / (s1 * np.exp(q11 - q12 - logml) + s2)
    ess = float(az.ess(f2.reshape(chains, -1)))
    term1 = np.var(f1, ddof=1) / np.mean(f1) ** 2 / n2
    term2 = np.var(f2, ddof=1) / np.mean(f2) ** 2 / ess
    return float(np.sqrt(term1 + term2))


def bayes_factor(fit1, fit2, seed: int | None = None) -> float:
    """The Bayes factor of ``fit1``'s model over ``fit2``'s (brms's ``bayes_factor()``):
    the ratio of their marginal likelihoods by bridge sampling; both models must be fitted
    to the same data with ``save_pars=ml.save_pars(all=True)`` and proper priors.

    Returns
    -------
    float
        ``exp(logml1 - logml2)``: above 1 the data favour ``fit1``'s model.
    """
    _same_response(fit1, fit2)
    first, second = bridge_sampler(fit1, seed), bridge_sampler(fit2, seed)
    return float(np.exp(first.logml - second.logml))


def post_prob(*fits, prior_prob=None, seed: int | None = None) -> pd.Series:
    """Posterior probabilities of the models of ``fits`` (brms's ``post_prob()``), from
    their marginal likelihoods by bridge sampling.

    Parameters
    ----------
    *fits
        Two or more fits of the same data, each with ``save_pars=ml.save_pars(all=True)``.
    prior_prob
        The models' prior probabilities; equal by default.

    Returns
    -------
    Series
        Each model's posterior probability, indexed ``fit1``, ``fit2``, ...
    """
    if len(fits) < 2:
        raise MultilevelError("post_prob() compares two or more fits.")
    for other in fits[1:]:
        _same_response(fits[0], other)
    prior = np.full(len(fits), 1 / len(fits)) if prior_prob is None else np.asarray(
        prior_prob, dtype=float)
    if prior.shape != (len(fits),) or np.any(prior < 0) or prior.sum() <= 0:
        raise MultilevelError(f"prior_prob must give one non-negative probability per fit "
                              f"({len(fits)}), got {prior_prob!r}.")
    logml = np.array([bridge_sampler(fit, seed).logml for fit in fits])
    weights = np.log(prior / prior.sum()) + logml
    weights = np.exp(weights - weights.max())
    return pd.Series(weights / weights.sum(), index=[f"fit{k}" for k in range(1, len(fits) + 1)])


def _same_response(fit1, fit2) -> None:
    if fit1.nobs != fit2.nobs or not np.array_equal(fit1.design.y, fit2.design.y):
        raise MultilevelError("Marginal likelihoods compare models of the same responses; "
                              "these fits' responses differ.")

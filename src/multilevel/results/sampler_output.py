"""brms's accessors of the sampler's output, and hints for brms names spelled otherwise here.

brms 2.18 hands these to bayesplot and rstan: ``rhat()`` and ``neff_ratio()`` are rstan's
classic split R-hat and effective sample size (not the rank-normalised ones of
``summary()``), ``nuts_params()`` and ``log_posterior()`` the sampler's own diagnostics in
long format. Here ArviZ computes the diagnostics on the draws under brms's names.
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from ..errors import MultilevelError, close_matches
from ..names import quantile_label
from .posterior import Draws

# bayesplot's names of Stan's sampler parameters, from the names in InferenceData
NUTS_PARAMETERS = {"acceptance_rate": "accept_stat__", "step_size": "stepsize__",
                   "tree_depth": "treedepth__", "n_steps": "n_leapfrog__",
                   "diverging": "divergent__", "energy": "energy__"}

# brms's functions whose counterpart here has another name
BRMS_SPELLINGS = {
    "VarCorr": "fit.varcorr()",
    "stancode": "fit.model_code() (a PyMC program) or fit.pymc_model",
    "standata": "fit.design (the model's arrays) or fit.pymc_model",
    "stanplot": "fit.mcmc_plot()",
    "pairs": 'fit.mcmc_plot(type="pairs")',
    "marginal_effects": "fit.conditional_effects()",
    "posterior_samples": "fit.as_draws_df()",
    "as_draws": "fit.as_draws_df() or fit.idata (ArviZ InferenceData)",
    "as_draws_array": "fit.draws.values (chains x draws x parameters) or fit.idata",
    "as_draws_matrix": "fit.as_draws_df()",
    "nsamples": "fit.ndraws()",
    "nchains": "fit.idata.posterior.sizes['chain']",
    "launch_shinystan": "ArviZ's plots on fit.idata (az.plot_trace, az.plot_pair, ...)",
    "add_criterion": "fit.loo(), fit.waic() and fit.kfold(), which keep their results",
    "loo_compare": "ml.loo_compare(fit1, fit2)",
}


def _selected(draws: Draws, variables) -> Draws:
    if variables is None:
        return draws
    wanted = [variables] if isinstance(variables, str) else list(variables)
    unknown = [name for name in wanted if name not in draws.names]
    if unknown:
        raise MultilevelError(f"No parameter {unknown[0]!r} in the fit."
                              f"{close_matches(unknown[0], draws.names)} Its parameters are "
                              f"{', '.join(draws.names[:8])}, ... (see fit.as_draws_df()).")
    columns = [draws.names.index(name) for name in wanted]
    return Draws(wanted, draws.values[:, :, columns])


def _per_parameter(draws: Draws, diagnostic) -> pd.Series:
    dataset = xr.Dataset({"draws": (("chain", "draw", "parameter"), draws.values)})
    with warnings.catch_warnings():
        # draws that are constant within a chain divide zero by zero inside ArviZ
        warnings.simplefilter("ignore", RuntimeWarning)
        values = diagnostic(dataset)["draws"].values
    return pd.Series(values, index=draws.names)


class SamplerOutput:
    """brms's ``ndraws``, ``variables``, ``rhat``, ``neff_ratio``, ``nuts_params``,
    ``log_posterior`` and ``posterior_interval`` for :class:`~multilevel.results.fit.Fit`."""

    idata: az.InferenceData
    draws: Draws

    def ndraws(self) -> int:
        """The number of posterior draws, chains times draws per chain (brms's ``ndraws``)."""
        posterior = self.idata.posterior
        return int(posterior.sizes["chain"] * posterior.sizes["draw"])

    def variables(self) -> list[str]:
        """The names of the parameters in the draws, as brms's ``variables()``: the columns
        of :meth:`as_draws_df` but its ``.chain``, ``.iteration`` and ``.draw``."""
        return [name for name in self.as_draws_df().columns if not name.startswith(".")]

    def rhat(self, variables=None) -> pd.Series:
        """Each parameter's split R-hat, rstan's classic one as brms's ``rhat()`` gives.

        Parameters
        ----------
        variables
            A brms parameter name or a list of them; None for all.
        """
        return _per_parameter(_selected(self.draws, variables),
                              lambda data: az.rhat(data, method="split"))

    @property
    def rhats(self) -> pd.DataFrame | None:
        """brms's ``fit$rhats`` of a fit of several imputed data sets
        (:func:`multilevel.brm_multiple`): each data set's split R-hats, from its own chains,
        one row per data set; None for other fits."""
        imputations = getattr(self, "imputations", 1)
        if imputations == 1 or self.settings.is_approximation:
            return None
        draws = self.draws
        chains = draws.values.shape[0] // imputations
        return pd.DataFrame([
            _per_parameter(Draws(draws.names, draws.values[k * chains:(k + 1) * chains]),
                           lambda data: az.rhat(data, method="split"))
            for k in range(imputations)],
            index=pd.RangeIndex(1, imputations + 1, name="imputation"))

    def neff_ratio(self, variables=None) -> pd.Series:
        """Each parameter's effective sample size over the number of draws (brms's
        ``neff_ratio()``), with the classic effective sample size of the mean."""
        ess = _per_parameter(_selected(self.draws, variables),
                             lambda data: az.ess(data, method="mean"))
        return ess / self.ndraws()

    def nuts_params(self) -> pd.DataFrame:
        """The sampler's parameters of every post-warmup draw in long format, as brms's
        ``nuts_params()``: columns ``Chain``, ``Iteration``, ``Parameter`` (Stan's names,
        ``accept_stat__``, ``divergent__``, ...) and ``Value``."""
        if "sample_stats" not in self.idata.groups():
            raise MultilevelError("This fit was not sampled with NUTS, so it has no sampler "
                                  "parameters.")
        stats = self.idata.sample_stats
        frames = []
        for name, stan_name in NUTS_PARAMETERS.items():
            if name not in stats:
                continue
            values = np.asarray(stats[name].values, dtype=float)
            chains, length = values.shape
            frames.append(pd.DataFrame({
                "Chain": np.repeat(np.arange(1, chains + 1), length),
                "Iteration": np.tile(np.arange(1, length + 1), chains),
                "Parameter": stan_name, "Value": values.reshape(-1)}))
        return pd.concat(frames, ignore_index=True)

    def bridge_sampler(self, seed: int | None = None):
        """The log marginal likelihood by bridge sampling; see
        :func:`multilevel.bridge_sampler`."""
        from .bridge_sampling import bridge_sampler
        return bridge_sampler(self, seed)

    def log_posterior(self) -> pd.DataFrame:
        """The log posterior density of every post-warmup draw (brms's ``log_posterior()``):
        columns ``Chain``, ``Iteration`` and ``Value``.

        PyMC's log density keeps the normalising constants Stan's ``lp__`` drops, so values
        differ from brms's by a constant of the model; their changes between draws agree.
        """
        stats = self.idata.get("sample_stats")
        if stats is None or "lp" not in stats:
            raise MultilevelError("This fit has no log posterior density of its draws.")
        values = np.asarray(stats["lp"].values, dtype=float)
        chains, length = values.shape
        return pd.DataFrame({"Chain": np.repeat(np.arange(1, chains + 1), length),
                             "Iteration": np.tile(np.arange(1, length + 1), chains),
                             "Value": values.reshape(-1)})

    def posterior_interval(self, prob: float = 0.95, variables=None) -> pd.DataFrame:
        """Central posterior intervals of each parameter (brms's ``posterior_interval()``):
        one row per parameter, columns named by their percentages (``2.5%``, ``97.5%``)."""
        if not 0 < prob < 1:
            raise MultilevelError(f"prob must lie between 0 and 1, got {prob!r}.")
        draws = _selected(self.draws, variables)
        flat = draws.values.reshape(-1, draws.values.shape[-1])
        probs = [(1 - prob) / 2, (1 + prob) / 2]
        columns = [quantile_label(p).removeprefix("Q") + "%" for p in probs]
        return pd.DataFrame(np.quantile(flat, probs, axis=0).T, index=draws.names,
                            columns=columns)

    def prior_summary(self) -> pd.DataFrame:
        """The priors the model was fitted with, as brms's ``prior_summary()``: the prior
        table, brms's defaults with the user's priors in their place."""
        return self.prior

    def __getattr__(self, name: str):
        # only for names the class lacks: point brms users at the name used here
        if name in BRMS_SPELLINGS:
            # no closing full stop: Python may add its own suggestion after the message
            raise AttributeError(f"Fit has no {name}(); brms's {name}() is "
                                 f"{BRMS_SPELLINGS[name]} here")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

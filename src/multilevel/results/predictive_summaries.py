"""brms's summaries of a fit's predictions and population-level effects: ``predictive_error()``,
``residuals()``, ``predictive_interval()``, ``loo_predict()``, ``loo_linpred()``,
``loo_predictive_interval()``, ``pp_mixture()``, ``posterior_smooths()`` and ``vcov()``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import MultilevelError, SettingsError
from ..families.mixture import membership_log_probabilities
from . import criteria
from . import residuals as residual_errors
from .posterior import population_variables
from .predict import PredictionRequest, draw_reader, smooth_values, summarize_rows
from .psis import loo_expectation
from .summary import interval_bounds

LOO_TYPES = ("mean", "quantile")


def _percent_labels(probs) -> list[str]:
    """rstantools' column names of quantiles: ``5%``, ``95%``."""
    return [f"{format(100 * p, '.15g')}%" for p in probs]


class PredictiveSummaries:
    """The methods of :class:`~multilevel.results.fit.Fit` that summarise its predictions
    (pointwise, or left out one at a time by PSIS) and its population-level effects."""

    def predictive_error(self, newdata=None, re_formula=None, ndraws=None, seed=None,
                         **prediction) -> np.ndarray:
        """Draws of the observed minus a predicted response (draws x rows), as brms's
        ``predictive_error()``; ``newdata`` must hold the response. Other arguments as
        :meth:`posterior_linpred`."""
        return residual_errors.predictive_errors(self, "posterior_predict", newdata,
                                                 re_formula=re_formula, ndraws=ndraws,
                                                 seed=seed, **prediction)

    def residuals(self, newdata=None, re_formula=None, method="posterior_epred",
                  type="ordinary", ndraws=None, seed=None, probs=(0.025, 0.975),
                  summary=True, **prediction):
        """Observed minus expected response per row, as brms's ``residuals()``.

        ``method="posterior_predict"`` subtracts new observations instead (their draws are
        :meth:`predictive_error`'s), ``"posterior_linpred"`` the linear predictor;
        ``type="pearson"`` divides by each row's predictive sd (deprecated in brms, and
        warned about as there). ``summary=False`` gives the draws (draws x rows).
        """
        return residual_errors.residuals(self, newdata, method, type, summary, probs,
                                         re_formula=re_formula, ndraws=ndraws, seed=seed,
                                         **prediction)

    def predictive_interval(self, prob: float = 0.9, **prediction) -> pd.DataFrame:
        """Central intervals of new observations per row, as brms's
        ``predictive_interval()``: columns ``5%`` and ``95%`` for ``prob=0.9``; other
        arguments as :meth:`posterior_predict` (``newdata``, ``re_formula``, ...)."""
        self.design.require_one_response_per_row("predictive_interval()")
        probs = interval_bounds(prob)
        draws = self.posterior_predict(**prediction)
        return pd.DataFrame(np.quantile(draws, probs, axis=0).T, columns=_percent_labels(probs))

    def _loo_values(self, method: str, type: str, probs, what: str) -> np.ndarray:
        self.design.require_one_response_per_row(what)
        if type not in LOO_TYPES:
            raise MultilevelError(
                f"type must be one of {', '.join(map(repr, LOO_TYPES))}, got {type!r}"
                + (" (loo 2.5.1, which brms 2.18 calls, gives the variance of the weighted mean "
                   "rather than that of the prediction under type = 'var'; it is left out)."
                   if type == "var" else "."))
        if method == "posterior_linpred" and (self.design.categories or self.family.components):
            raise MultilevelError(f"{what} is not implemented for categorical, ordinal or "
                                  f"mixture models (family {self.family.label!r}), whose "
                                  "linear predictors are one per category or component.")
        if type == "quantile" and not np.all((np.asarray(probs) > 0)
                                             & (np.asarray(probs) < 1)):
            raise SettingsError(f"probs must lie strictly between 0 and 1, got {probs!r}.")
        log_lik = criteria.attach_log_lik(self).to_numpy()
        values = getattr(self, method)()
        result, _ = loo_expectation(log_lik, values, self.imputations == 1,
                                    None if type == "mean" else probs)
        return result

    def loo_predict(self, type: str = "mean", probs=0.5) -> np.ndarray:
        """Each observation's leave-one-out prediction, as brms's ``loo_predict()``: the
        mean (or the ``probs`` quantiles, ``type="quantile"``) of its new observations'
        draws under its Pareto-smoothed importance weights (loo's ``E_loo()``).

        Returns
        -------
        ndarray
            One value per observation, or one row of quantiles per observation.
        """
        return self._loo_values("posterior_predict", type, probs, "loo_predict()")

    def loo_linpred(self, type: str = "mean", probs=0.5) -> np.ndarray:
        """As :meth:`loo_predict`, of the linear predictor (brms's ``loo_linpred()``)."""
        return self._loo_values("posterior_linpred", type, probs, "loo_linpred()")

    def loo_predictive_interval(self, prob: float = 0.9) -> pd.DataFrame:
        """Each observation's leave-one-out predictive interval, as brms's
        ``loo_predictive_interval()``: columns ``5%`` and ``95%`` for ``prob=0.9``."""
        probs = interval_bounds(prob)
        values = self._loo_values("posterior_predict", "quantile", probs,
                                  "loo_predictive_interval()")
        return pd.DataFrame(values, columns=_percent_labels(probs))

    def pp_mixture(self, newdata=None, re_formula=None, allow_new_levels=False,
                   sample_new_levels="uncertainty", ndraws=None, seed=None, log=False,
                   summary=True, robust=False, probs=(0.025, 0.975)):
        """Each mixture component's posterior probability of having produced each
        observation, as brms's ``pp_mixture()``: its proportion times its density of the
        observed response, over the sum of these of all components, per draw.

        Parameters
        ----------
        newdata
            Rows with their response; the fitted rows when None.
        re_formula, allow_new_levels, sample_new_levels, ndraws, seed
            As :meth:`posterior_epred`.
        log
            The log probabilities.
        summary
            Summarise each row's draws (else draws x rows x components).
        robust
            Summarise by the median and the median absolute deviation, not the mean and sd.
        probs
            The quantiles of the summary.

        Returns
        -------
        pandas.DataFrame or numpy.ndarray
            With ``summary``, per row ``Estimate``, ``Est.Error`` and the quantiles of each
            component, under brms's ``P(K = 1 | Y)``, ...; else the draws.
        """
        if not self.family.components:
            raise MultilevelError("Method 'pp_mixture' can only be applied to mixture models.")
        prediction = self._predict(newdata, re_formula, allow_new_levels, sample_new_levels,
                                   ndraws, seed, True)
        observed = residual_errors.observed_response(self, newdata)
        if self.family.discrete:
            observed = np.rint(observed).astype(np.int64)
        values = membership_log_probabilities(self.family, observed, prediction.aux,
                                              prediction.trials)
        if not log:
            values = np.exp(values)
        if not summary:
            return values
        components = [str(k) for k in range(1, len(self.family.components) + 1)]
        return summarize_rows(values, probs, components, "P(K = {} | Y)", robust)

    def posterior_smooths(self, smooth: str, newdata=None, ndraws=None,
                          seed=None) -> np.ndarray:
        """Draws of one smooth term's part of the linear predictor (draws x rows), as brms's
        ``posterior_smooths()``; of ``s(x, by = f)``, each row's own level's smooth.

        Parameters
        ----------
        smooth
            The term as the formula writes it, ``"s(x)"`` (spaces aside).
        newdata
            Rows holding the smoothed variable (and a ``by`` column); the fitted rows when
            None.
        ndraws, seed
            Use a random subset of this many draws, chosen by ``seed``.
        """
        parts = self.design.smooth_named(smooth)
        PredictionRequest(newdata=newdata, ndraws=ndraws, seed=seed)  # brms's checks
        _, draws_of = draw_reader(self.idata.posterior, ndraws, np.random.default_rng(seed))
        return smooth_values(parts, newdata, draws_of)

    def vcov(self, correlation: bool = False) -> pd.DataFrame:
        """The posterior covariance (or correlation) matrix of the population-level effects,
        as brms's ``vcov()``, named as ``fixef()``'s rows."""
        rows = population_variables(self.draws.names)
        frame = pd.DataFrame({row: self.draws.column(name) for row, name in rows.items()})
        return frame.corr() if correlation else frame.cov()

"""The fitted model: brms's accessors on top of an ArviZ InferenceData."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from ..errors import MultilevelError
from ..inference.settings import SamplerSettings
from ..model.build import ModelNames
from ..names import LPRIOR
from ..priors.table import PriorTable
from ..spec.design import Design
from . import criteria, refits
from .display import BrmsTable, GroupTables
from .hypothesis import hypothesis as hypothesis_test
from .plot_methods import PlotMethods
from .posterior import (
    DIAGNOSTIC_COLUMNS,
    Draws,
    collect_draws,
    convergence,
    draw_stats,
    group_level_draws,
    population_variables,
    quantile_label,
    summarize,
    variance_components,
)
from .predict import (
    PredictionRequest,
    category_frequencies,
    linear_predictor,
    summarize_rows,
)
from .predictive_summaries import PredictiveSummaries
from .sampler_output import SamplerOutput
from .storage import save_fit
from .stored_criteria import StoredCriteria
from .summary import (
    Summary,
    interval_bounds,
    interval_columns,
    table_columns,
    warn_as_brms_summary,
)


@dataclass
class Fit(SamplerOutput, PredictiveSummaries, StoredCriteria, PlotMethods):
    """A fitted multilevel model, as returned by :func:`multilevel.brm`.

    Attributes
    ----------
    idata
        ArviZ InferenceData with named coords and dims: ``az.summary(fit.idata)`` works.
    design
        Response, design matrices and group blocks the model was fitted to.
    prior_table
        The priors in force (brms defaults merged with the user's).
    imputations
        The number of data sets whose fits' chains it holds (:func:`multilevel.brm_multiple`),
        its own data the first's.
    criteria
        The criteria :meth:`add_criterion` computed, by brms's names (``"loo"``, ...).
    file
        The directory ``brm(..., file=)`` saved the fit to, where :meth:`add_criterion`
        saves it again.
    """

    idata: az.InferenceData
    design: Design
    prior_table: PriorTable
    names: ModelNames
    settings: SamplerSettings
    seed: int
    data_name: str = "data"
    user_priors: tuple = ()
    sample_prior: str = "no"
    fingerprint: str = ""
    imputations: int = 1
    criteria: dict = field(default_factory=dict, repr=False, compare=False)
    file: str | None = None
    # how to fit again (``update``): given by the orchestrator that made or loaded the fit
    _refit: Callable | None = field(default=None, repr=False, compare=False)

    # --- what the model is ---------------------------------------------------------------
    @property
    def formula(self) -> str:
        return self.design.spec.text

    @property
    def family(self):
        return self.design.family

    @property
    def prior(self) -> pd.DataFrame:
        """brms's prior table of this fit (``fit$prior``), printed whole as brms prints it."""
        return BrmsTable.of(self.prior_table.to_frame(), index=False)

    @property
    def nobs(self) -> int:
        return self.design.nobs

    # --- draws ---------------------------------------------------------------------------
    @cached_property
    def draws(self) -> Draws:
        """Every parameter's draws under brms's names."""
        return collect_draws(self.idata, self.design, self.names)

    def as_draws_df(self) -> pd.DataFrame:
        """One row per draw, one column per brms-named parameter.

        With ``sample_prior="yes"`` the prior draws follow as brms's ``prior_*`` columns,
        before ``lprior``, as brms orders them.
        """
        frame = self.draws.as_frame()
        priors = self.prior_draws
        if priors is None:
            return frame
        after = [c for c in frame.columns if c.startswith(".") or c == LPRIOR]
        return pd.concat([frame.drop(columns=after), priors, frame[after]], axis=1)

    @property
    def prior_draws(self) -> pd.DataFrame | None:
        """Draws from the priors (``sample_prior="yes"``), brms's ``prior_*`` columns."""
        if "prior" not in self.idata.groups():
            return None
        prior = self.idata.prior
        return pd.DataFrame({name: prior[name].values.reshape(-1) for name in prior.data_vars})

    @cached_property
    def _convergence(self) -> pd.DataFrame:
        table = convergence(self.draws)
        if self.settings.is_approximation:
            # independent draws from an approximation: chain diagnostics do not apply
            table[:] = np.nan
        return table

    def posterior_summary(self, probs=(0.025, 0.975), robust: bool = False) -> pd.DataFrame:
        """Summaries of every parameter, indexed by brms's variable names.

        Parameters
        ----------
        probs
            Quantiles to report; brms's default gives ``Q2.5`` and ``Q97.5``.
        robust
            As brms's ``robust``: the median and the median absolute deviation (R's
            ``mad()``) as Estimate and Est.Error, instead of the mean and sd; the same in
            ``fixef()``, ``ranef()``, ``coef()``, ``varcorr()``, ``fitted()``, ``predict()``
            and ``summary()``.

        Returns
        -------
        DataFrame
            Columns ``Estimate, Est.Error, Q2.5, Q97.5, Rhat, Bulk_ESS, Tail_ESS``.
        """
        table = summarize(self.draws, probs, robust)
        return pd.concat([table, self._convergence[DIAGNOSTIC_COLUMNS]], axis=1)

    def fixef(self, probs=(0.025, 0.975), robust: bool = False,
              summary: bool = True) -> pd.DataFrame:
        """Population-level effects: rows ``Intercept``, ``Days``, ...; brms's columns. With
        ``summary=False`` their draws, one column each, as brms's."""
        rows = population_variables(self.draws.names)
        if not summary:
            return pd.DataFrame({row: self.draws.column(name) for row, name in rows.items()})
        table = summarize(self.draws, probs, robust).loc[list(rows.values())]
        table.index = list(rows)
        return table

    def ranef(self, probs=(0.025, 0.975), robust: bool = False,
              summary: bool = True) -> dict[str, pd.DataFrame]:
        """Group-level effects per grouping factor.

        Returns
        -------
        dict of DataFrame
            For each grouping factor, rows are its levels and columns a (coefficient,
            statistic) MultiIndex, so ``fit.ranef()["Subject"]["Days"]`` is brms's
            ``ranef(fit)$Subject[, , "Days"]``. Prints as brms does, one table per
            coefficient; HTML tables in Jupyter. With ``summary=False`` the draws, an
            xarray DataArray (draw, level, coef) per grouping factor, as brms's array.
        """
        return self._level_tables(False, probs, robust, summary)

    def coef(self, probs=(0.025, 0.975), robust: bool = False,
             summary: bool = True) -> dict[str, pd.DataFrame]:
        """Population plus group-level effects per level, as brms's ``coef()``; laid out and
        shown as :meth:`ranef` (``summary=False``: the draws). Every population-level effect
        is there (those without a group-level effect are equal across levels), and an
        ordinal model's group-level intercept shifts each threshold."""
        return self._level_tables(True, probs, robust, summary)

    def _level_tables(self, with_population: bool, probs, robust: bool, summary: bool):
        out = GroupTables() if summary else {}
        for group in self.names.groups:
            coefs, values = group_level_draws(self, group, with_population)
            out[group] = (self._level_table(group, coefs, values, probs, robust) if summary
                          else xr.DataArray(values, dims=("draw", group, "coef"), coords={
                              group: self.design.group_levels(group), "coef": coefs}))
        return out

    def _level_table(self, group, coefs, values, probs, robust) -> pd.DataFrame:
        stats = draw_stats(values, probs, robust)
        columns = pd.MultiIndex.from_product([coefs, list(stats)], names=["coef", "stat"])
        table = pd.DataFrame(index=pd.Index(self.design.group_levels(group), name=group),
                             columns=columns, dtype=float)
        for k, coef in enumerate(coefs):
            for stat, array in stats.items():
                table[(coef, stat)] = array[:, k]
        return table

    def varcorr(self, probs=(0.025, 0.975),
                robust: bool = False) -> dict[str, dict[str, pd.DataFrame]]:
        """Standard deviations, correlations and covariances per grouping factor.

        Returns
        -------
        dict
            ``{group: {"sd": ..., "cor": ..., "cov": ...}}`` plus ``residual__`` with the
            residual sd for families that have ``sigma``; as brms's ``VarCorr()``, and printed
            as brms prints it (``$Subject$sd``, ...).
        """
        return variance_components(self.idata.posterior, self.design, self.names, probs,
                                   robust)

    # --- predictions -------------------------------------------------------------------------
    def _predict(self, newdata, re_formula, allow_new_levels, sample_new_levels, ndraws, seed,
                 incl_autocor=True):
        request = PredictionRequest(newdata, re_formula, allow_new_levels, sample_new_levels,
                                    ndraws, seed, incl_autocor)
        return linear_predictor(self, request)

    def posterior_linpred(self, newdata=None, re_formula=None, allow_new_levels=False,
                          sample_new_levels="uncertainty", ndraws=None, seed=None,
                          incl_autocor=True, transform=False, dpar=None,
                          nlpar=None, incl_thres=False) -> np.ndarray:
        """Draws of the linear predictor (draws x rows), as brms's ``posterior_linpred``; each
        category's or component's of a categorical or mixture model (draws x rows x K).

        Parameters
        ----------
        newdata
            Rows to predict for; the fitted data when None.
        re_formula
            Group terms to include: None for all, ``"~0"`` or False for none, or a formula
            such as ``"~ (1 | Subject)"`` for a subset.
        allow_new_levels
            Allow grouping-factor levels the model was not fitted with.
        sample_new_levels
            How to draw new levels' effects: ``"uncertainty"`` (a random existing level per
            draw), ``"gaussian"`` (from the fitted group distribution) or ``"old_levels"``
            (one random existing level for all draws).
        ndraws
            Use a random subset of this many draws.
        seed
            Seed for new levels, draw subsets and predictive draws.
        incl_autocor
            Include the residual structure (ARMA terms, correlated draws under ``cosy``). New
            rows of a series continue its residuals; rows whose response is missing take a
            predicted value, carried forward as brms does.
        transform
            Apply the inverse link: of the mean, or of ``dpar``.
        dpar, nlpar
            The linear predictor of this distributional parameter (``"sigma"``; one held
            constant is its draws, for every row) or this non-linear parameter instead.
        incl_thres
            For an ordinal model, the linear predictor at each threshold (draws x rows x
            thresholds), with its category-specific effects and discrimination: ``disc *
            (threshold - eta)`` (``cumulative``, ``sratio``) or ``disc * (eta - threshold)``
            (``cratio``, ``acat``), as brms's ``incl_thres = TRUE``; ignored otherwise.
        """
        drawn = self._predict(newdata, re_formula, allow_new_levels, sample_new_levels, ndraws,
                              seed, incl_autocor)
        return drawn.linear_scale(self.family, list(self.design.nlpars), transform, dpar, nlpar,
                                  incl_thres)

    def posterior_epred(self, newdata=None, re_formula=None, allow_new_levels=False,
                        sample_new_levels="uncertainty", ndraws=None, seed=None,
                        incl_autocor=True) -> np.ndarray:
        """Draws of the expected response (draws x rows); arguments as ``posterior_linpred``.

        For an ordinal model, each category's probability (draws x rows x categories).
        """
        prediction = self._predict(newdata, re_formula, allow_new_levels, sample_new_levels,
                                   ndraws, seed, incl_autocor)
        return prediction.mean(self.family)

    def posterior_predict(self, newdata=None, re_formula=None, allow_new_levels=False,
                          sample_new_levels="uncertainty", ndraws=None, seed=None,
                          incl_autocor=True) -> np.ndarray:
        """Draws of new observations (draws x rows); arguments as ``posterior_linpred``."""
        prediction = self._predict(newdata, re_formula, allow_new_levels, sample_new_levels,
                                   ndraws, seed, incl_autocor)
        return prediction.sample(self.family, np.random.default_rng(seed))

    def fitted(self, newdata=None, re_formula=None, allow_new_levels=False,
               sample_new_levels="uncertainty", ndraws=None, seed=None,
               probs=(0.025, 0.975), incl_autocor=True, summary=True, robust=False):
        """Summary per row of the expected response, as brms's ``fitted()``.

        For an ordinal model, one block of columns per category's probability
        (``fit.fitted()["P(Y = 2)"]``). ``summary=False`` gives the draws themselves, as
        :meth:`posterior_epred`.
        """
        draws = self.posterior_epred(newdata, re_formula, allow_new_levels, sample_new_levels,
                                     ndraws, seed, incl_autocor)
        if not summary:
            return draws
        return summarize_rows(draws, probs, self.design.categories, robust=robust)

    def predict(self, newdata=None, re_formula=None, allow_new_levels=False,
                sample_new_levels="uncertainty", ndraws=None, seed=None,
                probs=(0.025, 0.975), incl_autocor=True, summary=True, robust=False):
        """Summary per row of new observations, as brms's ``predict()``.

        For an ordinal model, the share of draws in each category (``P(Y = 1)``, ...); for a
        dirichlet or multinomial one, a block per column. ``summary=False``: the draws.
        """
        draws = self.posterior_predict(newdata, re_formula, allow_new_levels, sample_new_levels,
                                       ndraws, seed, incl_autocor)
        if summary and self.design.categories and not self.family.columns:
            return category_frequencies(draws, self.design.categories)
        if not summary:
            return draws
        return summarize_rows(draws, probs, self.design.categories, "{}", robust)

    def ngrps(self) -> dict[str, int]:
        """The number of levels of each grouping factor, as brms's ``ngrps()``."""
        return {group: len(self.design.group_levels(group)) for group in self.design.groups}

    # --- model checking and comparison ----------------------------------------------------
    def log_lik(self) -> np.ndarray:
        """Pointwise log-likelihood (draws x observations), kept in ``idata.log_likelihood``."""
        array = criteria.attach_log_lik(self)
        return array.values.reshape(-1, array.shape[-1])

    @cached_property
    def _psis(self) -> criteria.PsisLoo:
        # a fit does not change: loo(), loo_compare() and reloo() smooth its weights once
        return criteria.psis(self)

    def loo(self) -> criteria.InformationCriterion:
        """PSIS leave-one-out cross-validation, as brms's ``loo()``; see ``.estimates``. The
        one :meth:`add_criterion` kept, if any."""
        return self.criteria.get("loo") or criteria.loo(self, self._psis)

    def waic(self) -> criteria.InformationCriterion:
        """The widely applicable information criterion, as brms's ``waic()``; the one
        :meth:`add_criterion` kept, if any."""
        return self.criteria.get("waic") or criteria.waic(self)

    def kfold(self, K: int = 10, folds=None, group: str | None = None,
              save_fits: bool = False, executor=None, seed: int | None = None,
              **brm_args) -> refits.KFold:
        """K-fold cross-validation by refitting the model K times, as brms's ``kfold()``.

        Each refit leaves one fold out; the elpd of a left-out observation is the log of
        the mean, over the refit's draws, of its likelihood (levels of grouping factors new
        to the refit drawn as ``sample_new_levels="uncertainty"``).

        Parameters
        ----------
        K
            The number of folds (10, as brms).
        folds
            None: random folds of equal size, or one fold per level of ``group`` when it is
            given (K is then the number of levels); ``"stratified"``: each level of
            ``group`` spread evenly over the folds; ``"grouped"``: each level of ``group``
            kept in one fold; ``"loo"``: one fold per observation; or a fold label per
            observation.
        group
            A column of the fit's data, such as a grouping factor, for the folds above.
        save_fits
            Keep the refits, in ``.fits``.
        executor
            Where the refits run: None fits them one after another here; a
            ``concurrent.futures.Executor`` (a ``ProcessPoolExecutor``, ...) or a
            ``dask.distributed.Client`` runs them side by side. Each refit's chains run as
            in :func:`~multilevel.brm`, side by side, except with ``sampler="pymc"``, whose
            chains run one after another on an executor (``cores=1``) unless ``cores`` is
            given.
        seed
            Seed of the folds and refits; by default the fit's. Fold k's refit has a seed
            derived from it and k, so every executor gives the same result.
        **brm_args
            Sampler settings of :func:`multilevel.brm` for the refits (``chains``,
            ``draws``, ``warmup``, ``iter``, ``cores``, ``sampler``, ``progressbar``, ...);
            the fit's own otherwise, without a progress bar.

        Returns
        -------
        KFold
            ``estimates`` (``elpd_kfold``, ``p_kfold``, ``kfoldic``), ``pointwise``,
            ``folds`` and per fold ``refits``; printed as brms prints it, and accepted by
            :func:`multilevel.loo_compare`. The one :meth:`add_criterion` kept when it has
            this ``K``, as brms's.
        """
        kept = self.criteria.get("kfold")
        if kept is not None and kept.K == K:
            return kept
        return refits.kfold(self, K=K, folds=folds, group=group, save_fits=save_fits,
                            executor=executor, seed=seed, **brm_args)

    def reloo(self, loo=None, k_threshold: float = 0.7, executor=None,
              seed: int | None = None, **brm_args) -> refits.Reloo:
        """PSIS-LOO with exact values where it is unreliable, as brms's ``reloo()``.

        Every observation whose Pareto k exceeds ``k_threshold`` is left out in a refit
        of the model, and its elpd becomes the exact leave-one-out value.

        Parameters
        ----------
        loo
            The result of ``fit.loo()``; computed when None.
        k_threshold
            Refit the observations with a Pareto k above this (brms's 0.7).
        executor, seed, **brm_args
            As for :meth:`kfold`.

        Returns
        -------
        Reloo
            Printed as ``loo()``; ``refitted`` lists the observations refitted, whose
            ``pareto_k`` is then 0.
        """
        return refits.reloo(self, loo=loo, k_threshold=k_threshold, executor=executor,
                            seed=seed, **brm_args)

    def bayes_R2(self, summary: bool = True, probs=(0.025, 0.975)):  # noqa: N802 (brms's name)
        """Bayesian R² (one row ``R2``), or its draws with ``summary=False``."""
        return criteria.bayes_r2(self, summary, probs)

    def loo_R2(self, summary: bool = True, probs=(0.025, 0.975),  # noqa: N802 (brms's name)
               seed=None):
        """LOO-adjusted R² (one row ``R2``), or its draws with ``summary=False``, as brms's
        ``loo_R2()``; ``seed`` seeds its Bayesian bootstrap."""
        return criteria.loo_r2(self, summary, probs, seed)

    def icc(self, probs=(0.025, 0.975)) -> pd.DataFrame:
        """Intraclass correlation per grouping factor with a posterior interval."""
        return criteria.icc(self, probs)

    def hypothesis(self, hypotheses, class_: str | None = "b", group: str = "",
                   scope: str = "standard", alpha: float = 0.05, robust: bool = False):
        """Test hypotheses such as ``"Days > 5"``; see :func:`multilevel.hypothesis`."""
        return hypothesis_test(self, hypotheses, class_, group, scope, alpha, robust)

    # --- saving --------------------------------------------------------------------------
    def save(self, path) -> None:
        """Save to the directory ``path`` (netCDF draws + JSON); read back with ``ml.load``."""
        save_fit(self, path)

    # --- the model itself ------------------------------------------------------------------
    @cached_property
    def pymc_model(self):
        """The PyMC model of this fit, in brms's parametrization (standard-normal group effects).

        The sampler may have used an equivalent reparametrization of the group effects; the
        posterior is the same. Extend it, sample it your own way or draw its graph.
        """
        from ..model.build import brms_model
        return brms_model(self.design, self.prior_table, likelihood=self.sample_prior != "only")

    def equation(self, notation: str = "gh", priors: bool = False, expand: bool = False):
        """The model's equations in LaTeX; see :func:`multilevel.equation`."""
        from ..describe.equation import model_equation
        return model_equation(self.design, self.prior_table, notation=notation, priors=priors,
                              expand=expand)

    def model_code(self):
        """A standalone PyMC program of this model; see :func:`multilevel.model_code`."""
        from ..describe.model_code import write_model_code
        return write_model_code(self.design, self.prior_table,
                                likelihood=self.sample_prior != "only")

    # --- fitting again ------------------------------------------------------------------
    def update(self, formula=None, newdata=None, prior=None, **brm_args) -> Fit:
        """Fit the model again with a changed formula, data, priors or settings, as brms's
        ``update()``.

        Parameters
        ----------
        formula
            The new formula, in which ``.`` stands for the old one's side, as in R's
            ``update.formula``: ``"~ . + x"`` adds a term, ``". ~ . - Days"`` removes one,
            ``"log(.) ~ ."`` transforms the response. A plain formula replaces the old one;
            the distributional parameters' formulas (``ml.bf(..., sigma=)``) are kept unless
            ``formula`` is made by ``ml.bf()``.
        newdata
            New data; the data of this fit when None (its used columns: a formula with a
            new variable needs ``newdata``).
        prior
            Priors added to this fit's own (replacing those on the same parameter).
        **brm_args
            Any other argument of :func:`multilevel.brm` (``family``, ``chains``, ``draws``,
            ``iter``, ``seed``, ``control``, ...). The family, priors, ``sample_prior`` and
            sampler settings not given are this fit's; ``seed`` too, when it was set.

        Returns
        -------
        Fit
            The new fit. The compiled model is reused as the sampler allows (see the
            guide's section on sampling).
        """
        if self._refit is None:
            raise MultilevelError("This fit was not made by ml.brm() or ml.load(), so it "
                                  "cannot be fitted again; call ml.brm() with its settings.")
        return self._refit(self, formula=formula, newdata=newdata, prior=prior, **brm_args)

    # --- printing ------------------------------------------------------------------------
    def summary(self, prob: float = 0.95, robust: bool = False) -> Summary:
        """brms's summary: family, formula, data, draws, then the parameter tables.

        Parameters
        ----------
        prob
            The probability of the central intervals, as brms's ``prob``: 0.9 gives the
            columns ``l-90% CI`` and ``u-90% CI``.
        robust
            The median and R's ``mad()`` as Estimate and Est.Error, as brms's ``robust``.

        Returns
        -------
        Summary
            Prints as brms does; an HTML table per block in Jupyter.
        """
        bounds = interval_bounds(prob)
        table = self.posterior_summary(probs=bounds, robust=robust)
        warn_as_brms_summary(table["Rhat"], self.idata, self.settings,
                             [a.name for a in self.family.aux])
        table = table.rename(columns=dict(zip([quantile_label(p) for p in bounds],
                                              interval_columns(prob), strict=True)))
        table = table[table_columns(prob)]
        rows = population_variables(table.index)
        fixed = table.loc[list(rows.values())]
        fixed.index = list(rows)
        splines = table.loc[[f"sds_{coef}" for coef in self.names.smooths]]
        splines.index = [f"sds({coef})" for coef in self.names.smooths]
        simplexes = table.loc[[n for n in table.index if n.startswith("simo_")]]
        simplexes.index = [n.removeprefix("simo_") for n in simplexes.index]
        random, sizes = {}, {}
        for group in self.names.groups:
            sd_names = self.design.group_sd_names(group)
            cor_rows = [n for n in table.index if n.startswith(f"cor_{group}__")]
            block = table.loc[[f"sd_{group}__{name}" for name in sd_names] + cor_rows]
            labels = [f"sd({name})" for name in sd_names]
            labels += ["cor(" + n[len(f"cor_{group}__"):].replace("__", ",") + ")"
                       for n in cor_rows]
            block.index = labels
            random[group] = block
            sizes[group] = len(self.design.group_levels(group))
        spec = table.loc[list(self.names.aux)] if self.names.aux else None
        correlation = table.loc[[n for n in table.index
                                 if n.split("[")[0].split("__")[0] in self.names.autocor]]
        return Summary(
            family=self.family.label,
            links=self.family.link_description(self.names.dpars),
            formula="\n         ".join(self.design.user_spec.lines),
            data_name=self.data_name,
            nobs=self.nobs,
            chains=self.settings.chains,
            draws=self.settings.draws,
            warmup=self.settings.warmup,
            backend=self.settings.backend,
            algorithm=self.settings.algorithm,
            fixed=fixed,
            random=random,
            group_sizes=sizes,
            spec=spec,
            correlation=correlation,
            splines=splines,
            prob=float(prob),
            simplexes=simplexes,
        )

    def __repr__(self) -> str:
        return str(self.summary())

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # one summary (and its warnings) for both of a notebook's representations
        summary = self.summary()
        return {"text/plain": str(summary), "text/html": summary._repr_html_()}

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

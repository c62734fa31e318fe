"""The user-facing entry points: ``brm``, ``get_prior``, ``load`` and the model before fitting
(``equation``, ``model_code``, ``make_model``)."""

from __future__ import annotations

import inspect
import warnings
from dataclasses import fields, replace
from pathlib import Path

import pandas as pd

from .errors import (
    DataError,
    FormulaError,
    MultilevelError,
    SettingsError,
    StorageError,
)
from .families import Family, get_family
from .inference.approximation import run_approximation
from .inference.nuts import run_nuts, warn_about_convergence
from .inference.settings import (
    SamplerSettings,
    brms_control,
    brms_iterations,
    check_thin,
    reject_other_arguments,
)
from .model.build import brms_model, build_model, untraced_graphs
from .model.collapsed import resolve_parametrization
from .model.collapsed_draws import sampled_names, with_group_effects
from .model.crossproducts import cross_products_apply
from .model.fused_likelihood import FUSED_BACKENDS
from .model.lprior import lprior_draws, lprior_inputs
from .names import LPRIOR
from .priors.sampling import SAMPLE_PRIOR_CHOICES, check_proper_priors, draw_priors
from .priors.table import as_prior_list, build_prior_table, require_nonlinear_priors
from .results.bridge_sampling import SavePars, with_unconstrained_draws
from .results.caller import data_name as callers_data_name
from .results.caller import warnings_at_callers_line
from .results.combine import combine_models
from .results.criteria import EAGER_LOG_LIK_LIMIT, attach_log_lik
from .results.display import BrmsTable
from .results.executors import as_executor, derived_seed, run_tasks, side_by_side_arguments
from .results.fit import Fit
from .results.storage import check_writable, fingerprint, read_fingerprint, read_saved_fit
from .results.update_arguments import (
    as_first_data_sets,
    first_data_set_priors,
    kept_settings,
    merged_priors,
    updated_formula,
)
from .spec.checks import require_identified
from .spec.design import Design, build_design
from .spec.formula import parse_formula


def _design(formula: str, data: pd.DataFrame, family: str | Family, data2=None) -> Design:
    return build_design(parse_formula(formula), data, get_family(family), data2)



@warnings_at_callers_line
def get_prior(formula: str, data: pd.DataFrame, family: str | Family = "gaussian",
              prior=None, data2: dict | None = None) -> pd.DataFrame:
    """brms's prior table of a model before fitting it.

    Parameters
    ----------
    formula
        lme4/brms formula, e.g. ``"Reaction ~ Days + (Days | Subject)"``.
    data
        The data frame.
    family
        Family name or object (``"gaussian"``, ``ml.bernoulli(link="probit")``).
    prior
        Optional user priors (``ml.prior(...)`` or a list); they are checked and shown.
    data2
        As for :func:`brm`.

    Returns
    -------
    DataFrame
        Columns ``prior, class, coef, group, resp, dpar, nlpar, lb, ub, tag, source``;
        printed whole, as brms prints it.
    """
    design = _design(formula, data, family, data2)
    return BrmsTable.of(build_prior_table(design, prior).to_frame(design.family.categorical),
                        index=False)


def _model_parts(formula, data, family, prior, data2=None, for_model: bool = True):
    """The design and prior table; ``for_model`` checks, as brms before it builds a model,
    that every non-linear parameter has a prior."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    with untraced_graphs():
        design = _design(formula, data, family, data2)
        table = build_prior_table(design, prior)
    if for_model:
        require_nonlinear_priors(table)
    return design, table


def equation(formula: str, data: pd.DataFrame, family: str | Family = "gaussian", prior=None,
             notation: str = "gh", priors: bool = False, expand: bool = False,
             data2: dict | None = None):
    """A model's equations in LaTeX, before fitting it.

    Parameters
    ----------
    formula, data, family, prior, data2
        As for :func:`brm`.
    notation
        ``"gh"``: Gelman & Hill's one-line form with indexed groups; ``"rb"``: Raudenbush &
        Bryk's level-by-level form.
    priors
        Also write the priors in force (brms's defaults merged with ``prior``).
    expand
        In ``"rb"`` notation, substitute the higher levels into the level-1 equation (the
        combined, mixed-model form).

    Returns
    -------
    Equation
        Renders as LaTeX in Jupyter; ``.latex`` holds the string.
    """
    from .describe.equation import model_equation
    design, table = _model_parts(formula, data, family, prior, data2, for_model=False)
    return model_equation(design, table, notation=notation, priors=priors, expand=expand)


def model_code(formula: str, data: pd.DataFrame, family: str | Family = "gaussian",
               prior=None, data2: dict | None = None):
    """A standalone, readable PyMC program of a model, as brms's ``stancode()``.

    Parameters
    ----------
    formula, data, family, prior, data2
        As for :func:`brm`.

    Returns
    -------
    ModelCode
        A string of Python source; run with the data frame bound to ``data``, it defines
        ``model``, a ``pm.Model`` with the log density of :func:`make_model`'s model.
    """
    from .describe.model_code import write_model_code
    design, table = _model_parts(formula, data, family, prior, data2)
    return write_model_code(design, table)


def make_model(formula: str, data: pd.DataFrame, family: str | Family = "gaussian", prior=None,
               data2: dict | None = None):
    """The PyMC model :func:`brm` would fit, in brms's parametrization, without sampling it.

    Parameters
    ----------
    formula, data, family, prior, data2
        As for :func:`brm`.

    Returns
    -------
    pymc.Model
        Its free variables are brms's (``Intercept``, ``b``, ``sd_g``, ``z_g``, ...); sample it
        with ``pm.sample`` or extend it inside ``with model:``.
    """
    design, table = _model_parts(formula, data, family, prior, data2)
    return brms_model(design, table)


@warnings_at_callers_line
def brm(formula: str, data: pd.DataFrame, family: str | Family = "gaussian", prior=None,
        chains: int = 4, draws: int | None = None, warmup: int | None = None,
        cores: int | None = None, seed: int | None = None, target_accept: float | None = None,
        sampler: str = "auto", progressbar: bool = True, sample_prior: str = "no",
        file: str | Path | None = None, algorithm: str = "sampling",
        max_treedepth: int | None = None, iter: int | None = None, control: dict | None = None,
        parametrization: str = "auto",
        thin: int = 1, data_name: str | None = None, data2: dict | None = None,
        save_pars: SavePars | None = None, **brms_arguments) -> Fit:
    """Fit a Bayesian multilevel model as brms does.

    Parameters
    ----------
    formula
        lme4/brms formula: population terms, group terms ``(x | g)``, ``(x || g)``,
        ``(1 | a/b)``, response additions ``| trials(n)``, ``| weights(w)``, ``cbind()``.
    data
        The data frame. Rows with missing values in used columns are dropped with a warning.
    family
        Response family name or object; ``"gaussian"`` by default.
    prior
        User priors made with :func:`multilevel.prior`, alone or in a list; brms's defaults
        for everything else.
    chains, draws, warmup
        Number of chains, and post-warmup draws and warmup iterations per chain (1000 each
        by default).
    cores
        How many chains run at once (default: as many as chains, up to the machine's cores).
        With numpyro, XLA's runtime still uses a thread per core for each chain's operations.
    seed
        Seed; the same seed gives the same draws.
    target_accept
        NUTS target acceptance rate (brms's ``adapt_delta``), 0.8 by default.
    sampler
        NUTS backend: ``"auto"`` (numpyro below 10,000 rows, nutpie above: the faster of
        the two end to end, see ``docs/performance.md``), ``"nutpie"``, ``"pymc"``, or the
        JAX samplers ``"numpyro"`` and ``"blackjax"`` (they use a GPU when JAX has one).
    progressbar
        Show the sampler's progress: one bar with the chains, draws and divergent
        transitions so far, in a notebook as in a terminal.
    sample_prior
        ``"no"``; ``"yes"`` to also draw from the priors (brms's ``prior_*`` draws, used by
        ``hypothesis()`` for point hypotheses); ``"only"`` to sample from the priors alone,
        ignoring the likelihood (prior predictive checks; every prior must be proper).
    file
        A directory to save the fit to. When it already holds a fit of the same formula,
        data, family, priors, sampler settings and ``sample_prior``, that fit is loaded
        instead of sampling again; otherwise the model is fitted and saved there.
    algorithm
        ``"sampling"`` (NUTS, the default) or a faster approximation of the posterior, as
        brms's ``algorithm``: ``"meanfield"``, ``"fullrank"`` (ADVI), ``"pathfinder"`` or
        ``"laplace"``. Approximations give ``chains * draws`` draws in one chain and their
        summaries say they are approximations, without Rhat and ESS.
    max_treedepth
        The deepest NUTS tree, at most ``2**max_treedepth - 1`` leapfrog steps per iteration
        (brms's ``control = list(max_treedepth = )``), 10 by default; iterations that reach
        it are counted in a warning after the fit.
    iter
        brms's iterations per chain, warmup included: ``warmup`` defaults to ``iter // 2``
        and ``draws`` is ``iter - warmup``. Give ``iter`` or ``draws``, not both.
    control
        brms's ``control``: ``{"adapt_delta": 0.95, "max_treedepth": 12}`` sets
        ``target_accept`` and ``max_treedepth``.
    thin
        brms's thinning; only 1 (every draw kept) is supported.
    data_name
        The name the summary gives the data (``Data: sleep``). By default the name of your
        variable holding the data frame, else its ``attrs["name"]``, else ``"data"``.
    data2
        brms's ``data2``: named objects that are not columns of ``data``. A term
        ``(1 | gr(species, cov = A))`` takes the covariance between the levels of
        ``species`` (a phylogeny, a pedigree) from ``data2={"A": A}``, ``A`` a pandas
        DataFrame whose index and columns name the levels.
    save_pars
        brms's ``save_pars()``: ``ml.save_pars(all=True)`` also keeps every parameter's
        draws on the sampler's unconstrained scale (the group ``unconstrained_posterior``),
        which :func:`bridge_sampler` needs. Every brms parameter is kept in any case.
    parametrization
        How a Gaussian model's group-level effects are sampled: ``"collapsed"`` integrates
        them out of the likelihood, samples the other parameters and draws every ``r_`` from
        its exact conditional posterior afterwards; ``"full"`` samples them with the rest, as
        brms does; ``"auto"`` (the default) takes the collapsed form where it fits faster: a
        model it supports with one grouping factor, or whose other factor encloses the
        largest one, as schools enclose pupils (``docs/guide.md``). Both give brms's
        posterior. With an approximation (``algorithm=``), ``"auto"`` takes the collapsed
        form wherever the model has it: approximating effects and sds jointly misplaces the
        sds.
    **brms_arguments
        None is taken: brms's arguments spelled differently here (``backend``, ``silent``,
        ``inits``, ...) raise an error that says what to write instead.

    Returns
    -------
    Fit
        With ``prior``, ``summary()``, ``posterior_summary()``, ``fixef()``, ``ranef()``,
        ``coef()``, ``varcorr()``, ``update()`` and ``idata``.
    """
    reject_other_arguments("brm", brms_arguments, inspect.signature(brm).parameters)
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    draws, warmup = brms_iterations(iter, draws, warmup)
    target_accept, max_treedepth = brms_control(control, target_accept, max_treedepth)
    check_thin(thin)
    data_name = callers_data_name(data, data_name)
    if save_pars is not None and not isinstance(save_pars, SavePars):
        raise SettingsError(f"save_pars must be made by ml.save_pars(all=True), got "
                            f"{save_pars!r}.")
    settings = SamplerSettings(chains=chains, draws=draws, warmup=warmup, cores=cores,
                               seed=seed, target_accept=target_accept, sampler=sampler,
                               progressbar=progressbar, algorithm=algorithm,
                               max_treedepth=max_treedepth, parametrization=parametrization,
                               save_all_pars=save_pars is not None and save_pars.all)
    if sample_prior not in SAMPLE_PRIOR_CHOICES:
        raise SettingsError(f"sample_prior must be one of {', '.join(SAMPLE_PRIOR_CHOICES)}, "
                              f"got {sample_prior!r}.")
    family = get_family(family)
    user_priors = tuple(as_prior_list(prior))
    stamp = ""
    if file is not None:
        check_writable(file)
        stamp = fingerprint(formula, data, family, user_priors, settings, sample_prior, data2)
        if read_fingerprint(file) == stamp:
            try:
                saved = load(file)
                saved.file = str(file)
                return saved
            except StorageError as error:
                warnings.warn(f"{error} Fitting the model again and saving it to "
                              f"{str(file)!r}.", UserWarning, stacklevel=2)
    with untraced_graphs():
        design = _design(formula, data, family, data2)
        form = resolve_parametrization(design, settings.parametrization,
                                       likelihood=sample_prior != "only",
                                       algorithm=settings.algorithm)
        settings = replace(settings, parametrization=form)
        collapsed = form == "collapsed"
        # the rows the log density works through: none when the likelihood is cross-products
        rows = 0 if collapsed or cross_products_apply(design) else design.nobs
        settings = settings.for_data(rows)
        table = build_prior_table(design, list(user_priors) or None)
        require_nonlinear_priors(table)
        require_identified(design.collinear, {row.coef for row in table.rows
                                              if row.class_ == "b" and row.prior.name == "flat"})
        if sample_prior == "only":
            check_proper_priors(design, table)
        geometries = None
        if sample_prior == "only" or settings.is_approximation:
            # Without data every block is weakly informed, so brms's standard-normal form suits
            # the prior; approximations need it too, as a data-centred form's joint mode has sd = 0.
            geometries = [None] * len(design.blocks)
        model, names = build_model(design, table, geometries=geometries,
                                   likelihood=sample_prior != "only", collapsed=collapsed,
                                   fused=settings.backend in FUSED_BACKENDS)
        # a collapsed model samples no group-level effects: they are drawn afterwards
        sampled = kept = sampled_names(design, names) if collapsed else names.stored
        if settings.save_all_pars and not settings.is_approximation:
            sampled = kept + [rv.name for rv in model.free_RVs if rv.name not in kept]
        # the draws lprior is evaluated from, which brms does not keep
        for_lprior = [name for name in lprior_inputs(model) if name not in sampled]
        sampled = sampled + for_lprior
        run_seed = settings.resolved_seed()
        try:
            if settings.is_approximation:
                idata = run_approximation(model, sampled, settings, run_seed)
            else:
                idata = run_nuts(model, sampled, settings, run_seed, rows=rows,
                                 unjittered=names.unjittered, starts=names.starts)
        except (KeyboardInterrupt, MultilevelError):
            raise
        except Exception as error:  # the sampler's own failures, reworded for the user
            raise MultilevelError(
                f"Sampling failed for {formula!r}: {error}. Check that the priors are proper where "
                "the data cannot identify a parameter, and that the response fits the family."
            ) from error
        lprior = lprior_draws(model, idata.posterior)
        idata.posterior = idata.posterior.drop_vars(for_lprior)
        if settings.save_all_pars and not settings.is_approximation:
            idata = with_unconstrained_draws(idata, model, kept)
        if collapsed:
            idata = with_group_effects(idata, design, names, run_seed)
        idata.posterior[LPRIOR] = lprior
        # ArviZ's power-scaling sensitivity (az.psens) reads the log prior from its own group
        idata.add_groups(log_prior={LPRIOR: lprior})
        if sample_prior == "yes":
            chains = idata.posterior.sizes["chain"]
            priors = draw_priors(design, table, settings.chains * settings.draws, run_seed)
            idata.add_groups(prior={name: values.to_numpy().reshape(chains, -1)
                                    for name, values in priors.items()})
        fit = Fit(idata=idata, design=design, prior_table=table, names=names, settings=settings,
                  seed=run_seed, data_name=data_name, user_priors=user_priors,
                  sample_prior=sample_prior, fingerprint=stamp, _refit=update)
        if sample_prior != "only" and settings.chains * settings.draws * design.nobs <= (
                EAGER_LOG_LIK_LIMIT):
            attach_log_lik(fit)
        if not settings.is_approximation:
            diagnostics = fit.posterior_summary()
            warn_about_convergence(idata, diagnostics["Rhat"].to_numpy(),
                                   diagnostics["Bulk_ESS"].to_numpy(),
                                   diagnostics["Tail_ESS"].to_numpy(), settings)
        if file is not None:
            fit.save(file)
            fit.file = str(file)
        return fit


def _fit_data_set(formula, data: pd.DataFrame, seed: int, arguments: dict) -> Fit:
    """One fit of :func:`brm_many`: what a worker runs."""
    return brm(formula, data, seed=seed, **arguments)


@warnings_at_callers_line
def brm_many(formula, datasets, executor=None, seed: int | None = None,
             **brm_args) -> list[Fit] | dict[object, Fit]:
    """Fit one model to each of many data sets, here or on any executor.

    Simulation studies, bootstraps and fits per subgroup: the fits run one after another in
    this process, or side by side on an executor (a process pool, a dask cluster).

    Parameters
    ----------
    formula
        As for :func:`brm`.
    datasets
        A list of data frames, or a dict of them; the dict's keys become the fits' data names.
    executor
        None fits here; a ``concurrent.futures.Executor`` (a ``ProcessPoolExecutor``, ...) or
        a ``dask.distributed.Client`` runs the fits. Each fit's chains run as in
        :func:`brm`, side by side, except with ``sampler="pymc"``, whose chains run one after
        another on an executor (``cores=1``) unless ``cores`` is given (see
        :func:`multilevel.results.executors.side_by_side_arguments`). Each process compiles a
        model structure once and reuses it for every data set of the same shapes (same
        numbers of rows and levels); numpyro's programs, kept on disk, also serve later
        processes.
    seed
        Seed of the whole run; each fit's seed is derived from it and the data set's
        position (``fits[k].seed``), so every executor gives the same draws. Random when None.
    **brm_args
        Any other argument of :func:`brm` but ``data``, ``file`` and ``data_name``; the
        progress bar is off unless ``progressbar=True``.

    Returns
    -------
    list or dict of Fit
        In the order (or with the keys) of ``datasets``.
    """
    for name in ("data", "file", "data_name"):
        if name in brm_args:
            raise SettingsError(f"brm_many() takes no {name}=: the data sets come as datasets=, "
                                "each named by its key when datasets is a dict.")
    if isinstance(datasets, dict):
        keys, frames = list(datasets), list(datasets.values())
        names = [str(key) for key in keys]
    elif isinstance(datasets, (list, tuple)):
        keys, frames = None, list(datasets)
        names = [str(frame.attrs.get("name", f"data[{k}]")) if isinstance(frame, pd.DataFrame)
                 else "" for k, frame in enumerate(frames)]
    else:
        raise DataError(f"datasets must be a list or dict of pandas DataFrames, got "
                        f"{type(datasets).__name__}.")
    if not frames:
        raise DataError("datasets is empty; give at least one data frame.")
    for key, frame in zip(keys or range(len(frames)), frames, strict=True):
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"datasets[{key!r}] must be a pandas DataFrame, got "
                            f"{type(frame).__name__}.")
    run_seed = SamplerSettings(seed=seed).resolved_seed()
    executor = as_executor(executor)
    arguments = side_by_side_arguments(brm_args, executor, brm_args.get("sampler", "auto"))
    tasks = [(formula, frame, derived_seed(run_seed, k), {**arguments, "data_name": name})
             for k, (frame, name) in enumerate(zip(frames, names, strict=True))]
    fits = run_tasks(_fit_data_set, tasks, executor, ("Data set", "Data sets"), names)
    return dict(zip(keys, fits, strict=True)) if keys is not None else fits


def load(path: str | Path) -> Fit:
    """Read a fit saved with ``fit.save(path)`` or ``brm(..., file=path)``.

    Parameters
    ----------
    path
        The directory the fit was saved to.

    Returns
    -------
    Fit
        The saved fit, with its draws, data, formula, priors, family and settings.

    Raises
    ------
    StorageError
        When the directory holds no fit, or its files are damaged, malformed or were changed
        after saving (their content hash does not match).
    """
    saved = read_saved_fit(path)
    return Fit(**{field.name: getattr(saved, field.name) for field in fields(saved)},
               _refit=update)


@warnings_at_callers_line
def brm_multiple(formula, datasets, combine: bool = True, executor=None,
                 seed: int | None = None, data_name: str | None = None,
                 **brm_args) -> Fit | list[Fit]:
    """Fit one model to each of several imputed data sets and combine the fits, as brms's
    ``brm_multiple()``.

    The combined posterior holds every fit's chains: its R-hat compares chains of different
    data sets and may exceed 1.05 although each fit converged (``combine=False`` gives the
    fits). Predictions of the fitted rows, ``loo()``, ``kfold()`` and ``reloo()`` use the
    first data set, with brms's warning.

    Parameters
    ----------
    formula
        As for :func:`brm`.
    datasets
        The imputed data sets: a list (or dict) of data frames with the same columns, such as
        the ``m`` completed data sets of a multiple imputation.
    combine
        Whether to return one fit of all the draws; False returns the list of fits.
    executor, seed
        As for :func:`brm_many`, which runs the fits.
    data_name
        The name the summary prints; by default the user's variable holding ``datasets``.
    **brm_args
        Any other argument of :func:`brm` but ``file``; ``chains`` are per data set. Every
        data set takes the first one's default priors, as in brms.

    Returns
    -------
    Fit or list of Fit
    """
    if "file" in brm_args:
        raise SettingsError("brm_multiple() takes no file=: save the combined fit with "
                            "fit.save(path) and read it again with ml.load(path).")
    name = callers_data_name(datasets, data_name)
    frames = list(datasets.values()) if isinstance(datasets, dict) else datasets
    if not isinstance(frames, (list, tuple)) or not frames:
        raise DataError("datasets must be a non-empty list or dict of pandas DataFrames.")
    user = brm_args.pop("prior", None)
    # every data set takes the first one's default priors, as brms's update() of its model
    priors, table = first_data_set_priors(formula, frames[0], brm_args.get("family", "gaussian"),
                                          user, brm_args.get("data2"))
    user = as_prior_list(user)
    fits = [as_first_data_sets(fit, table, user) for fit in
            brm_many(formula, frames, executor=executor, seed=seed, prior=priors, **brm_args)]
    for number, fit in enumerate(fits, start=1):
        # brms's check of each data set's fit, by rstan's R-hat
        if not fit.settings.is_approximation and (fit.rhat() > 1.1).any():
            warnings.warn(f"Imputed model {number} did not converge.", UserWarning, stacklevel=3)
    if not combine:
        return fits
    combined = combine_models(mlist=fits, check_data=False)
    return replace(combined, data_name=name, imputations=len(fits), prior_table=table)


@warnings_at_callers_line
def update(fit: Fit, formula=None, newdata=None, prior=None, **brm_args) -> Fit:
    """Fit ``fit``'s model again with a changed formula, data, priors or settings, as brms's
    ``update()``; ``fit.update(...)`` calls this.

    Parameters
    ----------
    fit
        The fit to start from.
    formula
        The new formula, in which ``.`` stands for the old one's side (``"~ . + x"``,
        ``". ~ . - Days"``), as R's ``update.formula``; the formulas of distributional
        parameters are kept unless ``formula`` is made by ``ml.bf()``.
    newdata
        New data; by default the data the fit was made with. For a fit of
        :func:`brm_multiple`, a list of imputed data sets (a data frame refits on it alone).
    prior
        Priors added to the fit's own, replacing those on the same parameter.
    **brm_args
        Other arguments of :func:`brm`; the fit's own for those not given.

    Returns
    -------
    Fit
        The new fit. A model of the same structure reuses its compiled code where the
        sampler keeps it (nutpie, within the process).
    """
    if not isinstance(fit, Fit):
        raise MultilevelError(f"update() needs a fit made by ml.brm(), got "
                              f"{type(fit).__name__}.")
    if "data" in brm_args:
        raise MultilevelError("update() takes new data as newdata=, as brms's update().")
    new_formula = updated_formula(fit, formula)
    name = brm_args.pop("data_name", None)
    if fit.imputations > 1 and not isinstance(newdata, pd.DataFrame):
        if not isinstance(newdata, (list, tuple, dict)):
            raise DataError("newdata is required when updating a fit of several imputed data "
                            "sets: a list of data frames, as for ml.brm_multiple().")
        arguments = kept_settings(fit, brm_args)
        first = next(iter(newdata.values())) if isinstance(newdata, dict) else newdata[0]
        design = _design(new_formula, first, get_family(arguments["family"]),
                         arguments["data2"])
        return brm_multiple(new_formula, newdata,
                            prior=merged_priors(fit.user_priors, prior, design),
                            data_name=name or callers_data_name(newdata), **arguments)
    if newdata is None:
        data, name = fit.design.data, name or fit.data_name
    elif isinstance(newdata, pd.DataFrame):
        data, name = newdata, callers_data_name(newdata, name)
    else:
        raise DataError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}.")
    arguments = kept_settings(fit, brm_args)
    try:
        with untraced_graphs():
            design = _design(new_formula, data, get_family(arguments["family"]),
                             arguments["data2"])
    except FormulaError as error:
        if newdata is not None or "is not in the data" not in str(error):
            raise
        raise FormulaError(f"{error} The fit keeps the columns its formula used; give the "
                           "data again: fit.update(..., newdata=data).") from None
    return brm(new_formula, data, prior=merged_priors(fit.user_priors, prior, design),
               data_name=name, **arguments)

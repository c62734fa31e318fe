"""The user-facing entry points: ``brm`` and ``get_prior``."""

from __future__ import annotations

import pandas as pd

from .design import Design, build_design
from .errors import MultilevelError
from .families import Family, get_family
from .fit import Fit
from .formula import parse_formula
from .model import build_model
from .priors import build_prior_table
from .sampling import SamplerSettings, run_nuts, warn_about_convergence


def _design(formula: str, data: pd.DataFrame, family: str | Family) -> Design:
    return build_design(parse_formula(formula), data, get_family(family))


def get_prior(formula: str, data: pd.DataFrame, family: str | Family = "gaussian",
              prior=None) -> pd.DataFrame:
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

    Returns
    -------
    DataFrame
        Columns ``prior, class, coef, group, resp, dpar, nlpar, lb, ub, tag, source``.
    """
    return build_prior_table(_design(formula, data, family), prior).to_frame()


def brm(formula: str, data: pd.DataFrame, family: str | Family = "gaussian", prior=None,
        chains: int = 4, draws: int = 1000, warmup: int = 1000, cores: int | None = None,
        seed: int | None = None, target_accept: float = 0.8, sampler: str = "auto",
        progressbar: bool = True) -> Fit:
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
        Number of chains, and post-warmup draws and warmup iterations per chain (brms's
        ``iter`` is ``draws + warmup``).
    cores
        Chains run in parallel on this many cores (default: as many as chains, up to the
        machine's).
    seed
        Seed; the same seed gives the same draws.
    target_accept
        NUTS target acceptance rate (brms's ``adapt_delta``).
    sampler
        ``"auto"`` (nutpie when installed), ``"nutpie"`` or ``"pymc"``.
    progressbar
        Show the sampler's progress.

    Returns
    -------
    Fit
        With ``prior``, ``summary()``, ``posterior_summary()``, ``fixef()``, ``ranef()``,
        ``coef()``, ``varcorr()`` and ``idata``.
    """
    settings = SamplerSettings(chains=chains, draws=draws, warmup=warmup, cores=cores,
                               seed=seed, target_accept=target_accept, sampler=sampler,
                               progressbar=progressbar)
    design = _design(formula, data, family)
    table = build_prior_table(design, prior)
    model, names = build_model(design, table)
    run_seed = settings.resolved_seed()
    try:
        idata = run_nuts(model, names.stored, settings, run_seed)
    except (KeyboardInterrupt, MultilevelError):
        raise
    except Exception as error:  # the sampler's own failures, reworded for the user
        raise MultilevelError(
            f"Sampling failed for {formula!r}: {error}. Check that the priors are proper where "
            "the data cannot identify a parameter, and that the response fits the family."
        ) from error
    fit = Fit(idata=idata, design=design, prior_table=table, names=names, settings=settings,
              seed=run_seed, data_name=str(data.attrs.get("name", "data")))
    diagnostics = fit.posterior_summary()
    warn_about_convergence(idata, diagnostics["Rhat"].to_numpy(),
                           diagnostics["Bulk_ESS"].to_numpy(),
                           diagnostics["Tail_ESS"].to_numpy(), settings)
    return fit

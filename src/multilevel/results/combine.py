"""brms's ``combine_models()``: one fit from fits of the same model, their chains side by side.

brms's ``brm_multiple()`` fits a model to each of several imputed data sets and combines the
fits; the combined posterior is the mixture of theirs, the usual way to carry the imputations'
uncertainty into the estimates.
"""

from __future__ import annotations

import dataclasses

import arviz as az

from ..errors import MultilevelError
from .fit import Fit


def combine_models(*fits: Fit, mlist=None, check_data: bool = True) -> Fit:
    """One fit holding the draws of several fits of the same model, as brms's
    ``combine_models()``.

    Parameters
    ----------
    *fits
        Fits of the same formula, family and parameters.
    mlist
        A list (or dict, as :func:`multilevel.brm_many` gives) of further fits.
    check_data
        Whether the fits must have been made with the same data; False combines fits of
        different data sets, as ``brm_multiple()`` does.

    Returns
    -------
    Fit
        The first fit, with the chains of all of them in turn (``fit.idata``'s chains
        numbered anew); its data, priors and settings are the first fit's but for the
        number of chains.

    Raises
    ------
    MultilevelError
        When a fit is not a :class:`Fit`, or the fits' formulas, parameters or (with
        ``check_data``) data differ, naming the first that differs from the first fit.
    """
    extra = list(mlist.values()) if isinstance(mlist, dict) else list(mlist or [])
    models = list(fits) + extra
    if not models:
        raise MultilevelError("No models supplied to combine_models().")
    for position, model in enumerate(models, start=1):
        if not isinstance(model, Fit):
            raise MultilevelError(f"Model {position} is no fit made by ml.brm(), got "
                                  f"{type(model).__name__}.")
    first = models[0]
    for position, model in enumerate(models[1:], start=2):
        if _model_of(model) != _model_of(first):
            raise MultilevelError(f"Models 1 and {position} have different formulas.")
        if model.draws.names != first.draws.names:
            raise MultilevelError(f"Models 1 and {position} have different parameters.")
        if check_data and not model.design.model_frame().equals(first.design.model_frame()):
            raise MultilevelError(f"Models 1 and {position} have different data. Set "
                                  "check_data=False to turn off checking of the data.")
    idata = _chains_side_by_side(models)
    # the settings of the fit as a whole, as brms's combined Stan fit has all the chains
    settings = dataclasses.replace(first.settings, chains=int(idata.posterior.sizes["chain"]))
    # criteria of the first model's draws, and its file, are not the combined fit's
    return dataclasses.replace(first, idata=idata, settings=settings, criteria={}, file=None)


def _model_of(fit: Fit) -> tuple:
    spec = fit.design.spec
    return spec.text, spec.dpars, spec.nlpars, fit.family.name, fit.family.link


def _chains_side_by_side(models: list[Fit]) -> az.InferenceData:
    """The fits' draws, chain after chain; groups of the first fit's data (observed and
    constant data) come from it. The pointwise log-likelihood is left to be computed again,
    on the first fit's data, as brms's combined fit does."""
    shared = set.intersection(*(set(model.idata.groups()) for model in models))
    chained = [group for group in models[0].idata.groups()
               if group in shared and group != "log_likelihood"
               and "chain" in models[0].idata[group].dims]
    parts = [az.InferenceData(**{group: model.idata[group] for group in chained})
             for model in models]
    combined = az.concat(*parts, dim="chain", reset_dim=True)
    rest = {group: models[0].idata[group] for group in models[0].idata.groups()
            if group not in chained and group != "log_likelihood"}
    if rest:
        combined.add_groups(rest)
    return combined

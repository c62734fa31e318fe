"""The arguments of a fit made again: ``update()``'s formula, priors and settings, and the
priors ``brm_multiple()`` gives every data set."""

from __future__ import annotations

import dataclasses

from ..errors import FormulaError, PriorError
from ..families import get_family
from ..inference.settings import SamplerSettings
from ..model.collapsed import resolve_parametrization
from ..model.crossproducts import cross_products_apply
from ..priors.table import Prior, PriorTable, as_prior_list, build_prior_table
from ..spec.brms_formula import BrmsFormula, bf
from ..spec.design import Design, build_design
from ..spec.formula import parse_formula
from ..spec.formula_update import update_formula
from .bridge_sampling import save_pars
from .fit import Fit


def merged_priors(old: tuple, new, design: Design) -> list:
    """The fit's user priors with ``new`` added, a new prior replacing an old one on the same
    parameter, as brms's ``update()``; old priors on parameters the new model lacks (the
    coefficient of a removed term) are dropped, as brms allows them there."""
    added = as_prior_list(new)
    replaced = {(p.class_, p.coef, p.group, p.parameter) for p in added}
    kept = []
    for old_prior in old:
        if (old_prior.class_, old_prior.coef, old_prior.group, old_prior.parameter) in replaced:
            continue
        try:
            build_prior_table(design, [old_prior])
        except PriorError:
            continue
        kept.append(old_prior)
    return kept + added


def updated_formula(fit: Fit, formula):
    spec = fit.design.user_spec
    dpars = {name: part.text for name, part in spec.dpars}
    if formula is None:
        return spec.as_bf()
    if isinstance(formula, BrmsFormula):
        return formula
    if not isinstance(formula, str):
        raise FormulaError(f"formula must be a string such as '~ . + x' or made by ml.bf(), "
                           f"got {type(formula).__name__}.")
    if spec.nonlinear is not None:
        raise FormulaError(f"A non-linear model's formula changes as a whole: give "
                           f"ml.bf(..., nl=True) to update(), not {formula!r}.")
    text = update_formula(spec.text, formula)
    held = dict(spec.fixed_dpars)
    return (bf(text, center=spec.center, **dpars, **held) if dpars or held or not spec.center
            else text)


def kept_settings(fit: Fit, changed: dict) -> dict:
    """The arguments of :func:`brm` that ``fit`` was made with, less those ``changed`` sets
    (directly, or through brms's ``iter`` and ``control``)."""
    settings = fit.settings
    rows = (0 if settings.parametrization == "collapsed" or cross_products_apply(fit.design)
            else fit.design.nobs)
    # an "auto" choice was resolved for the fit's data: choose again for the new data
    chosen_automatically = SamplerSettings(sampler="auto").for_data(rows).sampler
    # a fit of several imputed data sets holds each one's chains, as brms's
    kept = {"family": fit.family, "chains": settings.chains // fit.imputations,
            "draws": settings.draws,
            "warmup": settings.warmup, "cores": settings.cores, "seed": settings.seed,
            "target_accept": settings.target_accept,
            "sampler": "auto" if settings.sampler == chosen_automatically else settings.sampler,
            "progressbar": settings.progressbar, "sample_prior": fit.sample_prior,
            "algorithm": settings.algorithm, "max_treedepth": settings.max_treedepth,
            "data2": dict(fit.design.data2) or None,
            "save_pars": save_pars(all=True) if settings.save_all_pars else None}
    # as the sampler: an "auto" choice is made again for the new model
    automatic_form = resolve_parametrization(fit.design, "auto", fit.sample_prior != "only",
                                             settings.algorithm)
    kept["parametrization"] = ("auto" if settings.parametrization == automatic_form
                               else settings.parametrization)
    if changed.get("iter") is not None:
        kept.pop("draws")
        kept.pop("warmup")
    for key, name in (("adapt_delta", "target_accept"), ("max_treedepth", "max_treedepth")):
        if isinstance(changed.get("control"), dict) and key in changed["control"]:
            kept.pop(name)
    return {**kept, **changed}


def first_data_set_priors(formula, data, family, prior,
                          data2=None) -> tuple[list, PriorTable]:
    """The priors ``brm_multiple()`` fits every data set with, and the first data set's own
    prior table: brms compiles the model once on the first data set and updates it with each
    of the others, so all take the first one's default priors (an Intercept's location, a
    scale from the response's spread) besides the user's.

    Returns
    -------
    priors, table
        The user's priors followed by the first data set's defaults, as priors to set; and
        its prior table with the user's priors alone, as brms prints it.
    """
    user = as_prior_list(prior)
    design = build_design(parse_formula(formula), data, get_family(family), data2)
    table = build_prior_table(design, user or None)
    defaults = [row for row in table.rows if row.source == "default"
                and row.prior.name != "flat"]
    carried = [Prior(str(row.prior), row.class_, row.coef, row.group,
                     "" if row.nonlinear else row.dpar, None, None,
                     row.dpar if row.nonlinear else "") for row in defaults]
    return user + carried, table


def as_first_data_sets(fit: Fit, table: PriorTable, user: list) -> Fit:
    """A fit of :func:`first_data_set_priors`'s priors, its carried defaults labelled as
    defaults again (as brms's updated fits keep them) and its user priors the user's."""
    own = {(p.class_, p.coef, p.group, p.parameter) for p in user}
    defaults = {row.key for row in table.rows if row.source == "default"}
    rows = tuple(dataclasses.replace(row, source="default")
                 if row.source == "user" and row.key in defaults
                 and (row.class_, row.coef, row.group, row.dpar) not in own else row
                 for row in fit.prior_table.rows)
    return dataclasses.replace(fit, prior_table=dataclasses.replace(fit.prior_table, rows=rows),
                               user_priors=tuple(user))

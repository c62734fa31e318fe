"""Draws from the priors: brms's ``sample_prior = "yes"`` and the check for ``"only"``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
from pymc.distributions.truncated import TruncatedRV
from pymc.pytensorf import compile as compile_pymc

from ..errors import PriorError
from ..families.derived import PYTHON_MODE, inline_inner_graphs
from ..spec.design import Design
from .distributions import Distribution, prior_variable
from .special import CONSTANT, SPECIAL_PRIORS
from .table import PriorTable

SAMPLE_PRIOR_CHOICES = ("no", "yes", "only")


ParameterPrior = tuple[str, Distribution, float | None, float | None, str]


def _parameter_priors(design: Design, table: PriorTable) -> list[ParameterPrior]:
    """Every parameter's prior as (brms name of its prior draws, prior, lower and upper
    bounds, target).

    A class whose coefficients share one prior gets one column (``prior_b``,
    ``prior_sd_Subject``), as in brms; otherwise one per coefficient.
    """
    out = []

    def add_class(prefix: str, class_: str, coefs: list[str], group: str, separator,
                  dpar: str):
        priors = [table.lookup(class_, coef, group, dpar) for coef in coefs]
        lower, upper = table.bounds(class_, coefs[0], group, dpar)
        kind = "nlpar" if dpar in design.nlpars else "dpar"
        where = (f" (group {group})" if group else "") + (f" ({kind} {dpar})" if dpar else "")
        if all(p == priors[0] for p in priors):
            out.append((prefix, priors[0], lower, upper, f"class {class_}{where}"))
        else:
            for coef, dist in zip(coefs, priors, strict=True):
                out.append((f"{prefix}{separator}{coef}", dist, lower, upper,
                            f"class {class_}, coef {coef}{where}"))

    parameters = design.parameter_parts
    for dpar in ["", *parameters]:
        part = parameters[dpar] if dpar else design
        suffix = f"_{dpar}" if dpar else ""
        if part.has_intercept:
            out.append((f"prior_Intercept{suffix}", table.lookup("Intercept", "", "", dpar),
                        *table.bounds("Intercept", "", "", dpar),
                        "class Intercept" + (f" (dpar {dpar})" if dpar else "")))
        # a special prior is no distribution of each coefficient: brms draws no prior_b of it
        if part.b_names and table.lookup("b", "", "", dpar).name not in SPECIAL_PRIORS:
            add_class(f"prior_b{suffix}", "b", part.b_names, "", "_", dpar)
        if not dpar and design.monotonic:
            add_class("prior_bsp", "b", [m.term.coef for m in design.monotonic], "", "_", "")
        if not dpar and design.category_specific is not None:
            add_class("prior_bcs", "b", design.category_specific.names, "", "_", "")
        for group in design.groups:
            coefs = [coef for owner, coef in design.group_coef_parts(group) if owner == dpar]
            if coefs:
                add_class(f"prior_sd_{group}" + (f"__{dpar}" if dpar else ""), "sd", coefs,
                          group, "__", dpar)
    for parameter in design.family.aux:
        if (parameter.name not in design.dpars and parameter.name not in design.fixed_aux
                and parameter.name not in design.family.mixing_proportions):
            out.append((f"prior_{parameter.name}", table.lookup(parameter.name),
                        *table.bounds(parameter.name), f"class {parameter.name}"))
    # a held parameter has no prior to draw from
    return [entry for entry in out if entry[1].name != CONSTANT]


def _simplexes(design: Design, table: PriorTable) -> list[tuple[str, float, int]]:
    """Each simplex's prior draws' name, its Dirichlet's concentration and its length: the
    monotonic effects' and a mixture's proportions, as brms's ``prior_simo_*`` and
    ``prior_theta``."""
    out = [(f"prior_simo_{part.term.simplex}",
            table.lookup("simo", part.term.simplex).concentrations(part.size), part.size)
           for part in design.monotonic]
    family = design.family
    if family.components and not family.predicted_proportions and not any(
            name in design.fixed_aux for name in family.mixing_proportions):
        size = len(family.components)
        out.append(("prior_theta", table.lookup("theta").concentrations(size), size))
    return out


def flat_prior_parameters(design: Design, table: PriorTable) -> list[str]:
    """The parameters with an improper (flat) prior, each class once (cs() and monotonic
    effects share class b's prior)."""
    return list(dict.fromkeys(target for _, dist, _, _, target
                              in _parameter_priors(design, table) if dist.name == "flat"))


def check_proper_priors(design: Design, table: PriorTable) -> None:
    """Raise when a parameter has an improper (flat) prior, which cannot be sampled from."""
    flat = flat_prior_parameters(design, table)
    if flat:
        raise PriorError(
            "Sampling from the priors (sample_prior='only') needs proper priors, but these "
            "parameters have flat ones: " + "; ".join(flat) + ". Give them proper priors, "
            "e.g. prior('normal(0, 10)', class_='b')."
        )


# rounds of rejection for a prior truncated at a bound: enough for one with a hundredth of its
# mass within the bound
_REJECTION_ROUNDS = 500


def draw_priors(design: Design, table: PriorTable, draws: int, seed: int) -> pd.DataFrame:
    """Independent draws from every proper prior, in brms's ``prior_*`` columns.

    Bounded parameters (standard deviations, sigma, shape) get their truncated priors; a
    correlation gets the marginal of one correlation of its block's LKJ prior.
    """
    names, variables, truncated = [], {}, {}
    with pm.Model():
        # every draw at once: one evaluation of the graph, not one per draw
        for name, dist, lower, upper, target in _parameter_priors(design, table):
            if dist.name == "flat":
                continue
            names.append(name)
            variable = prior_variable(name, dist, lower, upper, shape=(draws,))
            if isinstance(variable.owner.op, TruncatedRV):
                truncated[name] = (dist, lower, upper, target)
            else:
                variables[name] = variable
        for name, concentration, size in _simplexes(design, table):
            # the simplex's elements, prior_simo_moincome1[1], ..., from its Dirichlet
            variables[name] = pm.Dirichlet(name, a=concentration, shape=(draws, size))
            names += [f"{name}[{k}]" for k in range(1, size + 1)]
        for members in design.correlation_sets():
            group = design.blocks[members[0]].group
            if design.set_correlated(members) and f"prior_cor_{group}" not in names:
                eta = table.lookup("cor", "", group).args[0]
                names.append(f"prior_cor_{group}")
                variables[names[-1]] = pm.LKJCorr(names[-1], n=len(design.set_coefs(members)),
                                                  eta=eta, size=draws)[:, 0]
    drawn = {}
    if variables:
        drawn.update(zip(variables, pm.draw([inline_inner_graphs(v) for v in variables.values()],
                                            random_seed=seed, mode=PYTHON_MODE), strict=True))
    seeds = np.random.SeedSequence(seed).generate_state(len(truncated))
    for (name, prior), stream in zip(truncated.items(), seeds, strict=True):
        drawn[name] = _truncated_draws(*prior, draws, int(stream))
    for name, _, size in _simplexes(design, table):
        simplexes = np.asarray(drawn.pop(name), dtype=float)
        drawn.update({f"{name}[{k + 1}]": simplexes[:, k] for k in range(size)})
    return pd.DataFrame({name: np.asarray(drawn[name], dtype=float).reshape(draws)
                         for name in names}, index=pd.RangeIndex(draws))


def _truncated_draws(dist: Distribution, lower: float | None, upper: float | None,
                     target: str, draws: int, seed: int) -> np.ndarray:
    """``draws`` draws of ``dist`` truncated to [``lower``, ``upper``] (either may be None), by
    rejection from the whole prior.

    PyMC draws a truncated variable through the inverse of its CDF, between the CDF at the
    bounds, which its student_t gives as NaN at an infinite bound; rejection needs the draws
    of the whole prior only.
    """
    with pm.Model():
        whole = prior_variable("whole", dist, None, shape=(draws,))
    draw = compile_pymc([], inline_inner_graphs(whole), random_seed=seed, mode=PYTHON_MODE)
    kept, count = [], 0
    for _ in range(_REJECTION_ROUNDS):
        values = np.asarray(draw(), dtype=float)
        kept.append(values[(values >= (-np.inf if lower is None else lower))
                           & (values <= (np.inf if upper is None else upper))])
        count += kept[-1].size
        if count >= draws:
            return np.concatenate(kept)[:draws]
    within = " and ".join(f"{side} {bound:g}" for side, bound in (("above", lower),
                                                                    ("below", upper))
                          if bound is not None)
    raise PriorError(
        f"The prior {dist} of {target} puts almost none of its mass {within}, the parameter's "
        f"bounds, so sample_prior cannot draw from it; give it a prior with more mass there."
    )

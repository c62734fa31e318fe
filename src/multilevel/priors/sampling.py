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
    bounds, target), in brms's order (:func:`_prior_sections`).

    A class whose coefficients share one prior gets one column (``prior_b``,
    ``prior_sd_Subject``), as in brms; otherwise one per coefficient.
    """
    return [entry for section in _prior_sections(design, table) for entry in section]


def _prior_sections(design: Design, table: PriorTable) -> tuple[list, list, list]:
    """The parameters' priors in the order of brms's Stan code, in three parts: the mean's
    ``b`` and ``Intercept``; its monotonic and category-specific effects, then the other
    parameters (non-linear ones, then the family's in its order, each by its own ``b`` and
    ``Intercept`` where predicted); the groups' sds, the mean's first. The monotonic
    effects' simplexes go between the first two parts, as brms draws them."""
    sections: tuple[list, list, list] = ([], [], [])

    def add_class(out: list, prefix: str, class_: str, coefs: list[str], group: str,
                  separator, dpar: str):
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
    family_order = [parameter.name for parameter in design.family.aux]
    for dpar in ["", *[name for name in parameters if name not in family_order],
                 *family_order]:
        out = sections[0] if not dpar else sections[1]
        if dpar and dpar not in parameters:
            if (dpar not in design.dpars and dpar not in design.fixed_aux
                    and dpar not in design.family.mixing_proportions):
                out.append((f"prior_{dpar}", table.lookup(dpar), *table.bounds(dpar),
                            f"class {dpar}"))
            continue
        part = parameters[dpar] if dpar else design
        suffix = f"_{dpar}" if dpar else ""
        # a special prior is no distribution of each coefficient: brms draws no prior_b of it
        if part.b_names and table.lookup("b", "", "", dpar).name not in SPECIAL_PRIORS:
            add_class(out, f"prior_b{suffix}", "b", part.b_names, "", "_", dpar)
        if part.has_intercept:
            out.append((f"prior_Intercept{suffix}", table.lookup("Intercept", "", "", dpar),
                        *table.bounds("Intercept", "", "", dpar),
                        "class Intercept" + (f" (dpar {dpar})" if dpar else "")))
        if not dpar and design.monotonic:
            add_class(sections[1], "prior_bsp", "b", [m.term.coef for m in design.monotonic],
                      "", "_", "")
        if not dpar and design.category_specific is not None:
            add_class(sections[1], "prior_bcs", "b", design.category_specific.names, "", "_",
                      "")
    for dpar in ["", *parameters]:
        for group in design.groups:
            coefs = [coef for owner, coef in design.group_coef_parts(group) if owner == dpar]
            if coefs:
                add_class(sections[2], f"prior_sd_{group}" + (f"__{dpar}" if dpar else ""),
                          "sd", coefs, group, "__", dpar)
    # a held parameter has no prior to draw from
    return tuple([entry for entry in section if entry[1].name != CONSTANT]
                 for section in sections)


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
    sections = [[], [], []]
    targets, variables, truncated = {}, {}, {}
    with pm.Model():
        # every draw at once: one evaluation of the graph, not one per draw
        for names, entries in zip(sections, _prior_sections(design, table), strict=True):
            for name, dist, lower, upper, target in entries:
                if dist.name == "flat":
                    continue
                names.append(name)
                targets[name] = target
                variable = prior_variable(name, dist, lower, upper, shape=(draws,))
                if isinstance(variable.owner.op, TruncatedRV):
                    truncated[name] = (dist, lower, upper, target)
                else:
                    variables[name] = variable
        for name, concentration, size in _simplexes(design, table):
            # the simplex's elements, prior_simo_moincome1[1], ..., from its Dirichlet: a
            # monotonic effect's after the mean's b and Intercept as in brms's Stan code, a
            # mixture's proportions after the family's parameters
            variables[name] = pm.Dirichlet(name, a=concentration, shape=(draws, size))
            sections[name == "prior_theta"] += [f"{name}[{k}]" for k in range(1, size + 1)]
        names = [*sections[0], *sections[1], *sections[2]]
        for members in design.correlation_sets():
            group, dpar = design.blocks[members[0]].group, design.blocks[members[0]].dpar
            if design.set_correlated(members) and f"prior_cor_{group}" not in names:
                eta = table.lookup("cor", "", group).args[0]
                cor = f"prior_cor_{group}"
                # after the sds of its parameter's terms, as brms draws each correlation
                kind = "nlpar" if dpar in design.nlpars else "dpar"
                where = f"(group {group})" + (f" ({kind} {dpar})" if dpar else "")
                sds = [k for k, name in enumerate(names)
                       if name.startswith("prior_sd_") and targets[name].endswith(where)]
                names.insert(sds[-1] + 1 if sds else len(names), cor)
                variables[cor] = pm.LKJCorr(cor, n=len(design.set_coefs(members)), eta=eta,
                                            size=draws)[:, 0]
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

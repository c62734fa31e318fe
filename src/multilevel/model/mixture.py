"""A mixture's own parameters in the PyMC model, as brms's Stan code writes them: the
components' intercepts in increasing order (``order = "mu"``) and one simplex of mixing
proportions."""

from __future__ import annotations

import numpy as np
import pymc as pm

from ..families.family import r_mad
from ..families.links import LINKS
from ..priors.distributions import data, in_lprior, ordered_prior_variable
from ..priors.table import PriorTable
from ..spec.design import Design


def ordered_intercepts(design: Design, table: PriorTable) -> dict:
    """Each component mean's centred intercept, by its parameter's name, increasing from the
    first component to the last (brms's ``ordered_Intercept``), each with its own prior;
    empty where the mixture leaves the components unordered."""
    family = design.family
    if not family.ordered_intercepts:
        return {}
    means = family.formula_parameters
    values = ordered_prior_variable(
        "ordered_Intercept", [table.lookup("Intercept", "", "", name) for name in means],
        starts=intercept_starts(design))
    return {name: values[k] for k, name in enumerate(means)}


def intercept_starts(design: Design) -> np.ndarray:
    """Where the chains start the ordered intercepts: at the response's quantiles
    (k - 1/2) / K on the components' link scale, so that each component starts among the
    responses it may explain.

    From one point, the components would start alike; a chain then often settles in a
    mode where group effects of large sds explain what a component should.
    """
    family = design.family
    count = len(family.components)
    first = family.components[0]
    link = LINKS["log"] if first.log_scale_response else first.link_function
    with np.errstate(all="ignore"):
        values = link.forward(np.asarray(design.y, dtype=float))
    values = values[np.isfinite(values)]
    if values.size < count:
        return None
    starts = np.quantile(values, (np.arange(count) + 0.5) / count)
    # equal quantiles (a response mostly of one value) leave no gap to start from
    return starts if np.all(np.diff(starts) > 0) else None


def scale_starts(design: Design) -> dict[str, float]:
    """Where the chains start the components' ``sigma``: at the response's spread (R's
    ``mad()`` on the components' scale) over twice the number of components, each component
    explaining a part of the responses.

    From the prior's support point, the response's whole spread, one component's wide
    normal often takes every response and leaves another empty, its flat coefficients then
    drifting without end.
    """
    family = design.family
    starts = {}
    for number, component in enumerate(family.components, 1):
        if not any(a.name == "sigma" for a in component.aux):
            continue
        values = np.asarray(design.y, dtype=float)
        if component.log_scale_response:
            values = np.log(values[values > 0])
        spread = r_mad(values) if values.size else 0.0
        if np.isfinite(spread) and spread > 0:
            starts[f"sigma{number}"] = spread / (2 * len(family.components))
    return starts


def mixing_proportions(design: Design, table: PriorTable) -> dict:
    """``theta1``, ``theta2``, ...: the elements of one simplex with the Dirichlet prior of
    class ``theta`` (brms's ``con_theta``, the same concentration for every component)."""
    names = design.family.mixing_proportions
    concentration = table.lookup("theta").concentrations(len(names))
    simplex = in_lprior(pm.Dirichlet("theta", a=data("con_theta", concentration)))
    return {name: pm.Deterministic(name, simplex[k]) for k, name in enumerate(names)}

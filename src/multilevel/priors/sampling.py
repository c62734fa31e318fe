"""Draws from the priors: brms's ``sample_prior = "yes"`` and the check for ``"only"``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm

from ..errors import PriorError
from ..spec.design import Design
from .distributions import Distribution, prior_variable
from .table import PriorTable

SAMPLE_PRIOR_CHOICES = ("no", "yes", "only")


ParameterPrior = tuple[str, Distribution, float | None, str]


def _parameter_priors(design: Design, table: PriorTable) -> list[ParameterPrior]:
    """Every parameter's prior as (brms name of its prior draws, prior, lower bound, target).

    A class whose coefficients share one prior gets one column (``prior_b``,
    ``prior_sd_Subject``), as in brms; otherwise one per coefficient.
    """
    out = []
    if design.has_intercept:
        out.append(("prior_Intercept", table.lookup("Intercept"), None, "class Intercept"))

    def add_class(prefix: str, class_: str, coefs: list[str], group: str, lower, separator):
        priors = [table.lookup(class_, coef, group) for coef in coefs]
        if all(p == priors[0] for p in priors):
            target = f"class {class_}" + (f" (group {group})" if group else "")
            out.append((prefix, priors[0], lower, target))
        else:
            for coef, dist in zip(coefs, priors, strict=True):
                target = f"class {class_}, coef {coef}" + (f", group {group}" if group else "")
                out.append((f"{prefix}{separator}{coef}", dist, lower, target))

    if design.b_names:
        add_class("prior_b", "b", design.b_names, "", None, "_")
    for group in design.groups:
        add_class(f"prior_sd_{group}", "sd", design.group_coefs(group), group, 0.0, "__")
    for parameter in design.family.aux:
        out.append((f"prior_{parameter.name}", table.lookup(parameter.name), parameter.lower,
                    f"class {parameter.name}"))
    return out


def check_proper_priors(design: Design, table: PriorTable) -> None:
    """Raise when a parameter has an improper (flat) prior, which cannot be sampled from."""
    flat = [target for _, dist, _, target in _parameter_priors(design, table)
            if dist.name == "flat"]
    if flat:
        raise PriorError(
            "Sampling from the priors (sample_prior='only') needs proper priors, but these "
            "parameters have flat ones: " + "; ".join(flat) + ". Give them proper priors, "
            "e.g. prior('normal(0, 10)', class_='b')."
        )


def draw_priors(design: Design, table: PriorTable, draws: int, seed: int) -> pd.DataFrame:
    """Independent draws from every proper prior, in brms's ``prior_*`` columns.

    Bounded parameters (standard deviations, sigma, shape) get their truncated priors; a
    correlation gets the marginal of one correlation of its block's LKJ prior.
    """
    names, variables = [], []
    with pm.Model():
        for name, dist, lower, _ in _parameter_priors(design, table):
            if dist.name == "flat":
                continue
            names.append(name)
            variables.append(prior_variable(name, dist, lower))
        for block in design.blocks:
            if block.has_correlations and f"prior_cor_{block.group}" not in names:
                eta = table.lookup("cor", "", block.group).args[0]
                names.append(f"prior_cor_{block.group}")
                variables.append(pm.LKJCorr(f"prior_cor_{block.group}", n=len(block.coefs),
                                            eta=eta)[0])
    if not variables:
        return pd.DataFrame(index=pd.RangeIndex(draws))
    values = pm.draw(variables, draws=draws, random_seed=seed)
    return pd.DataFrame({name: np.asarray(v, dtype=float).reshape(draws)
                         for name, v in zip(names, values, strict=True)})

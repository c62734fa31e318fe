"""Smooth terms ``s(x)`` in the PyMC model, in brms's mixed-model form."""

from __future__ import annotations

import pymc as pm
import pytensor.tensor as pt

from ..priors.distributions import data, prior_variable
from ..priors.table import PriorTable
from ..spec.design import Design


def smooth_dim(name: str) -> str:
    """The dimension of a smooth's penalised coefficients, ``s_sDays_1[1]``, ... ."""
    return f"{name}_basis"


def smooth_effects(design: Design, table: PriorTable):
    """The smooths' part of the linear predictor, in brms's mixed-model form.

    Each ``s(x)`` adds ``Xs bs + Zs s`` with a flat (or the user's) prior on the unpenalised
    ``bs`` and ``s = sds zs``, ``zs ~ Normal(0, 1)``.
    """
    eta = pt.constant(0.0)
    for part in design.smooths:
        name = part.term.name
        fixed = pt.stack([prior_variable(f"bs_{coef}", table.lookup("b", coef))
                          for coef in part.fixed_names])
        sds = prior_variable(f"sds_{name}_1", table.lookup("sds", part.term.label), 0.0)
        standard = pm.Normal(f"zs_{name}_1", 0.0, 1.0, dims=smooth_dim(name))
        penalised = pm.Deterministic(f"s_{name}_1", sds * standard, dims=smooth_dim(name))
        eta = eta + pt.dot(data(f"Xs_{name}", part.basis.Xf), fixed) + pt.dot(
            data(f"Zs_{name}", part.basis.Zr), penalised)
    return eta

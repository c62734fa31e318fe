"""Smooth terms ``s(x)`` in the PyMC model, in brms's mixed-model form."""

from __future__ import annotations

import pymc as pm
import pytensor.tensor as pt

from ..priors.distributions import data, prior_variable
from ..priors.table import PriorTable
from ..spec.design import Design


def smooth_dim(coef: str) -> str:
    """The dimension of a smooth's penalised coefficients, ``s_sDays_1[1]``, ... ."""
    return f"{coef}_basis"


def smooth_effects(design: Design, table: PriorTable):
    """The smooths' part of the linear predictor, in brms's mixed-model form.

    Each ``s(x)`` adds ``Xs bs + Zs s`` with a flat (or the user's) prior on the unpenalised
    ``bs`` and ``s = sds zs``, ``zs ~ Normal(0, 1)``.
    """
    eta = pt.constant(0.0)
    for part in design.smooths:
        coef = part.term.coef
        fixed = prior_variable(f"bs_{coef}", table.lookup("b", coef), *table.bounds("b", coef))
        sds = prior_variable(f"sds_{coef}", table.lookup("sds", part.term.label), 0.0)
        standard = pm.Normal(f"zs_{coef}", 0.0, 1.0, dims=smooth_dim(coef))
        penalised = pm.Deterministic(f"s_{coef}", sds * standard, dims=smooth_dim(coef))
        eta = eta + data(f"Xs_{coef}", part.basis.Xf[:, 0]) * fixed + pt.dot(
            data(f"Zs_{coef}", part.basis.Zr), penalised)
    return eta

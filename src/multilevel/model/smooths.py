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

    Each smooth adds ``Xs bs + Zs s`` with a flat (or the user's) prior on each unpenalised
    ``bs`` and ``s = sds zs``, ``zs ~ Normal(0, 1)``; the smooths of one term (one per level
    of a factor ``by``) share the term's ``sds`` prior, each with an ``sds`` of its own.
    """
    eta = pt.constant(0.0)
    for part in design.smooths:
        label = part.label
        for j, name in enumerate(part.fixed_names):
            fixed = prior_variable(f"bs_{name}", table.lookup("b", name),
                                   *table.bounds("b", name))
            eta = eta + data(f"Xs_{name}", part.basis.Xf[:, j]) * fixed
        sds = prior_variable(f"sds_{label}", table.lookup("sds", part.term.label), 0.0)
        standard = pm.Normal(f"zs_{label}", 0.0, 1.0, dims=smooth_dim(label))
        penalised = pm.Deterministic(f"s_{label}", sds * standard, dims=smooth_dim(label))
        eta = eta + pt.dot(data(f"Zs_{label}", part.basis.Zr), penalised)
    return eta

"""Monotonic effects ``mo(x)`` in the PyMC model, as brms's Stan code writes them."""

from __future__ import annotations

import pymc as pm
import pytensor.tensor as pt

from ..priors.distributions import data, in_lprior, prior_variable
from ..priors.table import PriorTable
from ..spec.design import Design
from ..spec.monotonic import MonotonicPart


def simplex_dim(part: MonotonicPart) -> str:
    """The dimension of a monotonic effect's simplex, ``simo_moincome1[1]``, ... ."""
    return f"{part.term.simplex}_step"


def monotonic_effects(design: Design, table: PriorTable):
    """The monotonic effects' part of the linear predictor: ``bsp * D * sum(simo[1:x])`` for
    each ``mo(x)``, the coefficient ``bsp_moX`` with its ``b`` prior and the simplex
    ``simo_moX1`` with its Dirichlet prior; an interaction's term is multiplied by its
    numeric columns (brms's ``Csp``)."""
    eta = pt.constant(0.0)
    for part in design.monotonic:
        coef, simplex = part.term.coef, part.term.simplex
        effect = prior_variable(f"bsp_{coef}", table.lookup("b", coef), *table.bounds("b", coef))
        concentration = table.lookup("simo", simplex).concentrations(part.size)
        shares = in_lprior(pm.Dirichlet(f"simo_{simplex}",
                                        a=data(f"con_simo_{coef}", concentration),
                                        dims=simplex_dim(part)))
        # the share of the whole effect reached at each position 0..D
        reached = pt.concatenate([pt.zeros(1), pt.cumsum(shares)])
        term = effect * part.size * reached[data(f"Xmo_{coef}", part.values)]
        if part.covariate is not None:
            term = term * data(f"Csp_{coef}", part.covariate)
        eta = eta + term
    return eta

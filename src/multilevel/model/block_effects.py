"""How a group block's effects are sampled: the coordinates the sampler moves in.

Every form gives brms's prior, ``r = (diag(sd) L z)^T`` with ``z`` standard normal, and so the
same posterior; they differ in the geometry the sampler sees. Blocks whose data say little
keep brms's non-centred form, blocks whose levels the data pin down are centred, and blocks of
a Gaussian response in between are sampled conditionally on the level estimates
(:class:`~multilevel.model.parametrization.BlockGeometry` holds what the data say).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..names import CENTRING_DATA
from ..priors.distributions import data
from ..spec.design import GroupBlock
from .lkj import lkj_cholesky
from .parametrization import BlockGeometry


def sampled_effects(block: GroupBlock, number: int, sd, cholesky,
                    geometry: BlockGeometry | None, location):
    """Group-level effects r of one block, shape (levels, coefficients).

    brms's form is ``r_j = diag(sd) L z_j`` with ``z_j ~ Normal(0, I)``. Where the data inform
    the levels, an uncorrelated block's effects are sampled instead as ``v_jk`` with

        r_jk = c_jk v_jk + w_jk (t_jk - a_jk),
        w_jk = sd_k^2 p_jk / (1 + sd_k^2 p_jk),  c_jk = sd_k / sqrt(1 + sd_k^2 p_jk),

    where ``p_jk`` is the precision of the level's own data about the coefficient, ``t_jk``
    the level's own estimate of it and ``a_jk`` what the rest of the model adds to the
    coefficient on the level's rows (population coefficients, enclosing groups' effects),
    so that ``t_jk - a_jk`` estimates the effect. ``c_jk`` and ``w_jk`` are the
    conditional posterior sd and shrinkage weight of a Gaussian level with that precision,
    so ``v_jk`` is close to standard normal and close to independent of sd and the
    location whatever the sd: a level the data pin down is sampled centred on its
    coefficient, one they do not non-centred, and the choice moves with the sd during
    sampling (a fixed choice leaves a funnel at one end of the sd's range). With
    ``p = 0`` this is exactly brms's form, ``v = z``; the density of v is r's normal density
    plus ``sum log c_jk``. A correlated block is sampled the same way around each level's
    joint conditional posterior (:func:`_conditional_effects`), a crossed one with fixed
    centring weights (:func:`_partially_centred_effects`).
    """
    levels, size = len(block.levels), len(block.coefs)
    if geometry is None or (geometry.centring is None and not np.any(geometry.precision)):
        # brms's own form with z a named standard normal: prior draws need a distribution
        # to draw from, and the Laplace approximation needs a density without det(L), whose
        # mode would run off to |cor| = 1
        z = pm.Normal(f"z_{block.group}_{number}", 0.0, 1.0, shape=(levels, size))
        scaled = z if cholesky is None else pt.dot(z, cholesky.T)
        return scaled * sd[None, :]
    if geometry.centring is not None:
        return _partially_centred_effects(block, number, sd, cholesky, geometry, location)
    if cholesky is not None:
        return _conditional_effects(block, number, sd, cholesky, geometry, location)
    raw = pm.Flat(f"z_{block.group}_{number}", shape=(levels, size))
    ratio = pt.sqr(sd) * data(f"precision_{block.group}_{number}", geometry.precision)
    weight = ratio / (1.0 + ratio)
    target = data(f"target_{block.group}_{number}", geometry.target)
    deviation = target if location is None else target - location
    effects = sd * raw / pt.sqrt(1.0 + ratio) + weight * deviation
    # r's normal density has -log(sd) per level and the Jacobian log c = log(sd)
    # - log1p(ratio) / 2
    log_density = (-0.5 * levels * size * np.log(2 * np.pi) - 0.5 * pt.sum(pt.sqr(effects / sd))
                   - 0.5 * pt.sum(pt.log1p(ratio)))
    pm.Potential(f"z_{block.group}_{number}_normal", log_density)
    return effects


def _lower_inverse(lower, size: int):
    """The inverse of a small lower-triangular matrix, by forward substitution."""
    inverse = [[pt.constant(0.0)] * size for _ in range(size)]
    for i in range(size):
        inverse[i][i] = 1.0 / lower[i, i]
        for j in range(i):
            inverse[i][j] = -sum(lower[i, m] * inverse[m][j] for m in range(j, i)) / lower[i, i]
    return pt.stack([pt.stack(row) for row in inverse])


def _conditional_effects(block: GroupBlock, number: int, sd, cholesky, geometry: BlockGeometry,
                         location):
    """Effects of a correlated block sampled around each level's Gaussian conditional posterior.

    With ``Sigma = F F^T`` (``F = diag(sd) L``) and ``P_j`` the precision matrix of level j's
    own estimates ``t_j`` of its coefficients, a Gaussian level's effect given everything else
    is normal with precision ``Q_j = Sigma^-1 + P_j`` and mean ``Q_j^-1 P_j (t_j - a_j)``
    (``a_j`` the location, as in :func:`sampled_effects`). Each level's effect is sampled as

        r_j = Q_j^-1 P_j (t_j - a_j) + U_j^-1 v_j,   Q_j = U_j^T U_j (U_j upper triangular),

    so ``v_j`` is close to standard normal and independent across coefficients, whatever the
    sd and correlations: where the data say little (``P_j = 0``) this is a non-centred form,
    where they pin the level down a centred one, and the correlation of a level's estimates
    (an intercept and a slope on an uncentred predictor) is taken out, which a coefficient-
    by-coefficient weight leaves in. The density of v is r's multivariate normal density
    plus ``log |det U_j^-1| = -sum_k log U_jkk``. The K x K algebra is unrolled over the few
    coefficients, each step vectorised over levels.
    """
    levels, size = len(block.levels), len(block.coefs)
    raw = pm.Flat(f"z_{block.group}_{number}", shape=(levels, size))
    factor = sd[:, None] * cholesky
    inverse = _lower_inverse(factor, size)
    precision = data(f"precision_{block.group}_{number}", geometry.precision_matrix)
    target = data(f"target_{block.group}_{number}", geometry.target)
    deviation = target if location is None else target - location
    joint = pt.dot(inverse.T, inverse)[None, :, :] + precision
    shift = pt.sum(precision * deviation[:, None, :], axis=2)
    # Q_j = C_j C_j^T with C_j = U_j^T lower triangular, one length-levels vector per entry
    lower = [[None] * size for _ in range(size)]
    for i in range(size):
        for k in range(i, size):
            value = joint[:, k, i] - sum(lower[k][m] * lower[i][m] for m in range(i))
            lower[k][i] = pt.sqrt(value) if k == i else value / lower[i][i]
    # r = C^-T (C^-1 shift + v): the conditional mean plus U^-1 v in one backward sweep
    forward = []
    for i in range(size):
        value = shift[:, i] - sum(lower[i][m] * forward[m] for m in range(i))
        forward.append(value / lower[i][i])
    effects = [None] * size
    for i in reversed(range(size)):
        value = forward[i] + raw[:, i] - sum(lower[m][i] * effects[m]
                                            for m in range(i + 1, size))
        effects[i] = value / lower[i][i]
    effects = pt.stack(effects, axis=1)
    whitened = pt.dot(effects, inverse.T)
    log_density = (-0.5 * levels * size * np.log(2 * np.pi) - 0.5 * pt.sum(pt.sqr(whitened))
                   - levels * pt.sum(pt.log(pt.diag(factor)))
                   - sum(pt.sum(pt.log(lower[k][k])) for k in range(size)))
    pm.Potential(f"z_{block.group}_{number}_normal", log_density)
    return effects


def _partially_centred_effects(block: GroupBlock, number: int, sd, cholesky,
                               geometry: BlockGeometry, location):
    """Effects ``r = sd^(1 - w) u`` with ``u ~ MvNormal(0, diag(sd^w) L L^T diag(sd^w))``.

    ``r ~ MvNormal(0, diag(sd) L L^T diag(sd))`` for any fixed centring weight w in [0, 1]:
    w = 0 is brms's non-centred form (u = L z), w = 1 the centred form. The density of u is
    written out by forward substitution over the few coefficients, which keeps every
    gradient elementwise.
    """
    levels, size = len(block.levels), len(block.coefs)
    name = f"u_{block.group}_{number}"
    raw = pm.Flat(name, shape=(levels, size))
    weights = data(f"{CENTRING_DATA}_{block.group}_{number}", geometry.centring)
    inner_scale = sd ** weights
    outer_scale = sd ** (1.0 - weights)
    effective = raw
    if location is not None and geometry.target is not None:
        # hierarchical centring: r + w (location - its least-squares value) is sampled, so
        # a centred level's rows see no change of the population coefficients
        target = data(f"target_{block.group}_{number}", geometry.target)
        effective = raw - weights * (location - target) / outer_scale
    log_density = -levels * pt.sum(pt.log(inner_scale))
    whitened = []
    for k in range(size):
        value = effective[:, k]
        if cholesky is not None:
            for m in range(k):
                value = value - cholesky[k, m] * inner_scale[k] * whitened[m]
            value = value / (cholesky[k, k] * inner_scale[k])
            log_density = log_density - levels * pt.log(cholesky[k, k])
        else:
            value = value / inner_scale[k]
        whitened.append(value)
    log_density = log_density - 0.5 * pt.sum(pt.sqr(pt.stack(whitened)))
    log_density = log_density - 0.5 * levels * size * np.log(2 * np.pi)
    pm.Potential(f"{name}_normal", log_density)
    return effective * outer_scale[None, :]


def block_location(geometry: BlockGeometry, number: int, population, effects: dict):
    """What the population coefficients and enclosing groups add to each level's coefficients.

    Shape (levels, coefficients), or None when nothing does.
    """
    location = None
    if geometry.population is not None and population is not None:
        levels, size, count = geometry.population.shape
        flat = data(f"population_map_{number}", geometry.population.reshape(levels * size, count))
        location = pt.dot(flat, population).reshape((levels, size))
    for parent in geometry.parents:
        index = data(f"parent_index_{number}_{parent.block}", parent.index)
        projection = data(f"parent_map_{number}_{parent.block}", parent.projection)
        outer = effects[parent.block][index]
        term = pt.sum(projection * outer[:, None, :], axis=2)
        location = term if location is None else location + term
    return location


def by_level_effects(block: GroupBlock, number: int, sd, eta_lkj: float):
    """The effects of a block of ``gr(g, by = arm)`` in brms's non-centred form, each by
    level with its own sds and correlation matrix: ``r_j = diag(sd[by_j]) L[by_j] z_j``.

    ``sd`` holds the by levels' sds one level after another. Returns the effects, shape
    (levels, coefficients), and the by levels' Cholesky factors (none for an uncorrelated
    block).
    """
    size, count = len(block.coefs), len(block.by_levels)
    level_by = data(f"level_by_{block.group}_{number}", block.level_by)
    z = pm.Normal(f"z_{block.group}_{number}", 0.0, 1.0, shape=(len(block.levels), size))
    factors = []
    if block.has_correlations:
        factors = [lkj_cholesky(f"L_{block.group}_{number}_{k}", size, eta_lkj)
                   for k in range(count)]
        z = pt.sum(pt.stack(factors)[level_by] * z[:, None, :], axis=2)
    return z * sd.reshape((count, size))[level_by], factors

"""Draws of the group-level effects of a collapsed fit from their exact conditional posterior.

Given a draw of the population coefficients, sds, correlations and sigma, the whitened effects
``u = T^-1 r`` of :mod:`multilevel.model.collapsed` are ``Normal(M^-1 c, M^-1)``. Each draw's
``u`` is drawn in two steps that follow the factorisation of the likelihood: the effects of
the other factors from their marginal, ``u2 ~ Normal(S^-1 v, S^-1)`` (``S`` the Schur
complement, ``v = c2 - M21 M11^-1 c1``), then each level of the primary factor given them,
``u1 ~ Normal(M11^-1 (c1 - M12 u2), M11^-1)``, and ``r = T u``. The effects come back in the
full model's shape and names (``r_g``, levels by coefficients), so everything after sampling
reads a collapsed fit as any other.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import xarray as xr

from ..spec.design import Design
from .build import ModelNames, group_dims
from .collapsed import scale_name
from .collapsed_statistics import (
    EffectSet,
    MarginalStatistics,
    effect_sets,
    marginal_statistics,
)

# the most array entries one batch of draws holds in its largest arrays: bounds the memory
# of drawing many draws with a large dense part
_BATCH_ENTRIES = 2**22
# mixed into the fit's seed, so that the effects' random numbers are not the sampler's
_EFFECTS_STREAM = 0x5EED_0EFF


def _einsum(subscripts: str, *operands) -> np.ndarray:
    # NumPy's contraction order and BLAS, where its default multiplies term by term
    return np.einsum(subscripts, *operands, optimize=True)


def sampled_names(design: Design, names: ModelNames) -> list[str]:
    """The variables a collapsed fit keeps while sampling: the stored ones without the
    group-level effects, with each correlation set's ``diag(sd) L``."""
    effects = {f"r_{group}" for group in names.groups}
    primary, rest = effect_sets(design)
    return ([name for name in names.stored if name not in effects]
            + [scale_name(effect_set) for effect_set in primary + rest])


def _solve_lower(lower: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``lower^-1 values`` for stacks of lower-triangular matrices and of matrices."""
    return np.linalg.solve(lower, values)


def _whiten_columns(values: np.ndarray, sets: tuple[EffectSet, ...],
                    scales: list[np.ndarray]) -> np.ndarray:
    """``values @ T2`` per draw, ``values`` of shape (draws, rows, q2)."""
    draws, rows = values.shape[:2]
    parts, start = [], 0
    for effect_set, scale in zip(sets, scales, strict=True):
        width = effect_set.levels * effect_set.size
        block = values[:, :, start:start + width].reshape(draws, rows, effect_set.levels,
                                                          effect_set.size)
        parts.append(_einsum("drjk,dkl->drjl", block, scale).reshape(draws, rows, width))
        start += width
    return np.concatenate(parts, axis=2)


def _block_diagonal(matrices: list[np.ndarray]) -> np.ndarray:
    """Per draw, the block-diagonal matrix of ``matrices`` (each draws x k x k)."""
    total = sum(m.shape[-1] for m in matrices)
    result = np.zeros((matrices[0].shape[0], total, total))
    start = 0
    for matrix in matrices:
        size = matrix.shape[-1]
        result[:, start:start + size, start:start + size] = matrix
        start += size
    return result


def _set_after_set(effects: np.ndarray, sets: tuple[EffectSet, ...]) -> np.ndarray:
    """Effects laid out level by level, each level's coefficients set after set (draws,
    levels, width), laid out set after set, each set level by level (draws, q2)."""
    parts, start = [], 0
    for effect_set in sets:
        parts.append(effects[:, :, start:start + effect_set.size].reshape(len(effects), -1))
        start += effect_set.size
    return np.concatenate(parts, axis=1)


def _enclosing_draws(s: MarginalStatistics, first: np.ndarray, rest_scales: list[np.ndarray],
                     lower: np.ndarray, whitened: np.ndarray, rest_residual: np.ndarray,
                     variance: np.ndarray, rng: np.random.Generator):
    """The whitened effects of a factor enclosing the primary one, level by level (draws,
    outer levels, width), and the primary levels' ``C_j^-1 M12`` in its level's columns
    (draws, levels, size, width): the Schur complement is one block per enclosing level."""
    count = len(variance)
    second = _block_diagonal(rest_scales)
    cross = _einsum("dka,jkm,dmn->djan", first, s.cross, second) / variance[:, :, :, None]
    projected = _solve_lower(lower, cross)
    outer_levels, width = s.rest_residual.shape
    schur = np.broadcast_to(np.eye(width), (count, outer_levels, width, width)) + _einsum(
        "dba,lbc,dce->dlae", second, s.rest_own, second) / variance[:, :, :, None]
    collected = np.zeros_like(schur)
    np.add.at(collected, (slice(None), s.rest_parent),
              _einsum("djkm,djkn->djmn", projected, projected))
    shifts = np.zeros((count, outer_levels, width))
    np.add.at(shifts, (slice(None), s.rest_parent),
              _einsum("djkm,djk->djm", projected, whitened))
    rest_shift = _einsum("dlb,dba->dla", rest_residual, second) / variance - shifts
    factor = np.linalg.cholesky(schur - collected)
    mean_part = _solve_lower(factor, rest_shift[..., None])[..., 0]
    noise = rng.standard_normal((count, outer_levels, width))
    whitened_rest = np.linalg.solve(np.swapaxes(factor, 2, 3),
                                    (mean_part + noise)[..., None])[..., 0]
    return whitened_rest, projected


def conditional_effects(statistics: MarginalStatistics, population: np.ndarray | None,
                        sigma: np.ndarray, scales: dict[int, np.ndarray],
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One draw of all group-level effects per parameter draw, from their conditional posterior.

    Parameters
    ----------
    statistics
        The design's :class:`~multilevel.model.collapsed.MarginalStatistics`.
    population
        Population coefficients (draws, p), intercept on the centred scale first; None
        without any.
    sigma
        Residual sd per draw.
    scales
        Per correlation set, by its first block: ``diag(sd) L`` per draw (draws, k, k).
    rng
        The random generator.

    Returns
    -------
    primary, rest
        The primary factor's effects (draws, levels, coefficients set after set) and the
        others (draws, q2), each set level by level.
    """
    s = statistics
    count = len(sigma)
    size, dense = s.primary_size, s.rest_size
    levels = s.primary[0].levels
    variance = (sigma**2)[:, None, None]
    first = _block_diagonal([scales[x.number] for x in s.primary])
    rest_scales = [scales[x.number] for x in s.rest]
    primary_residual = np.broadcast_to(s.primary_residual, (count, levels, size))
    rest_residual = np.broadcast_to(s.rest_residual, (count, *s.rest_residual.shape))
    if population is not None:
        difference = population - s.reference
        primary_residual = primary_residual - _einsum("jkp,dp->djk", s.primary_population,
                                                        difference)
        rest_residual = rest_residual - _einsum("...p,dp->d...", s.rest_population,
                                                difference)
    own = np.eye(size) + _einsum("dba,jbc,dce->djae", first, s.primary_own,
                                   first) / variance[:, :, :, None]
    lower = np.linalg.cholesky(own)
    shift = _einsum("dka,djk->dja", first, primary_residual) / variance
    whitened = _solve_lower(lower, shift[..., None])[..., 0]
    target = whitened
    rest = np.zeros((count, dense))
    if s.rest_parent is not None:
        whitened_rest, projected = _enclosing_draws(s, first, rest_scales, lower, whitened,
                                                    rest_residual, variance, rng)
        target = whitened - _einsum("djkm,djm->djk", projected,
                                    whitened_rest[:, s.rest_parent])
        rest = _set_after_set(_einsum("dab,dlb->dla", _block_diagonal(rest_scales),
                                      whitened_rest), s.rest)
    elif dense:
        cross = _einsum("dka,jkm->djam", first, s.cross).reshape(count, levels * size, dense)
        cross = _whiten_columns(cross, s.rest, rest_scales).reshape(
            count, levels, size, dense) / variance[:, :, :, None]
        projected = _solve_lower(lower, cross)
        rest_own = _whiten_columns(np.broadcast_to(s.rest_own, (count, dense, dense)),
                                   s.rest, rest_scales)
        rest_own = _whiten_columns(np.swapaxes(rest_own, 1, 2), s.rest, rest_scales)
        schur = (np.eye(dense) + rest_own / variance
                 - _einsum("djkm,djkn->dmn", projected, projected))
        rest_shift = _whiten_columns(rest_residual[:, None, :], s.rest,
                                     rest_scales)[:, 0, :] / variance[:, 0]
        rest_shift = rest_shift - _einsum("djkm,djk->dm", projected, whitened)
        factor = np.linalg.cholesky(schur)
        mean_part = _solve_lower(factor, rest_shift[..., None])[..., 0]
        noise = rng.standard_normal((count, dense))
        whitened_rest = np.linalg.solve(np.swapaxes(factor, 1, 2),
                                        (mean_part + noise)[..., None])[..., 0]
        target = whitened - _einsum("djkm,dm->djk", projected, whitened_rest)
        parts, start = [], 0
        for effect_set, scale in zip(s.rest, rest_scales, strict=True):
            width = effect_set.levels * effect_set.size
            block = whitened_rest[:, start:start + width].reshape(count, effect_set.levels,
                                                                 effect_set.size)
            parts.append(_einsum("dkl,djl->djk", scale, block).reshape(count, width))
            start += width
        rest = np.concatenate(parts, axis=1)
    noise = rng.standard_normal((count, levels, size))
    whitened_primary = np.linalg.solve(np.swapaxes(lower, 2, 3),
                                       (target + noise)[..., None])[..., 0]
    return _einsum("dkl,djl->djk", first, whitened_primary), rest


def _batch_size(statistics: MarginalStatistics) -> int:
    size, dense = statistics.primary_size, statistics.rest_size
    levels = statistics.primary[0].levels
    if statistics.rest_parent is not None:
        width = statistics.rest_width
        entries = levels * size * (size + width) + statistics.rest[0].levels * width * width
    else:
        entries = levels * size * (size + dense) + dense * dense
    return max(1, _BATCH_ENTRIES // max(entries, 1))


def _positions(design: Design, sets: list[EffectSet], group: str) -> list[int]:
    """For each of a group's coefficients in the fit's order (:meth:`Design.group_coefs`),
    its position among ``sets``' coefficients laid out set after set."""
    position, offsets = 0, {}
    for effect_set in sets:
        for number in effect_set.members:
            offsets[number] = position
            position += len(design.blocks[number].coefs)
    return [offsets[number] + k for number, block in enumerate(design.blocks)
            if block.group == group for k in range(len(block.coefs))]


def with_group_effects(idata: az.InferenceData, design: Design, names: ModelNames,
                       seed: int) -> az.InferenceData:
    """A collapsed fit's draws with every ``r_`` drawn from its conditional posterior.

    Parameters
    ----------
    idata
        The sampler's draws of :func:`sampled_names`.
    design
        The model's design.
    names
        The model's names; the posterior is left with ``names.stored``, in that order.
    seed
        The fit's seed: the same seed gives the same effects.

    Returns
    -------
    InferenceData
        ``idata`` with its posterior replaced.
    """
    statistics = marginal_statistics(design)
    posterior = idata.posterior
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    total = chains * draws

    def flat(name):
        values = np.asarray(posterior[name], dtype=float)
        return values.reshape(total, *values.shape[2:])

    parts = []
    if design.has_intercept:
        parts.append(flat("Intercept")[:, None])
    if design.b_names:
        parts.append(flat("b"))
    population = np.concatenate(parts, axis=1) if parts else None
    sigma = flat("sigma")
    sets = list(statistics.primary + statistics.rest)
    scales = {x.number: flat(scale_name(x)) for x in sets}
    rng = np.random.default_rng([seed, _EFFECTS_STREAM])
    batch = _batch_size(statistics)
    primary, rest = [], []
    for start in range(0, total, batch):
        chunk = slice(start, start + batch)
        first, other = conditional_effects(
            statistics, None if population is None else population[chunk], sigma[chunk],
            {number: values[chunk] for number, values in scales.items()}, rng)
        primary.append(first)
        rest.append(other)
    primary, rest = np.concatenate(primary), np.concatenate(rest)

    effects = {}
    primary_group = statistics.primary[0].group
    effects[primary_group] = primary[:, :, _positions(design, list(statistics.primary),
                                                      primary_group)]
    starts = dict(zip(statistics.rest, np.cumsum(
        [0] + [x.levels * x.size for x in statistics.rest]), strict=False))
    for group in design.groups:
        if group == primary_group:
            continue
        own_sets = [x for x in statistics.rest if x.group == group]
        # each set's effects are level by level: lay the group's sets side by side per level
        stacked = np.concatenate(
            [rest[:, starts[x]:starts[x] + x.levels * x.size].reshape(total, x.levels, x.size)
             for x in own_sets], axis=2)
        effects[group] = stacked[:, :, _positions(design, own_sets, group)]
    variables = {}
    for group in names.groups:
        levels_dim, coef_dim, _ = group_dims(group)
        values = effects[group]
        variables[f"r_{group}"] = xr.DataArray(
            values.reshape(chains, draws, *values.shape[1:]),
            dims=("chain", "draw", levels_dim, coef_dim),
            coords={"chain": posterior.coords["chain"], "draw": posterior.coords["draw"],
                    levels_dim: list(design.group_levels(group)),
                    coef_dim: design.group_coefs(group)})
    updated = posterior.assign(variables)
    idata.posterior = updated[names.stored]
    return idata

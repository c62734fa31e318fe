"""Gaussian models with the group-level effects integrated out of the likelihood.

With the identity link, one sigma and no residual structure, the group-level effects
``r ~ Normal(0, Lambda)`` of a Gaussian model enter its mean linearly, and the likelihood of
the other parameters with ``r`` integrated out is Gaussian again. With ``P`` the population
design (intercept and centred predictors, as the model uses them), ``Z`` the design of all
group-level effects, ``W`` the weights, ``e = y - P b``, ``Lambda = T T'`` (``T`` block
diagonal: per correlation set and level, ``diag(sd) L``) and

    M = I + T'Z'WZ T / sigma^2,     c = T'Z'W e / sigma^2,

the marginal log-likelihood is (Woodbury's identity in the whitened effects ``u = T^-1 r``,
whose conditional posterior precision is ``M``)

    log p(y | b, sd, L, sigma) = -w/2 log(2 pi) - w log(sigma) - 1/2 log|M|
                                 - 1/2 (e'We / sigma^2 - c'M^-1 c),

``w`` the number of rows (the sum of the weights). Written with ``M`` rather than
``Lambda^-1 + Z'WZ / sigma^2`` it needs no inverse of ``Lambda``, which is singular at
``sd = 0``, and ``M >= I`` keeps every factorisation well conditioned. The rows enter only
through cross-products computed once (``Z'WZ``, ``Z'WP``, ``Z'We``, ...,
:mod:`multilevel.model.collapsed_statistics`), as in :mod:`multilevel.model.crossproducts`.

Structure: the effects of the grouping factor with the most of them (the primary factor) meet
only within a level, since a row belongs to one level, so their part of ``M`` is a stack of
small per-level blocks, factorised all at once; the effects of the other factors (nested or
crossed) form a dense part, reached through its Schur complement
``S = M22 - M21 M11^-1 M12``. When the other effects all belong to one factor enclosing the
primary one (pupils within schools), ``S`` is block diagonal, one block per enclosing level,
and is factorised as another stack of small blocks. Otherwise it is dense and costs the cube
of its size per gradient, in time and in the gradient's memory: a few hundred effects at most
(:data:`MAX_DENSE_EFFECTS`), so two large crossed factors (InstEval's) are out of reach.

Sampling moves the population coefficients, sds, correlations and sigma only; each draw's
group-level effects then come from their exact conditional posterior
(:mod:`multilevel.model.collapsed_draws`).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt

from ..errors import SettingsError
from ..priors.distributions import data
from ..spec.design import Design
from .collapsed_statistics import EffectSet, MarginalStatistics, effect_sets, enclosing_levels

# the most effects outside the primary factor: the dense part of M is factorised at every
# gradient, whose memory grows with the cube of its size
MAX_DENSE_EFFECTS = 250


def unsupported_feature(design: Design) -> str | None:
    """What keeps a design from the collapsed form, or None when it has it.

    Parameters
    ----------
    design
        The model's design.

    Returns
    -------
    str or None
        The feature, worded to follow "does not support", e.g. ``"the student family"``.
    """
    family = design.family
    if not family.normal:
        return (f"the {family.name} family: only a Gaussian response has its group-level "
                "effects integrated out exactly")
    if family.link != "identity":
        return f"the {family.link} link of the mean (only the identity link)"
    if not design.blocks:
        return "a model without group-level terms (there are no effects to integrate out)"
    if design.dpars and not design.nlpars:
        return f"predicted distributional parameters ({', '.join(design.dpars)})"
    if design.spec.fixed_dpars:
        return "family parameters held at a value by bf()"
    if design.own_row_likelihood is not None:
        return design.own_row_likelihood
    if design.smooths:
        return "smooth terms s()"
    by = next((block for block in design.blocks if block.by), None)
    if by is not None:
        return f"sds by the levels of a column ({by.term})"
    known = next((block for block in design.blocks if block.cov), None)
    if known is not None:
        return f"a known covariance between levels ({known.term})"
    if design.monotonic:
        return "monotonic effects mo()"
    primary, rest = effect_sets(design)
    dense = sum(s.levels * s.size for s in rest)
    if dense > MAX_DENSE_EFFECTS and enclosing_levels(design, primary, rest) is None:
        return (f"{dense} group-level effects outside the largest grouping factor (at most "
                f"{MAX_DENSE_EFFECTS}: they form a dense matrix factorised at every step)")
    return None


def resolve_parametrization(design: Design, requested: str, likelihood: bool = True,
                            algorithm: str = "sampling") -> str:
    """The form a fit samples in: ``"collapsed"`` or ``"full"``.

    Parameters
    ----------
    design
        The model's design.
    requested
        ``"auto"``, ``"collapsed"`` or ``"full"`` (checked by the sampler settings).
    likelihood
        False for prior-only sampling, which has no likelihood to integrate over.
    algorithm
        ``"sampling"`` (NUTS) or the approximation the fit asks for (``algorithm=``).

    Returns
    -------
    str
        For NUTS, ``"auto"`` chooses the collapsed form where it was measured to fit faster
        end to end (one grouping factor, or one enclosing the largest; the measurements are in
        ``docs/guide.md``). For an approximation it chooses the collapsed form wherever the
        model has it: the mode of the joint density of the effects and their sds (Laplace's,
        Pathfinder's start) lies where the standardised effects shrink and the sds grow, far
        from the posterior, and a normal over effects and sds at once misses how the
        effects' spread follows the sds; with the effects integrated out, the approximation
        covers a few parameters whose posterior is close to normal (the marginal mode is the
        one lme4 and INLA build on), and each draw's effects come from their exact
        conditional.

    Raises
    ------
    SettingsError
        When ``"collapsed"`` is asked for a model it does not support, naming the feature.
    """
    if requested == "full":
        return "full"
    reason = unsupported_feature(design) if likelihood else (
        "sample_prior='only' (without the likelihood there is nothing to integrate over)")
    if requested == "collapsed":
        if reason is not None:
            raise SettingsError(
                f"parametrization='collapsed' does not support {reason}. Use "
                "parametrization='full' (or 'auto', which chooses the form that applies).")
        return "collapsed"
    if reason is not None:
        return "full"
    if algorithm != "sampling":
        return "collapsed"
    return "collapsed" if algorithm == "sampling" and _collapsed_faster(design) else "full"


def _collapsed_faster(design: Design) -> bool:
    """Whether the collapsed form fits faster end to end with the default settings: when the
    marginal likelihood is stacks of small per-level factorisations, that is when one
    grouping factor holds every group-level effect, or when the others belong to one factor
    enclosing it. A dense part (crossed factors, or nested in more than one) costs more per
    gradient than sampling its effects does (docs/guide.md)."""
    primary, rest = effect_sets(design)
    return not rest or enclosing_levels(design, primary, rest) is not None


def set_scale(sd, cholesky, size: int):
    """A set's ``diag(sd) L``, a square root of its covariance; the sd vector alone when the
    set is uncorrelated (``L = I``), so that its products stay elementwise."""
    # the static size gives every reshape of the products a constant shape, as JAX needs
    sd = pt.specify_shape(sd, (size,))
    return sd if cholesky is None else sd[:, None] * cholesky


def _level_scale(scales: list, sizes: list[int]):
    """One factor's per-level ``diag(sd) L`` over its sets: a vector when every set is
    uncorrelated, else the block-diagonal matrix."""
    if all(scale.ndim == 1 for scale in scales):
        return scales[0] if len(scales) == 1 else pt.concatenate(scales)
    if len(scales) == 1:
        return scales[0]
    total = sum(sizes)
    result = pt.zeros((total, total))
    start = 0
    for scale, size in zip(scales, sizes, strict=True):
        block = pt.eye(size) * scale[None, :] if scale.ndim == 1 else scale
        result = pt.set_subtensor(result[start:start + size, start:start + size], block)
        start += size
    return result


def _whiten_columns(values, sets: tuple[EffectSet, ...], scales: list):
    """``values @ T2`` for ``values`` of shape (rows, q2): each set's level's columns times
    its ``diag(sd) L``."""
    if all(scale.ndim == 1 for scale in scales):
        columns = pt.concatenate([pt.tile(scale, effect_set.levels)
                                  for effect_set, scale in zip(sets, scales, strict=True)])
        return values * columns[None, :]
    rows = values.shape[0]
    parts, start = [], 0
    for effect_set, scale in zip(sets, scales, strict=True):
        width = effect_set.levels * effect_set.size
        if scale.ndim == 1:
            parts.append(values[:, start:start + width] * pt.tile(scale, effect_set.levels))
        else:
            block = values[:, start:start + width].reshape((rows, effect_set.levels,
                                                            effect_set.size))
            parts.append(pt.tensordot(block, scale, axes=[[2], [0]]).reshape((rows, width)))
        start += width
    return pt.concatenate(parts, axis=1)


def _stacked_cholesky(matrices, size: int) -> list[list]:
    """Lower Cholesky factors of a stack of small matrices (levels, size, size), as a table
    of per-level vectors: the K x K algebra unrolled over the few coefficients, each step
    vectorised over levels."""
    lower = [[None] * size for _ in range(size)]
    for i in range(size):
        for k in range(i, size):
            value = matrices[:, k, i] - sum(lower[k][m] * lower[i][m] for m in range(i))
            lower[k][i] = pt.sqrt(value) if k == i else value / lower[i][i]
    return lower


def _stacked_forward(lower: list[list], values, size: int):
    """``C_j^-1 X_j`` per level, for the factors of :func:`_stacked_cholesky` and ``values``
    of shape (levels, size, columns)."""
    rows = []
    for i in range(size):
        value = values[:, i, :] - sum(lower[i][m][:, None] * rows[m] for m in range(i))
        rows.append(value / lower[i][i][:, None])
    return pt.stack(rows, axis=1)


def _dense_quadratic(matrix, vector, size: int):
    """``v'S^-1 v`` and ``log |S|`` of a symmetric positive-definite ``S``, by a Cholesky
    factorisation column by column in a loop, with the forward substitution alongside.

    Not LAPACK's: JAX calls it through a multi-threaded BLAS (OpenBLAS), whose threads, in
    the gradient's triangular solves, wait for cores busy with the other chains far longer
    than a small matrix takes to solve. The loop is XLA's own code,
    and its graph does not grow with S; the gradient keeps the factor of every step, ``size^3``
    numbers.
    """
    positions = pt.arange(size)

    def column(j, lower, solved, matrix, vector):
        # the columns of lower from j on are still zero
        values = matrix[:, j] - pt.dot(lower, lower[j])
        pivot = pt.sqrt(values[j])
        lower = pt.set_subtensor(lower[:, j], pt.switch(positions >= j, values / pivot, 0.0))
        solved = pt.set_subtensor(solved[j], (vector[j] - pt.dot(lower[j], solved)) / pivot)
        return lower, solved, pt.log(pivot)

    _, solved, log_pivots = pytensor.scan(
        column, sequences=[positions], non_sequences=[matrix, vector],
        outputs_info=[pt.zeros((size, size)), pt.zeros(size), None], return_updates=False)
    return pt.sum(pt.sqr(solved[-1])), 2 * pt.sum(log_pivots)


def _times_scale(values, scale):
    """``values @ scale`` over the last axis, ``scale`` a per-level ``diag(sd) L`` (a vector
    when diagonal)."""
    if scale.ndim == 1:
        return values * scale
    return pt.tensordot(values, scale, axes=[[values.ndim - 1], [0]])


def _whitened_own(own, scale):
    """``F' G_k F`` per level for a stack of symmetric ``G_k`` (levels, size, size)."""
    if scale.ndim == 1:
        return own * scale[None, :, None] * scale[None, None, :]
    return pt.tensordot(pt.tensordot(own, scale, axes=[[2], [0]]), scale, axes=[[1], [0]])


def _enclosing_part(s: MarginalStatistics, lower: list[list], shift, first, second,
                    rest_residual, variance):
    """The quadratic form and the other effects' log-determinant when they belong to one
    factor enclosing the primary one: the Schur complement is then block diagonal, one block
    per enclosing level, collecting the primary levels within it, and its factorisation is
    another stack of small ones."""
    size, width = s.primary_size, s.rest_width
    parent = pt.constant(s.rest_parent)
    cross = data("collapsed_cross", s.cross)
    if first.ndim == 1:
        cross = cross * first[None, :, None]
    else:
        cross = pt.tensordot(cross, first, axes=[[1], [0]]).dimshuffle(0, 2, 1)
    cross = _times_scale(cross, second) / variance
    solved = _stacked_forward(lower, pt.concatenate([shift[:, :, None], cross], axis=2), size)
    whitened, projected = solved[:, :, 0], solved[:, :, 1:]
    outer_levels = s.rest[0].levels
    collected = pt.inc_subtensor(
        pt.zeros((outer_levels, width, width))[parent],
        pt.sum(projected[:, :, :, None] * projected[:, :, None, :], axis=1))
    schur = (pt.eye(width)[None, :, :]
             + _whitened_own(data("collapsed_rest_own", s.rest_own), second) / variance
             - collected)
    rest_shift = (_times_scale(rest_residual, second) / variance
                  - pt.inc_subtensor(pt.zeros((outer_levels, width))[parent],
                                     pt.sum(projected * whitened[:, :, None], axis=1)))
    rest_lower = _stacked_cholesky(schur, width)
    rest_whitened = _stacked_forward(rest_lower, rest_shift[:, :, None], width)
    return (pt.sum(pt.sqr(whitened)) + pt.sum(pt.sqr(rest_whitened)),
            2 * sum(pt.sum(pt.log(rest_lower[k][k])) for k in range(width)))


def collapsed_log_likelihood(statistics: MarginalStatistics, population, scales: dict,
                             sigma):
    """The Gaussian log-likelihood with the group-level effects integrated out.

    Parameters
    ----------
    statistics
        The design's :class:`MarginalStatistics`.
    population
        The population coefficients, intercept (on the centred scale) first, or None.
    scales
        Per correlation set, by its first block: ``(sd, L)``, ``L`` None when uncorrelated.
    sigma
        The residual sd.

    Returns
    -------
    TensorVariable
        ``log p(y | b, sd, L, sigma)``, a scalar.
    """
    s = statistics
    variance = pt.sqr(sigma)
    squares = data("collapsed_residual_ss", s.residual_ss)
    primary_residual = data("collapsed_primary_residual", s.primary_residual)
    rest_residual = data("collapsed_rest_residual", s.rest_residual)
    if population is not None:
        difference = population - data("collapsed_reference", s.reference)
        squares = (squares
                   - 2 * pt.dot(difference, data("collapsed_population_residual",
                                                 s.population_residual))
                   + pt.dot(difference, pt.dot(data("collapsed_population", s.population),
                                               difference)))
        primary_residual = primary_residual - pt.tensordot(
            data("collapsed_primary_population", s.primary_population), difference,
            axes=[[2], [0]])
        rest_population = data("collapsed_rest_population", s.rest_population)
        rest_residual = rest_residual - pt.tensordot(
            rest_population, difference, axes=[[rest_population.ndim - 1], [0]])
    size = s.primary_size
    first = _level_scale([set_scale(*scales[x.number], x.size) for x in s.primary],
                           [x.size for x in s.primary])
    own = data("collapsed_primary_own", s.primary_own)
    # F' G_j F per level (G_j symmetric), and F' times the level's residual products
    scaled = _whitened_own(own, first)
    shift = _times_scale(primary_residual, first) / variance
    lower = _stacked_cholesky(pt.eye(size)[None, :, :] + scaled / variance, size)
    log_det = 2 * sum(pt.sum(pt.log(lower[k][k])) for k in range(size))
    if not s.rest:
        whitened = _stacked_forward(lower, shift[:, :, None], size)
        quadratic = pt.sum(pt.sqr(whitened))
    elif s.rest_parent is not None:
        second = _level_scale([set_scale(*scales[x.number], x.size) for x in s.rest],
                              [x.size for x in s.rest])
        quadratic, rest_log_det = _enclosing_part(s, lower, shift, first, second, rest_residual,
                                                  variance)
        log_det = log_det + rest_log_det
    else:
        rest_scales = [set_scale(*scales[x.number], x.size) for x in s.rest]
        levels, dense = s.primary[0].levels, s.rest_size
        cross = data("collapsed_cross", s.cross)
        if first.ndim == 1:
            cross = cross * first[None, :, None]
        else:
            cross = pt.tensordot(cross, first, axes=[[1], [0]]).dimshuffle(0, 2, 1)
        cross = _whiten_columns(cross.reshape((levels * size, dense)), s.rest,
                                rest_scales).reshape((levels, size, dense)) / variance
        solved = _stacked_forward(lower, pt.concatenate([shift[:, :, None], cross], axis=2),
                                  size)
        whitened = solved[:, :, 0].reshape((levels * size,))
        projected = solved[:, :, 1:].reshape((levels * size, dense))
        rest_own = _whiten_columns(data("collapsed_rest_own", s.rest_own), s.rest, rest_scales)
        rest_own = _whiten_columns(rest_own.T, s.rest, rest_scales)
        schur = pt.eye(dense) + rest_own / variance - pt.dot(projected.T, projected)
        rest_shift = _whiten_columns(rest_residual[None, :], s.rest, rest_scales)[0] / variance
        rest_quadratic, rest_log_det = _dense_quadratic(
            schur, rest_shift - pt.dot(projected.T, whitened), dense)
        log_det = log_det + rest_log_det
        quadratic = pt.sum(pt.sqr(whitened)) + rest_quadratic
    total = data("collapsed_total_weight", s.total_weight)
    return (-0.5 * np.log(2 * np.pi) * total - total * pt.log(sigma) - 0.5 * log_det
            - 0.5 * (squares / variance - quadratic))


def scale_name(effect_set: EffectSet) -> str:
    """The model's name of a set's ``diag(sd) L``, kept while sampling for the effects'
    draws."""
    return f"collapsed_scale_{effect_set.group}_{effect_set.number}"


def store_scales(statistics: MarginalStatistics, scales: dict) -> None:
    """Name each set's ``diag(sd) L`` in the model, so that sampling can keep it."""
    for effect_set in statistics.primary + statistics.rest:
        scale = set_scale(*scales[effect_set.number], effect_set.size)
        pm.Deterministic(scale_name(effect_set), pt.eye(effect_set.size) * scale[None, :]
                         if scale.ndim == 1 else scale)

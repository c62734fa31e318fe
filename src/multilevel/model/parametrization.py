"""Data-driven quantities that choose how each group block's effects are sampled.

Every parametrisation used here defines the same posterior as brms's non-centred form; they
differ only in the geometry NUTS has to traverse. What decides the best geometry is how well
the data pin down each level's effect compared with the spread the group-level sd allows:
a well-informed effect samples best centred (on its level's mean), a weakly informed one
non-centred. Both quantities are computed once, before sampling:

- the precision with which each level's data alone estimate each varying coefficient, and
  for a correlated block the precision matrix of those estimates jointly (Gaussian responses
  on the identity link only; zero elsewhere, which gives brms's form);
- where the rest of the model puts each level's coefficient: the population coefficients
  and, for nested groups, the enclosing group's effects, written as exact linear maps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..spec.design import Design


@dataclass(frozen=True)
class ParentMap:
    """How an enclosing group's effects enter a nested block's levels.

    Attributes
    ----------
    block
        Position of the enclosing block in ``design.blocks`` (one with fewer levels, so
        earlier in :func:`build_order`).
    index
        For each level of the nested block, the level of the enclosing block holding it.
    projection
        Shape (levels, coefficients, enclosing coefficients): the enclosing effects'
        contribution on a level's rows, expressed in the nested block's columns.
    """

    block: int
    index: np.ndarray
    projection: np.ndarray


@dataclass(frozen=True)
class BlockGeometry:
    """What the sampler's parametrisation of one group block is built from.

    Attributes
    ----------
    precision
        Shape (levels, coefficients): the precision of each level's own least-squares
        estimate of each coefficient; zero where the data say nothing or the family is not
        Gaussian with identity link.
    target
        Shape (levels, coefficients): each level's own estimate of its coefficient with the
        location included (population and enclosing groups' part plus its effect), where
        the precision is positive.
    population
        Shape (levels, coefficients, population coefficients) or None: the population
        linear predictor on a level's rows, expressed in the block's columns; the population
        coefficients are ``Intercept`` (when the model has one) followed by ``b``.
    parents
        Enclosing groups' effects, for a group nested in others.
    centring
        For a block whose factor is crossed with another (each level's own estimate then
        mixes in the other factor's effects): a fixed centring weight per coefficient, 0 for
        brms's non-centred form and 1 for the centred form, used instead of the precision.
    precision_matrix
        For a correlated block: shape (levels, coefficients, coefficients), the precision
        matrix of each level's own estimates of its coefficients jointly (whose diagonal
        ``precision`` is not: that holds each estimate's precision alone); zero where the
        data say nothing.
    """

    precision: np.ndarray
    target: np.ndarray | None = None
    population: np.ndarray | None = None
    parents: list[ParentMap] = field(default_factory=list)
    centring: np.ndarray | None = None
    precision_matrix: np.ndarray | None = None


def _level_rows(index: np.ndarray, levels: int) -> list[np.ndarray]:
    order = np.argsort(index, kind="stable")
    boundaries = np.searchsorted(index[order], np.arange(levels + 1))
    return [order[boundaries[j]:boundaries[j + 1]] for j in range(levels)]


def _exact_projection(basis: np.ndarray, columns: np.ndarray) -> np.ndarray | None:
    """Coefficients A with ``basis @ A == columns`` exactly, or None if no such A exists."""
    if len(basis) == 0 or np.linalg.matrix_rank(basis) < basis.shape[1]:
        return None
    coefficients, *_ = np.linalg.lstsq(basis, columns, rcond=None)
    tolerance = 1e-9 * (1.0 + np.abs(columns).max(initial=0.0))
    if np.abs(basis @ coefficients - columns).max(initial=0.0) > tolerance:
        return None
    return coefficients


def level_estimates(residuals: np.ndarray, values: np.ndarray, rows_by_level: list[np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each level's own least-squares estimates of its coefficients and their precisions.

    Each level's residuals are regressed on the columns ``values``; the residual variance
    left within levels, pooled over levels, is the noise. A level whose columns are
    collinear (a slope that does not vary inside it) or that has no rows gets precision
    zero and estimate zero.

    Returns
    -------
    estimates, precisions, covariances
        Shapes (levels, columns) for the first two, the precision of each estimate alone,
        and (levels, columns, columns) for the estimates' joint sampling covariances.
    """
    size, levels = values.shape[1], len(rows_by_level)
    estimates, precision = np.zeros((levels, size)), np.zeros((levels, size))
    covariance = np.zeros((levels, size, size))
    inverse_grams: dict[int, np.ndarray] = {}
    squared_error, degrees = 0.0, 0
    for j, rows in enumerate(rows_by_level):
        design_j = values[rows]
        gram = design_j.T @ design_j
        if len(rows) < size or np.linalg.matrix_rank(gram) < size:
            continue
        inverse_grams[j] = np.linalg.inv(gram)
        estimates[j] = inverse_grams[j] @ (design_j.T @ residuals[rows])
        squared_error += float(np.sum((residuals[rows] - design_j @ estimates[j]) ** 2))
        degrees += len(rows) - size
    if degrees == 0 or squared_error <= 0.0:
        return estimates, precision, covariance
    noise = squared_error / degrees
    for j, inverse in inverse_grams.items():
        covariance[j] = noise * inverse
        precision[j] = 1.0 / np.diag(covariance[j])
    return estimates, precision, covariance


def _joint_precision(covariance: np.ndarray, own: slice) -> np.ndarray:
    """Each level's precision matrix of its estimates of the block's own coefficients."""
    own_covariance = covariance[:, own, own]
    matrices = np.zeros_like(own_covariance)
    fitted = np.any(own_covariance != 0.0, axis=(1, 2))
    matrices[fitted] = np.linalg.inv(own_covariance[fitted])
    return matrices


def _group_columns(design: Design, number: int) -> tuple[np.ndarray, slice]:
    """All varying columns of the block's grouping factor, and where the block's lie.

    Uncorrelated terms of one factor, ``(1 + x || g)``, are separate blocks; a population
    column is written in their joint span, as ``x - mean(x)`` is in that of 1 and x.
    """
    block = design.blocks[number]
    siblings = [n for n, b in enumerate(design.blocks) if b.group == block.group]
    start = sum(len(design.blocks[n].coefs) for n in siblings if n < number)
    values = np.hstack([design.blocks[n].values for n in siblings])
    return values, slice(start, start + len(block.coefs))


def _population_columns(design: Design) -> np.ndarray:
    """The population design as the model uses it: 1 and centred X with an intercept."""
    if not design.has_intercept:
        return design.X
    return np.hstack([np.ones((design.nobs, 1)), design.X - design.X.mean(axis=0)])


def _population_map(population: np.ndarray, values: np.ndarray, own: slice,
                    rows_by_level: list[np.ndarray]) -> np.ndarray | None:
    if population.shape[1] == 0:
        return None
    maps = np.zeros((len(rows_by_level), own.stop - own.start, population.shape[1]))
    for j, rows in enumerate(rows_by_level):
        for p in range(population.shape[1]):
            projection = _exact_projection(values[rows], population[rows, p])
            if projection is not None:
                maps[j, :, p] = projection[own]
    return maps if np.any(maps) else None


def _parent_maps(design: Design, number: int, rows_by_level: list[np.ndarray]) -> list[ParentMap]:
    block = design.blocks[number]
    values, own = _group_columns(design, number)
    parents = []
    for earlier, outer in enumerate(design.blocks):
        if (outer.group == block.group or len(outer.levels) >= len(block.levels)
                or not _nested(block.index, outer.index)):
            continue
        index = np.zeros(len(rows_by_level), dtype=int)
        projection = np.zeros((len(rows_by_level), len(block.coefs), len(outer.coefs)))
        for j, rows in enumerate(rows_by_level):
            if len(rows) == 0:
                continue
            index[j] = outer.index[rows[0]]
            for m in range(len(outer.coefs)):
                coefficients = _exact_projection(values[rows], outer.values[rows, m])
                if coefficients is not None:
                    projection[j, :, m] = coefficients[own]
        if np.any(projection):
            parents.append(ParentMap(earlier, index, projection))
    return parents


def build_order(design: Design) -> list[int]:
    """The group blocks in the order the model builds them: fewer levels first.

    A nested block's location uses its enclosing blocks' effects, which have fewer levels,
    whatever order the formula wrote the terms in (``(t | pupil) + (t | school)``).
    """
    return sorted(range(len(design.blocks)), key=lambda number: len(design.blocks[number].levels))


def _nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """Whether every level of the inner index lies within one level of the outer index."""
    pairs = np.unique(np.stack([inner, outer]), axis=1)
    return len(np.unique(pairs[0])) == pairs.shape[1]


def _crossed(design: Design, number: int) -> bool:
    block = design.blocks[number]
    return any(other.group != block.group and not _nested(block.index, other.index)
               and not _nested(other.index, block.index) for other in design.blocks)


def crossed_centring(estimates: np.ndarray, precision: np.ndarray,
                     correlated: bool) -> np.ndarray:
    """Fixed centring weights of a crossed block, from a variance split of level estimates.

    The between-level variance of the levels' own estimates, less their mean sampling
    variance, estimates the coefficient's group-level variance; a coefficient whose group
    variance is rho times the sampling variance gets weight rho / (1 + rho), the share of a
    level's posterior precision that comes from its data.
    """
    size = precision.shape[1]
    fitted = np.all(precision > 0, axis=1)
    if fitted.sum() < 2:
        return np.zeros(size)
    sampling = np.mean(1.0 / precision[fitted], axis=0)
    between = np.var(estimates[fitted], axis=0, ddof=1) - sampling
    ratio = np.maximum(between, 0.0) / sampling
    weight = ratio / (1.0 + ratio)
    # a weakly informed coefficient, whose sd may be near zero, samples best fully
    # non-centred: any power of sd left in its scale reintroduces a funnel
    weight = np.where(weight < 0.5, 0.0, weight)
    if correlated:
        # mixed weights inside one correlated block shear its geometry
        weight = np.full(size, weight.min())
    return weight


def block_geometries(design: Design) -> list[BlockGeometry]:
    """For each group block, the level precisions and estimates and where its levels sit.

    Only Gaussian responses on the identity link (without weights, known standard errors,
    censoring, truncation or predicted distributional parameters) have least-squares
    residuals on the scale of the linear predictor; other models get zero precision, which
    keeps brms's non-centred form, and no location maps, which that form does not use.
    Monotonic effects, not linear in their parameters, leave no least-squares residuals
    either. Terms correlated through an ID, with sds by a column's levels or with a known
    covariance between levels keep brms's form.
    """
    family = design.family
    # a predicted sigma, or blocks of other parameters, leave no one residual scale to centre
    # by; correlated residuals make the rows of a level worth less than independent ones
    if (not family.normal or family.link != "identity" or design.weights is not None
            or design.dpars or design.own_row_likelihood is not None or design.monotonic
            or any(block.id or block.by or block.cov for block in design.blocks)):
        return [BlockGeometry(np.zeros((len(b.levels), len(b.coefs)))) for b in design.blocks]
    population = _population_columns(design)
    response = design.y - (design.offset if design.offset is not None else 0.0)
    coefficients = np.zeros(population.shape[1])
    residuals = response
    if population.shape[1]:
        coefficients, *_ = np.linalg.lstsq(population, response, rcond=None)
        residuals = response - population @ coefficients
    geometries = []
    for number, block in enumerate(design.blocks):
        rows_by_level = _level_rows(block.index, len(block.levels))
        values, own = _group_columns(design, number)
        estimates, precision, covariance = level_estimates(residuals, values, rows_by_level)
        maps = _population_map(population, values, own, rows_by_level)
        if _crossed(design, number):
            geometries.append(BlockGeometry(
                precision=np.zeros_like(precision[:, own]),
                target=None if maps is None else maps @ coefficients,
                population=maps,
                centring=crossed_centring(estimates[:, own], precision[:, own],
                                          block.has_correlations)))
            continue
        # a level's estimate of location plus effect: the population fit it shares with
        # other levels, written in the block's columns, plus its own residual fit
        target = estimates[:, own]
        if maps is not None:
            target = target + maps @ coefficients
        geometries.append(BlockGeometry(
            precision=precision[:, own],
            target=target,
            population=maps,
            parents=_parent_maps(design, number, rows_by_level),
            precision_matrix=(_joint_precision(covariance, own) if block.has_correlations
                              else None),
        ))
    return geometries

"""Choose, per group block, the centred or non-centred form of its group-level effects.

Both forms define the same posterior; they differ in the geometry NUTS has to traverse. When
the data pin down each level's effect well (many observations per level relative to the
residual noise), the non-centred form has a funnel and the centred form does not; when the
data say little, it is the other way round. A method-of-moments variance split of the
least-squares residuals tells the two cases apart before sampling.
"""

from __future__ import annotations

import numpy as np

from .design import Design


def level_information_ratios(residuals: np.ndarray, values: np.ndarray, index: np.ndarray,
                             levels: int) -> np.ndarray:
    """Per coefficient of a block, between-level variance over sampling variance.

    Each level with more observations than coefficients gets its own least-squares fit of the
    residuals on the block's columns; the between-level variance of those estimates, less
    their mean sampling variance, estimates the coefficient's group-level variance.
    """
    size = values.shape[1]
    order = np.argsort(index, kind="stable")
    boundaries = np.searchsorted(index[order], np.arange(levels + 1))
    estimates, variances, squared_error, degrees = [], [], 0.0, 0
    for j in range(levels):
        rows = order[boundaries[j]:boundaries[j + 1]]
        if len(rows) <= size:
            continue
        design_j, target_j = values[rows], residuals[rows]
        gram = design_j.T @ design_j
        if np.linalg.matrix_rank(gram) < size:
            continue
        coefficients = np.linalg.solve(gram, design_j.T @ target_j)
        squared_error += float(np.sum((target_j - design_j @ coefficients) ** 2))
        degrees += len(rows) - size
        estimates.append(coefficients)
        variances.append(np.diag(np.linalg.inv(gram)))
    if len(estimates) < 2 or degrees == 0:
        return np.zeros(size)
    noise = squared_error / degrees
    sampling = noise * np.mean(variances, axis=0)
    between = np.var(np.array(estimates), axis=0, ddof=1) - sampling
    if noise <= 0:
        return np.full(size, np.inf)
    return np.maximum(between, 0.0) / sampling


def centring_weights(design: Design) -> list[np.ndarray]:
    """For each group block, the centring weight of each coefficient, in [0, 1].

    A coefficient whose group-level variance is rho times the sampling variance of one
    level's estimate gets weight rho / (1 + rho): the share of a level's posterior precision
    that comes from its data. A correlated block takes the smallest weight of its
    coefficients. Only Gaussian responses have residuals on the scale of the
    linear predictor; other families keep brms's non-centred form (weight 0).
    """
    if design.family.name != "gaussian" or design.weights is not None:
        return [np.zeros(len(block.coefs)) for block in design.blocks]
    columns = [design.X]
    if design.has_intercept:
        columns.insert(0, np.ones((design.nobs, 1)))
    population = np.hstack(columns)
    target = design.y - (design.offset if design.offset is not None else 0.0)
    if population.shape[1]:
        coefficients, *_ = np.linalg.lstsq(population, target, rcond=None)
        residuals = target - population @ coefficients
    else:
        residuals = target
    weights = []
    for block in design.blocks:
        ratio = level_information_ratios(residuals, block.values, block.index, len(block.levels))
        weight = np.where(np.isinf(ratio), 1.0, ratio / (1.0 + ratio))
        # a weakly informed coefficient whose sd may be near zero samples best fully
        # non-centred: any power of sd left in its scale reintroduces a funnel
        weight = np.where(weight < 0.5, 0.0, weight)
        if block.has_correlations:
            # mixed weights inside one correlated block shear its geometry; the least
            # informed coefficient sets the block's weight
            weight = np.full(len(weight), weight.min())
        weights.append(weight)
    return weights

"""The cross-products a collapsed Gaussian model's marginal likelihood needs, computed once
from the rows (:mod:`multilevel.model.collapsed` has the likelihood).

The group-level effects are split into correlation sets; the grouping factor with the most
effects is the primary one, whose levels' products form a stack of small blocks. The other
effects are kept either per level of one factor enclosing the primary one, or as one dense
part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..spec.design import Design
from .crossproducts import population_least_squares


@dataclass(frozen=True)
class EffectSet:
    """The effects of one correlation set: blocks of one grouping factor sharing an sd vector
    and, when correlated, an LKJ factor.

    Attributes
    ----------
    number
        The set's first block in ``design.blocks``, which names its variables (``L_g_0``).
    members
        Its blocks' positions in ``design.blocks``.
    group
        The grouping factor.
    levels, size
        Number of levels and of coefficients per level.
    """

    number: int
    members: tuple[int, ...]
    group: str
    levels: int
    size: int


@dataclass(frozen=True)
class MarginalStatistics:
    """Everything the marginal likelihood needs from the rows.

    The primary factor's effects are laid out level by level, each level's coefficients set
    after set (``primary``); the other effects set after set, each set level by level
    (``rest``), ``q2`` of them in all.

    Attributes
    ----------
    total_weight, residual_ss, reference, population_residual, population
        As :class:`multilevel.model.crossproducts.CrossProducts`: the number of rows (sum of
        weights), the weighted residual sum of squares of the population least-squares fit
        ``reference``, and the population design's products with those residuals and itself.
    primary, rest
        The correlation sets of the primary factor, and the others.
    primary_own
        ``Z1'WZ1`` per level, shape (levels, size, size).
    primary_residual, primary_population
        ``Z1'We`` and ``Z1'WP`` per level: (levels, size) and (levels, size, population).
    cross
        ``Z1'WZ2`` per level of the primary factor, shape (levels, size, q2).
    rest_own, rest_residual, rest_population
        ``Z2'WZ2`` (q2, q2), ``Z2'We`` (q2,) and ``Z2'WP`` (q2, population).
    rest_parent
        When the other effects all belong to one factor that encloses the primary one (each
        primary level lies within one of its levels: pupils within schools), each primary
        level's level of it, and the products are kept per level of that factor, its
        coefficients set after set (``width`` of them): ``cross`` (levels, size, width) in the
        columns of the level's own enclosing level, ``rest_own`` (outer levels, width, width),
        ``rest_residual`` (outer levels, width), ``rest_population`` (outer levels, width,
        population). None otherwise.
    """

    total_weight: float
    residual_ss: float
    reference: np.ndarray
    population_residual: np.ndarray
    population: np.ndarray
    primary: tuple[EffectSet, ...]
    rest: tuple[EffectSet, ...]
    primary_own: np.ndarray
    primary_residual: np.ndarray
    primary_population: np.ndarray
    cross: np.ndarray
    rest_own: np.ndarray
    rest_residual: np.ndarray
    rest_population: np.ndarray
    rest_parent: np.ndarray | None = None

    @property
    def primary_size(self) -> int:
        """Coefficients per level of the primary factor."""
        return sum(s.size for s in self.primary)

    @property
    def rest_size(self) -> int:
        """The number of effects outside the primary factor, q2."""
        return sum(s.levels * s.size for s in self.rest)

    @property
    def rest_width(self) -> int:
        """Coefficients per level of the other factors' sets, laid side by side."""
        return sum(s.size for s in self.rest)


def effect_sets(design: Design) -> tuple[list[EffectSet], list[EffectSet]]:
    """The correlation sets of the primary factor (the one with the most effects), and the
    others, each in the design's order."""
    sets = []
    for members in design.correlation_sets():
        first = design.blocks[members[0]]
        sets.append(EffectSet(members[0], tuple(members), first.group, len(first.levels),
                              len(design.set_coefs(members))))
    counts: dict[str, int] = {}
    for effect_set in sets:
        counts[effect_set.group] = counts.get(effect_set.group, 0) + (effect_set.levels
                                                                      * effect_set.size)
    primary = max(counts, key=counts.get)
    return ([s for s in sets if s.group == primary], [s for s in sets if s.group != primary])


def enclosing_levels(design: Design, primary: list[EffectSet],
                     rest: list[EffectSet]) -> np.ndarray | None:
    """Each primary level's level of the one other factor, when every other set belongs to
    one factor whose levels enclose the primary factor's; None otherwise.

    Parameters
    ----------
    design
        The model's design.
    primary, rest
        Its correlation sets, as :func:`effect_sets` gives them.

    Returns
    -------
    numpy.ndarray or None
        Integer level numbers, one per primary level.
    """
    if not rest or len({s.group for s in rest}) != 1:
        return None
    inner = design.blocks[primary[0].number].index
    outer = design.blocks[rest[0].number].index
    parent = np.zeros(primary[0].levels, dtype=int)
    parent[inner] = outer
    return parent if np.array_equal(parent[inner], outer) else None


def _set_design(design: Design, sets: list[EffectSet]) -> sparse.csr_matrix:
    """The design of ``sets`` (of one factor), level by level, each level's coefficients set
    after set: row i holds its values in its level's columns."""
    width = sum(s.size for s in sets)
    rows, columns, values = [], [], []
    offset = 0
    for effect_set in sets:
        for number in effect_set.members:
            block = design.blocks[number]
            size = len(block.coefs)
            rows.append(np.repeat(np.arange(design.nobs), size))
            columns.append((block.index[:, None] * width + offset + np.arange(size)).ravel())
            values.append(block.values.ravel())
            offset += size
    return sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
        shape=(design.nobs, sets[0].levels * width))


def _per_level(products: sparse.spmatrix, levels: int, size: int) -> np.ndarray:
    """The diagonal blocks of a product of one factor's design with itself, laid out level
    by level: a row belongs to one level, so its effects meet only within a level."""
    products = products.tocoo()
    blocks = np.zeros((levels, size, size))
    np.add.at(blocks, (products.row // size, products.row % size, products.col % size),
              products.data)
    return blocks


def marginal_statistics(design: Design) -> MarginalStatistics:
    """The cross-products of a design that its marginal likelihood needs.

    Parameters
    ----------
    design
        A design the collapsed form supports (:func:`unsupported_feature` is None).

    Returns
    -------
    MarginalStatistics
    """
    primary, rest = effect_sets(design)
    population, weights, reference, residuals = population_least_squares(design)
    weighted = weights * residuals
    weighted_population = population * weights[:, None]

    first = _set_design(design, primary)
    levels, size = primary[0].levels, sum(s.size for s in primary)
    weighted_first = sparse.diags(weights) @ first
    primary_own = _per_level(first.T @ weighted_first, levels, size)
    parent = enclosing_levels(design, primary, rest)
    if parent is not None:
        # one enclosing factor: every product is per level of it, or of the primary factor
        others = _set_design(design, rest)
        width, outer = sum(s.size for s in rest), rest[0].levels
        products = (weighted_first.T @ others).tocoo()
        cross = np.zeros((levels, size, width))
        np.add.at(cross, (products.row // size, products.row % size, products.col % width),
                  products.data)
        return MarginalStatistics(
            total_weight=float(weights.sum()),
            residual_ss=float(weighted @ residuals),
            reference=reference,
            population_residual=population.T @ weighted,
            population=population.T @ weighted_population,
            primary=tuple(primary),
            rest=tuple(rest),
            primary_own=primary_own,
            primary_residual=(first.T @ weighted).reshape(levels, size),
            primary_population=np.asarray(first.T @ weighted_population).reshape(
                levels, size, population.shape[1]),
            cross=cross,
            rest_own=_per_level(others.T @ (sparse.diags(weights) @ others), outer, width),
            rest_residual=(others.T @ weighted).reshape(outer, width),
            rest_population=np.asarray(others.T @ weighted_population).reshape(
                outer, width, population.shape[1]),
            rest_parent=parent,
        )
    others = (sparse.hstack([_set_design(design, [s]) for s in rest]).tocsr() if rest
              else sparse.csr_matrix((design.nobs, 0)))
    return MarginalStatistics(
        total_weight=float(weights.sum()),
        residual_ss=float(weighted @ residuals),
        reference=reference,
        population_residual=population.T @ weighted,
        population=population.T @ weighted_population,
        primary=tuple(primary),
        rest=tuple(rest),
        primary_own=primary_own,
        primary_residual=(first.T @ weighted).reshape(levels, size),
        primary_population=np.asarray(first.T @ weighted_population).reshape(
            levels, size, population.shape[1]),
        cross=np.asarray((weighted_first.T @ others).todense()).reshape(
            levels, size, others.shape[1]),
        rest_own=np.asarray((others.T @ (sparse.diags(weights) @ others)).todense()),
        rest_residual=others.T @ weighted,
        rest_population=np.asarray(others.T @ weighted_population),
    )

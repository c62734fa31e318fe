"""Group blocks: the coefficients of a group term that share one sd vector and, if
correlated, one correlation matrix, with the grouping factor's levels of every row."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import FormulaError
from ..names import coefficient_name, r_level_label, r_sort_key, sorted_levels
from .checks import require_finite
from .evaluation import design_matrix, r_ordered_frame
from .formula import FormulaSpec
from .group_terms import GroupTerm
from .level_covariance import covariance_matrix, level_cholesky


@dataclass
class GroupBlock:
    """Group-level coefficients sharing one sd vector and, if correlated, one LKJ factor.

    Attributes
    ----------
    group
        brms's name of the grouping factor, e.g. ``Subject`` or ``batch:cask``.
    coefs
        brms's names of the varying coefficients, e.g. ``["Intercept", "Days"]``.
    correlated
        Whether the coefficients are correlated (an LKJ factor when there are two or more).
    values
        The observations' values of the varying terms, shape (n, len(coefs)).
    index
        The observations' level positions in ``levels``.
    levels
        Level labels as R prints them, in R's factor order.
    term
        The group term as written, for messages.
    dpar
        The distributional parameter whose linear predictor the block enters; empty for the
        mean. A distributional parameter's coefficients carry its name, as brms's
        ``sigma_Intercept``.
    id
        brms's ID of ``(1 | p | g)``; blocks of one grouping factor with the same ID share
        one correlation matrix (:meth:`Design.correlation_sets`).
    by
        The column of ``gr(g, by = arm)``, empty without one.
    by_levels
        The by column's levels as R prints them, in R's factor order: each has its own sds
        (and correlations) of the effects of the group levels within it.
    level_by
        Each group level's position in ``by_levels``.
    cov
        The name in ``data2`` of ``gr(g, cov = A)``'s covariance between the levels, empty
        without one.
    cov_cholesky
        That matrix's lower Cholesky factor over ``levels``, in their order.
    """

    group: str
    coefs: list[str]
    correlated: bool
    values: np.ndarray
    index: np.ndarray
    levels: list[str]
    term: str
    factors: tuple[str, ...]
    expr: str
    terms: object = field(default=None, repr=False)
    columns: list[int] = field(default_factory=list)
    dpar: str = ""
    id: str = ""
    by: str = ""
    by_levels: list[str] = field(default_factory=list)
    level_by: np.ndarray | None = None
    cov: str = ""
    cov_cholesky: np.ndarray | None = field(default=None, repr=False)

    def own_coef(self, coef: str) -> str:
        """A coefficient's name within its parameter: ``Intercept`` for ``sigma_Intercept``."""
        return coef[len(self.dpar) + 1:] if self.dpar else coef

    @property
    def has_correlations(self) -> bool:
        return self.correlated and len(self.coefs) > 1

    @property
    def by_labels(self) -> list[str]:
        """brms's suffixes of the by levels' parameters, ``armcontrol``: the column and the
        level without whitespace, as brms writes them (one empty one without a by
        column)."""
        return [self.by + re.sub(r"\s", "", level) for level in self.by_levels] or [""]

    @property
    def sd_names(self) -> list[str]:
        """brms's names of the block's sds after ``sd_<group>__``: its coefficients, each
        by level's in turn with ``gr(g, by = arm)`` (``Intercept:armcontrol``)."""
        return [f"{coef}:{label}" if label else coef
                for label in self.by_labels for coef in self.coefs]

    def correlation_names(self, coefs: list[str]) -> list[str]:
        """brms's names of the correlations of ``coefs`` (the block's, or its ID set's)
        after ``cor_<group>__``, each by level's in turn."""
        names = []
        for label in self.by_labels:
            named = [f"{coef}:{label}" if label else coef for coef in coefs]
            names += [f"{named[j]}__{named[i]}" for i in range(1, len(named)) for j in range(i)]
        return names



def matrix_columns(matrix) -> tuple[np.ndarray, list[str]]:
    """A formulae design matrix as values and brms's coefficient names."""
    if matrix is None:
        return np.zeros((0, 0)), []
    frame = r_ordered_frame(matrix)
    return frame.to_numpy(dtype=float), [coefficient_name(str(c)) for c in frame.columns]


def grouping_factor(data: pd.DataFrame, factors: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    if len(factors) == 1:
        series = data[factors[0]]
        order = sorted_levels(series)
        labels = [r_level_label(level) for level in order]
        codes = pd.Categorical(series, categories=order).codes
        return codes.astype(np.int64), labels
    pieces = [data[column].map(r_level_label) for column in factors]
    combined = pieces[0].str.cat(pieces[1:], sep="_")
    labels = sorted(combined.unique(), key=r_sort_key)
    codes = pd.Categorical(combined, categories=labels).codes
    return codes.astype(np.int64), labels


def _warn_constant_slopes(block: GroupBlock) -> None:
    for k, coef in enumerate(block.coefs):
        if coef == "Intercept":
            continue
        column = pd.Series(block.values[:, k])
        spread = column.groupby(block.index).agg(lambda v: v.max() - v.min())
        if (spread.abs() < 1e-12).all():
            warnings.warn(
                f"In {block.term}, {coef!r} is constant within every level of "
                f"{block.group!r}, so its slope cannot vary within {block.group}; "
                f"sd({coef}) is identified only by its prior. Consider dropping {coef!r} from "
                "the group term.",
                UserWarning,
                stacklevel=5,
            )


def _by_levels(term: GroupTerm, data: pd.DataFrame, index: np.ndarray,
               levels: list[str]) -> tuple[list[str], np.ndarray]:
    """The by column's levels and each group level's position among them; brms's error where
    a group level lies in several."""
    by_codes, by_levels = grouping_factor(data, (term.by,))
    pairs = pd.DataFrame({"level": index, "by": by_codes}).drop_duplicates()
    counts = pairs["level"].value_counts()
    if (counts > 1).any():
        shared = [levels[k] for k in sorted(counts[counts > 1].index)][:3]
        raise FormulaError(
            f"Group term {term.text}: some levels of {term.group!r} ("
            + ", ".join(repr(s) for s in shared) + f") correspond to multiple levels of "
            f"{term.by!r}; gr({term.group}, by = {term.by}) needs each level of "
            f"{term.group!r} within one level of {term.by!r}.")
    level_by = np.empty(len(levels), dtype=np.int64)
    level_by[pairs["level"].to_numpy()] = pairs["by"].to_numpy()
    return by_levels, level_by


def _group_blocks(term: GroupTerm, data: pd.DataFrame,
                  matrices: Mapping[str, pd.DataFrame]) -> list[GroupBlock]:
    matrix = design_matrix(term.expr, data, f"group term {term.text}")
    values, coefs = matrix_columns(matrix)
    if not coefs:
        raise FormulaError(f"Group term {term.text} has no varying coefficients.")
    index, levels = grouping_factor(data, term.factors)
    by_levels, level_by = _by_levels(term, data, index, levels) if term.by else ([], None)
    cov_cholesky = None
    if term.cov:
        cov_cholesky = level_cholesky(matrices[term.cov], levels, term.group, term.cov)
    # a term with a by column stays one block, correlated or not: brms lists its sds by
    # level, each level's coefficients together
    if term.correlated or term.by:
        splits = [list(range(len(coefs)))]
    else:
        splits = [[k] for k in range(len(coefs))]
    return [
        GroupBlock(
            group=term.group,
            coefs=[coefs[k] for k in split],
            correlated=term.correlated,
            values=values[:, split],
            index=index,
            levels=levels,
            term=term.text,
            factors=term.factors,
            expr=term.expr,
            terms=matrix,
            columns=split,
            id=term.id,
            by=term.by,
            by_levels=by_levels,
            level_by=level_by,
            cov=term.cov,
            cov_cholesky=cov_cholesky,
        )
        for split in splits
    ]



def check_group_ids(blocks: list[GroupBlock]) -> None:
    groups: dict[str, GroupBlock] = {}
    for block in blocks:
        if block.id and groups.setdefault(block.id, block).group != block.group:
            first = groups[block.id]
            raise FormulaError(
                f"Group terms {first.term} and {block.term} share the ID {block.id!r} but not "
                f"their grouping factor ({first.group!r}, {block.group!r}); an ID correlates "
                "the terms of one grouping factor.")
        if block.id and groups[block.id] is not block and (block.by or groups[block.id].by):
            raise FormulaError(
                f"Group terms {groups[block.id].term} and {block.term} share the ID "
                f"{block.id!r} and one has a by column; gr(by = ) is supported in terms "
                "without an ID shared with other terms.")
        if block.id and groups[block.id].cov != block.cov:
            raise FormulaError(
                f"Group terms {groups[block.id].term} and {block.term} share the ID "
                f"{block.id!r} but not their covariance between levels (cov); terms "
                "correlated through an ID need the same cov.")


def covariance_matrices(spec: FormulaSpec, data2: Mapping | None) -> dict[str, pd.DataFrame]:
    """Each matrix the group terms of ``spec`` and its parameters' formulas name in
    ``gr(g, cov = A)``, checked once (:func:`covariance_matrix`)."""
    matrices: dict[str, pd.DataFrame] = {}
    for part in [spec] + [part for _, part in spec.nlpars + spec.dpars]:
        for term in part.group_terms:
            if term.cov and term.cov not in matrices:
                matrices[term.cov] = covariance_matrix(term.cov, data2, term.text)
    return matrices


def parameter_blocks(spec: FormulaSpec, frame: pd.DataFrame, dpar: str,
                     matrices: Mapping[str, pd.DataFrame] | None = None) -> list[GroupBlock]:
    """The group blocks of one parameter's formula, coefficients named with the parameter;
    ``matrices`` holds the checked matrices of ``gr(g, cov = A)``
    (:func:`covariance_matrices`)."""
    blocks: list[GroupBlock] = []
    seen: set[tuple[str, str]] = set()
    for term in spec.group_terms:
        for block in _group_blocks(term, frame, matrices or {}):
            for coef in block.coefs:
                if (block.group, coef) in seen:
                    raise FormulaError(
                        f"Duplicated group-level effect {coef!r} for {block.group!r} (in "
                        f"{term.text}); each coefficient may vary by a grouping factor once."
                    )
                seen.add((block.group, coef))
            require_finite(block.values, f"Group term {term.text}")
            _warn_constant_slopes(block)
            if dpar:
                block.dpar = dpar
                block.coefs = [f"{dpar}_{coef}" for coef in block.coefs]
            blocks.append(block)
    return blocks

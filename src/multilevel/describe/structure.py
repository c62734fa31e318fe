"""What a model's equations are made of, read from its :class:`Design`.

Both notations need the same facts: the linear predictor of each parameter as products of
predictors, the grouping factors with the coefficients that vary over them, whether the factors
are nested (classes within schools) or crossed, and the level each predictor belongs to: a
predictor that is constant within every level of a grouping factor is a property of that
factor's units (a school's mean SES), which Raudenbush & Bryk place at the group's level.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..names import coefficient_name, r_column_name
from ..spec.design import Design
from ..spec.evaluation import r_column_order

# index letters of the grouping factors (i is the observation)
FACTOR_LETTERS = "jklmnopq"


def factor_letter(position: int) -> str:
    """The index letter of the grouping factor at ``position``: j, k, l, ..."""
    if position < len(FACTOR_LETTERS):
        return FACTOR_LETTERS[position]
    return f"{FACTOR_LETTERS[-1]}{position - len(FACTOR_LETTERS) + 2}"


@dataclass(frozen=True)
class Component:
    """One factor of a design column: ``ses``, ``sexMale`` (a level's indicator), ``log(size)``.

    Attributes
    ----------
    key
        The component as R names it in a column name.
    variables
        The data columns it reads.
    indicator
        Whether it is a factor level's indicator, written as one name.
    """

    key: str
    variables: tuple[str, ...]
    indicator: bool


@dataclass(frozen=True)
class Column:
    """A population-level column: its brms name and the components whose product it is."""

    coef: str
    components: tuple[Component, ...]


@dataclass(frozen=True)
class Varying:
    """A coefficient that varies over a grouping factor."""

    group: str
    dpar: str
    coef: str
    components: tuple[Component, ...]


@dataclass(frozen=True)
class VaryingSet:
    """Coefficients of one grouping factor drawn together: jointly normal when correlated."""

    group: str
    members: tuple[Varying, ...]
    correlated: bool
    # gr(g, by = arm): each level of the column has its own sds and correlations
    by: str = ""
    # gr(g, cov = A): the name in data2 of the known covariance between the levels
    cov: str = ""


@dataclass(frozen=True)
class Parameter:
    """The linear predictor of one parameter: the mean (``name == ""``) or a predicted one.

    ``intercept`` is False for an ordinal model's mean, whose thresholds take its place.
    """

    name: str
    columns: tuple[Column, ...]
    intercept: bool
    offsets: tuple[str, ...]
    link: str
    smooths: tuple[str, ...] = ()
    # each mo() term's variable and the numeric columns it is multiplied by
    monotonic: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Structure:
    """The facts both notations are written from.

    Attributes
    ----------
    factors
        The grouping factors; finest first when they are nested in one another.
    nested
        Whether each factor is nested in the next (one factor counts as nested): the levels
        of Raudenbush & Bryk's hierarchy. Otherwise the factors are crossed.
    letters
        Each factor's index letter: j, k, l, ...
    sizes
        Each factor's number of levels.
    levels
        Each component's level: 1 for the observations; in a nested hierarchy the factor at
        position ``n`` of ``factors`` is level ``n + 2``; with crossed factors every group
        level is 2.
    homes
        Each group-level component's factor (the finest factor it is constant within).
    parameters
        The mean's linear predictor first, then those of predicted parameters.
    sets
        The coefficients varying together, in the design's order.
    data_columns
        The data's column names, to tell variables from function names in expressions.
    """

    factors: tuple[str, ...]
    nested: bool
    letters: dict[str, str]
    sizes: dict[str, int]
    levels: dict[str, int]
    homes: dict[str, str]
    parameters: tuple[Parameter, ...]
    sets: tuple[VaryingSet, ...]
    data_columns: frozenset[str] = field(default_factory=frozenset)

    @property
    def depth(self) -> int:
        """The number of levels: 1 without grouping factors."""
        if not self.factors:
            return 1
        return len(self.factors) + 1 if self.nested else 2

    @property
    def smooths(self) -> tuple[str, ...]:
        """The variables of the mean's smooths."""
        return next((p.smooths for p in self.parameters if not p.name), ())

    @property
    def monotonic(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The mean's monotonic effects: each one's variable and covariates."""
        return next((p.monotonic for p in self.parameters if not p.name), ())

    def level_of(self, factor: str) -> int:
        return self.factors.index(factor) + 2 if self.nested else 2

    def part_level(self, components) -> int:
        """The level of a product of components: the lowest of theirs."""
        return min((self.levels[c.key] for c in components), default=1)

    def varying(self, dpar: str) -> list[Varying]:
        return [m for s in self.sets for m in s.members if m.dpar == dpar]


def _split_label(label: str) -> list[str]:
    """A formulae column label split at the ``:`` of interactions, outside brackets."""
    parts, depth, current = [], 0, []
    for char in label:
        depth += char in "(["
        depth -= char in ")]"
        if char == ":" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def matrix_columns(matrix, data_columns) -> list[Column]:
    """The columns of a formulae design matrix (the intercept included) with their components.

    A column that cannot be split into its term's components is one component reading all of
    the term's variables.
    """
    if matrix is None:
        return []
    columns: list[Column] = []
    terms = sorted(matrix.terms.items(), key=lambda item: matrix.slices[item[0]].start)
    for name, term in terms:
        components = list(getattr(term, "components", []))
        labels = list(getattr(term, "labels", None) or [name])
        labels = [labels[k] for k in r_column_order(term)] if len(labels) > 1 else labels
        for label in labels:
            if label == "Intercept":
                columns.append(Column("Intercept", ()))
                continue
            pieces = _split_label(label)
            if len(pieces) == len(components):
                parts = tuple(
                    Component(r_column_name(piece), _variables(component, data_columns),
                              "[" in piece and not piece.startswith("poly("))
                    for piece, component in zip(pieces, components, strict=True))
            else:
                variables = tuple(sorted(set(getattr(term, "var_names", ())) & data_columns))
                parts = (Component(r_column_name(label), variables, False),)
            columns.append(Column(coefficient_name(label), parts))
    return columns


def _variables(component, data_columns) -> tuple[str, ...]:
    return tuple(sorted(set(getattr(component, "var_names", ())) & data_columns))


def _constant_within(values: pd.Series, codes: np.ndarray) -> bool:
    return bool((values.groupby(codes).nunique(dropna=False) <= 1).all())


def _nested_in(inner: np.ndarray, outer: np.ndarray) -> bool:
    return _constant_within(pd.Series(outer), inner)


def _factor_codes(design: Design) -> dict[str, np.ndarray]:
    codes: dict[str, np.ndarray] = {}
    for block in design.blocks:
        codes.setdefault(block.group, block.index)
    return codes


def _order_factors(design: Design, codes: dict[str, np.ndarray]) -> tuple[tuple[str, ...], bool]:
    """The factors finest first and whether each is nested in the next."""
    groups = design.groups
    sizes = {g: len(design.group_levels(g)) for g in groups}
    ordered = sorted(groups, key=lambda g: -sizes[g])
    nested = all(_nested_in(codes[inner], codes[outer])
                 for inner, outer in zip(ordered, ordered[1:], strict=False))
    return (tuple(ordered), True) if nested else (tuple(groups), False)


def _parameters(design: Design, data_columns) -> list[Parameter]:
    family = design.family
    parameters = []
    for name, part in design.nlpars.items():
        # a non-linear parameter's intercept is one of its coefficients, written as one
        columns = [c for c in matrix_columns(part.population_terms, data_columns)
                   if c.coef != "Intercept"]
        b_names = [b for b in part.b_names if b != "Intercept"]
        parameters.append(Parameter(name, tuple(_checked(columns, b_names)),
                                    "Intercept" in part.b_names, tuple(part.spec.offsets),
                                    "identity"))
    if not family.categorical and not design.nlpars:
        columns = [c for c in matrix_columns(design.population_terms, data_columns)
                   if c.coef != "Intercept"]
        # brms's '0 + Intercept' is written as the intercept it is; only its prior differs
        intercept = design.has_intercept or design.spec.explicit_intercept
        columns = _checked(columns, [b for b in design.b_names if b != "Intercept"
                                     or not design.spec.explicit_intercept])
        parameters.append(Parameter(
            "", tuple(columns), intercept and not family.ordinal,
            tuple(design.spec.offsets), family.link,
            tuple(part.term.variable for part in design.smooths),
            tuple((part.term.variable, part.term.covariates) for part in design.monotonic)))
    for name, part in design.dpars.items():
        columns = [c for c in matrix_columns(part.population_terms, data_columns)
                   if c.coef != "Intercept"]
        link = family.aux_parameter(name).dpar_link
        explicit = part.spec.explicit_intercept
        b_names = [b for b in part.b_names if b != "Intercept" or not explicit]
        parameters.append(Parameter(name, tuple(_checked(columns, b_names)),
                                    part.has_intercept or explicit, tuple(part.spec.offsets),
                                    link))
    return parameters


def _checked(columns: list[Column], b_names: list[str]) -> list[Column]:
    """The columns, or opaque ones named as the design names them where the two disagree."""
    if [c.coef for c in columns] == list(b_names):
        return columns
    return [Column(name, (Component(name, (), False),)) for name in b_names]


def _sets(design: Design, data_columns) -> list[VaryingSet]:
    sets = []
    for members in design.correlation_sets():
        varying = []
        for number in members:
            block = design.blocks[number]
            columns = matrix_columns(block.terms, data_columns)
            for k, coef in zip(block.columns, block.coefs, strict=True):
                column = columns[k] if k < len(columns) else None
                own = block.own_coef(coef)
                components = column.components if column is not None and column.coef == own \
                    else (() if own == "Intercept" else (Component(own, (), False),))
                varying.append(Varying(block.group, block.dpar, own, components))
        first = design.blocks[members[0]]
        if design.set_correlated(members):
            sets.append(VaryingSet(first.group, tuple(varying), True, first.by, first.cov))
        else:
            # uncorrelated coefficients (one block of gr(g, by = arm, cor = FALSE) holds
            # several) are each normal on their own
            sets += [VaryingSet(first.group, (member,), False, first.by, first.cov)
                     for member in varying]
    return sets


def _variable_levels(design: Design, factors, nested, codes, variables) -> dict[str, int]:
    """Each variable's level: one above the coarsest factor it is constant within."""
    levels = {}
    for variable in variables:
        values = design.data[variable]
        level = 1
        for position, factor in enumerate(factors):
            if _constant_within(values, codes[factor]):
                level = position + 2 if nested else 2
                if not nested:
                    break
            elif nested:
                break
        levels[variable] = level
    return levels


def _variable_homes(design: Design, factors, codes, variables) -> dict[str, str]:
    """Each variable's finest factor it is constant within, or "" if none."""
    homes = {}
    for variable in variables:
        values = design.data[variable]
        homes[variable] = next((f for f in factors if _constant_within(values, codes[f])), "")
    return homes


def analyse(design: Design) -> Structure:
    """Read a design's parameters, grouping factors and the level of every predictor."""
    data_columns = frozenset(str(c) for c in design.data.columns)
    codes = _factor_codes(design)
    factors, nested = _order_factors(design, codes)
    parameters = _parameters(design, data_columns)
    sets = _sets(design, data_columns)
    components = {c.key: c for p in parameters for col in p.columns for c in col.components}
    components.update({c.key: c for s in sets for m in s.members for c in m.components})
    variables = sorted({v for c in components.values() for v in c.variables})
    variable_levels = _variable_levels(design, factors, nested, codes, variables)
    variable_homes = {} if nested else _variable_homes(design, factors, codes, variables)
    levels = {key: min((variable_levels[v] for v in c.variables), default=1)
              for key, c in components.items()}
    # a coefficient varying over a factor is a property of the units below it
    for varying_set in sets:
        for member in varying_set.members:
            ceiling = (factors.index(member.group) + 1) if nested else 1
            for component in member.components:
                levels[component.key] = min(levels[component.key], ceiling)
    homes = {}
    for key, component in components.items():
        if levels[key] == 1:
            homes[key] = ""
        elif nested:
            homes[key] = factors[levels[key] - 2]
        else:
            found = [variable_homes[v] for v in component.variables if variable_homes[v]]
            homes[key] = found[0] if found else factors[0]
    return Structure(
        factors=factors, nested=nested,
        letters={f: factor_letter(k) for k, f in enumerate(factors)},
        sizes={f: len(design.group_levels(f)) for f in factors},
        levels=levels, homes=homes, parameters=tuple(parameters), sets=tuple(sets),
        data_columns=data_columns)


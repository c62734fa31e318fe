"""Gelman & Hill's notation: one line for the data, one for each set of group-level effects.

``y_i ~ N(alpha_j[i] + beta_1j[i] x_i, sigma^2)``, ``(alpha_j, beta_1j) ~ MVN((mu_alpha,
mu_beta1), Sigma)``: a varying coefficient appears in the data line indexed by its group,
``alpha_{j[i]}``, and its group-level model holds its mean and the predictors constant within the
group (``alpha_j ~ N(gamma_0 + gamma_1 u_j, sigma_alpha^2)``, Gelman & Hill 2007, ch. 12-13).
With nested factors the finer group's coefficients are centred on the coarser group's
(``alpha_j ~ N(alpha_{k[j]}, ...)``). With crossed factors (ch. 13.5) each factor adds its own
zero-mean effects to the population coefficients: ``beta_0 + beta_{0j[i]} + beta_{0k[i]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..spec.design import Design
from . import latex
from .likelihood import data_model
from .notation import (
    Written,
    by_level,
    correlation_symbol,
    extra_terms,
    group_lines,
    matrix_symbols,
    parameter_tag,
    plus,
    product,
    sets_in_factor_order,
    special_term_lines,
    tagged,
    times,
)
from .structure import Column, Component, Parameter, Structure


def _key(components) -> tuple[str, ...]:
    return tuple(sorted(c.key for c in components))


def _coefficient(symbol: str, number, index: str) -> str:
    """``\\beta_{1j}``: a coefficient's number followed by a group index."""
    number = "" if number is None else str(number)
    separator = "," if len(number) > 1 and index else ""
    return latex.subscript(symbol, f"{number}{separator}{index}")


@dataclass
class _Part:
    """The coefficient of one level-1 predictor (the intercept's is empty) and the population
    columns that end up in it: its main effect, group-level predictors placed in its
    group-level model (``gammas``) or left in the data line (``data_terms``)."""

    components: tuple[Component, ...]
    main: Column | None = None
    varying: list[str] = field(default_factory=list)
    pending: list[tuple[Column, tuple[Component, ...]]] = field(default_factory=list)
    gammas: list[tuple[Column, tuple[Component, ...], str]] = field(default_factory=list)
    data_terms: list[tuple[Column, tuple[Component, ...], int]] = field(default_factory=list)
    number: int | None = None
    tag: str = ""

    @property
    def intercept(self) -> bool:
        return not self.components

    def symbol(self, index: str = "") -> str:
        base = tagged(r"\alpha" if self.intercept else r"\beta", self.tag)
        return _coefficient(base, None if self.intercept else self.number, index)

    @property
    def mean(self) -> str:
        """The population value of the coefficient: ``mu_alpha``, or ``gamma_0^alpha`` beside
        group-level predictors."""
        if self.gammas:
            return rf"\gamma^{{{self.symbol()}}}_{{0}}"
        return rf"\mu_{{{self.symbol()}}}"


class _Hierarchical:
    """Nested factors (or one): coefficients indexed by their finest varying group."""

    def __init__(self, design: Design, structure: Structure, written: Written) -> None:
        self.design, self.structure, self.written = design, structure, written
        self.parts = {p.name: self._parts(p) for p in structure.parameters}

    def _letter_at_level(self, level: int) -> str:
        return self.structure.letters[self.structure.factors[level - 2]]

    def data_index(self, component: Component) -> str:
        level = self.structure.levels[component.key]
        return "i" if level == 1 else f"{self._letter_at_level(level)}[i]"

    def group_index(self, component: Component, factor: str) -> str:
        level = self.structure.levels[component.key]
        letter = self._letter_at_level(level)
        here = self.structure.letters[factor]
        return letter if level == self.structure.level_of(factor) else f"{letter}[{here}]"

    def _parts(self, parameter: Parameter) -> list[_Part]:
        structure = self.structure
        parts: dict[tuple[str, ...], _Part] = {}
        tag = parameter_tag(parameter.name)

        def part_for(components) -> _Part:
            return parts.setdefault(_key(components), _Part(tuple(components), tag=tag))

        if parameter.intercept:
            part_for(()).main = Column("Intercept", ())
        for column in parameter.columns:
            low = tuple(c for c in column.components if structure.levels[c.key] == 1)
            high = tuple(c for c in column.components if structure.levels[c.key] > 1)
            part = part_for(low)
            if high or part.main is not None:
                part.pending.append((column, high))
            else:
                part.main = column
        for member in structure.varying(parameter.name):
            part_for(member.components).varying.append(member.group)
        ordered = sorted(parts.values(), key=lambda p: not p.intercept)
        for part in ordered:
            part.varying.sort(key=structure.factors.index)
            for column, high in part.pending:
                level = structure.part_level(high) if high else 1
                fitting = [f for f in part.varying if structure.level_of(f) <= level]
                if fitting:
                    part.gammas.append((column, high, fitting[-1]))
                else:
                    part.data_terms.append((column, high, 0))
        number = 0
        for part in ordered:
            if not part.intercept and (part.varying or part.main is not None):
                number += 1
                part.number = number
            numbered = []
            for column, high, _ in part.data_terms:
                number += 1
                numbered.append((column, high, number))
            part.data_terms = numbered
        return ordered

    def predictor(self, parameter: Parameter) -> str:
        terms = []
        for part in self.parts[parameter.name]:
            if part.varying or part.main is not None:
                index = f"{self.structure.letters[part.varying[0]]}[i]" if part.varying else ""
                terms.append(times(part.symbol(index), product(part.components,
                                                               self.data_index)))
            for column, _, number in part.data_terms:
                symbol = _coefficient(tagged(r"\beta", part.tag), number, "")
                terms.append(times(symbol, product(column.components, self.data_index)))
        return plus(terms + extra_terms(self.structure, parameter, "i"))

    def group_mean(self, part: _Part, factor: str) -> str:
        position = part.varying.index(factor)
        terms = []
        if position + 1 < len(part.varying):
            coarser = self.structure.letters[part.varying[position + 1]]
            terms.append(part.symbol(f"{coarser}[{self.structure.letters[factor]}]"))
        elif part.main is not None:
            terms.append(part.mean)
        for number, (_, high, at) in enumerate(part.gammas, start=1):
            if at == factor:
                gamma = rf"\gamma^{{{part.symbol()}}}_{{{number}}}"
                terms.append(times(gamma, product(high, lambda c: self.group_index(c, factor))))
        return plus(terms)

    def sd(self, part: _Part, factor: str) -> str:
        several = len(self.structure.factors) > 1
        return rf"\sigma_{{{part.symbol(self.structure.letters[factor] if several else '')}}}"

    def record_symbols(self) -> None:
        symbols = self.written.symbols
        for parameter in self.structure.parameters:
            for part in self.parts[parameter.name]:
                population = part.mean if part.varying else part.symbol()
                if part.main is not None:
                    key = (("Intercept", parameter.name) if part.intercept
                           else ("b", parameter.name, part.main.coef))
                    symbols[key] = population
                for number, (column, _, _) in enumerate(part.gammas, start=1):
                    symbols[("b", parameter.name, column.coef)] = \
                        rf"\gamma^{{{part.symbol()}}}_{{{number}}}"
                for column, _, number in part.data_terms:
                    symbols[("b", parameter.name, column.coef)] = \
                        _coefficient(tagged(r"\beta", part.tag), number, "")

    def member_part(self, dpar: str, components) -> _Part:
        return next(p for p in self.parts[dpar] if _key(p.components) == _key(components))

    def write_groups(self) -> None:
        structure = self.structure
        matrices = matrix_symbols(structure, r"\Sigma", lambda s: structure.letters[s.group])
        for n in sets_in_factor_order(structure):
            varying_set = structure.sets[n]
            factor = varying_set.group
            letter = structure.letters[factor]
            parts = [self.member_part(m.dpar, m.components) for m in varying_set.members]
            several = len(structure.factors) > 1
            labels = [p.symbol(letter if several else "") for p in parts]
            sds = [by_level(self.sd(p, factor), structure, varying_set) for p in parts]
            matrix = by_level(matrices.get(n, ""), structure, varying_set)
            self.written.lines += group_lines(
                structure, factor, [p.symbol(letter) for p in parts],
                [self.group_mean(p, factor) for p in parts], sds,
                lambda a, b, labels=labels: correlation_symbol(labels[a], labels[b]),
                matrix, varying_set.by, varying_set.cov)
            for member, sd in zip(varying_set.members, sds, strict=True):
                self.written.symbols[("sd", member.dpar, factor, member.coef)] = sd
            if matrix:
                self.written.symbols.setdefault(("cor", factor), []).append(matrix)


class _Crossed:
    """Crossed factors: population coefficients plus each factor's zero-mean effects."""

    def __init__(self, design: Design, structure: Structure, written: Written) -> None:
        self.design, self.structure, self.written = design, structure, written
        self.numbers = {p.name: self._numbers(p) for p in structure.parameters}

    def _numbers(self, parameter: Parameter) -> dict[tuple[str, ...], int]:
        numbers: dict[tuple[str, ...], int] = {}
        if parameter.intercept:
            numbers[()] = 0
        for number, column in enumerate(parameter.columns, start=1):
            numbers.setdefault(_key(column.components), number)
        extra = len(parameter.columns)
        for member in self.structure.varying(parameter.name):
            if _key(member.components) not in numbers:
                if not member.components:
                    numbers[()] = 0
                else:
                    extra += 1
                    numbers[_key(member.components)] = extra
        return numbers

    def index(self, component: Component) -> str:
        home = self.structure.homes[component.key]
        return f"{self.structure.letters[home]}[i]" if home else "i"

    def symbol(self, parameter: str, number: int, index: str = "") -> str:
        return _coefficient(tagged(r"\beta", parameter_tag(parameter)), number, index)

    def predictor(self, parameter: Parameter) -> str:
        numbers = self.numbers[parameter.name]
        components = {0: ()}
        components.update({numbers[_key(c.components)]: c.components for c in parameter.columns})
        for member in self.structure.varying(parameter.name):
            components.setdefault(numbers[_key(member.components)], member.components)
        population = {0} if parameter.intercept else set()
        population |= {numbers[_key(c.components)] for c in parameter.columns}
        terms = []
        for number in sorted(set(numbers.values())):
            symbols = [self.symbol(parameter.name, number)] if number in population else []
            for factor in self.structure.factors:
                if any(m.group == factor and numbers[_key(m.components)] == number
                       for m in self.structure.varying(parameter.name)):
                    letter = self.structure.letters[factor]
                    symbols.append(self.symbol(parameter.name, number, f"{letter}[i]"))
            predictor = product(components[number], self.index)
            coefficient = plus(symbols)
            if predictor and len(symbols) > 1:
                coefficient = f"({coefficient})"
            terms.append(times(coefficient, predictor))
        return plus(terms + extra_terms(self.structure, parameter, "i"))

    def record_symbols(self) -> None:
        for parameter in self.structure.parameters:
            numbers = self.numbers[parameter.name]
            if parameter.intercept:
                self.written.symbols[("Intercept", parameter.name)] = \
                    self.symbol(parameter.name, 0)
            for column in parameter.columns:
                self.written.symbols[("b", parameter.name, column.coef)] = \
                    self.symbol(parameter.name, numbers[_key(column.components)])

    def write_groups(self) -> None:
        structure = self.structure
        matrices = matrix_symbols(structure, r"\Sigma", lambda s: structure.letters[s.group])
        for n in sets_in_factor_order(structure):
            varying_set = structure.sets[n]
            letter = structure.letters[varying_set.group]
            effects = [self.symbol(m.dpar, self.numbers[m.dpar][_key(m.components)], letter)
                       for m in varying_set.members]
            sds = [by_level(rf"\sigma_{{{effect}}}", structure, varying_set)
                   for effect in effects]
            matrix = by_level(matrices.get(n, ""), structure, varying_set)
            self.written.lines += group_lines(
                structure, varying_set.group, effects, ["0"] * len(effects), sds,
                lambda a, b, effects=effects: correlation_symbol(effects[a], effects[b]),
                matrix, varying_set.by, varying_set.cov)
            for member, sd in zip(varying_set.members, sds, strict=True):
                self.written.symbols[("sd", member.dpar, varying_set.group, member.coef)] = sd
            if matrix:
                self.written.symbols.setdefault(("cor", varying_set.group), []).append(matrix)


def _hierarchical(structure: Structure) -> bool:
    """Whether the coefficients can be written level by level: nested factors whose varying
    coefficients are all of level-1 predictors."""
    return structure.nested and all(
        structure.levels[c.key] == 1 for s in structure.sets for m in s.members
        for c in m.components)


def write(design: Design, structure: Structure) -> Written:
    """The model in Gelman & Hill's notation."""
    written = Written()
    form = (_Hierarchical if _hierarchical(structure) else _Crossed)(design, structure, written)
    predictors = {p.name: form.predictor(p) for p in structure.parameters}
    written.lines += data_model(design, structure, predictors, "i", inline=True,
                                symbols=written.symbols)
    form.write_groups()
    written.lines += special_term_lines(design, structure, "i", written.symbols)
    form.record_symbols()
    return written

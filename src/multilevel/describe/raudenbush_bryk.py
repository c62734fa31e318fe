"""Raudenbush & Bryk's notation: one equation per level.

Level 1 writes the response with coefficients that may vary between groups
(``y_ij = beta_0j + beta_1j x_ij + e_ij``); each higher level writes every coefficient of the
level below as an outcome of that level's predictors (``beta_0j = gamma_00 + gamma_01 W_j +
u_0j``). A predictor belongs to the coarsest level it is constant within, so a cross-level
interaction ``W:x`` becomes ``W_j`` predicting the slope of ``x`` (slopes as outcomes). Three
levels take R&B's symbols pi, beta, gamma with effects e, r, u (Raudenbush & Bryk 2002, ch. 8);
crossed factors are written at level 2 side by side, each with its own effects u, v, w (ch. 12).
``expand=True`` substitutes the higher levels into level 1: the combined (mixed) model.
"""

from __future__ import annotations

from ..spec.design import Design
from . import latex
from .likelihood import data_model, residual_form
from .lines import EquationLine
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
from .structure import Parameter, Structure, VaryingSet

# coefficients of the levels from the top (fixed) down; effects of the group levels likewise
_COEFFICIENTS = [r"\gamma", r"\beta", r"\pi", r"\psi", r"\lambda", r"\omega", r"\kappa"]
_NESTED_EFFECTS = ["u", "r", "v", "w", "s", "q"]
_CROSSED_EFFECTS = ["u", "v", "w", "s", "q", "z"]


def _nth(symbols: list[str], position: int) -> str:
    """The symbol at ``position``, numbered past the end of the list."""
    if position < len(symbols):
        return symbols[position]
    return f"{symbols[-1]}{position - len(symbols) + 2}"


def _key(components) -> tuple[str, ...]:
    return tuple(sorted(c.key for c in components))


def _subscript(numbers, letters: str) -> str:
    indices = latex.join_indices(*numbers)
    separator = "," if "," in indices and letters else ""
    return f"{indices}{separator}{letters}"


class _Tree:
    """One parameter's coefficients level by level.

    Every population column is a path of numbers, one per level: the number of its predictor
    at that level (0 for none), so ``meanses:ses`` in a two-level model is ``(1, 1)``:
    ``gamma_11`` on the slope ``beta_1j`` of ses, predicted by meanses. A coefficient of level
    ``m`` is a prefix of length ``m``; the group effects attach to the prefixes their
    coefficients name.
    """

    def __init__(self, structure: Structure, parameter: Parameter) -> None:
        self.structure, self.parameter = structure, parameter
        depth = structure.depth
        self.numbers: list[dict[tuple[str, ...], int]] = [{} for _ in range(depth + 1)]
        self.components: dict[tuple[int, int], tuple] = {}
        self.paths: dict[str, tuple[int, ...]] = {}
        if parameter.intercept:
            self.paths["Intercept"] = (0,) * depth
        for column in parameter.columns:
            self.paths[column.coef] = tuple(
                self._number(level, [c for c in column.components
                                     if structure.levels[c.key] == level])
                for level in range(1, depth + 1))
        self.effects: dict[tuple[int, ...], list] = {}
        self.member_paths = {}
        for member in structure.varying(parameter.name):
            top = structure.level_of(member.group)
            path = tuple(self._number(level, [c for c in member.components
                                              if structure.levels[c.key] == level])
                         for level in range(1, top))
            self.effects.setdefault(path, []).append(member)
            self.member_paths[(member.group, member.coef)] = path
        prefixes = set()
        for path in list(self.paths.values()) + list(self.effects):
            prefixes.update(path[:length] for length in range(1, len(path) + 1))
        self.nodes = sorted(prefixes)

    def _number(self, level: int, components) -> int:
        if not components:
            return 0
        known = self.numbers[level]
        number = known.setdefault(_key(components), len(known) + 1)
        self.components[(level, number)] = tuple(components)
        return number

    def at_level(self, level: int) -> list[tuple[int, ...]]:
        return [node for node in self.nodes if len(node) == level]

    def varied(self) -> list[tuple[int, ...]]:
        """The coefficients with group effects, in order."""
        return [node for node in self.nodes if node in self.effects]

    def children(self, node: tuple[int, ...]) -> list[tuple[int, ...]]:
        return [child for child in self.nodes
                if len(child) == len(node) + 1 and child[:-1] == node]


class _Writer:
    def __init__(self, design: Design, structure: Structure) -> None:
        self.design, self.structure = design, structure
        self.depth = structure.depth
        self.trees = {p.name: _Tree(structure, p) for p in structure.parameters}
        self.several = len(structure.factors) > 1
        self.written = Written()

    # --- subscripts ------------------------------------------------------------------
    def _letter(self, level: int) -> str:
        return self.structure.letters[self.structure.factors[level - 2]]

    def _letters_above(self, level: int) -> str:
        """The letters indexing a coefficient of ``level``: those of the levels above it."""
        if not self.structure.nested:
            return "".join(self.structure.letters.values()) if level == 1 else ""
        return "".join(self._letter(m) for m in range(level + 1, self.depth + 1))

    @property
    def observation(self) -> str:
        return "i" + self._letters_above(1)

    def component_index(self, component) -> str:
        level = self.structure.levels[component.key]
        if level == 1:
            return self.observation
        if not self.structure.nested:
            return self.structure.letters[self.structure.homes[component.key]]
        return "".join(self._letter(m) for m in range(level, self.depth + 1))

    # --- symbols ---------------------------------------------------------------------
    def coefficient(self, parameter: str, node: tuple[int, ...]) -> str:
        name = r"\beta" if self.depth == 1 else _nth(_COEFFICIENTS, self.depth - len(node))
        symbol = tagged(name, parameter_tag(parameter))
        return latex.subscript(symbol, _subscript(node, self._letters_above(len(node))))

    def predictor(self, parameter: str, level: int, number: int) -> str:
        if number == 0:
            return ""
        components = self.trees[parameter].components[(level, number)]
        return product(components, self.component_index)

    def _effect_letter(self, group: str) -> str:
        if self.structure.nested:
            level = self.structure.level_of(group)
            return _nth(_NESTED_EFFECTS, self.depth - level)
        return _nth(_CROSSED_EFFECTS, self.structure.factors.index(group))

    def effect(self, member) -> str:
        path = self.trees[member.dpar].member_paths[(member.group, member.coef)]
        if self.structure.nested:
            level = self.structure.level_of(member.group)
            letters = "".join(self._letter(m) for m in range(level, self.depth + 1))
        else:
            letters = self.structure.letters[member.group]
        symbol = tagged(self._effect_letter(member.group), parameter_tag(member.dpar))
        return latex.subscript(symbol, _subscript(path, letters))

    def _label(self, member, mixed: bool) -> str:
        path = self.trees[member.dpar].member_paths[(member.group, member.coef)]
        label = (self._effect_letter(member.group) if self.several else "") + \
            latex.join_indices(*path)
        tag = parameter_tag(member.dpar)
        return f"{label}^{{{tag}}}" if mixed and tag else label

    def sd(self, member) -> str:
        return tagged(r"\tau", parameter_tag(member.dpar)) + f"_{{{self._label(member, False)}}}"

    # --- lines -----------------------------------------------------------------------
    def linear_predictor(self, parameter: Parameter) -> str:
        tree = self.trees[parameter.name]
        terms = [times(self.coefficient(parameter.name, node),
                       self.predictor(parameter.name, 1, node[0]))
                 for node in tree.at_level(1)]
        return plus(terms + extra_terms(self.structure, parameter, self.observation))

    def level_equations(self, level: int) -> list[EquationLine]:
        lines = []
        for parameter in self.structure.parameters:
            tree = self.trees[parameter.name]
            for node in tree.at_level(level - 1):
                terms = [times(self.coefficient(parameter.name, child),
                               self.predictor(parameter.name, level, child[-1]))
                         for child in tree.children(node)]
                terms += [self.effect(m) for m in tree.effects.get(node, [])
                          if self.structure.level_of(m.group) == level]
                lines.append(EquationLine(self.coefficient(parameter.name, node), "=",
                                          plus(terms)))
        return lines

    def expanded_predictor(self, parameter: Parameter) -> str:
        tree = self.trees[parameter.name]
        name = parameter.name

        def predictors(path) -> str:
            parts = [self.predictor(name, level, number)
                     for level, number in reversed(list(enumerate(path, start=1)))]
            return r"\,".join(p for p in parts if p)

        fixed = [times(self.coefficient(name, path), predictors(path))
                 for path in sorted(tree.paths.values())]
        random = [times(self.effect(m), predictors(node))
                  for factor in self.structure.factors for node in tree.varied()
                  for m in tree.effects.get(node, []) if m.group == factor]
        return plus(fixed + random + extra_terms(self.structure, parameter, self.observation))

    def set_lines(self, number: int, varying_set: VaryingSet, matrices) -> list[EquationLine]:
        members = varying_set.members
        mixed = len({m.dpar for m in members}) > 1
        labels = [self._label(m, mixed) for m in members]
        separator = "," if any(len(label) > 1 for label in labels) else ""
        sds = [by_level(self.sd(m), self.structure, varying_set) for m in members]
        matrix = by_level(matrices.get(number, ""), self.structure, varying_set)
        for member, sd in zip(members, sds, strict=True):
            self.written.symbols[("sd", member.dpar, member.group, member.coef)] = sd
        if matrix:
            self.written.symbols.setdefault(("cor", varying_set.group), []).append(matrix)
        return group_lines(
            self.structure, varying_set.group, [self.effect(m) for m in members],
            ["0"] * len(members), sds,
            lambda a, b: correlation_symbol(labels[a], labels[b], separator), matrix,
            varying_set.by, varying_set.cov)

    def record_symbols(self) -> None:
        for parameter in self.structure.parameters:
            for coef, path in self.trees[parameter.name].paths.items():
                key = (("Intercept", parameter.name) if coef == "Intercept"
                       else ("b", parameter.name, coef))
                self.written.symbols[key] = self.coefficient(parameter.name, path)

    def write(self, expand: bool) -> Written:
        structure = self.structure
        residual = (latex.subscript("e", self.observation) if residual_form(self.design)
                    else "")
        predictor = self.expanded_predictor if expand else self.linear_predictor
        predictors = {p.name: predictor(p) for p in structure.parameters}
        lines = self.written.lines
        matrices = matrix_symbols(structure, r"\mathbf{T}",
                                  lambda s: self._effect_letter(s.group))
        model = data_model(self.design, structure, predictors, self.observation,
                           inline=False, residual=residual, symbols=self.written.symbols)
        smooths = special_term_lines(self.design, structure, self.observation, self.written.symbols)
        if expand or self.depth == 1:
            lines += model + smooths
            for number in sets_in_factor_order(structure):
                lines += self.set_lines(number, structure.sets[number], matrices)
        else:
            lines += [EquationLine(r"\text{Level 1}")] + model + smooths
            for level in range(2, self.depth + 1):
                lines.append(EquationLine(rf"\text{{Level {level}}}"))
                lines += self.level_equations(level)
                for number, varying_set in enumerate(structure.sets):
                    if structure.level_of(varying_set.group) == level:
                        lines += self.set_lines(number, varying_set, matrices)
        self.record_symbols()
        return self.written


def write(design: Design, structure: Structure, expand: bool = False) -> Written:
    """The model in Raudenbush & Bryk's notation, level by level or combined (``expand``)."""
    return _Writer(design, structure).write(expand)

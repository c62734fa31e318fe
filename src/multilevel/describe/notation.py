"""Pieces both notations write alike: products of predictors, normal and multivariate normal
lines, covariance matrices."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..names import r_level_label
from . import latex
from .lines import EquationLine
from .structure import Component, Structure, VaryingSet, matrix_columns


@dataclass
class Written:
    """A notation's lines and the symbol it gave each parameter, for the priors.

    ``symbols`` keys: ``("Intercept", dpar)``, ``("b", dpar, coef)``,
    ``("sd", dpar, group, coef)``, ``("cor", group)`` (a list of matrices), ``("aux", name)``,
    ``("thresholds",)``.
    """

    lines: list[EquationLine] = field(default_factory=list)
    symbols: dict[tuple, object] = field(default_factory=dict)


def tagged(symbol: str, tag: str) -> str:
    """A coefficient's symbol marked with its parameter: ``\\beta^{\\sigma}``."""
    return f"{symbol}^{{{tag}}}" if tag else symbol


def parameter_tag(name: str) -> str:
    return latex.aux_symbol(name) if name else ""


def product(components, index_of) -> str:
    """Components written side by side, each with the subscript ``index_of(component)``."""
    return r"\,".join(component_latex(c, index_of(c)) for c in components)


def component_latex(component: Component, index: str) -> str:
    if component.indicator:
        return latex.subscript(latex.name(component.key), index)
    return latex.expression(component.key, index, set(component.variables))


def squared(symbol: str) -> str:
    """``symbol^{2}``, in parentheses where the symbol has its own superscript."""
    depth = 0
    for char in symbol:
        depth += char == "{"
        depth -= char == "}"
        if char == "^" and depth == 0:
            return f"({symbol})^{{2}}"
    return f"{symbol}^{{2}}"


def times(coefficient: str, predictor: str) -> str:
    return f"{coefficient}\\,{predictor}" if predictor else coefficient


def plus(terms) -> str:
    """Terms joined with ``+``; a term beginning with a minus sign is subtracted."""
    text = ""
    for term in terms:
        if not text:
            text = term
        elif term.startswith("-"):
            text += f" - {term[1:]}"
        else:
            text += f" + {term}"
    return text or "0"


def column_vector(entries: list[str]) -> str:
    return rf"({', '.join(entries)})^{{\top}}"


def covariance_matrix(sds: list[str], correlations: dict[tuple[int, int], str]) -> str:
    """A covariance matrix written out: variances on the diagonal, ``rho sd sd`` off it.

    Its columns are stacks (``\\substack``) that mathtext draws as well as LaTeX does.
    """
    size = len(sds)
    columns = []
    for col in range(size):
        cells = []
        for row in range(size):
            if row == col:
                cells.append(squared(sds[row]))
            else:
                pair = (min(row, col), max(row, col))
                cells.append(f"{correlations[pair]}{sds[pair[0]]}{sds[pair[1]]}")
        columns.append(r"\substack{" + r" \\ ".join(cells) + "}")
    return r"\left(" + r" \quad ".join(columns) + r"\right)"


def correlation_symbol(first: str, second: str, separator: str = "") -> str:
    return rf"\rho_{{{first}{separator}{second}}}"


def group_note(structure: Structure, group: str, by: str = "") -> str:
    letter = structure.letters[group]
    note = (rf"\text{{, for }}{latex.name(group)}\ {letter} = 1, \ldots, "
            rf"{structure.sizes[group]}")
    return note + (rf"\text{{, with sds by }}{latex.name(by)}" if by else "")


def by_level(symbol: str, structure: Structure, varying_set: VaryingSet) -> str:
    """A set's sd or covariance matrix symbol as each group level's by level has it,
    ``\\sigma_{\\alpha,\\mathrm{arm}[j]}``; the symbol itself without a by column."""
    if not varying_set.by or not symbol:
        return symbol
    return _by_indexed(symbol, structure, varying_set.group, varying_set.by)


def _by_indexed(symbol: str, structure: Structure, group: str, by: str) -> str:
    index = f"{latex.name(by)}[{structure.letters[group]}]"
    if symbol.endswith("}") and "_{" in symbol:
        return f"{symbol[:-1]},{index}}}"
    return latex.subscript(symbol, index)


def group_lines(structure: Structure, group: str, effects: list[str], means: list[str],
                sds: list[str], correlation, matrix: str, by: str = "",
                cov: str = "") -> list[EquationLine]:
    """The distribution of one set of group-level effects: normal for one, else multivariate
    normal with its covariance matrix written out; ``correlation(a, b)`` names the correlation
    of effects ``a`` and ``b``, ``by`` the column whose levels have their own sds, ``cov``
    the matrix of data2 that correlates the levels (``gr(g, cov = A)``)."""
    note = group_note(structure, group, by)
    letter = structure.letters[group]
    known = rf"{latex.name(cov)}_{{{letter}{letter}}}\," if cov else ""
    if len(effects) == 1:
        lines = [EquationLine(effects[0], r"\sim",
                              rf"\mathrm{{N}}({means[0]}, {known}{squared(sds[0])})", note)]
        joint = effects[0], squared(sds[0])
    else:
        zero = all(m == "0" for m in means)
        mean = r"\mathbf{0}" if zero else column_vector(means)
        correlations = {(a, b): correlation(a, b)
                        for a in range(len(effects)) for b in range(a + 1, len(effects))}
        if by:
            correlations = {pair: _by_indexed(symbol, structure, group, by)
                            for pair, symbol in correlations.items()}
        lines = [EquationLine(column_vector(effects), r"\sim",
                              rf"\mathrm{{MVN}}({mean}, {known}{matrix})", note),
                 EquationLine(matrix, "=", covariance_matrix(sds, correlations))]
        joint = column_vector(effects), matrix
    if cov:
        # the levels are jointly normal, correlated as the known matrix says
        other = [_at_other_level(effect, letter) for effect in effects]
        lines.insert(1, EquationLine(
            rf"\operatorname{{Cov}}({joint[0]}, "
            + (other[0] if len(effects) == 1 else column_vector(other)) + ")", "=",
            rf"{latex.name(cov)}_{{{letter}{letter}'}}\,{joint[1]}",
            rf"\text{{, jointly normal, with }}{latex.name(cov)}\text{{ from data2}}"))
    return lines


def _at_other_level(symbol: str, letter: str) -> str:
    """An effect's symbol at another level ``letter'``: ``u_{0j}`` becomes ``u_{0j'}``."""
    position = symbol.rfind(letter, symbol.rfind("_"))
    if position < 0:
        return symbol + "'"
    return symbol[:position + len(letter)] + "'" + symbol[position + len(letter):]


def matrix_symbols(structure: Structure, base: str, suffix_of) -> dict[int, str]:
    """The symbol of each correlated set's covariance matrix: ``base`` alone when there is
    one, else subscripted by ``suffix_of(set)`` (numbered where a suffix repeats)."""
    correlated = [n for n, s in enumerate(structure.sets) if len(s.members) > 1]
    if len(correlated) == 1:
        return {correlated[0]: base}
    suffixes = [suffix_of(structure.sets[n]) for n in correlated]
    symbols = {}
    for n, suffix in zip(correlated, suffixes, strict=True):
        if suffixes.count(suffix) > 1:
            suffix = f"{suffix},{suffixes[:correlated.index(n) + 1].count(suffix)}"
        symbols[n] = latex.subscript(base, suffix)
    return symbols


def sets_in_factor_order(structure: Structure) -> list[int]:
    return sorted(range(len(structure.sets)),
                  key=lambda n: structure.factors.index(structure.sets[n].group))


def _smooth_name(structure: Structure, number: int) -> str:
    return "s" if len(structure.smooths) == 1 else f"s_{{{number}}}"


def _monotonic_label(structure: Structure, number: int) -> str:
    return r"\mathrm{mo}" if len(structure.monotonic) == 1 else rf"\mathrm{{mo}}{number}"


def _monotonic_function(structure: Structure, number: int) -> str:
    return (r"\operatorname{mo}" if len(structure.monotonic) == 1
            else rf"\operatorname{{mo}}_{{{number}}}")


def extra_terms(structure: Structure, parameter, index: str) -> list[str]:
    """A linear predictor's offsets, smooths and monotonic effects, such as ``log(t_i)``,
    ``s(x_i)`` and ``beta_mo mo(x_i)``."""
    terms = [latex.expression(offset, index, structure.data_columns)
             for offset in parameter.offsets]
    if not parameter.name:
        terms += [f"{_smooth_name(structure, n)}({latex.subscript(latex.name(v), index)})"
                  for n, v in enumerate(structure.smooths, start=1)]
        terms += [rf"\beta_{{{_monotonic_label(structure, n)}}}\,"
                  rf"{_monotonic_function(structure, n)}"
                  rf"({latex.subscript(latex.name(v), index)})"
                  + "".join(rf"\,{latex.subscript(latex.name(c), index)}" for c in covariates)
                  for n, (v, covariates) in enumerate(structure.monotonic, start=1)]
    return terms


def special_term_lines(design, structure: Structure, index: str,
                       symbols: dict) -> list[EquationLine]:
    """Each smooth as brms builds it (a linear trend plus penalised basis functions whose
    coefficients share one standard deviation), then each monotonic effect (the whole
    effect's share reached at each position, from a simplex)."""
    return (_smooth_lines(design, structure, index, symbols)
            + _monotonic_lines(design, structure, index, symbols))


def _monotonic_lines(design, structure: Structure, index: str,
                     symbols: dict) -> list[EquationLine]:
    lines = []
    single = len(design.monotonic) == 1
    for number, part in enumerate(design.monotonic, start=1):
        label = _monotonic_label(structure, number)
        x = latex.subscript(latex.name(part.term.variable), index)
        zeta = r"\zeta" if single else rf"\zeta^{{({number})}}"
        lines.append(EquationLine(
            f"{_monotonic_function(structure, number)}({x})", "=",
            rf"{part.size} \sum_{{k=1}}^{{{x}}} {zeta}_{{k}}",
            rf"\text{{, {latex.escape(part.term.variable)} counted 0, 1, \ldots, "
            rf"{part.size}; }}{zeta} \text{{ a simplex}}"))
        symbols[("b", "", part.term.coef)] = rf"\beta_{{{label}}}"
        symbols[("simo", part.term.simplex)] = zeta
    return lines


def _smooth_lines(design, structure: Structure, index: str,
                  symbols: dict) -> list[EquationLine]:
    lines = []
    for number, part in enumerate(design.smooths, start=1):
        single = len(design.smooths) == 1
        label = "s" if single else f"s_{{{number}}}"
        k = "k" if single else f"{number}k"
        x = latex.subscript(latex.name(part.term.variable), index)
        names = part.fixed_names
        trends = ([rf"\beta_{{{label}}}"] if len(names) == 1
                  else [rf"\beta_{{{label},{j}}}" for j in range(1, len(names) + 1)])
        fixed = (rf"{trends[0]}\,{x}" if len(names) == 1
                 else rf"{trends[0]} + {trends[1]}\,{x}")
        sd = rf"\sigma_{{{label}}}"
        value = rf"{fixed} + \sum_{{k=1}}^{{{part.size}}} z_{{{k}}}\,B_{{{k}}}({x})"
        if part.term.by is not None:
            by = latex.subscript(latex.name(part.term.by), index)
            if part.level is not None:  # one smooth per level of a factor
                level = latex.escape(r_level_label(part.level))
                by = rf"\mathrm{{I}}({by} = \text{{{level}}})"
            value = rf"\left({value}\right) {by}"
        lines.append(EquationLine(f"{_smooth_name(structure, number)}({x})", "=", value))
        lines.append(EquationLine(f"z_{{{k}}}", r"\sim", rf"\mathrm{{N}}(0, {sd}^{{2}})",
                                  r"\text{, thin plate regression spline basis } B"))
        for name, trend in zip(names, trends, strict=True):
            symbols[("b", "", name)] = trend
        symbols[("sds", part.label)] = sd
    return lines


def category_specific_terms(design, structure: Structure, index: str) -> list[tuple[str, str]]:
    """Each ``cs()`` column's coefficient symbol, one per threshold ``c`` (``\\delta_{c}``, or
    ``\\delta_{1c}``, ... for several columns), with the column it multiplies."""
    if design.category_specific is None:
        return []
    columns = [column for column in matrix_columns(design.category_specific.terms,
                                                   structure.data_columns)
               if column.coef != "Intercept"]
    single = len(columns) == 1
    return [(r"\delta_{c}" if single else rf"\delta_{{{number}c}}",
             product(column.components, lambda _: index))
            for number, column in enumerate(columns, start=1)]


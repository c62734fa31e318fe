"""The priors in force, written with the symbols of the chosen notation.

The prior table already holds each parameter's prior, brms's default or the user's, with
vectorized rows inheriting from their class; parameters sharing a prior share a line.
"""

from __future__ import annotations

from ..priors.table import PriorRow, PriorTable
from ..spec.design import Design
from . import latex
from .lines import EquationLine
from .notation import category_specific_terms, sets_in_factor_order
from .structure import Structure

_MEANS_NOTE = r"\text{, intercept at the predictors' means}"
_THRESHOLDS_NOTE = r"\text{, thresholds at the predictors' means}"


def _line(symbols: list[str], row: PriorRow, note: str = "") -> EquationLine:
    if row.prior.name == "flat":
        low, high = row.lb or r"-\infty", row.ub or r"\infty"
        bounds = rf"\text{{, on }} ({low}, {high})" if row.lb or row.ub else ""
        return EquationLine(f"p({', '.join(symbols)})", r"\propto", "1", bounds + note)
    distribution, bounds = latex.prior(row.prior, row.lb, row.ub)
    return EquationLine(", ".join(symbols), r"\sim", distribution, bounds + note)


def _grouped(entries: list[tuple[str, PriorRow]], note: str = "") -> list[EquationLine]:
    """One line per distinct prior, its parameters in order of first appearance."""
    groups: dict[tuple, tuple[list[str], PriorRow]] = {}
    for symbol, row in entries:
        key = (str(row.prior), row.lb, row.ub)
        groups.setdefault(key, ([], row))[0].append(symbol)
    return [_line(symbols, row, note) for symbols, row in groups.values()]


def _in_order_written(entries: list[tuple[str, PriorRow]], text: str):
    """The entries in the order their symbols first appear in the equations above."""
    def position(entry):
        found = text.find(entry[0])
        return len(text) if found < 0 else found
    return sorted(entries, key=position)


def prior_lines(design: Design, structure: Structure, table: PriorTable, symbols: dict,
                written: list[EquationLine]) -> list[EquationLine]:
    """The priors of every parameter of the model, after a ``Priors`` heading."""
    rows = {row.key: row for row in table.rows}
    text = " ".join(line.latex for line in written)
    lines = [EquationLine(r"\text{Priors}")]
    for parameter in structure.parameters:
        dpar = parameter.name
        if design.family.ordinal and not dpar:
            thresholds = [(rf"\theta_{{{k}}}", rows[("Intercept", str(k), "", "")])
                          for k in range(1, design.thresholds + 1)]
            lines += _grouped(thresholds, _THRESHOLDS_NOTE if parameter.columns else "")
        elif ("Intercept", "", "", dpar) in rows and ("Intercept", dpar) in symbols:
            note = _MEANS_NOTE if parameter.columns or parameter.smooths else ""
            lines += _grouped([(symbols[("Intercept", dpar)], rows[("Intercept", "", "", dpar)])],
                              note)
        elif ("b", "Intercept", "", dpar) in rows and ("Intercept", dpar) in symbols:
            # '0 + Intercept': the intercept has a b prior, on the uncentred predictors
            lines += _grouped([(symbols[("Intercept", dpar)], rows[("b", "Intercept", "", dpar)])])
        coefficients = [(symbols[("b", dpar, c.coef)], rows[("b", c.coef, "", dpar)])
                        for c in parameter.columns]
        if not dpar:
            coefficients += [(symbols[("b", "", name)], rows[("b", name, "", "")])
                             for part in design.smooths for name in part.fixed_names]
            coefficients += [(symbols[("b", "", part.term.coef)],
                              rows[("b", part.term.coef, "", "")])
                             for part in design.monotonic]
        lines += _grouped(_in_order_written(coefficients, text))
        if not dpar and design.category_specific is not None:
            # one prior for each cs() column's coefficients at every threshold
            symbols_cs = category_specific_terms(design, structure, "")
            lines += _grouped([(symbol, rows[("b", name, "", "")]) for (symbol, _), name
                               in zip(symbols_cs, design.category_specific.names, strict=True)],
                              rf"\text{{, for }} c = 1, \ldots, {design.thresholds}")
    means = design.family.formula_parameters
    if design.family.ordered_intercepts and all(("Intercept", m) in symbols for m in means):
        # brms's order = "mu": the components' intercepts increase
        ordered = [symbols[("Intercept", m)] for m in means]
        lines.append(EquationLine(ordered[0], "<", " < ".join(ordered[1:]),
                                  r"\text{, which identifies the components}"))
    sds = [(symbols[("sd", m.dpar, m.group, m.coef)], rows[("sd", m.coef, m.group, m.dpar)])
           for n in sets_in_factor_order(structure) for m in structure.sets[n].members]
    lines += _grouped(sds)
    lines += _grouped([(symbols[("sds", part.label)], rows[("sds", part.term.label, "", "")])
                       for part in design.smooths])
    lines += _grouped([(symbols[("simo", part.term.simplex)],
                        rows[("simo", part.term.simplex, "", "")]) for part in design.monotonic])
    correlations = [(rf"\mathrm{{corr}}({matrix})", rows[("cor", "", group, "")])
                    for group in structure.factors for matrix in symbols.get(("cor", group), [])]
    lines += _grouped(correlations)
    family = design.family
    constants = [(latex.aux_symbol(a.name), rows[(a.name, "", "", "")])
                 for a in family.aux
                 if a.name not in design.dpars and a.name not in design.fixed_aux
                 and a.name not in family.mixing_proportions]
    if ("theta", "", "", "") in rows:
        # a mixture's proportions: one simplex with one prior
        constants.append((latex.aux_symbol("theta"), rows[("theta", "", "", "")]))
    lines += _grouped(constants)
    lines += _grouped([(symbols[("autocor", key[0])], row) for key, row in rows.items()
                       if ("autocor", key[0]) in symbols])
    return lines

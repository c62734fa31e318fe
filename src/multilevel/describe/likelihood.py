"""The data model of both notations: the response's distribution and the links of its
parameters to their linear predictors."""

from __future__ import annotations

from ..spec.design import Design
from ..spec.truncation import truncation_bounds_text
from . import latex
from .lines import EquationLine
from .notation import category_specific_terms, times
from .structure import Structure


def response(design: Design, structure: Structure, index: str) -> str:
    if design.family.columns:
        # the row of the response's columns
        return "(" + ", ".join(latex.expression(part, index, structure.data_columns)
                               for part in design.spec.cbind) + ")"
    return latex.expression(design.spec.response_label, index, structure.data_columns)


def trials(design: Design, structure: Structure, index: str) -> str:
    spec = design.spec
    if "trials" in spec.additions:
        return latex.expression(spec.additions["trials"], index, structure.data_columns)
    if spec.cbind is not None:
        return latex.expression(f"{spec.cbind[0]} + ({spec.cbind[1]})", index,
                                structure.data_columns)
    return ""


def residual_form(design: Design) -> bool:
    """Whether the level-1 model is ``y = linear predictor + e`` with normal ``e``, as
    Raudenbush & Bryk write a normal model."""
    family = design.family
    return (family.normal and family.link == "identity" and "sigma" not in design.dpars
            and design.autocor is None)


def _lagged(index: str, k: int) -> str:
    return f"i-{k}" if index == "i" else f"(i-{k}){index[1:]}"


def _autocor_model(design: Design, structure: Structure, predictor: str, index: str,
                   aux: dict[str, str], note: str, symbols: dict) -> list[EquationLine]:
    """A residual structure: ARMA terms on the earlier residuals of the same series (brms's
    ``cov = FALSE``), or the joint distribution of a series under compound symmetry
    (``cosy``) or unstructured correlations (``unstr``)."""
    term = design.autocor.term
    family = design.family
    eta = latex.subscript(r"\eta", index)
    within = (rf"\text{{, within each }}{latex.name(term.gr)}" if term.gr
              else r"\text{, in time order}")
    each = (rf"\text{{, for each }}{latex.name(term.gr)}\ s" if term.gr
            else r"\text{, one series } s")
    if term.kind == "arma":
        mu = latex.indexed(r"\mu", index)
        y_at = [latex.expression(design.spec.response_label, _lagged(index, k),
                                 structure.data_columns)
                for k in range(1, max(term.p, term.q) + 1)]
        terms = [eta]
        terms += [rf"\phi_{{{k}}}({y_at[k - 1]} - \eta_{{{_lagged(index, k)}}})"
                  for k in range(1, term.p + 1)]
        terms += [rf"\theta_{{{k}}}({y_at[k - 1]} - \mu_{{{_lagged(index, k)}}})"
                  for k in range(1, term.q + 1)]
        if term.p:
            symbols[("autocor", "ar")] = ", ".join(rf"\phi_{{{k}}}" for k in range(1, term.p + 1))
        if term.q:
            symbols[("autocor", "ma")] = ", ".join(rf"\theta_{{{k}}}"
                                                   for k in range(1, term.q + 1))
        y = response(design, structure, index)
        return [EquationLine(y, r"\sim", latex.distribution(family, mu, aux, ""), note),
                EquationLine(mu, "=", " + ".join(terms), within),
                EquationLine(eta, "=", predictor)]
    vector = rf"\mathbf{{{latex.escape(design.spec.response_label)}}}_{{s}}"
    covariance = rf"\boldsymbol{{\eta}}_{{s}}, {aux['sigma']}^{{2}}\mathbf{{R}}"
    joint = (rf"\mathrm{{MVStudent}}\text{{-}}t({aux['nu']}, {covariance})" if "nu" in aux
             else rf"\mathrm{{MVN}}({covariance})")
    lines = [EquationLine(vector, r"\sim", joint, each + note),
             EquationLine(eta, "=", predictor)]
    if term.kind == "cosy":
        symbols[("autocor", "cosy")] = r"\rho"
        lines.append(EquationLine(r"\mathbf{R}", "=",
                                  r"(1 - \rho)\mathbf{I} + \rho\mathbf{1}\mathbf{1}^{\top}"))
    else:
        symbols[("autocor", "cortime")] = r"\mathbf{R}"
        count = len(design.autocor.time_labels)
        lines.append(EquationLine(
            r"\mathbf{R}", "=", rf"(\rho_{{tu}})_{{t,u = 1, \ldots, {count}}}",
            rf"\text{{, unstructured correlations over }}{latex.name(term.time)}"))
    return lines


# each ordinal model's probability on the link scale, and whether the threshold comes first
# in what it equals (cumulative and stopping ratio: theta_c - eta; else eta - theta_c)
_ORDINAL_PROBABILITIES = {
    "cumulative": (r"\Pr({y} \leq c)", True),
    "sratio": (r"\Pr({y} = c \mid {y} \geq c)", True),
    "cratio": (r"\Pr({y} > c \mid {y} \geq c)", False),
    "acat": (r"\Pr({y} = c + 1 \mid {y} \in \{{c, c + 1\}})", False),
}


def _mixture(design: Design, structure: Structure, aux: dict[str, str], index: str) -> str:
    """A mixture's distribution: each component's, weighted by its proportion."""
    n = trials(design, structure, index)
    family = design.family
    terms = []
    for number, component in enumerate(family.components, 1):
        own = {a.name: aux[f"{a.name}{number}"] for a in component.aux}
        mean = aux[f"mu{number}"]
        # predicted proportions vary by row
        proportion = aux.get(f"theta{number}", latex.indexed(
            latex.aux_symbol(f"theta{number}"), index))
        terms.append(proportion + r"\," + latex.distribution(component, mean, own, n))
    return " + ".join(terms)


def _proportion_link(design: Design, name: str, index: str) -> str:
    """A predicted proportion's linear predictor is its log odds against the first
    proportion left unpredicted (0 on that scale), or its softmax's argument where all are
    predicted."""
    family = design.family
    reference = next((p for p in family.mixing_proportions
                      if p not in family.predicted_proportions), None)
    symbol = latex.indexed(latex.aux_symbol(name), index)
    if reference is None:
        return rf"\operatorname{{softmax}}^{{-1}}({symbol})"
    return rf"\log({symbol} / {latex.indexed(latex.aux_symbol(reference), index)})"


def data_model(design: Design, structure: Structure, predictors: dict[str, str], index: str,
               inline: bool, residual: str = "", symbols: dict | None = None
               ) -> list[EquationLine]:
    """The lines of the response's distribution.

    Parameters
    ----------
    predictors
        Each parameter's linear predictor written out ("" for the mean).
    index
        The observation's subscript (``i``, ``ij``).
    inline
        Write the mean's linear predictor inside the distribution when its link is the identity
        (Gelman & Hill's one line).
    residual
        The residual's symbol, to write a normal model as ``y = ... + e`` (Raudenbush & Bryk).
    symbols
        Where the symbols of a residual structure's parameters are recorded.
    """
    family = design.family
    y = response(design, structure, index)
    if design.spec.nonlinear is not None:
        # the mean is the expression of the parameters and the columns, each row's
        predictors = {**predictors, "": latex.expression(
            design.spec.nonlinear.text, index, structure.data_columns | set(design.nlpars))}
    weights = design.spec.additions.get("weights")
    note = (r"\text{, weighted by }" + latex.expression(weights, index, structure.data_columns)
            if weights else "")
    if design.truncation is not None:
        # brms's trunc(): the response is observed within its bounds only
        bounds = truncation_bounds_text(design.spec.additions["trunc"])
        low, high = (latex.expression(bounds[side], index, structure.data_columns)
                     if side in bounds else default
                     for side, default in (("lb", r"-\infty"), ("ub", r"\infty")))
        note += rf"\text{{, truncated to }} ({low}, {high})"
    censoring = design.spec.additions.get("cens")
    if censoring:
        # brms's cens(): left, right or interval-censored rows, read from a column
        note += r"\text{, censored as }" + latex.expression(censoring, index,
                                                            structure.data_columns)
    held = dict(design.spec.fixed_dpars)
    aux = {a.name: latex.indexed(latex.aux_symbol(a.name), index) if a.name in design.dpars
           else f"{held[a.name]:g}" if a.name in held
           else latex.aux_symbol(a.name) for a in family.aux}
    lines: list[EquationLine] = []
    scale, shown = [], aux
    if design.se is not None:
        # known standard errors: the response's sd is theirs, or adds them to sigma's
        se = latex.expression(design.spec.additions["se"], index, structure.data_columns)
        total = se
        if "sigma" not in design.fixed_aux:
            total = "{" + latex.indexed(r"\sigma^{*}", index) + "}"
            scale.append(EquationLine(f"{total}^{{2}}", "=", f"{aux['sigma']}^{{2}} + {se}^{{2}}"))
        # the distribution's scale; a predicted sigma's own line keeps its symbol
        shown = {**aux, "sigma": total}
    if residual:
        lines.append(EquationLine(y, "=", f"{predictors['']} + {residual}", note))
        lines.append(EquationLine(residual, r"\sim", rf"\mathrm{{N}}(0, {shown['sigma']}^{{2}})"))
    elif design.autocor is not None:
        lines += _autocor_model(design, structure, predictors[""], index, aux, note,
                                {} if symbols is None else symbols)
    elif family.ordinal:
        eta = latex.subscript(r"\eta", index)
        thresholds = design.thresholds
        probability, threshold_first = _ORDINAL_PROBABILITIES[family.name]
        note_c = r"\text{, for } c = 1" + (rf", \ldots, {thresholds}" if thresholds > 1 else "")
        # cs(): each row's thresholds less its category-specific terms
        shifts = [f" - {times(symbol, column)}"
                  for symbol, column in category_specific_terms(design, structure, index)]
        threshold = r"\theta_{c}" + "".join(shifts)
        difference = (f"{threshold} - {eta}" if threshold_first
                      else f"{eta} - ({threshold})" if shifts else f"{eta} - {threshold}")
        if "disc" in design.dpars:
            # brms's F(disc * (threshold - eta)), the row's discrimination predicted
            difference = f"{aux['disc']} ({difference})"
        lines.append(EquationLine(latex.link(family.link, probability.format(y=y)), "=",
                                  difference, note_c + note))
        lines.append(EquationLine(eta, "=", predictors[""]))
    elif family.components:
        lines.append(EquationLine(y, r"\sim", _mixture(design, structure, shown, index), note))
    elif family.categorical:
        shares = (r"\operatorname{softmax}(0, "
                  + ", ".join(aux[name] for name in family.formula_parameters) + ")")
        name, arguments = (family.columns(shares, aux, trials(design, structure, index), True)
                           if family.columns else (r"\mathrm{Categorical}", shares))
        distribution = f"{name}({arguments})"
        lines.append(EquationLine(y, r"\sim", distribution, note))
    else:
        mean = latex.indexed(latex.mean_symbol(family), index)
        n = trials(design, structure, index)
        if inline and family.link == "identity":
            lines.append(EquationLine(y, r"\sim", latex.distribution(family, predictors[""],
                                                                      shown, n), note))
        else:
            lines.append(EquationLine(y, r"\sim", latex.distribution(family, mean, shown, n),
                                      note))
            lines.append(EquationLine(latex.link(family.link, mean), "=", predictors[""]))
    lines += scale
    for parameter in structure.parameters:
        if parameter.name in design.nlpars:
            lines.append(EquationLine(latex.indexed(latex.name(parameter.name), index), "=",
                                      predictors[parameter.name]))
        elif parameter.name in family.predicted_proportions:
            lines.append(EquationLine(_proportion_link(design, parameter.name, index), "=",
                                      predictors[parameter.name]))
        elif parameter.name:
            link = family.predictor_link(parameter.name)
            lines.append(EquationLine(latex.link(link, aux[parameter.name]), "=",
                                      predictors[parameter.name]))
    return lines

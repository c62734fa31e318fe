"""Read lme4/brms formula strings into a :class:`FormulaSpec`.

formulae parses population terms and their transformations; the brms-only pieces are handled
here before it sees them: group terms with ``|`` and ``||`` (including nesting with ``/``), the
response additions ``| trials()``, ``| weights()``, ``| se()``, ``| cens()`` and ``| trunc()``,
``cbind(successes, failures)`` and ``offset()`` terms, smooths ``s(x)``, monotonic ``mo(x)``
and category-specific ``cs(x)`` effects, and the residual
structures ``ar()``, ``ma()``, ``arma()``, ``cosy()`` and ``unstr()``.
R's ``^`` becomes Python's ``**`` for formulae. :func:`bf` adds formulas
for a family's distributional parameters (``sigma``, ``zi``, ...), as brms's ``bf()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from formulae import model_description

from ..errors import FormulaError
from ..names import brms_rename
from .autocor_terms import AUTOCOR_ARGUMENTS, AutocorTerm, parse_autocor
from .brms_formula import BrmsFormula, held_value
from .category_specific import (
    CATEGORY_SPECIFIC_CALL,
    CategorySpecificTerm,
    parse_category_specific,
)
from .evaluation import in_r_term_order
from .formula_text import find_bar, inside_calls, outer_parenthesised, split_top_level
from .group_terms import GroupTerm, parse_group_term
from .monotonic import MonotonicTerm, parse_monotonic, parse_monotonic_interaction
from .nonlinear import NonlinearExpression, parse_nonlinear

_ADDITIONS = ("trials", "weights", "se", "cens", "trunc")
# how R spells the logical values of an argument such as se()'s sigma
_R_LOGICAL = {"TRUE": True, "T": True, "FALSE": False, "F": False}
_R_LOGICAL_WORD = re.compile(r"\b(TRUE|FALSE)\b")
# a column name as R and Python allow it, letters of any script included
_NAME = re.compile(r"[^\W\d][\w.]*")
_CALL = re.compile(r"^([A-Za-z_.][A-Za-z0-9_.]*)\s*\((.*)\)$", re.S)


@dataclass(frozen=True)
class SmoothTerm:
    """A penalised smooth ``s(x)``, ``s(x, k = 5)`` or ``s(x, by = f)``: a thin plate
    regression spline, one per level of a factor ``by``, or times a numeric ``by``.

    Attributes
    ----------
    variable
        The column smoothed over.
    k
        The basis dimension, mgcv's ``k`` (10 by default).
    text
        The term as written, for messages.
    by
        The ``by`` column, or None.
    label
        brms's label of the term in the prior table: the term as R deparses it,
        ``s(x, by = f, k = 5)``.
    """

    variable: str
    k: int
    text: str
    by: str | None = None
    label: str = ""

    @property
    def name(self) -> str:
        """brms's name of the term in parameter names, ``sx`` or ``sxf``: ``s`` and its
        variables, the ``by`` variable last."""
        return "s" + brms_rename(self.variable + (self.by or ""))


@dataclass(frozen=True)
class FormulaSpec:
    """A parsed model formula; nothing downstream re-reads the string.

    ``dpars`` holds the parsed formula of each predicted distributional parameter (a spec
    without response), in the order given.
    """

    text: str
    response: str | None
    # binomial successes and failures, or a dirichlet's or multinomial's columns
    cbind: tuple[str, ...] | None
    additions: dict[str, str]
    population: str
    offsets: tuple[str, ...]
    group_terms: tuple[GroupTerm, ...]
    dpars: tuple[tuple[str, FormulaSpec], ...] = ()
    autocor: AutocorTerm | None = None
    smooths: tuple[SmoothTerm, ...] = ()
    # se(x, sigma = TRUE): the residual sd sigma is estimated besides the known errors
    se_with_sigma: bool = False
    # cens(x, y2): the upper bounds of interval-censored responses
    cens_upper: str | None = None
    # brms's '0 + Intercept': the intercept is a b coefficient, the predictors uncentred
    explicit_intercept: bool = False
    # brms's bf(center = FALSE), which makes a formula with an intercept one of those
    center: bool = True
    # mo(x): monotonic effects of ordinal predictors
    monotonic: tuple[MonotonicTerm, ...] = ()
    # cs(x): an ordinal model's effects with one coefficient per threshold
    category_specific: tuple[CategorySpecificTerm, ...] = ()
    # bf(nl = TRUE): the right side as an expression of the parameters in ``nlpars``, each
    # with its own linear formula, and of the data's columns
    nonlinear: NonlinearExpression | None = None
    nlpars: tuple[tuple[str, FormulaSpec], ...] = ()
    # bf(y ~ x, quantile = 0.25): family parameters held at a value
    fixed_dpars: tuple[tuple[str, float], ...] = ()

    @property
    def dpar_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.dpars)

    def as_bf(self) -> BrmsFormula | str:
        """The formula as :func:`bf` writes it (the text alone without other formulas), to
        build the model again."""
        parts = tuple((name, part.text) for name, part in self.nlpars + self.dpars)
        if not parts and not self.fixed_dpars and self.center:
            return self.text
        return BrmsFormula(self.text, parts, self.nonlinear is not None, self.fixed_dpars,
                           self.center)

    @property
    def nlpar_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.nlpars)

    @property
    def lines(self) -> list[str]:
        """The formula and each parameter's, as brms's summary prints them."""
        return ([self.text] + [part.text for _, part in self.nlpars + self.dpars]
                # held values to two decimals, as brms prints them (theta1 = 0.33)
                + [f"{name} = {held_value(value)}" for name, value in self.fixed_dpars])

    @property
    def response_expression(self) -> str | None:
        """The response as written: ``cbind(a, b, c)`` or one expression."""
        if self.cbind is not None:
            return f"cbind({', '.join(self.cbind)})"
        return self.response

    @property
    def response_label(self) -> str:
        """The response as brms names it in messages and summaries."""
        if self.cbind is not None:
            return self.cbind[0]
        return self.response or ""


def _standard_errors(addition: str, arguments: str) -> tuple[str, bool]:
    """The column expression of ``se(x)`` or ``se(x, sigma = TRUE)`` and its sigma flag."""
    pieces = [piece for _, piece in split_top_level(arguments, ",")]
    options = {}
    for piece in pieces[1:]:
        name, _, value = (part.strip() for part in piece.partition("="))
        if name != "sigma" or value not in _R_LOGICAL:
            raise FormulaError(f"Response addition {addition!r}: se() takes the standard "
                               "errors and optionally sigma = TRUE or FALSE, as in "
                               "'y | se(sei, sigma = TRUE)'.")
        options[name] = _R_LOGICAL[value]
    if not pieces or not pieces[0]:
        raise FormulaError(f"Response addition {addition!r} names no standard errors; write "
                           "'y | se(sei)'.")
    return pieces[0], options.get("sigma", False)


def _censoring(addition: str, arguments: str) -> tuple[str, str | None]:
    """The censoring column of ``cens(x)`` or ``cens(x, y2)`` and the upper bounds' column."""
    pieces = [piece for _, piece in split_top_level(arguments, ",")]
    if not pieces[0] or len(pieces) > 2 or "=" in arguments:
        raise FormulaError(f"Response addition {addition!r}: cens() takes the censoring "
                           "indicator and, for interval censoring, the upper bounds, as in "
                           "'y | cens(censored)' or 'y | cens(censored, y2)'.")
    return pieces[0], pieces[1] if len(pieces) == 2 else None


def _parse_response(lhs: str) -> tuple[str | None, tuple[str, str] | None, dict[str, str],
                                       bool, str | None]:
    additions: dict[str, str] = {}
    with_sigma, upper = False, None
    pieces = split_top_level(lhs, "|")
    response = pieces[0][1]
    if len(pieces) > 2:
        raise FormulaError(
            f"Response {lhs!r}: write several additions joined by '+', as in "
            "'y | trials(n) + weights(w)'."
        )
    if len(pieces) == 2:
        for _, addition in split_top_level(pieces[1][1], "+"):
            call = _CALL.match(addition)
            if not call or call.group(1) not in _ADDITIONS:
                raise FormulaError(
                    f"Response addition {addition!r} is not supported; use one of "
                    + ", ".join(f"{name}()" for name in _ADDITIONS)
                    + "."
                )
            if call.group(1) in additions:
                raise FormulaError(f"Response addition {call.group(1)}() is given twice.")
            additions[call.group(1)] = call.group(2).strip()
            if call.group(1) == "se":
                additions["se"], with_sigma = _standard_errors(addition, call.group(2))
            if call.group(1) == "cens":
                additions["cens"], upper = _censoring(addition, call.group(2))
    if not response:
        raise FormulaError(f"The formula has no response left of '~' in {lhs!r}.")
    # R's logicals are Python's for formulae: weights(scale(w, center = FALSE))
    response = _R_LOGICAL_WORD.sub(lambda m: m.group(1).title(), response)
    for name in ("trials", "weights", "se"):
        if name in additions:
            additions[name] = _R_LOGICAL_WORD.sub(lambda m: m.group(1).title(),
                                                  additions[name])
    call = _CALL.match(response)
    if call and call.group(1) == "cbind":
        arguments = [argument for _, argument in split_top_level(call.group(2), ",")]
        if len(arguments) < 2 or not all(arguments):
            raise FormulaError(
                f"{response!r}: cbind() takes two arguments, successes and failures, as in "
                "cbind(m, n - m), or one column per category (dirichlet, multinomial), as in "
                "cbind(a, b, c)."
            )
        return None, tuple(arguments), additions, with_sigma, upper
    return response, None, additions, with_sigma, upper


_SMOOTH_CALLS = ("s", "t2", "te", "ti", "gp")
# brms's special terms inside a group term, which brms reads and this package does not
_GROUP_TERM_SPECIALS = (("mo", "monotonic group-level effects"),
                        ("mm", "multi-membership grouping factors"),
                        ("mmc", "multi-membership covariates"),
                        ("s", "smooth terms"), ("t2", "smooth terms"), ("gp", "Gaussian processes"),
                        ("me", "measurement-error terms"), ("mi", "missing-value terms"))
_MONOTONIC_CALL = re.compile(r"(?<![A-Za-z0-9_.])mo\s*\(")


def _parse_smooth(call: str, arguments: str, term: str) -> SmoothTerm:
    """An ``s(x)``, ``s(x, k = 5)`` or ``s(x, by = f)`` term; other smooths and options are
    named errors."""
    if call != "s":
        raise FormulaError(f"{term!r}: {call}() terms are not supported; s(x) (a thin plate "
                           "regression spline of one variable) is.")
    pieces = [piece.strip() for _, piece in split_top_level(arguments, ",")]
    variable, k, by = pieces[0], 10, None
    deparsed = [variable]
    for piece in pieces[1:]:
        key, equals, value = (part.strip() for part in piece.partition("="))
        if equals and key == "k" and re.fullmatch(r"\d+L?", value):
            k = int(value.rstrip("L"))
        elif equals and key == "by" and _NAME.fullmatch(value) and value != "NA":
            by = value
        elif equals and key == "bs" and value.strip("'\"") == "tp":
            value = '"tp"'
        else:
            raise FormulaError(
                f"{term!r}: s() takes one variable, k (the basis dimension) and by (a factor, "
                f"for one smooth per level, or a numeric column it multiplies), as in "
                f"s(x, k = 5, by = group), with brms's default thin plate basis; {piece!r} is "
                "not supported.")
        deparsed.append(f"{key} = {value}")
    if not _NAME.fullmatch(variable):
        raise FormulaError(f"{term!r}: s() smooths one column, e.g. s(Days); got "
                           f"{variable!r}.")
    if k < 3:
        raise FormulaError(f"{term!r}: k must be at least 3 for a thin plate spline of one "
                           f"variable, got {k}.")
    return SmoothTerm(variable=variable, k=k, text=term, by=by,
                      label=f"s({', '.join(deparsed)})")


def _check_placement(collected: list | None, sign: str, term: str, text: str,
                     kind: str) -> None:
    """Refuse a residual-structure, smooth, monotonic or category-specific term (``kind``)
    in a distributional parameter's formula (where nothing collects them) or after '-'."""
    if collected is None:
        raise FormulaError(f"{term!r} in {text!r}: {kind}s belong in the formula of the "
                           "response, not of a distributional parameter.")
    if sign == "-":
        raise FormulaError(f"A {kind} cannot be removed with '-': {term!r}.")


def _parse_terms(rhs: str, text: str, autocor: list[AutocorTerm] | None = None,
                 smooths: list[SmoothTerm] | None = None,
                 monotonic: list[MonotonicTerm] | None = None,
                 category_specific: list[CategorySpecificTerm] | None = None,
                 ) -> tuple[str, tuple[str, ...], tuple[GroupTerm, ...], bool]:
    """The population part for formulae, the offsets, the group terms of a right side and
    whether it writes brms's ``0 + Intercept``.

    Residual-structure, smooth, monotonic and category-specific terms are collected into
    ``autocor``, ``smooths``, ``monotonic`` and ``category_specific``; where these are None
    (the formula of a distributional parameter) they are an error.
    """
    # R's nesting operator between terms: x %in% f is the term x:f (inside a call it would be
    # R's set membership, which formulas do not provide)
    inside = inside_calls(rhs)
    rhs = re.sub(r"\s*%in%\s*", lambda m: m.group(0) if inside[m.start()] else ":", rhs)
    if not rhs:
        raise FormulaError(f"The formula {text!r} has nothing right of '~'; write '~ 1' for "
                           "an intercept-only model.")
    population: list[str] = []
    offsets: list[str] = []
    group_terms: list[GroupTerm] = []
    for sign, term in split_top_level(rhs, "+-"):
        if not term:
            if sign == "" and not population and not group_terms:
                continue  # a leading '-' as in '~ -1 + x'
            raise FormulaError(f"Empty term after {sign!r} in {rhs!r}.")
        inside = outer_parenthesised(term)
        if inside is not None and find_bar(inside) is not None:
            if sign == "-":
                raise FormulaError(f"A group term cannot be removed with '-': {term!r}.")
            if CATEGORY_SPECIFIC_CALL.search(inside):
                raise FormulaError(f"{term!r} in {text!r}: category specific group-level "
                                   "effects (cs() in a group term) are not supported; "
                                   "cs() works among the population-level terms.")
            for call, kind in _GROUP_TERM_SPECIALS:
                if re.search(rf"(?<![\w.]){call}\s*\(", inside):
                    raise FormulaError(f"{term!r} in {text!r}: {kind} ({call}() in a group "
                                       "term) are not supported here"
                                       + ("; mo() works among the population-level terms."
                                          if call == "mo" else "."))
            group_terms.extend(parse_group_term(inside, term))
            continue
        if find_bar(term) is not None:
            raise FormulaError(
                f"{term!r} in {text!r} has a '|' outside parentheses. Put each group term in "
                f"parentheses, as in '(Days | Subject)'; R would read everything right of '~' "
                "as one group term here, which is rarely what was meant."
            )
        call = _CALL.match(term)
        if call and call.group(1) == "offset":
            if sign == "-":
                raise FormulaError(f"An offset cannot be removed with '-': {term!r}.")
            offsets.append(call.group(2).strip())
            continue
        if call and call.group(1) in AUTOCOR_ARGUMENTS:
            _check_placement(autocor, sign, term, text, "residual structure")
            if autocor:
                raise FormulaError(f"{text!r} has two residual structures, "
                                   f"{autocor[0].text!r} and {term!r}; a model takes one.")
            autocor.append(parse_autocor(call.group(1), call.group(2), term))
            continue
        if call and call.group(1) in _SMOOTH_CALLS:
            _check_placement(smooths, sign, term, text, "smooth term")
            smooth = _parse_smooth(call.group(1), call.group(2), term)
            if any(other.variable == smooth.variable for other in smooths):
                raise FormulaError(f"{text!r} smooths {smooth.variable!r} twice.")
            smooths.append(smooth)
            continue
        if call and call.group(1) == "mo" and len(split_top_level(term, ":*")) == 1:
            _check_placement(monotonic, sign, term, text, "monotonic effect")
            effect = parse_monotonic(call.group(2), term)
            # a repeated term is one term, as R's terms() reads it
            if all(other.key != effect.key for other in monotonic):
                monotonic.append(effect)
            continue
        if call and call.group(1) in ("cs", "cse"):
            _check_placement(category_specific, sign, term, text, "category specific effect")
            category_specific.append(parse_category_specific(call.group(2), term))
            continue
        if CATEGORY_SPECIFIC_CALL.search(term):
            raise FormulaError(f"{term!r} in {text!r}: cs() works as a term of its own, "
                               "cs(x) or cs(x + z); write interactions inside it, cs(x:z).")
        if _MONOTONIC_CALL.search(term):
            _check_placement(monotonic, sign, term, text, "monotonic effect")
            main_effects, effects = parse_monotonic_interaction(term)
            monotonic += [effect for effect in effects
                          if all(other.key != effect.key for other in monotonic)]
            population += [f"+ {piece}" if population else piece for piece in main_effects]
            continue
        if population:
            population.append(f"{sign} {term}")
        else:
            population.append(f"- {term}" if sign == "-" else term)
    population, explicit_intercept = _explicit_intercept(population, text)
    population_text = " ".join(population).strip() or "1"
    # R's logicals are Python's for formulae: poly(x, 2, raw = TRUE)
    population_text = _R_LOGICAL_WORD.sub(lambda m: m.group(1).title(), population_text)
    return (in_r_term_order(population_text.replace("^", "**")), tuple(offsets), tuple(group_terms),
            explicit_intercept)


def _explicit_intercept(population: list[str], text: str) -> tuple[list[str], bool]:
    """brms's ``0 + Intercept``: the intercept as an ordinary population coefficient, with a
    ``b`` prior and predictors left uncentred. The design keeps formulae's intercept column
    for it, so that factors are coded as in a model with an intercept, as brms codes them.
    """
    def bare(term: str) -> str:
        return term.replace(" ", "").removeprefix("+")

    if "Intercept" not in map(bare, population):
        return population, False
    if not any(bare(term) in ("0", "-1") for term in population):
        raise FormulaError(
            f"{text!r} names 'Intercept' beside the implicit intercept; brms's intercept as an "
            "ordinary coefficient is written '0 + Intercept + ...'.")
    kept = [term for term in population if bare(term) not in ("Intercept", "0", "-1")]
    if kept and kept[0].startswith("+ "):
        kept[0] = kept[0][2:]
    return kept, True


def _has_intercept(population: str) -> bool:
    """Whether formulae gives the population part an intercept column."""
    try:
        terms = model_description(population).terms
    except Exception:  # formulae raises several unrelated types; the design names the fault
        return False
    return any(type(term).__name__ == "Intercept" for term in terms)


def _parse_dpar(name: str, text: str) -> FormulaSpec:
    sides = split_top_level(text, "~")
    if len(sides) != 2 or sides[0][1] not in ("", name):
        raise FormulaError(
            f"The formula of {name!r} must be one-sided, as '~ x', or name the parameter, as "
            f"'{name} ~ x'; got {text!r}."
        )
    rhs = sides[1][1]
    population, offsets, group_terms, explicit_intercept = _parse_terms(rhs, text)
    return FormulaSpec(text=f"{name} ~ {rhs}", response=None, cbind=None, additions={},
                       population=population, offsets=offsets, group_terms=group_terms,
                       explicit_intercept=explicit_intercept)


def parse_formula(text: str | BrmsFormula) -> FormulaSpec:
    """Parse an lme4/brms model formula.

    Parameters
    ----------
    text
        A formula such as ``"Reaction ~ Days + (Days | Subject)"``, or one made by
        :func:`bf` with formulas for distributional parameters.

    Returns
    -------
    FormulaSpec
        The response, its additions, the population part for formulae, offsets and the
        group terms with nesting expanded.

    Raises
    ------
    FormulaError
        When the text is not a two-sided formula or a group term is malformed.
    """
    dpars: tuple[tuple[str, FormulaSpec], ...] = ()
    fixed: tuple[tuple[str, float], ...] = ()
    center = True
    if isinstance(text, BrmsFormula):
        if text.nl:
            return _parse_nonlinear_formula(text)
        dpars = tuple((name, _parse_dpar(name, part)) for name, part in text.dpars)
        fixed, center = text.fixed, text.center
        text = text.formula
    if not isinstance(text, str):
        raise FormulaError(f"The formula must be a string or made by ml.bf(), got "
                           f"{type(text).__name__}.")
    sides = split_top_level(text, "~")
    if len(sides) != 2:
        raise FormulaError(
            f"A formula needs exactly one '~' between response and predictors, got {text!r}."
        )
    lhs, rhs = sides[0][1], sides[1][1]
    if not rhs:
        raise FormulaError(f"The formula {text!r} has nothing right of '~'; write '~ 1' for "
                           "an intercept-only model.")
    response, cbind, additions, se_with_sigma, cens_upper = _parse_response(lhs)
    autocor: list[AutocorTerm] = []
    smooths: list[SmoothTerm] = []
    monotonic: list[MonotonicTerm] = []
    category_specific: list[CategorySpecificTerm] = []
    population, offsets, group_terms, explicit_intercept = _parse_terms(
        rhs, text, autocor, smooths, monotonic, category_specific)
    if not center and _has_intercept(population):
        # brms's center = FALSE: the intercept a b coefficient, as '0 + Intercept'
        explicit_intercept = True
    return FormulaSpec(
        text=text.strip(),
        response=response,
        cbind=cbind,
        additions=additions,
        population=population,
        offsets=offsets,
        group_terms=group_terms,
        dpars=dpars,
        autocor=autocor[0] if autocor else None,
        smooths=tuple(smooths),
        se_with_sigma=se_with_sigma,
        cens_upper=cens_upper,
        explicit_intercept=explicit_intercept,
        # main effects before interactions, as R orders terms
        monotonic=tuple(sorted(monotonic, key=lambda effect: len(effect.covariates))),
        category_specific=tuple(category_specific),
        fixed_dpars=fixed,
        center=center,
    )


def _parse_nonlinear_formula(formula: BrmsFormula) -> FormulaSpec:
    """A formula of ``bf(..., nl=True)``: the response with its additions, the expression,
    and the formulas of its parameters (those it names) and of distributional parameters."""
    sides = split_top_level(formula.formula, "~")
    if len(sides) != 2 or not sides[1][1]:
        raise FormulaError(f"A non-linear formula needs a response and an expression, as "
                           f"'y ~ b1 * exp(b2 * x)', got {formula.formula!r}.")
    response, cbind, additions, se_with_sigma, cens_upper = _parse_response(sides[0][1])
    expression = parse_nonlinear(sides[1][1], formula.formula)
    nlpars = tuple((name, replace(_parse_dpar(name, text), explicit_intercept=True))
                   for name, text in formula.dpars if name in expression.names)
    if not nlpars:
        raise FormulaError(
            f"The non-linear formula {formula.formula!r} has no parameter: give each of its "
            "parameters a formula, as ml.bf('y ~ b1 * exp(b2 * x)', b1='~ 1', b2='~ 1', "
            "nl=True).")
    return FormulaSpec(
        text=formula.formula.strip(), response=response, cbind=cbind, additions=additions,
        population="0", offsets=(), group_terms=(),
        dpars=tuple((name, _parse_dpar(name, text)) for name, text in formula.dpars
                    if name not in expression.names),
        se_with_sigma=se_with_sigma, cens_upper=cens_upper, nonlinear=expression,
        nlpars=nlpars, fixed_dpars=formula.fixed)

"""The closed language formula expressions are evaluated in.

A formula is data, never code: it may come from a web form, a course's worksheet or a saved
fit. formulae evaluates the calls in a formula against an environment, by default the calling
module's globals, where a dotted name such as ``pd.io.common.os.system`` reaches any module.
Here every expression is first read with formulae's parser (which evaluates nothing) and
checked: it may call only the functions of :data:`FORMULA_FUNCTIONS`, by their plain names,
and name only the data's columns; arithmetic and comparisons are allowed, except a power
whose base and exponent are both constants (``10**10**10`` would never finish). Then
formulae evaluates it in an environment that holds those functions and nothing else.
"""

from __future__ import annotations

import numbers
import re

import numpy as np
import pandas as pd
from formulae import design_matrices, model_description
from formulae.environment import Environment
from formulae.terms.call_resolver import LazyCall, LazyOperator, LazyValue, LazyVariable

from ..errors import DataError, FormulaError, close_matches
from ..names import COMPARISON as _COMPARISON
from ..names import r_level_label, sorted_levels
from .contrasts import (
    ORDERED_FUNCTIONS,
    POLYNOMIAL_FACTORS,
    as_written,
    with_polynomial_contrasts,
)
from .formula_text import inside_calls
from .learning_rows import relearn
from .splines import RBSpline, RNaturalSpline


def _factor(values):
    """R's ``factor()`` inside formulas: the values as categories in R's level order,
    labelled as R prints them (``1`` for the number 1.0)."""
    series = pd.Series(values)
    levels = sorted_levels(series)
    if pd.api.types.is_float_dtype(series.dtype):
        labels = [r_level_label(level) for level in levels]
        series = series.map(dict(zip(levels, labels, strict=True)))
        levels = labels
    # formulae keeps the category order only of ordered categoricals; coding stays treatment
    return pd.Categorical(series, categories=levels, ordered=True)


def _relevel(values, ref):
    """R's ``relevel()``: a factor whose reference level (first, dropped by treatment
    contrasts) is ``ref``, a level's label or its 1-based position, the others in order."""
    series = pd.Series(values)
    factor = (series.cat.remove_unused_categories()
              if isinstance(series.dtype, pd.CategoricalDtype) else pd.Series(_factor(series)))
    levels = list(factor.cat.categories)
    if isinstance(ref, numbers.Real) and not isinstance(ref, bool):
        if int(ref) != ref or not 1 <= ref <= len(levels):
            raise ValueError(f"relevel(): ref = {ref!r} is no position among the "
                             f"{len(levels)} levels")
        ref = levels[int(ref) - 1]
    if ref not in levels:
        raise ValueError(f"relevel(): 'ref' must be an existing level; {ref!r} is not one of "
                         f"{', '.join(map(repr, levels))}")
    return pd.Categorical(factor.astype(object), categories=[ref] + [level for level in levels
                                                                    if level != ref],
                          ordered=True)


def _inv_logit(values):
    return 1 / (1 + np.exp(-values))


class _RScale:
    """R's ``scale(x, center = TRUE, scale = TRUE)``: less the mean (or the number given as
    ``center``), over the sd with n - 1 (over the root mean square with n - 1 when not
    centred; or the number given as ``scale``). The data it is first called on fix both, as
    R's model frames fix them for new data (brms's predictions included).

    formulae's own ``scale()`` divides by the sd with n, and the transformations formulae
    registers take precedence over an evaluation environment's names, so formulas reach
    this one under :data:`R_SCALE` (:func:`design_matrix` renames the calls).
    """

    __stateful_transform__ = True

    def __init__(self):
        self.shift: float | None = None
        self.divisor: float = 1.0

    def __call__(self, x, center=True, scale=True):
        values = np.asarray(x, dtype=float)
        if self.shift is None:
            centred = center is not False
            self.shift = (float(np.mean(values)) if center is True
                          else float(center) if centred else 0.0)
            if scale is True:
                deviations = values - self.shift
                self.divisor = float(np.sqrt(np.sum(deviations**2) / (values.size - 1)))
            elif scale is not False:
                self.divisor = float(scale)
        return (values - self.shift) / self.divisor


# the names formulae knows R's scale() and bs() by, where its own functions of those names
# would take precedence; _RENAMED_CALL finds the calls to rename
R_SCALE = "scale_R"
_RENAMED = {"scale": R_SCALE, "bs": "bs_R"}
_RENAMED_CALL = re.compile(r"(?<![\w.])(scale|bs)\s*\(")

# Functions a formula may call that multilevel supplies, as brms's formulas spell them.
FORMULA_FUNCTIONS = {
    "log": np.log, "log10": np.log10, "log2": np.log2, "log1p": np.log1p, "exp": np.exp,
    "expm1": np.expm1, "sqrt": np.sqrt, "abs": np.abs, "inv_logit": _inv_logit,
    "factor": _factor, "scale": _RScale,
    # R's elementwise arithmetic; R's round() rounds halves to even, as NumPy's
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "sign": np.sign, "floor": np.floor,
    "ceiling": np.ceil, "round": lambda x, digits=0: np.round(x, int(digits)),
    "pmin": np.minimum, "pmax": np.maximum, "relevel": _relevel,
    "ifelse": lambda condition, yes, no: np.where(np.asarray(condition, dtype=bool), yes, no),
    # the splines package's regression splines, with R's knots and columns
    "ns": RNaturalSpline, "bs": RBSpline,
}
# functions a formula may call only within another call's arguments: ns(x, knots = c(2, 5))
ARGUMENT_FUNCTIONS = {"c": lambda *values: np.array(values, dtype=float)}
# formulae's own transformations that keep their R meaning: I() (arithmetic as written),
# C() (a categorical), center(), poly() (orthogonal polynomials)
FORMULAE_FUNCTIONS = ("I", "C", "center", "poly")
ALLOWED_FUNCTIONS = tuple(sorted((*FORMULA_FUNCTIONS, *FORMULAE_FUNCTIONS, *ARGUMENT_FUNCTIONS),
                                  key=str.casefold))


def closed_environment() -> Environment:
    """The only names formulae may resolve besides the data's columns and its own
    transformations."""
    functions = {_RENAMED.get(name, name): f for name, f in FORMULA_FUNCTIONS.items()}
    return Environment([{**functions, **ARGUMENT_FUNCTIONS, **ORDERED_FUNCTIONS}])


def _allowed_list() -> str:
    return ", ".join(f"{name}()" for name in ALLOWED_FUNCTIONS)


def _is_constant(node) -> bool:
    if isinstance(node, LazyValue):
        return True
    if isinstance(node, LazyOperator):
        return all(_is_constant(arg) for arg in node.args)
    return False


def _check_call(call: LazyCall, expression: str, where: str, variables: set[str],
                nested: bool = False) -> None:
    callee = str(call.callee)
    if "." in callee or callee.startswith("_"):
        raise FormulaError(
            f"{expression!r} in {where} calls {callee!r}: formulas may call only "
            f"these functions by their plain names, with no attribute access ('.'): "
            f"{_allowed_list()}."
        )
    if callee not in ALLOWED_FUNCTIONS:
        raise FormulaError(
            f"{expression!r} in {where} calls {callee}(), which formulas do not "
            f"provide.{close_matches(callee, ALLOWED_FUNCTIONS)} Allowed functions: "
            f"{_allowed_list()}."
        )
    if callee in ARGUMENT_FUNCTIONS and not nested:
        raise FormulaError(
            f"{expression!r} in {where} calls {callee}() as a term; it gives numbers for "
            "another function's argument, as in ns(x, knots = c(2, 5)).")
    for argument in (*call.args, *call.kwargs.values()):
        _check_node(argument, expression, where, variables)


def _check_node(node, expression: str, where: str, variables: set[str]) -> None:
    if isinstance(node, LazyCall):
        _check_call(node, expression, where, variables, nested=True)
    elif isinstance(node, LazyOperator):
        if node.symbol == "**" and all(_is_constant(arg) for arg in node.args):
            raise FormulaError(
                f"{expression!r} in {where} raises a constant to a constant power "
                f"({node}); write the number itself."
            )
        for argument in node.args:
            _check_node(argument, expression, where, variables)
    elif isinstance(node, LazyVariable):
        variables.add(str(node.name))
    elif not isinstance(node, LazyValue):
        raise FormulaError(f"Cannot read {where} {expression!r}: unexpected {node}.")


def formula_variables(expression: str, where: str) -> set[str]:
    """Check a formula expression against the closed language and return the columns it uses.

    Parameters
    ----------
    expression
        A formula part without the response, e.g. ``"Days + I(Days**2) + log(dose)"``.
    where
        What the expression is, for messages (``"the population-level terms"``).

    Returns
    -------
    set of str
        The names the expression reads from the data.

    Raises
    ------
    FormulaError
        When the expression cannot be parsed, calls a function outside
        :data:`ALLOWED_FUNCTIONS`, reaches an attribute with ``.``, or raises a constant to a
        constant power.
    """
    try:
        description = model_description(expression)
    except Exception as error:  # formulae raises several unrelated types for bad syntax
        raise FormulaError(f"Cannot read {where} {expression!r}: {error}") from None
    variables: set[str] = set()
    for term in description.terms:
        for component in getattr(term, "components", ()):
            call = getattr(component, "call", None)
            if call is not None:
                _check_call(call, expression, where, variables)
            else:
                variables.add(str(component.name))
    return variables


def design_matrix(expression: str, data: pd.DataFrame, where: str, learn: bool = True):
    """formulae's design matrix of a checked expression, evaluated in the closed language.

    Parameters
    ----------
    expression
        The formula part, as for :func:`formula_variables`.
    data
        The data frame whose columns the expression reads.
    where
        What the expression is, for messages.
    learn
        Whether ``scale()``, ``poly()`` and ``center()`` learn from the rows the model
        dropped (:mod:`multilevel.spec.learning_rows`), as brms's model matrices do; not
        for the response and the additions, which brms evaluates on the complete rows.

    Returns
    -------
    formulae.matrices.CommonEffectsMatrix or None
        None when the expression has no terms (``"0"``).
    """
    used = formula_variables(expression, where)
    missing = sorted(name for name in used if name not in data.columns)
    if missing:
        columns = [str(c) for c in data.columns]
        raise FormulaError(
            f"{expression!r} in {where} uses {missing[0]!r}, which is not a column "
            f"of the data.{close_matches(missing[0], columns)} Columns: "
            + ", ".join(columns[:20]) + (" ..." if len(columns) > 20 else "")
        )
    check_logical_codings(expression, where, data)
    # ordered factors first, so that a refusal quotes the expression as written
    renamed = _RENAMED_CALL.sub(
        lambda match: f"{_RENAMED[match.group(1)]}(",
        with_polynomial_contrasts(
            expression, [c for c in data.attrs.get(POLYNOMIAL_FACTORS, ()) if c in used],
            where))
    try:
        # log(0) and the like: the checks of the design name such columns and their rows
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            matrix = design_matrices(renamed, data, na_action="error",
                                     env=closed_environment()).common
    except Exception as error:  # formulae's evaluation errors have no common base
        raise FormulaError(f"Cannot evaluate {where} {expression!r}: {error}") from None
    if matrix is not None:
        _check_factor_codings(matrix, renamed, where, expression)
    try:
        return relearn(matrix, data) if learn else matrix
    except Exception as error:  # formulae's evaluation errors have no common base
        raise FormulaError(f"Cannot evaluate {where} {expression!r}: {error}") from None


def _width(component) -> int:
    value = getattr(component, "value", None)
    return 1 if value is None or np.ndim(value) < 2 else int(np.shape(value)[1])


def r_column_order(term) -> np.ndarray:
    """Where each of R's columns of a formulae ``term``, in R's order, lies among formulae's.

    R's ``model.matrix()`` lets an interaction's first variable vary fastest (``fb:hv``,
    ``fc:hv``, ``fb:hw``, ...), and brms's coefficients follow; formulae lets its last vary
    fastest (``fb:hv``, ``fb:hw``, ``fc:hv``, ...). A term of one variable keeps its order.
    """
    count = len(getattr(term, "labels", None) or ())
    widths = [_width(component) for component in getattr(term, "components", ())]
    if len(widths) < 2 or int(np.prod(widths)) != count:
        return np.arange(count)
    return np.ravel_multi_index(np.unravel_index(np.arange(count), widths, order="F"),
                                widths)


def r_column_positions(matrix) -> np.ndarray:
    """Where each column of R's model matrix lies among a formulae matrix's columns (terms
    keep their places; within an interaction, :func:`r_column_order`)."""
    order = np.arange(matrix.design_matrix.shape[1])
    for name, where in matrix.slices.items():
        order[where] = where.start + r_column_order(matrix.terms[name])
    return order


def r_ordered_frame(matrix) -> pd.DataFrame:
    """A formulae design matrix as a data frame with R's columns in R's order."""
    return matrix.as_dataframe().iloc[:, r_column_positions(matrix)]


def _check_factor_codings(matrix, expression: str, where: str, written_as: str) -> None:
    """Refuse a factor in an interaction that R codes by all its levels where formulae codes
    it otherwise.

    R codes a factor of a term by its contrasts where the term without it lies within a term
    before it (the intercept standing for the empty term; without one, the first factor's
    main effect takes all its levels and the intercept's place), else by all its levels: ``a:b``
    without ``a`` and ``b`` has every combination, collinear with the intercept. formulae
    codes such a term to full rank instead, adding a main effect of its own, which is
    another model than brms's. ``expression`` is what formulae evaluated, ``written_as``
    the user's text, for the message.
    """
    terms = model_description(expression).terms
    by_name = {str(term.name): term for term in matrix.terms.values()}
    written = [frozenset(str(c.name) for c in getattr(term, "components", ())) for term in terms
               if type(term).__name__ != "Intercept"]
    empty = any(type(term).__name__ == "Intercept" for term in terms)
    expected: dict[frozenset, int] = {}
    for position, (names, term) in enumerate(zip(
            written, [t for t in terms if type(t).__name__ != "Intercept"], strict=True)):
        own = by_name.get(str(term.name))
        if own is None:
            continue
        components = list(getattr(own, "components", ()))
        count = 1
        for component in components:
            if component.kind == "categoric":
                rest = names - {str(component.name)}
                # R's TermCode: contrasts where the term without the factor lies within a
                # term before it (the terms in R's order), or is the intercept
                coded = (not rest and empty) if not rest else any(
                    rest <= before for before in written[:position])
                count *= len(component.levels) - (1 if coded else 0)
            else:
                count *= _width(component)
        expected[names] = count
        if len(components) == 1 and components[0].kind == "categoric" and not empty:
            empty = True  # R's first factor without an intercept takes its place
    for term in matrix.terms.values():
        components = list(getattr(term, "components", ()))
        if not any(c.kind == "categoric" for c in components):
            continue
        names = frozenset(str(c.name) for c in components)
        if expected.get(names) == len(term.labels):
            continue
        culprit = as_written(next((":".join(sorted(other)) for other in written
                                   if len(other) > 1 and names <= other),
                                  ":".join(sorted(names))))
        raise FormulaError(
            f"{written_as!r} in {where}: R codes the factors of {culprit} by their contrasts "
            "only where the term without the factor comes before it (else by all their "
            "levels), and formulae codes this formula's factors otherwise, which would be "
            "another model than brms's; write the interaction with its main effects "
            f"({culprit.replace(':', ' * ')}) or as cell means without the intercept "
            f"(0 + {culprit}).")


def evaluate_expression(expression: str, data: pd.DataFrame, where: str) -> pd.Series:
    """One expression of the data's columns (a column, or ``log(x)``), evaluated as formulae
    evaluates a term; ``where`` names its place in messages."""
    if expression in data.columns:
        return data[expression]
    formula_variables(f"I({expression})", where)
    # a response, offset or addition: brms evaluates it on the complete rows
    matrix = design_matrix(f"0 + I({expression})", data, where, learn=False)
    return pd.Series(np.asarray(matrix)[:, 0], index=data.index, name=expression)


def evaluate_new_data(matrix, frame: pd.DataFrame, where: str) -> np.ndarray:
    """A fitted formulae matrix's columns on new rows, with the fitted data's codings."""
    try:
        values = matrix.evaluate_new_data(frame).as_dataframe().to_numpy(dtype=float)
    except Exception as error:  # formulae reports unknown levels and columns in several ways
        raise DataError(f"Cannot evaluate {where} on newdata: {error}") from None
    return values[:, r_column_positions(matrix)]


def _is_factor(name: str, data: pd.DataFrame) -> bool:
    if _COMPARISON.match(name) or name.startswith(("C(", "factor(")):
        return True
    if name not in data.columns:
        return False
    dtype = data[name].dtype
    return (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype)
            or not pd.api.types.is_numeric_dtype(dtype))


def check_logical_codings(expression: str, where: str, data: pd.DataFrame) -> None:
    """Refuse a comparison ``I(x > 0)`` that R codes by both of its levels.

    R codes a comparison as a logical factor: by its level ``TRUE`` alone where the term
    without it is in the model (for a main effect, the intercept; without one, a factor's
    main effect before it, which R codes by all its levels), by both levels where it is not
    (``I(x > 0):z`` without ``z``, ``0 + I(x > 0)``). formulae codes the comparison as one
    number in every term, so the second case would give another model than brms's; a
    logical column of the data is coded as R codes it.
    """
    terms = model_description(expression).terms
    names = [frozenset(str(c.name) for c in getattr(term, "components", ())) for term in terms]
    intercept = any(type(term).__name__ == "Intercept" for term in terms)
    present = set(names) | ({frozenset()} if intercept else set())
    for term, components in zip(terms, names, strict=True):
        if len(components) == 1 and not intercept and frozenset() not in present:
            # the first factor of a model without intercept takes all its levels, and the
            # factors after it are coded as with an intercept
            if _is_factor(next(iter(components)), data) and not _COMPARISON.match(
                    next(iter(components))):
                present.add(frozenset())
                continue
        for name in components:
            if _COMPARISON.match(name) and components - {name} not in present:
                raise FormulaError(
                    f"{str(term.name)!r} in {where}: R codes the comparison {name} by both "
                    "of its levels here, as the term without it is not in the model, which "
                    "this package does not reproduce; make the comparison a column of the "
                    f"data (data['flag'] = <the comparison>) and use it in its place.")


def in_r_term_order(expression: str) -> str:
    """The population terms of ``expression`` in R's order, written out one by one.

    R's ``terms()`` lists the terms by their degree (main effects, then two-way
    interactions, ...), each in order of appearance, and writes a term's variables in the
    order they first appear in the formula: ``f + x:f`` has the column ``fa:x``, as brms
    names its coefficient ``b_fa:x``. formulae keeps a term as written (``x:f[a]``);
    rewritten in R's order, its columns and names are R's. An expression formulae cannot
    read is returned as it is, for the checks that name what is wrong with it.
    """
    try:
        terms = model_description(expression).terms
    except Exception:  # formulae raises several unrelated types for bad syntax
        return expression
    intercept = any(type(term).__name__ == "Intercept" for term in terms)
    written = [[str(c.name) for c in getattr(term, "components", ())] for term in terms
               if type(term).__name__ != "Intercept"]
    if any(not components for components in written):
        return expression
    compact = re.sub(r"\s+", "", expression)

    within_calls = inside_calls(compact)

    def appearance(name: str) -> int:
        # where the variable (or the call, as R counts log(x) as one) first appears as a
        # variable of its own: x inside scale(x) is another variable's argument
        bare = re.sub(r"\s+", "", name)
        pattern = (rf"(?<![\w.]){re.escape(bare)}(?![\w.(])" if bare.isidentifier()
                   else re.escape(bare))
        for found in re.finditer(pattern, compact):
            if not within_calls[found.start()]:
                return found.start()
        return len(compact)

    first = {name: appearance(name) for components in written for name in components}
    # stable: each degree in order of appearance
    ordered = [sorted(components, key=first.__getitem__) for components in
               sorted(written, key=len)]
    nesting = any(char == "/" and not inside for char, inside in zip(compact, within_calls,
                                                                     strict=True))
    # formulae mislabels the columns of a nesting a/b it evaluates itself: written out
    if ordered == written and not nesting:
        return expression
    parts = [":".join(components) for components in ordered]
    return " + ".join(parts if intercept else ["0", *parts])


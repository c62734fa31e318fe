"""brms's ``bf()``: a formula with the formulas of distributional or non-linear parameters."""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass

from ..errors import FormulaError
from ..families.family import format_number
from .formula_text import split_top_level

# a parameter's name, as R and Python allow it
_NAME = re.compile(r"[^\W\d][\w.]*")


@dataclass(frozen=True)
class BrmsFormula:
    """A model formula with formulas for distributional or non-linear parameters, made by
    :func:`bf`."""

    formula: str
    dpars: tuple[tuple[str, str], ...] = ()
    nl: bool = False
    # distributional parameters held at a value, bf(y ~ x, quantile = 0.25)
    fixed: tuple[tuple[str, float], ...] = ()
    # brms's center = FALSE: the mean's intercept a b coefficient, its predictors uncentred
    center: bool = True

    def __str__(self) -> str:
        return "\n".join([self.formula] + [f"{name} {text}" for name, text in self.dpars]
                         + [f"{name} = {held_value(value)}" for name, value in self.fixed])


def held_value(value: float) -> str:
    """A held parameter's value as brms prints it: rounded to two decimals (0.33, not -0)."""
    return format_number(round(float(value), 2) + 0.0)


def bf(formula: str, *formulas: str, nl: bool = False, center: bool = True,
       **dpars: str | float) -> BrmsFormula:
    """A formula with predicted distributional parameters, or a non-linear formula, as
    brms's ``bf()``.

    Parameters
    ----------
    formula
        The formula of the response's mean, e.g. ``"Reaction ~ Days + (Days | Subject)"``;
        with ``nl=True`` an arithmetic expression of parameters and numeric columns, e.g.
        ``"y ~ b1 * exp(b2 * x)"``.
    *formulas
        Parameters' formulas in brms's spelling, each naming its parameters left of ``~``:
        ``"sigma ~ Days"``, or ``"b1 + b2 ~ 1 + (1 | g)"`` for several at once.
    nl
        Whether ``formula`` is non-linear: each name in it that has a formula here is a
        parameter predicted by that formula (its coefficients named ``b_b1_Intercept``, as
        brms's), the other names are columns of the data.
    center
        False for brms's ``center = FALSE``: the mean's predictors are not centred and its
        intercept is a population-level coefficient with the ``b`` prior (flat by default),
        as in ``0 + Intercept + ...``, so that a prior on it is one on the intercept itself.
    **dpars
        One formula per parameter, written without response (``sigma="~ Days"``) or with the
        parameter's name (``sigma="sigma ~ Days"``); each may have population and group terms,
        ``zi="~ mined + (1 | site)"``. A number holds the parameter at that value instead of
        estimating it, as brms's ``bf(y ~ x, quantile = 0.25)``.

    Returns
    -------
    BrmsFormula
        To pass as the formula of :func:`multilevel.brm` or :func:`multilevel.get_prior`.

    Examples
    --------
    >>> ml.bf("Reaction ~ Days + (Days | Subject)", sigma="~ Days")
    >>> ml.bf("y ~ b1 * exp(b2 * x)", "b1 ~ 1 + (1 | g)", "b2 ~ 1", nl=True)
    >>> ml.bf("y ~ x", quantile=0.9)  # with family="asym_laplace": the 0.9 quantile
    """
    if not isinstance(formula, str):
        raise FormulaError(f"The formula must be a string, got {type(formula).__name__}.")
    if not isinstance(nl, bool):
        raise FormulaError(f"bf(nl=...) is True or False, got {nl!r}.")
    if not isinstance(center, bool):
        raise FormulaError(f"bf(center=...) is True or False, got {center!r}.")
    if nl and not center:
        raise FormulaError("bf(center=False) applies to a linear formula; a non-linear "
                           "formula's parameters are not centred.")
    # brms's bf() options besides formulas and center; none of them is provided here
    for option in ("cmc", "decomp", "sparse", "loop", "family"):
        if option in dpars:
            raise FormulaError(
                f"bf({option}=...) is not supported: multilevel's bf() takes the formulas of "
                "distributional and non-linear parameters, nl and center.")
    parts = []
    for text in formulas:
        sides = split_top_level(text, "~") if isinstance(text, str) else []
        names = [name.strip() for _, name in split_top_level(sides[0][1], "+")] if len(
            sides) == 2 else []
        if not names or not all(_NAME.fullmatch(name) for name in names):
            raise FormulaError(
                f"bf()'s further formulas name their parameters left of '~', as 'sigma ~ x' "
                f"or 'b1 + b2 ~ 1'; got {text!r}.")
        parts.extend((name, f"~ {sides[1][1]}") for name in names)
    fixed = []
    for name, text in dpars.items():
        if isinstance(text, numbers.Real) and not isinstance(text, bool):
            if not math.isfinite(text):
                raise FormulaError(f"bf() holds {name!r} at a finite number, got {text!r}.")
            fixed.append((name, float(text)))
            continue
        if not isinstance(text, str):
            raise FormulaError(f"The formula of {name!r} must be a string such as '~ x', or a "
                               f"number to hold it at, got {text!r}.")
        parts.append((name, text.strip()))
    both = sorted({name for name, _ in fixed} & {name for name, _ in parts})
    if both:
        raise FormulaError(f"bf() gives {', '.join(map(repr, both))} a formula and a value; "
                           "give one of them.")
    repeated = sorted({name for name, _ in parts if [n for n, _ in parts].count(name) > 1})
    if repeated:
        raise FormulaError(f"bf() gives {', '.join(map(repr, repeated))} more than one formula.")
    return BrmsFormula(formula.strip(), tuple(parts), nl, tuple(fixed), center)

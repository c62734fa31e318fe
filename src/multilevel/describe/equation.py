"""A model's equations in LaTeX, in Gelman & Hill's or Raudenbush & Bryk's notation.

:func:`model_equation` reads the :class:`Design` (which predictors are constant within which
groups, from the data) and the :class:`PriorTable` (the priors in force) and returns an
:class:`Equation`, which renders in Jupyter and keeps its lines for matplotlib.
"""

from __future__ import annotations

from ..errors import SettingsError
from ..priors.table import PriorTable
from ..spec.design import Design
from . import gelman_hill, raudenbush_bryk
from .lines import Equation, EquationLine
from .prior_lines import prior_lines
from .structure import analyse

__all__ = ["Equation", "EquationLine", "NOTATIONS", "model_equation"]

NOTATIONS = {"gh": "Gelman & Hill's one-line form",
             "rb": "Raudenbush & Bryk's level-by-level form"}


def _check(notation, priors, expand) -> None:
    if not isinstance(notation, str) or notation.lower() not in NOTATIONS:
        raise SettingsError(
            f"notation must be one of {', '.join(repr(n) for n in NOTATIONS)} ("
            + "; ".join(f"{n!r}: {text}" for n, text in NOTATIONS.items())
            + f"), got {notation!r}.")
    for argument, value in (("priors", priors), ("expand", expand)):
        if not isinstance(value, bool):
            raise SettingsError(f"{argument} must be True or False, got {value!r}.")
    if expand and notation.lower() != "rb":
        raise SettingsError(
            "expand=True substitutes Raudenbush & Bryk's higher levels into the level-1 "
            "equation; use it with notation='rb' (Gelman & Hill's form is already one line).")


def model_equation(design: Design, table: PriorTable, notation: str = "gh",
                   priors: bool = False, expand: bool = False) -> Equation:
    """A model's equations.

    Parameters
    ----------
    design
        The model's design: its formula evaluated on the data.
    table
        The prior table in force (brms's defaults and the user's priors).
    notation
        ``"gh"`` (Gelman & Hill: ``y_i ~ N(alpha_{j[i]} + ..., sigma^2)``) or ``"rb"``
        (Raudenbush & Bryk: level-1 and level-2 equations).
    priors
        Also write the prior of every parameter.
    expand
        With ``"rb"``, substitute the higher levels into the level-1 equation: the combined
        (mixed-model) form.

    Returns
    -------
    Equation
        Its ``lines`` one by one, ``latex`` as one ``aligned`` block; renders in Jupyter.

    Raises
    ------
    SettingsError
        For an unknown notation, or ``expand=True`` outside ``"rb"``.
    """
    _check(notation, priors, expand)
    notation = notation.lower()
    structure = analyse(design)
    if notation == "gh":
        written = gelman_hill.write(design, structure)
    else:
        written = raudenbush_bryk.write(design, structure, expand=expand)
    lines = list(written.lines)
    if priors:
        lines += prior_lines(design, structure, table, written.symbols, written.lines)
    return Equation(tuple(lines), notation)

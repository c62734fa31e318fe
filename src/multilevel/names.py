"""Names as R and brms print them.

brms builds parameter names from R's coefficient names (``sexFemale``, ``ses:himinty``) and then
strips characters Stan cannot take in names. The same rules here keep ``b_`` names identical.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import pandas as pd

# the model data holding a crossed block's centring weights are named "<this>_<group>_<block>"
CENTRING_DATA = "centring"

# brms's name of the sum of the parameters' log prior densities in its draws
LPRIOR = "lprior"

# brms:::rename(): these characters are dropped or spelled out in parameter names.
_BRMS_SYMBOLS = [
    (" ", ""), ("(", ""), (")", ""), ("[", ""), ("]", ""), (",", ""), ('"', ""), ("'", ""),
    ("?", ""), ("+", "P"), ("-", "M"), ("*", "MU"), ("/", "D"), ("^", "E"), ("=", "EQ"),
]


def stan_name(name: str) -> str:
    """brms's ``make_stan_names()`` of a name that starts with a letter: R's
    ``make.names()`` (every character but letters, digits, ``.`` and ``_`` made ``.``), then
    every ``.`` and ``_`` removed."""
    return re.sub(r"[\W_]", "", name)


def brms_rename(name: str) -> str:
    """Apply brms's renaming of an R coefficient name into a parameter-name part."""
    for symbol, replacement in _BRMS_SYMBOLS:
        name = name.replace(symbol, replacement)
    return name


def r_level_label(value) -> str:
    """Print one factor level as R prints it (``1`` not ``1.0``, ``TRUE`` not ``True``)."""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (float, np.floating)):
        if math.isfinite(value) and float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    return str(value)


# ICU's root collation, which R's sort() uses in a UTF-8 locale: spaces and punctuation, in
# this order, before digits, digits before letters
_ICU_PUNCTUATION = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"


def _primary(char: str) -> tuple[int, int]:
    position = _ICU_PUNCTUATION.find(char)
    if position >= 0:
        return (0, position)
    if char.isdigit():
        return (1, unicodedata.digit(char, 0))
    base = unicodedata.normalize("NFD", char.casefold())[:1] or char
    return (2, ord(base)) if base.isalpha() else (0, len(_ICU_PUNCTUATION) + ord(char))


def r_sort_key(label: str):
    """Sort key of R's ``sort()`` of strings in a UTF-8 locale (ICU's root collation):
    punctuation and spaces before digits, digits one by one before letters, letters without
    regard to case or accents first, then accented after plain and lower case before upper
    (``_u < 10 < 9 < a_b < a-b < b < B``)."""
    return (tuple(_primary(char) for char in label),
            tuple(len(unicodedata.normalize("NFD", char)) for char in label),
            tuple(char.isupper() for char in label))


def sorted_levels(values: pd.Series) -> list:
    """Distinct values of a grouping or factor column in R's ``factor()`` order."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [c for c in values.cat.categories if c in present]
    unique = pd.unique(values.dropna())
    if pd.api.types.is_bool_dtype(values.dtype):
        return sorted(unique)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return sorted(unique)
    return sorted(unique, key=lambda v: r_sort_key(str(v)))


# a transformation's columns, numbered from 0 by formulae and from 1 by R
_POLY_COLUMN = re.compile(r"^((?:poly|ns|bs_R)\(.*\))\[(\d+)\]$")
_LEVEL_SUFFIX = re.compile(r"\[([^\[\]]*)\]")
_PYTHON_LOGICAL = re.compile(r"\b(True|False)\b")
# R's scale() and bs() as formulae knows them (spec/evaluation.py's _RENAMED)
_R_SCALE_NAME = re.compile(r"(?<![\w.])(scale|bs)_R\(")
# an ordered factor as formulae evaluates it (spec/contrasts.py's R_ORDERED)
_R_ORDERED_NAME = re.compile(r"(?<![\w.])ordered_R\(([^()]*)\)")
COMPARISON = re.compile(r"^I\((?:[^()]|\([^()]*\))*?(?:>=|<=|==|!=|>|<)(?:[^()]|\([^()]*\))*\)$")


def r_column_name(formulae_name: str) -> str:
    """Turn a formulae design-column name into R's ``model.matrix`` column name.

    formulae writes ``sex[Male]``, ``poly(x, 2)[0]``, ``I(x ** 2)``, ``C(x)[2]`` and
    ``poly(x, 2, raw=True)[0]``; R writes ``sexMale``, ``poly(x, 2)1``, ``I(x^2)``,
    ``factor(x)2`` and ``poly(x, 2, raw=TRUE)1``; an ordered factor's ``ordered_R(o)[.L]``
    is R's ``o.L``. A comparison, ``I(x > 0)``, is a logical
    in R, whose column is its level ``TRUE``: ``I(x > 0)TRUE``.
    """
    parts = []
    for part in formulae_name.split(":"):
        poly = _POLY_COLUMN.match(part)
        if poly:
            part = f"{poly.group(1)}{int(poly.group(2)) + 1}"
        logical = COMPARISON.match(part) is not None
        part = _LEVEL_SUFFIX.sub(lambda m: m.group(1), part)
        part = part.replace(" ** ", "^").replace("**", "^")
        part = _PYTHON_LOGICAL.sub(lambda m: m.group(1).upper(), part)
        part = _R_SCALE_NAME.sub(lambda m: f"{m.group(1)}(", part)
        part = _R_ORDERED_NAME.sub(lambda m: m.group(1), part)
        parts.append(part + ("TRUE" if logical else ""))
    return ":".join(parts)


def coefficient_name(formulae_name: str) -> str:
    """brms's coefficient name (the part after ``b_``) of a formulae design column."""
    if formulae_name == "Intercept":
        return "Intercept"
    return brms_rename(r_column_name(formulae_name))


def quantile_label(p: float) -> str:
    """brms's column name of a quantile: ``Q2.5``, ``Q97.5``."""
    return "Q" + f"{100 * p:.10g}"


def population_names(dpar: str = "") -> tuple[str, str, str, str]:
    """Model names of a parameter's centred intercept, coefficients, intercept and their dim.

    ``Intercept``, ``b``, ``b_Intercept`` and ``b_coef`` for the mean; ``Intercept_sigma``,
    ``b_sigma``, ``b_sigma_Intercept`` and ``b_sigma_coef`` for ``sigma``, as brms names them.
    """
    if not dpar:
        return "Intercept", "b", "b_Intercept", "b_coef"
    return f"Intercept_{dpar}", f"b_{dpar}", f"b_{dpar}_Intercept", f"b_{dpar}_coef"

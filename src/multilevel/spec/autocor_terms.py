"""brms's residual-structure terms ``ar()``, ``ma()``, ``arma()``, ``cosy()`` and ``unstr()``
as a formula writes them, read with R's argument matching."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import FormulaError
from .formula_text import split_top_level

# a column name as R and Python allow it, letters of any script included
_NAME = re.compile(r"[^\W\d][\w.]*")

# the terms with their arguments in R's order and defaults
AUTOCOR_ARGUMENTS = {
    "ar": (("time", None), ("gr", None), ("p", "1"), ("cov", "FALSE")),
    "ma": (("time", None), ("gr", None), ("q", "1"), ("cov", "FALSE")),
    "arma": (("time", None), ("gr", None), ("p", "1"), ("q", "1"), ("cov", "FALSE")),
    "cosy": (("time", None), ("gr", None)),
    "unstr": (("time", None), ("gr", None)),
}


@dataclass(frozen=True)
class AutocorTerm:
    """A residual structure over time within groups, as brms's ``ar()``/``arma()``/``cosy()``.

    Attributes
    ----------
    kind
        ``"arma"`` (``ar()``, ``ma()`` and ``arma()``), ``"cosy"`` (compound symmetry) or
        ``"unstr"`` (an unstructured correlation matrix over the time points).
    time, gr
        The columns giving the time order and the series; None orders by row and makes one
        series.
    p, q
        The autoregressive and moving-average orders (0 for cosy).
    text
        The term as written, for messages.
    """

    kind: str
    time: str | None
    gr: str | None
    p: int
    q: int
    text: str


def _autocor_value(term: str, name: str, value: str | None, integer: bool) -> str | int | None:
    if not integer:
        if value is None or value == "NA":
            return None
        if not _NAME.fullmatch(value):
            raise FormulaError(f"{term!r}: {name} must be a column name, got {value!r}.")
        return value
    if not re.fullmatch(r"\d+L?", value or ""):
        raise FormulaError(f"{term!r}: {name} must be a non-negative whole number, got "
                           f"{value!r}.")
    return int(value.rstrip("L"))


def parse_autocor(kind: str, arguments: str, term: str) -> AutocorTerm:
    """An ``ar()``, ``ma()``, ``arma()`` or ``cosy()`` term with R's argument matching."""
    names = [name for name, _ in AUTOCOR_ARGUMENTS[kind]]
    given: dict[str, str] = {}
    pieces = [piece for _, piece in split_top_level(arguments, ",")] if arguments.strip() else []
    for position, piece in enumerate(pieces):
        key, equals, value = piece.partition("=")
        if equals and key.strip() in names:
            name, value = key.strip(), value.strip()
        elif equals:
            raise FormulaError(f"{term!r}: {kind}() has no argument {key.strip()!r}; its "
                               f"arguments are {', '.join(names)}.")
        elif position < len(names):
            name, value = names[position], piece.strip()
        else:
            raise FormulaError(f"{term!r}: {kind}() takes at most {len(names)} arguments "
                               f"({', '.join(names)}).")
        if name in given:
            raise FormulaError(f"{term!r}: argument {name!r} is given twice.")
        given[name] = value
    values = {name: given.get(name, default) for name, default in AUTOCOR_ARGUMENTS[kind]}
    if values.get("cov", "FALSE") not in ("FALSE", "F"):
        raise FormulaError(
            f"{term!r}: cov = TRUE (ARMA structures as a residual covariance matrix) is not "
            "supported; the default cov = FALSE models the residuals of gaussian and student "
            "families through their lagged values, as brms does."
        )
    p = _autocor_value(term, "p", values.get("p", "0"), True)
    q = _autocor_value(term, "q", values.get("q", "0"), True)
    if kind in ("ar", "ma", "arma") and p == 0 and q == 0:
        raise FormulaError(f"{term!r}: at least one of p and q must be positive.")
    if kind == "unstr" and (values["time"] in (None, "NA") or values["gr"] in (None, "NA")):
        raise FormulaError(f"{term!r}: unstr() needs both its time variable and its grouping "
                           "factor, as in unstr(time = visit, gr = patient).")
    return AutocorTerm(kind=kind if kind in ("cosy", "unstr") else "arma",
                       time=_autocor_value(term, "time", values["time"], False),
                       gr=_autocor_value(term, "gr", values["gr"], False), p=p, q=q, text=term)

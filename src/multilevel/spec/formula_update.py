"""R's ``update.formula`` for brms formulas: ``.`` stands for the old formula's side.

``update("y ~ x + (1 | g)", "~ . + z")`` gives ``"y ~ x + (1 | g) + z"``;
``". ~ . - x"`` removes the term ``x``; ``"log(.) ~ ."`` transforms the response. Terms are
compared as written (spaces aside); a product ``a * b`` is expanded into ``a + b + a:b`` only
when one of its parts is removed, as R's ``terms()`` would.
"""

from __future__ import annotations

import itertools
import re

from ..errors import FormulaError

# a "." standing alone, not part of a name (my.var) or a number (0.5)
_DOT = re.compile(r"(?<![\w.])\.(?![\w.])")
_INTERCEPTS = ("1", "0")


def _split(text: str, separators: str) -> list[tuple[str, str]]:
    """``text`` split at ``separators`` outside parentheses: (separator before, piece)."""
    pieces, depth, sign, current = [], 0, "", []
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char in separators:
            pieces.append((sign, "".join(current).strip()))
            sign, current = char, []
        else:
            current.append(char)
    pieces.append((sign, "".join(current).strip()))
    return pieces


def _sides(formula: str, what: str) -> tuple[str, str]:
    sides = _split(formula, "~")
    if len(sides) != 2:
        raise FormulaError(f"The {what} formula {formula!r} needs exactly one '~', as in "
                           "'~ . + x' or '. ~ . - x'.")
    return sides[0][1], sides[1][1]


def _key(term: str) -> str:
    return re.sub(r"\s+", "", term)


def _signed_terms(rhs: str, formula: str) -> list[tuple[str, str]]:
    """The terms of a right-hand side with their signs (``+`` or ``-``)."""
    terms = []
    for sign, term in _split(rhs, "+-"):
        if not term:
            if sign or len(_split(rhs, "+-")) == 1:
                raise FormulaError(f"The formula {formula!r} has an empty term.")
            continue  # a leading sign: "- 1 + x"
        terms.append((sign or "+", term))
    return terms


def _expanded(term: str) -> list[str]:
    """``a * b`` as R's terms: ``a``, ``b``, ``a:b``; any other term as it is."""
    factors = [piece for _, piece in _split(term, "*")]
    if len(factors) == 1:
        return [term]
    return [":".join(combination) for size in range(1, len(factors) + 1)
            for combination in itertools.combinations(factors, size)]


class _Terms:
    """A right-hand side being updated: its terms in order and its intercept."""

    def __init__(self) -> None:
        self.terms: list[str] = []
        # None: implicit; "1": written; "0" or "-1": removed, as written
        self.intercept: str | None = None

    def add(self, term: str) -> None:
        if term == "1":
            # adding it back leaves it implicit, as R writes "y ~ x" for "y ~ x - 1 + 1"
            self.intercept = None if self.intercept in ("0", "-1") else "1"
            return
        if term == "0":
            self.intercept = "0"
            return
        if _key(term) not in map(_key, self.terms):
            self.terms.append(term)

    def remove(self, term: str, formula: str) -> None:
        if term in _INTERCEPTS:
            self.intercept = "-1" if term == "1" else None
            return
        keys = [_key(t) for t in self.terms]
        if _key(term) in keys:
            del self.terms[keys.index(_key(term))]
            return
        for position, existing in enumerate(self.terms):
            parts = _expanded(existing)
            if len(parts) > 1 and _key(term) in map(_key, parts):
                kept = [p for p in parts if _key(p) != _key(term)]
                self.terms[position:position + 1] = kept
                return
        raise FormulaError(
            f"Cannot remove {term!r} in {formula!r}: the formula has no such term. Its terms "
            f"are {', '.join(repr(t) for t in self.terms) or 'none'}.")

    def text(self) -> str:
        terms = list(self.terms)
        if self.intercept in ("1", "0"):
            terms.insert(0, self.intercept)
        text = " + ".join(terms) or ("0" if self.intercept == "-1" else "1")
        return text + " - 1" if self.intercept == "-1" and self.terms else text


def update_formula(old: str, new: str) -> str:
    """The formula ``new`` with ``.`` standing for ``old``'s sides, as R's ``update.formula``.

    Parameters
    ----------
    old
        The formula to update, e.g. ``"Reaction ~ Days + (Days | Subject)"``.
    new
        The changes: ``"~ . + x"`` (one-sided: the response is kept), ``". ~ . - Days"``,
        ``"log(.) ~ ."``, or a whole formula without ``.``, which replaces ``old``.

    Returns
    -------
    str
        The updated formula.

    Raises
    ------
    FormulaError
        When either formula has not one ``~``, a ``.`` is part of a term on the right, or a
        removed term is not in the formula.
    """
    old_lhs, old_rhs = _sides(old, "old")
    new_lhs, new_rhs = _sides(new, "new")
    lhs = _DOT.sub(lambda _: old_lhs, new_lhs) if new_lhs else old_lhs
    if not _DOT.search(new_rhs):
        return f"{lhs} ~ {new_rhs}"
    terms = _Terms()
    for sign, term in _signed_terms(new_rhs, new):
        if term == ".":
            if sign == "-":
                raise FormulaError(f"In {new!r}, '- .' would remove every term; write the "
                                   "new formula out instead.")
            for old_sign, old_term in _signed_terms(old_rhs, old):
                if old_sign == "+":
                    terms.add(old_term)
                else:
                    terms.remove(old_term, old)
            continue
        if _DOT.search(term):
            raise FormulaError(f"In {new!r}, '.' stands for the old formula's whole right-hand "
                               "side: use it as a term of its own, as in '~ . + x'.")
        if sign == "+":
            terms.add(term)
        else:
            terms.remove(term, new)
    return f"{lhs} ~ {terms.text()}"

"""Reading R formula text: pieces at the top level, outside any parentheses.

brms's formulas nest calls and group terms (``(Days | Subject)``, ``ar(time = t, gr = g)``)
inside the sums that separate terms, so every split of a formula counts parentheses.
"""

from __future__ import annotations

from ..errors import FormulaError


def split_top_level(text: str, separators: str) -> list[tuple[str, str]]:
    """Split ``text`` at separator characters outside parentheses.

    Returns (separator preceding the piece, piece) pairs; the first piece gets ``""``.
    """
    pieces: list[tuple[str, str]] = []
    depth = 0
    current: list[str] = []
    sign = ""
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth < 0:
                raise FormulaError(f"Unbalanced ')' in formula part {text.strip()!r}.")
        if depth == 0 and char in separators:
            pieces.append((sign, "".join(current).strip()))
            sign, current = char, []
            continue
        current.append(char)
    if depth != 0:
        raise FormulaError(f"Unbalanced '(' in formula part {text.strip()!r}.")
    pieces.append((sign, "".join(current).strip()))
    return pieces


def outer_parenthesised(term: str) -> str | None:
    """The inside of ``term`` if one pair of parentheses encloses all of it."""
    if not (term.startswith("(") and term.endswith(")")):
        return None
    depth = 0
    for position, char in enumerate(term):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and position != len(term) - 1:
            return None
    return term[1:-1]


def find_bar(inside: str) -> tuple[int, int] | None:
    """Position and width (1 or 2) of the top-level ``|`` or ``||`` in a group term."""
    depth = 0
    position = 0
    while position < len(inside):
        char = inside[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            if inside[position:position + 2] == "||":
                return position, 2
            return position, 1
        position += 1
    return None


def inside_calls(text: str) -> list[bool]:
    """For each character, whether it lies within a call's parentheses, ``log(...)``, rather
    than at the formula's level or within grouping parentheses, ``(a + b):c``."""
    inside: list[bool] = []
    calls: list[bool] = []  # for each open parenthesis, whether it opens a call
    for position, char in enumerate(text):
        if char == ")" and calls:
            calls.pop()
        inside.append(any(calls))
        if char == "(":
            calls.append(position > 0 and (text[position - 1].isalnum()
                                           or text[position - 1] in "._"))
    return inside

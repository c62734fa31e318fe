"""Group terms: lme4's ``(terms | group)`` and ``(terms || group)`` with nesting ``a/b``,
brms's IDs ``(terms | p | group)`` and brms's ``gr(group, by = , cor = , id = , cov = )``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import FormulaError
from .evaluation import in_r_term_order
from .formula_text import find_bar, split_top_level

# a column name as R and Python allow it, letters of any script included
_NAME = re.compile(r"[^\W\d][\w.]*")
_GR_CALL = re.compile(r"^gr\s*\((.*)\)$", re.S)
_R_LOGICAL = {"TRUE": True, "T": True, "FALSE": False, "F": False}
_GR_OPTIONS = ("by = a factor, cor = TRUE or FALSE, id = \"name\", cov = the name of a "
               "matrix in data2")


@dataclass(frozen=True)
class GroupTerm:
    """One parenthesised group term after expanding ``a/b`` nesting.

    Attributes
    ----------
    expr
        The varying-effects part (left of the bar), e.g. ``"1 + Days"``.
    factors
        The columns whose combination forms the grouping factor (``("batch", "cask")``).
    correlated
        False for ``||`` and ``gr(g, cor = FALSE)``: each coefficient gets its own block
        without correlations.
    text
        The term as the user wrote it, for messages.
    id
        brms's ID of ``(1 | p | g)`` or ``gr(g, id = "p")``: terms of the same grouping
        factor with the same ID, in the formulas of any parameters, are correlated with each
        other.
    by
        The column of ``gr(g, by = arm)``: each of its levels has its own sds and
        correlations of the effects of the group levels within it.
    cov
        The name in ``data2`` of a known covariance matrix between the levels,
        ``gr(g, cov = A)``; empty without one.
    """

    expr: str
    factors: tuple[str, ...]
    correlated: bool
    text: str
    id: str = ""
    by: str = ""
    cov: str = ""

    @property
    def group(self) -> str:
        """brms's name of the grouping factor (``batch:cask``)."""
        return ":".join(self.factors)


def _gr_options(grouping: str, original: str) -> tuple[str, dict[str, str | bool]]:
    """The grouping factor inside ``gr(...)`` and its options."""
    pieces = [piece for _, piece in split_top_level(grouping, ",")]
    options: dict[str, str | bool] = {}
    for piece in pieces[1:]:
        name, equals, value = (part.strip() for part in piece.partition("="))
        if name == "pw" or (name == "dist" and value.strip("'\"") != "gaussian"):
            raise FormulaError(f"Group term {original!r}: gr()'s {name} = {value} is not "
                               f"supported; gr() takes {_GR_OPTIONS}.")
        if name == "dist":
            continue
        if not equals or name not in ("by", "cor", "id", "cov") or name in options:
            raise FormulaError(f"Group term {original!r}: {piece!r} is not an option of gr(); "
                               f"gr() takes the grouping factor, then {_GR_OPTIONS}.")
        if name == "cor":
            if value not in _R_LOGICAL:
                raise FormulaError(f"Group term {original!r}: cor must be TRUE or FALSE, "
                                   f"not {value!r}.")
            options[name] = _R_LOGICAL[value]
        elif name == "id":
            options[name] = value.strip("'\"")
            if not _NAME.fullmatch(str(options[name])) and not value.isdigit():
                raise FormulaError(f"Group term {original!r}: id must be a name such as "
                                   f"id = \"p\", not {value!r}.")
        elif name == "cov" and value == "NULL":  # brms's default: no matrix
            options[name] = ""
        elif name == "cov":
            if not _NAME.fullmatch(value):
                raise FormulaError(f"Group term {original!r}: cov must name a matrix of "
                                   f"data2, as in gr(g, cov = A), not {value!r}.")
            options[name] = value
        elif value == "NULL":  # brms's default: no by column
            options[name] = ""
        else:
            if not _NAME.fullmatch(value):
                raise FormulaError(f"Group term {original!r}: by must name a column, as in "
                                   f"gr(g, by = arm), not {value!r}.")
            options[name] = value
    if len(pieces) < 1 or not pieces[0] or "=" in pieces[0] or "/" in pieces[0]:
        raise FormulaError(f"Group term {original!r}: gr() takes one grouping factor (a column "
                           "or 'a:b') first, as in gr(g, by = arm).")
    return pieces[0], options


def parse_group_term(inside: str, original: str) -> list[GroupTerm]:
    """The group terms of one parenthesised term, ``inside`` its text without parentheses:
    one per level of nesting (``a/b`` gives ``a`` and ``a:b``)."""
    found = find_bar(inside)
    assert found is not None
    position, width = found
    expr = inside[:position].strip()
    grouping = inside[position + width:].strip()
    term_id = ""
    if "|" in grouping:
        term_id, _, grouping = (part.strip() for part in grouping.partition("|"))
        if width == 2 or not _NAME.fullmatch(term_id) or "|" in grouping or "/" in grouping:
            raise FormulaError(
                f"Group term {original!r}: brms's ID syntax is (terms | ID | group), with one "
                "bar each side of a name, such as (1 | p | Subject), and one grouping factor."
            )
    if not expr:
        raise FormulaError(
            f"Group term {original!r} has nothing left of the bar; write (1 | group) for "
            "varying intercepts."
        )
    if not grouping:
        raise FormulaError(
            f"Group term {original!r} has no grouping factor right of the bar; write e.g. "
            "(1 | subject)."
        )
    correlated, by, cov = width == 1, "", ""
    call = _GR_CALL.match(grouping)
    if call is not None:
        grouping, options = _gr_options(call.group(1), original)
        correlated = correlated and bool(options.get("cor", True))
        by = str(options.get("by", ""))
        cov = str(options.get("cov", ""))
        if by and cov:
            raise FormulaError(f"Group term {original!r}: gr() with both by and cov is not "
                               "supported here; give one of them.")
        if "id" in options:
            if term_id:
                raise FormulaError(f"Group term {original!r} gives an ID twice, between the "
                                   "bars and in gr(); give it once.")
            term_id = str(options["id"])
    expr = in_r_term_order(expr.replace("^", "**"))
    nested = [part.strip() for part in grouping.split("/")]
    factors_chain: list[tuple[str, ...]] = []
    for depth in range(1, len(nested) + 1):
        columns: list[str] = []
        for part in nested[:depth]:
            columns.extend(piece.strip() for piece in part.split(":"))
        for column in columns:
            if not column or not _NAME.fullmatch(column):
                raise FormulaError(
                    f"Group term {original!r}: {column!r} is not a column name; the grouping "
                    "factor must be a column, 'a:b' (interaction), 'a/b' (nesting) or "
                    "gr(g, ...)."
                )
        factors_chain.append(tuple(columns))
    return [
        GroupTerm(expr=expr, factors=factors, correlated=correlated, text=original, id=term_id,
                  by=by, cov=cov)
        for factors in factors_chain
    ]

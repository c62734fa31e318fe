"""brms's special priors as written: ``horseshoe()``, ``R2D2()`` and ``lasso()``.

Each is an R call whose arguments R matches by name, then the rest by position; brms checks
them with its own messages. :func:`special_arguments` does the same and returns the values
in the call's order (a vector argument, R2D2's ``cons_D2``, last, as many values as given).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import PriorError
from ..spec.formula_text import split_top_level

HORSESHOE = "horseshoe"
R2D2 = "R2D2"
LASSO = "lasso"


@dataclass(frozen=True)
class Argument:
    """One argument of a special prior: its name, default (None: R's NULL), what it must be
    (``positive``, ``fraction`` in (0, 1), ``logical`` TRUE or FALSE, or ``positive
    vector``) and brms's message where it is not."""

    name: str
    default: float | None
    kind: str
    message: str


_POSITIVE = "must be a single positive number"
ARGUMENTS: dict[str, tuple[Argument, ...]] = {
    HORSESHOE: (
        Argument("df", 1.0, "positive",
                 f"Invalid horseshoe prior: Degrees of freedom of the local priors {_POSITIVE}"),
        Argument("scale_global", 1.0, "positive",
                 f"Invalid horseshoe prior: Scale of the global prior {_POSITIVE}"),
        Argument("df_global", 1.0, "positive",
                 f"Invalid horseshoe prior: Degrees of freedom of the global prior {_POSITIVE}"),
        Argument("scale_slab", 2.0, "positive",
                 f"Invalid horseshoe prior: Scale of the slab part {_POSITIVE}"),
        Argument("df_slab", 4.0, "positive",
                 f"Invalid horseshoe prior: Degrees of freedom of the slab part {_POSITIVE}"),
        Argument("par_ratio", None, "positive", "Argument 'par_ratio' must be greater 0"),
        Argument("autoscale", 1.0, "logical", "autoscale must be TRUE or FALSE"),
    ),
    R2D2: (
        Argument("mean_R2", 0.5, "fraction", "Invalid R2D2 prior: Mean of the R2 prior must "
                 "be a single number in (0, 1)"),
        Argument("prec_R2", 2.0, "positive",
                 f"Invalid R2D2 prior: Precision of the R2 prior {_POSITIVE}"),
        Argument("cons_D2", 1.0, "positive vector", "Invalid R2D2 prior: Concentration of the "
                 "D2 prior must be a vector of positive numbers"),
        Argument("autoscale", 1.0, "logical", "autoscale must be TRUE or FALSE"),
    ),
    LASSO: (
        Argument("df", 1.0, "positive", "Invalid lasso prior: Degrees of freedom of the "
                 f"shrinkage parameter prior {_POSITIVE}"),
        Argument("scale", 1.0, "positive",
                 f"Invalid lasso prior: Scale of the Laplace priors {_POSITIVE}"),
    ),
}


def _numbers(piece: str) -> list[float]:
    vector = re.fullmatch(r"c\s*\((.*)\)", piece, re.S)
    parts = ([part.strip() for _, part in split_top_level(vector.group(1), ",")] if vector
             else [piece])
    try:
        return [float(part) for part in parts]
    except ValueError:
        return [np.nan]


def _value(argument: Argument, piece: str | None, text: str) -> list[float]:
    if argument.kind == "logical":
        if piece not in (None, "TRUE", "T", "FALSE", "F"):
            raise PriorError(f"Invalid {text.split('(')[0]} prior {text!r}: {argument.message},"
                             f" got {piece!r}.")
        return [0.0 if piece in ("FALSE", "F") else 1.0]
    if piece is None or (piece == "NULL" and argument.default is None):
        # an absent par_ratio is 0: the global scale is then scale_global itself
        return [0.0 if argument.default is None else argument.default]
    values = _numbers(piece)
    valid = all(np.isfinite(values)) and all(
        0 < v < 1 if argument.kind == "fraction" else v > 0 for v in values)
    if not valid or (len(values) > 1 and argument.kind != "positive vector"):
        raise PriorError(f"{argument.message}, got {piece!r} in {text!r}.")
    return values


def special_arguments(text: str, name: str, inside: str) -> tuple[tuple[float, ...], str]:
    """The values of a special prior's arguments and the call as R deparses it.

    Parameters
    ----------
    text
        The prior as the user wrote it, for messages.
    name
        :data:`HORSESHOE`, :data:`R2D2` or :data:`LASSO`.
    inside
        What lies between the call's parentheses.

    Returns
    -------
    tuple
        The values in the order of :data:`ARGUMENTS` (a logical as 1 or 0, an absent
        ``par_ratio`` as 0), a vector argument's values last; and the call as written.

    Raises
    ------
    PriorError
        For an unknown or repeated argument, too many, or a value brms refuses.
    """
    arguments = ARGUMENTS[name]
    names = [argument.name for argument in arguments]
    pieces = [piece.strip() for _, piece in split_top_level(inside, ",")] if inside.strip() \
        else []
    named, positional, written = {}, [], []
    for piece in pieces:
        key, equals, value = (part.strip() for part in piece.partition("="))
        if equals and key in names and key not in named:
            named[key] = value
            written.append(f"{key} = {value}")
        elif equals:
            raise PriorError(f"Invalid {name} prior {text!r}: unknown or repeated argument "
                             f"{key!r}; {name}() takes {', '.join(names)}.")
        else:
            positional.append(piece)
            written.append(piece)
    free = [argument for argument in names if argument not in named]
    if len(positional) > len(free):
        raise PriorError(f"Invalid {name} prior {text!r}: it takes at most {len(names)} "
                         "arguments.")
    named.update(zip(free, positional, strict=False))
    scalars: list[float] = []
    vector: list[float] = []
    for argument in arguments:
        values = _value(argument, named.get(argument.name), text)
        (vector if argument.kind == "positive vector" else scalars).extend(values)
    return tuple(scalars + vector), f"{name}({', '.join(written)})"

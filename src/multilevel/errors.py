"""Exceptions raised for bad user input.

Every error names what is at fault (column, term, level or prior) and what would be valid, so
that a notebook user never has to read a traceback from inside PyMC or pytensor.
"""

from __future__ import annotations

import difflib


class MultilevelError(ValueError):
    """Base class of the errors about user input."""


class FormulaError(MultilevelError):
    """The formula string cannot be read or names something the data lacks."""


class DataError(MultilevelError):
    """The data do not fit the model: wrong types, bad response values, empty groups."""


class PriorError(MultilevelError):
    """A prior cannot be parsed or does not correspond to a model parameter."""


class FamilyError(MultilevelError):
    """An unknown family, or a link the family does not have."""


class SettingsError(MultilevelError):
    """A sampler or algorithm setting outside its valid values."""


class StorageError(MultilevelError):
    """A saved fit is missing, malformed, or was changed after it was saved."""


def close_matches(name: str, candidates, n: int = 3) -> str:
    """Return a ' Did you mean ...?' hint listing the candidates closest to ``name``."""
    unique = list(dict.fromkeys(str(c) for c in candidates))
    matches = difflib.get_close_matches(str(name), unique, n=n, cutoff=0.5)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"

"""Known covariances between a grouping factor's levels: brms's ``gr(g, cov = A)``.

A phylogeny, a pedigree or a spatial kernel says how alike the levels are before any data:
their effects are then ``r = Lcov z (diag(sd) L)'`` rather than independent across levels,
where ``Lcov`` is the lower Cholesky factor of the matrix ``A`` given in ``data2``, taken in
the order of the grouping factor's levels. The matrix is checked as brms checks it (square,
symmetric, positive definite, named rows or columns that include every level); where both
its rows and its columns are named, they must name the levels in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import DataError
from ..names import r_level_label

_EXAMPLE = "data2={'A': A}, with A a pandas DataFrame whose index and columns are the levels"


def covariance_matrix(name: str, data2: Mapping | None, term: str) -> pd.DataFrame:
    """``data2[name]`` checked as brms checks a within-group covariance matrix, its rows and
    columns labelled as R prints the levels.

    Parameters
    ----------
    name
        The name in ``gr(g, cov = name)``.
    data2
        The ``data2`` mapping given to the fit, or None.
    term
        The group term, for messages.

    Returns
    -------
    DataFrame
        The matrix, float, with the same string labels on its rows and columns.

    Raises
    ------
    DataError
        When the matrix is missing, unlabelled, not square and symmetric, or not positive
        definite.
    """
    if data2 is None or name not in data2:
        given = ", ".join(map(repr, data2)) if data2 else "nothing"
        raise DataError(f"Object {name!r} was not found in 'data2' (group term {term}); "
                        f"data2 holds {given}. Give the matrix as {_EXAMPLE}.")
    matrix = data2[name]
    if not isinstance(matrix, pd.DataFrame):
        raise DataError(f"Row or column names are required for within-group covariance "
                        f"matrices: data2's {name!r} is a {type(matrix).__name__}. Give "
                        f"{_EXAMPLE} of the grouping factor.")
    rows_named = not isinstance(matrix.index, pd.RangeIndex)
    columns_named = not isinstance(matrix.columns, pd.RangeIndex)
    if not rows_named and not columns_named:
        raise DataError(f"Row or column names are required for within-group covariance "
                        f"matrices: data2's {name!r} has neither. Give {_EXAMPLE} of the "
                        "grouping factor.")
    # as brms, the column names where the rows have none
    labels = matrix.index if rows_named else matrix.columns
    if rows_named and columns_named and [r_level_label(c) for c in matrix.columns] != [
            r_level_label(r) for r in matrix.index]:
        raise DataError(f"The columns of data2's {name!r} must name the levels in the order "
                        f"of its rows (group term {term}); reorder them with "
                        f"A.loc[:, A.index].")
    if matrix.size == 0:
        raise DataError(f"data2's {name!r} of group term {term} is empty.")
    try:
        values = matrix.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"data2's {name!r} must hold numbers only: it is a within-group "
                        f"covariance matrix of group term {term}.") from None
    scale = np.abs(values).mean() if values.size else 1.0
    if (values.shape[0] != values.shape[1] or not np.isfinite(values).all()
            or np.abs(values - values.T).mean() > 100 * np.finfo(float).eps * scale):
        raise DataError(f"Within-group covariance matrices must be symmetric: data2's "
                        f"{name!r} ({values.shape[0]} x {values.shape[1]}) of group term "
                        f"{term} is not.")
    if np.linalg.eigvalsh(values).min() <= 0:
        raise DataError(f"Within-group covariance matrices must be positive definite: data2's "
                        f"{name!r} of group term {term} is not (its smallest eigenvalue is "
                        "not above 0).")
    names = [r_level_label(label) for label in labels]
    if len(set(names)) != len(names):
        raise DataError(f"The names of data2's {name!r} repeat a level; each level of group "
                        f"term {term} needs one row and one column.")
    return pd.DataFrame(values, index=names, columns=names)


def level_cholesky(matrix: pd.DataFrame, levels: list[str], group: str,
                   name: str) -> np.ndarray:
    """The lower Cholesky factor of ``matrix`` over ``levels``, in their order.

    Raises
    ------
    DataError
        brms's error when a level has no row in the matrix, naming the first few.
    """
    missing = [level for level in levels if level not in matrix.index]
    if missing:
        shown = ", ".join(map(repr, missing[:5])) + (" ..." if len(missing) > 5 else "")
        raise DataError(f"Levels of the within-group covariance matrix for {group!r} do not "
                        f"match names of the grouping levels: data2's {name!r} has no row for "
                        f"{shown}.")
    return np.linalg.cholesky(matrix.loc[levels, levels].to_numpy())

"""Checks of evaluated data that would otherwise fail inside the sampler or fit silently.

Each check names the column or term at fault and says what would be valid; where lme4 or brms
accept a questionable design, a warning says what the model can and cannot learn from it.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import DataError, FamilyError, FormulaError, close_matches
from ..families.builtin import family_names
from .model_frame import R_FACTORS

if TYPE_CHECKING:
    from ..families.family import Family
    from .formula import FormulaSpec

# A column whose part not explained by the columns before it is smaller than this, relative to
# its own size, is taken as a linear combination of them.
COLLINEARITY_TOLERANCE = 1e-9


def check_columns(used: dict[str, str], data: pd.DataFrame) -> None:
    columns = [str(c) for c in data.columns]
    for name, where in used.items():
        if name not in data.columns:
            raise FormulaError(
                f"Column {name!r} used in {where} is not in the data."
                + close_matches(name, columns)
                + " Columns: "
                + ", ".join(columns[:20])
                + (" ..." if len(columns) > 20 else "")
            )


def require_rows(data: pd.DataFrame) -> None:
    """Refuse a data frame without rows."""
    if len(data) == 0:
        raise DataError("The data have no rows; a model needs at least two observations.")


def require_finite_columns(data: pd.DataFrame, columns) -> None:
    """Refuse infinite values in the numeric columns the model uses."""
    for column in columns:
        series = data[column]
        if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
                series.dtype):
            continue
        values = series.to_numpy(dtype=float)
        infinite = np.isinf(values)
        if infinite.any():
            raise DataError(
                f"Column {column!r} has {int(infinite.sum())} infinite value(s) (first in row "
                f"{int(np.flatnonzero(infinite)[0])}); the model needs finite numbers. Replace "
                "them, or set them to NaN to drop those rows."
            )


def require_finite(values: np.ndarray, label: str) -> None:
    """Refuse non-finite values of an evaluated term, such as ``log(x)`` at ``x = 0``."""
    values = np.asarray(values, dtype=float)
    bad = ~np.isfinite(values)
    if values.ndim > 1:
        bad = bad.any(axis=tuple(range(1, values.ndim)))
    if bad.any():
        raise DataError(
            f"{label} is not finite in {int(bad.sum())} row(s) (first in row "
            f"{int(np.flatnonzero(bad)[0])}), e.g. the log of zero or of a negative number. "
            "Transform the column so that every used row has a finite value."
        )


def require_factor_levels(data: pd.DataFrame, columns) -> None:
    """Refuse a categorical population-level predictor with one level, as R does."""
    for column in columns:
        series = data[column]
        if isinstance(series.dtype, pd.CategoricalDtype) and len(series.cat.categories) < 2:
            levels = [str(level) for level in series.cat.categories]
            raise DataError(
                f"Column {column!r} has a single level ({', '.join(map(repr, levels))}) in the "
                "used rows; contrasts need a factor with two or more levels. Drop it from the "
                "formula."
            )


def refuse_ordered_by(data: pd.DataFrame, smooths) -> None:
    """Refuse an ordered categorical as the ``by`` of an ``s()`` term: mgcv, and so brms,
    then smooths every level but the first, as differences from it, which is not reproduced
    here."""
    ours = set(data.attrs.get(R_FACTORS, ()))
    for term in smooths:
        dtype = None if term.by is None else data[term.by].dtype
        if isinstance(dtype, pd.CategoricalDtype) and dtype.ordered and term.by not in ours:
            raise FormulaError(
                f"Column {term.by!r}, the by of {term.text!r}, is an ordered categorical, for "
                "which brms (mgcv) smooths every level but the first; that is not reproduced "
                f"here. Make it unordered (data[{term.by!r}] = data[{term.by!r}]"
                ".cat.as_unordered()) for one smooth per level.")


def collinear_columns(X: np.ndarray, names: list[str], has_intercept: bool) -> dict[str, list[str]]:
    """The population-level columns that are linear combinations of the columns before them.

    Parameters
    ----------
    X
        The population-level design without its intercept column.
    names
        The coefficient names of ``X``'s columns.
    has_intercept
        Whether the model has an intercept, which then comes first.

    Returns
    -------
    dict
        Each dependent column's name with the earlier columns it depends on (``Intercept``
        for a constant column); empty when the design has full rank.
    """
    columns = ([np.ones(len(X))] if has_intercept else []) + [X[:, k] for k in range(X.shape[1])]
    labels = (["Intercept"] if has_intercept else []) + list(names)
    basis: list[np.ndarray] = []
    kept: list[int] = []
    dependent: dict[str, list[str]] = {}
    for position, (column, label) in enumerate(zip(columns, labels, strict=True)):
        residual = column.astype(float)
        for vector in basis:
            residual = residual - vector * (vector @ residual)
        size = np.linalg.norm(column)
        if size == 0 or np.linalg.norm(residual) <= COLLINEARITY_TOLERANCE * size:
            if label != "Intercept":
                dependent[label] = _combination(column, [columns[k] for k in kept],
                                                [labels[k] for k in kept])
            continue
        basis.append(residual / np.linalg.norm(residual))
        kept.append(position)
    return dependent


def _combination(column: np.ndarray, earlier: list[np.ndarray], labels: list[str]) -> list[str]:
    """The earlier columns with a non-zero weight in the combination that gives ``column``."""
    if not earlier or not np.any(column):
        return []
    weights = np.linalg.lstsq(np.column_stack(earlier), column, rcond=None)[0]
    scale = np.abs(weights).max()
    return [label for label, weight in zip(labels, weights, strict=True)
            if abs(weight) > 1e-8 * scale]


def warn_grouping_sizes(group: str, levels: int, nobs: int, residual_scale: bool) -> None:
    """Warn where lme4 refuses a grouping factor: one level, or (with a residual sd) one
    observation per level."""
    if levels < 2:
        warnings.warn(
            f"Grouping factor {group!r} has a single level, so its standard deviations are "
            "identified only by their priors (lme4 refuses such a factor).",
            UserWarning,
            stacklevel=5,
        )
    elif residual_scale and levels >= nobs:
        warnings.warn(
            f"Grouping factor {group!r} has as many levels as observations ({nobs}), so its "
            "intercept sd cannot be told apart from the residual sd (lme4 refuses such a "
            "factor); the two are identified only by their priors.",
            UserWarning,
            stacklevel=5,
        )


def require_identified(collinear: dict[str, list[str]], flat_coefficients: set[str]) -> None:
    """Refuse a collinear population-level coefficient that only a flat prior would hold.

    brms samples such a coefficient anyway, and with its default flat prior the posterior is
    improper: the chains drift to huge values. A proper prior on it identifies it.
    """
    for name, earlier in collinear.items():
        if name in flat_coefficients:
            depends = ", ".join(earlier) if earlier else "nothing (it is zero)"
            raise DataError(
                f"The population-level design is rank deficient: {name!r} is a linear "
                f"combination of {depends}. With its flat default prior its coefficient is not "
                f"identified. Drop {name!r} from the formula, or give it a proper prior, e.g. "
                f"ml.prior('normal(0, 1)', class_='b', coef={name!r})."
            )


def check_autocor(spec: FormulaSpec, family: Family, weights) -> None:
    """Refuse a residual structure the family or the weights do not allow."""
    term = spec.autocor
    if not family.residual_structures or family.link != "identity":
        raise FamilyError(
            f"{term.text!r} models the residuals of a "
            f"{' or '.join(family_names(lambda f: f.residual_structures))} family with the "
            f"identity link; the family here is {family.name!r} with link {family.link!r}."
        )
    if weights is not None:
        raise FormulaError(f"{term.text!r} cannot be combined with weights(): the residuals of "
                           "a series are modelled jointly.")


def check_standard_errors(spec: FormulaSpec, family: Family, se: np.ndarray) -> None:
    """Refuse ``se()`` where brms does: another family, a residual structure, a predicted
    sigma or a zero standard error with sigma 0."""
    label = f"se({spec.additions['se']})"
    if not family.known_standard_errors:
        raise FamilyError(
            f"{label} gives the known standard errors of a "
            f"{' or '.join(family_names(lambda f: f.known_standard_errors))} response; the "
            f"family here is {family.name!r}.")
    if spec.autocor is not None:
        raise FormulaError(f"{spec.autocor.text!r} cannot be combined with {label}.")
    if spec.se_with_sigma:
        return
    if "sigma" in spec.dpar_names:
        raise FormulaError(f"sigma is 0 under {label}, so it cannot be predicted; write "
                           f"se({spec.additions['se']}, sigma = TRUE) to estimate it.")
    if np.any(se == 0):
        raise DataError(f"{label} is 0 in {int(np.sum(se == 0))} row(s), where the response "
                        f"would have no spread; write se({spec.additions['se']}, sigma = TRUE) "
                        "to estimate a residual sd besides the standard errors.")


def check_centring(spec, family) -> None:
    """Refuse ``bf(center = FALSE)`` where the mean has no intercept to make a coefficient:
    an ordinal model's thresholds, a categorical model's categories, a mixture's ordered
    intercepts."""
    if spec.center or not (family.ordinal or family.categorical or family.components):
        return
    raise FormulaError(f"bf(center=False) is not supported here for the {family.name} family, "
                       "whose intercepts are thresholds, categories or ordered components; "
                       "leave the predictors centred.")

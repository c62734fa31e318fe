"""The model frame: the columns a formula uses, its complete rows, strings as R's factors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import DataError
from ..names import r_sort_key
from .contrasts import POLYNOMIAL_FACTORS
from .evaluation import formula_variables
from .formula import FormulaSpec
from .nonlinear import covariate_names
from .truncation import bound_columns_text


def used_columns(spec: FormulaSpec) -> dict[str, str]:
    """Each column the formula uses, with the place that uses it (for error messages)."""
    used: dict[str, str] = {}

    def add(expression: str, where: str) -> None:
        for name in formula_variables(expression, where):
            used.setdefault(name, where)

    if spec.response is not None:
        # one expression, as R evaluates a response: 'Reaction / 100' divides
        add(f"I({spec.response})", "the response")
    if spec.cbind is not None:
        for part in spec.cbind:
            add(f"I({part})", "cbind()")
    for name, expression in spec.additions.items():
        if name == "trunc":
            for bound in bound_columns_text(expression):
                add(bound, f"trunc({expression})")
        else:
            add(expression, f"{name}()")
    if spec.autocor is not None:
        for column in (spec.autocor.time, spec.autocor.gr):
            if column is not None:
                used.setdefault(column, spec.autocor.text)
    for smooth in spec.smooths:
        for column in (smooth.variable, smooth.by):
            if column is not None:
                used.setdefault(column, smooth.text)
    for effect in spec.monotonic:
        for column in (effect.variable, *effect.covariates):
            used.setdefault(column, effect.text)
    for term in spec.category_specific:
        add(term.expression, term.text)
    if spec.nonlinear is not None:
        for name in covariate_names(spec.nonlinear, spec.nlpar_names):
            used.setdefault(name, f"the non-linear formula {spec.text!r}")
    for part in [spec] + [part for _, part in spec.nlpars + spec.dpars]:
        where = "" if part is spec else f" of {part.text!r}"
        add(part.population, "the population-level terms" + where)
        for offset in part.offsets:
            add(offset, "offset()" + where)
        for term in part.group_terms:
            add(term.expr, f"group term {term.text}" + where)
            for column in term.factors + ((term.by,) if term.by else ()):
                used.setdefault(column, f"group term {term.text}" + where)
    return used


def drop_missing(data: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int]:
    missing = data[columns].isna().any(axis=1)
    count = int(missing.sum())
    if count == len(data):
        raise DataError(
            "Every row has a missing value in a column the model uses ("
            + ", ".join(repr(c) for c in columns if data[c].isna().any())
            + "); no data are left."
        )
    if count:
        culprits = [c for c in columns if data.loc[missing, c].isna().any()]
        warnings.warn(
            f"Rows containing NAs were excluded from the model: {count} of {len(data)} rows "
            f"have missing values in {', '.join(culprits)}.",
            UserWarning,
            stacklevel=4,
        )
    return data.loc[~missing].reset_index(drop=True), count


# frame.attrs key listing the columns as_r_factors made categoricals of R's level order
R_FACTORS = "r_factors"


def as_r_factors(data: pd.DataFrame, columns) -> pd.DataFrame:
    """Strings and booleans become categoricals with R's level order and labels.

    formulae keeps the order of an ordered categorical's categories only, so they are made
    ordered; the frame's ``attrs`` list them (:data:`R_FACTORS`), so that a design built
    again from it (a saved fit, ``update()``, ``kfold()``) does not take them for the user's
    ordered factors, which it lists apart (:data:`POLYNOMIAL_FACTORS`) for R's polynomial
    contrasts.
    """
    data = data.copy()
    ours = set(data.attrs.get(R_FACTORS, ()))
    ordered = {column for column in columns if column not in ours
               and isinstance(data[column].dtype, pd.CategoricalDtype)
               and data[column].dtype.ordered}
    data.attrs[R_FACTORS] = sorted(ours | set(columns))
    data.attrs[POLYNOMIAL_FACTORS] = sorted(set(data.attrs.get(POLYNOMIAL_FACTORS, ()))
                                            | ordered)
    for column in columns:
        series = data[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            data[column] = series.cat.remove_unused_categories().cat.as_ordered()
            continue
        if pd.api.types.is_bool_dtype(series.dtype):
            data[column] = pd.Categorical(
                np.where(series.to_numpy(dtype=bool), "TRUE", "FALSE"),
                categories=["FALSE", "TRUE"], ordered=True,
            )
        elif not pd.api.types.is_numeric_dtype(series.dtype):
            labels = series.astype(str)
            # formulae keeps the category order only of ordered categoricals
            data[column] = pd.Categorical(
                labels, categories=sorted(labels.unique(), key=r_sort_key), ordered=True
            )
    return data

"""Evaluate a :class:`FormulaSpec` on data: response, population matrix and group blocks."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, FormulaError, close_matches
from ..families.family import Family
from ..names import coefficient_name, r_level_label, r_sort_key, sorted_levels
from .checks import (
    collinear_columns,
    require_factor_levels,
    require_finite,
    require_finite_columns,
    require_rows,
    warn_grouping_sizes,
)
from .evaluation import design_matrix, formula_variables
from .formula import FormulaSpec, GroupTerm


@dataclass
class GroupBlock:
    """Group-level coefficients sharing one sd vector and, if correlated, one LKJ factor.

    Attributes
    ----------
    group
        brms's name of the grouping factor, e.g. ``Subject`` or ``batch:cask``.
    coefs
        brms's names of the varying coefficients, e.g. ``["Intercept", "Days"]``.
    correlated
        Whether the coefficients are correlated (an LKJ factor when there are two or more).
    values
        The observations' values of the varying terms, shape (n, len(coefs)).
    index
        The observations' level positions in ``levels``.
    levels
        Level labels as R prints them, in R's factor order.
    term
        The group term as written, for messages.
    """

    group: str
    coefs: list[str]
    correlated: bool
    values: np.ndarray
    index: np.ndarray
    levels: list[str]
    term: str
    factors: tuple[str, ...]
    expr: str
    terms: object = field(default=None, repr=False)
    columns: list[int] = field(default_factory=list)

    @property
    def has_correlations(self) -> bool:
        return self.correlated and len(self.coefs) > 1

    @property
    def correlation_names(self) -> list[str]:
        """brms's pair names ``Intercept__Days`` in brms's order."""
        return [
            f"{self.coefs[j]}__{self.coefs[i]}"
            for i in range(1, len(self.coefs))
            for j in range(i)
        ]


@dataclass
class Design:
    """Numeric arrays of a model, ready for priors and the PyMC model."""

    spec: FormulaSpec
    family: Family
    data: pd.DataFrame
    y: np.ndarray
    X: np.ndarray
    b_names: list[str]
    has_intercept: bool
    blocks: list[GroupBlock]
    offset: np.ndarray | None
    trials: np.ndarray | None
    weights: np.ndarray | None
    n_dropped: int = 0
    population_terms: object = field(default=None, repr=False)
    collinear: dict[str, list[str]] = field(default_factory=dict)

    @property
    def nobs(self) -> int:
        return len(self.y)

    @property
    def groups(self) -> list[str]:
        """Grouping factors in order of first appearance."""
        return list(dict.fromkeys(block.group for block in self.blocks))

    def group_levels(self, group: str) -> list[str]:
        return next(block.levels for block in self.blocks if block.group == group)

    def group_coefs(self, group: str) -> list[str]:
        return [coef for block in self.blocks if block.group == group for coef in block.coefs]

    def model_frame(self) -> pd.DataFrame:
        """The data the model was fitted to: the used columns of the complete rows."""
        used = _used_columns(self.spec)
        frame = self.data[[c for c in self.data.columns if c in used]]
        frame.attrs = dict(self.data.attrs)
        return frame


def _used_columns(spec: FormulaSpec) -> dict[str, str]:
    """Each column the formula uses, with the place that uses it (for error messages)."""
    used: dict[str, str] = {}

    def add(expression: str, where: str) -> None:
        for name in formula_variables(expression, where):
            used.setdefault(name, where)

    if spec.response is not None:
        add(spec.response, "the response")
    if spec.cbind is not None:
        add(f"I({spec.cbind[0]})", "cbind()")
        add(f"I({spec.cbind[1]})", "cbind()")
    for name, expression in spec.additions.items():
        add(expression, f"{name}()")
    add(spec.population, "the population-level terms")
    for offset in spec.offsets:
        add(offset, "offset()")
    for term in spec.group_terms:
        add(term.expr, f"group term {term.text}")
        for column in term.factors:
            used.setdefault(column, f"group term {term.text}")
    return used


def _check_columns(used: dict[str, str], data: pd.DataFrame) -> None:
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


def _drop_missing(data: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int]:
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
            stacklevel=3,
        )
    return data.loc[~missing].reset_index(drop=True), count


def _as_r_factors(data: pd.DataFrame, columns) -> pd.DataFrame:
    """Strings and booleans become categoricals with R's level order and labels."""
    data = data.copy()
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


def _evaluate(expression: str, data: pd.DataFrame, where: str) -> pd.Series:
    if expression in data.columns:
        return data[expression]
    formula_variables(expression, where)
    matrix = design_matrix(f"0 + I({expression})", data, where)
    return pd.Series(np.asarray(matrix)[:, 0], index=data.index, name=expression)


def _columns_of(matrix) -> tuple[np.ndarray, list[str]]:
    if matrix is None:
        return np.zeros((0, 0)), []
    frame = matrix.as_dataframe()
    return frame.to_numpy(dtype=float), [coefficient_name(str(c)) for c in frame.columns]


def _grouping_factor(data: pd.DataFrame, factors: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    if len(factors) == 1:
        series = data[factors[0]]
        order = sorted_levels(series)
        labels = [r_level_label(level) for level in order]
        codes = pd.Categorical(series, categories=order).codes
        return codes.astype(np.int64), labels
    pieces = [data[column].map(r_level_label) for column in factors]
    combined = pieces[0].str.cat(pieces[1:], sep="_")
    labels = sorted(combined.unique(), key=r_sort_key)
    codes = pd.Categorical(combined, categories=labels).codes
    return codes.astype(np.int64), labels


def _warn_constant_slopes(block: GroupBlock) -> None:
    for k, coef in enumerate(block.coefs):
        if coef == "Intercept":
            continue
        column = pd.Series(block.values[:, k])
        spread = column.groupby(block.index).agg(lambda v: v.max() - v.min())
        if (spread.abs() < 1e-12).all():
            warnings.warn(
                f"In {block.term}, {coef!r} is constant within every level of "
                f"{block.group!r}, so its slope cannot vary within {block.group}; "
                f"sd({coef}) is identified only by its prior. Consider dropping {coef!r} from "
                "the group term.",
                UserWarning,
                stacklevel=4,
            )


def _group_blocks(term: GroupTerm, data: pd.DataFrame) -> list[GroupBlock]:
    matrix = design_matrix(term.expr, data, f"group term {term.text}")
    values, coefs = _columns_of(matrix)
    if not coefs:
        raise FormulaError(f"Group term {term.text} has no varying coefficients.")
    index, levels = _grouping_factor(data, term.factors)
    if term.correlated:
        splits = [list(range(len(coefs)))]
    else:
        splits = [[k] for k in range(len(coefs))]
    return [
        GroupBlock(
            group=term.group,
            coefs=[coefs[k] for k in split],
            correlated=term.correlated,
            values=values[:, split],
            index=index,
            levels=levels,
            term=term.text,
            factors=term.factors,
            expr=term.expr,
            terms=matrix,
            columns=split,
        )
        for split in splits
    ]


def _response(spec: FormulaSpec, data: pd.DataFrame, family: Family, trials):
    if spec.cbind is not None:
        successes = _evaluate(spec.cbind[0], data, "cbind()")
        failures = _evaluate(spec.cbind[1], data, "cbind()")
        trials = (successes.to_numpy(dtype=float) + failures.to_numpy(dtype=float))
        if np.any(failures.to_numpy(dtype=float) < 0):
            raise DataError(
                f"cbind({spec.cbind[0]}, {spec.cbind[1]}): failures must be non-negative; "
                f"{int((failures < 0).sum())} row(s) have fewer trials than successes."
            )
        series, label = successes, spec.cbind[0]
    else:
        series, label = _evaluate(spec.response, data, "the response"), spec.response
    if family.needs_trials and trials is None:
        raise DataError(
            f"Family 'binomial' needs the number of trials: write '{label} | trials(n) ~ ...' or "
            f"'cbind({label}, failures) ~ ...'."
        )
    if trials is not None and not family.needs_trials:
        raise FormulaError(f"trials() or cbind() only apply to the binomial family, not "
                           f"{family.name!r}.")
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        require_finite(series.to_numpy(dtype=float), f"The response {label!r}")
    y = family.check_response(series, family.name, label, trials)
    return np.asarray(y), trials


def _addition(spec: FormulaSpec, data: pd.DataFrame, name: str) -> np.ndarray | None:
    if name not in spec.additions:
        return None
    series = _evaluate(spec.additions[name], data, f"{name}()")
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series):
        raise DataError(f"{name}({spec.additions[name]}) must be numeric, got {series.dtype}.")
    values = series.to_numpy(dtype=float)
    if name == "trials" and np.any((values < 1) | (values != np.round(values))):
        raise DataError(f"trials({spec.additions[name]}) must be positive integers.")
    if name == "weights" and np.any(values < 0):
        raise DataError(f"weights({spec.additions[name]}) must be non-negative.")
    return values


def build_design(spec: FormulaSpec, data: pd.DataFrame, family: Family) -> Design:
    """Evaluate the formula on the data.

    Parameters
    ----------
    spec
        The parsed formula.
    data
        The data frame holding every column the formula names.
    family
        The response family, whose support the response is checked against.

    Returns
    -------
    Design
        Response, centred-ready population matrix, group blocks, offset, trials and weights.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    used = _used_columns(spec)
    _check_columns(used, data)
    require_rows(data)
    frame, n_dropped = _drop_missing(data, list(used))
    require_finite_columns(frame, list(used))
    if len(frame) < 2:
        raise DataError(f"Only {len(frame)} complete row is left; a model needs at least two "
                        "observations.")
    frame = _as_r_factors(frame, [c for c in used if c != spec.response])
    require_factor_levels(frame, [c for c in formula_variables(
        spec.population, "the population-level terms") if c in frame.columns])

    trials = _addition(spec, frame, "trials")
    weights = _addition(spec, frame, "weights")
    y, trials = _response(spec, frame, family, trials)

    population = design_matrix(spec.population, frame, "the population-level terms")
    values, names = _columns_of(population)
    has_intercept = "Intercept" in names
    keep = [k for k, name in enumerate(names) if name != "Intercept"]
    X = values[:, keep] if keep else np.zeros((len(frame), 0))
    b_names = [names[k] for k in keep]
    for k, name in enumerate(b_names):
        require_finite(X[:, k], f"The population-level column {name!r}")

    offset = None
    for expression in spec.offsets:
        term = _evaluate(expression, frame, "offset()").to_numpy(dtype=float)
        require_finite(term, f"offset({expression})")
        offset = term if offset is None else offset + term

    blocks: list[GroupBlock] = []
    seen: set[tuple[str, str]] = set()
    for term in spec.group_terms:
        for block in _group_blocks(term, frame):
            for coef in block.coefs:
                if (block.group, coef) in seen:
                    raise FormulaError(
                        f"Duplicated group-level effect {coef!r} for {block.group!r} (in "
                        f"{term.text}); each coefficient may vary by a grouping factor once."
                    )
                seen.add((block.group, coef))
            require_finite(block.values, f"Group term {term.text}")
            _warn_constant_slopes(block)
            blocks.append(block)
    residual_scale = any(aux.name == "sigma" for aux in family.aux)
    for group in dict.fromkeys(block.group for block in blocks):
        levels = next(len(block.levels) for block in blocks if block.group == group)
        warn_grouping_sizes(group, levels, len(frame), residual_scale)

    return Design(
        spec=spec, family=family, data=frame, y=y, X=X, b_names=b_names,
        has_intercept=has_intercept, blocks=blocks, offset=offset, trials=trials,
        weights=weights, n_dropped=n_dropped, population_terms=population,
        collinear=collinear_columns(X, b_names, has_intercept),
    )


@dataclass
class NewData:
    """A design evaluated on new data with the fitted model's encodings."""

    X: np.ndarray
    block_values: list[np.ndarray]
    block_labels: list[list[str]]
    offset: np.ndarray | None
    trials: np.ndarray | None


def _evaluate_new(matrix, frame: pd.DataFrame, where: str) -> np.ndarray:
    try:
        return matrix.evaluate_new_data(frame).as_dataframe().to_numpy(dtype=float)
    except Exception as error:  # formulae reports unknown levels and columns in several ways
        raise DataError(f"Cannot evaluate {where} on newdata: {error}") from None


def _level_labels(frame: pd.DataFrame, factors: tuple[str, ...]) -> list[str]:
    pieces = [frame[column].map(r_level_label) for column in factors]
    if len(pieces) == 1:
        return pieces[0].tolist()
    return pieces[0].str.cat(pieces[1:], sep="_").tolist()


def new_data_design(design: Design, newdata: pd.DataFrame, blocks: list[int]) -> NewData:
    """Evaluate the fitted design's terms on ``newdata``.

    Parameters
    ----------
    design
        The fitted model's design, whose factor levels and transformations are reused.
    newdata
        Rows to predict for; it needs the columns of the population terms, of the chosen
        group blocks and of offsets and trials, not the response.
    blocks
        Positions of the group blocks to evaluate.
    """
    if not isinstance(newdata, pd.DataFrame):
        raise DataError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}.")
    spec = design.spec
    needed: dict[str, str] = {}
    for name in formula_variables(spec.population, "the population-level terms"):
        needed.setdefault(name, "the population-level terms")
    for expression in spec.offsets:
        for name in formula_variables(expression, "offset()"):
            needed.setdefault(name, "offset()")
    if design.trials is not None and "trials" in spec.additions:
        for name in formula_variables(spec.additions["trials"], "trials()"):
            needed.setdefault(name, "trials()")
    for position in blocks:
        block = design.blocks[position]
        for name in formula_variables(block.expr, f"group term {block.term}"):
            needed.setdefault(name, f"group term {block.term}")
        for column in block.factors:
            needed.setdefault(column, f"group term {block.term}")
    _check_columns(needed, newdata)
    frame = newdata.reset_index(drop=True)
    if frame[list(needed)].isna().any().any():
        raise DataError("newdata has missing values in "
                        + ", ".join(repr(c) for c in needed if frame[c].isna().any()) + ".")
    require_finite_columns(frame, list(needed))
    population_columns = formula_variables(spec.population, "the population-level terms")
    categorical = {c: design.data[c].cat.categories for c in needed
                   if c in design.data and isinstance(design.data[c].dtype, pd.CategoricalDtype)}
    for column, categories in categorical.items():
        labels = frame[column].map(lambda v: r_level_label(v) if isinstance(v, bool) else str(v))
        unknown = sorted(set(labels) - set(categories))
        if unknown and column in population_columns:
            raise DataError(
                f"Column {column!r} of newdata has level(s) "
                + ", ".join(repr(u) for u in unknown)
                + " that the model was not fitted with; valid levels: "
                + ", ".join(repr(str(c)) for c in categories) + "."
            )
        if not unknown:
            frame[column] = pd.Categorical(labels, categories=categories, ordered=True)
    X = np.zeros((len(frame), 0))
    if design.population_terms is not None:
        values = _evaluate_new(design.population_terms, frame, "the population-level terms")
        names = [coefficient_name(str(c)) for c in design.population_terms.as_dataframe().columns]
        X = values[:, [k for k, name in enumerate(names) if name != "Intercept"]]
    block_values, block_labels = [], []
    for position in blocks:
        block = design.blocks[position]
        values = _evaluate_new(block.terms, frame, f"group term {block.term}")
        block_values.append(values[:, block.columns])
        block_labels.append(_level_labels(frame, block.factors))
    offset = None
    for expression in spec.offsets:
        term = _evaluate(expression, frame, "offset()").to_numpy(dtype=float)
        offset = term if offset is None else offset + term
    trials = _addition(spec, frame, "trials") if design.trials is not None else None
    if design.trials is not None and trials is None and spec.cbind is not None:
        successes = _evaluate(spec.cbind[0], frame, "cbind()").to_numpy(dtype=float)
        failures = _evaluate(spec.cbind[1], frame, "cbind()").to_numpy(dtype=float)
        trials = successes + failures
    return NewData(X, block_values, block_labels, offset, trials)

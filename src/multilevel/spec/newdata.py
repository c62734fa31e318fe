"""Evaluate a fitted design's terms on new data, with the fitted model's encodings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError
from ..names import coefficient_name, r_level_label
from .checks import check_columns, require_finite_columns
from .design import Design, addition_values
from .evaluation import evaluate_expression, evaluate_new_data, formula_variables, r_ordered_frame
from .nonlinear import covariate_values
from .truncation import Truncation, bound_columns_text, truncation_for_rows


@dataclass
class NewData:
    """A design evaluated on new data with the fitted model's encodings."""

    X: np.ndarray
    block_values: list[np.ndarray]
    block_labels: list[list[str]]
    offset: np.ndarray | None
    trials: np.ndarray | None
    dpar_X: dict[str, np.ndarray]
    dpar_offsets: dict[str, np.ndarray | None]
    se: np.ndarray | None = None
    # the columns of cs() terms, rows x coefficients; None without them
    category_specific: np.ndarray | None = None
    # the bounds of a truncated response, trunc(); None without them
    truncation: Truncation | None = None
    # the columns a non-linear formula's expression reads
    covariates: dict[str, np.ndarray] = field(default_factory=dict)
    # per block, the rows' levels of its gr(by = ) column; None for blocks without one
    block_by_labels: list[list[str] | None] = field(default_factory=list)


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
        group blocks and of offsets, trials and standard errors, not the response.
    blocks
        Positions of the group blocks to evaluate.
    """
    if not isinstance(newdata, pd.DataFrame):
        raise DataError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}.")
    spec = design.spec
    needed: dict[str, str] = {name: f"the non-linear formula {spec.text!r}"
                              for name in design.covariates}
    parameters = design.parameter_parts
    for part in [spec] + [dpar.spec for dpar in parameters.values()]:
        where = "" if part is spec else f" of {part.text!r}"
        for name in formula_variables(part.population, "the population-level terms" + where):
            needed.setdefault(name, "the population-level terms" + where)
        for expression in part.offsets:
            for name in formula_variables(expression, "offset()" + where):
                needed.setdefault(name, "offset()" + where)
    for term in spec.category_specific:
        for name in formula_variables(term.expression, term.text):
            needed.setdefault(name, term.text)
    for effect in spec.monotonic:
        for name in effect.covariates:
            needed.setdefault(name, effect.text)
    if "trunc" in spec.additions:
        # bounds read from columns are needed for the new rows too, as in brms
        written = f"trunc({spec.additions['trunc']})"
        for bound in bound_columns_text(spec.additions["trunc"]):
            for name in formula_variables(bound, written):
                needed.setdefault(name, written)
    for addition in ("trials", "se"):
        if addition in spec.additions and (addition != "trials" or design.trials is not None):
            for name in formula_variables(spec.additions[addition], f"{addition}()"):
                needed.setdefault(name, f"{addition}()")
    for position in blocks:
        block = design.blocks[position]
        for name in formula_variables(block.expr, f"group term {block.term}"):
            needed.setdefault(name, f"group term {block.term}")
        for column in block.factors + ((block.by,) if block.by else ()):
            needed.setdefault(column, f"group term {block.term}")
    check_columns(needed, newdata)
    frame = newdata.reset_index(drop=True)
    if frame[list(needed)].isna().any().any():
        raise DataError("newdata has missing values in "
                        + ", ".join(repr(c) for c in needed if frame[c].isna().any()) + ".")
    require_finite_columns(frame, list(needed))
    population_columns = {column for part in [spec] + [d.spec for d in parameters.values()]
                          for column in formula_variables(part.population, "the population terms")}
    population_columns |= {column for term in spec.category_specific
                           for column in formula_variables(term.expression, term.text)}
    categorical = {c: design.data[c].cat.categories for c in needed
                   if c in design.data and isinstance(design.data[c].dtype, pd.CategoricalDtype)}
    for column, categories in categorical.items():
        # matched by the labels R prints, so that 1, "1" and 1.0 are the fitted category 1
        fitted = {r_level_label(category): category for category in categories}
        labels = frame[column].map(r_level_label)
        unknown = sorted(set(labels) - set(fitted))
        if unknown and column in population_columns:
            raise DataError(
                f"Column {column!r} of newdata has level(s) "
                + ", ".join(repr(u) for u in unknown)
                + " that the model was not fitted with; valid levels: "
                + ", ".join(repr(label) for label in fitted) + "."
            )
        if not unknown:
            frame[column] = pd.Categorical(labels.map(fitted), categories=categories,
                                           ordered=True)
    X = _population(design.population_terms, frame, "the population-level terms",
                    design.has_intercept)
    dpar_X = {name: _population(part.population_terms, frame,
                                f"the population-level terms of {part.spec.text!r}",
                                part.has_intercept)
              for name, part in parameters.items()}
    block_values, block_labels, block_by_labels = [], [], []
    for position in blocks:
        block = design.blocks[position]
        values = evaluate_new_data(block.terms, frame, f"group term {block.term}")
        block_values.append(values[:, block.columns])
        block_labels.append(_level_labels(frame, block.factors))
        block_by_labels.append(_level_labels(frame, (block.by,)) if block.by else None)
    offset = _offset(spec, frame)
    dpar_offsets = {name: _offset(part.spec, frame) for name, part in parameters.items()}
    trials = addition_values(spec, frame, "trials") if design.trials is not None else None
    if design.trials is not None and trials is None and spec.cbind is not None:
        successes = evaluate_expression(spec.cbind[0], frame, "cbind()").to_numpy(dtype=float)
        failures = evaluate_expression(spec.cbind[1], frame, "cbind()").to_numpy(dtype=float)
        trials = successes + failures
    se = addition_values(spec, frame, "se")
    category_specific = (None if design.category_specific is None
                         else design.category_specific.new_rows(frame))
    truncation = (truncation_for_rows(spec.additions["trunc"], frame)
                  if design.truncation is not None else None)
    covariates = covariate_values(tuple(design.covariates), frame, spec.text)
    return NewData(X, block_values, block_labels, offset, trials, dpar_X, dpar_offsets, se,
                   category_specific, truncation, covariates, block_by_labels)


def _population(terms, frame: pd.DataFrame, where: str, has_intercept: bool) -> np.ndarray:
    """A fitted population matrix's columns on new data, without the intercept column of a
    model that has a (centred) intercept."""
    if terms is None:
        return np.zeros((len(frame), 0))
    values = evaluate_new_data(terms, frame, where)
    names = [coefficient_name(str(c)) for c in r_ordered_frame(terms).columns]
    return values[:, [k for k, name in enumerate(names)
                      if name != "Intercept" or not has_intercept]]


def _offset(spec, frame: pd.DataFrame) -> np.ndarray | None:
    offset = None
    for expression in spec.offsets:
        term = evaluate_expression(expression, frame, "offset()").to_numpy(dtype=float)
        offset = term if offset is None else offset + term
    return offset

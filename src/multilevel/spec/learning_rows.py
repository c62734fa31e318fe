"""The rows a formula's transformations learn from when rows with missing values are dropped.

R builds a model frame by evaluating each term on all rows of the data and only then leaving
out the rows with a missing value, so ``scale(x)`` in a brms formula takes the mean and sd of
every row ``x`` has a value in, and ``poly(x, 2)`` its basis from every row, rows the model
then drops included. formulae evaluates a formula on the rows it is given, which are the
complete rows. While :func:`learning_from` holds the user's data, :func:`relearn` gives each
transformation that keeps a state (``scale()``, ``center()``, ``poly()``) the state of the
rows its own variables have values in, and formulae's new-data evaluation then applies it to
the complete rows, as it applies it to new data for predictions.

A factor's levels are not a state of this kind: they are those of the complete rows (brms
drops a column's unused levels too).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import pandas as pd
from formulae.terms.call import Call
from formulae.terms.call_resolver import LazyCall, LazyOperator, LazyVariable


@dataclass
class LearningRows:
    """The user's data, all rows, and whether a transformation learned from rows the model
    dropped."""

    data: pd.DataFrame
    used: bool = False


_learning: ContextVar[LearningRows | None] = ContextVar("learning_rows", default=None)


@contextmanager
def learning_from(data: pd.DataFrame) -> Iterator[LearningRows]:
    """Let the formula evaluations within learn their transformations from ``data``'s rows.

    Parameters
    ----------
    data
        The data as the user gave it, rows with missing values included.

    Yields
    ------
    LearningRows
        Its ``used`` is true afterwards when a transformation learned from rows that the
        evaluated frames did not have.
    """
    learning = LearningRows(data)
    token = _learning.set(learning)
    try:
        yield learning
    finally:
        _learning.reset(token)


def _arguments(node) -> tuple:
    if isinstance(node, LazyCall):
        return (*node.args, *node.kwargs.values())
    if isinstance(node, LazyOperator):
        return tuple(node.args)
    return ()


def _nearest_calls(node) -> Iterator[LazyCall]:
    """The calls within ``node``'s arguments that no other call of them encloses."""
    for argument in _arguments(node):
        if isinstance(argument, LazyCall):
            yield argument
        else:
            yield from _nearest_calls(argument)


def _variables(node) -> list[str]:
    if isinstance(node, LazyVariable):
        return [str(node.name)]
    return sorted({name for argument in _arguments(node) for name in _variables(argument)})


def _numeric(series: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(series.dtype)
            and not pd.api.types.is_bool_dtype(series.dtype))


def _relearn_call(call: LazyCall, env, data: pd.DataFrame) -> bool:
    # innermost first: an outer transformation learns from its arguments' relearned values
    changed = any([_relearn_call(inner, env, data) for inner in _nearest_calls(call)])
    if call.stateful_transform is None:
        return changed
    columns = _variables(call)
    if not columns or not all(c in data.columns and _numeric(data[c]) for c in columns):
        return changed
    rows = data.loc[data[columns].notna().all(axis=1), columns].reset_index(drop=True)
    call.stateful_transform = None
    call.eval(rows, env)  # formulae makes a new transformation, which learns from the rows
    return True


def relearn(matrix, frame: pd.DataFrame):
    """``matrix`` with its transformations learned from the rows of :func:`learning_from`'s
    data, when those are more than ``frame``'s; otherwise ``matrix`` itself.

    Parameters
    ----------
    matrix
        formulae's matrix of an expression, evaluated on ``frame``.
    frame
        The complete rows the matrix was evaluated on.

    Returns
    -------
    formulae.matrices.CommonEffectsMatrix
        The matrix on ``frame``'s rows; its terms keep the learned states for new data.
    """
    learning = _learning.get()
    if matrix is None or learning is None or len(learning.data) <= len(frame):
        return matrix
    changed = False
    for term in matrix.terms.values():
        for component in getattr(term, "components", ()):
            if isinstance(component, Call):
                changed |= _relearn_call(component.call, component.env, learning.data)
    if not changed:
        return matrix
    learning.used = True
    return matrix.evaluate_new_data(frame)

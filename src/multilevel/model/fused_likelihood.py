"""The likelihood of a model with group terms as one pass over its rows.

Written as PyTensor operations, a row-wise likelihood whose linear predictor gathers group
effects takes a dozen passes over the rows per gradient: each group term's gather, the
likelihood's elementwise part writing a row array per parameter it depends on, their sums,
and each term's scatter back into its levels. With tens of thousands of rows and more, those
passes are most of the sampler's time. :class:`RowLikelihood` does all of it in one loop:
for each row it adds the row's group effects to the rest of its linear predictor, evaluates
the row's log density and its derivatives, and adds the derivatives into the levels the row
belongs to.

The row's log density and its derivatives are not written here: they come from the family's
PyMC distribution (``pm.logp`` on one row, differentiated by PyTensor), turned into one
scalar function (:func:`row_density`), which numba compiles into the loop. A family whose
density is not elementwise in that sense keeps the unfused likelihood.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.scalar as ps
import pytensor.tensor as pt
from pytensor.graph.basic import Constant
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.rewriting.utils import rewrite_graph
from pytensor.tensor.elemwise import DimShuffle, Elemwise
from pytensor.tensor.variable import TensorVariable

from ..families.family import Family
from ..priors.distributions import data
from .row_likelihood import RowLikelihood

# the backends whose models take the fused likelihood: nutpie compiles it with the rest of the
# model by numba; PyMC's sampler runs its perform, the same compiled loop (JAX has no version)
FUSED_BACKENDS = ("nutpie", "pymc")

# operations of a one-row graph that pass their first input on unchanged
_PASS_THROUGH = ("ScalarFromTensor", "TensorFromScalar")
_CHECK = "CheckParameterValue"


@functools.cache
def row_density(family: Family, has_trials: bool) -> ps.Composite | None:
    """One row's log density and its derivatives, as one scalar function.

    Parameters
    ----------
    family
        The response family; its ``likelihood`` defines the density.
    has_trials
        Whether the density takes the row's number of trials.

    Returns
    -------
    Composite or None
        Inputs ``(y, eta, *aux, [trials])``, the auxiliary parameters in the family's
        order, outputs ``(log density, d/d eta, *d/d aux)``; None where the density is not
        built of elementwise operations alone.
    """
    if family.ordinal or family.categorical or family.components:
        return None
    eta = pt.scalar("eta")
    aux = {parameter.name: pt.scalar(parameter.name) for parameter in family.aux}
    trials = pt.scalar("trials", dtype="int64") if has_trials else None
    distribution = family.distribution(eta, aux, trials)
    y = pt.scalar("y", dtype=distribution.dtype)
    log_density = pm.logp(distribution, y)
    derivatives = pt.grad(log_density, [eta, *aux.values()], disconnected_inputs="ignore")
    inputs = [y, eta, *aux.values()] + ([trials] if trials is not None else [])
    graph = FunctionGraph(inputs, [log_density, *derivatives], clone=True)
    graph = rewrite_graph(graph, include=("canonicalize", "stabilize", "specialize"))
    return _as_scalar_function(graph)


def _as_scalar_function(graph: FunctionGraph) -> ps.Composite | None:
    """The scalar function of a graph of zero-dimensional tensors, or None if it has an
    operation that is not elementwise.

    A graph of one row may still build short vectors of scalars (PyMC checks all of a
    distribution's conditions on its parameters at once): a vector is kept as the list of
    its scalars, and the reductions and elementwise operations over it act on that list.
    """
    values = {variable: ps.get_scalar_type(variable.dtype)() for variable in graph.inputs}
    inputs = [values[variable] for variable in graph.inputs]
    for node in graph.toposort():
        arguments = []
        for variable in node.inputs:
            if variable in values:
                arguments.append(values[variable])
            elif isinstance(variable, Constant) and np.ndim(variable.data) <= 1:
                constants = [ps.constant(value, dtype=variable.dtype)
                             for value in np.ravel(variable.data).tolist()]
                arguments.append(constants if np.ndim(variable.data) else constants[0])
            else:
                return None
        outputs = _scalar_outputs(node, arguments)
        if outputs is None:
            return None
        values.update(zip(node.outputs, outputs, strict=True))
    outputs = [values[variable] for variable in graph.outputs]
    if any(isinstance(output, list) for output in outputs):
        return None
    composite = ps.Composite(inputs, outputs)
    try:
        # PyTensor writes a composite's C code as it clones it: a scalar operation without
        # any (the derivative of the von Mises density's Bessel function) rules it out
        composite.c_code_template  # noqa: B018
    except NotImplementedError:
        return None
    return composite


# reductions over a list of scalars, by the name of the tensor operation
_REDUCTIONS = {"All": ps.and_, "Any": ps.or_, "Sum": ps.add, "Max": ps.scalar_maximum,
               "Min": ps.scalar_minimum}


def _scalar_outputs(node, arguments: list) -> list | None:
    """One node's outputs as scalars, or lists of scalars for vectors; None if the node is
    not one :func:`_as_scalar_function` knows."""
    op, name = node.op, type(node.op).__name__
    if isinstance(op, Elemwise):
        lengths = {len(a) for a in arguments if isinstance(a, list)} - {1}
        if len(lengths) > 1:
            return None
        if not lengths and not any(isinstance(a, list) for a in arguments):
            return op.scalar_op.make_node(*arguments).outputs
        length = lengths.pop() if lengths else 1
        rows = [op.scalar_op.make_node(*[
            (a[k] if len(a) > 1 else a[0]) if isinstance(a, list) else a
            for a in arguments]).outputs for k in range(length)]
        return [list(column) for column in zip(*rows, strict=True)]
    if isinstance(op, DimShuffle):
        # a scalar made a vector of one, or a vector of one made a scalar
        first = arguments[0]
        if node.outputs[0].ndim == 0:
            return [first[0] if isinstance(first, list) else first]
        return [first if isinstance(first, list) else [first]]
    if name in _PASS_THROUGH:
        return arguments[:1]
    if name == "MakeVector":
        return [list(arguments)]
    if name in _REDUCTIONS and isinstance(arguments[0], list):
        return [functools.reduce(_REDUCTIONS[name], arguments[0])]
    if (name in ("Softmax", "LogSoftmax") and isinstance(arguments[0], list)
            and node.inputs[0].ndim == 1):
        # a mixture's weights over its parts (the zero-inflated families)
        largest = functools.reduce(ps.scalar_maximum, arguments[0])
        shifted = [ps.sub(a, largest) for a in arguments[0]]
        total = functools.reduce(ps.add, [ps.exp(a) for a in shifted])
        if name == "Softmax":
            return [[ps.true_div(ps.exp(a), total) for a in shifted]]
        return [[ps.sub(a, ps.log(total)) for a in shifted]]
    if name == "Shape" and isinstance(arguments[0], list):
        return [[ps.constant(len(arguments[0]), dtype="int64")]]
    if name == "Alloc" and len(arguments) == 2 and isinstance(arguments[1], Constant):
        # a vector of one value, as the derivative of a short vector starts
        value = arguments[0][0] if isinstance(arguments[0], list) else arguments[0]
        return [[value] * int(arguments[1].data)]
    if (name == "IncSubtensor" and isinstance(arguments[0], list) and len(node.inputs) == 3
            and isinstance(node.inputs[2], Constant)):
        updated, index = list(arguments[0]), int(node.inputs[2].data)
        updated[index] = (arguments[1] if op.set_instead_of_inc
                          else ps.add(updated[index], arguments[1]))
        return [updated]
    if name == "Subtensor" and isinstance(arguments[0], list) and len(node.inputs) == 2:
        index = node.inputs[1]
        if isinstance(index, Constant):
            return [arguments[0][int(index.data)]]
        return None
    if name == _CHECK:
        # a parameter out of its support gives a log density of -inf, as PyMC's check
        conditions = [c for a in arguments[1:] for c in (a if isinstance(a, list) else [a])]
        valid = functools.reduce(ps.and_, conditions)
        return [ps.switch(valid, arguments[0], ps.constant(-np.inf))]
    return None


def group_columns(blocks: list) -> tuple[np.ndarray, np.ndarray, tuple[bool, ...]]:
    """Each row's group coefficients as :class:`RowLikelihood` reads them.

    Parameters
    ----------
    blocks
        The group blocks of the linear predictor, each with ``index`` (rows,), ``values``
        (rows x k) and ``levels``.

    Returns
    -------
    positions, values, unit_columns
        For each row and each of the blocks' coefficients, its position among all blocks'
        effects flattened level by level (rows x columns); the rows' values of the columns
        that are not all ones (an intercept's are), and which columns are.
    """
    positions, offset = [], 0
    for block in blocks:
        width = block.values.shape[1]
        positions.append(offset + block.index[:, None] * width + np.arange(width))
        offset += len(block.levels) * width
    values = np.column_stack([block.values for block in blocks]).astype(np.float64)
    unit = tuple(bool(np.all(column == 1.0)) for column in values.T)
    return (np.column_stack(positions).astype(np.int64),
            values[:, [not u for u in unit]], unit)


@dataclass(frozen=True)
class FusedPredictor:
    """The linear predictor's parts that :class:`RowLikelihood` adds up itself.

    Attributes
    ----------
    base
        Whatever else the predictor has (smooths, an offset), one value per row; or None.
    population
        The population coefficients, the intercept first where there is one; or None.
    intercept
        Whether the first of them is an intercept.
    population_values
        The rows' values of the other population predictors (rows x population_columns).
    population_columns
        Their number.
    effects
        Each group block's effects (levels x k), in the order of :func:`group_columns`.
    positions, values, unit_columns
        :func:`group_columns` of those blocks, the first two as model data.
    """

    base: TensorVariable | None
    population: TensorVariable | None
    intercept: bool
    population_values: TensorVariable | None
    population_columns: int
    effects: list
    positions: TensorVariable
    values: TensorVariable
    unit_columns: tuple[bool, ...]


def fused_predictor(blocks: list, effects: list, base, population, intercept: bool,
                    population_values, population_columns: int) -> FusedPredictor:
    """The parts of a linear predictor for :func:`fused_log_likelihood`, its group blocks'
    layout made model data.

    Parameters
    ----------
    blocks, effects
        The group blocks of the predictor and their effects (levels x k).
    base
        The rest of the predictor apart from its population part, or None.
    population, intercept, population_values, population_columns
        As :class:`FusedPredictor`'s; ``population_values`` None without predictors.
    """
    positions, values, unit_columns = group_columns(blocks)
    return FusedPredictor(base, population, intercept, population_values, population_columns,
                          effects,
                          data("group_positions", positions), data("group_values", values),
                          unit_columns)


def fused_log_likelihood(density: ps.Composite, y, predictor: FusedPredictor, aux: list,
                         trials=None, weights=None):
    """The log-likelihood of all rows as one :class:`RowLikelihood`.

    Parameters
    ----------
    density
        The row's density from :func:`row_density`.
    y
        The response (rows,).
    predictor
        The linear predictor's parts.
    aux
        The family's auxiliary parameters in the density's order: scalars, or one value per
        row.
    trials
        The rows' numbers of trials, or None.
    weights
        The rows' weights, or None.
    """
    aux = [pt.as_tensor_variable(value) for value in aux]
    op = RowLikelihood(density, predictor.base is not None, predictor.intercept,
                       predictor.population_columns, predictor.unit_columns,
                       tuple(value.ndim == 1 for value in aux), trials is not None,
                       weights is not None)
    empty = pt.zeros((0,))
    inputs = [
        pt.cast(y, density.inputs[0].dtype),
        empty if predictor.base is None else predictor.base,
        empty if predictor.population is None else predictor.population,
        (pt.zeros((y.shape[0], 0)) if predictor.population_values is None
         else predictor.population_values),
        pt.concatenate([pt.flatten(effect) for effect in predictor.effects]),
        predictor.positions, predictor.values, *aux]
    if trials is not None:
        inputs.append(pt.cast(trials, "int64"))
    if weights is not None:
        inputs.append(pt.cast(weights, "float64"))
    return op(*inputs)[0]

"""One pass over a model's rows for its likelihood and its linear predictor's group terms.

:class:`RowLikelihood` takes each row's linear predictor apart (a part computed elsewhere,
population coefficients times predictors, and group coefficients picked by the row's levels)
and a scalar function giving the row's log density and its derivatives; in one loop over the
rows it sums the log densities and adds each row's derivatives into the coefficients it
used. :mod:`multilevel.model.fused_likelihood` builds it for a model.

It has a numba implementation, nutpie's, registered by :func:`register_numba` when the
first model is compiled for nutpie; its ``perform`` runs the same compiled loop. Importing
this module imports neither numba nor anything else of the package.
"""

from __future__ import annotations

import functools
import inspect
import zlib
from hashlib import sha256

import numpy as np
import pytensor.scalar as ps
import pytensor.tensor as pt
from pytensor.gradient import grad_undefined
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op


class RowLikelihood(Op):
    """The summed log density of all rows and its gradient, in one pass.

    Row ``i``'s linear predictor is ``base[i]`` (where ``has_base``), plus the population
    coefficients times the row's predictors (an intercept, with ``intercept``, then the
    ``population_columns`` of ``population_values[i]``), plus one group coefficient per
    group column ``c``: ``effects[positions[i, c]]``, the coefficient of the row's level
    among all group terms' effects flattened, times the row's value of it (1 where
    ``unit_columns[c]``; else read from ``values``, which holds the other columns in
    order).

    Inputs: ``y, base, population, population_values, effects, positions, values``, the
    auxiliary parameters (each a scalar, or one value per row where ``aux_rows`` says so),
    then, with ``has_trials``, the rows' trials and, with ``has_weights``, the rows' weights,
    by which each row's log density is multiplied (brms's ``weights()``). Outputs: the
    log-likelihood, then its derivatives by ``base`` (empty without one), ``population``,
    ``effects`` and each auxiliary parameter, computed in the same pass; only the first is
    differentiable.
    """

    __props__ = ("density", "has_base", "intercept", "population_columns", "unit_columns",
                 "aux_rows", "has_trials", "has_weights")

    def __init__(self, density: ps.Composite, has_base: bool, intercept: bool,
                 population_columns: int, unit_columns: tuple[bool, ...],
                 aux_rows: tuple[bool, ...], has_trials: bool, has_weights: bool = False):
        self.density = density
        self.has_base = bool(has_base)
        self.intercept = bool(intercept)
        self.population_columns = int(population_columns)
        self.unit_columns = tuple(bool(unit) for unit in unit_columns)
        self.aux_rows = tuple(bool(rows) for rows in aux_rows)
        self.has_trials = bool(has_trials)
        self.has_weights = bool(has_weights)

    def make_node(self, *inputs):
        inputs = [pt.as_tensor_variable(x) for x in inputs]
        aux = inputs[7:7 + len(self.aux_rows)]
        for variable, rows in zip(aux, self.aux_rows, strict=True):
            if variable.ndim != int(rows):
                raise ValueError(f"RowLikelihood expected an auxiliary parameter of "
                                 f"{int(rows)} dimensions, got {variable.ndim}")
        outputs = [pt.scalar(dtype="float64")] + [pt.vector(dtype="float64")
                                                  for _ in range(3)]
        outputs += [pt.vector(dtype="float64") if rows else pt.scalar(dtype="float64")
                    for rows in self.aux_rows]
        return Apply(self, inputs, outputs)

    def perform(self, node, inputs, output_storage):
        results = _kernel(self)(*inputs)
        for storage, value in zip(output_storage, results, strict=True):
            storage[0] = np.asarray(value, dtype="float64")

    def infer_shape(self, fgraph, node, shapes):
        aux = [(shapes[0][0],) if rows else () for rows in self.aux_rows]
        return [(), shapes[1], shapes[2], shapes[4], *aux]

    def L_op(self, inputs, outputs, output_gradients):
        gradient = output_gradients[0]
        derivatives = [gradient * derivative for derivative in outputs[1:]]
        grads = [grad_undefined(self, k, variable) for k, variable in enumerate(inputs)]
        for k, derivative in zip((1, 2, 4), derivatives[:3], strict=True):
            grads[k] = derivative
        grads[7:7 + len(self.aux_rows)] = derivatives[3:]
        return grads


def _kernel_source(op: RowLikelihood) -> str:
    """The loop over the rows, written out for the operation's columns and parameters."""
    aux = [f"aux{k}" for k in range(len(op.aux_rows))]
    arguments = ["y", "base", "population", "population_values", "effects", "positions",
                 "values", *aux] + (["trials"] if op.has_trials else [])
    arguments += ["weights"] if op.has_weights else []
    body = ["    eta = base[i]" if op.has_base else "    eta = 0.0"]
    after = ["    total += logp"] + (["    d_base[i] = d_eta"] if op.has_base else [])
    start = ["rows = y.shape[0]", "total = 0.0", "d_base = np.empty(base.shape[0])",
             "d_population = np.empty(population.shape[0])",
             "d_effects = np.zeros(effects.shape[0])"]
    coefficients = ([None] if op.intercept else []) + [
        f"population_values[i, {j}]" for j in range(op.population_columns)]
    for j, value in enumerate(coefficients):
        start += [f"b{j} = population[{j}]", f"d_b{j} = 0.0"]
        body.append(f"    eta += b{j}" + (f" * {value}" if value else ""))
        after.append(f"    d_b{j} += d_eta" + (f" * {value}" if value else ""))
    read = 0
    for c, unit in enumerate(op.unit_columns):
        value = "" if unit else f" * values[i, {read}]"
        read += not unit
        body += [f"    k{c} = positions[i, {c}]", f"    eta += effects[k{c}]{value}"]
        after.append(f"    d_effects[k{c}] += d_eta{value}")
    row_aux, derivatives = [], []
    for name, rows in zip(aux, op.aux_rows, strict=True):
        if rows:
            start.append(f"d_{name} = np.empty(rows)")
            after.append(f"    d_{name}[i] = g_{name}")
        else:
            start += [f"{name}_value = {name}.item()", f"d_{name} = 0.0"]
            after.append(f"    d_{name} += g_{name}")
        row_aux.append(f"{name}[i]" if rows else f"{name}_value")
        derivatives.append(f"g_{name}")
    density_arguments = ["y[i]", "eta", *row_aux] + (["trials[i]"] if op.has_trials else [])
    body.append(f"    logp, d_eta{''.join(', ' + d for d in derivatives)} = "
                f"density({', '.join(density_arguments)})")
    if op.has_weights:
        body += ["    weight = weights[i]"] + [f"    {name} = {name} * weight"
                                              for name in ("logp", "d_eta", *derivatives)]
    finish = [f"d_population[{j}] = d_b{j}" for j in range(len(coefficients))]
    outputs = ["np.asarray(total)", "d_base", "d_population", "d_effects"]
    outputs += [f"d_{name}" if rows else f"np.asarray(d_{name})"
                for name, rows in zip(aux, op.aux_rows, strict=True)]
    lines = (start + ["for i in range(rows):"] + body + after + finish
             + [f"return {', '.join(outputs)}"])
    return (f"def row_likelihood({', '.join(arguments)}):\n"
            + "".join(f"    {line}\n" for line in lines))


def _numba_kernel(op: RowLikelihood, cache_key: str | None):
    from pytensor.link.numba.cache import compile_numba_function_src
    from pytensor.link.numba.dispatch import basic as numba_basic

    density, density_key = numba_basic.numba_funcify_and_cache_key(
        op.density, node=op.density.make_node(*op.density.inputs))
    key = None
    if density_key is not None and cache_key is not None:
        key = sha256(f"{cache_key} {density_key}".encode()).hexdigest()
    kernel = compile_numba_function_src(_kernel_source(op), "row_likelihood",
                                        global_env={"np": np, "density": density},
                                        cache_key=key)
    return numba_basic.numba_njit(kernel), key


@functools.cache
def _kernel(op: RowLikelihood):
    """The compiled loop for :meth:`RowLikelihood.perform`, callable from Python."""
    from pytensor.link.numba.dispatch import basic as numba_basic

    inner, _ = _numba_kernel(op, None)

    @numba_basic.numba_njit(final_function=True)
    def row_likelihood(*inputs):
        return inner(*inputs)

    return row_likelihood


@functools.cache
def register_numba() -> None:
    """Give :class:`RowLikelihood` its numba implementation (once)."""
    from pytensor.link.numba.dispatch.basic import register_funcify_and_cache_key

    # PyTensor's on-disk cache of numba code is keyed by this: the operation's layout, the
    # density's own key, and a digest of the kernel's source, so that an edited kernel is
    # compiled anew rather than loaded from the cache
    source = zlib.crc32((inspect.getsource(_kernel_source)
                         + inspect.getsource(_numba_kernel)).encode())

    @register_funcify_and_cache_key(RowLikelihood)
    def _numba_row_likelihood(op, node, **kwargs):
        layout = (type(op).__name__, op.has_base, op.intercept, op.population_columns,
                  op.unit_columns, op.aux_rows, op.has_trials, op.has_weights, source,
                  tuple(variable.type.dtype for variable in node.inputs))
        return _numba_kernel(op, str(layout))

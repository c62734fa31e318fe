"""Functions compiled from a family's PyMC distribution for post-processing: the pointwise
log density (of censored and truncated responses too) and new draws, on whole (draws x rows)
arrays in NumPy."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.distribution import SymbolicRandomVariable
from pymc.pytensorf import find_rng_nodes
from pytensor.compile.builders import OpFromGraph
from pytensor.compile.function import function
from pytensor.compile.mode import Mode
from pytensor.graph.replace import graph_replace
from pytensor.graph.rewriting.utils import rewrite_graph
from pytensor.graph.traversal import ancestors
from pytensor.tensor.random.op import RandomVariable
from pytensor.tensor.random.type import random_generator_type

from .censored import censored_log_density, truncated_log_density, truncation_log_mass


@dataclass
class DerivedFunctions:
    """A family's compiled log density and draws, and variants compiled on first use."""

    log_density: Callable
    random: Callable | None
    generators: int
    # how to build each variant: "censored", "truncated" with its open sides
    builders: dict[tuple, Callable] = field(repr=False, default_factory=dict)
    _built: dict[tuple, Callable] = field(repr=False, default_factory=dict)

    def variant(self, *key) -> Callable:
        """The variant ``key``: ``("censored", lower, upper)`` takes the censoring codes and
        interval bounds after ``y``, then the truncation bounds present (none by default);
        ``("truncated", lower, upper)`` the bounds present."""
        if key not in self._built:
            with _BUILDING:
                self._built[key] = self.builders[key[0]](*key[1:])
        return self._built[key]


# One compiled pair per family and link, and per thread: a compiled PyTensor function keeps
# its inputs and outputs in storage of its own, which two threads calling it at once (fits on
# a thread pool) would overwrite. Compiling takes a few milliseconds.
_DERIVED = threading.local()
# Building the graphs is one thread at a time: PyTensor changes its process-wide flags for a
# moment while it infers shapes (``cxx`` among them), and threads interleaving those changes
# would leave them changed for the whole process.
_BUILDING = threading.Lock()
# NumPy's own implementations of each operation, without graph rewrites: the functions run once
# per call on whole (draws x rows) arrays, and rewrites would merge products into n-ary
# operations that PyTensor's Python implementation evaluates element by element; no C code is
# built, which on a machine that has not built it takes seconds.
PYTHON_MODE = Mode(linker="py", optimizer=None)


def block_rows(value: np.ndarray, block: slice) -> np.ndarray:
    """The rows ``block`` of one of :meth:`Family._inputs`: the second axis of a (draws,
    rows) matrix or of ordinal thresholds (draws, rows, thresholds), the only axis of a
    per-row vector."""
    return value[block] if value.ndim == 1 else value[:, block]


def _without_draws(graph):
    """A log density that reads shapes from its inputs, not from a draw.

    A truncated distribution's density (the positive part of a hurdle) refers to the shape of
    its random variable, whose rejection sampler would then run, allocating its whole loop;
    canonicalising takes such shapes from the inputs. Other densities stay unrewritten.
    """
    if any(node.owner is not None
           and isinstance(node.owner.op, (RandomVariable, SymbolicRandomVariable))
           for node in ancestors([graph])):
        return rewrite_graph(graph, include=("canonicalize",))
    return graph


def _each_node_replaced(graph, operation: type, replacement: Callable):
    """``graph`` with each node of ``operation`` replaced, one at a time (a replacement may
    hold further such nodes), by the outputs ``replacement(node)`` gives."""
    while True:
        # in the graph's own order, so that the rewritten graph, and its draws, do not vary
        present = list(ancestors([graph]))
        node = next((variable.owner for variable in present
                     if variable.owner is not None
                     and isinstance(variable.owner.op, operation)), None)
        if node is None:
            return graph
        used = set(present)
        graph = graph_replace(graph, {output: new for output, new
                                      in zip(node.outputs, replacement(node), strict=True)
                                      if output in used}, strict=False)


def inline_inner_graphs(graph):
    """``graph`` with each operation that holds a graph of its own (PyMC's symbolic random
    variables: a mixture, a custom distribution's draws, a half or truncated distribution;
    PyTensor's einsum) replaced by the operations it holds.

    Evaluated as one operation, such a graph is compiled in PyTensor's default mode, whose C
    code takes seconds to build on a machine that has not built it before; inlined, its
    operations run as the rest of the function does.
    """
    return _each_node_replaced(graph, OpFromGraph, lambda node: graph_replace(
        node.op.inner_outputs, dict(zip(node.op.inner_inputs, node.inputs, strict=True)),
        strict=False))


def _categories_by_comparison(graph):
    """``graph`` with each categorical draw (an ordinal or categorical response, a mixture's
    component) made by comparing one uniform draw with the cumulative probabilities.

    PyTensor draws a categorical by a search of each row's cumulative probabilities in turn,
    through ``numpy.vectorize``: seconds for the draws x rows of a posterior. The category is
    the number of cumulative probabilities below a uniform draw, one comparison of whole
    arrays; the last category takes what rounding leaves above the last but one.
    """
    from pytensor.tensor.random.basic import CategoricalRV, uniform
    from pytensor.tensor.type_other import NoneTypeT

    def by_comparison(node):
        rng, size, probabilities = node.inputs
        shape = probabilities.shape[:-1] if isinstance(size.type, NoneTypeT) else size
        next_rng, draw = uniform(0.0, 1.0, size=shape, rng=rng).owner.outputs
        below = pt.cumsum(probabilities, axis=-1)[..., :-1] < draw[..., None]
        return next_rng, pt.sum(below, axis=-1).astype(node.outputs[1].dtype)

    return _each_node_replaced(graph, CategoricalRV, by_comparison)


def _whole_array_operations(graph):
    """``graph`` with the elementwise operations that PyTensor's Python implementation
    evaluates element by element (no NumPy function behind them: log(1 - exp(x)),
    log(1 + exp(x)), fill, clip) written with ones that work on whole arrays, the same
    values."""
    from pytensor.scalar.basic import Clip, Second
    from pytensor.scalar.math import Log1mexp, Softplus
    from pytensor.tensor.elemwise import Elemwise

    while True:
        for variable in ancestors([graph]):
            node = variable.owner
            if node is None or not isinstance(node.op, Elemwise):
                continue
            scalar = node.op.scalar_op
            if isinstance(scalar, Log1mexp):
                (x,) = node.inputs
                # the branch that stays accurate on each side, as the scalar operation's
                new = pt.switch(x < np.log(0.5), pt.log1p(-pt.exp(x)), pt.log(-pt.expm1(x)))
            elif isinstance(scalar, Softplus):
                (x,) = node.inputs
                # exp of a non-positive number only: no overflow on either side
                new = pt.maximum(x, 0.0) + pt.log1p(pt.exp(-pt.abs(x)))
            elif isinstance(scalar, Second):
                shape_of, value = node.inputs
                # zeros of the shape by allocation: zeros_like is itself a fill
                new = value + pt.zeros(shape_of.shape, dtype=value.dtype)
            elif isinstance(scalar, Clip):
                x, lower, upper = node.inputs
                new = pt.minimum(pt.maximum(x, lower), upper)
            else:
                continue
            graph = graph_replace(graph, {node.outputs[0]: new.astype(node.outputs[0].dtype)})
            break
        else:
            return graph


def derived_functions(family) -> DerivedFunctions:
    """The compiled functions of a :class:`~multilevel.families.family.Family`, built on
    first use."""
    # a categorical family's parameters depend on the response's categories, a mixture's
    # density on its components' families and links and on its predicted proportions
    key = (family.name, family.link, tuple(a.name for a in family.aux),
           tuple((c.name, c.link) for c in family.components), family.predicted_proportions)
    compiled_here = _DERIVED.__dict__.setdefault("functions", {})
    if key not in compiled_here:
        with _BUILDING:
            eta = pt.matrix("eta")
            aux = {a.name: pt.matrix(a.name) for a in family.aux}
            if family.ordinal:
                aux["thresholds"] = pt.tensor("thresholds", shape=(None, None, None))
            trials = pt.vector("trials", dtype="int64") if family.needs_trials else None
            distribution = family.distribution(eta, aux, trials)
            # one value per row, or a row of values (a dirichlet's shares) per row
            y = pt.tensor("y", dtype=distribution.dtype,
                          shape=(None,) * (distribution.ndim - 1))
            inputs = [eta, *aux.values()] + ([trials] if trials is not None else [])
            density = _without_draws(pm.logp(distribution, y))
            log_density = function([*inputs, y], _whole_array_operations(density),
                                   mode=PYTHON_MODE,
                                   on_unused_input="ignore")
            compiled, rngs = None, []
            if family.draw is None:
                # the random generators become inputs, so each call is seeded by the caller: a
                # mixture (zero-inflated) holds one per component
                draws = _whole_array_operations(
                    _categories_by_comparison(inline_inner_graphs(distribution)))
                shared = find_rng_nodes([draws])
                rngs = [random_generator_type(f"rng_{k}") for k in range(len(shared))]
                value = graph_replace(draws, dict(zip(shared, rngs, strict=True)))
                compiled = function([*rngs, *inputs], value, mode=PYTHON_MODE,
                                    on_unused_input="ignore")

            def compiled_density(extra, graph):
                return function([*inputs, y, *extra],
                                _whole_array_operations(_without_draws(graph)),
                                mode=PYTHON_MODE, on_unused_input="ignore")

            def build_censored(has_lower=False, has_upper=False):
                codes = pt.vector("codes", dtype="int64")
                upper = pt.vector("upper", dtype=distribution.dtype)
                # truncated too: each kind of censored row within the bounds, over their probability
                bounds = [pt.vector(side, dtype=distribution.dtype) if present else None
                          for side, present in (("truncation_lower", has_lower),
                                                ("truncation_upper", has_upper))]
                graph = censored_log_density(distribution, y, codes, upper, tuple(bounds),
                                             family.discrete)
                if has_lower or has_upper:
                    graph = graph - truncation_log_mass(distribution, *bounds, family.discrete)
                return compiled_density([codes, upper, *[b for b in bounds if b is not None]],
                                        graph)

            def build_truncated(has_lower, has_upper):
                lower = pt.vector("lower", dtype=distribution.dtype) if has_lower else None
                upper = pt.vector("upper", dtype=distribution.dtype) if has_upper else None
                graph = truncated_log_density(distribution, y, lower, upper, family.discrete)
                return compiled_density([b for b in (lower, upper) if b is not None], graph)

            def build_truncated_draws(has_lower, has_upper):
                # a uniform draw between the bounds' probabilities, through the inverse CDF
                uniform = pt.matrix("uniform")
                lower = pt.vector("lower") if has_lower else None
                upper = pt.vector("upper") if has_upper else None
                low = 0.0 if lower is None else pt.exp(pm.logcdf(distribution, lower))
                high = 1.0 if upper is None else pt.exp(pm.logcdf(distribution, upper))
                value = pm.icdf(distribution, low + uniform * (high - low))
                return function([*inputs, uniform, *[b for b in (lower, upper) if b is not None]],
                                value, mode=PYTHON_MODE, on_unused_input="ignore")

            compiled_here[key] = DerivedFunctions(log_density, compiled, len(rngs),
                                                  {"censored": build_censored,
                                                   "truncated": build_truncated,
                                                   "truncated_draws": build_truncated_draws})
    return compiled_here[key]

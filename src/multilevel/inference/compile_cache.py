"""Compile once per model structure: refits with new data reuse the compiled model.

Compiling dominates a small fit: pytensor's graph rewriting and numba's code generation take
tens of seconds, sampling a few. Every data-dependent array of a model is a named
``pm.Data`` (see :func:`multilevel.model.data`), so two fits that differ only in their data
(new responses, resampled rows, another data set with the same number of levels) have equal
log-density graphs, and a compiled model can take the other's data.

Code compiled with the data as variables takes about three times as long to compile as code with
the data folded in as constants, so a structure seen for the first time is compiled with its
data frozen, and that compiled model serves later fits of the same data (so that the same
seed gives the same draws). When the structure comes again with other data, it is compiled
once with data variables, and that compiled model serves every later fit of the structure
with new data.

numpyro's programs have the data folded in, so :func:`numpyro_program` reuses one only for
the same model and data: fitting a model again (another seed, the same cell run again, an
``update()`` that changes the seed or nothing that shapes the program) skips tracing and
compiling.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pymc as pm
from pymc.model.transform.optimization import freeze_dims_and_data
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable, equal_computations
from pytensor.graph.traversal import ancestors

from ..model.group_gather import register_numba

# compiled models kept per process; each holds a few MB of generated code
CACHE_SIZE = 8


@dataclass
class _Entry:
    outputs: list[Variable]
    inputs: list[Variable]
    compiled: object
    # the data folded into a frozen compilation; None when the data are variables
    frozen: dict[str, np.ndarray] | None = None


@dataclass(frozen=True)
class _Graph:
    """What decides whether two models can share compiled code."""

    key: tuple
    outputs: list[Variable]
    inputs: list[Variable]
    shared: dict[str, SharedVariable]


_compiled: OrderedDict[tuple, list[_Entry]] = OrderedDict()
# how often a model was compiled and how often compiled code was reused, for tests and users
statistics = {"compiled": 0, "reused": 0}


def _graph(model: pm.Model, var_names: list[str]) -> _Graph:
    outputs = model.replace_rvs_by_values([model.logp(), *[model[name] for name in var_names]])
    shared = {v.name: v for v in ancestors(outputs) if isinstance(v, SharedVariable)}
    values = list(model.value_vars)
    inputs = values + [shared[name] for name in sorted(shared)]
    key = (
        tuple(var_names),
        tuple((v.name, str(v.type)) for v in values),
        tuple((name, shared[name].type.ndim, shared[name].type.dtype) for name in sorted(shared)),
    )
    return _Graph(key, outputs, inputs, shared)


def compile_nutpie(model: pm.Model, var_names: list[str], unjittered: tuple[str, ...] = ()):
    """nutpie's compiled model for ``model``, reusing an equal model's compiled code.

    Parameters
    ----------
    model
        The PyMC model, with its data as named ``pm.Data``.
    var_names
        Variables nutpie stores in the trace.
    unjittered
        Free variables to start at their support point without nutpie's jitter.

    Returns
    -------
    nutpie.CompiledModel
        Compiled for ``model`` itself (its data frozen when the structure is new), or an
        earlier compiled model of the same structure with ``model``'s data.
    """
    import nutpie

    register_numba()
    graph = _graph(model, var_names)
    values = {name: np.asarray(variable.get_value()) for name, variable in graph.shared.items()}
    entries = _compiled.get(graph.key, [])
    # the same data first, then any data: the same data and seed give the same draws
    candidates = [e for e in entries if e.frozen is not None and _same(e.frozen, values)]
    candidates += [e for e in entries if e.frozen is None]
    for entry in candidates:
        if equal_computations(graph.outputs, entry.outputs, graph.inputs, entry.inputs):
            _compiled.move_to_end(graph.key)
            statistics["reused"] += 1
            return entry.compiled if entry.frozen is not None else _with_data(entry, values)
    statistics["compiled"] += 1
    frozen = not entries
    target, jitter = model, None
    if unjittered:
        # nutpie would freeze a copy of the model, whose variables the set must name
        target = freeze_dims_and_data(model) if frozen else model
        jitter = {rv for rv in target.free_RVs if rv.name not in unjittered}
    compiled = nutpie.compile_pymc_model(target, var_names=var_names,
                                         freeze_model=frozen and not unjittered,
                                         jitter_rvs=jitter)
    _compiled.setdefault(graph.key, []).append(_Entry(
        graph.outputs, graph.inputs, compiled, values if frozen else None))
    _compiled.move_to_end(graph.key)
    while len(_compiled) > CACHE_SIZE:
        _compiled.popitem(last=False)
    return compiled


@dataclass
class _Program:
    outputs: list[Variable]
    inputs: list[Variable]
    data: dict[str, np.ndarray]
    program: object


_programs: OrderedDict[tuple, list[_Program]] = OrderedDict()
_programs_lock = threading.Lock()


def numpyro_program(model: pm.Model, var_names: list[str], settings: tuple,
                    build: Callable[[list[Variable]], object]) -> object:
    """numpyro's program for ``model``, reused when an equal model with the same data and
    sampler settings was compiled before in this process, else built by ``build(outputs)``.

    Parameters
    ----------
    model
        The PyMC model.
    var_names
        Variables the program stores.
    settings
        Everything else the program is built from (warmup, draws, target acceptance, ...).
    build
        Traces and compiles the program from ``outputs``: the log density and then the
        variables ``var_names``, as functions of the model's value variables (the graph the
        comparison with earlier programs has built already).

    Returns
    -------
    object
        The program. It holds no state of a run, so fits may run it at the same time.
    """
    graph = _graph(model, var_names)
    values = {name: np.asarray(variable.get_value()) for name, variable in graph.shared.items()}
    key = (graph.key, settings)
    # fits on several threads (brm_many with a thread pool) share the table; each builds
    # its own program outside the lock
    with _programs_lock:
        for entry in _programs.get(key, []):
            if _same(entry.data, values) and equal_computations(graph.outputs, entry.outputs,
                                                                graph.inputs, entry.inputs):
                _programs.move_to_end(key)
                statistics["reused"] += 1
                return entry.program
    entry = _Program(graph.outputs, graph.inputs, values, build(graph.outputs))
    with _programs_lock:
        statistics["compiled"] += 1
        entries = _programs.setdefault(key, [])
        entries.append(entry)
        del entries[:-CACHE_SIZE]
        _programs.move_to_end(key)
        while len(_programs) > CACHE_SIZE:
            _programs.popitem(last=False)
    return entry.program


def _with_data(entry: _Entry, values: dict[str, np.ndarray]):
    # the initial-point function reads the cached model's own data (the prior location of
    # Intercept, say), so that model takes the new values too
    cached = {v.name: v for v in entry.inputs if isinstance(v, SharedVariable)}
    for name, value in values.items():
        cached[name].set_value(value)
    return entry.compiled.with_data(**{name: values[name] for name in entry.compiled.shared_data
                                       if name in values})


def _same(frozen: dict[str, np.ndarray], values: dict[str, np.ndarray]) -> bool:
    return frozen.keys() == values.keys() and all(
        frozen[name].shape == values[name].shape and np.array_equal(frozen[name], values[name])
        for name in frozen)


def clear() -> None:
    """Forget every compiled model."""
    _compiled.clear()
    with _programs_lock:
        _programs.clear()

"""Compile once per model structure: refits with new data reuse the compiled model.

Compiling dominates a small fit: pytensor's graph rewriting and numba's code generation take
tens of seconds, sampling a few. Every data-dependent array of a model is a named
``pm.Data`` (see :func:`multilevel.model.data`), so two fits that differ only in their data
(new responses, resampled rows, another data set with the same number of levels) have equal
log-density graphs, and a compiled model can take the other's data.

Code compiled with the data as variables takes longer to compile than code with the data
folded in as constants (three times as long with numba, a sixth longer with XLA), so a
structure seen for the first time is compiled with its data frozen, and that compiled model
serves later fits of the same data (so that the same seed gives the same draws). When the
structure comes again with other data, it is compiled once with data variables, and that
compiled model serves every later fit of the structure with new data (of the same shapes,
for numpyro's programs, whose arrays have fixed shapes). Fitting a model again (another
seed, the same cell run again, an ``update()`` that changes the seed or nothing that shapes
the program) skips tracing and compiling.

Many fits of one structure (the refits of k-fold and reloo, ``brm_many``, a calibration
study) run inside :func:`many_data_sets`, where every model is compiled with data variables
from the start: one compilation serves all of them, and a fit's draws are the same wherever
it runs, in this process after others or first in a worker of a cluster.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import pymc as pm
from pymc.model.transform.optimization import freeze_dims_and_data
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable, equal_computations
from pytensor.graph.traversal import ancestors

from ..model.group_gather import register_numba as register_group_terms
from ..model.row_likelihood import register_numba as register_row_likelihood
from ..names import CENTRING_DATA

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
# set inside many_data_sets(): compile with the data as variables from the start
_expecting_other_data: ContextVar[bool] = ContextVar("expecting_other_data", default=False)


@contextmanager
def many_data_sets() -> Iterator[None]:
    """A context for many fits of one structure to different data: each model is compiled
    with its data as variables from the start, so that one compilation serves all fits of a
    structure, and a fit's draws do not depend on the fits before it in the process.

    Yields
    ------
    None
    """
    token = _expecting_other_data.set(True)
    try:
        yield
    finally:
        _expecting_other_data.reset(token)


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

    register_group_terms()
    register_row_likelihood()
    graph = _graph(model, var_names)
    values = {name: np.asarray(variable.get_value()) for name, variable in graph.shared.items()}
    entries = _compiled.get(graph.key, [])
    many = _expecting_other_data.get()
    # the same data first, then any data: the same data and seed give the same draws; among
    # many fits, any data only, so that a fit's draws do not depend on the fits before it
    candidates = [e for e in entries
                  if not many and e.frozen is not None and _same(e.frozen, values)]
    candidates += [e for e in entries if e.frozen is None]
    for entry in candidates:
        if equal_computations(graph.outputs, entry.outputs, graph.inputs, entry.inputs):
            _compiled.move_to_end(graph.key)
            statistics["reused"] += 1
            return entry.compiled if entry.frozen is not None else _with_data(entry, values)
    statistics["compiled"] += 1
    frozen = not entries and not many
    target, jitter = model, None
    if frozen:
        # frozen here, not by nutpie, which would fold in every data variable
        target = freeze_dims_and_data(model, data=_foldable_data(model))
    if unjittered:
        # the set names the variables of the model nutpie compiles
        jitter = {rv for rv in target.free_RVs if rv.name not in unjittered}
    compiled = nutpie.compile_pymc_model(target, var_names=var_names, freeze_model=False,
                                         jitter_rvs=jitter)
    _compiled.setdefault(graph.key, []).append(_Entry(
        graph.outputs, graph.inputs, compiled, values if frozen else None))
    _compiled.move_to_end(graph.key)
    while len(_compiled) > CACHE_SIZE:
        _compiled.popitem(last=False)
    return compiled


def _foldable_data(model: pm.Model) -> list[str]:
    """The data a first compilation folds in as constants: all but the centring weights.

    nutpie canonicalises the log density with PyTensor's ``rewrite_graph``, which in PyTensor
    2.38 never ends on a graph such as ``(0 * y / s)[:, 0]``; a crossed block sampled in brms's
    non-centred form, its centring weight 0 folded in, builds exactly that. Left as data, the
    weights (one number per coefficient) cost the compiled code nothing.
    """
    return [variable.name for variable in model.data_vars
            if not variable.name.startswith(f"{CENTRING_DATA}_")]


@dataclass
class _Program:
    outputs: list[Variable]
    inputs: list[Variable]
    shapes: dict[str, tuple]
    # the data folded into the program; None where they are its arguments
    folded: dict[str, np.ndarray] | None
    program: object


_programs: OrderedDict[tuple, list[_Program]] = OrderedDict()
_programs_lock = threading.Lock()
# model structures whose JAX code needs the values of their data while it is traced
_needs_folded_data: set[tuple] = set()


def numpyro_program(model: pm.Model, var_names: list[str], settings: tuple,
                    build: Callable[[list[Variable], list[SharedVariable]], object],
                    ) -> tuple[object, tuple[np.ndarray, ...]]:
    """numpyro's program for ``model`` and the data arrays to call it with, reusing a
    program compiled before in this process for an equal model with the same sampler
    settings and either the same data or data of the same shapes as its arguments.

    A structure seen for the first time has its data folded in, unless inside
    :func:`many_data_sets`; from its second data set on, the data are the program's
    arguments, and one program serves every data set of those shapes. A structure whose JAX
    code needs its data's values while it is traced (the series bounds of a residual
    structure, say) always has them folded in.

    Parameters
    ----------
    model
        The PyMC model.
    var_names
        Variables the program stores.
    settings
        Everything else the program is built from (warmup, draws, target acceptance, ...).
    build
        ``build(outputs, data)`` traces and compiles the program from ``outputs``: the log
        density and then the variables ``var_names``, as functions of the model's value
        variables (the graph the comparison with earlier programs has built already), with
        the data variables ``data`` as its arguments and the others folded in.

    Returns
    -------
    program : object
        The program. It holds no state of a run, so fits may run it at the same time.
    arrays : tuple of numpy.ndarray
        The data to call it with, empty where they are folded in.
    """
    graph = _graph(model, var_names)
    values = {name: np.asarray(variable.get_value()) for name, variable in graph.shared.items()}
    shapes = {name: value.shape for name, value in values.items()}
    names = sorted(graph.shared)
    arrays = tuple(values[name] for name in names)
    key = (graph.key, settings)
    # fits on several threads (brm_many with a thread pool) share the table; each builds
    # its own program outside the lock
    with _programs_lock:
        entries = _programs.get(key, [])
        # among many fits, a program for one data set would make a fit's draws depend on the
        # fits before it, unless the structure's programs all have their data folded in
        any_program = not _expecting_other_data.get() or graph.key in _needs_folded_data
        for entry in entries:
            if (entry.shapes == shapes
                    and (entry.folded is None or (any_program and _same(entry.folded, values)))
                    and equal_computations(graph.outputs, entry.outputs,
                                           graph.inputs, entry.inputs)):
                _programs.move_to_end(key)
                statistics["reused"] += 1
                return entry.program, (arrays if entry.folded is None else ())
        folded = graph.key in _needs_folded_data or not (entries or _expecting_other_data.get())
    program = None
    if not folded:
        try:
            program = build(graph.outputs, [graph.shared[name] for name in names])
        except Exception:  # JAX's errors for values needed at tracing have no common class
            folded = True
            with _programs_lock:
                _needs_folded_data.add(graph.key)
    if folded:
        program = build(graph.outputs, [])
    entry = _Program(graph.outputs, graph.inputs, shapes, values if folded else None, program)
    with _programs_lock:
        statistics["compiled"] += 1
        entries = _programs.setdefault(key, [])
        entries.append(entry)
        del entries[:-CACHE_SIZE]
        _programs.move_to_end(key)
        while len(_programs) > CACHE_SIZE:
            _programs.popitem(last=False)
    return entry.program, (() if folded else arrays)


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
        _needs_folded_data.clear()

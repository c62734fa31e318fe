"""NUTS in JAX (numpyro's kernel) on the model's log density, compiled by XLA in one piece.

PyMC's own route to numpyro evaluates the log density operation by operation at the
initial points and again after sampling, and XLA compiles every one of those operations
separately, which costs more than the sampling of a small model. Here warmup, sampling and
the stored quantities of every draw form one XLA program, a chain's start a second, and the
initial points come from PyMC's initial-point expression, evaluated with NumPy.

On the CPU, XLA compiles the program for one chain on one device, and as many threads as cores
call it, one chain per call, a thread that finishes its chain taking the next. That compiles
faster than a program for all chains partitioned over one virtual device per core, the CPU
runtime runs the threads' calls in parallel, no core waits while another has two slow chains
left, and a chain's draws depend on its seed only, not on the number of cores. On an
accelerator the chains run vectorised in one call.

XLA cannot be interrupted within a call, so the program runs a chain on from where the last
call left it (its carry: iteration, NUTS state, draws so far) to a given iteration, and each
thread calls it again and again, about :data:`CHECK_SECONDS` of iterations at a time at the
pace of the calls before. Between calls the thread moves the progress bar on and stops when
asked; the main thread waits where Ctrl-C reaches it and then asks the threads to stop.
Where the calls end does not change the draws. The program has no callback into Python, so
its executables can be kept on disk for later processes (:mod:`.executable_cache`).

PyMC's JAX module asks XLA for 100 virtual CPU devices by rewriting ``XLA_FLAGS`` when it is
imported. numpyro's path here does not import it; blackjax's path, which does, imports it
through :func:`xla_flags_kept`, which puts back the value the user had.

Compiling is most of a small model's fit, so the program is kept small: warmup and sampling
are one loop, which holds the NUTS kernel, and with it the model's gradient, once instead of
twice; a chain's start, which holds the gradient twice more (numpyro's search for a first
step size), is a program of its own, compiled with XLA's cheapest options since it runs
once; and when the log density works through at most :data:`FEW_ROWS` rows of data, XLA's
CPU backend compiles it without its newer fusion emitters, which generate one machine-code
module per fused kernel: that compiles faster and samples as fast, where over many rows the
older emitters' loops sample more slowly (``docs/performance.md`` has the measurements).

A program is kept for refits of the same model and settings in the process: of the same
data when it has them folded in, of any data of the same shapes when it takes them as
arguments (:func:`multilevel.inference.compile_cache.numpyro_program` chooses).

NUTS moves one flat vector of all free variables, and its warmup starts from an inverse mass
matrix scaled down where the log density is steep (:func:`_gradient_scaled`).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import arviz as az
import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pytensor.compile.mode import get_mode
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.replace import clone_replace
from pytensor.graph.traversal import ancestors

from ..model.group_gather import register_jax
from .compile_cache import numpyro_program
from .executable_cache import (
    FEW_ROWS_COMPILER_OPTIONS,
    ONCE_COMPILER_OPTIONS,
    compile_programs,
)
from .jax_erfcx import replace_erfcx
from .progress import ProgressBar
from .starting_points import MAX_ATTEMPTS, StartingPoints, finite_start, start_error

if TYPE_CHECKING:
    from .settings import SamplerSettings

# up to this many rows of data in the log density, XLA compiles the sampler's program on the
# CPU with executable_cache.FEW_ROWS_COMPILER_OPTIONS
FEW_ROWS = 1000
# numpyro's (and Stan's) warmup estimates the mass matrix from the draws from this length on
MASS_WINDOW_WARMUP = 20


# the module of PyMC that writes XLA_FLAGS when it is imported
PYMC_JAX_MODULE = "pymc.sampling.jax"
# how long the sampler runs between two checkpoints, where it prints progress and looks for a
# request to stop: the longest wait for Ctrl-C to take effect, and long enough that the
# checkpoints' own cost is lost in the sampling
CHECK_SECONDS = 0.25
# a thread waiting for the chains wakes this often, so that Ctrl-C reaches it wherever the
# operating system delivered the signal
POLL_SECONDS = 0.1
# pytensor warns for each assertion of the graph (parameter checks) that JAX drops
_SKIPPED_CHECK = r"Skipping .* as JAX tracing would remove it"


@contextmanager
def xla_flags_kept() -> Iterator[None]:
    """A context in which importing PyMC's JAX module leaves ``XLA_FLAGS`` as it was.

    That module rewrites ``XLA_FLAGS`` when it is first imported, to ask XLA for 100 virtual
    CPU devices. When the module was first imported inside this context and ``XLA_FLAGS``
    changed, the value from before the context (or its absence) is put back; JAX reads the
    variable only when it starts its backend, so importing the module here, before any use of
    JAX, keeps JAX on the real devices. A value set in any other way stays as it is.

    Yields
    ------
    None
    """
    imported_before = PYMC_JAX_MODULE in sys.modules
    flags = os.environ.get("XLA_FLAGS")
    try:
        yield
    finally:
        if (not imported_before and PYMC_JAX_MODULE in sys.modules
                and os.environ.get("XLA_FLAGS") != flags):
            if flags is None:
                os.environ.pop("XLA_FLAGS", None)
            else:
                os.environ.update({"XLA_FLAGS": flags})


def import_pymc_jax():
    """PyMC's JAX module, imported (if it was not) without the ``XLA_FLAGS`` it writes.

    Returns
    -------
    module
        ``pymc.sampling.jax``.
    """
    register_jax()
    with xla_flags_kept():
        return importlib.import_module(PYMC_JAX_MODULE)


def jax_function(inputs: list[Variable], outputs: list[Variable]):
    """A JAX function of ``inputs`` computing ``outputs``, with the data that are not among
    ``inputs`` folded in.

    As PyMC's ``get_jaxified_graph``, less some rewrites and one conversion: the sparse
    ``local_usmm`` asks for PyTensor's BLAS flags, whose first use runs the C compiler to probe
    for a BLAS (half a second), which JAX does not use; PyTensor's elementwise fusion builds
    ``Composite`` operations that XLA, which fuses on its own, only has to take apart again
    (PyTensor 2.38's JAX mode runs it by mistake; pymc-devs/pytensor#2236 excludes it there,
    as here); and PyTensor turns each constant array into a JAX array with ``jnp.array``,
    which compiles a small XLA program per shape, where copying it to the device compiles
    nothing.
    """
    import jax
    from pytensor.link.jax.dispatch import jax_funcify, jax_typify
    from pytensor.link.utils import fgraph_to_python

    register_jax()

    def constant(data, dtype=None, **kwargs):
        if isinstance(data, np.ndarray) and data.ndim > 0:
            return jax.device_put(np.asarray(data, dtype=dtype))
        return jax_typify(data, dtype=dtype, **kwargs)

    shared = [v for v in ancestors(outputs)
              if isinstance(v, SharedVariable) and v not in inputs]
    constants = {v: pt.constant(v.get_value(borrow=True)) for v in shared}
    graph = FunctionGraph(inputs=inputs, outputs=clone_replace(outputs, replace=constants),
                          clone=True)
    get_mode("JAX").excluding("local_usmm", "fusion").optimizer.rewrite(graph)
    replace_erfcx(graph)
    with warnings.catch_warnings():
        # the checks guard PyMC's own samplers against invalid parameters; NUTS here treats
        # such a point as a divergence, as it does any non-finite log density
        warnings.filterwarnings("ignore", message=_SKIPPED_CHECK, category=UserWarning)
        return fgraph_to_python(graph, jax_funcify, type_conversion_fn=constant,
                                fgraph_name="jax_funcified_fgraph")


def unflattener(shapes: list[tuple]):
    """A function splitting one flat vector (NumPy's or JAX's) into arrays of ``shapes``, in
    order: the free variables of the flat vector that NUTS and the approximations move."""
    sizes = [int(np.prod(shape)) for shape in shapes]
    ends = np.cumsum(sizes)

    def unflatten(flat):
        return [flat[end - size:end].reshape(shape)
                for end, size, shape in zip(ends, sizes, shapes, strict=True)]

    return unflatten


def _started(program: _Program, key, position: np.ndarray, arrays, starts: StartingPoints,
             seeds: np.ndarray, chain: int | None):
    """The carry of ``program.initial`` at ``position``, or, where the potential energy or
    its gradient is not finite there, at starting points drawn again
    (:meth:`StartingPoints.again`); ``chain`` None for every chain at once (on an
    accelerator)."""
    import jax

    for attempt in range(1, MAX_ATTEMPTS + 1):
        carry = program.initial(key, position, *arrays)
        state = carry[2]
        finite = finite_start(*jax.device_get((state.potential_energy, state.z_grad)))
        if np.all(finite):
            return carry
        if chain is not None:
            position = starts.again([int(seeds[chain]), attempt], attempt)
        else:
            position = np.array(position)
            for k in np.flatnonzero(~finite):
                position[k] = starts.again([int(seeds[k]), attempt], attempt)
    raise start_error(chain)


def _gradient_scaled(state):
    """The NUTS state with its warmup's first inverse mass matrix scaled by the gradient.

    numpyro, as Stan, starts warmup from the identity, and a strongly identified parameter
    (the log of sigma over thousands of rows, with a posterior sd near 0.01) then holds the
    step size so small that the trajectories of the first hundred iterations, until the
    first mass matrix estimate, take hundreds of leapfrog steps: 60% of all of hsb's. A
    coordinate whose log density is steep at the starting point, ``|gradient| > 1``, starts
    with inverse mass ``1 / |gradient|`` instead (for a Gaussian coordinate of sd s at
    distance d from its mean, ``s^2 / d``: small where s is); the others keep the identity's
    1. Only warmup starts differently, and only a warmup of :data:`MASS_WINDOW_WARMUP`
    iterations or more, whose middle windows estimate the mass matrix from the draws as before
    (a shorter one has a single window that keeps the starting matrix).
    """
    import jax.numpy as jnp

    gradient = state.z_grad
    inverse_mass = jnp.where(jnp.isfinite(gradient),
                             jnp.clip(1.0 / jnp.abs(gradient), 1e-12, 1.0), 1.0)
    adapt = state.adapt_state._replace(inverse_mass_matrix=inverse_mass,
                                       mass_matrix_sqrt=1.0 / jnp.sqrt(inverse_mass),
                                       mass_matrix_sqrt_inv=jnp.sqrt(inverse_mass))
    return state._replace(adapt_state=adapt)


def _next_check(done: int, total: int, every: int, per_iteration: float | None) -> int:
    """How many iterations to run until the next checkpoint: :data:`CHECK_SECONDS`' worth at
    the pace since the last one, one at first, and never past the next multiple of ``every``
    or the end."""
    wanted = 1 if per_iteration is None else int(CHECK_SECONDS / max(per_iteration, 1e-9))
    return max(1, min(wanted, every - done % every, total - done))


def _statistics(state) -> dict:
    """What NUTS reports about the iteration that ended in ``state``."""
    return {"diverging": state.diverging, "energy": state.energy, "n_steps": state.num_steps,
            "acceptance_rate": state.accept_prob, "step_size": state.adapt_state.step_size,
            "lp": -state.potential_energy}


def _sample_stats(statistics: dict[str, np.ndarray], max_treedepth: int) -> dict:
    """``statistics`` under ArviZ's names, with the tree depth that PyMC and nutpie store.

    A tree of depth d takes up to ``2**d - 1`` leapfrog steps, and numpyro stops doubling at
    ``max_treedepth``, as Stan does.
    """
    stats = dict(statistics)
    depth = np.floor(np.log2(np.maximum(stats["n_steps"], 1))).astype(int) + 1
    stats["tree_depth"] = depth
    stats["reached_max_treedepth"] = depth >= max_treedepth
    return stats


class _Interrupted(Exception):
    """A chain stopped because sampling was asked to stop."""


@contextmanager
def interrupt_noticed() -> Iterator[threading.Event]:
    """A context that notices Ctrl-C even where the ``KeyboardInterrupt`` it raises is lost.

    JAX runs Python code in every garbage collection (a ``gc.callbacks`` entry), and
    Python prints and drops an exception raised there: a Ctrl-C whose handler happens to run
    inside it would be lost, and the fit would go on to the end. Inside this context, in the
    main thread and where Python's own handler is in place, Ctrl-C also sets the event
    yielded, which the samplers look at (:func:`raise_if_interrupted`) before and while they
    sample; on leaving the context, the handler is Python's own again.

    Yields
    ------
    threading.Event
        Set once Ctrl-C was pressed inside the context.
    """
    noticed = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if in_main else None
    if previous is not signal.default_int_handler:
        # another handler (an IPython kernel's, say) is the user's choice: leave it alone
        yield noticed
        return

    def handler(signum, frame):
        noticed.set()
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, handler)
    try:
        yield noticed
    finally:
        signal.signal(signal.SIGINT, previous)
    raise_if_interrupted(noticed)


def raise_if_interrupted(interrupted: threading.Event | None) -> None:
    """Raise ``KeyboardInterrupt`` when ``interrupted`` (of :func:`interrupt_noticed`) is set.

    Parameters
    ----------
    interrupted
        The event :func:`interrupt_noticed` yielded, or None.
    """
    if interrupted is not None and interrupted.is_set():
        raise KeyboardInterrupt


def _in_threads(run, tasks: int, workers: int, stop: threading.Event,
                interrupted: threading.Event | None = None) -> list:
    """``run(task)`` of every task, on ``workers`` threads, the main thread waiting.

    The main thread waits in short intervals, so that Ctrl-C (or any task's exception) ends
    the wait at once, as does ``interrupted`` once set; it then sets ``stop``, which the
    programs running on the threads answer at their next checkpoint, and the exception goes
    on once the threads have ended.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="multilevel-chain")
    futures = [pool.submit(run, task) for task in range(tasks)]
    try:
        pending = futures
        while pending:
            raise_if_interrupted(interrupted)
            finished, pending = wait(pending, timeout=POLL_SECONDS,
                                     return_when=FIRST_EXCEPTION)
            for future in finished:
                future.result()  # a task's failure ends the wait
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
    return [future.result() for future in futures]


@dataclass
class _Program:
    """A fit's compiled sampler programs. ``initial(key, position, *data)`` is the carry of a
    chain (of every chain, on an accelerator) before its first iteration, started at
    ``position``; ``advance(carry, until, *data)`` runs the chain on from ``carry`` until
    iteration ``until``. ``data`` is empty where the programs have the data folded in, else
    the model's data arrays, in the order of the ``data`` the programs were built with."""

    initial: object
    advance: object


def _build_program(model: pm.Model, outputs: list[Variable], settings: SamplerSettings,
                   shapes: list[tuple], keys: np.ndarray, start: np.ndarray, on_cpu: bool,
                   few_rows_on_cpu: bool, data: list[SharedVariable]) -> _Program:
    """Trace and compile the sampler's program: warmup and sampling of one chain on the CPU
    (of all chains, vectorised, on an accelerator), storing for every draw the variables
    that follow the log density in ``outputs`` (all functions of ``model.value_vars``).
    The data variables in ``data`` are arguments of the program, the others folded in."""
    import jax
    import jax.numpy as jnp
    from jax import lax
    with warnings.catch_warnings():
        # numpyro imports tqdm.auto, which warns in a Jupyter kernel without ipywidgets; its
        # bars are not used here
        warnings.filterwarnings("ignore", message="IProgress not found")
        from numpyro.infer import NUTS

    values = list(model.value_vars)
    # one graph for both: PyTensor rewrites their shared parts once, and XLA drops what each
    # use leaves unused; jitted, it is traced once for all its uses (the log density's
    # gradient, and the stored quantities' shapes and values)
    joint = jax.jit(jax_function(values + list(data), outputs))

    warmup, draws = settings.warmup, settings.draws
    unflatten = unflattener(shapes)

    # NUTS differentiates its potential where it starts and in its leapfrog step; as a
    # jitted gradient behind a custom derivative, the log density is differentiated once.
    # The derivative is reverse-mode only, which is numpyro's default.
    potential_and_gradient = jax.jit(jax.value_and_grad(
        lambda position, arrays: -joint(*unflatten(position), *arrays)[0]))

    @jax.custom_vjp
    def potential(position, arrays):
        return potential_and_gradient(position, arrays)[0]

    def potential_backward(gradient, cotangent):
        # the data are not differentiated: None is their zero cotangent
        return cotangent * gradient, None

    # the forward pass keeps the gradient as its residual
    potential.defvjp(potential_and_gradient, potential_backward)

    def chain(arrays):
        """NUTS's start, the stored quantities of a position and NUTS's step, on the data
        ``arrays`` (the program's arguments, or none where the data are folded in)."""
        kernel = NUTS(potential_fn=lambda position: potential(position, arrays),
                      target_accept_prob=settings.target_accept,
                      max_tree_depth=settings.max_treedepth)

        def begin(key, position):
            state = kernel.init(key, warmup, position, (), {})
            return _gradient_scaled(state) if warmup >= MASS_WINDOW_WARMUP else state

        def expand_flat(z):
            return tuple(joint(*unflatten(z), *arrays)[1:])

        if on_cpu:
            return begin, expand_flat, kernel.sample
        # one accelerator: the chains run vectorised, in lockstep, through one loop
        return (jax.vmap(begin), jax.vmap(expand_flat),
                jax.vmap(kernel.sample, in_axes=(0, None, None)))

    def initial(key, position, *arrays):
        """The carry of a chain before its first iteration: its state, and room for the
        stored quantities and sampler statistics of every draw."""
        begin, expand_flat, _ = chain(arrays)
        state = begin(key, position)
        shapes = jax.eval_shape(expand_flat, state.z)
        stored = tuple(jnp.zeros((draws, *shape.shape), shape.dtype) for shape in shapes)
        statistics = {name: jnp.zeros((draws, *jnp.shape(value)), jnp.result_type(value))
                      for name, value in _statistics(state).items()}
        return jnp.int32(0), jnp.int32(0), state, stored, statistics

    def advance(carry, until, *arrays):
        """The carry after the iterations up to ``until``: the iterations run, the divergent
        transitions after warmup so far, the NUTS state, the stored quantities and the
        sampler statistics."""
        begin, expand_flat, sample = chain(arrays)
        # numpyro's kernel makes its step function as it starts: traced for that alone,
        # the start leaves nothing in the program
        jax.eval_shape(begin, key, position)
        iteration, divergent, state, stored, statistics = carry

        def keep(state, stored, statistics, slot):
            return stored, statistics

        def store(state, stored, statistics, slot):
            stored = tuple(lax.dynamic_update_index_in_dim(values, new, slot, 0)
                           for values, new in zip(stored, expand_flat(state.z), strict=True))
            statistics = {name: lax.dynamic_update_index_in_dim(statistics[name], new, slot, 0)
                          for name, new in _statistics(state).items()}
            return stored, statistics

        def step(carry):
            iteration, divergent, state, stored, statistics = carry
            state = sample(state, (), {})
            sampling = iteration >= warmup
            # warmup iterations store nothing
            stored, statistics = lax.cond(sampling, store, keep, state, stored,
                                          statistics, iteration - warmup)
            divergent = divergent + jnp.sum(state.diverging & sampling).astype(jnp.int32)
            return iteration + 1, divergent, state, stored, statistics

        return lax.while_loop(lambda carry: carry[0] < until, step,
                              (iteration, divergent, state, stored, statistics))

    # one chain per call of a one-chain program on the CPU: as many calls at a time as cores,
    # a thread that finishes its chain taking the next
    key, position = (keys[0], start[0]) if on_cpu else (keys, start)
    arrays = tuple(np.asarray(variable.get_value(borrow=True)) for variable in data)
    # the start is a program of its own, compiled for compiling fast, as it runs once: in
    # the sampler's program it held the log density's gradient twice more (numpyro's start
    # looks for a first step size)
    lowered_initial = jax.jit(initial).lower(key, position, *arrays)
    first = jax.tree_util.tree_map(lambda out: jax.ShapeDtypeStruct(out.shape, out.dtype),
                                   lowered_initial.out_info)
    # the carry's buffers are reused for the next one, not copied
    lowered_advance = jax.jit(advance, donate_argnums=0).lower(first, np.int32(0), *arrays)
    sampling_options = FEW_ROWS_COMPILER_OPTIONS if few_rows_on_cpu else {}
    initial_program, advance_program = compile_programs(
        [(lowered_initial, ONCE_COMPILER_OPTIONS if on_cpu else {}),
         (lowered_advance, sampling_options)])
    return _Program(initial_program, advance_program)


def sample_numpyro(model: pm.Model, var_names: list[str], settings: SamplerSettings,
                   seed: int, rows: int | None = None,
                   interrupted: threading.Event | None = None,
                   unjittered: tuple[str, ...] = (), starts: tuple = ()) -> az.InferenceData:
    """Sample ``model`` with numpyro's NUTS and return the posterior of ``var_names``.

    Parameters
    ----------
    model
        The PyMC model.
    var_names
        Variables to keep in the posterior.
    settings
        Chains, draws, warmup, cores, target acceptance and progress bar.
    seed
        The seed; the same seed gives the same draws.
    rows
        How many rows of data the log density works through, when known (0 when the
        likelihood comes from cross-products); up to :data:`FEW_ROWS` rows XLA compiles
        the program in its faster mode.
    interrupted
        The event of :func:`interrupt_noticed` around the call, when there is one: once it
        is set, sampling stops.
    unjittered, starts
        Free variables that start at their support point, without jitter (the group
        effects of a distributional parameter, whose sd starts at the response's scale);
        (name, value) of those that start elsewhere than their support point.

    Returns
    -------
    InferenceData
        ``posterior`` with ``var_names`` and ``sample_stats`` with ``diverging``.
    """
    import jax

    chains, warmup, draws = settings.chains, settings.warmup, settings.draws
    on_cpu = jax.local_devices()[0].platform == "cpu"
    # the chains' starting points and random keys come from NumPy: JAX would compile a
    # program for each of its own operations on them
    seeds = np.random.SeedSequence(seed).generate_state(3 * chains).reshape(3, chains)
    starting = StartingPoints(model, unjittered, starts)
    points = [starting.point(int(point_seed)) for point_seed in seeds[0]]
    # NUTS moves one flat vector: its own work (momenta, mass matrix, U-turn checks) is then a
    # few operations per leapfrog step instead of a few per free variable
    shapes = [np.shape(points[0][v.name]) for v in model.value_vars]
    start = np.stack([np.concatenate([np.ravel(point[v.name]) for v in model.value_vars])
                      for point in points]).astype(float)
    keys = seeds[1:].T.copy()
    few_rows_on_cpu = on_cpu and rows is not None and rows <= FEW_ROWS
    # everything the program is built from besides the model and its data
    shaping = (warmup, draws, settings.target_accept, settings.max_treedepth, few_rows_on_cpu,
               None if on_cpu else chains)

    def build(outputs: list[Variable], data: list[SharedVariable]) -> _Program:
        return _build_program(model, outputs, settings, shapes, keys, start, on_cpu,
                              few_rows_on_cpu, data)

    total = warmup + draws
    # a checkpoint at least every tenth of the iterations, so that the bar moves on
    every = max(1, total // 10)
    stop = threading.Event()
    progress = None

    program, arrays = numpyro_program(model, var_names, shaping, build)

    def run(task):
        """The chain ``task`` (every chain, on an accelerator) run to its end, in calls of
        about :data:`CHECK_SECONDS` each, between which the bar moves on and a request to
        stop is answered."""
        key, position = (keys[task], start[task]) if on_cpu else (keys, start)
        carry = _started(program, key, position, arrays, starting, seeds[0],
                         task if on_cpu else None)
        done, pace = 0, None
        while done < total:
            began = time.perf_counter()
            until = done + _next_check(done, total, every, pace)
            carry = program.advance(carry, np.int32(until), *arrays)
            iteration, divergent = (int(value) for value in jax.device_get(carry[:2]))
            pace = (time.perf_counter() - began) / (iteration - done)
            done = iteration
            if progress is not None:
                progress.update(task if on_cpu else -1, done, divergent)
            if stop.is_set():
                raise _Interrupted
        return jax.device_get(carry[3:])

    # the chains run on threads of their own even on an accelerator: the main thread
    # waits where Ctrl-C reaches it, and sets the stop that the next checkpoint answers
    raise_if_interrupted(interrupted)
    if settings.progressbar:
        # made once the program is compiled, so that it starts with the sampling
        progress = ProgressBar(chains, warmup, draws)
    try:
        outputs = _in_threads(run, chains if on_cpu else 1,
                              min(settings.resolved_cores(), chains), stop, interrupted)
    finally:
        if progress is not None:
            progress.close()
    if on_cpu:
        quantities, statistics = jax.tree_util.tree_map(lambda *parts: np.stack(parts),
                                                        *outputs)
    else:
        (quantities, statistics), = outputs
        quantities, statistics = jax.tree_util.tree_map(lambda values: np.moveaxis(values, 1, 0),
                                                        (quantities, statistics))

    posterior = dict(zip(var_names, quantities, strict=True))
    dims = {name: list(model.named_vars_to_dims.get(name, ())) for name in var_names}
    named = {dim for names in dims.values() for dim in names}
    coords = {dim: list(labels) for dim, labels in model.coords.items() if dim in named}
    return az.from_dict(posterior=posterior,
                        sample_stats=_sample_stats(statistics, settings.max_treedepth),
                        coords=coords, dims=dims)

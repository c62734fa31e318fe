"""NUTS in JAX (numpyro's kernel) on the model's log density, compiled by XLA in one piece.

PyMC's own route to numpyro evaluates the log density operation by operation at the
initial points and again after sampling, and XLA compiles every one of those operations
separately, which costs more than the sampling of a small model. Here warmup, sampling and
the stored quantities of every draw form one XLA program, and the initial points come from
PyMC's NumPy initial-point function.

On the CPU, XLA compiles the program for one chain on one device, and as many threads as cores
call it, one chain per call, a thread that finishes its chain taking the next. That compiles
faster than a program for all chains partitioned over one virtual device per core (sleepstudy's
in 1.3 s instead of 1.9 s), the CPU runtime runs the threads' calls in parallel, no core waits
while another has two slow chains left, and a chain's draws depend on its seed only, not on
the number of cores. On an accelerator the chains run vectorised in one call.

PyMC's JAX module asks XLA for 100 virtual CPU devices by rewriting ``XLA_FLAGS`` when it is
imported. numpyro's path here does not import it; the paths that do (blackjax, Pathfinder)
import it through :func:`xla_flags_kept`, which puts back the value the user had.

Compiling is most of a small model's fit, so the program is kept small: warmup and sampling
are one loop, which holds the NUTS kernel, and with it the model's gradient, once instead of
twice; and when the log density works through few rows of data, XLA's CPU backend compiles
it without its newer fusion emitters, which generate one machine-code module per fused
kernel: sleepstudy's and hsb's programs (whose likelihoods come from cross-products) compile
in 1.2–1.5 s and 1.4–1.7 s instead of 2.0–2.3 s, and sample as fast. Over many rows the
older emitters' loops run slower: a bernoulli model of 3,000 rows sampled 30% slower with
them, one of 1,000 rows as fast.

NUTS moves one flat vector of all free variables, and its warmup starts from an inverse mass
matrix scaled down where the log density is steep (:func:`_gradient_scaled`).
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

import arviz as az
import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.initial_point import make_initial_point_expression
from pytensor.compile.function import function
from pytensor.compile.mode import Mode, get_mode
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.replace import clone_replace
from pytensor.graph.traversal import ancestors

if TYPE_CHECKING:
    from .sampling import SamplerSettings

# XLA options of the sampler's program on the CPU when the log density works through at most
# FEW_ROWS rows; a jaxlib without one of them compiles without it
_FEW_ROWS_COMPILER_OPTIONS = {"xla_cpu_use_fusion_emitters": False}
FEW_ROWS = 1000
# numpyro's (and Stan's) warmup estimates the mass matrix from the draws from this length on
MASS_WINDOW_WARMUP = 20
# the module of PyMC that writes XLA_FLAGS when it is imported
PYMC_JAX_MODULE = "pymc.sampling.jax"
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
    with xla_flags_kept():
        return importlib.import_module(PYMC_JAX_MODULE)


def _jax_function(inputs: list[Variable], outputs: list[Variable]):
    """A JAX function of ``inputs`` computing ``outputs``, with the data folded in.

    As PyMC's ``get_jaxified_graph``, less one rewrite and one conversion: the sparse
    ``local_usmm`` asks for PyTensor's BLAS flags, whose first use runs the C compiler to probe
    for a BLAS (half a second), which JAX does not use; and PyTensor turns each constant array
    into a JAX array with ``jnp.array``, which compiles a small XLA program per shape, where
    copying it to the device compiles nothing.
    """
    import jax
    from pytensor.link.jax.dispatch import jax_funcify, jax_typify
    from pytensor.link.utils import fgraph_to_python

    def constant(data, dtype=None, **kwargs):
        if isinstance(data, np.ndarray) and data.ndim > 0:
            return jax.device_put(np.asarray(data, dtype=dtype))
        return jax_typify(data, dtype=dtype, **kwargs)

    shared = [v for v in ancestors(outputs) if isinstance(v, SharedVariable)]
    constants = {v: pt.constant(v.get_value(borrow=True)) for v in shared}
    graph = FunctionGraph(inputs=inputs, outputs=clone_replace(outputs, replace=constants),
                          clone=True)
    get_mode("JAX").excluding("local_usmm").optimizer.rewrite(graph)
    with warnings.catch_warnings():
        # the checks guard PyMC's own samplers against invalid parameters; NUTS here treats
        # such a point as a divergence, as it does any non-finite log density
        warnings.filterwarnings("ignore", message=_SKIPPED_CHECK, category=UserWarning)
        return fgraph_to_python(graph, jax_funcify, type_conversion_fn=constant,
                                fgraph_name="jax_funcified_fgraph")



def _initial_points(model: pm.Model, seeds: np.ndarray) -> list[dict[str, np.ndarray]]:
    """One starting point per seed: each free variable's support point, transformed, with
    uniform(-1, 1) jitter, as PyMC's initial points.

    PyMC compiles its jittered initial-point function through the C linker, which imports
    setuptools and loads a compiled module per operation (half a second); the support points
    are evaluated once here by Python's own implementations of the operations and the jitter
    drawn with NumPy.
    """
    values = make_initial_point_expression(
        free_rvs=model.free_RVs, rvs_to_transforms=model.rvs_to_transforms,
        initval_strategies=model.rvs_to_initial_values, return_transformed=True)
    support = function([], values, mode=Mode(linker="py", optimizer="fast_compile"))()
    names = [v.name for v in model.value_vars]
    points = []
    for seed in seeds:
        generator = np.random.default_rng(int(seed))
        points.append({name: (value + generator.uniform(-1, 1, np.shape(value))).astype(
            np.asarray(value).dtype) for name, value in zip(names, support, strict=True)})
    return points


def _compile(lowered, few_rows_on_cpu: bool):
    """The lowered program compiled, with the few-rows options where this jaxlib has them."""
    if few_rows_on_cpu:
        try:
            return lowered.compile(compiler_options=_FEW_ROWS_COMPILER_OPTIONS)
        except Exception as error:  # jaxlib raises its own runtime error class
            if "compile option" not in str(error):
                raise
    return lowered.compile()


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


def _progress_printer(total: int, warmup: int):
    """A host callback printing rstan's progress lines, called every tenth of the iterations."""
    def report(chain, iteration):
        chain, iteration = int(chain), int(iteration)
        phase = "Warmup" if iteration <= warmup else "Sampling"
        # one write per line: the chains report from several threads
        sys.stderr.write(f"Chain {chain + 1}: Iteration: {iteration:>{len(str(total))}} / "
                         f"{total} [{round(100 * iteration / total):>3}%]  ({phase})\n")
        sys.stderr.flush()
    return report


def sample_numpyro(model: pm.Model, var_names: list[str], settings: SamplerSettings,
                   seed: int, rows: int | None = None) -> az.InferenceData:
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

    Returns
    -------
    InferenceData
        ``posterior`` with ``var_names`` and ``sample_stats`` with ``diverging``.
    """
    # JAX is slow to import: only the JAX samplers load it
    import jax
    import jax.numpy as jnp
    from jax import lax
    from numpyro.infer import NUTS

    values = list(model.value_vars)
    # one graph for both: PyTensor rewrites their shared parts once, and XLA drops what each
    # use leaves unused; jitted, it is traced once for all its uses (the log density's
    # gradient, and the stored quantities' shapes and values)
    joint = jax.jit(_jax_function(values, [model.logp(), *model.replace_rvs_by_values(
        [model[name] for name in var_names])]))

    def log_density(*point):
        return joint(*point)[0]

    def expand(*point):
        return joint(*point)[1:]

    chains, warmup, draws = settings.chains, settings.warmup, settings.draws
    on_cpu = jax.local_devices()[0].platform == "cpu"
    # the chains' starting points and random keys come from NumPy: JAX would compile a
    # program for each of its own operations on them
    seeds = np.random.SeedSequence(seed).generate_state(3 * chains).reshape(3, chains)
    points = _initial_points(model, seeds[0])
    # NUTS moves one flat vector: its own work (momenta, mass matrix, U-turn checks) is then a
    # few operations per leapfrog step instead of a few per free variable
    shapes = [np.shape(points[0][v.name]) for v in values]
    sizes = [int(np.prod(shape)) for shape in shapes]
    ends = np.cumsum(sizes)

    def unflatten(flat):
        return [flat[end - size:end].reshape(shape)
                for end, size, shape in zip(ends, sizes, shapes, strict=True)]

    start = np.stack([np.concatenate([np.ravel(point[v.name]) for v in values])
                      for point in points]).astype(float)
    keys = seeds[1:].T.copy()
    numbers = np.arange(chains)

    # NUTS differentiates its potential where it starts and in its leapfrog step; as a
    # jitted gradient behind a custom derivative, the log density is differentiated once.
    # The derivative is reverse-mode only, which is numpyro's default.
    potential_and_gradient = jax.jit(jax.value_and_grad(
        lambda position: -log_density(*unflatten(position))))

    @jax.custom_vjp
    def potential(position):
        return potential_and_gradient(position)[0]

    def potential_backward(gradient, cotangent):
        return (cotangent * gradient,)

    # the forward pass keeps the gradient as its residual
    potential.defvjp(potential_and_gradient, potential_backward)
    kernel = NUTS(potential_fn=potential, target_accept_prob=settings.target_accept)
    total = warmup + draws
    report = _progress_printer(total, warmup) if settings.progressbar else None
    every = max(1, total // 10)

    def iterate(state, iteration, chain):
        state = kernel.sample(state, (), {})
        if report is not None:
            lax.cond((iteration + 1) % every == 0,
                     lambda: jax.debug.callback(report, chain, iteration + 1),
                     lambda: None)
        return state

    def run_chain(key, position, chain):
        state = kernel.init(key, warmup, position, (), {})
        if warmup >= MASS_WINDOW_WARMUP:
            state = _gradient_scaled(state)
        shapes = jax.eval_shape(lambda z: tuple(expand(*unflatten(z))), state.z)
        stored = tuple(jnp.zeros((draws, *shape.shape), shape.dtype) for shape in shapes)
        diverging = jnp.zeros(draws, dtype=bool)

        def keep(state, stored, diverging, slot):
            return stored, diverging

        def store(state, stored, diverging, slot):
            stored = tuple(lax.dynamic_update_index_in_dim(values, new, slot, 0)
                           for values, new in zip(stored, expand(*unflatten(state.z)),
                                                 strict=True))
            return stored, diverging.at[slot].set(state.diverging)

        def step(iteration, carry):
            state, stored, diverging = carry
            state = iterate(state, iteration, chain)
            # warmup iterations store nothing
            stored, diverging = lax.cond(iteration >= warmup, store, keep, state, stored,
                                         diverging, iteration - warmup)
            return state, stored, diverging

        return lax.fori_loop(0, warmup + draws, step, (state, stored, diverging))[1:]

    few_rows_on_cpu = on_cpu and rows is not None and rows <= FEW_ROWS
    if on_cpu:
        # one chain per call of a one-chain program, as many calls at a time as cores: a thread
        # that finishes its chain takes the next
        compiled = _compile(jax.jit(run_chain).lower(keys[0], start[0], numbers[0]),
                            few_rows_on_cpu)

        def run(chain):
            return jax.device_get(compiled(keys[chain], start[chain], numbers[chain]))

        with ThreadPoolExecutor(max_workers=min(settings.resolved_cores(), chains)) as pool:
            outputs = list(pool.map(run, range(chains)))
        quantities, diverging = jax.tree_util.tree_map(lambda *parts: np.stack(parts),
                                                       *outputs)
    else:
        # one accelerator: chains run vectorised, in lockstep
        compiled = _compile(jax.jit(jax.vmap(run_chain)).lower(keys, start, numbers), False)
        quantities, diverging = jax.device_get(compiled(keys, start, numbers))

    posterior = dict(zip(var_names, quantities, strict=True))
    dims = {name: list(model.named_vars_to_dims.get(name, ())) for name in var_names}
    named = {dim for names in dims.values() for dim in names}
    coords = {dim: list(labels) for dim, labels in model.coords.items() if dim in named}
    return az.from_dict(posterior=posterior, sample_stats={"diverging": diverging},
                        coords=coords, dims=dims)

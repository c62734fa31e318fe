"""Run NUTS on a PyMC model and warn about the sampler's health as brms does."""

from __future__ import annotations

import logging
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import arviz as az
import numpy as np
import pymc as pm

from .compile_cache import compile_nutpie
from .numpyro import (
    import_pymc_jax,
    interrupt_noticed,
    raise_if_interrupted,
    sample_numpyro,
)
from .settings import SamplerSettings

# pip's PyTensor finds no BLAS and says so, once per process, when it first compiles C code
# (PyMC's NUTS and ADVI, and the parts of nutpie's and blackjax's compilation that touch it);
# the default samplers do not use that BLAS
_NO_BLAS_WARNING = "PyTensor could not link to a BLAS installation"
_NO_BLAS_LOGGER = "pytensor.tensor.blas"
# where pm.sample() logs its progress
_PYMC_SAMPLING_LOGGER = "pymc.sampling.mcmc"
# rstan's threshold for a chain's E-BFMI, below which brms warns
LOW_BFMI = 0.2
# target acceptance rates the divergence warning suggests, the first above the fit's own
SUGGESTED_TARGET_ACCEPT = (0.95, 0.99)
# nutpie keeps every draw in memory, warmup included, in buffers that grow by doubling, and
# converting them copies: a trace of more bytes than this goes to disk as it is sampled
IN_MEMORY_TRACE_BYTES = 2**30


class _DropMessages(logging.Filter):
    """A logging filter dropping records whose message starts with one of ``prefixes``."""

    def __init__(self, *prefixes: str):
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefixes)


class _WarningsOnly(logging.Filter):
    """A logging filter keeping warnings and errors, dropping information records."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


@contextmanager
def without_library_notices() -> Iterator[None]:
    """A context in which PyTensor does not report that it found no BLAS and PyMC's NUTS
    does not log its progress (its sampler's variables, named as the model names them
    internally, and its timing); brms's own warnings follow the fit.

    They are silenced for the code inside only; the warning filters and the libraries'
    loggers are as before afterwards.

    Yields
    ------
    None
    """
    blas = logging.getLogger(_NO_BLAS_LOGGER)
    sampling = logging.getLogger(_PYMC_SAMPLING_LOGGER)
    notices = _DropMessages("Using NumPy C-API based implementation for BLAS")
    progress = _WarningsOnly()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_NO_BLAS_WARNING, category=UserWarning)
        blas.addFilter(notices)
        sampling.addFilter(progress)
        try:
            yield
        finally:
            blas.removeFilter(notices)
            sampling.removeFilter(progress)


def run_nuts(model: pm.Model, var_names: list[str], settings: SamplerSettings,
             seed: int, rows: int | None = None,
             unjittered: tuple[str, ...] = (),
             starts: tuple[tuple[str, float], ...] = ()) -> az.InferenceData:
    """Sample ``model`` with NUTS and return the posterior of ``var_names``.

    Parameters
    ----------
    model
        The PyMC model.
    var_names
        Variables to keep in the posterior.
    settings
        Chains, draws, warmup, cores, target acceptance and backend.
    seed
        The seed; the same seed gives the same draws.
    rows
        How many rows of data the log density works through (0 when the likelihood comes
        from cross-products), when known: numpyro's compilation depends on it.
    unjittered
        Free variables nutpie starts at their support point without jitter.
    starts
        Free variables' values numpyro starts from (before jitter) instead of their support
        points; nutpie starts from the support points (with them, its numba build of the
        log density of an ordered mixture was not finite at some jittered starts).
    """
    with without_library_notices(), interrupt_noticed() as interrupted:
        idata = _sample(model, var_names, settings, seed, rows, interrupted, unjittered,
                        starts)
    for group in ("warmup_posterior", "warmup_sample_stats", "unconstrained_posterior"):
        if group in idata.groups():
            del idata[group]
    # nutpie also stores the free (transformed) variables; users see brms's parameters only
    idata.posterior = idata.posterior[var_names]
    # compiled code reused from another data set carries that data set's level names
    idata.posterior = idata.posterior.assign_coords(
        {dim: list(values) for dim, values in model.coords.items() if dim in idata.posterior.dims})
    return idata


@contextmanager
def _trace_store(values_per_draw: int, settings: SamplerSettings):
    """Where nutpie writes its draws: None (memory) or, for a trace of more than
    :data:`IN_MEMORY_TRACE_BYTES`, a Zarr store in a temporary directory, removed on exit."""
    draws = settings.chains * (settings.draws + settings.warmup)
    if 8 * values_per_draw * draws <= IN_MEMORY_TRACE_BYTES:
        yield None
        return
    import nutpie

    with tempfile.TemporaryDirectory(prefix="multilevel-draws-") as directory:
        yield nutpie.zarr_store.LocalStore(directory)


def _read_from_store(idata: az.InferenceData, var_names: list[str]) -> az.InferenceData:
    """The draws nutpie wrote to a store, in memory, as its in-memory trace gives them.

    Read before the directory goes, and only what the fit keeps: not the free variables,
    which are as many numbers again, nor the per-draw vectors of the sample statistics
    (gradients, divergence points), which nutpie leaves out of an in-memory trace; and not
    nutpie's settings, a nested mapping, which netCDF files cannot hold.
    """
    stats = idata.sample_stats
    scalars = [name for name, values in stats.data_vars.items()
               if values.dims == ("chain", "draw")]
    idata.posterior = idata.posterior[var_names].load()
    idata.sample_stats = stats[scalars].load()
    idata.attrs = {key: value for key, value in idata.attrs.items() if not isinstance(value, dict)}
    return idata


def _sample(model: pm.Model, var_names: list[str], settings: SamplerSettings, seed: int,
            rows: int | None, interrupted: threading.Event,
            unjittered: tuple[str, ...] = (),
            starts: tuple[tuple[str, float], ...] = ()) -> az.InferenceData:
    """The InferenceData of the backend ``settings`` name, as it returns it; ``interrupted``
    is set once Ctrl-C was pressed, even where its ``KeyboardInterrupt`` was lost."""
    if settings.backend == "nutpie":
        import nutpie

        compiled = compile_nutpie(model, var_names, unjittered)
        raise_if_interrupted(interrupted)
        with _trace_store(compiled.n_expanded, settings) as store:
            sampler = nutpie.sample(
                compiled,
                draws=settings.draws,
                tune=settings.warmup,
                chains=settings.chains,
                cores=settings.resolved_cores(),
                seed=seed,
                save_warmup=False,
                progress_bar=settings.progressbar,
                target_accept=settings.target_accept,
                maxdepth=settings.max_treedepth,
                # a diagonal mass matrix leaves the intercept of a model with thousands of
                # group effects mixing slowly along the direction it shares with their mean;
                # nutpie's low-rank correction learns such directions from the warmup's
                # gradients
                low_rank_modified_mass_matrix=True,
                blocking=False,
                zarr_store=store,
            )
            try:
                idata = sampler.wait()
            except BaseException:
                # nutpie's own blocking call answers Ctrl-C with the draws so far, as if
                # sampling had finished; the caller's KeyboardInterrupt goes on instead, once
                # the sampler's threads have stopped
                sampler.cancel()
                raise
            if store is not None:
                idata = _read_from_store(idata, var_names)
            return idata
    if settings.backend == "numpyro":
        return sample_numpyro(model, var_names, settings, seed, rows=rows,
                              interrupted=interrupted, unjittered=unjittered,
                              starts=starts)
    if settings.backend == "blackjax":
        # PyMC's blackjax path imports this module, which would ask for 100 virtual CPU
        # devices through XLA_FLAGS; imported here first, the user's XLA_FLAGS stay
        import_pymc_jax()
        import jax

        # one device (a CPU) runs the chains best vectorised; several (GPUs) in parallel
        method = "parallel" if jax.local_device_count() >= settings.chains else "vectorized"
        return pm.sample(
            draws=settings.draws,
            tune=settings.warmup,
            chains=settings.chains,
            random_seed=seed,
            target_accept=settings.target_accept,
            progressbar=settings.progressbar,
            model=model,
            var_names=var_names,
            nuts_sampler="blackjax",
            nuts_sampler_kwargs={"chain_method": method},
            compute_convergence_checks=False,
        )
    return pm.sample(
        draws=settings.draws,
        tune=settings.warmup,
        chains=settings.chains,
        cores=settings.resolved_cores(),
        random_seed=seed,
        target_accept=settings.target_accept,
        max_treedepth=settings.max_treedepth,
        progressbar=settings.progressbar,
        model=model,
        var_names=var_names,
        compute_convergence_checks=False,
    )


def divergent_count(idata: az.InferenceData) -> int:
    """Divergent transitions after warmup; nutpie and PyMC both call them ``diverging``."""
    if "sample_stats" not in idata.groups() or "diverging" not in idata.sample_stats:
        return 0
    return int(np.asarray(idata.sample_stats["diverging"]).sum())


def max_treedepth_count(idata: az.InferenceData, max_treedepth: int) -> int:
    """Iterations after warmup whose tree reached ``max_treedepth``.

    PyMC and numpyro's path here store ``reached_max_treedepth``, nutpie ``maxdepth_reached``;
    blackjax stores only the depth.
    """
    if "sample_stats" not in idata.groups():
        return 0
    stats = idata.sample_stats
    for name in ("reached_max_treedepth", "maxdepth_reached"):
        if name in stats:
            return int(np.asarray(stats[name]).sum())
    if "tree_depth" in stats:
        return int((np.asarray(stats["tree_depth"]) >= max_treedepth).sum())
    return 0


def low_bfmi_chains(idata: az.InferenceData) -> int:
    """Chains whose energy Bayesian fraction of missing information (ArviZ's E-BFMI) is below
    :data:`LOW_BFMI`."""
    if "sample_stats" not in idata.groups() or "energy" not in idata.sample_stats:
        return 0
    return int((np.asarray(az.bfmi(idata)) < LOW_BFMI).sum())


def warn_about_convergence(idata: az.InferenceData, rhat: np.ndarray, ess_bulk: np.ndarray,
                           ess_tail: np.ndarray, settings: SamplerSettings) -> None:
    """Emit brms's sampler warnings, in rstan's order: divergences, iterations at the maximum
    tree depth, chains with a low E-BFMI, large R-hat, low bulk or tail ESS."""
    divergent = divergent_count(idata)
    if divergent:
        higher = next((value for value in SUGGESTED_TARGET_ACCEPT
                       if value > settings.target_accept), None)
        example = f" (e.g. brm(..., target_accept={higher}))" if higher is not None else ""
        warnings.warn(
            f"There were {divergent} divergent transitions after warmup. Increasing "
            f"target_accept above {settings.target_accept}{example} may help; check pairs of "
            "parameters for funnels.",
            UserWarning,
            stacklevel=3,
        )
    deepest = max_treedepth_count(idata, settings.max_treedepth)
    if deepest:
        warnings.warn(
            f"There were {deepest} transitions after warmup that exceeded the maximum "
            f"treedepth. Increase max_treedepth above {settings.max_treedepth} (e.g. "
            f"brm(..., max_treedepth={settings.max_treedepth + 2})). See "
            "https://mc-stan.org/misc/warnings.html#maximum-treedepth-exceeded",
            UserWarning,
            stacklevel=3,
        )
    low_bfmi = low_bfmi_chains(idata)
    if low_bfmi:
        warnings.warn(
            f"There were {low_bfmi} chains where the estimated Bayesian Fraction of Missing "
            "Information was low. See https://mc-stan.org/misc/warnings.html#bfmi-low",
            UserWarning,
            stacklevel=3,
        )
    finite_rhat = rhat[np.isfinite(rhat)]
    if finite_rhat.size and finite_rhat.max() > 1.05:
        warnings.warn(
            f"The largest R-hat is {finite_rhat.max():.2f}, indicating chains have not mixed. "
            "Running the chains for more iterations (draws, warmup) may help.",
            UserWarning,
            stacklevel=3,
        )
    threshold = 100 * settings.chains
    for label, ess, consequence in (
        ("Bulk", ess_bulk, "posterior means and medians"),
        ("Tail", ess_tail, "posterior variances and tail quantiles"),
    ):
        if np.nanmin(ess, initial=np.inf) < threshold:
            warnings.warn(
                f"{label} Effective Samples Size (ESS) is too low, indicating {consequence} "
                "may be unreliable. Running the chains for more iterations may help.",
                UserWarning,
                stacklevel=3,
            )

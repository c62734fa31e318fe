"""Run NUTS on a PyMC model and warn about the sampler's health as brms does."""

from __future__ import annotations

import importlib.util
import logging
import math
import numbers
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import arviz as az
import numpy as np
import pymc as pm

from ..errors import MultilevelError
from .compile_cache import compile_nutpie
from .numpyro import import_pymc_jax, sample_numpyro

SAMPLERS = ("auto", "nutpie", "pymc", "numpyro", "blackjax")
ALGORITHMS = ("sampling", "meanfield", "fullrank", "pathfinder", "laplace")
# "auto" samples smaller data sets with numpyro and larger ones with nutpie (see for_data)
NUMPYRO_MAX_ROWS = 10_000
# The package, and the extra of multilevel that brings it, of each sampler or approximation
# beyond the core dependencies
_EXTRA_PACKAGES = {"blackjax": ("blackjax", "jax"), "pathfinder": ("pymc_extras", "approx"),
                   "laplace": ("pymc_extras", "approx")}


# nutpie takes its seed as an unsigned 64-bit integer
SEED_BITS = 64
# pip's PyTensor finds no BLAS and says so, once per process, when it first compiles C code
# (PyMC's NUTS and ADVI, and the parts of nutpie's and blackjax's compilation that touch it);
# the default samplers do not use that BLAS
_NO_BLAS_WARNING = "PyTensor could not link to a BLAS installation"
_NO_BLAS_LOGGER = "pytensor.tensor.blas"


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_integer(name: str, value, least: int, allow_none: bool = False,
                   bits: int | None = None) -> None:
    """Raise a :class:`MultilevelError` naming ``name`` unless ``value`` is an integer of at
    least ``least`` (and less than ``2**bits``), or None where that is allowed."""
    if allow_none and value is None:
        return
    if _is_integer(value) and value >= least and (bits is None or value < 2**bits):
        return
    kind = {0: "a non-negative integer", 1: "a positive integer"}[least]
    if bits is not None:
        kind += f" less than 2**{bits}"
    if allow_none:
        kind += " or None"
    raise MultilevelError(f"{name} must be {kind}, got {value!r}.")


class _DropMessages(logging.Filter):
    """A logging filter dropping records whose message starts with one of ``prefixes``."""

    def __init__(self, *prefixes: str):
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefixes)


@contextmanager
def without_blas_notices() -> Iterator[None]:
    """A context in which PyTensor does not report that it found no BLAS.

    Its warning and its log line are silenced for the code inside only; the warning filters
    and PyTensor's logger are as before afterwards.

    Yields
    ------
    None
    """
    logger = logging.getLogger(_NO_BLAS_LOGGER)
    notices = _DropMessages("Using NumPy C-API based implementation for BLAS")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_NO_BLAS_WARNING, category=UserWarning)
        logger.addFilter(notices)
        try:
            yield
        finally:
            logger.removeFilter(notices)


@dataclass(frozen=True)
class SamplerSettings:
    """How to fit: chains, post-warmup draws and warmup per chain, seed, backend, algorithm.

    ``algorithm`` is ``"sampling"`` (NUTS) or an approximation; an approximation draws
    ``chains * draws`` draws in one chain.
    """

    chains: int = 4
    draws: int = 1000
    warmup: int = 1000
    cores: int | None = None
    seed: int | None = None
    target_accept: float = 0.8
    sampler: str = "auto"
    progressbar: bool = True
    algorithm: str = "sampling"

    def __post_init__(self) -> None:
        _check_integer("chains", self.chains, 1)
        _check_integer("draws", self.draws, 1)
        _check_integer("warmup", self.warmup, 0)
        _check_integer("cores", self.cores, 1, allow_none=True)
        _check_integer("seed", self.seed, 0, allow_none=True, bits=SEED_BITS)
        accept = self.target_accept
        if (not isinstance(accept, numbers.Real) or isinstance(accept, (bool, np.bool_))
                or not math.isfinite(accept) or not 0 < accept < 1):
            raise MultilevelError(
                f"target_accept must lie strictly between 0 and 1, got {accept!r}."
            )
        if not isinstance(self.progressbar, (bool, np.bool_)):
            raise MultilevelError(f"progressbar must be True or False, got {self.progressbar!r}.")
        if not isinstance(self.sampler, str) or self.sampler not in SAMPLERS:
            raise MultilevelError(
                f"sampler must be one of {', '.join(SAMPLERS)}, got {self.sampler!r}."
            )
        if not isinstance(self.algorithm, str) or self.algorithm not in ALGORITHMS:
            raise MultilevelError(
                f"algorithm must be one of {', '.join(ALGORITHMS)}, got {self.algorithm!r}."
            )
        needed = self.algorithm if self.algorithm != "sampling" else self.sampler
        package, extra = _EXTRA_PACKAGES.get(needed, (None, None))
        if package and not _installed(package):
            name = package.replace("_", "-")
            raise MultilevelError(f"{needed!r} needs the package {name}: pip install {name} "
                                  f"(or pip install 'multilevel[{extra}]')")

    @property
    def is_approximation(self) -> bool:
        return self.algorithm != "sampling"

    @property
    def backend(self) -> str:
        """The backend that will run; ``"auto"`` before :meth:`for_data` has chosen one."""
        if self.is_approximation:
            return "pymc-extras" if self.algorithm in ("pathfinder", "laplace") else "pymc"
        return self.sampler

    def for_data(self, rows: int) -> SamplerSettings:
        """These settings with ``sampler="auto"`` resolved for a log density that works
        through ``rows`` rows of data (none when the likelihood comes from cross-products).

        Below :data:`NUMPYRO_MAX_ROWS` rows numpyro runs, when installed: XLA compiles the
        whole sampler in seconds, where numba's compile of a new model takes tens of seconds
        and dominates a small fit. Above it nutpie runs: its gradient is several times faster
        on large data (XLA's gathers over the rows are slow on the CPU), which outweighs the
        compile (``docs/performance.md`` has the measurements).
        """
        if self.sampler != "auto":
            return self
        if rows < NUMPYRO_MAX_ROWS and _installed("numpyro"):
            chosen = "numpyro"
        else:
            chosen = "nutpie" if _installed("nutpie") else "pymc"
        return replace(self, sampler=chosen)

    def resolved_seed(self) -> int:
        if self.seed is not None:
            return int(self.seed)
        return int(np.random.SeedSequence().generate_state(1)[0])

    def resolved_cores(self) -> int:
        if self.cores is not None:
            return max(1, int(self.cores))
        return max(1, min(self.chains, os.cpu_count() or 1))


def run_nuts(model: pm.Model, var_names: list[str], settings: SamplerSettings,
             seed: int, rows: int | None = None) -> az.InferenceData:
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
    """
    with without_blas_notices():
        idata = _sample(model, var_names, settings, seed, rows)
    for group in ("warmup_posterior", "warmup_sample_stats", "unconstrained_posterior"):
        if group in idata.groups():
            del idata[group]
    # nutpie also stores the free (transformed) variables; users see brms's parameters only
    idata.posterior = idata.posterior[var_names]
    # compiled code reused from another data set carries that data set's level names
    idata.posterior = idata.posterior.assign_coords(
        {dim: list(values) for dim, values in model.coords.items() if dim in idata.posterior.dims})
    return idata


def _sample(model: pm.Model, var_names: list[str], settings: SamplerSettings, seed: int,
            rows: int | None) -> az.InferenceData:
    """The InferenceData of the backend ``settings`` name, as it returns it."""
    if settings.backend == "nutpie":
        import nutpie

        compiled = compile_nutpie(model, var_names)
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
            blocking=False,
        )
        try:
            return sampler.wait()
        except BaseException:
            # nutpie's own blocking call answers Ctrl-C with the draws so far, as if
            # sampling had finished; the caller's KeyboardInterrupt goes on instead, once
            # the sampler's threads have stopped
            sampler.cancel()
            raise
    if settings.backend == "numpyro":
        return sample_numpyro(model, var_names, settings, seed, rows=rows)
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


def warn_about_convergence(idata: az.InferenceData, rhat: np.ndarray, ess_bulk: np.ndarray,
                           ess_tail: np.ndarray, settings: SamplerSettings) -> None:
    """Emit brms's sampler warnings: divergences, large R-hat, low bulk or tail ESS."""
    divergent = divergent_count(idata)
    if divergent:
        warnings.warn(
            f"There were {divergent} divergent transitions after warmup. Increasing "
            f"target_accept above {settings.target_accept} (e.g. brm(..., target_accept=0.95)) "
            "may help; check pairs of parameters for funnels.",
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

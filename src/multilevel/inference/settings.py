"""How to fit: chains, draws, warmup, cores, seed, backend and algorithm, checked."""

from __future__ import annotations

import importlib.util
import math
import numbers
import os
from dataclasses import dataclass, replace

import numpy as np

from ..errors import SettingsError

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
# Stan's, and every backend's, deepest NUTS tree by default: at most 2**10 - 1 leapfrog steps
DEFAULT_MAX_TREEDEPTH = 10


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_integer(name: str, value, least: int, allow_none: bool = False,
                   bits: int | None = None) -> None:
    """Raise a :class:`SettingsError` naming ``name`` unless ``value`` is an integer of at
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
    raise SettingsError(f"{name} must be {kind}, got {value!r}.")


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
    max_treedepth: int = DEFAULT_MAX_TREEDEPTH

    def __post_init__(self) -> None:
        _check_integer("chains", self.chains, 1)
        _check_integer("draws", self.draws, 1)
        _check_integer("warmup", self.warmup, 0)
        _check_integer("cores", self.cores, 1, allow_none=True)
        _check_integer("seed", self.seed, 0, allow_none=True, bits=SEED_BITS)
        accept = self.target_accept
        if (not isinstance(accept, numbers.Real) or isinstance(accept, (bool, np.bool_))
                or not math.isfinite(accept) or not 0 < accept < 1):
            raise SettingsError(
                f"target_accept must lie strictly between 0 and 1, got {accept!r}."
            )
        _check_integer("max_treedepth", self.max_treedepth, 1)
        if self.sampler == "blackjax" and self.max_treedepth != DEFAULT_MAX_TREEDEPTH:
            # PyMC's blackjax sampler builds its kernel from the adapted step size and mass
            # matrix only, so blackjax's own depth of 10 is the one it runs
            raise SettingsError(
                f"max_treedepth cannot be changed with sampler='blackjax' (it keeps "
                f"{DEFAULT_MAX_TREEDEPTH}); use sampler='nutpie', 'numpyro' or 'pymc' for "
                f"max_treedepth={self.max_treedepth}."
            )
        if not isinstance(self.progressbar, (bool, np.bool_)):
            raise SettingsError(f"progressbar must be True or False, got {self.progressbar!r}.")
        if not isinstance(self.sampler, str) or self.sampler not in SAMPLERS:
            raise SettingsError(
                f"sampler must be one of {', '.join(SAMPLERS)}, got {self.sampler!r}."
            )
        if not isinstance(self.algorithm, str) or self.algorithm not in ALGORITHMS:
            raise SettingsError(
                f"algorithm must be one of {', '.join(ALGORITHMS)}, got {self.algorithm!r}."
            )
        needed = self.algorithm if self.algorithm != "sampling" else self.sampler
        package, extra = _EXTRA_PACKAGES.get(needed, (None, None))
        if package and not _installed(package):
            name = package.replace("_", "-")
            raise SettingsError(f"{needed!r} needs the package {name}: pip install {name} "
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

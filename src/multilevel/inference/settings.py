"""How to fit: chains, draws, warmup, cores, seed, backend and algorithm, checked."""

from __future__ import annotations

import importlib.util
import math
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from ..errors import SettingsError, close_matches

SAMPLERS = ("auto", "nutpie", "pymc", "numpyro", "blackjax")
ALGORITHMS = ("sampling", "meanfield", "fullrank", "pathfinder", "laplace")
# how a Gaussian model's group-level effects are sampled: "collapsed" integrates them out of
# the likelihood and draws them afterwards, "full" samples them with the other parameters
PARAMETRIZATIONS = ("auto", "collapsed", "full")
# "auto" samples smaller data sets with numpyro and larger ones with nutpie (see for_data)
NUMPYRO_MAX_ROWS = 10_000
# The package, and the extra of multilevel that brings it, of each sampler or approximation
# beyond the core dependencies
_EXTRA_PACKAGES = {"blackjax": ("blackjax", "jax")}


# nutpie takes its seed as an unsigned 64-bit integer
SEED_BITS = 64
# Stan's, and every backend's, deepest NUTS tree by default: at most 2**10 - 1 leapfrog steps
DEFAULT_MAX_TREEDEPTH = 10
# brms's defaults: iter = 2000 per chain, half of it warmup; adapt_delta = 0.8
DEFAULT_DRAWS = 1000
DEFAULT_WARMUP = 1000
DEFAULT_TARGET_ACCEPT = 0.8
# the entries of brms's control = list(...) that NUTS here has, with their names in brm()
BRMS_CONTROL = {"adapt_delta": "target_accept", "max_treedepth": "max_treedepth"}
# arguments of brms's brm() that are spelled differently here, with what to write instead
BRMS_ARGUMENTS = {
    "adapt_delta": "write target_accept=... (or control={'adapt_delta': ...})",
    "backend": "there is no Stan backend; choose the NUTS backend with sampler= ('auto', "
               "'nutpie', 'numpyro', 'pymc' or 'blackjax')",
    "silent": "write progressbar=False to hide the sampler's progress",
    "refresh": "write progressbar=False to hide the sampler's progress",
    "iter_warmup": "write warmup=... (draws per chain after warmup: draws=...)",
    "iter_sampling": "write draws=... (warmup iterations per chain: warmup=...)",
    "threads": "chains run in parallel on cores=...; there is no within-chain threading",
    "init": "chains start at jittered support points of the priors, as PyMC's; starting "
            "values cannot be set",
    "inits": "chains start at jittered support points of the priors, as PyMC's; starting "
             "values cannot be set",
    "file_refit": "file= always refits when the formula, data, priors or settings changed",
}


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
    ``chains * draws`` draws in one chain. ``parametrization`` is what was asked for before
    a fit, and the form that ran (``"collapsed"`` or ``"full"``) in a fit's settings.
    """

    chains: int = 4
    draws: int = DEFAULT_DRAWS
    warmup: int = DEFAULT_WARMUP
    cores: int | None = None
    seed: int | None = None
    target_accept: float = DEFAULT_TARGET_ACCEPT
    sampler: str = "auto"
    progressbar: bool = True
    algorithm: str = "sampling"
    max_treedepth: int = DEFAULT_MAX_TREEDEPTH
    parametrization: str = "auto"
    # brms's save_pars(all = TRUE): keep every parameter's unconstrained draws as well
    save_all_pars: bool = False

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
        if (not isinstance(self.parametrization, str)
                or self.parametrization not in PARAMETRIZATIONS):
            raise SettingsError(f"parametrization must be one of {', '.join(PARAMETRIZATIONS)}, "
                                f"got {self.parametrization!r}.")
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
            return {"pathfinder": "scipy", "laplace": "scipy"}.get(self.algorithm, "numpyro")
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


def brms_iterations(iter: int | None, draws: int | None,
                    warmup: int | None) -> tuple[int, int]:
    """Post-warmup draws and warmup iterations per chain, from brms's ``iter`` or from
    ``draws`` and ``warmup``.

    brms's ``iter`` counts every iteration of a chain, warmup included; its warmup defaults to
    half of it, so ``iter=2000`` is ``draws=1000, warmup=1000``.

    Parameters
    ----------
    iter
        Iterations per chain including warmup, or None.
    draws, warmup
        Post-warmup draws and warmup iterations per chain, or None for their defaults.

    Returns
    -------
    tuple of int
        ``(draws, warmup)``.

    Raises
    ------
    SettingsError
        When ``iter`` is not an integer above ``warmup``, or disagrees with ``draws``.
    """
    if iter is None:
        return (DEFAULT_DRAWS if draws is None else draws,
                DEFAULT_WARMUP if warmup is None else warmup)
    _check_integer("iter", iter, 1)
    if warmup is None:
        warmup = iter // 2
    _check_integer("warmup", warmup, 0)
    if warmup >= iter:
        raise SettingsError(
            f"warmup={warmup} must be less than iter={iter}: brms's iter counts the warmup "
            "and the post-warmup draws of each chain (iter = warmup + draws).")
    if draws is not None and draws != iter - warmup:
        raise SettingsError(
            f"iter={iter} and draws={draws!r} disagree: brms's iter counts the warmup and the "
            f"post-warmup draws of each chain, so iter={iter} with warmup={warmup} gives "
            f"draws={iter - warmup}. Give iter (and warmup), or draws and warmup, not both.")
    return iter - warmup, warmup


def brms_control(control: Mapping | None, target_accept: float | None,
                 max_treedepth: int | None) -> tuple[float, int]:
    """NUTS's target acceptance rate and maximum tree depth, from brms's ``control`` or from
    ``target_accept`` and ``max_treedepth``.

    Parameters
    ----------
    control
        brms's ``control = list(adapt_delta = , max_treedepth = )`` as a dict, or None.
    target_accept, max_treedepth
        The same settings under their names here, or None for their defaults.

    Returns
    -------
    tuple
        ``(target_accept, max_treedepth)``.

    Raises
    ------
    SettingsError
        When ``control`` is not a dict, holds another entry, or contradicts ``target_accept``
        or ``max_treedepth``.
    """
    settings = {"target_accept": target_accept, "max_treedepth": max_treedepth}
    if control is not None:
        if not isinstance(control, Mapping):
            raise SettingsError(
                "control must be a dict such as {'adapt_delta': 0.95, 'max_treedepth': 12} "
                f"(brms's control = list(...)), got {control!r}.")
        valid = ", ".join(f"{key} (brm's {name})" for key, name in BRMS_CONTROL.items())
        for key, value in control.items():
            if key not in BRMS_CONTROL:
                raise SettingsError(
                    f"control has no entry {key!r}.{close_matches(key, BRMS_CONTROL)} It takes "
                    f"{valid}.")
            name = BRMS_CONTROL[key]
            if settings[name] is not None and settings[name] != value:
                raise SettingsError(
                    f"control={{{key!r}: {value!r}}} contradicts {name}={settings[name]!r}; "
                    "give one of them.")
            settings[name] = value
    return (DEFAULT_TARGET_ACCEPT if settings["target_accept"] is None
            else settings["target_accept"],
            DEFAULT_MAX_TREEDEPTH if settings["max_treedepth"] is None
            else settings["max_treedepth"])


def check_thin(thin) -> None:
    """Accept brms's ``thin`` only at 1, keeping every draw.

    Raises
    ------
    SettingsError
        For any other value.
    """
    if thin == 1 and not isinstance(thin, (bool, np.bool_)):
        return
    raise SettingsError(
        f"thin={thin!r} is not supported: every post-warmup draw is kept (thin = 1). To keep "
        "every k-th draw, select them afterwards: fit.idata.sel(draw=slice(None, None, k)).")


def reject_other_arguments(function: str, arguments: Mapping, valid) -> None:
    """Raise for keyword arguments that ``function`` does not take, naming what to write.

    brms's own names (``backend``, ``silent``, ``inits``, ...) get their equivalent here;
    anything else the closest valid names.

    Raises
    ------
    SettingsError
        For brms's arguments spelled differently here.
    TypeError
        For any other unknown argument, as Python raises it.
    """
    for name in arguments:
        if name in BRMS_ARGUMENTS:
            raise SettingsError(f"{function}() has no argument {name!r} (brms's): "
                                f"{BRMS_ARGUMENTS[name]}.")
        raise TypeError(f"{function}() got an unexpected keyword argument {name!r}."
                        f"{close_matches(name, valid)}")

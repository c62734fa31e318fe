"""Compiled sampler programs kept on disk, so that a new process skips compiling a program
an earlier one compiled.

XLA compiles a program once its graph is known: most of a small model's first fit in a new
process. The compiled executables of a fit are written to one file under the user's cache
directory, named by a hash of everything that shapes them (the lowered programs' text, which
holds the model, its data and the sampler settings; the compiler options; the JAX and jaxlib
versions; the device and, on a CPU, the instruction sets it has), and a later process with
the same programs loads them instead of compiling.

JAX's own persistent cache would serve too, but it is switched on through JAX's global
configuration, which is the user's; serializing the executables here keeps it untouched.

The directory is ``$MULTILEVEL_CACHE_DIR`` when set (empty: no cache), else
``$XDG_CACHE_HOME/multilevel/xla`` or ``~/.cache/multilevel/xla``; it keeps the
:data:`MAX_FILES` most recently written files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path

# XLA options of the sampler's program on the CPU when the log density works through few
# rows; a jaxlib without one of them compiles without it
FEW_ROWS_COMPILER_OPTIONS = {"xla_cpu_use_fusion_emitters": False}
# XLA options of a program run once per chain (its start), where compiling it takes longer
# than running it: no optimisation of the code beyond what the fusion emitters' absence gives
ONCE_COMPILER_OPTIONS = {"xla_cpu_use_fusion_emitters": False,
                         "xla_backend_optimization_level": 0,
                         "xla_llvm_disable_expensive_passes": True}
# files kept on disk; each is a few MB at most
MAX_FILES = 200
_SUFFIX = ".xla"


def cache_directory() -> Path | None:
    """Where compiled programs are kept, or None when the cache is off.

    Returns
    -------
    Path or None
        ``$MULTILEVEL_CACHE_DIR`` (None when it is set empty), else ``multilevel/xla`` under
        ``$XDG_CACHE_HOME`` or ``~/.cache``.
    """
    chosen = os.environ.get("MULTILEVEL_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "multilevel" / "xla"


def _machine() -> str:
    """The CPU's instruction sets (Linux), which the compiled code may use."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return line
    return ""


def _key(programs: Sequence[tuple[object, dict]]) -> str:
    import jax
    import jaxlib

    device = jax.local_devices()[0]
    parts = [part for lowered, options in programs
             for part in (lowered.as_text(), repr(sorted(options.items())))]
    parts += [jax.__version__, jaxlib.__version__, str(getattr(device, "platform", "")),
              str(getattr(device, "device_kind", "")), _machine()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _compile(lowered, options: dict):
    if options:
        try:
            return lowered.compile(compiler_options=options)
        except Exception as error:  # jaxlib raises its own runtime error class
            if "compile option" not in str(error):
                raise
    return lowered.compile()


def compile_programs(programs: Sequence[tuple[object, dict]]) -> list:
    """The lowered programs compiled, or loaded from the cache when compiled before.

    The programs of one fit are kept in one file: a later process needs them all.

    Parameters
    ----------
    programs
        Pairs of ``jax.jit(...).lower(...)`` of a program and the XLA options to compile it
        with (an option this jaxlib lacks is left out).

    Returns
    -------
    list of jax.stages.Compiled
        The executables, callable with the arguments each was lowered with.
    """
    from jax.experimental import serialize_executable

    directory = cache_directory()
    if directory is None:
        return [_compile(lowered, options) for lowered, options in programs]
    path = directory / (_key(programs) + _SUFFIX)
    # a file another version, a damaged write or another machine left is compiled over
    with contextlib.suppress(Exception):
        payloads = pickle.loads(path.read_bytes())
        return [serialize_executable.deserialize_and_load(payload, lowered.in_tree,
                                                          lowered.out_tree)
                for payload, (lowered, _) in zip(payloads, programs, strict=True)]
    compiled = [_compile(lowered, options) for lowered, options in programs]
    with contextlib.suppress(Exception):
        payloads = [serialize_executable.serialize(executable)[0] for executable in compiled]
        _write(directory, path, pickle.dumps(payloads))
    return compiled


def _write(directory: Path, path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` whole or not at all, and keep :data:`MAX_FILES` files."""
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    kept = sorted(directory.glob("*" + _SUFFIX), key=lambda p: p.stat().st_mtime,
                  reverse=True)
    for old in kept[MAX_FILES:]:
        with contextlib.suppress(OSError):
            old.unlink()

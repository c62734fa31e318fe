"""Compiled sampler programs kept on disk, so that a new process skips compiling a program
an earlier one compiled.

XLA compiles a program once its graph is known: most of a small model's first fit in a new
process. The compiled executable is written under the user's cache directory, named by a
hash of everything that shapes it (the lowered program text, which holds the model, its data
and the sampler settings; the compiler options; the JAX and jaxlib versions; the device and,
on a CPU, the instruction sets it has), and a later process with the same program loads it
instead of compiling.

JAX's own persistent cache would serve too, but it is switched on through JAX's global
configuration, which is the user's; serializing the executables here keeps it untouched.

The directory is ``$MULTILEVEL_CACHE_DIR`` when set (empty: no cache), else
``$XDG_CACHE_HOME/multilevel/xla`` or ``~/.cache/multilevel/xla``; it keeps the
:data:`MAX_FILES` most recently written programs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

# XLA options of the sampler's program on the CPU when the log density works through few
# rows; a jaxlib without one of them compiles without it
FEW_ROWS_COMPILER_OPTIONS = {"xla_cpu_use_fusion_emitters": False}
# programs kept on disk; each is a few MB at most
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


def _key(lowered, options: dict) -> str:
    import jax
    import jaxlib

    device = jax.local_devices()[0]
    parts = [lowered.as_text(), repr(sorted(options.items())), jax.__version__,
             jaxlib.__version__, str(getattr(device, "platform", "")),
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


def compile_program(lowered, few_rows_on_cpu: bool):
    """The lowered program compiled, or loaded from the cache when compiled before.

    Parameters
    ----------
    lowered
        ``jax.jit(...).lower(...)`` of the sampler's program.
    few_rows_on_cpu
        Compile with :data:`FEW_ROWS_COMPILER_OPTIONS` (where this jaxlib has them).

    Returns
    -------
    jax.stages.Compiled
        The executable, callable with the arguments ``lowered`` was lowered with.
    """
    from jax.experimental import serialize_executable

    options = FEW_ROWS_COMPILER_OPTIONS if few_rows_on_cpu else {}
    directory = cache_directory()
    if directory is None:
        return _compile(lowered, options)
    path = directory / (_key(lowered, options) + _SUFFIX)
    # a file another version, a damaged write or another machine left is compiled over
    with contextlib.suppress(Exception):
        return serialize_executable.deserialize_and_load(
            path.read_bytes(), lowered.in_tree, lowered.out_tree)
    compiled = _compile(lowered, options)
    with contextlib.suppress(Exception):
        payload, _, _ = serialize_executable.serialize(compiled)
        _write(directory, path, payload)
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

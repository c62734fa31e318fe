"""Importing multilevel's dependencies without the cyclic garbage collector's rescans, and without
imports a fit does not use.

PyMC, ArviZ, SciPy, pandas and PyTensor leave about 300,000 long-lived objects behind, and
Python's cyclic garbage collector walks through all of them at every full collection: during
the imports themselves, again and again in every fit (graph rewriting and JAX tracing allocate
enough to start full collections), and once more at exit. So the collector pauses while they
are imported, and everything then alive goes to the collector's permanent generation
(:func:`gc.freeze`), where it no longer looks. A sleepstudy fit in a new process took 8.3 s
instead of 10.6 s, of which 0.8 s were the imports, 0.5 s the fit and 1 s the interpreter's
exit.

Objects frozen this way are still freed by reference counting; only a reference cycle among
them would never be. They are the libraries' modules, classes and functions, which live as
long as the process anyway, whatever the session held before importing multilevel, and the
imports' own cyclic garbage: about 13,000 objects, which one collection before freezing would
free, at the cost of walking all 560,000 (0.3 s).

At exit, what the session made since (fits, compiled programs) is frozen too: the interpreter
collects once more as it shuts down, and the operating system frees the memory anyway
(0.2 s of the 0.45 s a sleepstudy fit's process spends shutting down). The one thing that
collection would still do is run ``__del__`` of objects caught in reference cycles, which
Python does not promise at exit; ``atexit`` callbacks and ``weakref.finalize`` (how
``tempfile`` and most libraries clean up) run as before.

Some imports serve nothing a plain Python process uses, and are left out while multilevel
imports its dependencies, when nothing has imported them before (:func:`without_unused_imports`):

- IPython (0.2 s), which PyMC imports only to register its pretty printers for IPython's
  display. In a notebook or an IPython shell, IPython is already imported and PyMC registers
  them as always; a script that starts IPython later (``IPython.embed()``) shows PyMC's
  objects with IPython's default display.
- zarr and numcodecs (0.1 s) when the installed zarr is version 3 or later (nutpie requires
  it): PyMC imports them for its ``ZarrTrace`` backend, which is written for zarr 2's API and
  does not load with zarr 3 either way. nutpie and xarray import zarr when they use it, and
  then it imports as usual.
"""

from __future__ import annotations

import atexit
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version

# imported by PyMC for what a fit in a plain Python process never uses. (numba, which ArviZ
# imports, is not one: ArviZ binds numba's decorators at import, and its ECDF bands then fail
# without them once numba is in use.)
UNUSED_IMPORTS = ("IPython",)
# imported by PyMC for its zarr backend, which needs zarr 2; unused from this major version on
ZARR_UNUSED_FROM = 3


def _major_version(distribution: str) -> int:
    """The installed major version of ``distribution``, 0 when it is not installed."""
    try:
        return int(version(distribution).split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 0


def unused_imports() -> tuple[str, ...]:
    """The modules left out while multilevel imports its dependencies.

    Returns
    -------
    tuple of str
        :data:`UNUSED_IMPORTS`, and zarr and numcodecs when the installed zarr is version
        :data:`ZARR_UNUSED_FROM` or later.
    """
    if _major_version("zarr") >= ZARR_UNUSED_FROM:
        return (*UNUSED_IMPORTS, "zarr", "numcodecs")
    return UNUSED_IMPORTS


@contextmanager
def frozen_imports() -> Iterator[None]:
    """Import inside this block with the collector paused, then freeze what is alive, and
    again at exit."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    atexit.register(gc.freeze)


@contextmanager
def without_unused_imports() -> Iterator[None]:
    """Import inside this block as if the :func:`unused_imports` not yet imported were not
    installed; afterwards, or if the block fails, they import as usual."""
    absent = [name for name in unused_imports() if name not in sys.modules]
    # a None entry makes ``import name`` raise ImportError, which PyMC expects when the
    # package is not installed
    for name in absent:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in absent:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]

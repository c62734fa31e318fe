"""Importing multilevel's dependencies without the cyclic garbage collector's rescans, and without
two imports a fit does not use.

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

Two of the imports serve nothing a plain Python process uses, and are left out while
multilevel imports its dependencies, when nothing has imported them before
(:func:`without_unused_imports`):

- IPython (0.2 s), which PyMC imports to register its pretty printers for IPython's display.
  In a notebook or an IPython shell, IPython is already imported and PyMC registers them as
  always; in a script nothing displays through IPython.
- numba (0.3 s), which ArviZ imports to make NumPy ufuncs of two one-line helpers (a square
  root of a sum, an angle) when it is installed, and otherwise keeps them as the NumPy
  expressions they are. ArviZ's numba switch is then turned back on, so its other helpers
  compile with numba at their first call, as they would have; nutpie imports numba when it
  compiles a model.
"""

from __future__ import annotations

import atexit
import gc
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# imported by PyMC and ArviZ for what a fit in a plain Python process never uses
UNUSED_IMPORTS = ("IPython", "numba")


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
    """Import inside this block as if the :data:`UNUSED_IMPORTS` not yet imported were not
    installed, then make them importable again and give ArviZ its numba switch back."""
    absent = [name for name in UNUSED_IMPORTS if name not in sys.modules]
    arviz_imported_here = "arviz" not in sys.modules
    # a None entry makes ``import name`` raise ImportError, which both libraries expect when
    # the package is not installed
    for name in absent:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in absent:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
    if "numba" in absent and arviz_imported_here and "arviz" in sys.modules \
            and importlib.util.find_spec("numba") is not None:
        sys.modules["arviz"].Numba.enable_numba()

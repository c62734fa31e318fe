"""Importing multilevel's dependencies without the cyclic garbage collector's rescans.

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
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager


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

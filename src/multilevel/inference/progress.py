"""One progress bar for all chains of a fit, in a notebook as in a terminal.

The bar counts the iterations of every chain together (warmup included) and shows how many
chains have finished and how many divergent transitions came after warmup so far, the ones
brms's warning counts. In a Jupyter kernel with ipywidgets it is tqdm's widget; elsewhere,
and in a kernel without ipywidgets, tqdm's text bar, which redraws itself in place in a
terminal and in a notebook's output area alike (tqdm's own automatic choice would warn there
instead).
"""

from __future__ import annotations

import importlib.util
import sys
import threading

# the shortest time between two redraws: the chains report several times a second each
REDRAW_SECONDS = 0.25


def _in_notebook_with_widgets() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return (shell is not None and "IPKernelApp" in getattr(shell, "config", {})
            and importlib.util.find_spec("ipywidgets") is not None)


def _bar_type():
    if _in_notebook_with_widgets():
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm


class ProgressBar:
    """The progress of ``chains`` chains of ``warmup + draws`` iterations each.

    Chains report from several threads at once (:meth:`update`); :meth:`close` ends the bar.
    """

    def __init__(self, chains: int, warmup: int, draws: int):
        self.chains, self.warmup, self.iterations = chains, warmup, warmup + draws
        self.done = [0] * chains
        self.divergent = [0] * chains
        self.lock = threading.Lock()
        self.bar = _bar_type()(total=chains * self.iterations,
                               desc="Warmup" if warmup else "Sampling", unit="it",
                               mininterval=REDRAW_SECONDS, leave=True)
        self._describe()

    def _describe(self) -> None:
        finished = sum(done == self.iterations for done in self.done)
        self.bar.set_postfix_str(f"chains done {finished}/{self.chains}, "
                                 f"divergences {sum(self.divergent)}", refresh=False)

    def update(self, chain: int, iteration: int, divergent: int) -> None:
        """``chain`` (every chain when -1) has run ``iteration`` iterations and had
        ``divergent`` divergent transitions after warmup (all chains' when -1)."""
        with self.lock:
            chains = range(self.chains) if chain < 0 else (chain,)
            before = sum(self.done)
            for number in chains:
                self.done[number] = iteration
                self.divergent[number] = 0
            self.divergent[chains[0]] = divergent
            if min(self.done) >= self.warmup and self.bar.desc != "Sampling":
                self.bar.set_description_str("Sampling", refresh=False)
            self._describe()
            self.bar.update(sum(self.done) - before)

    def close(self) -> None:
        with self.lock:
            self.bar.close()

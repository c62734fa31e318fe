"""Execute the tutorials in place, each in a fresh kernel, and save them with their outputs.

    python docs/tutorials/execute.py                        # every tutorial
    python docs/tutorials/execute.py 03_nested_groups.ipynb  # some of them

The committed notebooks hold the outputs of this script; tests/test_tutorials.py runs them
again in a fresh kernel and checks that they stay quiet and show their plots.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def execute(path: Path) -> float:
    """Run the notebook at ``path`` in a new kernel, save it, and return the seconds taken."""
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # no timing metadata, so that executing again changes only what the cells show
    NotebookClient(notebook, timeout=1200, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(notebook, path)
    return time.perf_counter() - start


def main(names: list[str]) -> None:
    paths = [HERE / name for name in names] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        print(f"{path.name}: {execute(path):.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

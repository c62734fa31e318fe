"""Running a piece of Python in a new interpreter, for what only a fresh process shows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys


def _interruptible() -> None:
    # a shell without job control starts background jobs with SIGINT ignored, which their
    # children inherit; a user's interpreter starts with Python's own Ctrl-C handler
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def new_process_output(code: str, env: dict[str, str] | None = None,
                       timeout: float = 300) -> tuple[dict, str]:
    """Run ``code`` in a new interpreter; return the JSON object its last line prints, and
    everything it wrote to stderr."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=env,
                          preexec_fn=_interruptible if os.name == "posix" else None)
    if done.returncode != 0:
        raise AssertionError(f"the new process failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def in_new_process(code: str, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` in a new interpreter and return the JSON object its last line prints."""
    return new_process_output(code, env)[0]

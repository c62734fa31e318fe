"""Running a piece of Python in a new interpreter, for what only a fresh process shows."""

from __future__ import annotations

import json
import subprocess
import sys


def new_process_output(code: str, env: dict[str, str] | None = None,
                       timeout: float = 300) -> tuple[dict, str]:
    """Run ``code`` in a new interpreter; return the JSON object its last line prints, and
    everything it wrote to stderr."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=env)
    if done.returncode != 0:
        raise AssertionError(f"the new process failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def in_new_process(code: str, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` in a new interpreter and return the JSON object its last line prints."""
    return new_process_output(code, env)[0]

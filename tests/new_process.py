"""Running a piece of Python in a new interpreter, for what only a fresh process shows."""

from __future__ import annotations

import json
import subprocess
import sys


def in_new_process(code: str, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` in a new interpreter and return the JSON object its last line prints."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=300, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])

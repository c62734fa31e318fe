"""What importing multilevel leaves out, and that what it leaves out still works afterwards."""

import importlib.util
import json
import subprocess
import sys

import pytest

# probed without importing: the test process itself must not import IPython for these tests
pytestmark = pytest.mark.skipif(importlib.util.find_spec("IPython") is None,
                                reason="IPython is not installed")


def _in_new_process(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_plain_process_does_not_import_ipython_and_can_import_it_later():
    state = _in_new_process(
        "import json, sys\n"
        "import multilevel\n"
        "state = {'ipython': 'IPython' in sys.modules, 'numba': 'numba' in sys.modules}\n"
        "import IPython\n"
        "state['imported_later'] = IPython.__name__\n"
        "print(json.dumps(state))\n")
    # numba is imported as before: ArviZ needs its decorators at import
    assert state == {"ipython": False, "numba": True, "imported_later": "IPython"}


def test_where_ipython_runs_pymc_still_registers_its_pretty_printers():
    state = _in_new_process(
        "import json\n"
        "import IPython.lib.pretty as pretty\n"
        "import multilevel, pymc\n"
        "print(json.dumps({'model': pymc.Model in pretty._type_pprinters}))\n")
    assert state == {"model": True}


def test_a_failed_import_leaves_ipython_importable():
    state = _in_new_process(
        "import json, sys\n"
        "from multilevel.startup import without_unused_imports\n"
        "try:\n"
        "    with without_unused_imports():\n"
        "        raise KeyboardInterrupt\n"
        "except KeyboardInterrupt:\n"
        "    pass\n"
        "import IPython\n"
        "print(json.dumps({'imported': IPython.__name__}))\n")
    assert state == {"imported": "IPython"}

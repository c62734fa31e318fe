"""What importing multilevel leaves out, and that what it leaves out still works afterwards."""

import json
import subprocess
import sys

import pytest

pytest.importorskip("IPython")
pytest.importorskip("numba")


def _in_new_process(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_plain_process_imports_neither_ipython_nor_numba_and_can_import_both_later():
    state = _in_new_process(
        "import json, sys\n"
        "import multilevel\n"
        "import arviz\n"
        "state = {'ipython': 'IPython' in sys.modules, 'numba': 'numba' in sys.modules,\n"
        "         'arviz_numba': arviz.Numba.numba_flag}\n"
        "import IPython, numba\n"
        "state['imported_later'] = [IPython.__name__, numba.__name__]\n"
        "print(json.dumps(state))\n")
    assert state == {"ipython": False, "numba": False, "arviz_numba": True,
                     "imported_later": ["IPython", "numba"]}


def test_where_ipython_runs_pymc_still_registers_its_pretty_printers():
    state = _in_new_process(
        "import json\n"
        "import IPython.lib.pretty as pretty\n"
        "import multilevel, pymc\n"
        "print(json.dumps({'model': pymc.Model in pretty._type_pprinters}))\n")
    assert state == {"model": True}


SUMMARY = (
    "import json\n"
    "import numpy as np\n"
    "import arviz\n"
    "draws = np.random.default_rng(1).vonmises(0.5, 2.0, size=(4, 500))\n"
    "table = arviz.summary({'angle': draws}, circ_var_names=['angle'])\n"
    "print(json.dumps(table.loc['angle'].astype(float).to_dict()))\n")


def test_arviz_helpers_left_without_numba_give_the_summary_they_give_with_it():
    # ArviZ's circular summaries go through its angle helper, a NumPy expression when numba
    # was left out and a numba ufunc otherwise
    without = _in_new_process("import multilevel\n" + SUMMARY)
    with_numba = _in_new_process("import numba\n" + SUMMARY)
    assert without.keys() == with_numba.keys() and "sd" in without
    for key, value in with_numba.items():
        assert without[key] == pytest.approx(value, rel=1e-12), key

"""The benchmark's measurement of one command: exit status, peak memory, timeout."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from measure import run_measured  # noqa: E402


def test_a_command_is_measured_until_it_exits_with_its_status_and_memory(tmp_path):
    code = "import sys, time; block = bytearray(200 * 2**20); time.sleep(1.0); sys.exit(3)"
    log = tmp_path / "log.txt"
    measured = run_measured([sys.executable, "-c", code], timeout=60, log_path=log)
    assert measured.returncode == 3 and not measured.timed_out
    assert measured.wall_s >= 1.0
    assert measured.peak_tree_mib >= 150 and measured.maxrss_mib >= 150
    assert measured.cpu_s is not None and measured.cpu_s < measured.wall_s * 2 + 1


def test_a_command_past_its_timeout_is_stopped_and_says_so():
    measured = run_measured([sys.executable, "-c", "import time; time.sleep(60)"], timeout=1.0)
    assert measured.timed_out and measured.returncode is None
    assert 1.0 <= measured.wall_s < 30

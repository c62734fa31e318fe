"""Run one command in a fresh process tree and measure its wall time and peak memory.

Peak memory is taken two ways, because the tools spread a fit over processes differently
(nutpie samples in threads of one process, PyMC forks a worker per core, rstan starts a
separate R process per core):

* ``peak_tree_mib``: the largest total, over every process of the command's session, of the
  proportional set size (PSS, shared pages split between the processes sharing them),
  sampled every ``interval`` seconds. This is the memory the fit needs from the machine.
* ``maxrss_mib``: ``ru_maxrss`` of the child as ``wait4`` reports it, the resident peak of
  the largest single process among the child and the descendants it waited for.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass
class Measurement:
    """What one run of a command cost.

    Attributes
    ----------
    returncode
        Exit status, negative for a signal; None when it was stopped at the timeout.
    wall_s
        Seconds from the start of the process to its end (or to the timeout).
    peak_tree_mib
        Largest summed PSS of the process tree seen while it ran, in MiB.
    maxrss_mib
        ``ru_maxrss`` of the child and its waited-for descendants, in MiB.
    cpu_s
        User plus system CPU seconds of the child and its waited-for descendants.
    timed_out
        Whether it was stopped at the timeout.
    """

    returncode: int | None
    wall_s: float
    peak_tree_mib: float
    maxrss_mib: float | None
    cpu_s: float | None
    timed_out: bool


def _session_members(session: int) -> list[int]:
    """Live process ids whose session id is ``session``: the command and all it started."""
    members = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended between listing and reading
        # The command name, field 2, may hold spaces and parentheses; fields after it don't.
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _memory_kib(pid: int) -> int:
    """PSS of a process in KiB, or its RSS where the kernel offers no smaps_rollup."""
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory_mib(session: int) -> float:
    """Summed PSS of every process in ``session``, in MiB."""
    return sum(_memory_kib(pid) for pid in _session_members(session)) / 1024


def run_measured(command: list[str], *, timeout: float | None, env: dict[str, str] | None = None,
                 cwd: str | os.PathLike | None = None, log_path: Path | None = None,
                 interval: float = 0.25) -> Measurement:
    """Run ``command`` in a new session, sampling its memory until it exits or times out.

    Parameters
    ----------
    command
        Program and arguments.
    timeout
        Seconds after which the whole session is killed; None waits for ever.
    env, cwd
        Environment and working directory of the command.
    log_path
        File that receives the command's stdout and stderr (discarded when None).
    interval
        Seconds between memory samples.

    Returns
    -------
    Measurement
    """
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        start = time.perf_counter()
        # A session of its own, so that the memory of everything it starts can be found and
        # the whole tree killed at a timeout.
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        # The exit is waited for in a thread of its own, so that the wall time ends when the
        # process does, not at the next memory sample (a quarter of a second is 4% of a
        # six-second fit).
        ended: dict[str, object] = {}
        exited = threading.Event()

        def wait() -> None:
            try:
                ended["result"] = os.wait4(process.pid, 0)
            except OSError as error:
                ended["error"] = error
            finally:
                ended["at"] = time.perf_counter()
                exited.set()

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        peak = 0.0
        timed_out = False
        while not exited.is_set():
            peak = max(peak, tree_memory_mib(process.pid))
            if timeout is not None and time.perf_counter() - start > timeout:
                timed_out = True
                _kill_session(process.pid)
                break
            exited.wait(interval)
        waiter.join()
        if "error" in ended:
            raise ended["error"]
        _, status, usage = ended["result"]
        wall = ended["at"] - start
        # Workers that outlive the child (a cluster not shut down) would keep running.
        _kill_session(process.pid)
    finally:
        if log_path:
            log.close()
    # Popen must not wait for a process that wait4 already reaped.
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        returncode=None if timed_out else process.returncode,
        wall_s=wall,
        peak_tree_mib=peak,
        maxrss_mib=usage.ru_maxrss / 1024,
        cpu_s=usage.ru_utime + usage.ru_stime,
        timed_out=timed_out,
    )


def _kill_session(session: int) -> None:
    """Kill every process in ``session``: SIGTERM, then SIGKILL for those still there."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        members = _session_members(session)
        if not members:
            return
        # One by one rather than by process group: a worker may have made a group of its own.
        for pid in members:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _session_members(session):
            time.sleep(0.1)

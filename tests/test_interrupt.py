"""Ctrl-C during sampling stops the fit at once and leaves the session usable.

Each test runs in a new interpreter, which sends itself SIGINT from a timer thread once
sampling runs (the operating system may deliver a real Ctrl-C to any of the process's
threads, too), and reports how the fit ended, how long the interrupt took to arrive, and the
threads and child processes left afterwards.
"""

import importlib.util
import os
import textwrap

import pytest

from new_process import in_new_process, new_process_output

pytestmark = [pytest.mark.slow, pytest.mark.independent,
              pytest.mark.skipif(not os.path.isdir("/proc/self/task"),
                                 reason="counts threads and child processes through /proc")]

# the slowest the interrupt may take to reach the caller, and the threads to be joined
LATENCY = 3.0

PROLOGUE = textwrap.dedent("""
    import json, os, signal, threading, time
    import multilevel as ml

    def children():
        found = []
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/children") as listing:
                    found += listing.read().split()
            except FileNotFoundError:  # a thread that ended meanwhile
                pass
        return found

    def os_threads():
        return len(os.listdir("/proc/self/task"))

    def threads_back_to(count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while threading.active_count() > count and time.monotonic() < deadline:
            time.sleep(0.05)
        return threading.active_count()

    sent = []

    def interrupt(after):
        time.sleep(after)
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    data = ml.load_dataset("sleepstudy")
    FORMULA = "Reaction ~ Days + (Days | Subject)"
""")

INTERRUPTED_FIT = textwrap.dedent("""
    try:
        ml.brm(FORMULA, data, sampler=SAMPLER, chains=2, draws=200_000, warmup=200, seed=1,
               progressbar=False)
        outcome = "finished"
    except KeyboardInterrupt:
        outcome = "interrupted"
    latency = time.monotonic() - sent[0] if sent else None
""")

SECOND_FIT = textwrap.dedent("""
    second = ml.brm(FORMULA, data, sampler=SAMPLER, chains=2, draws=100, warmup=100, seed=2,
                    progressbar=False)
""")


def test_ctrl_c_stops_numpyro_chains_and_joins_their_threads():
    code = PROLOGUE + textwrap.dedent("""
        SAMPLER = "numpyro"

        def interrupt_once_sampling():
            # the chains run on threads of their own once the program is compiled (other
            # threads come and go while JAX traces it)
            while not any(thread.name.startswith("multilevel-chain")
                          for thread in threading.enumerate()):
                time.sleep(0.01)
            interrupt(0.5)

        threads = threading.active_count()
        timer = threading.Thread(target=interrupt_once_sampling, daemon=True)
        timer.start()
    """) + INTERRUPTED_FIT + textwrap.dedent("""
        timer.join()
        left = threads_back_to(threads)
        orphans = children()
    """) + SECOND_FIT + textwrap.dedent("""
        print(json.dumps({"outcome": outcome, "latency": latency, "threads": threads,
                          "left": left, "children": orphans,
                          "second": second.idata.posterior.sizes["draw"]}))
    """)
    state = in_new_process(code)
    assert state["outcome"] == "interrupted"
    assert state["latency"] < LATENCY
    assert state["left"] == state["threads"]
    assert state["children"] == []
    assert state["second"] == 100


@pytest.mark.skipif(importlib.util.find_spec("nutpie") is None, reason="needs nutpie")
def test_ctrl_c_stops_nutpie_and_its_threads():
    code = PROLOGUE + textwrap.dedent("""
        SAMPLER = "nutpie"
        # numba compiles every operation of a model: the smaller the model, the shorter
        FORMULA = "Reaction ~ 1 + (1 | Subject)"
        import nutpie

        sample = nutpie.sample

        def sample_then_interrupt(*args, **kwargs):
            threading.Thread(target=interrupt, args=(1.0,), daemon=True).start()
            return sample(*args, **kwargs)

        # a completed fit first: the threads a finished fit leaves are the baseline
    """) + SECOND_FIT + textwrap.dedent("""
        threads, os_threads_before = threading.active_count(), os_threads()
        nutpie.sample = sample_then_interrupt
    """) + INTERRUPTED_FIT + textwrap.dedent("""
        nutpie.sample = sample
        left = threads_back_to(threads)
        deadline = time.monotonic() + 5
        while os_threads() > os_threads_before and time.monotonic() < deadline:
            time.sleep(0.05)
        os_left = os_threads()
        orphans = children()
    """) + SECOND_FIT + textwrap.dedent("""
        print(json.dumps({"outcome": outcome, "latency": latency, "threads": threads,
                          "left": left, "os_threads": os_threads_before, "os_left": os_left,
                          "children": orphans,
                          "second": second.idata.posterior.sizes["draw"]}))
    """)
    state = in_new_process(code)
    assert state["outcome"] == "interrupted"
    assert state["latency"] < LATENCY
    assert state["left"] == state["threads"]
    assert state["os_left"] <= state["os_threads"]
    assert state["children"] == []
    assert state["second"] == 100


def test_a_ctrl_c_lost_in_a_garbage_collection_callback_still_stops_the_fit():
    # JAX runs Python code in every garbage collection, where Python drops any exception:
    # a Ctrl-C handled there must still stop sampling
    code = textwrap.dedent("""
        import gc, json, signal
        from multilevel.inference.numpyro import interrupt_noticed

        def press_ctrl_c(phase, info):
            if phase == "start":
                signal.raise_signal(signal.SIGINT)
                len(())  # the handler runs here, inside the callback

        try:
            with interrupt_noticed() as interrupted:
                gc.callbacks.append(press_ctrl_c)
                try:
                    gc.collect()
                finally:
                    gc.callbacks.remove(press_ctrl_c)
                lost = interrupted.is_set()
            outcome = "finished"
        except KeyboardInterrupt:
            outcome = "interrupted"
        restored = signal.getsignal(signal.SIGINT) is signal.default_int_handler
        print(json.dumps({"outcome": outcome, "lost": lost, "handler": restored}))
    """)
    state, stderr = new_process_output(code)
    # the interrupt was lost inside the callback, noticed, and raised on leaving the context
    assert state == {"outcome": "interrupted", "lost": True, "handler": True}
    assert "KeyboardInterrupt" in stderr

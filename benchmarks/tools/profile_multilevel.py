"""Fit one benchmark model with multilevel, as ``fit_multilevel.py``, and time each stage.

usage: python profile_multilevel.py JOB.json OUT.json (run by ``benchmarks/profile.py``)

The stages are timed by wrapping the library functions that mark them, so the fit itself runs
exactly as in the benchmark: for nutpie, PyTensor's function maker, numba's ``cfunc`` that
nutpie compiles the log density with and ``nutpie.sample``; for numpyro, multilevel's driver,
its JAX functions and its XLA compile.
"""

import json
import sys
import time
from collections import defaultdict
from contextlib import contextmanager

import fit_multilevel  # imports multilevel; its START marks the process's start
import numba
import nutpie
from numba.core import dispatcher
from pytensor.compile.function import types as function_types

import multilevel.inference.numpyro
import multilevel.inference.nuts

spans: dict[str, float] = defaultdict(float)
marks: dict[str, float] = {}
counts: dict[str, int] = defaultdict(int)
compiling = [False]


@contextmanager
def span(name: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        spans[name] += time.perf_counter() - start


def _wrap_compile_nutpie(original):
    def wrapped(*args, **kwargs):
        marks.setdefault("compile_start", time.perf_counter())
        compiling[0] = True
        try:
            with span("compile"):
                return original(*args, **kwargs)
        finally:
            compiling[0] = False
    return wrapped


class _TimedSampler:
    """nutpie's non-blocking sampler, whose ``wait()`` ends the sampling span."""

    def __init__(self, sampler, start: float):
        self._sampler = sampler
        self._start = start

    def wait(self, *args, **kwargs):
        try:
            return self._sampler.wait(*args, **kwargs)
        finally:
            marks["sampling_end"] = time.perf_counter()
            spans["sampling"] += marks["sampling_end"] - self._start

    def __getattr__(self, name):
        return getattr(self._sampler, name)


def _wrap_sample(original):
    # multilevel starts nutpie without blocking and waits for the draws after
    def wrapped(*args, **kwargs):
        start = time.perf_counter()
        result = original(*args, **kwargs)
        if not kwargs.get("blocking", True):
            return _TimedSampler(result, start)
        marks["sampling_end"] = time.perf_counter()
        spans["sampling"] += marks["sampling_end"] - start
        return result
    return wrapped


def _wrap_spanned(original, name: str):
    def wrapped(*args, **kwargs):
        with span(name):
            return original(*args, **kwargs)
    return wrapped


def _wrap_marked(original, start: str, end: str):
    """Mark the times at which each call of ``original`` starts and ends."""
    def wrapped(*args, **kwargs):
        marks[start] = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            marks[end] = time.perf_counter()
    return wrapped


def _wrap_function_maker(original):
    def wrapped(self, *args, **kwargs):
        if not compiling[0]:
            return original(self, *args, **kwargs)
        with span("rewrite"):
            return original(self, *args, **kwargs)
    return wrapped


def _wrap_cfunc(original):
    # nutpie makes two cfuncs: the log density with its gradient, and the stored quantities
    def cfunc(signature, **options):
        decorate = original(signature, **options)

        def compile_timed(function):
            with span(f"numba_{function.__name__}"):
                return decorate(function)
        return compile_timed
    return cfunc


def _wrap_compile_core(original):
    def wrapped(self, *args, **kwargs):
        counts["numba_functions_compiled"] += 1
        return original(self, *args, **kwargs)
    return wrapped


def install() -> None:
    """Wrap the functions that mark each stage."""
    runner = multilevel.inference.nuts
    runner.compile_nutpie = _wrap_compile_nutpie(runner.compile_nutpie)
    nutpie.sample = _wrap_sample(nutpie.sample)
    runner.sample_numpyro = _wrap_marked(runner.sample_numpyro, "driver_start", "sampling_end")
    driver = multilevel.inference.numpyro
    driver.jax_function = _wrap_spanned(driver.jax_function, "jax_function")
    driver.compile_program = _wrap_marked(driver.compile_program, "xla_compile_start",
                                          "xla_compile_end")
    function_types.FunctionMaker.__init__ = _wrap_function_maker(
        function_types.FunctionMaker.__init__)
    numba.cfunc = _wrap_cfunc(numba.cfunc)
    dispatcher._FunctionCompiler._compile_core = _wrap_compile_core(
        dispatcher._FunctionCompiler._compile_core)


def stages(result: dict) -> dict[str, float | int]:
    """Seconds per stage of the fit, from the spans and the fit's own timings."""
    timings = result["timings"]
    fit_start = fit_multilevel.START + timings["import_s"] + timings["load_s"]
    fit_end = fit_start + timings["fit_s"]
    after_sampling = fit_end - marks["sampling_end"] + timings["summary_s"]
    if result["backend"] == "numpyro":
        compile_start, compile_end = marks["xla_compile_start"], marks["xla_compile_end"]
        return {
            "import_s": timings["import_s"],
            "build_s": marks["driver_start"] - fit_start,
            "jax_function_s": spans["jax_function"],
            "trace_s": compile_start - marks["driver_start"] - spans["jax_function"],
            "xla_compile_s": compile_end - compile_start,
            "sampling_s": marks["sampling_end"] - compile_end,
            "after_sampling_s": after_sampling,
        }
    numba_logp = spans["numba_logp_numba"]
    numba_expand = spans["numba_expand_numba"]
    return {
        "import_s": timings["import_s"],
        "build_s": marks["compile_start"] - fit_start,
        "rewrite_s": spans["rewrite"],
        "numba_logp_s": numba_logp,
        "numba_expand_s": numba_expand,
        "compile_other_s": spans["compile"] - numba_logp - numba_expand - spans["rewrite"],
        "sampling_s": spans["sampling"],
        "after_sampling_s": after_sampling,
        "numba_functions_compiled": counts["numba_functions_compiled"],
    }


def main(job_path: str, out_path: str) -> None:
    """Fit the job as the benchmark does and add the time of each stage to ``out_path``."""
    install()
    fit_multilevel.main(job_path, out_path)
    with open(out_path) as handle:
        result = json.load(handle)
    result["stages"] = stages(result)
    with open(out_path, "w") as handle:
        json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:3])

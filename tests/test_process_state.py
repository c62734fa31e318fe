"""Importing multilevel and fitting a model leave the process as they found it.

Each check runs in a new interpreter: the garbage collector, the warning filters, the
environment and ``sys.modules`` are the process's, which a test process would share with every
test before it. What a default fit writes to stderr is checked there too: only the progress
bar and brms's sampler warnings, none of the dependencies' own notices.
"""

import importlib.util
import os
import re
import textwrap

import pytest

from new_process import new_process_output

# each check starts an interpreter and fits a model in it
pytestmark = pytest.mark.slow

USER_FLAGS = "--xla_cpu_enable_fast_math=false"
# what multilevel's own dependencies are, for the process that imports them before multilevel
DEPENDENCIES = [name for name in ("numpy", "scipy", "pandas", "xarray", "arviz", "formulae",
                                  "pytensor", "pymc", "jax", "numpyro", "nutpie", "IPython")
                if importlib.util.find_spec(name) is not None]

STATE = textwrap.dedent("""
    import gc, json, os, sys, warnings
    {before_multilevel}
    filters = [repr(entry) for entry in warnings.filters]
    absent = {{name for name, module in sys.modules.items() if module is None}}
    flags = os.environ.get("XLA_FLAGS")
    import multilevel as ml
    state = {{"flags_after_import": os.environ.get("XLA_FLAGS") == flags}}
    ml.brm("Reaction ~ Days + (Days | Subject)", data=ml.load_dataset("sleepstudy"), chains=2,
           draws=200, warmup=200, seed=1, progressbar={progressbar})
    {after_fit}
    # the blackjax sampler's path imports PyMC's JAX module, which writes XLA_FLAGS
    from multilevel.inference.numpyro import import_pymc_jax
    state["pymc_jax"] = import_pymc_jax().__name__
    try:
        import IPython
        ipython = IPython.__name__
    except ImportError:
        ipython = None
    import jax
    after = [repr(entry) for entry in warnings.filters]
    state.update(
        freeze_count=gc.get_freeze_count(), gc_enabled=gc.isenabled(),
        same_filters=after == filters, added_filters=[f for f in after if f not in filters],
        new_none_modules=sorted(name for name, module in sys.modules.items()
                                if module is None and name not in absent),
        flags_after_fit=os.environ.get("XLA_FLAGS") == flags, ipython=ipython,
        devices=jax.local_device_count(), deps_filters=deps_filters)
    print(json.dumps(state))
""")

IMPORT_DEPENDENCIES = textwrap.dedent(f"""
    pristine = [repr(entry) for entry in warnings.filters]
    for name in {DEPENDENCIES!r}:
        __import__(name)
    deps_filters = [repr(entry) for entry in warnings.filters if repr(entry) not in pristine]
""")

# a model with parameter checks in its likelihood, which PyTensor's JAX backend drops, saying so
WITH_CHECKS = textwrap.dedent("""
    ml.brm("Reaction ~ Days + (1 | Subject)", data=ml.load_dataset("sleepstudy"),
           family="student", chains=2, draws=50, warmup=50, seed=1, progressbar=True)
""")

BRMS_WARNING = re.compile(
    r"^<string>:\d+: UserWarning: (There were \d+ divergent transitions after warmup"
    r"|There were \d+ transitions after warmup that exceeded the maximum treedepth"
    r"|There were \d+ chains where the estimated Bayesian Fraction"
    r"|The largest R-hat is |Bulk Effective Samples Size \(ESS\) is too low"
    r"|Tail Effective Samples Size \(ESS\) is too low)")
# a state of the sampler's progress bar; each redraw starts with a carriage return
PROGRESS = re.compile(r"^(Warmup|Sampling): +\d+%\|.*\| \d+/\d+ \[.*\]$")


def _environment(flags: str | None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "XLA_FLAGS"}
    if flags is not None:
        env["XLA_FLAGS"] = flags
    return env


@pytest.fixture(scope="module")
def untouched(tmp_path_factory):
    """A fit in a process that imports nothing before multilevel, without XLA_FLAGS, as on
    the first import of the day: with an empty user cache, where ArviZ keeps the date of its
    daily notice."""
    code = STATE.format(before_multilevel="deps_filters = None", progressbar=False,
                        after_fit="")
    env = _environment(None) | {"XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}
    return new_process_output(code, env=env)


@pytest.fixture(scope="module")
def with_dependencies_first():
    """Two fits, with the progress bar, in a process that imported multilevel's dependencies
    first, with the user's own XLA_FLAGS."""
    code = STATE.format(before_multilevel=IMPORT_DEPENDENCIES, progressbar=True,
                        after_fit=WITH_CHECKS)
    return new_process_output(code, env=_environment(USER_FLAGS))


@pytest.mark.parametrize("run", ["untouched", "with_dependencies_first"])
def test_the_collector_runs_as_before(run, request):
    state, _ = request.getfixturevalue(run)
    assert state["freeze_count"] == 0
    assert state["gc_enabled"]


@pytest.mark.parametrize("run", ["untouched", "with_dependencies_first"])
def test_xla_flags_stay_as_the_user_had_them_and_jax_sees_the_real_cpu(run, request):
    state, _ = request.getfixturevalue(run)
    assert state["flags_after_import"] and state["flags_after_fit"]
    # PyMC's JAX module asks for 100 virtual CPU devices when imported; not here
    assert state["pymc_jax"] == "pymc.sampling.jax"
    assert state["devices"] == 1


@pytest.mark.parametrize("run", ["untouched", "with_dependencies_first"])
def test_no_module_is_hidden(run, request):
    state, _ = request.getfixturevalue(run)
    assert state["new_none_modules"] == []
    if importlib.util.find_spec("IPython") is not None:
        assert state["ipython"] == "IPython"


def test_warning_filters_are_those_from_before_the_import(with_dependencies_first):
    state, _ = with_dependencies_first
    assert state["added_filters"] == []
    assert state["same_filters"]


def test_a_first_import_adds_only_the_filters_the_dependencies_add_themselves(
        untouched, with_dependencies_first):
    # numpy, scipy and numpyro install filters when they are imported, whoever imports them
    added = untouched[0]["added_filters"]
    assert set(added) <= set(with_dependencies_first[0]["deps_filters"])


@pytest.mark.parametrize("run", ["untouched", "with_dependencies_first"])
def test_a_fit_writes_only_progress_and_brms_warnings_to_stderr(run, request):
    state, stderr = request.getfixturevalue(run)
    lines = [line for line in stderr.splitlines() if line.strip()]
    foreign = [line for line in lines if not (BRMS_WARNING.match(line) or PROGRESS.match(line))]
    assert foreign == []
    progress = [line for line in lines if PROGRESS.match(line)]
    # one bar per fit with the progress bar, two fits, each bar starting from 0
    assert len([line for line in progress if "| 0/" in line]) == (
        2 if run == "with_dependencies_first" else 0)

"""Refits of one model structure reuse its compiled code and give the same draws; another
structure is compiled anew. One test compiles with numba, which takes tens of seconds; the
others stop the compiler at its door."""

import contextlib
import threading

import numpy as np
import pandas as pd
import pytest
from pytensor.compile.sharedvalue import SharedVariable

import multilevel as ml
from multilevel.inference import compile_cache
from multilevel.names import CENTRING_DATA

pytestmark = pytest.mark.slow

FORMULA = "y ~ x + (1 | g)"
# the compile cache serves nutpie, the sampler of large data sets
# the full form samples one effect per level, so the number of levels is part of the structure
SETTINGS = {"chains": 2, "draws": 200, "warmup": 200, "progressbar": False, "sampler": "nutpie",
            "parametrization": "full"}


def _data(seed: int, groups: int, rows_per_group: int, scale: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), rows_per_group)
    x = rng.normal(size=g.size)
    y = scale * (2.0 + 0.5 * x + rng.normal(0, 0.7, groups)[g] + rng.normal(0, 1.0, g.size))
    return pd.DataFrame({"y": y, "x": x, "g": [f"level{seed}_{k}" for k in g]})


class _Compiling(Exception):
    """Raised where numba would start compiling a model."""


class _Sampling(Exception):
    """Raised where nutpie would start sampling."""


class _Compiled:
    """What nutpie's compiler returns, as far as the compile cache reads it."""

    shared_data = ()

    def with_data(self, **data):
        return self


def _folded(model, freeze_model) -> bool:
    """Whether the model reaches nutpie's compiler with its data folded in, by nutpie or before
    (a crossed block's centring weights excepted)."""
    return bool(freeze_model) or all(not isinstance(v, SharedVariable)
                                     for v in model.data_vars
                                     if not v.name.startswith(f"{CENTRING_DATA}_"))


def test_a_structure_compiles_with_its_data_folded_in_then_once_with_data_variables(
        monkeypatch):
    """Which compilations happen, with the compiler and sampler stopped at their doors."""
    import nutpie

    frozen = []

    def compiling(model, freeze_model=None, **kwargs):
        frozen.append(_folded(model, freeze_model))
        return _Compiled()

    def sampling(*args, **kwargs):
        raise _Sampling

    monkeypatch.setattr(nutpie, "compile_pymc_model", compiling)
    monkeypatch.setattr(nutpie, "sample", sampling)
    compile_cache.clear()
    before = dict(compile_cache.statistics)
    # the first fit of a structure compiles with its data frozen and that code serves the
    # same data again; other data compile once with data variables, which serve any data
    for data in (_data(1, 6, 10, 1.0), _data(1, 6, 10, 1.0), _data(4, 6, 8, 3.0),
                 _data(2, 6, 13, 50.0), _data(1, 6, 10, 1.0)):
        with pytest.raises(ml.MultilevelError):
            ml.brm(FORMULA, data, seed=1, **SETTINGS)
    assert frozen == [True, False]
    assert compile_cache.statistics["compiled"] == before["compiled"] + 2
    assert compile_cache.statistics["reused"] == before["reused"] + 3


def _counts(seed: int, groups: int, rows_per_group: int, mean: float) -> pd.DataFrame:
    """Counts of about ``mean`` per row, laid out as :func:`_data`'s rows."""
    data = _data(seed, groups, rows_per_group, 1.0)
    rng = np.random.default_rng(seed)
    level_effects = rng.normal(0, 0.3, groups)[data.index // rows_per_group]
    log_mean = np.log(mean) + 0.3 * data["x"] + level_effects
    return data.assign(y=rng.poisson(np.exp(log_mean)))


def test_new_data_of_the_same_structure_reuses_the_compiled_model_and_no_other(monkeypatch):
    """One compilation by numba, with the data as variables, serves fits to other data.

    A poisson model: its likelihood and group terms are the one operation that goes through
    the rows (``model/row_likelihood.py``), which then reads them from the data variables too;
    numba compiles it in half the time of a Gaussian model's cross-products."""
    settings = dict(SETTINGS, family="poisson")
    compile_cache.clear()
    before = dict(compile_cache.statistics)
    first = _counts(4, 6, 8, 3.0)
    # other rows, response scale (so other default priors) and level names; same levels count
    new = _counts(2, 6, 13, 50.0)
    with compile_cache.many_data_sets():
        compiled_for_first = ml.brm(FORMULA, first, seed=2, **settings)
        refit = ml.brm(FORMULA, new, seed=2, **settings)
        again = ml.brm(FORMULA, first, seed=2, **settings)
    assert compile_cache.statistics["compiled"] == before["compiled"] + 1
    assert compile_cache.statistics["reused"] == before["reused"] + 2
    assert list(refit.idata.posterior["g"].values) == sorted(new["g"].unique())
    assert list(refit.ranef()["g"].index) == sorted(new["g"].unique())
    # log(50) on the new data, where the first data give log(3)
    assert abs(refit.fixef().loc["Intercept", "Estimate"] - np.log(50.0)) < 0.5
    # swapping the new data out again gives exactly the draws of the first data
    for name in ("b_Intercept", "b", "sd_g", "r_g"):
        np.testing.assert_array_equal(again.idata.posterior[name].values,
                                      compiled_for_first.idata.posterior[name].values)
    assert again.prior.equals(compiled_for_first.prior)
    assert not again.prior.equals(refit.prior)
    # another structure (seven levels, not six) goes to the compiler, stopped at its door:
    # numba's compile of it would take tens of seconds and say nothing more
    import nutpie

    def compiling(*args, **kwargs):
        raise _Compiling

    monkeypatch.setattr(nutpie, "compile_pymc_model", compiling)
    compiled = compile_cache.statistics["compiled"]
    with pytest.raises(ml.MultilevelError) as stopped:
        ml.brm(FORMULA, _counts(3, 7, 10, 1.0), seed=1, **settings)
    assert isinstance(stopped.value.__cause__, _Compiling)
    assert compile_cache.statistics["compiled"] == compiled + 1
    # while the six-level structure still needs no compiler, outside many fits too
    ml.brm(FORMULA, _counts(5, 6, 9, 2.0), seed=1, **settings)
    assert compile_cache.statistics["compiled"] == compiled + 1


@pytest.mark.parametrize("many", [False, True], ids=["one_fit", "many_fits"])
def test_nutpie_compiles_a_new_structure_for_other_data_among_many_fits(monkeypatch, many):
    import nutpie

    frozen = []

    def compiling(model, freeze_model=None, **kwargs):
        frozen.append(_folded(model, freeze_model))
        raise _Compiling

    monkeypatch.setattr(nutpie, "compile_pymc_model", compiling)
    compile_cache.clear()
    with compile_cache.many_data_sets() if many else contextlib.nullcontext(), \
            pytest.raises(ml.MultilevelError):
        ml.brm(FORMULA, _data(13, 6, 10, 1.0), seed=1, **SETTINGS)
    # one fit of a new structure folds its data in; among many fits it takes them as data
    assert frozen == [not many]


def test_numpyro_refits_of_a_model_structure_reuse_its_program():
    settings = dict(SETTINGS, sampler="numpyro")
    data = _data(5, 6, 10, 1.0)
    compile_cache.clear()
    before = dict(compile_cache.statistics)
    first = ml.brm(FORMULA, data, seed=3, **settings)
    again = ml.brm(FORMULA, data, seed=3, **settings)
    other_seed = ml.brm(FORMULA, data, seed=4, **settings)
    assert compile_cache.statistics["compiled"] == before["compiled"] + 1
    assert compile_cache.statistics["reused"] == before["reused"] + 2
    np.testing.assert_array_equal(again.idata.posterior["r_g"].values,
                                  first.idata.posterior["r_g"].values)
    assert not np.array_equal(other_seed.idata.posterior["r_g"].values,
                              first.idata.posterior["r_g"].values)
    # the second data set of the structure compiles a program taking the data as arguments,
    # which serves every later data set of the same shapes (other rows, response scale,
    # default priors and level names)
    ml.brm(FORMULA, _data(9, 6, 10, 40.0), seed=3, **settings)
    new = _data(10, 6, 10, 80.0)
    refit = ml.brm(FORMULA, new, seed=3, **settings)
    assert compile_cache.statistics["compiled"] == before["compiled"] + 2
    assert compile_cache.statistics["reused"] == before["reused"] + 3
    assert list(refit.ranef()["g"].index) == sorted(new["g"].unique())
    assert abs(refit.fixef().loc["Intercept", "Estimate"] - new["y"].mean()) < 0.2 * new["y"].std()
    # the first data set still samples with its own program, giving its draws
    np.testing.assert_array_equal(ml.brm(FORMULA, data, seed=3, **settings)
                                  .idata.posterior["r_g"].values,
                                  first.idata.posterior["r_g"].values)
    # another number of levels, or of draws, makes another program
    ml.brm(FORMULA, _data(6, 7, 10, 1.0), seed=3, **settings)
    ml.brm(FORMULA, data, seed=3, **dict(settings, draws=150))
    assert compile_cache.statistics["compiled"] == before["compiled"] + 4


def test_many_fits_compile_once_and_draw_the_same_wherever_they_run():
    settings = dict(SETTINGS, sampler="numpyro")
    one, other = _data(11, 6, 10, 1.0), _data(12, 6, 10, 5.0)
    compile_cache.clear()
    before = dict(compile_cache.statistics)
    with compile_cache.many_data_sets():
        ml.brm(FORMULA, one, seed=3, **settings)
        after_another = ml.brm(FORMULA, other, seed=3, **settings)
    assert compile_cache.statistics["compiled"] == before["compiled"] + 1
    assert compile_cache.statistics["reused"] == before["reused"] + 1
    # first in a process (a worker of a cluster, say), the fit draws the same
    compile_cache.clear()
    with compile_cache.many_data_sets():
        alone = ml.brm(FORMULA, other, seed=3, **settings)
    np.testing.assert_array_equal(alone.idata.posterior["r_g"].values,
                                  after_another.idata.posterior["r_g"].values)


def test_a_structure_whose_code_needs_its_data_has_them_folded_in():
    # the series bounds of an AR term are read while the program is traced
    settings = dict(SETTINGS, sampler="numpyro")
    formula = "y ~ x + ar(gr = g)"
    data = _data(10, 4, 8, 1.0)
    compile_cache.clear()
    before = dict(compile_cache.statistics)
    with compile_cache.many_data_sets():
        first = ml.brm(formula, data, seed=3, **settings)
        again = ml.brm(formula, data, seed=3, **settings)
        ml.brm(formula, _data(11, 4, 8, 1.0), seed=3, **settings)
    assert compile_cache.statistics["compiled"] == before["compiled"] + 2
    assert compile_cache.statistics["reused"] == before["reused"] + 1
    np.testing.assert_array_equal(again.idata.posterior["ar"].values,
                                  first.idata.posterior["ar"].values)


# a collapsed model: its program is the smallest to compile
DISK_SETTINGS = dict(SETTINGS, sampler="numpyro", parametrization="collapsed")


def _first_fit_on_disk(directory, monkeypatch, data):
    """A fit whose program is compiled into ``directory``, with nothing in memory before."""
    monkeypatch.setenv("MULTILEVEL_CACHE_DIR", str(directory))
    compile_cache.clear()
    fit = ml.brm(FORMULA, data, seed=3, **DISK_SETTINGS)
    compile_cache.clear()  # as a new process
    return fit


def test_a_new_process_loads_the_program_an_earlier_one_compiled(tmp_path, monkeypatch):
    from multilevel.inference import executable_cache

    data = _data(7, 5, 9, 1.0)
    first = _first_fit_on_disk(tmp_path, monkeypatch, data)
    assert len(list(tmp_path.glob("*.xla"))) == 1

    def no_compiling(*args):
        raise AssertionError("compiled again")

    monkeypatch.setattr(executable_cache, "_compile", no_compiling)
    again = ml.brm(FORMULA, data, seed=3, **DISK_SETTINGS)
    np.testing.assert_array_equal(again.idata.posterior["r_g"].values,
                                  first.idata.posterior["r_g"].values)
    # one value of the data changed is another program: the data are part of it
    monkeypatch.undo()
    monkeypatch.setenv("MULTILEVEL_CACHE_DIR", str(tmp_path))
    compile_cache.clear()
    changed = data.assign(y=data["y"].where(data.index != 4, data["y"] + 1.0))
    ml.brm(FORMULA, changed, seed=3, **DISK_SETTINGS)
    assert len(list(tmp_path.glob("*.xla"))) == 2
    # unless the program takes the data as arguments: then other data of the same shapes,
    # in another process, load it
    with compile_cache.many_data_sets():
        ml.brm(FORMULA, data, seed=3, **DISK_SETTINGS)
        assert len(list(tmp_path.glob("*.xla"))) == 3
        compile_cache.clear()
        monkeypatch.setattr(executable_cache, "_compile", no_compiling)
        ml.brm(FORMULA, changed, seed=3, **DISK_SETTINGS)
    # with the cache off, nothing is read (the program on disk would be) or written
    monkeypatch.setenv("MULTILEVEL_CACHE_DIR", "")
    compile_cache.clear()
    with pytest.raises(ml.MultilevelError):
        ml.brm(FORMULA, changed, seed=3, **DISK_SETTINGS)
    assert len(list(tmp_path.glob("*.xla"))) == 3


def test_a_damaged_cache_file_is_compiled_over(tmp_path, monkeypatch):
    data = _data(8, 5, 9, 1.0)
    first = _first_fit_on_disk(tmp_path, monkeypatch, data)
    (path,) = tmp_path.glob("*.xla")
    path.write_bytes(b"not an executable")
    again = ml.brm(FORMULA, data, seed=3, **DISK_SETTINGS)
    np.testing.assert_array_equal(again.idata.posterior["r_g"].values,
                                  first.idata.posterior["r_g"].values)
    assert path.read_bytes() != b"not an executable"


def test_a_crossed_block_in_the_non_centred_form_compiles(monkeypatch):
    """A crossed factor whose levels barely differ is sampled in brms's non-centred form, its
    centring weight 0. That weight stays data when the rest is folded in: folded in, it would
    make a graph on which nutpie's canonicalising rewrite, in PyTensor 2.38, never ends."""
    import nutpie
    from pytensor.graph import rewrite_graph

    handed = []

    def compiling(model, freeze_model=None, **kwargs):
        handed.append((model, freeze_model))
        raise _Compiling

    monkeypatch.setattr(nutpie, "compile_pymc_model", compiling)
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 12, 240), rng.integers(0, 8, 240)
    data = pd.DataFrame({"y": rng.normal(0, 0.5, 12)[a] + rng.normal(size=240),
                         "a": a.astype(str), "b": b.astype(str)})
    compile_cache.clear()
    with pytest.raises(ml.MultilevelError):
        ml.brm("y ~ 1 + (1 | a) + (1 | b)", data, seed=1, **SETTINGS)
    [(model, freeze_model)] = handed
    assert _folded(model, freeze_model)
    weights = {v.name: v.get_value() for v in model.data_vars
               if isinstance(v, SharedVariable)}
    assert weights and all(name.startswith(f"{CENTRING_DATA}_") for name in weights)
    assert 0.0 in np.concatenate(list(weights.values()))
    # nutpie's first step on the model, in a thread of its own: a test, not the session, waits
    finished = threading.Event()
    threading.Thread(target=lambda: (rewrite_graph(model.logp(), include=("canonicalize",
                                                                          "stabilize")),
                                     finished.set()), daemon=True).start()
    assert finished.wait(timeout=60)

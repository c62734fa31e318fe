"""Many fits: kfold(), reloo() and brm_many(), in this process and on executors."""

import pickle
import re
import types
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import cloudpickle
import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.inference import compile_cache
from multilevel.results import criteria
from multilevel.results.executors import (
    as_executor,
    derived_seed,
    run_payload,
    run_tasks,
    side_by_side_arguments,
)
from multilevel.results.refits import (
    kfold_split_grouped,
    kfold_split_random,
    kfold_split_stratified,
    make_folds,
)

SETTINGS = {"chains": 2, "draws": 200, "warmup": 200, "progressbar": False}
# the seed of brm_many()'s runs
RUN_SEED = 3
# so few draws leave the ESS short of brms's bar; that warning says nothing here
pytestmark = pytest.mark.filterwarnings("ignore:.*Effective Samples Size")


def _not_again(*args, **kwargs):
    raise AssertionError("the weights were smoothed again")


# --- folds and arguments, without sampling -------------------------------------------------
def test_random_folds_are_a_balanced_partition():
    folds = kfold_split_random(4, 10, np.random.default_rng(1))
    assert sorted(np.bincount(folds)[1:]) == [2, 3, 3, 2] or sorted(
        np.bincount(folds)[1:]) == [2, 2, 3, 3]
    assert set(folds) == {1, 2, 3, 4}


def test_stratified_folds_spread_each_level():
    x = np.array(["a"] * 6 + ["b"] * 6)
    folds = kfold_split_stratified(3, x, np.random.default_rng(2))
    for level in "ab":
        assert sorted(folds[x == level]) == [1, 1, 2, 2, 3, 3]


def test_grouped_folds_keep_each_level_together():
    x = np.repeat(list("abcde"), 3)
    folds = kfold_split_grouped(3, x, np.random.default_rng(3))
    assert all(len(set(folds[x == level])) == 1 for level in "abcde")
    assert sorted(np.bincount(folds)[1:]) == [3, 6, 6]


def test_fold_arguments_follow_brms():
    data = pd.DataFrame({"g": np.repeat(list("abc"), 4), "y": np.arange(12.0)})
    fit = types.SimpleNamespace(nobs=12, design=types.SimpleNamespace(data=data, groups=["g"]))
    rng = np.random.default_rng(0)
    folds, K, kind = make_folds(fit, 10, None, "g", rng)
    assert (K, kind) == (3, "group") and list(folds) == [1] * 4 + [2] * 4 + [3] * 4
    assert make_folds(fit, 10, "loo", None, rng)[1:] == (12, "loo")
    assert make_folds(fit, 10, ["u", "v"] * 6, None, rng)[1:] == (2, "custom")
    with pytest.raises(ml.SettingsError, match="K must be an integer of at least 2"):
        make_folds(fit, 1, None, None, rng)
    with pytest.raises(ml.SettingsError, match="K=13 is more than the 12 observations"):
        make_folds(fit, 13, None, None, rng)
    with pytest.raises(ml.DataError, match=r"one value per observation \(12\), got 5"):
        make_folds(fit, 3, [1, 2, 3, 1, 2], None, rng)
    with pytest.raises(ml.SettingsError, match="needs group="):
        make_folds(fit, 3, "grouped", None, rng)
    with pytest.raises(ml.SettingsError, match="K=4 is more than the 3 levels of 'g'"):
        make_folds(fit, 4, "grouped", "g", rng)
    with pytest.raises(ml.DataError, match="group must name a column"):
        make_folds(fit, 3, "stratified", "school", rng)


def test_an_executor_must_be_an_executor():
    with pytest.raises(ml.SettingsError, match="concurrent.futures.Executor"):
        as_executor(object())
    with pytest.raises(ml.SettingsError, match="concurrent.futures.Executor"):
        ml.brm_many("y ~ x", [pd.DataFrame({"y": [1.0, 2.0], "x": [0.0, 1.0]})],
                    executor="dask")


def test_derived_seeds_depend_on_seed_and_position_only():
    assert derived_seed(1, 2) == derived_seed(1, 2)
    assert len({derived_seed(1, 2), derived_seed(1, 3), derived_seed(2, 2)}) == 3


def test_only_pymcs_chains_run_one_after_another_on_an_executor():
    """numpyro's and nutpie's chains are threads, run side by side as in a lone fit; PyMC's
    are processes, which an executor's worker runs one at a time unless told otherwise."""
    with ThreadPoolExecutor(1) as pool:
        assert side_by_side_arguments({}, pool, "numpyro") == {"progressbar": False}
        assert side_by_side_arguments({}, pool, "nutpie") == {"progressbar": False}
        assert side_by_side_arguments({}, pool, "pymc") == {"progressbar": False, "cores": 1}
        assert side_by_side_arguments({"cores": 2}, pool, "pymc")["cores"] == 2
    assert side_by_side_arguments({"progressbar": True}, None, "pymc") == {"progressbar": True}


def _doubled_warning_if_odd(k):
    if k % 2:
        warnings.warn("odd", UserWarning, stacklevel=1)
    return 2 * k


def test_tasks_warnings_are_shown_once_naming_their_tasks():
    with pytest.warns(UserWarning) as caught:
        results = run_tasks(_doubled_warning_if_odd, [(1,), (2,), (3,)], None,
                            ("Refit of fold", "Refits of folds"), [1, 2, 3])
    assert results == [2, 4, 6]
    assert [str(w.message) for w in caught] == ["Refits of folds 1, 3: odd"]


def test_tasks_travel_as_bytes_that_plain_pickle_carries():
    # a process pool pickles the function by name and the payloads as bytes, and the
    # families' functions inside a fit travel within cloudpickle's bytes
    assert pickle.loads(pickle.dumps(run_payload)) is run_payload
    family = ml.get_family("gaussian")
    payload = cloudpickle.dumps((_doubled_warning_if_odd, (3,)))
    result, messages = cloudpickle.loads(run_payload(pickle.loads(pickle.dumps(payload))))
    assert result == 6 and messages == [(UserWarning, "odd")]
    assert cloudpickle.loads(cloudpickle.dumps(family)).name == "gaussian"


# --- refits ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fit(small_gaussian):
    return ml.brm("y ~ x", data=small_gaussian, seed=derived_seed(RUN_SEED, 0), **SETTINGS)


@pytest.fixture(scope="module")
def serial_kfold(fit):
    return fit.kfold(K=3)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        # the workers import the package while this process fits
        warm = [client.submit(exec, "import multilevel", pure=False, workers=[address])
                for address in client.scheduler_info()["workers"]]
        yield client
        del warm


@pytest.mark.slow
def test_kfold_on_a_dask_cluster_equals_the_serial_kfold(client, fit, serial_kfold):
    statistics = lambda: dict(compile_cache.statistics)  # noqa: E731 -- sent by value
    before = client.run(statistics)
    distributed = fit.kfold(K=3, executor=client)
    after = client.run(statistics)
    # the folds have the same numbers of rows and levels: a worker compiles them once
    compiled = {worker: after[worker]["compiled"] - before[worker]["compiled"]
                for worker in after}
    reused = sum(after[worker]["reused"] - before[worker]["reused"] for worker in after)
    assert max(compiled.values()) <= 1, compiled
    assert sum(compiled.values()) + reused == 3
    np.testing.assert_array_equal(distributed.folds, serial_kfold.folds)
    np.testing.assert_array_equal(distributed.pointwise.to_numpy(),
                                  serial_kfold.pointwise.to_numpy())
    assert list(distributed.refits["seed"]) == list(serial_kfold.refits["seed"])


@pytest.mark.slow
def test_kfold_is_brms_kfold_and_close_to_loo(fit, serial_kfold):
    result = serial_kfold
    assert list(result.estimates.index) == ["elpd_kfold", "p_kfold", "kfoldic"]
    assert list(result.pointwise.columns) == ["elpd_kfold", "p_kfold", "kfoldic"]
    assert (result.K, result.fold_type, result.fits) == (3, "random", None)
    assert sorted(np.bincount(result.folds)[1:]) == [20, 20, 20]
    assert list(result.refits["omitted"]) == [20, 20, 20]
    # R's layout: row names, then each column as wide as its header or widest value
    assert repr(result).splitlines()[:3] == ["Based on 3-fold cross-validation", "",
                                             "           Estimate  SE"]
    loo = fit.loo()
    assert abs(result.elpd - loo.elpd) < 2 * loo.estimates["SE"].iloc[0]
    with pytest.warns(UserWarning, match="Comparing LOO-CV to K-fold-CV"):
        table = ml.loo_compare(kfold=result, loo=loo)
    assert table.loc[table.index[0], "elpd_diff"] == 0
    assert {"elpd_kfold", "elpd_loo"} <= set(table.columns)


@pytest.mark.slow
def test_kfold_predict_gives_each_observation_its_left_out_refit_draws(fit, serial_kfold,
                                                                      small_gaussian):
    """brms's kfold_predict(): y, and yrep (draws x observations), each column from the refit
    that left the observation out; it needs save_fits = TRUE."""
    with pytest.raises(ml.MultilevelError, match="save_fits=True"):
        ml.kfold_predict(serial_kfold)
    kept = fit.kfold(K=3, save_fits=True)
    predicted = ml.kfold_predict(kept, seed=5)
    np.testing.assert_array_equal(predicted["y"], small_gaussian["y"])
    assert predicted["yrep"].shape == (kept.fits[0].draws.values.shape[0]
                                       * kept.fits[0].draws.values.shape[1], len(small_gaussian))
    rows = np.flatnonzero(kept.folds == 2)
    np.testing.assert_array_equal(
        predicted["yrep"][:, rows],
        kept.fits[1].posterior_predict(newdata=small_gaussian.iloc[rows], seed=5))
    fitted = kept.kfold_predict("fitted")["yrep"]
    np.testing.assert_allclose(fitted[:, rows], kept.fits[1].posterior_epred(
        newdata=small_gaussian.iloc[rows]))
    assert np.isfinite(fitted).all()
    with pytest.raises(ml.MultilevelError, match="'predict' or 'fitted'"):
        kept.kfold_predict("linpred")


@pytest.mark.slow
def test_added_criteria_are_kept_reused_compared_and_saved(fit, serial_kfold, small_gaussian,
                                                           tmp_path):
    """brms's add_criterion(): computed once, returned by loo() and kfold() of the same K,
    compared by loo_compare() (K-fold only so), saved with the fit and, for a fit of
    brm(file=), saved there again."""
    kept = replace(fit, criteria={})
    assert kept.add_criterion(["loo", "kfold", "bayes_R2"], K=3) is kept
    assert list(kept.criteria) == ["loo", "kfold", "bayes_R2"]
    np.testing.assert_array_equal(kept.criteria["kfold"].pointwise.to_numpy(),
                                  serial_kfold.pointwise.to_numpy())
    assert kept.kfold(K=3) is kept.criteria["kfold"] and kept.loo() is kept.criteria["loo"]
    np.testing.assert_allclose(kept.criteria["bayes_R2"], fit.bayes_R2(summary=False))
    loo = kept.criteria["loo"]
    assert kept.add_criterion("loo").criteria["loo"] is loo
    assert kept.add_criterion("loo", overwrite=True).criteria["loo"] is not loo
    with pytest.raises(ml.MultilevelError, match="'model2' does not contain a precomputed "
                                                 "'kfold' criterion"):
        ml.loo_compare(kept, fit, criterion="kfold")
    table = ml.loo_compare(first=kept, second=kept, criterion="kfold")
    assert list(table["elpd_diff"]) == [0, 0] and "elpd_kfold" in table.columns
    with pytest.raises(ml.MultilevelError, match="subset of loo, waic, kfold"):
        kept.add_criterion("loo_subsample")

    path = tmp_path / "fit"
    kept.save(path)
    loaded = ml.load(path)
    assert list(loaded.criteria) == list(kept.criteria) and loaded.file is None
    for name in ("loo", "kfold"):
        pd.testing.assert_frame_equal(loaded.criteria[name].estimates,
                                      kept.criteria[name].estimates)
        pd.testing.assert_frame_equal(loaded.criteria[name].pointwise,
                                      kept.criteria[name].pointwise)
    np.testing.assert_array_equal(loaded.criteria["kfold"].folds, kept.criteria["kfold"].folds)
    np.testing.assert_array_equal(loaded.criteria["bayes_R2"], kept.criteria["bayes_R2"])
    file = tmp_path / "file"
    first = ml.brm("y ~ x", data=small_gaussian, seed=fit.seed, file=file, **SETTINGS)
    assert first.file == str(file)
    first.add_criterion("waic")
    again = ml.brm("y ~ x", data=small_gaussian, seed=fit.seed, file=file, **SETTINGS)
    assert again.file == str(file) and list(again.criteria) == ["waic"]
    pd.testing.assert_frame_equal(again.waic().pointwise, first.criteria["waic"].pointwise)


@pytest.mark.slow
def test_kfold_rejects_bad_arguments(fit):
    with pytest.raises(ml.SettingsError, match="K must be an integer of at least 2"):
        fit.kfold(K=1)
    with pytest.raises(ml.SettingsError, match="more than the 60 observations"):
        fit.kfold(K=61)
    with pytest.raises(ml.DataError, match="one value per observation"):
        fit.kfold(folds=[1, 2, 1])
    with pytest.raises(ml.SettingsError, match="concurrent.futures.Executor"):
        fit.kfold(K=3, executor=4)
    with pytest.raises(ml.SettingsError, match="'prior'"):
        fit.kfold(K=3, prior=ml.prior("normal(0, 1)", class_="b"))


@pytest.mark.slow
def test_reloo_refits_exactly_the_points_with_high_pareto_k(small_gaussian, client,
                                                            monkeypatch):
    data = small_gaussian.copy()
    data.loc[3, "y"] = 25.0
    outlier = ml.brm("y ~ x", data=data, seed=5, **SETTINGS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loo = outlier.loo()
    high = tuple(np.flatnonzero(loo.pointwise["pareto_k"].to_numpy() > 0.7))
    assert 3 in high
    # the fit keeps its smoothed weights: loo() again smooths nothing, and warns again
    with monkeypatch.context() as patch:
        patch.setattr(criteria, "psis_loo", _not_again)
        with pytest.warns(UserWarning, match=r"observation\(s\) with a pareto_k > 0.7"):
            again = outlier.loo()
    pd.testing.assert_frame_equal(again.pointwise, loo.pointwise)
    exact = outlier.reloo(loo, executor=client)
    assert exact.refitted == high
    assert list(exact.refits.index) == list(high)
    k = exact.pointwise["pareto_k"].to_numpy()
    assert (k[list(high)] == 0).all() and (k <= 0.7).all()
    others = np.setdiff1d(np.arange(len(data)), high)
    np.testing.assert_array_equal(exact.pointwise["elpd_loo"].to_numpy()[others],
                                  loo.pointwise["elpd_loo"].to_numpy()[others])
    # left out, the outlier is far less likely than PSIS's estimate says
    assert exact.pointwise.loc[3, "elpd_loo"] < loo.pointwise.loc[3, "elpd_loo"]
    assert repr(exact).startswith("Computed from 400 by 60 log-likelihood matrix")
    assert "All Pareto k estimates are" in repr(exact)
    # exact values carry no importance-sampling error: loo's NA becomes a number
    assert "Monte Carlo SE of elpd_loo is NA." in repr(loo)
    assert re.search(r"Monte Carlo SE of elpd_loo is \d+\.\d\.", repr(exact))


@pytest.mark.slow
def test_brm_many_on_dask_equals_the_serial_brm_many(small_gaussian, client):
    resampled = small_gaussian.sample(frac=1, replace=True, random_state=1)
    datasets = {"first": small_gaussian, "resampled": resampled}
    fits = ml.brm_many("y ~ x", datasets, executor=client, seed=RUN_SEED, **SETTINGS)
    assert list(fits) == ["first", "resampled"]
    assert [f.data_name for f in fits.values()] == ["first", "resampled"]
    assert [f.seed for f in fits.values()] == [derived_seed(RUN_SEED, 0),
                                               derived_seed(RUN_SEED, 1)]
    serial = ml.brm_many("y ~ x", datasets, seed=RUN_SEED, **SETTINGS)
    for name, fit in fits.items():
        for variable in fit.idata.posterior.data_vars:
            np.testing.assert_array_equal(fit.idata.posterior[variable].values,
                                          serial[name].idata.posterior[variable].values)
    # a fit back from a worker works as one made here
    assert fits["resampled"].nobs == 60
    assert np.isfinite(fits["resampled"].loo().elpd)

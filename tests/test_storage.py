"""Saving and loading fits, brm(file=...), and sampling from the priors."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import multilevel as ml
from multilevel import api
from multilevel.results.storage import frame_from_json, frame_to_json
from multilevel.spec.contrasts import POLYNOMIAL_FACTORS
from multilevel.spec.model_frame import R_FACTORS

SMALL = {"chains": 2, "draws": 300, "warmup": 300, "progressbar": False}


@pytest.fixture(scope="module")
def dyestuff_fit():
    return ml.brm("Yield ~ 1 + (1 | Batch)", ml.load_dataset("dyestuff"), seed=3,
                  sample_prior="yes", **SMALL)


def test_frames_survive_json():
    frame = pd.DataFrame({
        "x": [1.5, np.nan, 3.0],
        "n": np.array([1, 2, 3], dtype=np.int64),
        "flag": [True, False, True],
        "label": pd.Series(["a", "b", None], dtype="str"),
        "level": pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True),
        "when": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
    }, index=[10, 11, 12])
    frame.attrs["name"] = "example"
    # which factors are the package's and which the user's ordered ones (polynomial
    # contrasts) decide the model a saved fit is built again as
    frame.attrs[R_FACTORS] = ["label"]
    frame.attrs[POLYNOMIAL_FACTORS] = ["level"]
    back = frame_from_json(json.loads(json.dumps(frame_to_json(frame))))
    pd.testing.assert_frame_equal(back, frame)
    assert back.attrs == frame.attrs


@pytest.mark.slow
def test_save_and_load_lose_nothing(dyestuff_fit, tmp_path):
    fit = dyestuff_fit
    fit.save(tmp_path / "fit")
    assert sorted(p.name for p in (tmp_path / "fit").iterdir()) == ["draws.nc", "fit.json"]
    back = ml.load(tmp_path / "fit")
    assert str(back.summary()) == str(fit.summary())
    pd.testing.assert_frame_equal(back.prior, fit.prior)
    pd.testing.assert_frame_equal(back.as_draws_df(), fit.as_draws_df())
    # as brms orders the columns: the parameters, the prior draws, lprior
    columns = [c for c in fit.as_draws_df().columns if not c.startswith(".")]
    assert columns[-4:] == ["prior_Intercept", "prior_sigma", "prior_sd_Batch", "lprior"]
    pd.testing.assert_frame_equal(back.idata.log_prior.to_dataframe(),
                                  fit.idata.log_prior.to_dataframe())
    pd.testing.assert_frame_equal(back.design.data, fit.design.data)
    assert (back.formula, back.family, back.settings, back.seed) == (
        fit.formula, fit.family, fit.settings, fit.seed)
    new = pd.DataFrame({"Batch": ["A", "new"]})
    for method in ("posterior_epred", "posterior_predict"):
        np.testing.assert_array_equal(
            getattr(back, method)(new, allow_new_levels=True, seed=9),
            getattr(fit, method)(new, allow_new_levels=True, seed=9))
    np.testing.assert_array_equal(back.log_lik(), fit.log_lik())


@pytest.mark.slow
def test_a_parameter_held_by_bf_is_saved_and_changes_the_fingerprint(small_gaussian, tmp_path):
    formula = ml.bf("y ~ x + (1 | g)", sigma=1.0)
    fit = ml.brm(formula, small_gaussian, seed=3, file=tmp_path / "held", **SMALL)
    back = ml.load(tmp_path / "held")
    assert back.design.spec.fixed_dpars == (("sigma", 1.0),)
    assert str(back.summary()) == str(fit.summary())
    assert (back.as_draws_df()["sigma"] == 1.0).all()
    # another value is another model: the file is fitted again
    again = ml.brm(ml.bf("y ~ x + (1 | g)", sigma=2.0), small_gaussian, seed=3,
                   file=tmp_path / "held", **SMALL)
    assert ml.load(tmp_path / "held").design.spec.fixed_dpars == (("sigma", 2.0),)
    # a formula updated by a string keeps the held value, as brms's update()
    updated = again.update(formula="~ . - x", draws=100, warmup=100)
    assert updated.design.spec.fixed_dpars == (("sigma", 2.0),)
    assert updated.formula == "y ~ (1 | g)" and "sigma" not in updated.prior["class"].tolist()
    assert (again.as_draws_df()["sigma"] == 2.0).all()


@pytest.mark.slow
def test_an_uncentred_formula_is_saved_and_updated_as_it_was(small_gaussian, tmp_path):
    fit = ml.brm(ml.bf("y ~ x + (1 | g)", center=False), small_gaussian, seed=3,
                 file=tmp_path / "uncentred", **SMALL)
    back = ml.load(tmp_path / "uncentred")
    assert back.design.user_spec.center is False and back.design.b_names == ["Intercept", "x"]
    assert str(back.summary()) == str(fit.summary())
    # another centring is another model: the file is fitted again
    again = ml.brm("y ~ x + (1 | g)", small_gaussian, seed=3, file=tmp_path / "uncentred",
                   **SMALL)
    assert again.design.b_names == ["x"]
    updated = fit.update(formula="~ . + I(x**2)", draws=100, warmup=100)
    assert updated.design.b_names == ["Intercept", "x", "IxE2"]


@pytest.mark.slow
def test_a_saved_fit_leaves_out_its_log_likelihood_and_computes_it_again(dyestuff_fit,
                                                                         tmp_path):
    """loo() keeps the pointwise log-likelihood in the fit's InferenceData; the file does not
    (draws x rows numbers, derived from what it holds), and the loaded fit's loo is the same."""
    fit = dyestuff_fit
    before = fit.loo().estimates
    assert "log_likelihood" in fit.idata.groups()
    fit.save(tmp_path / "fit")
    back = ml.load(tmp_path / "fit")
    assert "log_likelihood" not in back.idata.groups()
    pd.testing.assert_frame_equal(back.loo().estimates, before)
    assert "log_likelihood" in fit.idata.groups()


def test_load_names_a_missing_fit(tmp_path):
    with pytest.raises(ml.MultilevelError, match="No saved fit at .*fit.json"):
        ml.load(tmp_path)


@pytest.mark.slow
def test_file_reuses_an_unchanged_fit_and_refits_a_changed_one(dyestuff_fit, tmp_path,
                                                               monkeypatch):
    data = ml.load_dataset("dyestuff")
    target = tmp_path / "cached"
    arguments = dict(seed=3, sample_prior="yes", **SMALL)
    stamp = api.fingerprint("Yield ~ 1 + (1 | Batch)", data, ml.gaussian, (),
                            api.SamplerSettings(**{k: v for k, v in arguments.items()
                                                   if k != "sample_prior"}), "yes")
    dyestuff_fit.fingerprint = stamp
    dyestuff_fit.save(target)

    def no_sampling(*args, **kwargs):
        raise AssertionError("sampled although the saved fit matches")

    monkeypatch.setattr(api, "run_nuts", no_sampling)
    reused = ml.brm("Yield ~ 1 + (1 | Batch)", data, file=target, **arguments)
    assert str(reused.summary()) == str(dyestuff_fit.summary())

    class Sampled(Exception):
        pass

    def sampling(*args, **kwargs):
        raise Sampled

    monkeypatch.setattr(api, "run_nuts", sampling)
    changed = data.assign(Yield=data["Yield"] + 1.0)
    for call in (
        lambda: ml.brm("Yield ~ 1 + (1 | Batch)", changed, file=target, **arguments),
        lambda: ml.brm("Yield ~ 1 + (1 | Batch)", data, file=target,
                       **{**arguments, "draws": 301}),
        lambda: ml.brm("Yield ~ 1 + (1 | Batch)", data, file=target,
                       prior=ml.prior("normal(1500, 100)", class_="Intercept"), **arguments),
        lambda: ml.brm("Yield ~ 1 + (1 | Batch)", data, family="student", file=target,
                       **arguments),
    ):
        with pytest.raises(ml.MultilevelError) as raised:
            call()
        assert isinstance(raised.value.__cause__, Sampled)


@pytest.mark.slow
def test_sample_prior_yes_draws_brms_prior_columns(dyestuff_fit):
    draws = dyestuff_fit.as_draws_df()
    # in the order of brms's Stan code
    assert [c for c in draws if c.startswith("prior_")] == [
        "prior_Intercept", "prior_sigma", "prior_sd_Batch"]
    table = dyestuff_fit.prior.set_index(["class", "group", "coef"])
    scale = float(table.loc[("sigma", "", ""), "prior"].split(",")[-1].rstrip(")"))
    # a half student_t(3, 0, s): its median is s times the t's 75% quantile
    expected = scale * stats.t.ppf(0.75, 3)
    sigma = draws["prior_sigma"].to_numpy()
    assert sigma.min() > 0
    assert np.median(sigma) == pytest.approx(expected, rel=0.1)


@pytest.mark.slow
def test_point_hypothesis_uses_prior_draws(dyestuff_fit):
    table = dyestuff_fit.hypothesis("sd_Batch__Intercept = 0", class_=None)
    assert np.isfinite(table.loc[1, "Evid.Ratio"])
    assert table.loc[1, "Post.Prob"] == pytest.approx(
        table.loc[1, "Evid.Ratio"] / (1 + table.loc[1, "Evid.Ratio"]))


def test_sample_prior_only_needs_proper_priors():
    sleep = ml.load_dataset("sleepstudy")
    with pytest.raises(ml.PriorError, match="class b.*prior\\('normal"):
        ml.brm("Reaction ~ Days + (1 | Subject)", sleep, sample_prior="only", **SMALL)
    with pytest.raises(ml.MultilevelError, match="sample_prior must be one of no, yes, only"):
        ml.brm("Reaction ~ Days", sleep, sample_prior="true", **SMALL)


@pytest.mark.slow
def test_sample_prior_only_gives_the_prior(dyestuff_fit):
    data = ml.load_dataset("dyestuff")
    fit = ml.brm("Yield ~ 1 + (1 | Batch)", data, sample_prior="only", seed=5, **SMALL)
    draws = fit.as_draws_df()
    prior = dyestuff_fit.as_draws_df()
    # NUTS on the prior alone against independent draws of the same priors
    for ours, independent in (("sigma", "prior_sigma"), ("sd_Batch__Intercept",
                                                          "prior_sd_Batch")):
        assert np.median(draws[ours]) == pytest.approx(np.median(prior[independent]), rel=0.2)
    assert stats.ks_2samp(draws["Intercept"], prior["prior_Intercept"]).pvalue > 1e-3
    predictions = fit.posterior_predict(seed=1)
    assert predictions.shape == (600, len(data))


@pytest.mark.slow
def test_a_censored_fit_keeps_its_interval_bounds(tmp_path):
    """cens(censored, y2)'s bounds, missing outside intervals, travel with the saved data."""
    data = pd.DataFrame({"y": [1.0, 2.5, 3.0, 4.0, 2.0, 3.5, 1.5, 2.2],
                         "censored": ["none", "left", "right", "interval"] * 2,
                         "y2": [np.nan, np.nan, np.nan, 5.0, np.nan, np.nan, np.nan, 3.0]})
    fit = ml.brm("y | cens(censored, y2) ~ 1", data, chains=1, draws=50, warmup=50, seed=2,
                 progressbar=False)
    fit.save(tmp_path / "censored")
    loaded = ml.load(tmp_path / "censored")
    assert loaded.nobs == 8
    np.testing.assert_array_equal(loaded.design.censoring[1], fit.design.censoring[1])
    np.testing.assert_allclose(loaded.log_lik(), fit.log_lik())


@pytest.mark.slow
def test_a_scaling_learned_from_dropped_rows_survives_saving(tmp_path):
    """scale(x) takes the mean and sd of every row x has (as R's model frame does), rows the
    model drops for a missing response included; a loaded fit keeps them, and update()
    learns them again from the fit's complete rows, as brms's update() of its data."""
    data = pd.DataFrame({"y": [1.0, np.nan, 2.5, 3.0, 2.0, 4.0, np.nan, 3.5],
                         "x": [1.0, 2, 3, 4, 5, 6, 30, 8]})
    with pytest.warns(UserWarning, match="2 of 8 rows"):
        fit = ml.brm("y ~ scale(x)", data, chains=1, draws=50, warmup=50, seed=2,
                     progressbar=False)
    x = data["x"].to_numpy()
    expected = (x - x.mean()) / x.std(ddof=1)
    np.testing.assert_allclose(fit.design.X[:, 0], expected[data["y"].notna().to_numpy()])
    fit.save(tmp_path / "scaled")
    loaded = ml.load(tmp_path / "scaled")
    assert loaded.nobs == 6
    np.testing.assert_array_equal(loaded.design.X, fit.design.X)
    np.testing.assert_allclose(loaded.log_lik(), fit.log_lik())
    updated = fit.update(draws=60)
    complete = x[data["y"].notna().to_numpy()]
    np.testing.assert_allclose(updated.design.X[:, 0],
                               (complete - complete.mean()) / complete.std(ddof=1))


def test_draws_under_other_coefficients_than_the_formula_gives_are_refused(tmp_path):
    """A fit saved by a version that wrote x:f in f + x:f as formulae writes it (x:fa) would
    have its draws read under R's names (fa:x); loading refuses it."""
    import arviz as az

    from multilevel.errors import StorageError
    from multilevel.results.storage import _check_coefficients
    from multilevel.spec.design import build_design
    from multilevel.spec.formula import parse_formula

    data = pd.DataFrame({"y": np.arange(6.0), "x": [-1.0, 1, -1, 1, 2, -2],
                         "f": list("ababcc")})
    design = build_design(parse_formula("y ~ f + x:f"), data, ml.get_family("gaussian"))

    def draws(names):
        return az.from_dict(posterior={"b": np.zeros((1, 2, len(names)))},
                            coords={"b_coef": names}, dims={"b": ["b_coef"]})

    _check_coefficients(draws(design.b_names), design, tmp_path)
    with pytest.raises(StorageError, match="x:fa.*now gives fb, fc, fa:x"):
        _check_coefficients(draws(["fb", "fc", "x:fa", "x:fb", "x:fc"]), design, tmp_path)


def test_held_values_that_print_alike_are_different_models(small_gaussian):
    # bf()'s printed form rounds held values to two decimals, as brms prints them
    settings = api.SamplerSettings(**SMALL)
    stamps = {api.fingerprint(ml.bf("y ~ x", sigma=value), small_gaussian, ml.gaussian, (),
                              settings, "no") for value in (0.251, 0.249)}
    assert len(stamps) == 2


@pytest.mark.slow
def test_a_held_disc_an_earlier_version_left_out_of_the_draws_is_restored(tmp_path):
    """Ordinal fits saved before an ordinal model's held disc joined the draws load with it
    as the constant column brms 2.18 keeps."""
    import arviz as az

    from multilevel.results import storage

    rng = np.random.default_rng(4)
    data = pd.DataFrame({"y": rng.integers(1, 4, 60), "x": rng.normal(size=60)})
    fit = ml.brm("y ~ x", data, "cumulative", seed=1, chains=1, draws=50, warmup=50,
                 progressbar=False)
    fit.save(tmp_path / "fit")
    draws = tmp_path / "fit" / storage.DRAWS_FILE
    idata = az.from_netcdf(str(draws))
    idata.posterior = idata.posterior.drop_vars("disc")
    earlier = tmp_path / "earlier.nc"
    idata.to_netcdf(str(earlier))
    idata.close()
    earlier.replace(draws)
    metadata = json.loads((tmp_path / "fit" / "fit.json").read_text())
    metadata["content_hash"] = storage._content_hash(metadata, draws)
    (tmp_path / "fit" / "fit.json").write_text(json.dumps(metadata))
    back = ml.load(tmp_path / "fit")
    assert (back.as_draws_df()["disc"] == 1.0).all()
    assert str(back.summary()) == str(fit.summary())

"""brms's habits: iter and control, summary(prob=), update(), the data's name, and warnings
that point at the user's line."""

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.inference.settings import brms_control, brms_iterations, check_thin
from multilevel.results.caller import data_name
from multilevel.spec.formula_update import update_formula

SLEEP = "Reaction ~ Days + (Days | Subject)"


# --- iter, control, thin and brms's other arguments --------------------------------------
@pytest.mark.parametrize(("iter_", "draws", "warmup", "expected"), [
    (None, None, None, (1000, 1000)),
    (2000, None, None, (1000, 1000)),
    (3001, None, None, (1501, 1500)),
    (2000, None, 500, (1500, 500)),
    (2000, 1500, 500, (1500, 500)),
    (None, 300, 200, (300, 200)),
])
def test_iter_counts_warmup_and_draws_as_brms(iter_, draws, warmup, expected):
    assert brms_iterations(iter_, draws, warmup) == expected


@pytest.mark.parametrize(("iter_", "draws", "warmup", "message"), [
    (2000, 500, None, "iter=2000 and draws=500 disagree.*gives draws=1000"),
    (1000, None, 1000, "warmup=1000 must be less than iter=1000"),
    (0, None, None, "iter must be a positive integer"),
    (2000.0, None, None, "iter must be a positive integer"),
])
def test_conflicting_or_bad_iter_is_a_settings_error(iter_, draws, warmup, message):
    with pytest.raises(ml.SettingsError, match=message):
        brms_iterations(iter_, draws, warmup)


def test_control_sets_target_accept_and_max_treedepth():
    assert brms_control(None, None, None) == (0.8, 10)
    assert brms_control({"adapt_delta": 0.95}, None, None) == (0.95, 10)
    assert brms_control({"adapt_delta": 0.9, "max_treedepth": 12}, None, None) == (0.9, 12)
    assert brms_control({"adapt_delta": 0.9}, 0.9, 11) == (0.9, 11)
    with pytest.raises(ml.SettingsError, match="control has no entry 'adapt_detla'. Did you "
                                               "mean 'adapt_delta'.*max_treedepth"):
        brms_control({"adapt_detla": 0.9}, None, None)
    with pytest.raises(ml.SettingsError, match="contradicts target_accept=0.8"):
        brms_control({"adapt_delta": 0.9}, 0.8, None)
    with pytest.raises(ml.SettingsError, match="control must be a dict"):
        brms_control([("adapt_delta", 0.9)], None, None)


def test_only_thin_1_is_accepted():
    check_thin(1)
    for thin in (2, 0, True):
        with pytest.raises(ml.SettingsError, match="thin=.* is not supported"):
            check_thin(thin)


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"iter": 2000, "draws": 500}, ml.SettingsError, "iter=2000 and draws=500 disagree"),
    ({"control": {"adapt_delta": 0.95, "stepsize": 0.1}}, ml.SettingsError,
     "control has no entry 'stepsize'"),
    ({"thin": 5}, ml.SettingsError, "thin=5 is not supported"),
    ({"backend": "cmdstanr"}, ml.SettingsError, "no argument 'backend'.*sampler="),
    ({"silent": 2}, ml.SettingsError, "no argument 'silent'.*progressbar=False"),
    ({"inits": 0}, ml.SettingsError, "no argument 'inits'"),
    ({"adapt_delta": 0.9}, ml.SettingsError, "target_accept"),
    ({"warmpu": 100}, TypeError, "unexpected keyword argument 'warmpu'. Did you mean 'warmup'"),
])
def test_brms_spellings_fail_before_sampling_with_the_python_name(small_gaussian, arguments,
                                                                  error, message):
    with pytest.raises(error, match=message):
        ml.brm("y ~ x + (1 | g)", small_gaussian, **arguments)


def test_brm_documents_its_brms_arguments():
    parameters = inspect.signature(ml.brm).parameters
    assert {"iter", "control", "thin", "data_name"} <= set(parameters)
    assert "adapt_delta" in ml.brm.__doc__ and "iter // 2" in ml.brm.__doc__


# --- update.formula ------------------------------------------------------------------------
@pytest.mark.parametrize(("new", "expected"), [
    ("~ . + x", "Reaction ~ Days + (Days | Subject) + x"),
    (". ~ . - Days", "Reaction ~ (Days | Subject)"),
    ("~ . - (Days | Subject) + (Days || Subject)", "Reaction ~ Days + (Days || Subject)"),
    ("log(.) ~ .", "log(Reaction) ~ Days + (Days | Subject)"),
    ("~ . - 1", "Reaction ~ Days + (Days | Subject) - 1"),
    ("y ~ x + (1 | g)", "y ~ x + (1 | g)"),
])
def test_dot_stands_for_the_old_side_as_in_update_formula(new, expected):
    assert update_formula(SLEEP, new) == expected


def test_update_formula_keeps_what_r_keeps():
    # a product is expanded only when one of its parts is removed, as R's terms() would
    assert update_formula("y ~ a * b + (1 | g)", ". ~ . - a:b") == "y ~ a + b + (1 | g)"
    assert update_formula("y ~ a * b", "~ . + c") == "y ~ a * b + c"
    assert update_formula("y ~ 0 + x", "~ . + 1") == "y ~ x"
    assert update_formula("y ~ 1 + x", "~ . + z") == "y ~ 1 + x + z"
    assert update_formula("y | trials(n) ~ x", ". ~ . + z") == "y | trials(n) ~ x + z"
    assert update_formula("y ~ x", ". ~ . - x") == "y ~ 1"


@pytest.mark.parametrize(("new", "message"), [
    (". ~ . - Dayz", "Cannot remove 'Dayz'.*terms are 'Days', '\\(Days \\| Subject\\)'"),
    ("~ .:x", "use it as a term of its own"),
    ("~ . + x ~ z", "needs exactly one '~'"),
    ("~ - .", "would remove every term"),
])
def test_a_bad_update_formula_is_a_formula_error(new, message):
    with pytest.raises(ml.FormulaError, match=message):
        update_formula(SLEEP, new)


# --- the data's name -----------------------------------------------------------------------
def test_the_data_is_named_after_the_callers_variable(sleepstudy):
    my_sleep = sleepstudy.copy()
    assert data_name(my_sleep) == "my_sleep"
    assert data_name(my_sleep, "Sleep study") == "Sleep study"
    # no variable holds it: the name load_dataset gave it, else brms's "data"
    assert data_name(sleepstudy.copy()) == "sleepstudy"
    assert data_name(pd.DataFrame({"y": [1.0]})) == "data"


def test_the_data_is_named_in_the_frame_that_called_the_package(sleepstudy):
    def analysis(frame):
        return data_name(frame)

    assert analysis(sleepstudy.copy()) == "frame"


# --- warnings at the user's line ----------------------------------------------------------
def test_pipeline_warnings_point_at_the_users_line(sleepstudy):
    data = sleepstudy.copy()
    data.loc[[0, 3], "Reaction"] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        ml.get_prior("Reaction ~ Days", data, prior=ml.prior("exponential(1)", coef="Days"))
    assert [str(w.message).split(":")[0] for w in caught] == [
        "Rows containing NAs were excluded from the model", "Prior exponential(1) on class 'b', "
        "coef 'Days'"]
    for warning in caught:
        assert warning.filename == __file__ and warning.lineno == line, warning
        assert warning.category is UserWarning


def test_each_warning_is_shown_once_and_filters_stay_as_they_were(sleepstudy):
    data = sleepstudy.copy()
    data.loc[0, "Reaction"] = np.nan
    filters = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ml.get_prior("Reaction ~ Days", data)
        ml.get_prior("Reaction ~ Days", data)
    # once per call, and the user's own filters still decide
    assert [str(w.message).startswith("Rows containing NAs") for w in caught] == [True, True]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message="Rows containing NAs")
        ml.get_prior("Reaction ~ Days", data)
    assert caught == []
    assert warnings.filters == filters


# --- fits ----------------------------------------------------------------------------------
SETTINGS = {"chains": 2, "iter": 300, "seed": 11, "progressbar": False}


@pytest.fixture(scope="module")
def fits(small_gaussian):
    """A fit with brms's iter and control, and two updates of it."""
    rng = np.random.default_rng(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few draws: ESS warnings are expected
        fit = ml.brm("y ~ x + (1 | g)", small_gaussian, control={"adapt_delta": 0.9},
                     prior=ml.prior("normal(0, 5)", class_="b"), **SETTINGS)
        smaller = fit.update(". ~ . - x", iter=200)
        wider = small_gaussian.assign(z=rng.normal(size=len(small_gaussian)))
        added = fit.update("~ . + z", newdata=wider,
                           prior=ml.prior("normal(0, 1)", class_="b", coef="z"))
    return fit, smaller, added


@pytest.mark.slow
def test_iter_and_control_reach_the_sampler(fits):
    fit, _, _ = fits
    assert (fit.settings.draws, fit.settings.warmup) == (150, 150)
    assert fit.settings.target_accept == 0.9
    assert fit.idata.posterior.sizes["draw"] == 150
    assert "each with iter = 300; warmup = 150" in str(fit.summary())


@pytest.mark.slow
def test_summary_takes_brms_prob(fits):
    fit, _, _ = fits
    text = str(fit.summary(prob=0.9))
    assert "Estimate Est.Error l-90% CI u-90% CI Rhat Bulk_ESS Tail_ESS" in text
    fixed = fit.summary(prob=0.9).fixed
    expected = np.quantile(fit.draws.column("b_x"), [0.05, 0.95])
    np.testing.assert_allclose(fixed.loc["x", ["l-90% CI", "u-90% CI"]], expected)
    assert "l-95% CI" in str(fit.summary())
    assert "l-80% CI" in fit.summary(prob=0.8)._repr_html_()
    for bad in (95, 0, 1.0, "0.9"):
        with pytest.raises(ml.SettingsError, match="prob must be a number strictly between"):
            fit.summary(prob=bad)
    assert list(fit.fixef(probs=(0.1, 0.9)).columns) == ["Estimate", "Est.Error", "Q10", "Q90"]


@pytest.mark.slow
def test_the_summary_names_the_users_data_variable(fits, small_gaussian):
    fit, smaller, added = fits
    # the names of the fixture's variables
    assert fit.data_name == "small_gaussian"
    assert smaller.data_name == "small_gaussian"
    assert added.data_name == "wider"
    assert "   Data: wider (Number of observations: 60) " in str(added.summary())


@pytest.mark.slow
def test_update_keeps_family_priors_and_settings_unless_changed(fits):
    fit, smaller, added = fits
    assert smaller.formula == "y ~ (1 | g)"
    assert (smaller.settings.draws, smaller.settings.warmup) == (100, 100)
    assert smaller.settings.chains == 2 and smaller.settings.target_accept == 0.9
    assert smaller.settings.seed == 11 and smaller.family.name == "gaussian"
    assert added.formula == "y ~ x + (1 | g) + z"
    assert (added.settings.draws, added.settings.warmup) == (150, 150)
    prior = added.prior.set_index(["class", "coef"])["prior"]
    assert prior[("b", "x")] == "normal(0, 5)" and prior[("b", "z")] == "normal(0, 1)"
    assert "b_z" in added.posterior_summary().index


@pytest.mark.slow
def test_update_asks_for_newdata_when_the_formula_needs_a_new_column(fits):
    fit, _, _ = fits
    with pytest.raises(ml.FormulaError, match="Column 'w' .* give the data again: "
                                              "fit.update\\(..., newdata=data\\)"):
        fit.update("~ . + w")


@pytest.mark.slow
def test_a_loaded_fit_can_be_updated(fits, tmp_path):
    fit, _, _ = fits
    fit.save(tmp_path / "fit")
    loaded = ml.load(tmp_path / "fit")
    with pytest.raises(ml.SettingsError, match="iter=10 and draws=500 disagree"):
        loaded.update(iter=10, draws=500)


# --- brms's accessors of the sampler's output -----------------------------------------------
@pytest.mark.slow
def test_sampler_output_as_brms_accessors_give_it(fits):
    import arviz as az

    fit, _, _ = fits
    posterior, stats = fit.idata.posterior, fit.idata.sample_stats
    assert fit.ndraws() == posterior.sizes["chain"] * posterior.sizes["draw"] == 300
    # rstan's classic split R-hat and ESS of the mean, as brms's rhat() and neff_ratio()
    sigma = posterior["sigma"].values
    assert fit.rhat()["sigma"] == pytest.approx(float(az.rhat(sigma, method="split")))
    assert fit.rhat("sigma")["sigma"] != pytest.approx(float(az.rhat(sigma, method="rank")),
                                                      abs=1e-12)
    assert fit.neff_ratio(["b_x", "sigma"])["sigma"] == pytest.approx(
        float(az.ess(sigma, method="mean")) / 300)
    assert list(fit.rhat().index) == list(fit.as_draws_df().columns[:-3])
    nuts = fit.nuts_params()
    assert list(nuts.columns) == ["Chain", "Iteration", "Parameter", "Value"]
    divergent = nuts[nuts["Parameter"] == "divergent__"]
    assert len(divergent) == 300 and divergent["Value"].sum() == stats["diverging"].sum()
    assert {"accept_stat__", "stepsize__", "treedepth__", "n_leapfrog__",
            "energy__"} <= set(nuts["Parameter"])
    lp = fit.log_posterior()
    np.testing.assert_array_equal(lp["Value"], stats["lp"].values.reshape(-1))
    assert lp[["Chain", "Iteration"]].iloc[150].tolist() == [2, 1]
    interval = fit.posterior_interval(prob=0.9, variables=["b_x"])
    assert list(interval.columns) == ["5%", "95%"]
    np.testing.assert_allclose(interval.loc["b_x"],
                               np.quantile(fit.draws.column("b_x"), [0.05, 0.95]))
    assert fit.prior_summary().equals(fit.prior)
    with pytest.raises(ml.MultilevelError, match="No parameter 'b_X'.*b_Intercept"):
        fit.rhat("b_X")


@pytest.mark.parametrize(("name", "ours"), [("VarCorr", r"fit\.varcorr\(\)"),
                                            ("stancode", r"fit\.model_code\(\)"),
                                            ("posterior_samples", r"fit\.as_draws_df\(\)"),
                                            ("pairs", r'fit\.mcmc_plot\(type="pairs"\)')])
def test_brms_names_spelled_otherwise_point_at_ours(name, ours):
    from multilevel.results.sampler_output import SamplerOutput

    with pytest.raises(AttributeError, match=rf"brms's {name}\(\) is {ours}"):
        getattr(SamplerOutput(), name)
    with pytest.raises(AttributeError, match="has no attribute 'varcor'"):
        SamplerOutput().varcor  # noqa: B018

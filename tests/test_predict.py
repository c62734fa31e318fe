"""Post-processing against brms (../shared/reference/postproc_*.json): fitted(), predict(),
loo(), bayes_R2() and hypothesis() of the sleepstudy and rats models."""

import functools
import json
import warnings
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel import blocks
from multilevel.results import predict, psis
from multilevel.results.criteria import attach_log_lik
from reference import load_reference

pytestmark = pytest.mark.slow

# The reference does not record the ESS of its fitted values; 1000 is below the bulk ESS brms
# reported for every parameter of the same fit (smallest 1033), so it overstates brms's MCSE.
BRMS_ESS = 1000


@functools.cache
def _fitted_reference(name: str):
    reference = load_reference(name)
    fit = ml.brm(reference["formula"], ml.load_dataset(reference["data"]),
                 family=reference["family"], seed=20261123, progressbar=False)
    return reference, fit, pd.DataFrame(reference["newdata"])


@pytest.fixture(scope="module", params=["postproc_sleep_full", "postproc_rats"])
def postproc(request):
    return _fitted_reference(request.param)


@pytest.fixture(scope="module")
def sleep_fit():
    return _fitted_reference("postproc_sleep_full")


def _mismatches(draws: np.ndarray, brms_rows: list[dict], chains: int) -> list[str]:
    problems = []
    per_chain = draws.reshape(chains, -1, draws.shape[1])
    for row, expected in enumerate(brms_rows):
        values = draws[:, row]
        ess = float(az.ess(per_chain[:, :, row]))
        mcse = np.sqrt(expected["Est.Error"] ** 2 / BRMS_ESS + values.std(ddof=1) ** 2 / ess)
        if abs(values.mean() - expected["Estimate"]) > 4 * mcse:
            problems.append(f"row {row}: mean {values.mean():.2f}, brms {expected['Estimate']:.2f}")
        if abs(values.std(ddof=1) / expected["Est.Error"] - 1) > 0.15:
            problems.append(f"row {row}: sd {values.std(ddof=1):.2f}, "
                            f"brms {expected['Est.Error']:.2f}")
    return problems


@pytest.mark.parametrize(
    ("key", "kwargs"),
    [
        ("fitted_old_and_new", {"allow_new_levels": True}),
        ("fitted_new_gaussian", {"allow_new_levels": True, "sample_new_levels": "gaussian"}),
        ("fitted_population", {"re_formula": "~0"}),
    ],
)
def test_fitted_values_equal_brms(postproc, key, kwargs):
    reference, fit, newdata = postproc
    draws = fit.posterior_epred(newdata, seed=4, **kwargs)
    assert _mismatches(draws, reference[key], fit.settings.chains) == []


def test_predictive_intervals_equal_brms(postproc):
    reference, fit, newdata = postproc
    draws = fit.posterior_predict(newdata, allow_new_levels=True, seed=5)
    assert _mismatches(draws, reference["predict_interval"], fit.settings.chains) == []


def test_summary_false_gives_the_draws_as_brms(postproc):
    """brms's fitted(fit, summary = FALSE) and predict(fit, summary = FALSE): the draws."""
    _, fit, newdata = postproc
    options = {"allow_new_levels": True, "seed": 6}
    np.testing.assert_array_equal(fit.fitted(newdata, summary=False, **options),
                                  fit.posterior_epred(newdata, **options))
    np.testing.assert_array_equal(fit.predict(newdata, summary=False, **options),
                                  fit.posterior_predict(newdata, **options))


def _batch_mcse(fit, statistic, batches: int = 8) -> float:
    """Monte Carlo SE of a statistic of the draws by batch means: the statistic on each of
    ``batches`` consecutive blocks of every chain's draws, sd / sqrt(batches)."""
    posterior = fit.idata.posterior
    draws = posterior.sizes["draw"]
    size = draws * fit.settings.chains // batches
    per_chain = batches // fit.settings.chains
    values = []
    for chain in range(fit.settings.chains):
        for k in range(per_chain):
            start = chain * draws + k * (draws // per_chain)
            values.append(statistic(np.arange(start, start + size)))
    return float(np.std(values, ddof=1) / np.sqrt(batches))


def test_loo_equals_brms(postproc):
    reference, fit, _ = postproc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fit.loo()
    log_lik = fit.log_lik()

    def elpd_of(rows):
        sub = az.from_dict(log_likelihood={"y": log_lik[rows][None]})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(az.loo(sub, var_name="y", reff=1.0).elpd_loo)

    # brms's MC error is not recorded; it drew as many draws, so take it equal to ours
    tolerance = 4 * np.sqrt(2) * _batch_mcse(fit, elpd_of)
    assert abs(result.elpd - reference["loo"]["elpd_loo"]) < tolerance
    assert abs(result.p - reference["loo"]["p_loo"]) < tolerance
    assert result.estimates.loc["looic", "Estimate"] == pytest.approx(-2 * result.elpd)
    assert result.estimates["SE"].to_numpy() == pytest.approx(
        [reference["loo_se"][k] for k in ("elpd_loo", "p_loo", "looic")], rel=0.15)


def test_bayes_r2_equals_brms(postproc):
    reference, fit, _ = postproc
    draws = fit.bayes_R2(summary=False)
    ess = float(az.ess(draws.reshape(fit.settings.chains, -1)))
    mcse = np.sqrt(draws.var(ddof=1) / ess + reference["bayes_R2"]["Est.Error"] ** 2 / BRMS_ESS)
    table = fit.bayes_R2()
    assert list(table.index) == ["R2"]
    assert abs(table.loc["R2", "Estimate"] - reference["bayes_R2"]["Estimate"]) < 4 * mcse
    assert table.loc["R2", "Est.Error"] == pytest.approx(reference["bayes_R2"]["Est.Error"],
                                                         rel=0.15)


LOO_R2 = json.loads((Path(__file__).parent / "reference" / "postproc" / "loo_r2.json")
                    .read_text())


def test_loo_r2_equals_brms(postproc):
    """brms's loo_R2() of the same models (tests/reference/postproc/make_loo_r2.R)."""
    reference, fit, _ = postproc
    brms = LOO_R2[{"sleep_full": "sleepstudy", "rats": "rats"}[reference["id"]]]
    assert brms["formula"] == reference["formula"]
    expected = brms["loo_R2"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = fit.loo_R2(seed=2)
        draws = fit.loo_R2(summary=False, seed=2)
    # both models have observations whose Pareto k is above 0.7, and brms warns of them too
    unreliable = [w for w in caught if "Pareto k diagnostic values are too high" in str(w.message)
                  and w.filename == __file__]
    assert len(unreliable) == 2
    assert table.index.tolist() == ["R2"]
    assert table.loc["R2", "Est.Error"] == pytest.approx(expected["Est.Error"], rel=0.15)
    assert draws.mean() == table.loc["R2", "Estimate"]
    if reference["id"] == "rats":
        # one observation per batch: PSIS is unreliable for two in five of them, and their
        # leave-one-out predictions move the estimate beyond what batch means measure
        return
    log_lik, epred = fit.log_lik(), fit.posterior_epred()
    y = np.asarray(fit.design.y, dtype=float)
    bootstrap = np.random.default_rng(3).exponential(size=(1000, len(y)))
    bootstrap /= bootstrap.sum(axis=1, keepdims=True)

    def estimate_of(rows):
        errors = psis.loo_expectation(log_lik[rows][None], epred[rows])[0] - y
        return float(np.mean(1 - _weighted_variance(bootstrap, errors)
                             / _weighted_variance(bootstrap, y)))

    # the posterior draws' part of the error by batch means, and each side's bootstrap part
    mcse = np.sqrt(2 * _batch_mcse(fit, estimate_of) ** 2
                   + (table.loc["R2", "Est.Error"] ** 2 + expected["Est.Error"] ** 2) / len(draws))
    assert abs(table.loc["R2", "Estimate"] - expected["Estimate"]) < 4 * mcse


def _weighted_variance(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    return weights @ values**2 - (weights @ values) ** 2


def _brms_hypothesis_text(text: str) -> str:
    # brms writes "(Days)-(5) > 0" for "Days > 5" and "(Intercept)-(-1.5) < 0" for
    # "Intercept < -1.5"; rebuild our input from its printed form
    left, rest = text.split(")-(", 1)
    right, sign = rest.rsplit(") ", 1)
    return f"{left[1:]} {sign.split()[0]} {right}"


def test_hypothesis_equals_brms(postproc):
    reference, fit, _ = postproc
    expected = reference["hypothesis"][0]
    table = fit.hypothesis(_brms_hypothesis_text(expected["Hypothesis"]))
    row = table.iloc[0]
    assert row["Hypothesis"].replace(" ", "") == expected["Hypothesis"].replace(" ", "")
    assert list(table.columns) == ["Hypothesis", "Estimate", "Est.Error", "CI.Lower",
                                   "CI.Upper", "Evid.Ratio", "Post.Prob", "Star"]
    draws = fit.as_draws_df()
    ess = float(az.ess(draws["b_Intercept" if "Intercept" in expected["Hypothesis"]
                             else "b_Days"].to_numpy().reshape(fit.settings.chains, -1)))
    mcse = np.sqrt(row["Est.Error"] ** 2 / ess + expected["Est.Error"] ** 2 / BRMS_ESS)
    assert abs(row["Estimate"] - expected["Estimate"]) < 4 * mcse
    probability = (row["Post.Prob"] + expected["Post.Prob"]) / 2
    probability_mcse = np.sqrt(probability * (1 - probability) * (1 / ess + 1 / BRMS_ESS))
    assert abs(row["Post.Prob"] - expected["Post.Prob"]) <= 4 * probability_mcse
    assert row["Star"] == expected["Star"]


def _median_and_mad(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    median = np.median(values, axis=0)
    return median, 1.4826 * np.median(np.abs(values - median), axis=0)


@pytest.mark.slow
def test_robust_summaries_are_medians_and_mads(sleep_fit):
    """brms's robust = TRUE: the median and R's mad() as Estimate and Est.Error, in every
    summary; the quantiles stay as they are."""
    _, fit, _ = sleep_fit
    draws = fit.as_draws_df()
    median, mad = _median_and_mad(draws[["b_Days", "sigma"]].to_numpy())
    robust = fit.posterior_summary(robust=True).loc[["b_Days", "sigma"]]
    np.testing.assert_allclose(robust["Estimate"], median)
    np.testing.assert_allclose(robust["Est.Error"], mad)
    pd.testing.assert_series_equal(robust["Q2.5"], fit.posterior_summary().loc[
        ["b_Days", "sigma"], "Q2.5"])
    assert fit.fixef(robust=True).loc["Days", "Estimate"] == pytest.approx(median[0])
    days = draws.filter(like="r_Subject[").filter(like=",Days]").to_numpy()
    np.testing.assert_allclose(fit.ranef(robust=True)["Subject"]["Days"]["Estimate"],
                               _median_and_mad(days)[0])
    sd = fit.varcorr(robust=True)["Subject"]["sd"]
    assert sd.loc["Days", "Est.Error"] == pytest.approx(
        _median_and_mad(draws[["sd_Subject__Days"]].to_numpy())[1][0])
    epred = fit.posterior_epred()
    np.testing.assert_allclose(fit.fitted(robust=True)[["Estimate", "Est.Error"]].T,
                               _median_and_mad(epred))
    assert fit.summary(robust=True).fixed.loc["Days", "Estimate"] == pytest.approx(median[0])


@pytest.mark.slow
def test_unsummarised_effects_are_their_draws(sleep_fit):
    """brms's fixef(), ranef() and coef() with summary = FALSE: the draws, whose summaries
    are the tables."""
    _, fit, _ = sleep_fit
    draws = fit.fixef(summary=False)
    assert list(draws.columns) == list(fit.fixef().index)
    np.testing.assert_allclose(draws.mean(), fit.fixef()["Estimate"])
    for method in (fit.ranef, fit.coef):
        array = method(summary=False)["Subject"]
        assert array.dims == ("draw", "Subject", "coef")
        table = method()["Subject"]
        np.testing.assert_allclose(array.sel(coef="Days").mean("draw"),
                                   table["Days"]["Estimate"])
        assert list(array["Subject"].values) == list(table.index)


@pytest.mark.slow
def test_hypotheses_of_each_level_are_brms_coef_and_ranef_scopes(sleep_fit):
    _, fit, _ = sleep_fit
    levels = fit.design.group_levels("Subject")
    table = fit.hypothesis(["Days > 8", "Intercept = 250"], scope="coef", group="Subject")
    assert list(table.columns[:2]) == ["Group", "Hypothesis"]
    # hypothesis by hypothesis, each level in turn, as brms orders them
    assert table["Group"].tolist() == levels * 2
    assert table["Hypothesis"].tolist() == ["(Days)-(8) > 0"] * len(levels) + [
        "(Intercept)-(250) = 0"] * len(levels)
    coef = fit.coef()["Subject"]
    np.testing.assert_allclose(table["Estimate"][:len(levels)], coef["Days"]["Estimate"] - 8)
    np.testing.assert_allclose(table["Est.Error"][len(levels):], coef["Intercept"]["Est.Error"])
    assert np.isnan(table["Evid.Ratio"][len(levels):]).all()
    assert "Hypothesis Tests for class :" in str(table)
    ranef = fit.hypothesis("Days = 0", scope="ranef", group="Subject")
    np.testing.assert_allclose(ranef["Estimate"], fit.ranef()["Subject"]["Days"]["Estimate"])
    with pytest.raises(ml.MultilevelError, match="group should be one of 'Subject'"):
        fit.hypothesis("Days > 0", scope="coef", group="Subjects")
    # a grouping factor's parameters of a class, and brms's robust estimates
    sds = fit.hypothesis("Days < Intercept", class_="sd", group="Subject", robust=True)
    draws = fit.as_draws_df()
    difference = draws["sd_Subject__Days"] - draws["sd_Subject__Intercept"]
    assert sds.loc[1, "Estimate"] == pytest.approx(np.median(difference))
    assert sds.loc[1, "Est.Error"] == pytest.approx(
        1.4826 * np.median(np.abs(difference - np.median(difference))))
    assert "Hypothesis Tests for class sd_Subject:" in str(sds)


@pytest.mark.slow
def test_predictive_and_loo_intervals_and_vcov_as_brms(sleep_fit):
    _, fit, newdata = sleep_fit
    interval = fit.predictive_interval(prob=0.8, newdata=newdata, allow_new_levels=True,
                                       seed=4)
    draws = fit.posterior_predict(newdata=newdata, allow_new_levels=True, seed=4)
    assert list(interval.columns) == ["10%", "90%"]
    np.testing.assert_allclose(interval.to_numpy(), np.quantile(draws, [0.1, 0.9], axis=0).T)
    # leave-one-out: the PSIS-weighted mean of the linear predictor, loo's E_loo()
    expected, _ = psis.loo_expectation(attach_log_lik(fit).to_numpy(),
                                       fit.posterior_linpred())
    np.testing.assert_allclose(fit.loo_linpred(), expected)
    loo_interval = fit.loo_predictive_interval()
    assert list(loo_interval.columns) == ["5%", "95%"] and len(loo_interval) == fit.nobs
    assert (loo_interval["5%"] < fit.loo_predict()).all()
    with pytest.raises(ml.MultilevelError, match="type must be one of 'mean', 'quantile'"):
        fit.loo_predict(type="var")
    b = fit.as_draws_df()[["b_Intercept", "b_Days"]]
    np.testing.assert_allclose(fit.vcov().to_numpy(), np.cov(b.to_numpy().T))
    assert list(fit.vcov(correlation=True).index) == ["Intercept", "Days"]


def test_loo_compare_orders_models(sleep_fit):
    reference, fit, _ = sleep_fit
    import warnings

    simpler = ml.brm("Reaction ~ Days + (1 | Subject)", ml.load_dataset("sleepstudy"),
                     seed=1, progressbar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = ml.loo_compare(simpler, full=fit)
        waic_table = ml.loo_compare(simpler, full=fit, criterion="waic")
    assert list(table.index) == ["full", "model1"]
    assert table.loc["full", "elpd_diff"] == 0.0
    # brms's loo_compare: the sum and sd of the pointwise differences to the best model
    assert table.loc["model1", "elpd_diff"] < 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        difference = (simpler.loo().pointwise["elpd_loo"] - fit.loo().pointwise["elpd_loo"])
    assert table.loc["model1", "se_diff"] == pytest.approx(
        np.sqrt(len(difference) * difference.var(ddof=1)))
    assert table.loc["model1", "elpd_diff"] == pytest.approx(difference.sum())
    assert table.loc["model1", "elpd_diff"] == pytest.approx(
        table.loc["model1", "elpd_loo"] - table.loc["full", "elpd_loo"])
    assert list(waic_table.index) == ["full", "model1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = ml.loo_model_weights(simpler, full=fit)
    assert list(weights.index) == ["model1", "full"] and weights.sum() == pytest.approx(1.0)
    assert weights["full"] > 0.5  # the model with varying slopes predicts left-out days best
    # brms's Akaike-type weights: exp(-looic / 2), normalised
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        akaike = ml.model_weights(simpler, full=fit, weights="loo")
        looic = np.array([simpler.loo().estimates.loc["looic", "Estimate"],
                          fit.loo().estimates.loc["looic", "Estimate"]])
    relative = np.exp(-(looic - looic.min()) / 2)
    np.testing.assert_allclose(akaike.to_numpy(), relative / relative.sum(), rtol=1e-9)
    # brms's "bma" weights are posterior model probabilities from bridge sampling
    with pytest.raises(ml.MultilevelError, match=r"save_pars=ml.save_pars\(all=True\)"):
        ml.model_weights(simpler, fit, weights="bma")
    rats = _fitted_reference("postproc_rats")[1]
    with pytest.raises(ml.MultilevelError, match="same observations"):
        ml.loo_compare(fit, rats)


def test_icc_is_the_intercept_variance_share(sleep_fit):
    _, fit, _ = sleep_fit
    draws = fit.as_draws_df()
    share = draws["sd_Subject__Intercept"] ** 2 / (draws["sd_Subject__Intercept"] ** 2
                                                   + draws["sigma"] ** 2)
    table = fit.icc()
    assert list(table.index) == ["Subject"]
    assert table.loc["Subject", "Estimate"] == pytest.approx(share.mean())
    assert table.loc["Subject", "Q2.5"] < table.loc["Subject", "Estimate"] < table.loc[
        "Subject", "Q97.5"]


def test_fitted_and_predict_summaries(sleep_fit):
    _, fit, newdata = sleep_fit
    table = fit.fitted(newdata.iloc[:3])
    assert list(table.columns) == ["Estimate", "Est.Error", "Q2.5", "Q97.5"]
    assert len(fit.fitted()) == fit.nobs
    population = fit.fitted(newdata, re_formula=False)
    np.testing.assert_allclose(population["Estimate"].iloc[:3], population["Estimate"].iloc[3:])
    subset = fit.posterior_linpred(newdata.iloc[:3], re_formula="~ (1 | Subject)")
    full = fit.posterior_linpred(newdata.iloc[:3])
    assert not np.allclose(subset, full)
    assert fit.posterior_epred(ndraws=100, seed=1).shape == (100, fit.nobs)
    # a parameter held constant over the rows is its draws for every row, on either scale
    sigma = fit.idata.posterior["sigma"].values.reshape(-1, 1)
    for transform in (False, True):
        held = fit.posterior_linpred(newdata.iloc[:3], dpar="sigma", transform=transform)
        np.testing.assert_array_equal(held, np.repeat(sigma, 3, axis=1))


def test_residuals_are_the_response_less_the_predictions_as_brms(sleep_fit):
    """brms's residuals(): y minus posterior_epred draws (by default), posterior_predict or
    posterior_linpred ones, summarised per row or as draws; predictive_error(): y minus
    posterior_predict draws; pearson divides by the predictive sd, with brms's warning."""
    _, fit, _ = sleep_fit
    y = fit.design.data["Reaction"].to_numpy()
    options = {"ndraws": 300, "seed": 8}
    errors = fit.residuals(summary=False, **options)
    np.testing.assert_array_equal(errors, y - fit.posterior_epred(**options))
    table = fit.residuals(**options)
    assert table.columns.tolist() == ["Estimate", "Est.Error", "Q2.5", "Q97.5"]
    np.testing.assert_allclose(table["Estimate"], errors.mean(axis=0))
    np.testing.assert_allclose(table["Q97.5"], np.quantile(errors, 0.975, axis=0))
    predicted = fit.posterior_predict(**options)
    np.testing.assert_array_equal(fit.predictive_error(**options), y - predicted)
    np.testing.assert_array_equal(
        fit.residuals(method="posterior_predict", summary=False, **options), y - predicted)
    np.testing.assert_array_equal(
        fit.residuals(method="posterior_linpred", re_formula="~0", summary=False, **options),
        y - fit.posterior_linpred(re_formula="~0", **options))
    with pytest.warns(FutureWarning, match="Type 'pearson' is deprecated"):
        pearson = fit.residuals(type="pearson", summary=False, **options)
    np.testing.assert_allclose(pearson, errors / predicted.std(axis=0, ddof=1))
    # new rows bring their response; without it, the error names the column
    rows = fit.design.data.iloc[[0, 17]]
    np.testing.assert_allclose(fit.residuals(rows, **options)["Estimate"],
                               table["Estimate"].to_numpy()[[0, 17]])
    with pytest.raises(ml.MultilevelError, match="Column 'Reaction' used in the response"):
        fit.residuals(rows.drop(columns="Reaction"))
    with pytest.raises(ml.MultilevelError, match="method must be one of posterior_epred"):
        fit.residuals(method="fitted")
    with pytest.raises(ml.MultilevelError, match="type must be one of ordinary, pearson"):
        fit.residuals(type="deviance")
    assert fit.ngrps() == {"Subject": 18}


def test_prediction_errors_name_the_level(sleep_fit):
    _, fit, newdata = sleep_fit
    with pytest.raises(ml.DataError, match="'new' of 'Subject'.*allow_new_levels=True"):
        fit.fitted(newdata)
    with pytest.raises(ml.FormulaError, match="Column 'Days'"):
        fit.fitted(newdata.drop(columns="Days"))
    with pytest.raises(ml.MultilevelError, match="sample_new_levels must be one of"):
        fit.fitted(newdata, allow_new_levels=True, sample_new_levels="random")
    with pytest.raises(ml.MultilevelError, match="grouping factor 'Batch'"):
        fit.fitted(newdata, re_formula="~ (1 | Batch)")


def test_unknown_factor_level_of_a_predictor_is_an_error():
    data = pd.DataFrame({"y": np.linspace(0, 1, 40), "grp": ["a", "b"] * 20,
                         "g": np.repeat(np.arange(4), 10)})
    fit = ml.brm("y ~ grp + (1 | g)", data, chains=2, draws=200, warmup=200, seed=1,
                 progressbar=False)
    with pytest.raises(ml.DataError, match="Column 'grp' of newdata has level\\(s\\) 'c'"):
        fit.fitted(pd.DataFrame({"grp": ["c"], "g": [0]}))
    assert fit.fitted(pd.DataFrame({"grp": ["b"], "g": [0]})).shape == (1, 4)


def test_a_grouping_factor_named_like_a_parameter():
    # a factor called "b" must not clash with the population coefficients "b" in the draws
    rng = np.random.default_rng(2)
    data = pd.DataFrame({"b": np.repeat(np.arange(8), 10), "x": rng.normal(size=80)})
    data["y"] = 1 + 0.5 * data["x"] + rng.normal(size=8)[data["b"]] + rng.normal(size=80)
    fit = ml.brm("y ~ x + (1 | b)", data, chains=2, draws=200, warmup=200, seed=1,
                 progressbar=False)
    assert fit.idata.posterior["b"].dims[-1] == "b_coef"
    assert fit.idata.posterior["r_b"].sizes["b_level"] == 8
    assert list(fit.ranef()["b"].index) == [str(k) for k in range(8)]
    assert fit.log_lik().shape == (400, 80)


@pytest.mark.parametrize("block_values", [None, 3 * 5], ids=["one_block", "blocks_of_five_rows"])
def test_group_effects_enter_the_linear_predictor_at_each_rows_level(block_values, monkeypatch):
    if block_values is not None:
        monkeypatch.setattr(blocks, "BLOCK_VALUES", block_values)
    rng = np.random.default_rng(8)
    draws, levels, rows = 3, 4, 12
    effects = rng.normal(size=(draws, levels, 2))
    index = rng.integers(0, levels, size=rows)
    weights = rng.normal(size=(rows, 2))
    eta = np.ones((draws, rows))
    predict._add_group_part(eta, effects, index, weights)
    expected = 1 + sum(effects[:, index, k] * weights[:, k] for k in range(2))
    np.testing.assert_allclose(eta, expected, rtol=1e-14)

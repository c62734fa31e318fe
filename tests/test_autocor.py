"""Residual structures (brms's ``ar()``, ``ma()``, ``arma()``, ``cosy()``) against brms 2.18:
../shared/reference/sleep_ar.json and the references made with tests/reference/families."""

import json

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import pytest
from pytensor.compile.mode import Mode
from scipy import stats

import multilevel as ml
from multilevel.errors import DataError, FamilyError, FormulaError
from multilevel.model.autocor import arma_mean, cosy_log_density, unstr_log_density
from multilevel.model.build import build_model
from multilevel.priors.table import build_prior_table
from multilevel.results.autocor import (
    AutocorDraws,
    arma_linear_predictor,
    correlation_matrices,
    cosy_log_lik,
    unstr_draws,
    unstr_log_lik,
)
from multilevel.spec.design import build_design
from multilevel.spec.formula import parse_formula
from multilevel.spec.timeseries import time_series
from quick_mode import QUICK
from reference import (
    FAMILY_REFERENCE_DIR,
    family_reference_names,
    fit_with_warnings,
    load_reference,
    mixing_problems,
    posterior_mismatches,
    prior_mismatches,
    reference_variables,
)

MODELS = ["sleep_ar"] + family_reference_names("autocor")
# brms met divergent transitions in these (one in growth_ar, twelve in sleep_arma, whose ar
# runs up to 1); the fits here use brms's adapt_delta = 0.95 of sleep_ar for all of them
RARE_DIVERGENCES = {"growth_ar": 10, "sleep_arma": 40}
# half brms's draws, as the comparisons' tolerances follow both fits' ESS; growth_ar's chains
# need brms's full number to agree on its R-hat
FULL_DRAWS = {"growth_ar"}


def reference_model(name):
    if name == "sleep_ar":
        reference = load_reference(name)
        return reference, ml.load_dataset("sleepstudy"), reference["family"]
    reference = load_reference(name, FAMILY_REFERENCE_DIR)
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / reference["data"])
    return reference, data, ml.get_family(reference["family"], reference["link"])


def test_references_cover_every_structure():
    formulas = " ".join(reference_model(name)[0]["formula"] for name in MODELS)
    for call in ("ar(", "ma(", "arma(", "cosy(", "p = 2"):
        assert call in formulas


@pytest.mark.parametrize("name", MODELS)
def test_default_priors_equal_brms(name):
    reference, data, family = reference_model(name)
    table = ml.get_prior(reference["formula"], data, family)
    assert prior_mismatches(table, reference["prior"]) == []


def _brms_arma_loop(eta, y, series, ar, ma):
    """brms's Stan loop over the rows sorted by series and time."""
    order = np.lexsort((series[1], series[0]))
    sorted_series, result = series[0][order], eta[order].copy()
    errors = np.zeros(len(y))
    for n in range(len(y)):
        lagged = [errors[n - i] if n - i >= 0 and sorted_series[n - i] == sorted_series[n]
                  else 0.0 for i in range(1, max(len(ar), len(ma)) + 1)]
        result[n] += sum(coef * lag for coef, lag in zip(ma, lagged, strict=False))
        errors[n] = y[order][n] - result[n]
        result[n] += sum(coef * lag for coef, lag in zip(ar, lagged, strict=False))
    unsorted = np.empty_like(result)
    unsorted[order] = result
    return unsorted


@pytest.mark.parametrize(("p", "q"), [(1, 0), (2, 0), (0, 1), (1, 1), (2, 2)])
def test_arma_terms_follow_brms_loop_on_unsorted_rows_with_gaps(p, q):
    rng = np.random.default_rng(p * 10 + q)
    data = pd.DataFrame({"g": list("aababbbcbc"), "t": [1, 2, 1, 3, 2, 5, 4, 1, 9, 3]})
    series = time_series(parse_formula(f"y ~ arma(t, g, {p}, {q})").autocor, data)
    eta, y = rng.normal(size=len(data)), rng.normal(size=len(data))
    ar, ma = rng.normal(0, 0.5, size=p), rng.normal(0, 0.5, size=q)
    expected = _brms_arma_loop(eta, y, (series.series, data["t"].to_numpy()), ar, ma)
    with pm.Model():
        model_mean = arma_mean(pt.as_tensor(eta), pt.as_tensor(y), series,
                               pt.as_tensor(ar) if p else None,
                               pt.as_tensor(ma) if q else None).eval(mode=QUICK)
    draws = AutocorDraws(series, ar[None] if p else None, ma[None] if q else None)
    predicted = arma_linear_predictor(eta[None], y, draws, None, {}, rng)[0]
    assert np.allclose(model_mean, expected)
    assert np.allclose(predicted, expected)


def _brute_force_densities(y, mu, sigma, nu, series, correlation_of):
    """The joint log density and each row's density given the rest of its series, from
    the covariance matrix of each series."""
    joint, conditional = 0.0, np.empty(len(y))
    for group in range(len(series.series_labels)):
        rows = np.flatnonzero(series.series == group)
        rows = rows[np.argsort(series.time_index[rows])]
        size = len(rows)
        cov = np.outer(sigma[rows], sigma[rows]) * correlation_of(series.time_index[rows])
        if nu is None:
            joint += stats.multivariate_normal(mu[rows], cov).logpdf(y[rows])
        else:
            joint += stats.multivariate_t(mu[rows], cov, df=nu).logpdf(y[rows])
        precision = np.linalg.inv(cov)
        gradient = precision @ (y[rows] - mu[rows])
        location = y[rows] - gradient / np.diag(precision)
        scale = np.sqrt(1 / np.diag(precision))
        if nu is None:
            conditional[rows] = stats.norm.logpdf(y[rows], location, scale)
            continue
        for k, row in enumerate(rows):
            rest = np.arange(size) != k
            residual = (y[rows] - mu[rows])[rest]
            others = residual @ np.linalg.solve(cov[np.ix_(rest, rest)], residual)
            df = nu + size - 1
            conditional[row] = stats.t.logpdf(y[row], df, location[k],
                                              scale[k] * np.sqrt((nu + others) / df))
    return joint, conditional


UNEQUAL_SERIES = pd.DataFrame({"g": list("aababbbcbcc"), "t": [1, 2, 1, 3, 2, 5, 4, 1, 7, 2, 3]})


@pytest.mark.parametrize("nu", [None, 5.0])
@pytest.mark.parametrize("structure", ["cosy", "unstr"])
def test_joint_and_conditional_densities_are_multivariate(structure, nu):
    rng = np.random.default_rng(5)
    series = time_series(parse_formula(f"y ~ {structure}(t, g)").autocor, UNEQUAL_SERIES)
    rows = len(UNEQUAL_SERIES)
    y, mu = rng.normal(size=rows), rng.normal(size=rows)
    sigma = np.abs(rng.normal(size=rows)) + 0.5
    nu_tensor = None if nu is None else pt.as_tensor(nu)
    aux = {"sigma": sigma[None]} | ({} if nu is None else {"nu": np.full((1, 1), nu)})
    if structure == "cosy":
        cosy = 0.4
        with pm.Model():
            joint = cosy_log_density(pt.as_tensor(y - mu), pt.as_tensor(sigma), series,
                                     pt.as_tensor(cosy), nu_tensor).eval(mode=QUICK)
        pointwise = cosy_log_lik(y, mu[None], aux, AutocorDraws(series, cosy=np.array([cosy])))

        def correlation_of(times):
            return (1 - cosy) * np.eye(len(times)) + cosy
    else:
        size = len(series.time_labels)
        pairs = rng.uniform(-0.3, 0.6, size=size * (size - 1) // 2)
        correlation = correlation_matrices(pairs[None], size)[0]
        with pm.Model():
            joint = unstr_log_density(pt.as_tensor(y - mu), pt.as_tensor(sigma), series,
                                      pt.as_tensor(np.linalg.cholesky(correlation)),
                                      nu_tensor).eval(mode=QUICK)
        pointwise = unstr_log_lik(y, mu[None], aux, AutocorDraws(series, cortime=pairs[None]))

        def correlation_of(times):
            return correlation[np.ix_(times, times)]
    expected_joint, expected_conditional = _brute_force_densities(y, mu, sigma, nu, series,
                                                                  correlation_of)
    assert float(joint) == pytest.approx(expected_joint, rel=1e-8)
    assert np.allclose(pointwise[0], expected_conditional)


def test_unstructured_draws_have_the_correlations_of_their_time_points():
    rng = np.random.default_rng(6)
    series = time_series(parse_formula("y ~ unstr(t, g)").autocor, UNEQUAL_SERIES)
    size = len(series.time_labels)
    pairs = rng.uniform(0.2, 0.6, size=size * (size - 1) // 2)
    draws = 40_000
    predicted = unstr_draws(rng, np.zeros((draws, len(UNEQUAL_SERIES))),
                            {"sigma": np.full((draws, 1), 2.0)},
                            AutocorDraws(series, cortime=np.tile(pairs, (draws, 1))))
    correlation = correlation_matrices(pairs[None], size)[0]
    # rows 0 and 3: series a's times 1 and 3; rows 2 and 5: b's 1 and 5; rows 7 and 10: c's
    # 1 and 3; rows 0 and 4 are in different series
    for first, second in [(0, 3), (2, 5), (7, 10), (0, 4)]:
        same = series.series[first] == series.series[second]
        expected = correlation[series.time_index[first], series.time_index[second]] * same
        observed = np.corrcoef(predicted[:, first], predicted[:, second])[0, 1]
        assert abs(observed - expected) < 4 * (1 - expected**2) / np.sqrt(draws)
    assert predicted.std(axis=0) == pytest.approx(2.0, rel=0.03)


def _log_density_at_a_point(formula, data):
    design = build_design(parse_formula(formula), data, ml.get_family("gaussian"))
    model, _ = build_model(design, build_prior_table(design))
    point = model.initial_point()
    rng = np.random.default_rng(2)
    point = {name: value + rng.normal(0, 0.3, size=np.shape(value))
             for name, value in point.items()}
    # unrewritten: PyTensor's Python implementation of an addition of more than 32 terms (as
    # fast_compile merges the unstructured model's) fails on NumPy's limit of operands
    return float(model.compile_logp(mode=Mode(linker="py", optimizer=None))(point))


@pytest.mark.parametrize("structure", ["ar(time = Days, gr = Subject, p = 2)",
                                       "arma(time = Days, gr = Subject)",
                                       "cosy(time = Days, gr = Subject)",
                                       "unstr(time = Days, gr = Subject)"])
def test_row_order_does_not_change_the_model(structure):
    data = ml.load_dataset("sleepstudy")
    formula = f"Reaction ~ Days + (1 | Subject) + {structure}"
    shuffled = data.sample(frac=1.0, random_state=4).reset_index(drop=True)
    assert _log_density_at_a_point(formula, shuffled) == pytest.approx(
        _log_density_at_a_point(formula, data), rel=1e-10)


@pytest.mark.parametrize(("formula", "family", "error", "message"), [
    ("Reaction ~ Days + ar(time = Label, gr = Subject)", "gaussian", DataError,
     "time variable 'Label'.*must be numeric"),
    ("Reaction ~ Days + ar(time = Block, gr = Subject)", "gaussian", DataError,
     "Time points within groups must be unique.*time 0 twice in series '308'"),
    ("Reaction ~ Days + ar(time = Days, gr = Subject)", "poisson", FamilyError,
     "gaussian or student family"),
    ("Reaction ~ Days + ar(time = Days, gr = Subject, cov = TRUE)", "gaussian", FormulaError,
     "cov = TRUE"),
    ("Reaction ~ Days + ar(time = Days, gr = Subject, k = 2)", "gaussian", FormulaError,
     "no argument 'k'"),
    ("Reaction ~ Days + ar(time = Dayz, gr = Subject)", "gaussian", FormulaError,
     "Column 'Dayz' used in ar"),
    ("Reaction ~ ar(Days, Subject) + cosy(Days, Subject)", "gaussian", FormulaError,
     "two residual structures"),
    ("Reaction ~ Days + unstr(time = Block, gr = Subject)", "gaussian", DataError,
     "Time points within groups must be unique"),
    ("Reaction ~ Days + unstr(time = Days)", "gaussian", FormulaError,
     "needs both its time variable and its grouping factor"),
])
def test_bad_time_series_specifications_are_named(formula, family, error, message):
    data = ml.load_dataset("sleepstudy").assign(
        Reaction=lambda d: d["Reaction"].round(),
        Label=lambda d: "day" + d["Days"].astype(str), Block=lambda d: d["Days"] // 2)
    with pytest.raises(error, match=message):
        ml.get_prior(formula, data, family)


def test_residual_structures_belong_to_the_mean_formula():
    with pytest.raises(FormulaError, match="residual structures belong"):
        ml.get_prior(ml.bf("Reaction ~ Days", sigma="~ ar(Days, Subject)"),
                     ml.load_dataset("sleepstudy"))


@pytest.fixture(scope="module")
def fits():
    results = {}
    for name in MODELS:
        reference, data, family = reference_model(name)
        draws = 1000 if name in FULL_DRAWS else 500
        fit, messages = fit_with_warnings(reference["formula"], data, family, seed=20261202,
                                          draws=draws, warmup=draws, target_accept=0.95,
                                          progressbar=False)
        results[name] = (reference, fit, messages)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_posterior_equals_brms(fits, name):
    reference, fit, messages = fits[name]
    assert posterior_mismatches(fit, reference["summary"]) == []
    assert mixing_problems(fit, reference["summary"]) == []
    assert int(fit.idata.sample_stats["diverging"].sum()) <= RARE_DIVERGENCES.get(name, 0)
    brms_names = [row["variable"] for row in reference["summary"]]
    assert reference_variables(fit, reference) == brms_names


TRUTH = json.loads((FAMILY_REFERENCE_DIR / "data" / "truth.json").read_text())


def _far_from_truth(summary, truth):
    """The true values more than four posterior sds from their estimates."""
    return {parameter: (value, summary.loc[parameter, "Estimate"])
            for parameter, value in truth.items()
            if abs(summary.loc[parameter, "Estimate"] - value)
            > 4 * summary.loc[parameter, "Est.Error"]}


@pytest.mark.slow
def test_simulated_autoregression_is_recovered(fits):
    """growth_ar was simulated with AR(1) residuals of coefficient 0.6 (simulate.py)."""
    summary = fits["growth_ar"][1].posterior_summary()
    assert _far_from_truth(summary, TRUTH["growth_ar"]) == {}


@pytest.mark.slow
def test_summary_lists_correlation_structures_first(fits):
    text = str(fits["growth_gaps_ar2"][1].summary())
    assert text.index("Correlation Structures:") < text.index("Multilevel Hyperparameters:")
    assert fits["growth_gaps_ar2"][1].summary().correlation.index.tolist() == ["ar[1]", "ar[2]"]
    assert fits["sleep_cosy"][1].summary().correlation.index.tolist() == ["cosy"]


@pytest.mark.slow
def test_forecasts_continue_old_series(fits):
    """New time points appended to an observed series take its last residuals forward; the
    observed rows predict as in the fit."""
    _, fit, _ = fits["sleep_ar"]
    data = ml.load_dataset("sleepstudy")
    series = data[data["Subject"] == 308]
    ahead = pd.DataFrame({"Subject": 308, "Days": [10, 11], "Reaction": np.nan})
    newdata = pd.concat([series, ahead], ignore_index=True)
    fitted = fit.fitted(newdata=newdata, seed=1)
    in_sample = fit.fitted(seed=1).loc[series.index]
    assert np.allclose(fitted["Estimate"].iloc[:10], in_sample["Estimate"])
    # with ar near 0.8 the first new day stays close to the series' last values, far above
    # the population line, and the uncertainty grows with the horizon
    population_line = fit.fitted(newdata=ahead, re_formula=None, seed=1)["Estimate"]
    assert fitted["Estimate"].iloc[10] > population_line.iloc[0] + 50
    assert fitted["Est.Error"].iloc[11] > fitted["Est.Error"].iloc[10]


@pytest.mark.slow
def test_conditional_effects_over_time_leave_the_structure_out(fits):
    """As brms, the grid's rows are no series: the line is the population trend over Days."""
    _, fit, _ = fits["sleep_ar"]
    figure = fit.conditional_effects("Days", resolution=5, robust=False)
    axis = figure.axes[0]
    assert axis.get_xlabel() == "Days"
    days, line = axis.get_lines()[0].get_data()
    grid = pd.DataFrame({"Days": days})
    trend = fit.fitted(newdata=grid, re_formula="~0", incl_autocor=False)
    assert np.allclose(line, trend["Estimate"], rtol=1e-6)
    # the population trend, not any subject's carried-forward series
    b = fit.posterior_summary().loc[["b_Intercept", "b_Days"], "Estimate"]
    assert np.allclose(line, b["b_Intercept"] + b["b_Days"] * days, rtol=0.01)


@pytest.mark.slow
def test_loo_compares_residual_structures(fits):
    ar_fit, cosy_fit = fits["sleep_ar"][1], fits["sleep_cosy"][1]
    comparison = ml.loo_compare(ar=ar_fit, cosy=cosy_fit)
    assert set(comparison.index) == {"ar", "cosy"}
    assert np.isfinite(comparison["elpd_diff"]).all()
    draws = cosy_fit.posterior_predict(ndraws=200, seed=2)
    assert draws.shape == (200, 180)


@pytest.fixture(scope="module")
def unstructured_fit():
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "growth_unstr.csv")
    fit, messages = fit_with_warnings("y ~ time + unstr(time, id)", data, seed=20261202,
                                      progressbar=False)
    return data, fit, messages


def test_unstructured_prior_is_lkj_on_cortime():
    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "growth_unstr.csv")
    table = ml.get_prior("y ~ time + unstr(time, id)", data)
    assert table.loc[table["class"] == "cortime", "prior"].tolist() == ["lkj(1)"]


@pytest.mark.slow
def test_unstructured_correlations_are_recovered(unstructured_fit):
    """growth_unstr was simulated with a known 4 x 4 residual correlation matrix and 10% of
    the visits missed (simulate.py); brms 2.18 has no unstr() to compare with."""
    _, fit, messages = unstructured_fit
    assert not [m for m in messages if "R-hat" in m or "ESS" in m or "divergent" in m]
    summary = fit.posterior_summary()
    assert fit.summary().correlation.index.tolist() == [
        "cortime__0__1", "cortime__0__2", "cortime__1__2", "cortime__0__3", "cortime__1__3",
        "cortime__2__3"]
    assert _far_from_truth(summary, TRUTH["growth_unstr"]) == {}


@pytest.mark.slow
def test_unstructured_predictions_need_fitted_time_points(unstructured_fit):
    data, fit, _ = unstructured_fit
    assert np.isfinite(fit.loo().estimates.loc["elpd_loo", "Estimate"])
    with pytest.raises(DataError, match="time point.*7.*not fitted with"):
        fit.posterior_predict(newdata=pd.DataFrame({"time": [1, 7], "id": "p001"}))
    draws = fit.posterior_predict(newdata=data.iloc[:5], ndraws=50, seed=1)
    assert draws.shape == (50, 5)


@pytest.mark.slow
# short chains on six subjects mix poorly; the scores are checked against the draws they got
@pytest.mark.filterwarnings("ignore:Refits? of folds?:UserWarning",
                            "ignore:.*(R-hat|divergent|Effective Samples Size):UserWarning")
def test_kfold_scores_left_out_rows_through_their_own_series():
    """As brms's log_lik(newdata = left-out rows): the AR term of a left-out row lags
    through the previous left-out row of its series, whose residual leaves the AR term out."""
    data = ml.load_dataset("sleepstudy")
    data = data[data["Subject"].isin(data["Subject"].unique()[:6])].reset_index(drop=True)
    formula = "Reaction ~ Days + (1 | Subject) + ar(time = Days, gr = Subject)"
    settings = {"chains": 2, "draws": 150, "warmup": 150, "progressbar": False}
    fit = ml.brm(formula, data, seed=3, **settings)
    folds = np.arange(len(data)) % 3 + 1
    result = fit.kfold(folds=folds, save_fits=True, **settings)
    for fold, refit in zip((1, 2, 3), result.fits, strict=True):
        draws = refit.as_draws_df()
        left_out = data[folds == fold]
        expected = []
        for subject, rows in left_out.groupby("Subject", sort=False):
            rows = rows.sort_values("Days")
            previous = None
            for _, row in rows.iterrows():
                mean = (draws["b_Intercept"] + draws["b_Days"] * row["Days"]
                        + draws[f"r_Subject[{subject},Intercept]"]).to_numpy()
                eta = mean if previous is None else mean + draws["ar[1]"].to_numpy() * previous
                density = stats.norm.logpdf(row["Reaction"], eta, draws["sigma"].to_numpy())
                expected.append((row.name, np.log(np.mean(np.exp(density)))))
                previous = row["Reaction"] - mean
        rows, values = zip(*sorted(expected), strict=True)
        np.testing.assert_allclose(result.pointwise["elpd_kfold"].to_numpy()[list(rows)],
                                   values, rtol=1e-9)

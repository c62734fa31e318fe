"""Predictions against brms's fitted() and predict() (../shared/reference/postproc_*.json)."""

import arviz as az
import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from reference import load_reference

pytestmark = pytest.mark.slow

# The reference does not record the ESS of its fitted values; 1000 is below the bulk ESS brms
# reported for every parameter of the same fit (smallest 1033), so it overstates brms's MCSE.
BRMS_ESS = 1000


@pytest.fixture(scope="module")
def sleep_fit():
    reference = load_reference("postproc_sleep_full")
    fit = ml.brm(reference["formula"], ml.load_dataset("sleepstudy"), seed=20261123,
                 progressbar=False)
    return reference, fit, pd.DataFrame(reference["newdata"])


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
def test_fitted_values_equal_brms(sleep_fit, key, kwargs):
    reference, fit, newdata = sleep_fit
    draws = fit.posterior_epred(newdata, seed=4, **kwargs)
    assert _mismatches(draws, reference[key], fit.settings.chains) == []


def test_predictive_intervals_equal_brms(sleep_fit):
    reference, fit, newdata = sleep_fit
    draws = fit.posterior_predict(newdata, allow_new_levels=True, seed=5)
    assert _mismatches(draws, reference["predict_interval"], fit.settings.chains) == []


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

"""brms's brm_multiple() and combine_models(): one posterior from the fits of imputed data."""

import warnings

import arviz as az
import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.errors import DataError, MultilevelError
from multilevel.results.predict import FIRST_DATA_SET_ONLY
from reference import (
    FAMILY_REFERENCE_DIR,
    family_reference_names,
    load_reference,
    posterior_mismatches,
    prior_mismatches,
    reference_imputations,
)

FORMULA = "y ~ x + (1 | g)"
SETTINGS = {"chains": 2, "draws": 300, "warmup": 300}


def _imputed(small_gaussian, count=3):
    """``count`` completed data sets: the same rows, a third of the responses filled in
    differently in each, as a multiple imputation gives."""
    rng = np.random.default_rng(42)
    missing = np.arange(len(small_gaussian)) % 3 == 0
    sets = []
    for _ in range(count):
        frame = small_gaussian.copy()
        frame.loc[missing, "y"] = frame.loc[missing, "y"] + rng.normal(0.0, 1.0, missing.sum())
        sets.append(frame)
    return sets


@pytest.fixture(scope="module")
def imputed(small_gaussian):
    return _imputed(small_gaussian)


@pytest.fixture(scope="module")
def combined(imputed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ml.brm_multiple(FORMULA, imputed, seed=11, **SETTINGS)


@pytest.fixture(scope="module")
def separate(imputed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ml.brm_multiple(FORMULA, imputed, seed=11, combine=False, **SETTINGS)


@pytest.mark.slow
def test_the_combined_fit_holds_each_data_sets_chains_in_turn(combined, separate, imputed):
    assert [fit.imputations for fit in separate] == [1, 1, 1]
    assert combined.imputations == 3
    assert combined.idata.posterior.sizes["chain"] == 3 * SETTINGS["chains"]
    for position, fit in enumerate(separate):
        chains = slice(2 * position, 2 * position + 2)
        np.testing.assert_array_equal(combined.draws.values[chains], fit.draws.values)
        # each data set was fitted on its own rows
        np.testing.assert_array_equal(fit.design.y, imputed[position]["y"])
    # the mixture's mean is the fits' means averaged, each fit having as many draws
    means = np.mean([fit.posterior_summary()["Estimate"] for fit in separate], axis=0)
    np.testing.assert_allclose(combined.posterior_summary()["Estimate"], means)
    # its own data are the first data set's, as brms's
    np.testing.assert_array_equal(combined.design.y, imputed[0]["y"])
    # the first data set's priors for all, and its own table as the combined fit's
    intercepts = {str(fit.prior_table.lookup("Intercept")) for fit in separate}
    assert intercepts == {str(combined.prior_table.lookup("Intercept"))}
    # the defaults each fit carries are labelled so, as brms's updated fits keep them
    for fit in [combined, *separate]:
        assert (fit.prior["source"] == "user").sum() == 0 and fit.user_priors == ()


@pytest.mark.slow
def test_each_data_sets_rhats_as_brms_rhats(combined, separate, monkeypatch, imputed):
    rhats = combined.rhats
    assert rhats.index.tolist() == [1, 2, 3]
    for number, fit in enumerate(separate, start=1):
        pd.testing.assert_series_equal(rhats.loc[number], fit.rhat(), check_names=False)
    assert separate[0].rhats is None
    # brms warns of each data set whose fit has an R-hat above 1.1
    monkeypatch.setattr(ml.Fit, "rhat", lambda self, variables=None: pd.Series([1.2]))
    with pytest.warns(UserWarning) as caught:
        ml.brm_multiple(FORMULA, imputed[:2], seed=11, **SETTINGS)
    messages = [str(w.message) for w in caught]
    assert "Imputed model 1 did not converge." in messages
    assert "Imputed model 2 did not converge." in messages


@pytest.mark.slow
def test_the_summary_counts_every_chain_and_names_the_data_sets(combined):
    text = str(combined.summary())
    assert "Data: imputed (Number of observations: 60)" in text
    assert "Draws: 6 chains, each with iter = 600; warmup = 300" in text
    assert "total post-warmup draws = 1800" in text


@pytest.mark.slow
def test_predictions_of_the_fitted_rows_warn_that_they_are_the_first_data_sets(combined):
    with pytest.warns(UserWarning, match="Using only the first imputed data set"):
        combined.fitted()
    newdata = pd.DataFrame({"x": [0.0, 1.0], "g": ["G0", "G1"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert combined.fitted(newdata=newdata).shape == (2, 4)


@pytest.mark.slow
def test_loo_takes_the_relative_efficiency_as_one_as_brms(combined):
    with pytest.warns(UserWarning, match=FIRST_DATA_SET_ONLY[:40]):
        estimate = combined.loo().estimates.loc["elpd_loo", "Estimate"]
    assert "log_likelihood" in combined.idata.groups()
    log_lik = combined.idata.log_likelihood
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arviz = az.loo(az.InferenceData(posterior=combined.idata.posterior,
                                        log_likelihood=log_lik), reff=1.0)
    assert estimate == pytest.approx(float(arviz.elpd_loo), rel=1e-6)
    with pytest.warns(UserWarning, match=FIRST_DATA_SET_ONLY[:40]):
        combined.waic()  # the log-likelihood kept, the warning given again, as brms


@pytest.mark.slow
def test_save_load_and_update_keep_the_imputations(combined, imputed, tmp_path):
    combined.save(tmp_path / "fit")
    loaded = ml.load(tmp_path / "fit")
    assert loaded.imputations == 3 and loaded.settings.chains == 6
    np.testing.assert_array_equal(loaded.draws.values, combined.draws.values)
    with pytest.raises(DataError, match="newdata is required"):
        combined.update()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = combined.update(newdata=imputed[:2], draws=200, warmup=200)
        alone = combined.update(newdata=imputed[1], draws=200, warmup=200)
    # chains per data set, as brms's update() of brm_multiple()
    assert (again.imputations, again.idata.posterior.sizes["chain"]) == (2, 4)
    assert (alone.imputations, alone.idata.posterior.sizes["chain"]) == (1, 2)


@pytest.mark.slow
def test_combine_models_refuses_fits_of_other_models_or_data(separate, small_gaussian):
    first, second = separate[:2]
    with pytest.raises(MultilevelError, match="Models 1 and 2 have different data"):
        ml.combine_models(first, second)
    both = ml.combine_models(first, second, check_data=False)
    assert both.idata.posterior.sizes["chain"] == 4 and both.imputations == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = ml.brm("y ~ x + (1 | g)", small_gaussian, family="student", seed=3,
                       **SETTINGS)
    with pytest.raises(MultilevelError, match="Models 1 and 3 have different formulas"):
        ml.combine_models(first, mlist=[first, other])
    with pytest.raises(MultilevelError, match="Model 2 is no fit"):
        ml.combine_models(first, "fit")


# brms 2.18's brm_multiple() on three imputed data sets (tests/reference/families)
REFERENCES = family_reference_names("multiple_imputation")


def test_there_is_a_brms_reference():
    assert REFERENCES == ["imputed"]


@pytest.mark.slow
@pytest.mark.parametrize("name", REFERENCES)
def test_each_data_sets_posterior_and_the_combined_one_equal_brms(name):
    reference = load_reference(name, FAMILY_REFERENCE_DIR)
    datasets = reference_imputations(reference)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # half brms's draws per data set: the tolerances follow both fits' ESS
        fits = ml.brm_multiple(reference["formula"], datasets, seed=20261206, draws=500,
                               warmup=500, combine=False)
    # every data set takes the first one's default priors, as brms's update() of its model
    for fit in fits:
        assert prior_mismatches(fit.prior_table.to_frame(), reference["prior"]) == []
    # each data set's posterior, with the ESS of chains that sample one posterior
    for fit, summary in zip(fits, reference["summary_by_imputation"], strict=True):
        assert posterior_mismatches(fit, summary) == []
    # the mixture, whose chains disagree as brms's do (its R-hat of sigma exceeds 1.2)
    combined = ml.combine_models(mlist=fits, check_data=False)
    assert posterior_mismatches(combined, reference["summary"]) == []

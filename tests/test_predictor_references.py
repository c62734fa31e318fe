"""brms 2.18 fits whose predictors R codes itself (tests/reference/families/run_all.sh): an
ordered factor by polynomial contrasts (gaussian with the dose's interaction with x, poisson
with the contrasts varying by group) and regression splines of time (gaussian with ns(),
poisson with bs()), each with fitted values of new rows (some of the levels; times beyond
the data)."""

import warnings

import pytest

from reference import (
    FAMILY_REFERENCE_DIR,
    brms_efficiency,
    family_reference_names,
    fit_references,
    fitted_mismatches,
    load_reference,
    posterior_mismatches,
    prior_mismatches,
    reference_newdata,
    reference_prior_table,
)

MODELS = family_reference_names("predictor_codings")


def test_the_references_are_those_expected():
    assert MODELS == ["ordered_predictor", "ordered_slopes", "spline_bs", "spline_ns"]


@pytest.mark.parametrize("name", MODELS)
def test_prior_table_equals_brms(name):
    reference = load_reference(name, FAMILY_REFERENCE_DIR)
    assert prior_mismatches(reference_prior_table(reference), reference["prior"]) == []


@pytest.fixture(scope="module")
def fits():
    return fit_references(MODELS)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_posterior_equals_brms(fits, name):
    reference, fit, messages = fits[name]
    assert posterior_mismatches(fit, reference["summary"]) == []
    assert int(fit.idata.sample_stats["diverging"].sum()) == reference["divergences"] == 0, (
        messages)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_fitted_values_of_new_rows_equal_brms(fits, name):
    reference, fit, _ = fits[name]
    newdata = reference_newdata(reference)
    with warnings.catch_warnings():
        # R's bs() warns of times beyond the boundary knots, as brms does
        warnings.filterwarnings("ignore", "some 'x' values beyond boundary knots")
        draws = fit.posterior_epred(newdata=newdata)
    assert fitted_mismatches(draws.reshape(4, -1, len(newdata)), reference["fitted"],
                             brms_efficiency(fit, reference["summary"])) == []

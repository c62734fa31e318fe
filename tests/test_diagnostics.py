"""R-hat and ESS in summaries are ArviZ's, computed on the fit's own InferenceData."""

from __future__ import annotations

import dataclasses
import warnings

import arviz as az
import numpy as np
import pytest

import multilevel as ml


@pytest.fixture(scope="module")
def sleep_fit(sleepstudy):
    return ml.brm("Reaction ~ Days + (Days | Subject)", sleepstudy, chains=2, draws=300,
                  warmup=300, seed=8, progressbar=False)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "variable", "selection"), [
    ("b_Intercept", "b_Intercept", {}),
    ("b_Days", "b", {"b_coef": "Days"}),
    ("sigma", "sigma", {}),
    ("sd_Subject__Days", "sd_Subject", {"Subject_coef": "Days"}),
    ("r_Subject[308,Intercept]", "r_Subject", {"Subject": "308",
                                               "Subject_coef": "Intercept"}),
])
def test_summary_diagnostics_equal_arviz_on_idata(sleep_fit, name, variable, selection):
    posterior = sleep_fit.idata.posterior[[variable]].sel(selection)
    expected = {
        "Rhat": az.rhat(posterior, method="rank")[variable].item(),
        "Bulk_ESS": az.ess(posterior, method="bulk")[variable].item(),
        "Tail_ESS": az.ess(posterior, method="tail")[variable].item(),
    }
    row = sleep_fit.posterior_summary().loc[name]
    for column, value in expected.items():
        np.testing.assert_allclose(row[column], value, rtol=1e-10, err_msg=column)


@pytest.mark.slow
def test_printed_summary_shows_the_same_numbers(sleep_fit):
    text = str(sleep_fit.summary())
    row = sleep_fit.posterior_summary().loc["b_Days"]
    line = next(line for line in text.splitlines() if line.startswith("Days "))
    assert line.split()[-2:] == [f"{row['Bulk_ESS']:.0f}", f"{row['Tail_ESS']:.0f}"]


def test_no_diagnostics_of_its_own_remain_in_the_package():
    import importlib.util

    assert importlib.util.find_spec("multilevel.diagnostics") is None


def test_a_single_chain_has_the_r_hat_of_its_halves():
    from multilevel.results.posterior import Draws, convergence

    rng = np.random.default_rng(1)
    # a chain that drifts: its two halves disagree
    values = np.stack([rng.normal(size=400), np.linspace(0, 3, 400) + rng.normal(size=400)],
                      axis=-1)[None]
    table = convergence(Draws(["steady", "drifting"], values))
    # ArviZ's own R-hat of one chain is NaN, and says it needs two
    assert np.isnan(float(az.rhat(values[:, :, 0], method="rank")))
    halves = np.stack([values[0, :200], values[0, 200:]])
    expected = [float(az.rhat(halves[:, :, k], method="rank")) for k in range(2)]
    np.testing.assert_allclose(table["Rhat"], expected)
    assert table.loc["steady", "Rhat"] < 1.05 < table.loc["drifting", "Rhat"]
    assert float(table.loc["steady", "Bulk_ESS"]) == pytest.approx(
        float(az.ess(values[:, :, 0], method="bulk")))


@pytest.mark.slow
def test_summary_warns_as_brms_of_rhat_and_divergences(sleep_fit):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sleep_fit.summary()  # converged, no divergence: quiet
    # the chains of the fit, the second shifted: they disagree
    shifted = sleep_fit.idata.posterior.copy(deep=True)
    shifted["b"] = shifted["b"] + _second_chain_shift(shifted["b"])
    stats = sleep_fit.idata.sample_stats.copy(deep=True)
    stats["diverging"][0, :3] = True
    idata = az.InferenceData(posterior=shifted, sample_stats=stats)
    disagreeing = dataclasses.replace(sleep_fit, idata=idata)
    with pytest.warns(UserWarning) as caught:
        disagreeing.summary()
    messages = [str(w.message) for w in caught]
    assert messages == [
        "Parts of the model have not converged (some Rhats are > 1.05). Be careful when "
        "analysing the results! We recommend running more iterations and/or setting stronger "
        "priors.",
        "There were 3 divergent transitions after warmup. Increasing adapt_delta above 0.8 may "
        "help. See http://mc-stan.org/misc/warnings.html#divergent-transitions-after-warmup"]
    # a notebook shows the fit as text and HTML from one summary: each warning once
    from IPython.core.interactiveshell import InteractiveShell

    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        bundle, _ = InteractiveShell.instance().display_formatter.format(disagreeing)
    assert {"text/plain", "text/html"} <= set(bundle)
    assert sum("have not converged" in str(w.message) for w in shown) == 1
    # brms checks the summarised classes, not the group-level effects
    effects = sleep_fit.idata.posterior.copy(deep=True)
    effects["r_Subject"] = effects["r_Subject"] + _second_chain_shift(effects["r_Subject"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataclasses.replace(sleep_fit, idata=az.InferenceData(
            posterior=effects, sample_stats=sleep_fit.idata.sample_stats)).summary()
    # an approximation's draws are not chains: no warning
    approximation = dataclasses.replace(
        disagreeing, settings=dataclasses.replace(sleep_fit.settings, algorithm="meanfield"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        approximation.summary()


def _second_chain_shift(values):
    """Ten posterior sds added to the second chain's draws."""
    shift = values * 0.0
    shift[1] = 10 * float(values.std())
    return shift

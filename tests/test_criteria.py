"""Pointwise log densities and hypothesis parsing, without sampling."""

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import pytest

import multilevel as ml
from multilevel.families import get_family
from multilevel.hypothesis import hypothesis

RESPONSES = {
    "gaussian": [1.2, -0.3, 2.5], "student": [1.2, -0.3, 2.5], "lognormal": [0.5, 1.5, 4.0],
    "bernoulli": [0, 1, 1], "binomial": [0, 3, 7], "poisson": [0, 2, 9],
    "negbinomial": [0, 2, 9], "gamma": [0.5, 1.5, 4.0], "beta": [0.1, 0.5, 0.9],
}
AUX = {"sigma": 0.8, "nu": 5.0, "shape": 2.5, "phi": 6.0}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_log_density_equals_the_pymc_likelihood(name):
    family = get_family(name)
    y = np.array(RESPONSES[name])
    eta = np.array([0.3, -0.4, 1.1]) if name != "gamma" else np.array([0.3, 0.4, 1.1])
    trials = np.array([10, 10, 12]) if family.needs_trials else None
    aux = {a.name: AUX[a.name] for a in family.aux}
    mu = family.link_function.inverse_numpy(eta)
    cls, params = family.likelihood(pt.as_tensor(eta), family.link_function.inverse_tensor(
        pt.as_tensor(eta)), aux, trials, family.link)
    expected = pm.logp(cls.dist(**params), y).eval()
    np.testing.assert_allclose(family.log_density(y, mu, aux, trials), expected, rtol=1e-8)


class _Draws:
    """A stand-in fit: hypothesis() needs only as_draws_df() and prior_draws."""

    prior_draws = None

    def __init__(self, frame):
        self.frame = frame

    def as_draws_df(self):
        return self.frame


def test_hypothesis_columns_and_probabilities():
    rng = np.random.default_rng(1)
    fake = _Draws(pd.DataFrame({"b_Intercept": rng.normal(250, 5, 4000),
                                "b_Days": rng.normal(10, 2, 4000),
                                "b_ses:himinty": rng.normal(-1, 1, 4000)}))
    table = hypothesis(fake, ["Days > 8", "Intercept + 2 * Days = 270", "ses:himinty < 0"])
    assert table["Hypothesis"].tolist() == [
        "(Days)-(8) > 0", "(Intercept + 2 * Days)-(270) = 0", "(ses:himinty)-(0) < 0"]
    days = fake.frame["b_Days"]
    assert table.loc[0, "Post.Prob"] == pytest.approx(np.mean(days > 8))
    assert table.loc[0, "CI.Lower"] == pytest.approx(np.quantile(days - 8, 0.05))
    assert table.loc[0, "Evid.Ratio"] == pytest.approx(np.mean(days > 8) / np.mean(days <= 8))
    assert np.isnan(table.loc[1, "Post.Prob"])
    assert table.loc[1, "CI.Lower"] == pytest.approx(
        np.quantile(fake.frame["b_Intercept"] + 2 * days - 270, 0.025))
    assert table["Star"].tolist() == ["", "", ""]
    with pytest.raises(ml.MultilevelError, match="unknown name\\(s\\) Dayz.*Valid names"):
        hypothesis(fake, "Dayz > 1")
    with pytest.raises(ml.MultilevelError, match="needs exactly one of"):
        hypothesis(fake, "Days")

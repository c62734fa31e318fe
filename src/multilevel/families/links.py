"""Link functions as brms names them, each with its inverse for PyMC and for numpy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytensor.tensor as pt
from scipy import special, stats


@dataclass(frozen=True)
class Link:
    """A link function g with g(mean) = linear predictor."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    inverse_numpy: Callable[[np.ndarray], np.ndarray]
    inverse_tensor: Callable


def _probit_inverse_tensor(eta):
    return 0.5 * pt.erfc(-eta / np.sqrt(2.0))


def cauchy_cdf(x):
    """The standard Cauchy CDF ``1/2 + atan(x) / pi``, as ``atan2(1, -x) / pi``: the same
    value without cancelling to zero in the lower tail."""
    return pt.arctan2(1.0, -x) / np.pi


LINKS: dict[str, Link] = {
    link.name: link
    for link in [
        Link("identity", lambda y: y, lambda eta: eta, lambda eta: eta),
        Link("log", np.log, np.exp, pt.exp),
        Link("logit", special.logit, special.expit, pt.sigmoid),
        Link("probit", stats.norm.ppf, stats.norm.cdf, _probit_inverse_tensor),
        Link(
            "cloglog",
            lambda p: np.log(-np.log1p(-p)),
            lambda eta: -np.expm1(-np.exp(eta)),
            lambda eta: -pt.expm1(-pt.exp(eta)),
        ),
        Link("cauchit", stats.cauchy.ppf, lambda eta: np.arctan2(1.0, -eta) / np.pi,
             cauchy_cdf),
        Link("inverse", lambda y: 1.0 / y, lambda eta: 1.0 / eta, lambda eta: 1.0 / eta),
        Link("sqrt", np.sqrt, np.square, pt.sqr),
        # the inverse gaussian's canonical link
        Link("1/mu^2", lambda y: 1.0 / np.square(y), lambda eta: 1.0 / np.sqrt(eta),
             lambda eta: 1.0 / pt.sqrt(eta)),
        # brms's link of student's nu when predicted: nu = 1 + exp(eta)
        Link("logm1", lambda y: np.log(y - 1.0), lambda eta: 1.0 + np.exp(eta),
             lambda eta: 1.0 + pt.exp(eta)),
        # brms's link of a von Mises mean direction: mu = 2 atan(eta), within (-pi, pi)
        Link("tan_half", lambda y: np.tan(y / 2.0), lambda eta: 2.0 * np.arctan(eta),
             lambda eta: 2.0 * pt.arctan(eta)),
        Link(
            "softplus",
            lambda y: np.log(np.expm1(y)),
            lambda eta: np.logaddexp(0.0, eta),
            pt.softplus,
        ),
    ]
}

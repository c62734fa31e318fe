"""Densities written in closed form where PyMC's own lose a tail or a gradient, as PyMC
distributions (``CustomDist``) called by keyword like PyMC's classes."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt


def _hurdle_log_density(value, psi, counts, log_zero):
    """A hurdle's density: a zero with probability 1 - psi, else a count above zero."""
    return pt.switch(pt.eq(value, 0), pt.log1p(-psi),
                     pt.log(psi) + pm.logp(counts, value) - pt.log1mexp(log_zero))


def _hurdle_poisson_logp(value, psi, mu):
    return _hurdle_log_density(value, psi, pm.Poisson.dist(mu=mu), -mu)


def _hurdle_negbinomial_logp(value, psi, mu, alpha):
    log_zero = alpha * (pt.log(alpha) - pt.log(mu + alpha))
    return _hurdle_log_density(value, psi, pm.NegativeBinomial.dist(mu=mu, alpha=alpha),
                               log_zero)


def _beta_inside(value, mu, phi):
    """The log density of a beta of mean ``mu`` and precision ``phi`` at values strictly
    inside (0, 1), taken at 1/2 at the ends: JAX differentiates both branches of a switch,
    and the beta's log density at 0 or 1 is infinite."""
    inside = (value > 0) & (value < 1)
    proportions = pm.Beta.dist(alpha=mu * phi, beta=(1 - mu) * phi)
    return pm.logp(proportions, pt.switch(inside, value, 0.5))


def _zero_inflated_beta_logp(value, zi, mu, phi):
    """brms's zero-inflated beta: a zero with probability ``zi``, else a beta."""
    return pt.switch(pt.eq(value, 0), pt.log(zi), pt.log1p(-zi) + _beta_inside(value, mu, phi))


def _zero_one_inflated_beta_logp(value, zoi, coi, mu, phi):
    """brms's zero-one-inflated beta: an end (0 or 1) with probability ``zoi``, the end 1
    with probability ``coi`` among them, else a beta."""
    one = pt.eq(value, 1)
    end = pt.log(zoi) + pt.switch(one, pt.log(coi), pt.log1p(-coi))
    return pt.switch(pt.eq(value, 0) | one, end, pt.log1p(-zoi) + _beta_inside(value, mu, phi))


def _zero_inflated_beta_binomial_logp(value, zi, n, mu, phi):
    """brms's zero-inflated beta-binomial: a zero with probability ``zi``, else a
    beta-binomial of ``n`` trials (which may itself give a zero)."""
    successes = pm.logp(pm.BetaBinomial.dist(n=n, alpha=mu * phi, beta=(1 - mu) * phi), value)
    return pt.switch(pt.eq(value, 0), pt.logaddexp(pt.log(zi), pt.log1p(-zi) + successes),
                     pt.log1p(-zi) + successes)


def _shifted_lognormal_logp(value, mu, sigma, ndt):
    """brms's shifted lognormal: ``ndt`` (a non-decision time) plus a lognormal of log-mean
    ``mu`` and log-sd ``sigma``. The lognormal is taken at 1 where the response is not above
    ``ndt`` (a predicted ``ndt`` may pass it): its log density there, -inf, would leave a
    gradient that is not a number."""
    shifted = value - ndt
    above = shifted > 0
    body = pm.logp(pm.LogNormal.dist(mu=mu, sigma=sigma), pt.switch(above, shifted, 1.0))
    return pt.switch(above, body, -np.inf)


def _frechet_log_ratio(value, mu, nu):
    """log(y / scale) of brms's frechet of mean ``mu`` and shape ``nu``, Stan's scale being
    ``mu / tgamma(1 - 1 / nu)``; and that scale's log."""
    log_scale = pt.log(mu) - pt.gammaln(1 - 1 / nu)
    return pt.log(value) - log_scale, log_scale


def _frechet_logp(value, mu, nu):
    """brms's frechet of mean ``mu`` and shape ``nu``: Stan's frechet(nu, scale)."""
    log_ratio, log_scale = _frechet_log_ratio(value, mu, nu)
    return pt.log(nu) - log_scale - (1 + nu) * log_ratio - pt.exp(-nu * log_ratio)


def _frechet_logcdf(value, mu, nu, **kwargs):
    """log P(Y <= y) = -(y / scale)^-nu; PyMC takes the survival as log1mexp of it."""
    return -pt.exp(-nu * _frechet_log_ratio(value, mu, nu)[0])


def log_normal_cdf(z):
    """log Phi(z), each of PyMC's two branches computed only where it is taken (elsewhere at
    the branch point): JAX differentiates both branches of a switch, and the one not taken
    is infinite far in the other tail, which made the taken one's gradient NaN."""
    low, high = pt.minimum(z, -1.0), pt.maximum(z, -1.0)
    return pt.switch(z < -1.0, pt.log(pt.erfcx(-low / np.sqrt(2.0)) / 2.0) - low**2 / 2.0,
                     pt.log1p(-pt.erfc(high / np.sqrt(2.0)) / 2.0))


def _exgaussian_logp(value, mu, sigma, beta):
    """brms's exponentially modified normal of mean ``mu``: a normal of mean ``mu - beta``
    and sd ``sigma`` plus an exponential of mean ``beta`` (Stan's exp_mod_normal)."""
    rate = 1.0 / beta
    return (pt.log(rate) + rate * (mu - beta + rate * sigma**2 / 2.0 - value)
            + log_normal_cdf((value - mu + beta) / sigma - rate * sigma))


def skew_normal_shape(sigma, alpha):
    """brms's skew normal of sd ``sigma`` and shape ``alpha`` as its ``delta`` and scale
    ``omega``; the mean lies ``omega * delta * sqrt(2 / pi)`` above the location. Arithmetic
    only, for tensors and arrays alike."""
    delta = alpha / (1 + alpha**2) ** 0.5
    return delta, sigma / (1 - (2 / np.pi) * delta**2) ** 0.5


def _skew_normal_logp(value, mu, sigma, alpha):
    """brms's skew normal of mean ``mu`` and sd ``sigma``, from its location xi and scale
    omega: PyMC's takes log(1 + erf(.)), which is -inf where the short tail is only
    1e-16 of the peak; here log Phi keeps it."""
    delta, omega = skew_normal_shape(sigma, alpha)
    z = (value - mu) / omega + delta * np.sqrt(2 / np.pi)
    return (np.log(2.0) - pt.log(omega) - 0.5 * np.log(2 * np.pi) - z**2 / 2.0
            + log_normal_cdf(alpha * z))


class _ClosedForm:
    """A distribution of PyMC (a ``CustomDist``) from a log density, called by keyword.

    The hurdle counts' P(y > 0) is written in closed form: PyMC's truncation takes it from
    the count's cdf, whose gradient JAX lacks for the negative binomial's shape and which
    gave NaN gradients for Poisson hurdles whose probability is predicted. PyMC has no
    zero- or zero-one-inflated beta (:func:`_beta_inside`) nor zero-inflated beta-binomial. PyMC's
    ex-Gaussian computes both branches of its normal log CDF (:func:`log_normal_cdf`); its
    skew normal loses the short tail (:func:`_skew_normal_logp`).
    """

    def __init__(self, logp, parameters: tuple[str, ...], dtype: str = "int64", logcdf=None):
        self.parameters, self.dtype = parameters, dtype
        # the density, and a log CDF where censoring needs one
        self.functions = {"logp": logp} | ({"logcdf": logcdf} if logcdf else {})

    def __call__(self, name, **kwargs):
        values = [kwargs.pop(parameter) for parameter in self.parameters]
        return pm.CustomDist(name, *values, **self.functions, dtype=self.dtype, **kwargs)

    def dist(self, **kwargs):
        values = [kwargs.pop(parameter) for parameter in self.parameters]
        return pm.CustomDist.dist(*values, **self.functions, dtype=self.dtype, **kwargs)


HURDLE_POISSON = _ClosedForm(_hurdle_poisson_logp, ("psi", "mu"))
HURDLE_NEGBINOMIAL = _ClosedForm(_hurdle_negbinomial_logp, ("psi", "mu", "alpha"))
EXGAUSSIAN = _ClosedForm(_exgaussian_logp, ("mu", "sigma", "beta"), dtype="float64")
FRECHET = _ClosedForm(_frechet_logp, ("mu", "nu"), dtype="float64", logcdf=_frechet_logcdf)
SKEW_NORMAL = _ClosedForm(_skew_normal_logp, ("mu", "sigma", "alpha"), dtype="float64")
SHIFTED_LOGNORMAL = _ClosedForm(_shifted_lognormal_logp, ("mu", "sigma", "ndt"),
                                dtype="float64")
ZERO_INFLATED_BETA = _ClosedForm(_zero_inflated_beta_logp, ("zi", "mu", "phi"), dtype="float64")
ZERO_INFLATED_BETA_BINOMIAL = _ClosedForm(_zero_inflated_beta_binomial_logp,
                                          ("zi", "n", "mu", "phi"))
ZERO_ONE_INFLATED_BETA = _ClosedForm(_zero_one_inflated_beta_logp, ("zoi", "coi", "mu", "phi"),
                                     dtype="float64")

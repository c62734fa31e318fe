"""The built-in families, each defined once: its response check, likelihood and mean.

Each :class:`~multilevel.families.family.Family` below is the one definition of its response
distribution; the model, the log density, ``posterior_epred`` and ``posterior_predict`` all
read it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import polygamma

from ..errors import FamilyError, close_matches
from . import truncation
from .category_likelihoods import (
    categorical_likelihood,
    cumulative_likelihood,
    sequential_likelihood,
)
from .circular import von_mises
from .closed_form import (
    EXGAUSSIAN,
    FRECHET,
    HURDLE_NEGBINOMIAL,
    HURDLE_POISSON,
    SHIFTED_LOGNORMAL,
    SKEW_NORMAL,
    ZERO_INFLATED_BETA,
    ZERO_INFLATED_BETA_BINOMIAL,
    ZERO_ONE_INFLATED_BETA,
)
from .compositional import dirichlet, multinomial
from .draws import (
    exgaussian_draws,
    frechet_draws,
    hurdle_lognormal_draws,
    hurdle_negbinomial_draws,
    hurdle_poisson_draws,
    shifted_lognormal_draws,
    skew_normal_draws,
    zero_inflated_beta_binomial_draws,
    zero_inflated_beta_draws,
    zero_one_inflated_beta_draws,
)
from .family import AuxParameter, Family, format_number, no_constant_prior, scale_from_response
from .responses import (
    check_binary,
    check_binomial,
    check_categorical,
    check_closed_unit_interval,
    check_count,
    check_non_negative,
    check_ordinal,
    check_positive,
    check_real,
    check_unit_interval,
    check_zero_or_unit_interval,
)


def _sigma_prior(y: np.ndarray) -> str:
    return f"student_t(3, 0, {format_number(scale_from_response(y))})"


def _constant_prior(text: str) -> Callable[[np.ndarray], str]:
    return lambda y: text


# --- likelihoods: (linear predictor, mean, aux, trials, link) -> PyMC class and kwargs

def _gaussian_likelihood(eta, mu, aux, trials, link):
    return pm.Normal, {"mu": mu, "sigma": aux["sigma"]}


def _student_likelihood(eta, mu, aux, trials, link):
    return pm.StudentT, {"nu": aux["nu"], "mu": mu, "sigma": aux["sigma"]}


def _bernoulli_likelihood(eta, mu, aux, trials, link):
    if link == "logit":
        return pm.Bernoulli, {"logit_p": eta}
    return pm.Bernoulli, {"p": mu}


def _binomial_likelihood(eta, mu, aux, trials, link):
    if link == "logit":
        return pm.Binomial, {"n": trials, "logit_p": eta}
    return pm.Binomial, {"n": trials, "p": mu}


def _poisson_likelihood(eta, mu, aux, trials, link):
    return pm.Poisson, {"mu": mu}


def _negbinomial_likelihood(eta, mu, aux, trials, link):
    # Stan's neg_binomial_2(mu, phi) has variance mu + mu^2 / phi, as PyMC's (mu, alpha).
    return pm.NegativeBinomial, {"mu": mu, "alpha": aux["shape"]}


def _geometric_likelihood(eta, mu, aux, trials, link):
    # brms's geometric(): Stan's neg_binomial_2(mu, 1), a negative binomial of shape 1
    return pm.NegativeBinomial, {"mu": mu, "alpha": 1.0}


def _gamma_likelihood(eta, mu, aux, trials, link):
    return pm.Gamma, {"alpha": aux["shape"], "beta": aux["shape"] / mu}


def _lognormal_likelihood(eta, mu, aux, trials, link):
    return pm.LogNormal, {"mu": mu, "sigma": aux["sigma"]}


def _shifted_lognormal_likelihood(eta, mu, aux, trials, link):
    return SHIFTED_LOGNORMAL, {"mu": mu, "sigma": aux["sigma"], "ndt": aux["ndt"]}


def _exponential_likelihood(eta, mu, aux, trials, link):
    return pm.Exponential, {"scale": mu}


# the program writer (describe/) passes symbols, which write the calls below as code
def _gamma_function(x):
    return x.call("pt.gamma") if hasattr(x, "call") else pt.gamma(x)


def _square_root(x):
    return x.call("pt.sqrt") if hasattr(x, "call") else pt.sqrt(x)


def _weibull_likelihood(eta, mu, aux, trials, link):
    # brms's weibull has mean mu: Stan's weibull(shape, mu / tgamma(1 + 1 / shape))
    shape = aux["shape"]
    return pm.Weibull, {"alpha": shape, "beta": mu / _gamma_function(1 + 1 / shape)}


def _frechet_likelihood(eta, mu, aux, trials, link):
    return FRECHET, {"mu": mu, "nu": aux["nu"]}


def _skew_normal_likelihood(eta, mu, aux, trials, link):
    return SKEW_NORMAL, {"mu": mu, "sigma": aux["sigma"], "alpha": aux["alpha"]}


def _beta_binomial_likelihood(eta, mu, aux, trials, link):
    # Stan's beta_binomial(trials, mu * phi, (1 - mu) * phi), as brms's
    phi = aux["phi"]
    return pm.BetaBinomial, {"n": trials, "alpha": mu * phi, "beta": (1 - mu) * phi}


def _inverse_gaussian_likelihood(eta, mu, aux, trials, link):
    # brms's inv_gaussian(mu, shape) is the Wald distribution with mean mu and lambda shape
    return pm.Wald, {"mu": mu, "lam": aux["shape"]}


def _asym_laplace_likelihood(eta, mu, aux, trials, link):
    # brms's asym_laplace(mu, sigma, quantile), whose mu is the quantile-th quantile, is
    # PyMC's AsymmetricLaplace with kappa^2 = quantile / (1 - quantile) and
    # b = sqrt(quantile (1 - quantile)) / sigma
    quantile = aux["quantile"]
    return pm.AsymmetricLaplace, {"mu": mu, "kappa": _square_root(quantile / (1 - quantile)),
                                  "b": _square_root(quantile * (1 - quantile)) / aux["sigma"]}


def _beta_likelihood(eta, mu, aux, trials, link):
    return pm.Beta, {"alpha": mu * aux["phi"], "beta": (1 - mu) * aux["phi"]}


# brms's zi and hu are the probabilities of a zero from the extra process; PyMC's psi is the
# probability of the count process
def _zero_inflated_poisson_likelihood(eta, mu, aux, trials, link):
    return pm.ZeroInflatedPoisson, {"psi": 1 - aux["zi"], "mu": mu}


def _zero_inflated_negbinomial_likelihood(eta, mu, aux, trials, link):
    return pm.ZeroInflatedNegativeBinomial, {"psi": 1 - aux["zi"], "mu": mu,
                                             "alpha": aux["shape"]}


def _zero_inflated_binomial_likelihood(eta, mu, aux, trials, link):
    return pm.ZeroInflatedBinomial, {"psi": 1 - aux["zi"], "n": trials, "p": mu}


def _zero_inflated_beta_likelihood(eta, mu, aux, trials, link):
    return ZERO_INFLATED_BETA, {"zi": aux["zi"], "mu": mu, "phi": aux["phi"]}


def _zero_inflated_beta_binomial_likelihood(eta, mu, aux, trials, link):
    return ZERO_INFLATED_BETA_BINOMIAL, {"zi": aux["zi"], "n": trials, "mu": mu,
                                         "phi": aux["phi"]}


def _zero_one_inflated_beta_likelihood(eta, mu, aux, trials, link):
    return ZERO_ONE_INFLATED_BETA, {"zoi": aux["zoi"], "coi": aux["coi"], "mu": mu,
                                    "phi": aux["phi"]}


def _exgaussian_likelihood(eta, mu, aux, trials, link):
    return EXGAUSSIAN, {"mu": mu, "sigma": aux["sigma"], "beta": aux["beta"]}


def _hurdle_poisson_likelihood(eta, mu, aux, trials, link):
    return HURDLE_POISSON, {"psi": 1 - aux["hu"], "mu": mu}


def _hurdle_negbinomial_likelihood(eta, mu, aux, trials, link):
    return HURDLE_NEGBINOMIAL, {"psi": 1 - aux["hu"], "mu": mu, "alpha": aux["shape"]}


def _hurdle_lognormal_likelihood(eta, mu, aux, trials, link):
    return pm.HurdleLogNormal, {"psi": 1 - aux["hu"], "mu": mu, "sigma": aux["sigma"]}


def _hurdle_gamma_likelihood(eta, mu, aux, trials, link):
    shape = aux["shape"]
    return pm.HurdleGamma, {"psi": 1 - aux["hu"], "alpha": shape, "beta": shape / mu}


# --- expected values (numpy, draws x observations) ----------------------------------------------

def _mean_is_mu(mu, aux, trials):
    return mu


def _asym_laplace_mean(mu, aux, trials):
    quantile = aux["quantile"]
    return mu + aux["sigma"] * (1 - 2 * quantile) / (quantile * (1 - quantile))


def _zero_one_inflated_beta_mean(mu, aux, trials):
    return aux["zoi"] * aux["coi"] + (1 - aux["zoi"]) * mu


def _binomial_mean(mu, aux, trials):
    return mu * trials


def _lognormal_mean(mu, aux, trials):
    return np.exp(mu + aux["sigma"] ** 2 / 2)


def _shifted_lognormal_mean(mu, aux, trials):
    return np.exp(mu + aux["sigma"] ** 2 / 2) + aux["ndt"]


def _zero_inflated_mean(mu, aux, trials):
    return mu * (1 - aux["zi"])


def _zero_inflated_binomial_mean(mu, aux, trials):
    return mu * trials * (1 - aux["zi"])


def _hurdle_mean_is_mu(mu, aux, trials):
    return (1 - aux["hu"]) * mu


def _hurdle_poisson_mean(mu, aux, trials):
    return (1 - aux["hu"]) * mu / -np.expm1(-mu)


def _hurdle_negbinomial_mean(mu, aux, trials):
    shape = aux["shape"]
    return (1 - aux["hu"]) * mu / -np.expm1(shape * np.log(shape / (mu + shape)))


def _hurdle_lognormal_mean(mu, aux, trials):
    return (1 - aux["hu"]) * np.exp(mu + aux["sigma"] ** 2 / 2)


def _binary_variance(mu):
    return mu * (1 - mu)


def _identity_variance(mu):
    return mu


def _geometric_variance(mu):
    return mu * (1 + mu)


# --- latent-scale residual variances, for icc() (Nakagawa, Johnson & Schielzeth 2017) -------

_LOGISTIC_LATENT = {"logit": np.pi ** 2 / 3, "probit": 1.0, "cloglog": np.pi ** 2 / 6}


def _sigma_latent(link, draw, group_variance):
    return draw("sigma") ** 2 if link == "identity" else None


def _binary_latent(link, draw, group_variance):
    if link not in _LOGISTIC_LATENT:
        return None
    return np.full_like(group_variance, _LOGISTIC_LATENT[link])


def _count_latent(link, draw, group_variance, extra=0.0):
    if link != "log":
        return None
    # lognormal approximation of the observation-level variance at the mean count
    mean_count = np.exp(draw("b_Intercept") + group_variance / 2)
    return np.log1p(1 / mean_count + extra)


def _negbinomial_latent(link, draw, group_variance):
    if link != "log":
        return None
    return _count_latent(link, draw, group_variance, extra=1 / draw("shape"))


def _geometric_latent(link, draw, group_variance):
    if link != "log":
        return None
    return _count_latent(link, draw, group_variance, extra=1.0)


def _gamma_latent(link, draw, group_variance):
    return polygamma(1, draw("shape")) if link == "log" else None


_ORDINAL_LINKS = ("logit", "probit", "cloglog", "cauchit")
_BINARY_LINKS = ("logit", "probit", "cloglog", "cauchit", "identity")
_POSITIVE_LINKS = ("log", "identity", "inverse", "sqrt", "softplus")
# brms's links of the families on the real line besides the normal's
_REAL_LINKS = ("identity", "log", "inverse", "softplus")
# brms's links of the positive continuous families (gamma, exponential, weibull)
_POSITIVE_SCALE_LINKS = ("log", "identity", "inverse", "softplus")


_SIGMA = AuxParameter("sigma", 0.0, _sigma_prior)
_NU = AuxParameter("nu", 1.0, _constant_prior("gamma(2, 0.1)"), dpar_link="logm1",
                   dpar_intercept_prior="normal(2.7, 0.8)", closed=(True, False))
_NEGBINOMIAL_SHAPE = AuxParameter("shape", 0.0, _constant_prior("inv_gamma(0.4, 0.3)"))
_ZI = AuxParameter("zi", 0.0, _constant_prior("beta(1, 1)"), upper=1.0, dpar_link="logit",
                   dpar_intercept_prior="logistic(0, 1)", closed=(True, True))
_HU = AuxParameter("hu", 0.0, _constant_prior("beta(1, 1)"), upper=1.0, dpar_link="logit",
                   dpar_intercept_prior="logistic(0, 1)", closed=(True, True))
_ZOI, _COI = (AuxParameter(name, 0.0, _constant_prior("beta(1, 1)"), upper=1.0,
                           dpar_link="logit", dpar_intercept_prior="logistic(0, 1)",
                           closed=(True, True))
              for name in ("zoi", "coi"))

gaussian = Family("gaussian", "identity", ("identity", "log", "inverse", "softplus"), (_SIGMA,),
                  check_real, _gaussian_likelihood, _mean_is_mu,
                  latent_variance=_sigma_latent, normal=True, residual_structures=True,
                  known_standard_errors=True, censoring=True,
                  truncated_mean=truncation.gaussian)
student = Family(
    "student", "identity", ("identity", "log", "inverse", "softplus"),
    (_SIGMA, _NU),
    check_real, _student_likelihood, _mean_is_mu, latent_variance=_sigma_latent,
    residual_structures=True, known_standard_errors=True,
)
bernoulli = Family("bernoulli", "logit", _BINARY_LINKS, (), check_binary, _bernoulli_likelihood,
                   _mean_is_mu, variance=_binary_variance, latent_variance=_binary_latent,
                   discrete=True, proportion=True)
binomial = Family("binomial", "logit", _BINARY_LINKS, (), check_binomial, _binomial_likelihood,
                  _binomial_mean, needs_trials=True, variance=_binary_variance,
                  latent_variance=_binary_latent, discrete=True, proportion=True,
                  truncated_mean=truncation.binomial)
poisson = Family("poisson", "log", _POSITIVE_LINKS, (), check_count, _poisson_likelihood,
                 _mean_is_mu, variance=_identity_variance, latent_variance=_count_latent,
                 discrete=True, truncated_mean=truncation.poisson)
negbinomial = Family(
    "negbinomial", "log", _POSITIVE_LINKS, (_NEGBINOMIAL_SHAPE,), check_count,
    _negbinomial_likelihood, _mean_is_mu, variance=_identity_variance,
    latent_variance=_negbinomial_latent, discrete=True,
)
geometric = Family(
    "geometric", "log", _POSITIVE_LINKS, (), check_count, _geometric_likelihood, _mean_is_mu,
    variance=_geometric_variance, latent_variance=_geometric_latent, discrete=True,
)
_GAMMA_SHAPE = AuxParameter("shape", 0.0, _constant_prior("gamma(0.01, 0.01)"))
gamma = Family(
    "gamma", "log", _POSITIVE_SCALE_LINKS, (_GAMMA_SHAPE,),
    check_positive, _gamma_likelihood, _mean_is_mu, variance=np.square,
    latent_variance=_gamma_latent, truncated_mean=truncation.gamma,
)
lognormal = Family("lognormal", "identity", ("identity",), (_SIGMA,), check_positive,
                   _lognormal_likelihood, _lognormal_mean, log_scale_response=True,
                   latent_variance=_sigma_latent, censoring=True,
                   truncated_mean=truncation.lognormal)
# brms's non-decision time, below every response: uniform up to the smallest (min_Y); when
# predicted, its intercept is flat, as brms's
_NDT = AuxParameter("ndt", 0.0, _constant_prior("uniform(0, min_Y)"), upper="min_Y",
                    dpar_intercept_prior="(flat)", closed=(True, False))
shifted_lognormal = Family(
    "shifted_lognormal", "identity", ("identity",), (_SIGMA, _NDT), check_positive,
    _shifted_lognormal_likelihood, _shifted_lognormal_mean, log_scale_response=True,
    draw=shifted_lognormal_draws,
)
exponential = Family("exponential", "log", _POSITIVE_SCALE_LINKS, (), check_positive,
                     _exponential_likelihood, _mean_is_mu, variance=np.square, censoring=True,
                     truncated_mean=truncation.exponential)
weibull = Family(
    "weibull", "log", _POSITIVE_SCALE_LINKS, (_GAMMA_SHAPE,),
    check_positive, _weibull_likelihood, _mean_is_mu, censoring=True,
    truncated_mean=truncation.weibull,
)
# brms's frechet: mean mu, shape nu above 1 (the mean's existence), nu as student's
frechet = Family(
    "frechet", "log", _POSITIVE_SCALE_LINKS, (_NU,), check_positive, _frechet_likelihood,
    _mean_is_mu, draw=frechet_draws, censoring=True,
)
exgaussian = Family(
    "exgaussian", "identity", _REAL_LINKS,
    (_SIGMA, AuxParameter("beta", 0.0, _constant_prior("gamma(1, 0.1)"),
                          dpar_intercept_prior="normal(1.7, 1.3)")),
    check_real, _exgaussian_likelihood, _mean_is_mu, draw=exgaussian_draws,
)
skew_normal = Family(
    "skew_normal", "identity", _REAL_LINKS,
    (_SIGMA, AuxParameter("alpha", None, _constant_prior("normal(0, 4)"), dpar_link="identity",
                          dpar_intercept_prior="normal(0, 4)")),
    check_real, _skew_normal_likelihood, _mean_is_mu, draw=skew_normal_draws,
)
# brms's quantile regression: mu is the quantile-th quantile, usually held by
# bf(y ~ x, quantile = 0.9)
asym_laplace = Family(
    "asym_laplace", "identity", _REAL_LINKS,
    (_SIGMA, AuxParameter("quantile", 0.0, _constant_prior("beta(1, 1)"), upper=1.0,
                          dpar_link="logit", dpar_intercept_prior="logistic(0, 1)")),
    check_real, _asym_laplace_likelihood, _asym_laplace_mean,
)
_PHI = AuxParameter("phi", 0.0, _constant_prior("gamma(0.01, 0.01)"))
beta = Family(
    "beta", "logit", _BINARY_LINKS, (_PHI,), check_unit_interval, _beta_likelihood,
    _mean_is_mu, variance=_binary_variance,
)
beta_binomial = Family(
    "beta_binomial", "logit", _BINARY_LINKS, (_PHI,), check_binomial,
    _beta_binomial_likelihood, _binomial_mean, needs_trials=True, variance=_binary_variance,
    discrete=True, proportion=True,
)
inverse_gaussian = Family(
    "inverse.gaussian", "1/mu^2", ("1/mu^2", "inverse", "identity", "log", "softplus"),
    (_GAMMA_SHAPE,), check_positive, _inverse_gaussian_likelihood, _mean_is_mu,
    variance=lambda mu: mu ** 3,
)

zero_inflated_poisson = Family(
    "zero_inflated_poisson", "log", _POSITIVE_LINKS, (_ZI,), check_count,
    _zero_inflated_poisson_likelihood, _zero_inflated_mean, discrete=True,
)
zero_inflated_negbinomial = Family(
    "zero_inflated_negbinomial", "log", _POSITIVE_LINKS, (_NEGBINOMIAL_SHAPE, _ZI),
    check_count, _zero_inflated_negbinomial_likelihood, _zero_inflated_mean, discrete=True,
)
zero_inflated_binomial = Family(
    "zero_inflated_binomial", "logit", _BINARY_LINKS, (_ZI,), check_binomial,
    _zero_inflated_binomial_likelihood, _zero_inflated_binomial_mean, needs_trials=True,
    discrete=True, proportion=True,
)
zero_inflated_beta_binomial = Family(
    "zero_inflated_beta_binomial", "logit", _BINARY_LINKS, (_PHI, _ZI), check_binomial,
    _zero_inflated_beta_binomial_likelihood, _zero_inflated_binomial_mean, needs_trials=True,
    discrete=True, proportion=True, draw=zero_inflated_beta_binomial_draws,
)
hurdle_poisson = Family(
    "hurdle_poisson", "log", _POSITIVE_LINKS, (_HU,), check_count, _hurdle_poisson_likelihood,
    _hurdle_poisson_mean, discrete=True, draw=hurdle_poisson_draws,
)
hurdle_negbinomial = Family(
    "hurdle_negbinomial", "log", _POSITIVE_LINKS, (_NEGBINOMIAL_SHAPE, _HU), check_count,
    _hurdle_negbinomial_likelihood, _hurdle_negbinomial_mean, discrete=True,
    draw=hurdle_negbinomial_draws,
)
hurdle_lognormal = Family(
    "hurdle_lognormal", "identity", ("identity",), (_SIGMA, _HU), check_non_negative,
    _hurdle_lognormal_likelihood, _hurdle_lognormal_mean, log_scale_response=True,
    draw=hurdle_lognormal_draws,
)
hurdle_gamma = Family(
    "hurdle_gamma", "log", _POSITIVE_SCALE_LINKS, (_GAMMA_SHAPE, _HU), check_non_negative,
    _hurdle_gamma_likelihood, _hurdle_mean_is_mu,
)
zero_one_inflated_beta = Family(
    "zero_one_inflated_beta", "logit", _BINARY_LINKS, (_PHI, _ZOI, _COI),
    check_closed_unit_interval, _zero_one_inflated_beta_likelihood,
    _zero_one_inflated_beta_mean, draw=zero_one_inflated_beta_draws,
)
zero_inflated_beta = Family(
    "zero_inflated_beta", "logit", _BINARY_LINKS, (_PHI, _ZI), check_zero_or_unit_interval,
    _zero_inflated_beta_likelihood, _zero_inflated_mean, draw=zero_inflated_beta_draws,
)

# an ordinal model's discrimination: held at 1, unless predicted (bf(y ~ x, disc ~ 0 + z)),
# on the log scale, its intercept's prior brms's
_DISC = AuxParameter("disc", 0.0, no_constant_prior, dpar_intercept_prior="normal(0, 1)",
                     held=1.0)
cumulative = Family(
    "cumulative", "logit", _ORDINAL_LINKS, (_DISC,), check_ordinal,
    cumulative_likelihood, _mean_is_mu, discrete=True, ordinal=True, ordered_thresholds=True,
)
# brms's sequential (stopping and continuation ratio) and adjacent-category models, whose
# thresholds need no order
sratio, cratio, acat = (
    Family(kind, "logit", _ORDINAL_LINKS, (_DISC,), check_ordinal,
           sequential_likelihood(kind), _mean_is_mu, discrete=True, ordinal=True,
           linear_predictor_above_thresholds=kind in ("cratio", "acat"))
    for kind in ("sratio", "cratio", "acat"))

categorical = Family(
    "categorical", "logit", ("logit",), (), check_categorical, categorical_likelihood,
    _mean_is_mu, discrete=True, categorical=True,
)

_BY_NAME = {
    "gaussian": gaussian, "normal": gaussian, "student": student, "bernoulli": bernoulli,
    "binomial": binomial, "poisson": poisson, "negbinomial": negbinomial,
    "negative_binomial": negbinomial, "geometric": geometric, "gamma": gamma,
    "lognormal": lognormal,
    "shifted_lognormal": shifted_lognormal, "beta": beta,
    "exponential": exponential, "weibull": weibull, "frechet": frechet,
    "exgaussian": exgaussian,
    "skew_normal": skew_normal, "beta_binomial": beta_binomial, "asym_laplace": asym_laplace,
    "inverse.gaussian": inverse_gaussian, "inverse_gaussian": inverse_gaussian,
    "zero_inflated_poisson": zero_inflated_poisson,
    "zero_inflated_negbinomial": zero_inflated_negbinomial,
    "zero_inflated_binomial": zero_inflated_binomial, "hurdle_poisson": hurdle_poisson,
    "zero_inflated_beta_binomial": zero_inflated_beta_binomial,
    "hurdle_negbinomial": hurdle_negbinomial, "hurdle_lognormal": hurdle_lognormal,
    "hurdle_gamma": hurdle_gamma, "zero_inflated_beta": zero_inflated_beta,
    "zero_one_inflated_beta": zero_one_inflated_beta,
    "cumulative": cumulative, "sratio": sratio, "cratio": cratio, "acat": acat,
    "categorical": categorical, "von_mises": von_mises, "dirichlet": dirichlet,
    "multinomial": multinomial,
}


def family_names(having: Callable[[Family], bool] = lambda family: True) -> list[str]:
    """The built-in families' names, sorted, of those ``having`` accepts."""
    return sorted({family.name for family in _BY_NAME.values() if having(family)})


def get_family(family: str | Family, link: str | None = None) -> Family:
    """Resolve a family name or object, optionally with another link.

    Parameters
    ----------
    family
        A name as brms spells it (``"gaussian"``, ``"Gamma"``, ``"negbinomial"``, ...) or a
        :class:`Family`.
    link
        A link to use instead of the family's default.
    """
    if isinstance(family, Family):
        resolved = family
    else:
        available = family_names()
        if not isinstance(family, str):
            raise FamilyError(f"family must be a family name such as 'gaussian' or a family "
                              f"object such as ml.poisson(), got {family!r}; available: "
                              + ", ".join(available) + ".")
        key = family.strip().lower()
        if key not in _BY_NAME:
            mixture = (" A mixture is made of its components: ml.mixture('gaussian', "
                       "'gaussian')." if key == "mixture" else close_matches(key, _BY_NAME))
            raise FamilyError(f"Unknown family {family!r}.{mixture} Available: "
                              + ", ".join(available) + ".")
        resolved = _BY_NAME[key]
    if link is not None and not isinstance(link, str):
        raise FamilyError(f"link must be a link name such as 'logit', got {link!r}.")
    return resolved(link)

"""Response families, each defined once.

A :class:`Family` holds everything the pipeline needs about one response distribution: its
links, the check of the response's support, its auxiliary parameters with brms's default
priors, the PyMC likelihood, the mean (for ``posterior_epred``) and the random generator
(for ``posterior_predict``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
from pytensor.compile.function import function
from pytensor.compile.mode import Mode
from pytensor.tensor.random.type import random_generator_type
from scipy.special import polygamma

from ..errors import DataError, FamilyError, close_matches
from ..names import sorted_levels
from .links import LINKS, Link

# brms computes the default Intercept location and scale from the response on these links.
_DATA_SCALED_LINKS = ("identity", "log", "inverse", "sqrt", "1/mu^2")


def r_round(value: float, digits: int = 1) -> float:
    """Round to ``digits`` decimals as R's ``round()`` does for the numbers priors print."""
    return float(round(float(value), digits))


def r_mad(values: np.ndarray) -> float:
    """R's ``mad()``: 1.4826 times the median absolute deviation from the median."""
    values = np.asarray(values, dtype=float)
    return 1.4826 * float(np.median(np.abs(values - np.median(values))))


def format_number(value: float) -> str:
    """Print a number inside a prior string as R prints it (``59.3``, ``0``, ``1530``)."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def scale_from_response(values: np.ndarray) -> float:
    """brms's default scale: ``max(2.5, round(mad(values), 1))``."""
    return max(2.5, r_round(r_mad(values), 1))


@dataclass(frozen=True)
class AuxParameter:
    """A family parameter besides the mean, such as ``sigma`` or ``shape``."""

    name: str
    lower: float | None
    default_prior: Callable[[np.ndarray], str]
    link: str = "identity"


def _sigma_prior(y: np.ndarray) -> str:
    return f"student_t(3, 0, {format_number(scale_from_response(y))})"


def _constant_prior(text: str) -> Callable[[np.ndarray], str]:
    return lambda y: text


def _kind_error(family: str, column: str, rule: str, bad: pd.Series) -> DataError:
    examples = ", ".join(repr(v) for v in bad.unique()[:5].tolist())
    return DataError(
        f"Family {family!r} needs {rule}, but response {column!r} has {len(bad)} value(s) "
        f"outside that, e.g. {examples}."
    )


def _numeric(series: pd.Series, family: str, column: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(
        series.dtype
    ):
        raise DataError(
            f"Response {column!r} must be numeric for family {family!r}, but its dtype is "
            f"{series.dtype}."
        )
    return series.to_numpy(dtype=float)


def _check_real(series, family, column, trials=None):
    return _numeric(series, family, column)


def _check_positive(series, family, column, trials=None):
    values = _numeric(series, family, column)
    bad = series[values <= 0]
    if len(bad):
        raise _kind_error(family, column, "positive values (> 0)", bad)
    return values


def _check_unit_interval(series, family, column, trials=None):
    values = _numeric(series, family, column)
    bad = series[(values <= 0) | (values >= 1)]
    if len(bad):
        raise _kind_error(family, column, "values strictly between 0 and 1", bad)
    return values


def _check_count(series, family, column, trials=None):
    values = _numeric(series, family, column)
    bad = series[(values < 0) | (values != np.round(values))]
    if len(bad):
        raise _kind_error(family, column, "non-negative integer counts", bad)
    return values.astype(np.int64)


def _check_binary(series, family, column, trials=None):
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=np.int64)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float)
        bad = series[(values != 0) & (values != 1)]
        if len(bad):
            raise _kind_error(
                family, column, "0/1 values, booleans or a factor with two levels", bad
            )
        return values.astype(np.int64)
    levels = sorted_levels(series)
    if len(levels) != 2:
        raise DataError(
            f"Family {family!r} needs 0/1 values, booleans or a factor with two levels, but "
            f"response {column!r} has {len(levels)} level(s): "
            + ", ".join(repr(str(level)) for level in levels[:6])
            + "."
        )
    warnings.warn(
        f"Response {column!r} has levels {str(levels[0])!r} and {str(levels[1])!r}; "
        f"{str(levels[1])!r} is the success (1), as in brms.",
        UserWarning,
        stacklevel=2,
    )
    return (series == levels[1]).to_numpy(dtype=np.int64)


def _check_binomial(series, family, column, trials=None):
    values = _check_count(series, family, column)
    if trials is None:
        raise DataError(
            f"Family 'binomial' needs the number of trials: write '{column} | trials(n) ~ ...' "
            f"or 'cbind({column}, failures) ~ ...'."
        )
    bad = series[values > trials]
    if len(bad):
        raise _kind_error(family, column, "integer successes between 0 and the trials", bad)
    return values


@dataclass(frozen=True)
class Family:
    """A response distribution with its link.

    Attributes
    ----------
    name
        brms's family name (``gaussian``, ``bernoulli``, ...).
    link
        The link of the mean.
    links
        The links this family accepts.
    aux
        Auxiliary parameters with their default priors.
    likelihood
        ``(eta, mu, aux, trials, link) -> (PyMC distribution class, its parameters)``: the
        one definition of the response distribution. The model's likelihood, the pointwise
        log density (:meth:`log_density`) and new observations (:meth:`random`) all come
        from it.
    mean
        ``(mu, aux, trials) -> expected value``, for ``posterior_epred``.
    variance
        The variance function of the mean up to a dispersion factor, as in a GLM.
    latent_variance
        ``(link, draw, group_variance) -> residual variance on the latent (link) scale``
        for :func:`multilevel.criteria.icc`, where ``draw(name)`` gives a parameter's draws;
        None, or a None result, where the family has none for that link.
    discrete
        Whether the response takes integer values.
    proportion
        Whether the response counts successes out of trials (one trial for bernoulli).
    normal
        Whether the response is normal given the linear predictor, which with the identity
        link allows the likelihood from cross-products.
    """

    name: str
    link: str
    links: tuple[str, ...]
    aux: tuple[AuxParameter, ...]
    check_response: Callable = field(repr=False)
    likelihood: Callable = field(repr=False)
    mean: Callable = field(repr=False)
    needs_trials: bool = False
    log_scale_response: bool = False
    variance: Callable = field(default=lambda mu: np.ones_like(mu), repr=False)
    latent_variance: Callable | None = field(default=None, repr=False)
    discrete: bool = False
    proportion: bool = False
    normal: bool = False

    def __call__(self, link: str | None = None) -> Family:
        """Return this family with another link, as ``ml.bernoulli(link="probit")``."""
        if link is None:
            return self
        if link not in self.links:
            raise FamilyError(
                f"Link {link!r} is not available for family {self.name!r}; valid links: "
                + ", ".join(self.links)
                + "."
            )
        return replace(self, link=link)

    def log_density(self, y, eta, aux, trials=None) -> np.ndarray:
        """Pointwise log density of ``y`` under every draw, from the PyMC distribution.

        Parameters
        ----------
        y
            Observations, shape (rows,).
        eta
            Linear predictor draws, shape (draws, rows).
        aux
            Each auxiliary parameter's draws, shape (draws, 1).
        trials
            Binomial trials per row, or None.

        Returns
        -------
        numpy.ndarray
            Shape (draws, rows).
        """
        compiled = _derived_functions(self).log_density
        with np.errstate(all="ignore"):
            return np.asarray(compiled(*self._inputs(eta, aux, trials), np.asarray(y)))

    def random(self, rng: np.random.Generator, eta, aux, trials=None) -> np.ndarray:
        """One new observation per draw and row, drawn by the PyMC distribution.

        Parameters are those of :meth:`log_density`; ``rng`` seeds the draws.
        """
        compiled = _derived_functions(self).random
        generator = np.random.default_rng(rng.integers(2**63))
        with np.errstate(all="ignore"):
            return np.asarray(compiled(generator, *self._inputs(eta, aux, trials)))

    def _inputs(self, eta, aux, trials) -> list:
        values = [np.asarray(eta, dtype=float)]
        values += [np.asarray(aux[a.name], dtype=float).reshape(-1, 1) for a in self.aux]
        if self.needs_trials:
            # trials read from newdata may arrive as floats; the binomial needs integers
            values.append(np.rint(np.asarray(trials, dtype=float)).astype(np.int64))
        return values

    @property
    def link_function(self) -> Link:
        return LINKS[self.link]

    @property
    def link_description(self) -> str:
        """The ``Links:`` line of brms's summary."""
        parts = [f"mu = {self.link}"] + [f"{a.name} = {a.link}" for a in self.aux]
        return "; ".join(parts)

    def intercept_prior_location_scale(
        self, y: np.ndarray, offset_mean: float
    ) -> tuple[float, float] | None:
        """brms's default Intercept ``student_t`` location and scale, or None for (0, 2.5)."""
        link = "log" if self.log_scale_response else self.link
        if link not in _DATA_SCALED_LINKS:
            return None
        values = np.asarray(y, dtype=float)
        if link in ("log", "inverse", "1/mu^2"):
            values = np.where(values == 0, values + 0.1, values)
        with np.errstate(all="ignore"):
            transformed = LINKS[link].forward(values) if link in LINKS else values ** -2
        transformed = transformed[np.isfinite(transformed)]
        # brms rounds the median and then subtracts the mean offset without rounding again
        location = r_round(float(np.median(transformed)), 1) - offset_mean
        return location, scale_from_response(transformed)


@dataclass(frozen=True)
class _DerivedFunctions:
    log_density: Callable
    random: Callable


# One compiled pair per family and link; compiling takes a few milliseconds.
_DERIVED: dict[tuple[str, str], _DerivedFunctions] = {}
# NumPy's own implementations of each operation, without graph rewrites: the functions run once
# per call on whole (draws x rows) arrays, and rewrites would merge products into n-ary
# operations that PyTensor's Python implementation evaluates element by element.
_NUMPY_MODE = Mode(linker="py", optimizer=None)


def _derived_functions(family: Family) -> _DerivedFunctions:
    key = (family.name, family.link)
    if key not in _DERIVED:
        eta = pt.matrix("eta")
        aux = {a.name: pt.tensor(a.name, shape=(None, 1)) for a in family.aux}
        trials = pt.vector("trials", dtype="int64") if family.needs_trials else None
        rng = random_generator_type("rng")
        mu = family.link_function.inverse_tensor(eta)
        cls, parameters = family.likelihood(eta, mu, aux, trials, family.link)
        distribution = cls.dist(**parameters, rng=rng)
        y = pt.vector("y", dtype=distribution.dtype)
        inputs = [eta, *aux.values()] + ([trials] if trials is not None else [])
        log_density = function([*inputs, y], pm.logp(distribution, y), mode=_NUMPY_MODE,
                               on_unused_input="ignore")
        draws = function([rng, *inputs], distribution.owner.outputs[1], mode=_NUMPY_MODE,
                         on_unused_input="ignore")
        _DERIVED[key] = _DerivedFunctions(log_density, draws)
    return _DERIVED[key]


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


def _gamma_likelihood(eta, mu, aux, trials, link):
    return pm.Gamma, {"alpha": aux["shape"], "beta": aux["shape"] / mu}


def _lognormal_likelihood(eta, mu, aux, trials, link):
    return pm.LogNormal, {"mu": mu, "sigma": aux["sigma"]}


def _beta_likelihood(eta, mu, aux, trials, link):
    return pm.Beta, {"alpha": mu * aux["phi"], "beta": (1 - mu) * aux["phi"]}


# --- expected values (numpy, draws x observations) ----------------------------------------------

def _mean_is_mu(mu, aux, trials):
    return mu


def _binomial_mean(mu, aux, trials):
    return mu * trials


def _lognormal_mean(mu, aux, trials):
    return np.exp(mu + aux["sigma"] ** 2 / 2)


def _binary_variance(mu):
    return mu * (1 - mu)


def _identity_variance(mu):
    return mu


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


def _gamma_latent(link, draw, group_variance):
    return polygamma(1, draw("shape")) if link == "log" else None


_BINARY_LINKS = ("logit", "probit", "cloglog", "identity")
_POSITIVE_LINKS = ("log", "identity", "inverse", "sqrt", "softplus")


_SIGMA = AuxParameter("sigma", 0.0, _sigma_prior)

gaussian = Family("gaussian", "identity", ("identity", "log", "inverse", "softplus"), (_SIGMA,),
                  _check_real, _gaussian_likelihood, _mean_is_mu,
                  latent_variance=_sigma_latent, normal=True)
student = Family(
    "student", "identity", ("identity", "log", "inverse", "softplus"),
    (AuxParameter("nu", 1.0, _constant_prior("gamma(2, 0.1)")), _SIGMA),
    _check_real, _student_likelihood, _mean_is_mu, latent_variance=_sigma_latent,
)
bernoulli = Family("bernoulli", "logit", _BINARY_LINKS, (), _check_binary, _bernoulli_likelihood,
                   _mean_is_mu, variance=_binary_variance, latent_variance=_binary_latent,
                   discrete=True, proportion=True)
binomial = Family("binomial", "logit", _BINARY_LINKS, (), _check_binomial, _binomial_likelihood,
                  _binomial_mean, needs_trials=True, variance=_binary_variance,
                  latent_variance=_binary_latent, discrete=True, proportion=True)
poisson = Family("poisson", "log", _POSITIVE_LINKS, (), _check_count, _poisson_likelihood,
                 _mean_is_mu, variance=_identity_variance, latent_variance=_count_latent,
                 discrete=True)
negbinomial = Family(
    "negbinomial", "log", _POSITIVE_LINKS,
    (AuxParameter("shape", 0.0, _constant_prior("inv_gamma(0.4, 0.3)")),),
    _check_count, _negbinomial_likelihood, _mean_is_mu, variance=_identity_variance,
    latent_variance=_negbinomial_latent, discrete=True,
)
gamma = Family(
    "gamma", "log", ("log", "identity", "inverse", "softplus"),
    (AuxParameter("shape", 0.0, _constant_prior("gamma(0.01, 0.01)")),),
    _check_positive, _gamma_likelihood, _mean_is_mu, variance=np.square,
    latent_variance=_gamma_latent,
)
lognormal = Family("lognormal", "identity", ("identity",), (_SIGMA,), _check_positive,
                   _lognormal_likelihood, _lognormal_mean, log_scale_response=True,
                   latent_variance=_sigma_latent)
beta = Family(
    "beta", "logit", _BINARY_LINKS,
    (AuxParameter("phi", 0.0, _constant_prior("gamma(0.01, 0.01)")),),
    _check_unit_interval, _beta_likelihood, _mean_is_mu, variance=_binary_variance,
)

_BY_NAME = {
    "gaussian": gaussian, "normal": gaussian, "student": student, "bernoulli": bernoulli,
    "binomial": binomial, "poisson": poisson, "negbinomial": negbinomial,
    "negative_binomial": negbinomial, "gamma": gamma, "lognormal": lognormal, "beta": beta,
}
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
        available = sorted(set(f.name for f in _BY_NAME.values()))
        if not isinstance(family, str):
            raise FamilyError(f"family must be a family name such as 'gaussian' or a family "
                              f"object such as ml.poisson(), got {family!r}; available: "
                              + ", ".join(available) + ".")
        key = family.strip().lower()
        if key not in _BY_NAME:
            raise FamilyError(
                f"Unknown family {family!r}.{close_matches(key, _BY_NAME)} Available: "
                + ", ".join(available)
                + "."
            )
        resolved = _BY_NAME[key]
    if link is not None and not isinstance(link, str):
        raise FamilyError(f"link must be a link name such as 'logit', got {link!r}.")
    return resolved(link)

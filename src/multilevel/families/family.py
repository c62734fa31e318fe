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
from scipy.special import softmax

from ..blocks import row_blocks
from ..errors import DataError, FamilyError
from ..names import stan_name
from .derived import block_rows, derived_functions
from .links import LINKS, Link

# brms computes the default Intercept location and scale from the response on these links.
_DATA_SCALED_LINKS = ("identity", "log", "inverse", "sqrt", "1/mu^2")


def r_round(value: float, digits: int = 1) -> float:
    """Round to ``digits`` decimals as R's ``round()`` does for the numbers priors print."""
    return float(round(float(value), digits))


def r_mad(values: np.ndarray, axis: int | None = None):
    """R's ``mad()``: 1.4826 times the median absolute deviation from the median (of all
    values, or along ``axis``)."""
    values = np.asarray(values, dtype=float)
    median = np.median(values, axis=axis, keepdims=True)
    return 1.4826 * np.median(np.abs(values - median), axis=axis)


def estimate_and_error(values: np.ndarray, robust: bool, axis: int | None = 0):
    """brms's Estimate and Est.Error of draws (along ``axis``): the mean and sd, or with
    ``robust`` the median and R's ``mad()``, as brms's ``posterior_summary()``."""
    values = np.asarray(values, dtype=float)
    if robust:
        return np.median(values, axis=axis), r_mad(values, axis=axis)
    return values.mean(axis=axis), values.std(axis=axis, ddof=1)


def format_number(value: float) -> str:
    """Print a number inside a prior string as R prints it (``59.3``, ``0``, ``1530``)."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def add_known_errors(sigma, se):
    """The sd of a response with known standard errors ``se`` (``y | se(se)``) and residual
    sd ``sigma``: ``sqrt(sigma^2 + se^2)``, as brms's likelihood; tensors or arrays."""
    return (sigma ** 2 + se ** 2) ** 0.5


def scale_from_response(values: np.ndarray) -> float:
    """brms's default scale: ``max(2.5, round(mad(values), 1))``."""
    return max(2.5, r_round(r_mad(values), 1))


@dataclass(frozen=True)
class AuxParameter:
    """A family parameter besides the mean, such as ``sigma`` or ``shape``.

    Attributes
    ----------
    name
        brms's name of the parameter.
    lower, upper
        Its bounds when it is one parameter for all observations; a name of
        :data:`~multilevel.priors.distributions.DATA_SYMBOLS` for a bound set by the data
        (brms's ``min_Y``).
    default_prior
        ``y -> prior`` in Stan's spelling, brms's default for the constant parameter, given
        the response on its family's own scale (its log for a lognormal response, whatever
        the link of the mean: brms's default scale of sigma).
    dpar_link
        The link of the parameter when it is predicted (``ml.bf(..., sigma="~ x")``).
    dpar_intercept_prior
        brms's default prior of the predicted parameter's intercept.
    closed
        Whether the lower and the upper bound are values the parameter may take, for a
        value ``bf()`` holds it at.
    start
        Where the chains start the constant parameter, where its prior's support point is
        far from any likely value (the von Mises kappa's ``gamma(2, 0.01)`` has mean 200).
    held
        The value the family holds the parameter at unless a formula predicts it (an ordinal
        model's discrimination ``disc``, 1 in brms, a constant column of its draws); None
        for a parameter that is estimated.
    """

    name: str
    lower: float | None
    default_prior: Callable[[np.ndarray], str]
    upper: float | str | None = None
    dpar_link: str = "log"
    dpar_intercept_prior: str = "student_t(3, 0, 2.5)"
    # whether the bounds themselves are values the parameter may take (a probability may be
    # 0 or 1, an asymmetric Laplace's quantile may not)
    closed: tuple[bool, bool] = (False, False)
    start: float | None = None
    held: float | None = None


def is_category_predictor(name: str) -> bool:
    """Whether a categorical family's parameter is a category's linear predictor (``mub``),
    named by brms with ``mu`` and the category, rather than another (a dirichlet's ``phi``)."""
    return name.startswith("mu")


def no_constant_prior(y: np.ndarray) -> str:
    """The default prior of a parameter that is always predicted (a category's linear
    predictor, an ordinal model's estimated discrimination): there is none."""
    raise AssertionError("the parameter is always predicted")


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
    draw
        ``(rng, mu, aux, trials) -> new observations``, where drawing from the PyMC
        distribution would not do (see the hurdle families); None draws from it.
    ordinal
        Whether the response is ordered categories 1..K, modelled through K - 1 ordered
        thresholds (``b_Intercept[1]``, ...) that the linear predictor is subtracted from;
        they reach the likelihood as ``aux["thresholds"]``.
    ordered_thresholds
        Whether an ordinal model's thresholds are increasing (brms's cumulative model; its
        sequential and adjacent-category models leave them free).
    linear_predictor_above_thresholds
        Whether an ordinal model's link is applied to the linear predictor less each
        threshold (brms's ``cratio`` and ``acat``) rather than to each threshold less the
        linear predictor (``cumulative``, ``sratio``).
    categorical
        Whether the response is unordered categories, each but the first with its own linear
        predictor ``mu2``, ``mu3``, ... (the family's parameters once
        :meth:`for_categories` has named them), against the first's zero.
    residual_structures
        Whether a residual structure (``ar()``, ``ma()``, ``arma()``, ``cosy()``,
        ``unstr()``) can model the residuals, with the identity link, as brms's ARMA terms
        with ``cov = FALSE`` and its compound symmetry do for gaussian and student.
    known_standard_errors
        Whether ``y | se(sei)`` can give each observation a known standard error, the scale
        of the response (``sigma``) then being ``sqrt(sigma^2 + sei^2)``, with ``sigma`` 0
        unless ``se(sei, sigma = TRUE)`` estimates it, as in brms.
    censoring
        Whether ``y | cens(censored)`` can mark responses as censored (left, right or, with
        ``cens(censored, y2)``, in an interval), their likelihood then coming from the PyMC
        distribution's log CDF, as brms's: for families whose PyMC log CDF and its complement
        keep their precision far in both tails (PyMC computes the gamma's, the Poisson's and
        the negative binomial's complement as one less the CDF, which is 0 there) and have
        a derivative in JAX (the Student t's CDF, an incomplete beta function, has none in
        its degrees of freedom).
    truncated_mean
        ``(mu, aux, trials, lower, upper) -> mean`` of the response within bounds (None for
        an open side), for ``y | trunc()``; None where the family cannot be truncated (its
        PyMC log CDF, or that CDF's derivative in JAX, is missing).
    components
        A mixture's families (:func:`~multilevel.families.mixture.mixture`), whose means
        ``mu1``, ``mu2``, ... each take the formula's predictors, and whose parameters are
        numbered as brms numbers them (``sigma1``, ``theta1``); empty for one family.
    ordered_intercepts
        Whether a mixture's components are identified by the order of their means'
        intercepts (brms's ``order = "mu"``).
    group_sd_start
        Where the chains start the sds of group effects, where their default prior's
        support point spans more than the link's useful range (an sd of 2.5 on the von
        Mises ``tan_half`` scale wraps the circle); None for that support point.
    columns
        For a categorical family whose response is one column per category (``cbind(a, b,
        c)``: shares of a whole, dirichlet; counts out of trials, multinomial), how the
        equations (``latex=True``) and the exported program write its distribution:
        ``(shares, aux, trials, latex) -> (distribution, arguments)``, given the code or
        LaTeX of the expected shares, of the other parameters and of the trials; None for
        other families.
    predicted_proportions
        A mixture's proportions its formula predicts (``theta2 ~ x``), whose softmax beside
        the others' 0 gives the components' probabilities; the others are then not among
        its parameters.
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
    draw: Callable | None = field(default=None, repr=False)
    ordinal: bool = False
    ordered_thresholds: bool = False
    linear_predictor_above_thresholds: bool = False
    categorical: bool = False
    columns: Callable[[str, dict, str, bool], tuple[str, str]] | None = field(default=None,
                                                                             repr=False)
    residual_structures: bool = False
    known_standard_errors: bool = False
    censoring: bool = False
    truncated_mean: Callable | None = field(default=None, repr=False)
    components: tuple[Family, ...] = ()
    ordered_intercepts: bool = False
    predicted_proportions: tuple[str, ...] = ()
    group_sd_start: float | None = None

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

    def distribution(self, eta, aux: dict, trials=None):
        """The response's PyMC distribution given tensors of the linear predictor, the
        auxiliary parameters and the trials, outside any model.

        Its ``pm.logp`` is the log density every derived function starts from.
        """
        cls, parameters = self.likelihood(eta, self.link_function.inverse_tensor(eta), aux,
                                          trials, self.link)
        return cls.dist(**parameters)

    def log_density(self, y, eta, aux, trials=None, censoring=None,
                    truncation=None) -> np.ndarray:
        """Pointwise log density of ``y`` under every draw, from the PyMC distribution.

        Parameters
        ----------
        y
            Observations, shape (rows,).
        eta
            Linear predictor draws, shape (draws, rows).
        aux
            Each auxiliary parameter's draws, shape (draws, 1), or (draws, rows) where it is
            predicted.
        trials
            Binomial trials per row, or None.
        censoring
            ``(codes, upper)`` of a censored response
            (:func:`~multilevel.families.censored.censored_log_density`), or None.
        truncation
            ``(lower, upper)``, each row's truncation bounds (None for an open side), or
            None.

        Returns
        -------
        numpy.ndarray
            Shape (draws, rows).
        """
        derived = derived_functions(self)
        inputs, y = self._inputs(eta, aux, trials), np.asarray(y)
        per_row = [y]
        compiled = derived.log_density
        lower, upper = (None, None) if truncation is None else truncation
        bounds = [np.asarray(b, dtype=y.dtype) for b in (lower, upper) if b is not None]
        if censoring is not None:
            compiled = derived.variant("censored", lower is not None, upper is not None)
            per_row += [np.asarray(values) for values in censoring] + bounds
        elif truncation is not None:
            compiled = derived.variant("truncated", lower is not None, upper is not None)
            per_row += bounds
        draws, rows = inputs[0].shape
        densities = np.empty((draws, rows))
        with np.errstate(all="ignore"):
            for block in row_blocks(draws, rows):
                densities[:, block] = compiled(*[block_rows(value, block) for value in inputs],
                                               *[values[block] for values in per_row])
        return densities

    def random(self, rng: np.random.Generator, eta, aux, trials=None,
               truncation=None) -> np.ndarray:
        """One new observation per draw and row, drawn by the PyMC distribution (or by the
        family's ``draw`` where it has one).

        Parameters are those of :meth:`log_density`; ``rng`` seeds the draws. Within
        ``truncation`` bounds, a continuous response is drawn by its inverse CDF from a uniform
        draw between the bounds' probabilities, as brms's; a count is drawn again where it
        falls outside, NaN with a warning where it still does after
        :data:`TRUNCATION_ROUNDS` rounds.
        """
        if truncation is not None and not self.discrete:
            lower, upper = truncation
            compiled = derived_functions(self).variant("truncated_draws", lower is not None,
                                                       upper is not None)
            bounds = [np.asarray(b, dtype=float) for b in (lower, upper) if b is not None]
            with np.errstate(all="ignore"):
                return np.asarray(compiled(*self._inputs(eta, aux, trials),
                                           rng.uniform(size=np.shape(eta)), *bounds))
        if truncation is not None:
            return _within_bounds(self.random(rng, eta, aux, trials), truncation,
                                  lambda: self.random(rng, eta, aux, trials))
        if self.draw is not None:
            inputs = self._inputs(eta, aux, trials)
            values = dict(zip([a.name for a in self.aux], inputs[1:], strict=False))
            with np.errstate(all="ignore"):
                return self.draw(rng, self.link_function.inverse_numpy(inputs[0]), values,
                                 trials)
        derived = derived_functions(self)
        generators = [np.random.default_rng(seed)
                      for seed in rng.integers(2**63, size=derived.generators)]
        with np.errstate(all="ignore"):
            return np.asarray(derived.random(*generators, *self._inputs(eta, aux, trials)))

    def expected_value(self, eta, aux, trials=None, truncation=None) -> np.ndarray:
        """The expected response per draw and row; per category (draws, rows, K) if ordinal;
        within each row's ``truncation`` bounds ``(lower, upper)`` if given."""
        if truncation is not None:
            shape = np.shape(eta)
            values = {a.name: np.broadcast_to(np.asarray(aux[a.name], dtype=float), shape)
                      for a in self.aux}
            lower, upper = (None if b is None else np.asarray(b, dtype=float)[None, :]
                            for b in truncation)
            with np.errstate(all="ignore"):
                return self.truncated_mean(self.link_function.inverse_numpy(eta), values,
                                           trials, lower, upper)
        if self.categorical:
            etas = np.stack([np.broadcast_to(np.asarray(aux[name], dtype=float), np.shape(eta))
                             for name in self.formula_parameters], axis=-1)
            etas = np.concatenate([np.zeros(etas.shape[:2] + (1,)), etas], axis=2)
            shares = softmax(etas, axis=2)
            # a multinomial's expected counts: its trials times the shares
            if not self.needs_trials:
                return shares
            return shares * np.asarray(trials)[None, :, None]
        if self.ordinal:
            # each category's probability is its density, from the likelihood
            categories = np.shape(aux["thresholds"])[-1] + 1
            rows = np.shape(eta)[1]
            return np.stack([np.exp(self.log_density(np.full(rows, k), eta, aux, trials))
                             for k in range(1, categories + 1)], axis=2)
        return self.mean(self.link_function.inverse_numpy(eta), aux, trials)

    def threshold_predictors(self, eta, aux) -> np.ndarray:
        """An ordinal model's linear predictor at each threshold (draws, rows, thresholds),
        what its link's inverse is applied to: ``disc * (threshold - eta)``, or ``disc * (eta
        - threshold)`` for brms's ``cratio`` and ``acat``, as brms's
        ``posterior_linpred(incl_thres = TRUE)``."""
        eta, *parameters, thresholds = self._inputs(eta, aux, None)
        disc = parameters[[parameter.name for parameter in self.aux].index("disc")]
        difference = thresholds - eta[..., None]
        sign = -1.0 if self.linear_predictor_above_thresholds else 1.0
        return sign * disc[..., None] * difference

    def _inputs(self, eta, aux, trials) -> list:
        eta = np.asarray(eta, dtype=float)
        values = [eta]
        # a predicted parameter varies by row; a constant one is a column of draws; one the
        # family holds (an ordinal model's disc) is its held value where not given
        for parameter in self.aux:
            value = (aux[parameter.name] if parameter.name in aux or parameter.held is None
                     else np.full((eta.shape[0], 1), parameter.held))
            values.append(np.broadcast_to(
                np.asarray(value, dtype=float).reshape(eta.shape[0], -1), eta.shape))
        if self.ordinal:
            # (draws, rows, thresholds): the same for every row but under cs() terms
            thresholds = np.asarray(aux["thresholds"], dtype=float)
            if thresholds.ndim == 2:
                thresholds = thresholds[:, None, :]
            values.append(np.broadcast_to(thresholds, eta.shape + thresholds.shape[-1:]))
        if self.needs_trials:
            # trials read from newdata may arrive as floats; the binomial needs integers
            values.append(np.rint(np.asarray(trials, dtype=float)).astype(np.int64))
        return values

    @property
    def link_function(self) -> Link:
        return LINKS[self.link]

    @property
    def label(self) -> str:
        """The family as brms's summary names it: ``mixture(gaussian, gaussian)`` for a
        mixture, else its name."""
        if self.components:
            return f"mixture({', '.join(c.name for c in self.components)})"
        return self.name

    @property
    def formula_parameters(self) -> tuple[str, ...]:
        """The parameters that take the formula's predictors in place of one mean: a
        categorical family's per category, a mixture's per component."""
        if self.categorical:
            return tuple(a.name for a in self.aux if is_category_predictor(a.name))
        return tuple(f"mu{k}" for k in range(1, len(self.components) + 1))

    def component_of(self, name: str) -> Family:
        """The family a parameter belongs to: a mixture's component for its numbered
        parameters (``sigma2``), else this family."""
        for number, component in enumerate(self.components, 1):
            if name in {f"{a.name}{number}" for a in component.aux} | {f"mu{number}"}:
                return component
        return self

    @property
    def mixing_proportions(self) -> tuple[str, ...]:
        """A mixture's ``theta1``, ``theta2``, ...: one simplex with a Dirichlet prior."""
        return tuple(f"theta{k}" for k in range(1, len(self.components) + 1))

    def for_categories(self, labels: list[str]) -> Family:
        """A categorical family with one linear predictor per category after the first,
        named as brms names them (``mu2`` for category ``2``).

        They are always predicted, so they have no prior of their own; their identity link
        hands the linear predictors to the softmax of the likelihood.
        """
        names = [stan_name(f"mu{label}") for label in labels[1:]]
        clashing = sorted({label for label, name in zip(labels[1:], names, strict=True)
                           if names.count(name) > 1})
        if clashing:
            raise DataError(f"Invalid response category names {', '.join(map(repr, clashing))}: "
                            "brms names each category's parameter after its letters and digits "
                            "alone, which these share; please avoid special characters in "
                            "the names.")
        predictors = tuple(AuxParameter(name, None, no_constant_prior, dpar_link="identity")
                           for name in names)
        # a dirichlet's precision phi stays after them
        return replace(self, aux=predictors + tuple(a for a in self.aux
                                                    if not is_category_predictor(a.name)))

    def link_description(self, predicted: tuple[str, ...] = ()) -> str:
        """The ``Links:`` line of brms's summary, given the predicted parameters."""
        def link(name: str) -> str:
            return self.predictor_link(name) if name in predicted else "identity"

        if self.categorical:
            return "; ".join(f"{a.name} = {self.link}" if a.name in self.formula_parameters
                             else f"{a.name} = {link(a.name)}" for a in self.aux)

        names = [a.name for a in self.aux]
        if self.components:
            # every proportion, those left at 0 beside predicted ones too, as brms
            names = [n for n in names if n not in self.mixing_proportions]
            return "; ".join(f"{n} = {link(n)}" for n in names + list(self.mixing_proportions))
        return "; ".join([f"mu = {self.link}"] + [f"{n} = {link(n)}" for n in names])

    def predictor_link(self, name: str) -> str:
        """The link of a predicted parameter: a mixture component's mean has its family's
        (the mixture's likelihood applies it), any other its own."""
        if self.components and name in self.formula_parameters:
            return self.component_of(name).link
        return self.aux_parameter(name).dpar_link

    def aux_parameter(self, name: str) -> AuxParameter:
        return next(a for a in self.aux if a.name == name)

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


# rounds of drawing again the counts that fell outside their truncation bounds
TRUNCATION_ROUNDS = 200


def _within_bounds(values: np.ndarray, bounds, draw) -> np.ndarray:
    """Draws of a truncated count: each outside its row's bounds replaced by a new draw
    until none is left (rejection, as brms's), NaN with a warning where one stays outside
    after :data:`TRUNCATION_ROUNDS` rounds."""
    lower, upper = (None if b is None else np.asarray(b, dtype=float)[None, :] for b in bounds)
    values = np.asarray(values, dtype=float)

    def outside(x):
        below = np.zeros(x.shape, dtype=bool) if lower is None else x < lower
        return below | (False if upper is None else x > upper)

    for _ in range(TRUNCATION_ROUNDS):
        rejected = outside(values)
        if not rejected.any():
            return values
        values = np.where(rejected, draw(), values)
    rejected = outside(values)
    if rejected.any():
        warnings.warn(f"{100 * rejected.mean():.2g}% of the predicted values stayed outside "
                      f"their truncation bounds after {TRUNCATION_ROUNDS} rounds of drawing "
                      "again and are NaN; the bounds leave little of their distributions.",
                      UserWarning, stacklevel=5)
        values = np.where(rejected, np.nan, values)
    return values


"""Pieces of a model's PyMC program: priors, links, likelihoods and helper functions as code.

Each writer here mirrors one function of the model stage (``prior_variable``,
``ordered_prior_variable``, ``lkj_cholesky``, the families' likelihoods) so that the program's
log density is the model's: the same PyMC distributions, truncations and transformations.
"""

from __future__ import annotations

import re

import pymc as pm

from ..errors import MultilevelError
from ..priors.distributions import PYMC_DISTRIBUTIONS, Distribution
from ..priors.table import PriorTable
from ..spec.category_specific import CategorySpecificPart
from .model_code_data import concentrations_code, number, quote
from .model_code_ordinal import CUMULATIVE_HELPERS, sequential_helper


class ModelCodeError(MultilevelError):
    """A model feature the PyMC program writer does not write yet."""


def _arguments(params: dict) -> str:
    return ", ".join(f"{key}={number(value)}" for key, value in params.items())


def _call(function: str, name: str, arguments: str, extra: str) -> str:
    parts = [quote(name)] + [part for part in (arguments, extra) if part]
    return f"{function}({', '.join(parts)})"


def _distribution(dist: Distribution):
    cls, arguments, half, location = PYMC_DISTRIBUTIONS[dist.name]
    return cls, arguments(dist.args), half, location


def distribution_code(dist: Distribution) -> str:
    """``pm.StudentT.dist(nu=3.0, ...)``: a prior as an unnamed distribution."""
    cls, params, _, _ = _distribution(dist)
    return f"pm.{cls.__name__}.dist({_arguments(params)})"


def prior_code(name: str, dist: Distribution, lower: float | None = None,
               upper: float | None = None, extra: str = "") -> str:
    """A PyMC variable with a Stan-spelled prior, truncated at the bounds as brms does.

    The same choices as :func:`multilevel.priors.distributions.prior_variable`: a half
    distribution for a bound at 0 on a prior centred at 0, a truncation elsewhere, the
    distribution itself where its support respects the bound. ``extra`` holds further
    keyword arguments (``dims=...``).
    """
    if dist.name == "constant":  # held at its value, as brms's Stan code assigns it
        value = number(dist.args[0])
        dims = extra.removeprefix("dims=") if extra.startswith("dims=") else ""
        held = f"pt.full((len(coords[{dims}]),), {value})" if dims else f"pt.constant({value})"
        return _call("pm.Deterministic", name, held, extra)
    if upper is not None:
        return _doubly_bounded_code(name, dist, lower, upper, extra)
    if dist.name == "flat":
        if lower is None:
            return _call("pm.Flat", name, "", extra)
        if lower == 0.0:
            return _call("pm.HalfFlat", name, "", extra)
        return _call("pm.Truncated", name, f"pm.Flat.dist(), lower={number(lower)}", extra)
    cls, params, half, location = _distribution(dist)
    support = dist.support_lower
    if lower is None or (support is not None and support >= lower):
        return _call(f"pm.{cls.__name__}", name, _arguments(params), extra)
    if dist.name == "uniform":
        return _call(f"pm.{cls.__name__}", name,
                     f"lower={number(lower)}, upper={number(params['upper'])}", extra)
    if lower == 0.0 and half is not None and params[location] == 0.0:
        del params[location]
        return _call(f"pm.{half.__name__}", name, _arguments(params), extra)
    return _call("pm.Truncated", name,
                 f"pm.{cls.__name__}.dist({_arguments(params)}), lower={number(lower)}", extra)


def class_code(table: PriorTable, variable: str, name: str, class_: str, coefs: list[str],
               group: str, dims: str, dpars: list[str], own_coefs: list[str]) -> str:
    """One vector for a class, or one variable per coefficient where their priors differ,
    each within its bounds in the table (the model's ``_class_variable``)."""
    keys = [(class_, coef, group, dpar)
            for coef, dpar in zip(own_coefs, dpars, strict=True)]
    priors = [(table.lookup(*key), table.bounds(*key)) for key in keys]
    if all(p == priors[0] for p in priors):
        dist, bounds = priors[0]
        return f"{variable} = " + prior_code(name, dist, *bounds,
                                             extra=f"dims={quote(dims)}")
    parts = [prior_code(f"{name}[{coef}]", dist, *bounds)
             for coef, (dist, bounds) in zip(coefs, priors, strict=True)]
    inner = "".join(f"\n    {part}," for part in parts)
    return (f"{variable} = pm.Deterministic({quote(name)}, pt.stack([{inner}\n]), "
            f"dims={quote(dims)})")



def _doubly_bounded_code(name: str, dist: Distribution, lower: float | None, upper: float,
                         extra: str) -> str:
    bounds = (f"lower={number(lower)}, " if lower is not None else "") + f"upper={number(upper)}"
    if dist.name == "flat":
        if lower is None:
            return _call("pm.Truncated", name, f"pm.Flat.dist(), {bounds}", extra)
        return _call("pm.Uniform", name, bounds, extra)
    cls, params, _, _ = _distribution(dist)
    within = (dist.name == "beta" and (lower, upper) == (0.0, 1.0)) or (
        dist.name == "uniform" and (lower is None or lower <= dist.args[0])
        and dist.args[1] <= upper)
    if within:
        return _call(f"pm.{cls.__name__}", name, _arguments(params), extra)
    return _call("pm.Truncated", name,
                 f"pm.{cls.__name__}.dist({_arguments(params)}), {bounds}", extra)


def ordered_code(variable: str, name: str, priors: list[Distribution], dims: str | None,
                 starts=None) -> list[str]:
    """An increasing vector with a prior per element, as Stan's ``ordered`` type (the model's
    ``ordered_prior_variable``): the first element and the logs of the gaps are sampled,
    shifted to start at ``starts`` where given."""
    raw = f"{variable}_unconstrained"
    first, gaps = f"{raw}[:1]", f"{raw}[1:]"
    lines = [f"{raw} = pm.Flat({quote(name + '_unconstrained')}, shape={len(priors)})"]
    if starts is not None:
        lines.append("# shifted by constants where the chains start, which leaves the "
                     "density as it is (its Jacobian takes the shift)")
        lines.append(f"{variable}_starts = np.array([{', '.join(repr(float(v)) for v in starts)}])")
        first = f"{first} + {variable}_starts[0]"
        gaps = f"{gaps} + np.log(np.diff({variable}_starts))"
    dimension = f", dims={quote(dims)}" if dims else ""
    lines += [
        f"{variable} = pm.Deterministic({quote(name)}, pt.cumsum(pt.concatenate([",
        f"    {first},",
        f"    pt.exp({gaps}),",
        f"])){dimension})",
    ]
    terms = [f"pt.sum({gaps})  # the log-Jacobian of the gaps"]
    proper = [(k, dist) for k, dist in enumerate(priors) if dist.name != "flat"]
    if proper and len(proper) == len(priors) and all(d == priors[0] for _, d in proper):
        terms.append(f"pt.sum(pm.logp({distribution_code(priors[0])}, {variable}))")
    else:
        terms += [f"pm.logp({distribution_code(dist)}, {variable}[{k}])" for k, dist in proper]
    lines.append("pm.Potential(")
    lines.append(f"    {quote(name + '_prior')},")
    lines += [f"    {'+ ' if k else ''}{term}" for k, term in enumerate(terms)]
    lines.append(")")
    return lines


# Inverse links as code, brms's link names (families/links.py computes the same).
INVERSE_LINKS = {
    "identity": "{}",
    "log": "pt.exp({})",
    "logit": "pt.sigmoid({})",
    "probit": "0.5 * pt.erfc(-{} / np.sqrt(2.0))",
    "cloglog": "-pt.expm1(-pt.exp({}))",
    "cauchit": "pt.arctan2(1.0, -{}) / np.pi",
    "inverse": "1.0 / {}",
    "1/mu^2": "1.0 / pt.sqrt({})",
    "sqrt": "pt.sqr({})",
    "logm1": "1.0 + pt.exp({})",
    "softplus": "pt.softplus({})",
    "tan_half": "2.0 * pt.arctan({})",
}


def inverse_link_code(link: str, eta: str) -> str:
    if link not in INVERSE_LINKS:
        raise ModelCodeError(f"The PyMC program writer does not know the inverse of the "
                             f"{link!r} link yet.")
    return INVERSE_LINKS[link].format(eta)


class Symbol:
    """A name in the program standing in for a tensor, so that a family's likelihood,
    called with symbols, writes its parameters as code (``shape / mu``, ``1 - zi``)."""

    def __init__(self, code: str, atomic: bool = True):
        self.code, self.atomic = code, atomic

    def __str__(self) -> str:
        return self.code

    def _operand(self) -> str:
        return self.code if self.atomic else f"({self.code})"

    @staticmethod
    def _other(value) -> str:
        return value._operand() if isinstance(value, Symbol) else repr(value)

    def _binary(self, symbol: str, other, reverse: bool = False) -> Symbol:
        left, right = self._operand(), self._other(other)
        if reverse:
            left, right = right, left
        return Symbol(f"{left} {symbol} {right}", atomic=False)

    def __add__(self, other):
        return self._binary("+", other)

    def __radd__(self, other):
        return self._binary("+", other, reverse=True)

    def __sub__(self, other):
        return self._binary("-", other)

    def __rsub__(self, other):
        return self._binary("-", other, reverse=True)

    def __mul__(self, other):
        return self._binary("*", other)

    def __rmul__(self, other):
        return self._binary("*", other, reverse=True)

    def __truediv__(self, other):
        return self._binary("/", other)

    def __rtruediv__(self, other):
        return self._binary("/", other, reverse=True)

    def call(self, function: str) -> Symbol:
        """The symbol passed to a PyTensor function: ``pt.gamma(1 + 1 / shape)``."""
        return Symbol(f"{function}({self.code})")


# The densities families/builtin.py writes in closed form, written out for the program.
CLOSED_FORM_HELPERS = {
    "frechet": '''def frechet_logp(value, mu, nu):
    """brms's frechet of mean mu and shape nu: Stan's frechet(nu, mu / tgamma(1 - 1 / nu))."""
    log_scale = pt.log(mu) - pt.gammaln(1 - 1 / nu)
    log_ratio = pt.log(value) - log_scale
    return pt.log(nu) - log_scale - (1 + nu) * log_ratio - pt.exp(-nu * log_ratio)


def frechet_logcdf(value, mu, nu, **kwargs):
    """log P(Y <= y) = -(y / scale)^-nu, for censored rows."""
    log_scale = pt.log(mu) - pt.gammaln(1 - 1 / nu)
    return -pt.exp(-nu * (pt.log(value) - log_scale))


class Frechet:
    """The frechet as a PyMC distribution called by keyword, as PyMC's own classes."""

    def __new__(cls, name, mu, nu, **kwargs):
        return pm.CustomDist(name, mu, nu, logp=frechet_logp, logcdf=frechet_logcdf, **kwargs)

    @staticmethod
    def dist(mu, nu, **kwargs):
        return pm.CustomDist.dist(mu, nu, logp=frechet_logp, logcdf=frechet_logcdf, **kwargs)''',
    "skew_normal": '''def skew_normal_logp(value, mu, sigma, alpha):
    """brms's skew normal of mean mu and sd sigma (location xi, scale omega, shape alpha);
    log Phi with each branch where it is taken."""
    delta = alpha / pt.sqrt(1 + alpha**2)
    omega = sigma / pt.sqrt(1 - (2 / np.pi) * delta**2)
    z = (value - mu) / omega + delta * np.sqrt(2 / np.pi)
    u = alpha * z
    low, high = pt.minimum(u, -1.0), pt.maximum(u, -1.0)
    log_cdf = pt.switch(u < -1.0, pt.log(pt.erfcx(-low / np.sqrt(2.0)) / 2.0) - low**2 / 2.0,
                        pt.log1p(-pt.erfc(high / np.sqrt(2.0)) / 2.0))
    return (np.log(2.0) - pt.log(omega) - 0.5 * np.log(2 * np.pi) - z**2 / 2.0
            + log_cdf)''',
    "exgaussian": '''def exgaussian_logp(value, mu, sigma, beta):
    """A normal of mean mu - beta and sd sigma plus an exponential of mean beta (brms's
    exgaussian of mean mu); log Phi with each branch where it is taken."""
    z = (value - mu + beta) / sigma - sigma / beta
    low, high = pt.minimum(z, -1.0), pt.maximum(z, -1.0)
    log_cdf = pt.switch(z < -1.0, pt.log(pt.erfcx(-low / np.sqrt(2.0)) / 2.0) - low**2 / 2.0,
                        pt.log1p(-pt.erfc(high / np.sqrt(2.0)) / 2.0))
    return -pt.log(beta) + (mu - beta + sigma**2 / (2.0 * beta) - value) / beta + log_cdf''',
    "hurdle_poisson": '''def hurdle_poisson_logp(value, psi, mu):
    """A zero with probability 1 - psi, else a Poisson count above zero."""
    return pt.switch(pt.eq(value, 0), pt.log1p(-psi),
                     pt.log(psi) + pm.logp(pm.Poisson.dist(mu=mu), value)
                     - pt.log1mexp(-mu))''',
    "hurdle_negbinomial": '''def hurdle_negbinomial_logp(value, psi, mu, alpha):
    """A zero with probability 1 - psi, else a negative binomial count above zero."""
    log_zero = alpha * (pt.log(alpha) - pt.log(mu + alpha))
    return pt.switch(pt.eq(value, 0), pt.log1p(-psi),
                     pt.log(psi) + pm.logp(pm.NegativeBinomial.dist(mu=mu, alpha=alpha), value)
                     - pt.log1mexp(log_zero))''',
    "shifted_lognormal": '''def shifted_lognormal_logp(value, mu, sigma, ndt):
    """ndt plus a lognormal of log-mean mu and log-sd sigma (taken at 1 where the value is
    not above ndt, so that the gradient stays finite)."""
    shifted = value - ndt
    above = shifted > 0
    body = pm.logp(pm.LogNormal.dist(mu=mu, sigma=sigma), pt.switch(above, shifted, 1.0))
    return pt.switch(above, body, -np.inf)''',
    "zero_inflated_beta": '''def zero_inflated_beta_logp(value, zi, mu, phi):
    """A zero with probability zi, else a beta of mean mu and precision phi (its density
    taken at 1/2 where the value is zero, so that the gradient stays finite)."""
    zero = pt.eq(value, 0)
    proportions = pm.Beta.dist(alpha=mu * phi, beta=(1 - mu) * phi)
    return pt.switch(zero, pt.log(zi),
                     pt.log1p(-zi) + pm.logp(proportions, pt.switch(zero, 0.5, value)))''',
    "zero_inflated_beta_binomial": '''def zero_inflated_beta_binomial_logp(value, zi, n, mu, phi):
    """A zero with probability zi, else a beta-binomial of n trials whose success
    probability has mean mu and precision phi."""
    successes = pm.logp(pm.BetaBinomial.dist(n=n, alpha=mu * phi, beta=(1 - mu) * phi), value)
    return pt.switch(pt.eq(value, 0), pt.logaddexp(pt.log(zi), pt.log1p(-zi) + successes),
                     pt.log1p(-zi) + successes)''',
    "zero_one_inflated_beta": '''def zero_one_inflated_beta_logp(value, zoi, coi, mu, phi):
    """An end, 0 or 1, with probability zoi (1 with probability coi among them), else a
    beta of mean mu and precision phi (its density taken at 1/2 at the ends, so that the
    gradient stays finite)."""
    one = pt.eq(value, 1)
    end = pt.log(zoi) + pt.switch(one, pt.log(coi), pt.log1p(-coi))
    inside = (value > 0) & (value < 1)
    proportions = pm.Beta.dist(alpha=mu * phi, beta=(1 - mu) * phi)
    return pt.switch(pt.eq(value, 0) | one, end,
                     pt.log1p(-zoi) + pm.logp(proportions, pt.switch(inside, value, 0.5)))''',
}

CENSORED_HELPER = '''def censored_logp(distribution, cens, y, y2, weights=None, trunc_lower=None,
                  trunc_upper=None, discrete=False, **parameters):
    """brms's likelihood of a censored response: the log density of uncensored rows (cens 0),
    the log CDF of left-censored ones (-1), its complement for right-censored ones (1), and
    the CDF's difference over (y, y2] for interval-censored ones (2), each on its own rows.
    Of a truncated response, left-censored rows start at the lower bound (a count's lower
    bound included) and right-censored rows end at the upper one."""
    def between(dist, low, high):
        below, above = pm.logcdf(dist, low), pm.logcdf(dist, high)
        return above + pt.log1mexp(below - above)

    total = 0.0
    for kind in (0, 1, -1, 2):
        rows = np.flatnonzero(cens == kind)
        if not len(rows):
            continue
        tensors = {name: pt.as_tensor(value) for name, value in parameters.items()}
        dist = distribution.dist(**{name: value[rows] if value.ndim else value
                                    for name, value in tensors.items()})
        if kind == 0:
            term = pm.logp(dist, y[rows])
        elif kind == 1 and trunc_upper is not None:
            term = between(dist, y[rows], trunc_upper[rows])
        elif kind == 1:
            term = pm.logccdf(dist, y[rows])
        elif kind == -1 and trunc_lower is not None:
            term = between(dist, trunc_lower[rows] - (1 if discrete else 0), y[rows])
        elif kind == -1:
            term = pm.logcdf(dist, y[rows])
        else:
            term = between(dist, y[rows], y2[rows])
        total = total + pt.sum(term if weights is None else weights[rows] * term)
    return total'''

LKJ_HELPER = '''def lkj_corr_cholesky(name, size, eta):
    """The Cholesky factor of an LKJ(eta) correlation matrix, as Stan's cholesky_factor_corr.

    Its size * (size - 1) / 2 free values go through tanh to canonical partial correlations,
    which are stick-broken into rows of unit length; the log-Jacobian and the LKJ density of
    the factor enter through a Potential.
    """
    raw = pm.Flat(name, shape=size * (size - 1) // 2)
    partial = pt.tanh(raw)
    log_jacobian = pt.sum(pt.log1p(-pt.sqr(partial)))
    rows = [pt.concatenate([pt.ones(1), pt.zeros(size - 1)])]
    log_diagonal = []
    position = 0
    for i in range(1, size):
        entries = []
        remaining = pt.constant(1.0)
        for _ in range(i):
            value = partial[position] * pt.sqrt(remaining)
            if entries:
                log_jacobian = log_jacobian + 0.5 * pt.log(remaining)
            entries.append(value)
            remaining = remaining - pt.sqr(value)
            position += 1
        diagonal = pt.sqrt(remaining)
        log_diagonal.append(pt.log(diagonal))
        rows.append(pt.concatenate([pt.stack(entries), diagonal[None],
                                    pt.zeros(size - 1 - i)]))
    cholesky = pt.stack(rows)
    # lkj_corr_cholesky_lpdf: sum_i (size - i - 1 + 2 eta - 2) log L_ii over i = 1..size-1,
    # less the log of LKJ's normalising constant (Lewandowski, Kurowicka & Joe 2009)
    lkj = sum((size - i - 1 + 2 * eta - 2) * log_diagonal[i - 1] for i in range(1, size))
    normaliser = sum((2 * eta - 2 + size - k) * (size - k) * math.log(2.0)
                     + (size - k) * (2 * math.lgamma(eta + (size - k - 1) / 2)
                                     - math.lgamma(2 * eta + size - k - 1))
                     for k in range(1, size))
    pm.Potential(f"{name}_lkj", lkj - normaliser + log_jacobian)
    return cholesky'''


def mixing_proportions_code(family, table) -> list[str]:
    """A mixture's proportions as code: one simplex with the Dirichlet prior of class
    ``theta``, its elements ``theta1``, ``theta2``, ..."""
    names = family.mixing_proportions
    concentration = table.lookup("theta").concentrations(len(names))
    lines = ["# the mixing proportions, one simplex (brms's theta)",
             f"theta = pm.Dirichlet(\"theta\", a={concentrations_code(concentration)})"]
    lines += [f"{name} = pm.Deterministic({quote(name)}, theta[{k}])"
              for k, name in enumerate(names)]
    return lines


def mixture_components_code(family, aux: dict[str, str], trials: str | None,
                            predictors: dict) -> list[str]:
    """A mixture's components as code, the list ``components`` of their distributions."""
    components = []
    for number_, component in enumerate(family.components, 1):
        own = {a.name: aux[f"{a.name}{number_}"] for a in component.aux}
        function, arguments, _, helper = likelihood_call(
            component, predictors[f"mu{number_}"], aux[f"mu{number_}"], own, trials, None)
        if helper is not None:
            raise ModelCodeError(f"The PyMC program writer cannot write a mixture with a "
                                 f"{component.name} component yet.")
        components.append(f"{function}.dist({arguments})")
    lines = ["components = ["] + [f"    {component}," for component in components] + ["]"]
    predicted = family.predicted_proportions
    proportions = ", ".join(aux[name] if name in aux else f"pt.zeros_like({aux[predicted[0]]})"
                            for name in family.mixing_proportions)
    if not predicted:
        return lines + [f"weights = pt.stack([{proportions}])"]
    return lines + ["# the predicted proportions' softmax beside the others' 0",
                    f"weights = pt.special.softmax(pt.stack([{proportions}], axis=-1), axis=-1)"]


def likelihood_call(family, eta: str, mu: str, aux: dict[str, str], trials: str | None,
                    thresholds: str | None, predicted=()):
    """The response distribution as code: (PyMC distribution, its arguments, the observed
    values' code), from the family's own likelihood called with symbols; ``predicted`` names
    the predicted parameters.

    Returns
    -------
    function, arguments, observed, helper
        ``pm.Normal`` and ``"mu=mu, sigma=sigma"``; the observed values (``y`` or ``y - 1``
        for categories numbered from 1); a helper function's source, or None.
    """
    if family.components:
        # the list and the weights mixture_components_code() writes
        return "pm.Mixture", "w=weights, comp_dists=components", "y", None
    if family.categorical:
        means = family.formula_parameters
        logits = ", ".join([f"pt.zeros_like({aux[means[0]]})"] + [aux[name] for name in means])
        if family.columns:
            shares = f"pt.special.softmax(pt.stack([{logits}], axis=-1), axis=-1)"
            return (*family.columns(shares, aux, trials, False), "y", None)
        return ("pm.Categorical", f"logit_p=pt.stack([{logits}], axis=-1)", "y - 1", None)
    if family.ordinal and "disc" in predicted:
        # brms's F(disc * (threshold - eta)): both times each row's discrimination
        eta, thresholds = f"{aux['disc']} * {eta}", f"{aux['disc']}[:, None] * {thresholds}"
    if family.ordinal and not family.ordered_thresholds:
        # one linear predictor per row, the thresholds shared
        return ("pm.CustomDist", f"{eta}, {thresholds}, logp={family.name}_logp, "
                "signature=\"(),(k)->()\"", "y",
                sequential_helper(family.name, family.link))
    if family.ordinal and family.link in CUMULATIVE_HELPERS:
        return ("pm.CustomDist", f"{eta}, {thresholds}, logp=cumulative_logp, "
                "signature=\"(),(k)->()\"", "y", CUMULATIVE_HELPERS[family.link])
    if family.ordinal:
        ordered = {"logit": "pm.OrderedLogistic", "probit": "pm.OrderedProbit"}
        return (ordered[family.link], f"eta={eta}, cutpoints={thresholds}, compute_p=False",
                "y - 1", None)
    symbols = {name: Symbol(code) for name, code in aux.items()}
    cls, params = family.likelihood(Symbol(eta), Symbol(mu), symbols,
                                    Symbol(trials) if trials else None, family.link)
    arguments = ", ".join(f"{key}={value}" for key, value in params.items())
    if getattr(pm, getattr(cls, "__name__", ""), None) is cls:
        return f"pm.{cls.__name__}", arguments, "y", None
    if family.name in CLOSED_FORM_HELPERS:
        helper = CLOSED_FORM_HELPERS[family.name]
        # a class of the helper's, called by keyword as PyMC's (censored rows need its dist())
        named = re.search(r"^class (\w+):", helper, re.MULTILINE)
        if named:
            return (named.group(1), ", ".join(f"{key}={value}" for key, value in params.items()),
                    "y", helper)
        values = ", ".join(str(value) for value in params.values())
        return ("pm.CustomDist", f"{values}, logp={family.name}_logp", "y", helper)
    raise ModelCodeError(f"The PyMC program writer cannot write the likelihood of family "
                         f"{family.name!r} yet.")


def category_specific_code(part: CategorySpecificPart, table: PriorTable, dims: str,
                           thresholds: str) -> list[str]:
    """The model lines of the ``cs()`` effects, each column's a vector over the thresholds
    with its ``b`` prior and no bounds (the model's ``category_specific_thresholds``), and
    of each row's thresholds less them."""
    lines = ["", "# category-specific effects, one per threshold (brms's "
             + ", ".join(f"bcs_{name}[k]" for name in part.names) + ")"]
    lines += [f"bcs_{name} = " + prior_code(f"bcs_{name}", table.lookup("b", name),
                                            extra=f"dims={quote(dims)}")
              for name in part.names]
    effects = ", ".join(f"bcs_{name}" for name in part.names)
    lines.append(f"# each row's thresholds: {thresholds} less its category-specific terms")
    lines.append(f"thresholds = {thresholds} - pt.dot(Xcs, pt.stack([{effects}]))")
    return lines


def truncated_likelihood(function: str, arguments: str, observed: str, design) -> list[str]:
    """The likelihood of a truncated response, PyMC's ``pm.Truncated`` of the family's
    distribution (for counts, the lower bound included, as brms's ``lccdf(lb - 1)``)."""
    bounds = ", ".join(f"{side}=trunc_{side}" for side, values
                       in (("lower", design.truncation.lower), ("upper", design.truncation.upper))
                       if values is not None)
    lines = [f"untruncated = {function}.dist({arguments})"]
    if design.weights is None:
        return lines + [f"pm.Truncated(\"y\", untruncated, {bounds}, observed={observed})"]
    return lines + ["# each row's log-likelihood counts with its weight",
                    f"truncated = pm.Truncated.dist(untruncated, {bounds})",
                    f"pm.Potential(\"y_weighted\", pt.sum(weights * pm.logp(truncated, "
                    f"{observed})))"]


def censored_options(design) -> str:
    """The arguments of ``censored_logp`` after the data: weights and truncation bounds."""
    options = ", weights=weights" if design.weights is not None else ""
    if design.truncation is not None:
        options += "".join(f", trunc_{side}=trunc_{side}" for side, bound in
                           (("lower", design.truncation.lower),
                            ("upper", design.truncation.upper)) if bound is not None)
        options += ", discrete=True" if design.family.discrete else ""
    return options


def truncation_mass(function: str, arguments: str, design) -> list[str]:
    """A censored response that is truncated too: every row's log-likelihood less the log
    probability of its bounds' interval, as brms (for counts from the lower bound on)."""
    if design.truncation is None:
        return []
    lower = "trunc_lower - 1" if design.family.discrete else "trunc_lower"
    if design.truncation.upper is None:
        mass = f"pm.logccdf(untruncated, {lower})"
    elif design.truncation.lower is None:
        mass = "pm.logcdf(untruncated, trunc_upper)"
    else:
        mass = ("pm.logcdf(untruncated, trunc_upper) + pt.log1mexp(pm.logcdf(untruncated, "
                f"{lower}) - pm.logcdf(untruncated, trunc_upper))")
    weighted = f"weights * ({mass})" if design.weights is not None else mass
    return ["# each row's probability within its truncation bounds, censored rows' too, as brms",
            f"untruncated = {function}.dist({arguments})",
            f"pm.Potential(\"y_truncation\", -pt.sum({weighted}))"]


def code_words(code: str) -> set[str]:
    """The names and numbers in a piece of code, split at brackets, commas and ``=``."""
    return set(code.replace("(", " ").replace(")", " ").replace(",", " ").replace("=", " ")
               .split())

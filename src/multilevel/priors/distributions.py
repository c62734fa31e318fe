"""Priors in Stan's spelling: parsed, checked, and made into PyMC variables.

brms writes priors as Stan distributions (``student_t(3, 0, 2.5)``); :func:`parse_distribution`
reads and checks one, and :func:`prior_variable` creates the PyMC variable with that prior,
truncated where the parameter is bounded, as brms's Stan code does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..errors import PriorError, close_matches
from ..families.family import format_number
from .special_syntax import ARGUMENTS, special_arguments

# Stan distribution name -> (argument names, support lower bound of the distribution itself);
# an argument name in _POSITIVE_ARGUMENTS must be positive, except uniform's bounds
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], float | None]] = {
    "normal": (("mu", "sigma"), None),
    "student_t": (("nu", "mu", "sigma"), None),
    "cauchy": (("mu", "sigma"), None),
    "double_exponential": (("mu", "sigma"), None),
    "logistic": (("mu", "sigma"), None),
    "exponential": (("lambda",), 0.0),
    "gamma": (("alpha", "beta"), 0.0),
    "inv_gamma": (("alpha", "beta"), 0.0),
    "lognormal": (("mu", "sigma"), 0.0),
    "weibull": (("alpha", "sigma"), 0.0),
    "chi_square": (("nu",), 0.0),
    "inv_chi_square": (("nu",), 0.0),
    "beta": (("alpha", "beta"), 0.0),
    "uniform": (("alpha", "beta"), None),
    "lkj": (("eta",), None),
    "lkj_corr_cholesky": (("eta",), None),
    # a monotonic effect's simplex: one concentration for all its elements, brms's shorthand
    "dirichlet": (("alpha",), None),
    # brms's constant(): the parameter is held at the value, not sampled
    "constant": (("value",), None),
}
_POSITIVE_ARGUMENTS = {"sigma", "nu", "lambda", "alpha", "beta", "eta"}
_SPEC = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$", re.S)
FLAT = "(flat)"


@dataclass(frozen=True)
class Distribution:
    """A parsed prior such as ``student_t(3, 0, 2.5)``; ``name == "flat"`` is improper."""

    name: str
    args: tuple[float, ...] = ()
    # the prior as written where it names a quantity of the data (brms's "uniform(0, min_Y)")
    written: str = ""

    def __str__(self) -> str:
        if self.name == "flat":
            return FLAT
        if self.written:
            return self.written
        arguments = ", ".join(format_number(a) for a in self.args)
        if self.name == "dirichlet" and len(self.args) > 1:
            return f"dirichlet(c({arguments}))"
        return f"{self.name}({arguments})"

    def concentrations(self, size: int) -> np.ndarray:
        """A Dirichlet prior's concentration of each of a simplex's ``size`` elements: one
        for all, ``dirichlet(2)``, or one each, ``dirichlet(c(2, 1, 1))``."""
        return np.broadcast_to(np.asarray(self.args, dtype=float), (size,)).copy()

    @property
    def support_lower(self) -> float | None:
        if self.name == "flat" or self.name in ARGUMENTS:
            return None
        lower = DISTRIBUTIONS[self.name][1]
        if self.name == "uniform":
            return self.args[0]
        return lower


# quantities of the data a prior may name, as brms's Stan code does: the response's minimum
DATA_SYMBOLS = ("min_Y",)


def parse_distribution(text: str, symbols: dict[str, float] | None = None) -> Distribution:
    """Parse a prior written in Stan's spelling.

    Parameters
    ----------
    text
        For example ``"normal(0, 10)"``, ``"student_t(3, 0, 2.5)"`` or ``"lkj(2)"``; an empty
        string or ``"(flat)"`` means brms's improper flat prior.
    symbols
        Values of the data's quantities the prior may name (:data:`DATA_SYMBOLS`, as brms's
        ``uniform(0, min_Y)``); without them, such a name is read as 1, to check the rest.

    Raises
    ------
    PriorError
        For an unknown distribution, a wrong number of arguments or an invalid argument.
    """
    if not isinstance(text, str):
        raise PriorError(f"A prior must be a string such as 'normal(0, 10)', got {text!r}.")
    stripped = text.strip()
    if stripped in ("", FLAT, "flat"):
        return Distribution("flat")
    match = _SPEC.match(stripped)
    if not match:
        raise PriorError(
            f"Cannot parse prior {text!r}; write a Stan distribution with numeric arguments "
            "such as 'normal(0, 10)' or 'student_t(3, 0, 2.5)'."
        )
    name = match.group(1)
    if name in ARGUMENTS:
        values, written = special_arguments(text, name, match.group(2))
        return Distribution(name, values, written)
    if name not in DISTRIBUTIONS:
        raise PriorError(
            f"Unknown prior distribution {name!r} in {text!r}."
            + close_matches(name, DISTRIBUTIONS)
            + " Available: "
            + ", ".join([*DISTRIBUTIONS, *ARGUMENTS])
            + "."
        )
    argument_names = DISTRIBUTIONS[name][0]
    raw = [piece.strip() for piece in match.group(2).split(",")] if match.group(2).strip() else []
    vector = re.fullmatch(r"\s*c\s*\((.*)\)\s*", match.group(2), re.S)
    if name == "dirichlet" and vector:
        # brms's vector of concentrations, one per element of the simplex
        return _concentrations(text, [piece.strip() for piece in vector.group(1).split(",")])
    if len(raw) != len(argument_names):
        raise PriorError(
            f"{name} takes {len(argument_names)} argument(s) ({', '.join(argument_names)}), "
            f"got {len(raw)} in {text!r}."
        )
    values, written = [], False
    for argument_name, piece in zip(argument_names, raw, strict=True):
        if piece in DATA_SYMBOLS:
            values.append((symbols or {}).get(piece, 1.0))
            written = True
            continue
        try:
            value = float(piece)
        except ValueError:
            raise PriorError(
                f"Argument {argument_name} of {text!r} must be a number, got {piece!r}."
            ) from None
        if not np.isfinite(value):
            raise PriorError(f"Argument {argument_name} of {text!r} must be a finite number, "
                             f"got {piece!r}.")
        if name != "uniform" and argument_name in _POSITIVE_ARGUMENTS and not value > 0:
            raise PriorError(f"Argument {argument_name} of {text!r} must be positive, got "
                             f"{piece!r}.")
        values.append(value)
    if name == "uniform" and not values[0] < values[1]:
        raise PriorError(f"uniform(lower, upper) needs lower < upper, got {text!r}.")
    return Distribution(name, tuple(values), f"{name}({', '.join(raw)})" if written else "")


def _concentrations(text: str, pieces: list[str]) -> Distribution:
    try:
        values = tuple(float(piece) for piece in pieces)
    except ValueError:
        raise PriorError(f"The concentrations in {text!r} must be numbers, as in "
                         "'dirichlet(c(2, 1, 1))'.") from None
    if not all(np.isfinite(v) and v > 0 for v in values):
        raise PriorError(f"The concentrations in {text!r} must be positive.")
    return Distribution("dirichlet", values)


def data(name: str, value) -> pt.TensorVariable:
    """Data of the model as a named ``pm.Data``, never a constant of the graph.

    Everything that changes with the data set (design arrays, response, the sampler's
    geometry, data-derived prior parameters) is data, so that models of one structure have
    the same graph and a compiled model can be reused for a new data set (see
    :mod:`multilevel.compile_cache`).
    """
    return pm.Data(name, np.asarray(value))


# Stan name -> (PyMC class, arguments in PyMC's names, half version for a bound at 0 when centred
# at 0, PyMC's name of the location argument)
PYMC_DISTRIBUTIONS = {
    "normal": (pm.Normal, lambda a: {"mu": a[0], "sigma": a[1]}, pm.HalfNormal, "mu"),
    "student_t": (pm.StudentT, lambda a: {"nu": a[0], "mu": a[1], "sigma": a[2]},
                  pm.HalfStudentT, "mu"),
    "cauchy": (pm.Cauchy, lambda a: {"alpha": a[0], "beta": a[1]}, pm.HalfCauchy, "alpha"),
    "double_exponential": (pm.Laplace, lambda a: {"mu": a[0], "b": a[1]}, None, "mu"),
    "logistic": (pm.Logistic, lambda a: {"mu": a[0], "s": a[1]}, None, "mu"),
    "exponential": (pm.Exponential, lambda a: {"lam": a[0]}, None, None),
    "gamma": (pm.Gamma, lambda a: {"alpha": a[0], "beta": a[1]}, None, None),
    "inv_gamma": (pm.InverseGamma, lambda a: {"alpha": a[0], "beta": a[1]}, None, None),
    "lognormal": (pm.LogNormal, lambda a: {"mu": a[0], "sigma": a[1]}, None, None),
    "weibull": (pm.Weibull, lambda a: {"alpha": a[0], "beta": a[1]}, None, None),
    "chi_square": (pm.ChiSquared, lambda a: {"nu": a[0]}, None, None),
    "inv_chi_square": (pm.InverseGamma, lambda a: {"alpha": a[0] / 2, "beta": 0.5}, None, None),
    "beta": (pm.Beta, lambda a: {"alpha": a[0], "beta": a[1]}, None, None),
    "uniform": (pm.Uniform, lambda a: {"lower": a[0], "upper": a[1]}, None, None),
}


# the mark of a variable whose own prior density is its term of lprior: the density's graph
# is made when the sum is, after sampling, rather than with every model
_OWN_DENSITY = object()


def in_lprior(variable, term=None):
    """Count ``variable``'s prior in brms's ``lprior``: its log density at its value, or
    ``term`` where the prior is written apart from the variable. Returns the variable.

    brms sums the priors of the parameters its prior table lists into ``lprior`` (the
    truncation's normalisation included); the standard normal effects behind group-level
    and smooth terms and the shrinkage priors' local scales are not among them. The mark is
    kept on the variable's PyTensor tag, so that the model, not a registry beside it, says
    what the sum holds (:func:`lprior_terms`).
    """
    variable.tag.lprior = _OWN_DENSITY if term is None else term
    return variable


def lprior_marked(model: pm.Model) -> list:
    """``model``'s variables that mark a term of brms's ``lprior`` (see :func:`in_lprior`)."""
    return [variable for variable in [*model.free_RVs, *model.deterministics]
            if getattr(variable.tag, "lprior", None) is not None]


def lprior_terms(model: pm.Model) -> list:
    """The terms of brms's ``lprior`` among ``model``'s variables (see :func:`in_lprior`)."""
    return [pt.sum(pm.logp(variable, variable) if variable.tag.lprior is _OWN_DENSITY
                   else variable.tag.lprior)
            for variable in lprior_marked(model)]


def prior_variable(name: str, dist: Distribution, lower: float | None = None,
                   upper: float | None = None, **kwargs):
    """Create a PyMC variable with a Stan-spelled prior, truncated at ``lower`` and ``upper``,
    its prior counted in brms's ``lprior`` unless flat.

    As in brms, a bound on the parameter truncates the prior: ``student_t(3, 0, s)`` on a
    standard deviation is a half-t; priors whose support already respects the bound are used
    as they are.
    """
    variable = _bounded_variable(name, dist, lower, upper, **kwargs)
    return variable if dist.name in ("flat", "constant") else in_lprior(variable)


def _bounded_variable(name: str, dist: Distribution, lower: float | None,
                      upper: float | None, **kwargs):
    if dist.name == "constant":  # held at its value, as brms's Stan code assigns it
        return pm.Deterministic(name, _held(dist.args[0], kwargs), dims=kwargs.get("dims"))
    if upper is not None:
        return _doubly_bounded(name, dist, lower, upper, **kwargs)
    if dist.name == "flat":
        if lower is None:
            return pm.Flat(name, **kwargs)
        if lower == 0.0:
            return pm.HalfFlat(name, **kwargs)
        return pm.Truncated(name, pm.Flat.dist(), lower=lower, **kwargs)
    cls, arguments, half, location = PYMC_DISTRIBUTIONS[dist.name]
    params = arguments(dist.args)
    support = dist.support_lower

    def as_data(chosen: dict) -> dict:
        # brms's default priors depend on the response (median, MAD)
        return {key: data(f"{name}_prior_{key}", value) for key, value in chosen.items()}

    if lower is None or (support is not None and support >= lower):
        return cls(name, **as_data(params), **kwargs)
    if dist.name == "uniform":
        return cls(name, lower=lower, **as_data({"upper": params["upper"]}), **kwargs)
    if lower == 0.0 and half is not None and params[location] == 0.0:
        del params[location]
        return half(name, **as_data(params), **kwargs)
    return pm.Truncated(name, cls.dist(**as_data(params)), lower=lower, **kwargs)


def _held(value: float, kwargs: dict) -> pt.TensorVariable:
    """A constant of the variable's shape: a scalar, or a vector over ``dims`` or ``shape``."""
    if "shape" in kwargs:
        return pt.full(kwargs["shape"], value)
    if kwargs.get("dims") is not None:
        return pt.full((len(pm.modelcontext(None).coords[kwargs["dims"]]),), value)
    return pt.constant(value)


def _doubly_bounded(name: str, dist: Distribution, lower: float, upper: float, **kwargs):
    """A parameter on [lower, upper] (a probability such as ``zi``; ``lower`` None for a
    parameter bounded above only), its prior truncated there."""
    if dist.name == "flat" and lower is None:
        return pm.Truncated(name, pm.Flat.dist(), upper=upper, **kwargs)
    if dist.name == "flat":
        return pm.Uniform(name, lower=lower, upper=upper, **kwargs)
    cls, arguments, _, _ = PYMC_DISTRIBUTIONS[dist.name]
    params = {key: data(f"{name}_prior_{key}", value)
              for key, value in arguments(dist.args).items()}
    within = (dist.name == "beta" and (lower, upper) == (0.0, 1.0)) or (
        dist.name == "uniform" and (lower is None or lower <= dist.args[0])
        and dist.args[1] <= upper)
    if within:
        return cls(name, **params, **kwargs)
    return pm.Truncated(name, cls.dist(**params), lower=lower, upper=upper, **kwargs)


def ordered_prior_variable(name: str, priors: list[Distribution],
                           starts: np.ndarray | None = None, **kwargs):
    """An increasing vector (an ordinal model's thresholds), each element with its own prior.

    As Stan's ``ordered`` type: the first element and the logs of the gaps are sampled, with
    their Jacobian, and the priors apply to the elements. The unconstrained values start
    at 0 like any other's, with no initial value of their own, which nutpie refuses; there
    the elements are ``starts`` (increasing), or 0, 1, 2, ... without them: the sampled
    values are shifted by constants, which leaves the density as it is.
    """
    unconstrained = pm.Flat(f"{name}_unconstrained", shape=len(priors))
    first, gaps = unconstrained[:1], unconstrained[1:]
    if starts is not None:
        first = first + float(starts[0])
        gaps = gaps + data(f"{name}_log_gaps", np.log(np.diff(starts)))
    steps = pt.concatenate([first, pt.exp(gaps)])
    values = pm.Deterministic(name, pt.cumsum(steps), **kwargs)
    # the log-Jacobian of the gaps exp(g): the shifted values' own, so that the density
    # integrates to one over the unconstrained values (bridge sampling needs the constant)
    terms = [pt.sum(gaps)]
    for k, dist in enumerate(priors):
        if dist.name == "flat":
            continue
        cls, arguments, _, _ = PYMC_DISTRIBUTIONS[dist.name]
        params = {key: data(f"{name}_prior_{k}_{key}", value)
                  for key, value in arguments(dist.args).items()}
        terms.append(pm.logp(cls.dist(**params), values[k]))
    pm.Potential(f"{name}_prior", pt.sum(pt.stack(terms)))
    return in_lprior(values, pt.sum(pt.stack(terms[1:]))) if terms[1:] else values

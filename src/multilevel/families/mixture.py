"""Finite mixtures of families, brms's ``mixture()``.

A mixture is a :class:`~multilevel.families.family.Family` of its own, built from its
components: component ``k`` has its mean ``mu<k>``, predicted by the model's formula as a
categorical family's categories are, its family's other parameters numbered as brms numbers
them (``sigma1``, ``nu2``) and its mixing proportion ``theta<k>``; the proportions are one
simplex with brms's Dirichlet prior. The likelihood is PyMC's ``Mixture`` of the components'
own distributions; the mean and new observations come from the components' own definitions.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import logsumexp, softmax

from ..errors import FamilyError
from .builtin import get_family
from .family import AuxParameter, Family

ORDERS = ("mu", "none")


def _never_constant(y: np.ndarray) -> str:
    raise AssertionError("a mixture's means are always predicted")


def _proportion_prior(y: np.ndarray) -> str:
    return "dirichlet(1)"


def _own_parameters(component: Family, number: int, aux: dict) -> dict:
    """Component ``number``'s parameters under its family's own names."""
    return {a.name: aux[f"{a.name}{number}"] for a in component.aux}


def _proportions(aux: dict, count: int, predicted: tuple[str, ...], stack, zero, softmax_):
    """The components' probabilities, along a last axis: the proportions themselves, or the
    softmax of the predicted ones' linear predictors beside the others' 0, as brms's;
    ``stack``, ``zero`` and ``softmax_`` are PyTensor's or NumPy's."""
    names = [f"theta{k}" for k in range(1, count + 1)]
    if not predicted:
        return stack([aux[name] for name in names])
    return softmax_(stack([aux[name] if name in predicted else zero for name in names]))


def _proportions_tensor(aux: dict, count: int, predicted: tuple[str, ...]):
    # one value each in the model, one per draw and row in the derived functions
    zero = pt.zeros_like(aux[predicted[0]]) if predicted else None
    return _proportions(aux, count, predicted, lambda v: pt.stack(v, axis=-1), zero,
                        lambda a: pt.special.softmax(a, axis=-1))


def _proportions_array(aux: dict, count: int, predicted: tuple[str, ...], shape) -> np.ndarray:
    """:func:`_proportions_tensor` of draws, (draws, rows, components)."""
    def stack(values):
        return np.stack([np.broadcast_to(np.asarray(v, dtype=float), shape) for v in values],
                        axis=-1)
    return _proportions(aux, count, predicted, stack, np.zeros(shape),
                        lambda a: softmax(a, axis=-1))


def _mixture_likelihood(components: tuple[Family, ...], predicted: tuple[str, ...]):
    def likelihood(eta, mu, aux, trials, link):
        distributions = []
        for number, component in enumerate(components, 1):
            predictor = aux[f"mu{number}"]
            cls, parameters = component.likelihood(
                predictor, component.link_function.inverse_tensor(predictor),
                _own_parameters(component, number, aux), trials, component.link)
            distributions.append(cls.dist(**parameters))
        weights = _proportions_tensor(aux, len(components), predicted)
        return pm.Mixture, {"w": weights, "comp_dists": distributions}
    return likelihood


def _mixture_mean(components: tuple[Family, ...], predicted: tuple[str, ...]):
    def mean(mu, aux, trials):
        means = [component.expected_value(aux[f"mu{number}"],
                                          _own_parameters(component, number, aux), trials)
                 for number, component in enumerate(components, 1)]
        shape = np.broadcast_shapes(*[np.shape(m) for m in means])
        weights = _proportions_array(aux, len(components), predicted, shape)
        return sum(weights[..., k] * value for k, value in enumerate(means))
    return mean


def _mixture_draws(components: tuple[Family, ...], predicted: tuple[str, ...]):
    def draw(rng, mu, aux, trials):
        shape = np.shape(aux["mu1"])
        proportions = _proportions_array(aux, len(components), predicted, shape)
        # each draw's component, then that component's own new observation
        chosen = (rng.uniform(size=shape)[..., None]
                  > np.cumsum(proportions, axis=-1)[..., :-1]).sum(axis=-1)
        values = [component.random(rng, aux[f"mu{number}"],
                                   _own_parameters(component, number, aux), trials)
                  for number, component in enumerate(components, 1)]
        return np.choose(chosen, values)
    return draw


def membership_log_probabilities(family: Family, y, aux: dict, trials=None) -> np.ndarray:
    """Each component's posterior probability of having produced each observation ``y``, on
    the log scale (draws, rows, components), as brms's ``pp_mixture()``: its proportion
    times its density of the observation, over the sum of these of all components."""
    components = family.components
    joint = np.stack([component.log_density(y, aux[f"mu{number}"],
                                            _own_parameters(component, number, aux), trials)
                      for number, component in enumerate(components, 1)], axis=-1)
    proportions = _proportions_array(aux, len(components), family.predicted_proportions,
                                     joint.shape[:-1])
    with np.errstate(divide="ignore"):
        joint = joint + np.log(proportions)
    return joint - logsumexp(joint, axis=-1, keepdims=True)


def _check_components(components: tuple[Family, ...]) -> None:
    if len(components) < 2:
        raise FamilyError("mixture() needs at least 2 families, e.g. "
                          "ml.mixture('gaussian', 'gaussian').")
    for component in components:
        if component.components:
            raise FamilyError("A mixture's components are families, not mixtures.")
        if component.ordinal or component.categorical:
            raise FamilyError(f"Family {component.name!r} cannot be a mixture's component "
                              "here; ordinal and categorical mixtures are not supported.")
    if len({component.discrete for component in components}) > 1:
        raise FamilyError("Cannot mix families with real and integer support: "
                          + ", ".join(f"{c.name} ({'integer' if c.discrete else 'real'})"
                                      for c in components) + ".")
    if len({component.needs_trials for component in components}) > 1:
        raise FamilyError("Cannot mix families with and without trials: "
                          + ", ".join(c.name for c in components) + ".")


def _check_response(components: tuple[Family, ...]):
    def check(series, family, column, trials=None):
        values = None
        for component in components:
            values = component.check_response(series, f"{family}: {component.name}", column,
                                              trials)
        return values
    return check


def mixture(*families, order: str | bool | None = None) -> Family:
    """A finite mixture of families, as brms's ``mixture()``.

    Parameters
    ----------
    *families
        Two or more families, by name or object (``"gaussian"``, ``ml.poisson()``), each a
        component; a family given twice is two components.
    order
        ``"mu"`` (or True) identifies the components by the order of their means'
        intercepts, ``"none"`` (or False) leaves them free; by default ``"mu"`` where all
        components are of one family, ``"none"`` otherwise, as brms.

    Returns
    -------
    Family
        The mixture, with parameters ``mu1``, ``sigma1``, ..., ``theta1``, ``theta2``, ...
        as brms names them.

    Examples
    --------
    >>> import multilevel as ml
    >>> ml.mixture("gaussian", "gaussian").label
    'mixture(gaussian, gaussian)'
    """
    components = tuple(get_family(family) for family in families)
    _check_components(components)
    if order is None:
        order = "mu" if len({c.name for c in components}) == 1 else "none"
    elif isinstance(order, bool):
        order = "mu" if order else "none"
    if order not in ORDERS:
        raise FamilyError(f"mixture()'s order must be one of {', '.join(map(repr, ORDERS))} "
                          f"(or True/False), got {order!r}.")
    return _mixture_family(components, order == "mu", ())


def predicting_proportions(family: Family, predicted: tuple[str, ...]) -> Family:
    """The mixture with the proportions ``predicted`` names predicted by their formulas: each
    a linear predictor, the others 0, their softmax the components' probabilities, as
    brms's; the others are then no parameters of the family."""
    return _mixture_family(family.components, family.ordered_intercepts, tuple(predicted))


def _mixture_family(components: tuple[Family, ...], ordered: bool,
                    predicted: tuple[str, ...]) -> Family:
    parameters = []
    for number, component in enumerate(components, 1):
        parameters.append(AuxParameter(f"mu{number}", None, _never_constant,
                                       dpar_link="identity"))
        parameters += [replace(a, name=f"{a.name}{number}") for a in component.aux]
    proportions = [AuxParameter(f"theta{number}", 0.0, _proportion_prior, upper=1.0,
                                dpar_link="identity", dpar_intercept_prior="logistic(0, 1)")
                   for number in range(1, len(components) + 1)]
    parameters += [p for p in proportions if not predicted or p.name in predicted]
    first = components[0]
    return Family(
        "mixture", "identity", ("identity",), tuple(parameters),
        _check_response(components), _mixture_likelihood(components, predicted),
        _mixture_mean(components, predicted), needs_trials=first.needs_trials,
        log_scale_response=first.log_scale_response, discrete=first.discrete,
        proportion=all(c.proportion for c in components),
        draw=_mixture_draws(components, predicted), components=components,
        ordered_intercepts=ordered, predicted_proportions=predicted,
    )


def family_record(family: Family) -> dict:
    """A family as JSON-ready values, for saved fits: its name and link, and a mixture's
    components and order."""
    record = {"name": family.name, "link": family.link}
    if family.components:
        record["components"] = [[c.name, c.link] for c in family.components]
        record["order"] = "mu" if family.ordered_intercepts else "none"
    return record


def family_from_record(record: dict) -> Family:
    """The family :func:`family_record` describes."""
    if "components" in record:
        return mixture(*(get_family(name, link) for name, link in record["components"]),
                       order=record["order"])
    return get_family(record["name"], record["link"])

"""Which variables a fit's conditional effects show and hold, and at which values, as brms's
``conditional_effects()`` chooses them: the predictors of the formula's terms, factors and
numbers told apart, the columns newdata needs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from formulae import model_description

from ..errors import MultilevelError
from ..names import sorted_levels
from ..spec.truncation import bound_columns_text


def variables_of(expression: str) -> set[str]:
    return {name for name in model_description(expression).var_names if name}


def in_order_of_appearance(names, text: str) -> list[str]:
    """Variable names in order of first appearance in ``text``."""
    def position(name: str) -> int:
        found = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text)
        return found.start() if found else len(text)
    return sorted(names, key=position)


def population_text(spec) -> str:
    """The population-level terms, the expressions of ``cs()`` terms among them; of a
    non-linear formula, its columns and its parameters' population-level terms."""
    if spec.nonlinear is not None:
        return " + ".join([name for name in spec.nonlinear.names if name not in spec.nlpar_names]
                          + [part.population for _, part in spec.nlpars])
    return " + ".join([spec.population] + [term.expression for term in spec.category_specific])


def population_effects(fit) -> list[tuple[str, ...]]:
    """brms's default effects: each variable, then two-way combinations named by a term."""
    population = population_text(fit.design.spec)
    combinations: list[tuple[str, ...]] = []
    for term in model_description(population).terms:
        names: list[str] = []
        for component in getattr(term, "components", []):
            variables = [n for n in component.var_names if n]
            for name in in_order_of_appearance(variables, str(component.name)):
                if name not in names:
                    names.append(name)
        if names and tuple(names) not in combinations:
            combinations.append(tuple(names))
    variables = list(dict.fromkeys([name for combo in combinations for name in combo]
                                   + [column for smooth in fit.design.spec.smooths
                                      for column in (smooth.variable, smooth.by) if column]
                                   + [effect.variable for effect in fit.design.spec.monotonic]))
    pairs = [combo for combo in combinations if len(combo) == 2]
    pairs += [(effect.variable, effect.covariates[0]) for effect in fit.design.spec.monotonic
              if len(effect.covariates) == 1]
    # s(x, by = f) is brms's x * f
    pairs += [(smooth.variable, smooth.by) for smooth in fit.design.spec.smooths if smooth.by]
    return [(name,) for name in variables] + list(dict.fromkeys(pairs))


def _uses_factor_call(fit, variable: str) -> bool:
    pattern = rf"\b(factor|C)\(\s*{re.escape(variable)}\s*\)"
    return re.search(pattern, population_text(fit.design.spec)) is not None


def is_factor(fit, variable: str) -> bool:
    # a monotonic effect's values are its levels: shown one by one, held at its first
    if any(effect.variable == variable for effect in fit.design.spec.monotonic):
        return True
    column = fit.design.data[variable]
    if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(column.dtype):
        return True
    return not pd.api.types.is_numeric_dtype(column.dtype) or _uses_factor_call(fit, variable)


def _is_monotonic_number(fit, variable: str) -> bool:
    column = fit.design.data[variable]
    return (any(effect.variable == variable for effect in fit.design.spec.monotonic)
            and pd.api.types.is_numeric_dtype(column.dtype)
            and not pd.api.types.is_bool_dtype(column.dtype))


def factor_levels(fit, variable: str) -> list:
    column = fit.design.data[variable]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(level) for level in column.cat.categories]
    return list(sorted_levels(column))


def required_variables(fit) -> tuple[list[str], set[str], set[str]]:
    """Columns newdata needs: predictors (standard errors among them), group factors, and
    response-side trials columns."""
    spec = fit.design.spec
    predictors = variables_of(population_text(spec))
    # the other parameters' formulas read their columns for the new rows too
    for _, part in spec.nlpars + spec.dpars:
        predictors |= variables_of(part.population)
    for part in [spec] + [part for _, part in spec.nlpars + spec.dpars]:
        for offset in part.offsets:
            predictors |= variables_of(offset)
    predictors |= {smooth.variable for smooth in spec.smooths}
    predictors |= {smooth.by for smooth in spec.smooths if smooth.by}
    predictors |= {effect.variable for effect in spec.monotonic}
    if "se" in spec.additions:
        # standard errors are held at their mean, as brms holds every numeric variable
        predictors |= variables_of(spec.additions["se"])
    if "trunc" in spec.additions:
        # so are the columns of truncation bounds
        for bound in bound_columns_text(spec.additions["trunc"]):
            predictors |= variables_of(bound)
    groups: set[str] = set()
    for term in spec.group_terms + tuple(term for _, part in spec.nlpars
                                         for term in part.group_terms):
        predictors |= variables_of(term.expr)
        groups.update(term.factors + ((term.by,) if term.by else ()))
    trials: set[str] = set()
    if "trials" in spec.additions:
        trials |= variables_of(spec.additions["trials"])
    if spec.cbind is not None:
        for part in spec.cbind:
            trials |= variables_of(f"I({part})")
    predictors -= groups | trials
    return sorted(predictors), groups, trials


def held_values(fit, conditions: dict | None) -> dict[str, object]:
    """Values at which the variables not being plotted are held."""
    data = fit.design.data
    predictors, groups, trials = required_variables(fit)
    conditions = dict(conditions or {})
    known = set(predictors) | groups | trials
    unknown = [name for name in conditions if name not in known]
    if unknown:
        raise MultilevelError(
            "conditions names variable(s) the model does not use: "
            + ", ".join(repr(u) for u in unknown) + "; variables: "
            + ", ".join(sorted(known)) + ".")
    values: dict[str, object] = {}
    for name in predictors:
        if name in conditions:
            values[name] = conditions[name]
        elif _is_monotonic_number(fit, name):
            # brms holds a whole-number monotonic predictor at its mean, rounded to a level
            levels = factor_levels(fit, name)
            values[name] = levels[int(np.argmin(np.abs(np.asarray(levels, dtype=float)
                                                       - data[name].mean())))]
        elif is_factor(fit, name):
            values[name] = factor_levels(fit, name)[0]
        else:
            values[name] = float(data[name].mean())
    for name in groups:
        # with re_formula="~0" the level is ignored; with group terms it names an existing level
        values[name] = conditions.get(name, data[name].iloc[0])
    for name in trials:
        # one trial, as brms does, so the binomial curve is a probability
        values[name] = conditions.get(name, 1)
    return values

"""Evaluate a :class:`FormulaSpec` on data: response, population matrix and group blocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import DataError, FamilyError, FormulaError, MultilevelError, close_matches
from ..families.family import Family
from ..families.mixture import predicting_proportions
from ..names import r_level_label, sorted_levels
from .category_specific import CategorySpecificPart, category_specific_part
from .censoring import censoring
from .checks import (
    check_autocor,
    check_centring,
    check_columns,
    check_standard_errors,
    collinear_columns,
    refuse_ordered_by,
    require_factor_levels,
    require_finite,
    require_finite_columns,
    require_rows,
    warn_grouping_sizes,
)
from .evaluation import design_matrix, evaluate_expression, formula_variables
from .formula import FormulaSpec
from .group_blocks import (
    GroupBlock,
    check_group_ids,
    covariance_matrices,
    matrix_columns,
    parameter_blocks,
)
from .learning_rows import learning_from
from .model_frame import as_r_factors, drop_missing, used_columns
from .monotonic import MonotonicPart, monotonic_part
from .nonlinear import covariate_names, covariate_values
from .smooth import SmoothPart, smooth_parts
from .timeseries import TimeSeries, time_series
from .truncation import Truncation, truncation


@dataclass
class DparDesign:
    """The population part of a predicted distributional parameter (``sigma ~ Days``).

    Its group terms are blocks of the :class:`Design` with ``dpar`` set.
    """

    name: str
    spec: FormulaSpec
    X: np.ndarray
    b_names: list[str]
    has_intercept: bool
    offset: np.ndarray | None
    population_terms: object = field(default=None, repr=False)


@dataclass
class Design:
    """Numeric arrays of a model, ready for priors and the PyMC model.

    ``dpars`` holds the population part of each predicted distributional parameter; the
    group blocks of all parameters are in ``blocks``. ``categories`` are the labels of an
    ordinal response's categories 1..K.
    """

    spec: FormulaSpec
    family: Family
    data: pd.DataFrame
    y: np.ndarray
    X: np.ndarray
    b_names: list[str]
    has_intercept: bool
    blocks: list[GroupBlock]
    offset: np.ndarray | None
    trials: np.ndarray | None
    weights: np.ndarray | None
    n_dropped: int = 0
    population_terms: object = field(default=None, repr=False)
    collinear: dict[str, list[str]] = field(default_factory=dict)
    dpars: dict[str, DparDesign] = field(default_factory=dict)
    categories: list[str] | None = None
    autocor: TimeSeries | None = None
    smooths: list[SmoothPart] = field(default_factory=list)
    monotonic: list[MonotonicPart] = field(default_factory=list)
    category_specific: CategorySpecificPart | None = None
    se: np.ndarray | None = None
    # a censored response's codes (brms's -1, 0, 1, 2) and interval upper bounds
    censoring: tuple[np.ndarray, np.ndarray] | None = None
    # a truncated response's bounds, trunc()
    truncation: Truncation | None = None
    # a non-linear formula's parameters (their population parts; their group terms are
    # blocks with ``dpar`` set to the parameter) and the columns its expression reads
    nlpars: dict[str, DparDesign] = field(default_factory=dict)
    covariates: dict[str, np.ndarray] = field(default_factory=dict)
    # parameters whose formula is the mean's (a categorical family's, a mixture's means)
    inherited: tuple[str, ...] = ()
    # a copy of the user's data, every row, where a transformation such as scale() learned
    # from rows the model dropped (spec/learning_rows.py); None otherwise
    learned_from: pd.DataFrame | None = field(default=None, repr=False)
    # the matrices of data2 that gr(g, cov = A) terms name, checked, their rows and columns
    # labelled as R prints the levels (spec/level_covariance.py)
    data2: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def user_spec(self) -> FormulaSpec:
        """The formula as given: each parameter's own formula, but not those taken from the
        mean's, as brms's summary prints it and a refit passes it on."""
        return replace(self.spec, dpars=tuple((name, part) for name, part in self.spec.dpars
                                              if name not in self.inherited))

    @property
    def nobs(self) -> int:
        return len(self.y)

    @property
    def fixed_aux(self) -> dict[str, float]:
        """Family parameters held at a value, not estimated: those ``bf()`` holds
        (``quantile = 0.25``), ``sigma`` at 0 under ``se()`` without ``sigma = TRUE``, and
        those the family holds (an ordinal model's ``disc`` at 1); as in brms 2.18, whose
        draws keep each as a constant column."""
        held = dict(self.spec.fixed_dpars)
        if self.se is not None and not self.spec.se_with_sigma:
            held["sigma"] = 0.0
        # the family's own held values (an ordinal model's disc at 1) unless predicted
        held |= {a.name: a.held for a in self.family.aux
                 if a.held is not None and a.name not in self.dpars and a.name not in held}
        return held

    @property
    def parameter_parts(self) -> dict[str, DparDesign]:
        """The population parts of the non-linear parameters, then of the predicted
        distributional ones, by name: each a linear predictor of its own."""
        return {**self.nlpars, **self.dpars}

    @property
    def own_row_likelihood(self) -> str | None:
        """What gives the rows a likelihood other than the family's density at a linear
        predictor (a residual structure, known standard errors, censoring, truncation, a
        non-linear mean), worded to follow "does not support"; None without any. The fused,
        cross-product, collapsed and data-centred forms all need none."""
        additions = self.spec.additions
        if self.nlpars:
            return f"non-linear formulas ({self.spec.text})"
        if self.autocor is not None:
            return f"residual structures ({self.autocor.term.text})"
        if self.se is not None:
            return f"known standard errors (se({additions['se']}))"
        if self.censoring is not None:
            return f"censored responses (cens({additions['cens']}))"
        if self.truncation is not None:
            return f"truncated responses ({self.truncation.text})"
        return None

    @property
    def thresholds(self) -> int:
        """The number of an ordinal model's thresholds, K - 1; 0 for other models."""
        return len(self.categories) - 1 if self.family.ordinal else 0

    @property
    def groups(self) -> list[str]:
        """Grouping factors in order of first appearance."""
        return list(dict.fromkeys(block.group for block in self.blocks))

    def group_levels(self, group: str) -> list[str]:
        return next(block.levels for block in self.blocks if block.group == group)

    def group_coefs(self, group: str) -> list[str]:
        return [coef for block in self.blocks if block.group == group for coef in block.coefs]

    def smooth_named(self, term: str) -> list[SmoothPart]:
        """The smooths of the ``s()`` term written ``term`` (spaces aside, as brms names it
        ``s(x,k=5)``; one per level of a factor ``by``), or brms's error naming the model's
        smooth terms."""
        parts: dict[str, list[SmoothPart]] = {}
        for part in self.smooths:
            parts.setdefault("".join(part.term.text.split()), []).append(part)
        if not isinstance(term, str) or "".join(term.split()) not in parts:
            raise MultilevelError(f"Term {term!r} cannot be found. Valid smooth terms are: "
                                  + (", ".join(parts) or "none, the model has no s() term")
                                  + ".")
        return parts["".join(term.split())]

    def correlation_sets(self) -> list[list[int]]:
        """The blocks sampled with one correlation matrix, as lists of block positions: the
        blocks of a grouping factor that share an ID, else each block alone."""
        sets: list[list[int]] = []
        by_id: dict[tuple[str, str], list[int]] = {}
        for number, block in enumerate(self.blocks):
            if not block.id:
                sets.append([number])
            elif (block.group, block.id) in by_id:
                by_id[(block.group, block.id)].append(number)
            else:
                by_id[(block.group, block.id)] = [number]
                sets.append(by_id[(block.group, block.id)])
        return sets

    def set_coefs(self, members: list[int]) -> list[str]:
        return [coef for number in members for coef in self.blocks[number].coefs]

    def set_correlated(self, members: list[int]) -> bool:
        return self.blocks[members[0]].correlated and len(self.set_coefs(members)) > 1

    def correlation_names(self, group: str) -> list[str]:
        """brms's names of a grouping factor's correlations, ``Intercept__Days``, set by set
        (and by level by level of ``gr(g, by = arm)``, ``Intercept:armcontrol__x:armcontrol``)."""
        names = []
        for members in self.correlation_sets():
            first = self.blocks[members[0]]
            if first.group == group and self.set_correlated(members):
                names += first.correlation_names(self.set_coefs(members))
        return names

    def group_sd_names(self, group: str) -> list[str]:
        """brms's names of a grouping factor's sds after ``sd_<group>__``: its coefficients,
        or with ``gr(g, by = arm)`` each by level's (``Intercept:armcontrol``)."""
        return [name for block in self.blocks if block.group == group
                for name in block.sd_names]

    def group_coef_parts(self, group: str) -> list[tuple[str, str]]:
        """Each of a group's coefficients as (parameter, name within it): ``("sigma", "Days")``."""
        return [(block.dpar, block.own_coef(coef)) for block in self.blocks
                if block.group == group for coef in block.coefs]

    def require_one_response_per_row(self, what: str) -> None:
        """Refuse ``what``, which reads one response per row, for a response of one column
        per category (dirichlet, multinomial), as brms's fail on it too."""
        if self.family.columns:
            raise MultilevelError(f"{what} reads one response per row; a {self.family.name} "
                                  f"response has one per category "
                                  f"({self.spec.response_expression}). Take each column of "
                                  "posterior_predict()[:, :, k] instead.")

    @property
    def bound_columns(self) -> list[str]:
        """The columns of ``cens(censored, y2)``'s upper bounds: used, but missing outside
        intervals without their rows being dropped, as in brms."""
        if self.spec.cens_upper is None:
            return []
        return sorted(formula_variables(self.spec.cens_upper, "cens()"))

    def model_frame(self, rebuild: bool = False) -> pd.DataFrame:
        """The data the model was fitted to: the used columns of the complete rows.

        With ``rebuild``, the data that build this very design again, as a saved fit needs:
        where a transformation such as ``scale()`` learned from rows the model dropped,
        every row the user gave.
        """
        data = self.learned_from if rebuild and self.learned_from is not None else self.data
        used = set(used_columns(self.spec)) | set(self.bound_columns)
        frame = data[[c for c in data.columns if c in used]]
        frame.attrs = dict(self.data.attrs)
        return frame


def response_values(spec: FormulaSpec, data: pd.DataFrame, family: Family,
                    trials: np.ndarray | None) -> np.ndarray:
    """The response of ``data``'s rows as the model reads it, checked against the family."""
    return _response(spec, data, family, trials)[0]


def _response(spec: FormulaSpec, data: pd.DataFrame, family: Family, trials):
    if trials is not None and not family.needs_trials:
        raise FormulaError(f"trials() or cbind() only apply to binomial families, not "
                           f"{family.name!r}." if not family.columns else
                           f"Argument 'trials' is not supported for family {family.name!r}.")
    if family.columns:
        return _column_response(spec, data, family, trials), trials
    if spec.cbind is not None and len(spec.cbind) != 2:
        takes = ("cbind(successes, failures)" if family.needs_trials
                 else "one response column")
        raise FormulaError(f"{spec.response_expression}: a response of one column per "
                           "category is for families 'dirichlet' and 'multinomial'; family "
                           f"{family.name!r} takes {takes}.")
    if spec.cbind is not None:
        successes = evaluate_expression(spec.cbind[0], data, "cbind()")
        failures = evaluate_expression(spec.cbind[1], data, "cbind()")
        trials = (successes.to_numpy(dtype=float) + failures.to_numpy(dtype=float))
        if np.any(failures.to_numpy(dtype=float) < 0):
            raise DataError(
                f"cbind({spec.cbind[0]}, {spec.cbind[1]}): failures must be non-negative; "
                f"{int((failures < 0).sum())} row(s) have fewer trials than successes."
            )
        series, label = successes, spec.cbind[0]
    else:
        series, label = evaluate_expression(spec.response, data, "the response"), spec.response
    if family.needs_trials and trials is None:
        raise DataError(
            f"Family {family.name!r} needs the number of trials: write "
            f"'{label} | trials(n) ~ ...' or 'cbind({label}, failures) ~ ...'."
        )
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        require_finite(series.to_numpy(dtype=float), f"The response {label!r}")
    y = family.check_response(series, family.name, label, trials)
    return np.asarray(y), trials


def _column_response(spec: FormulaSpec, data: pd.DataFrame, family: Family,
                     trials) -> np.ndarray:
    """A response of one column per category (rows x categories)."""
    if spec.cbind is None:
        raise FormulaError(f"Family {family.name!r} needs one response column per category: "
                           f"write 'cbind(a, b, c) ~ ...' in place of {spec.response!r}.")
    label = spec.response_expression
    columns = pd.DataFrame({part: evaluate_expression(part, data, "cbind()")
                            for part in spec.cbind}, index=data.index)
    return np.asarray(family.check_response(columns, family.name, label, trials))


def addition_values(spec: FormulaSpec, data: pd.DataFrame, name: str) -> np.ndarray | None:
    if name not in spec.additions:
        return None
    series = evaluate_expression(spec.additions[name], data, f"{name}()")
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series):
        raise DataError(f"{name}({spec.additions[name]}) must be numeric, got {series.dtype}.")
    values = series.to_numpy(dtype=float)
    # as in brms, a row may have no trials (its successes then 0)
    if name == "trials" and np.any((values < 0) | (values != np.round(values))):
        raise DataError(f"trials({spec.additions[name]}) must be non-negative integers.")
    if name in ("weights", "se") and np.any(values < 0):
        raise DataError(f"{name}({spec.additions[name]}) must be non-negative.")
    return values


def build_design(spec: FormulaSpec, data: pd.DataFrame, family: Family,
                 data2: Mapping | None = None) -> Design:
    """Evaluate the formula on the data.

    Parameters
    ----------
    spec
        The parsed formula.
    data
        The data frame holding every column the formula names.
    family
        The response family, whose support the response is checked against.
    data2
        brms's ``data2``: named objects other than columns, the matrices of
        ``gr(g, cov = A)``.

    Returns
    -------
    Design
        Response, centred-ready population matrix, group blocks, offset, trials and weights.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if data2 is not None and not isinstance(data2, Mapping):
        raise DataError(f"data2 must be a dict of named objects, such as {{'A': A}}, got "
                        f"{type(data2).__name__}.")
    with learning_from(data) as learning:
        design = _evaluated_design(spec, data, family, data2)
    return replace(design, learned_from=data.copy()) if learning.used else design


def _evaluated_design(spec: FormulaSpec, data: pd.DataFrame, family: Family,
                      data2: Mapping | None) -> Design:
    spec = _scaled_proportions(spec, family)
    if not family.categorical:  # its parameters follow from the response's categories
        _check_dpars(spec, family)
    used = used_columns(spec)
    check_columns(used, data)
    require_rows(data)
    frame, n_dropped = drop_missing(data, list(used))
    require_finite_columns(frame, list(used))
    if len(frame) < 2:
        raise DataError(f"Only {len(frame)} complete row is left; a model needs at least two "
                        "observations.")
    # the data's own columns, before strings become factors: mo() reads an ordered
    # categorical's categories, unused ones too, as brms reads a factor's levels
    monotonic = [monotonic_part(term, frame) for term in spec.monotonic]
    refuse_ordered_by(frame, spec.smooths)
    frame = as_r_factors(frame, [c for c in used if c != spec.response])
    for part in [spec] + [part for _, part in spec.nlpars + spec.dpars]:
        require_factor_levels(frame, [c for c in formula_variables(
            part.population, "the population-level terms") if c in frame.columns])

    trials = addition_values(spec, frame, "trials")
    weights = addition_values(spec, frame, "weights")
    se = addition_values(spec, frame, "se")
    if se is not None:
        check_standard_errors(spec, family, se)
    y, trials = _response(spec, frame, family, trials)
    censored = censoring(spec, frame, family, y) if "cens" in spec.additions else None
    truncated = None
    if "trunc" in spec.additions:
        if spec.autocor is not None:
            raise FormulaError(f"{spec.text!r}: a truncated response cannot also have a "
                               "residual structure here.")
        truncated = truncation(spec.additions["trunc"], frame, family, y)

    categories = _categories(spec, frame, family, y)
    _check_held_below_response(spec, family, y)
    if family.categorical:
        family = family.for_categories(categories)
        _check_dpars(spec, family)
    predicted = tuple(name for name in family.mixing_proportions if name in dict(spec.dpars))
    if predicted:
        family = predicting_proportions(family, predicted)
    if family.formula_parameters:
        # one linear predictor per category but the first, or per mixture component, each
        # with the mean's formula unless bf() gives it its own
        own = dict(spec.dpars)
        inherited = tuple(name for name in family.formula_parameters if name not in own)
        parts = own | {name: replace(spec, text=f"{name} ~ " + spec.text.split("~", 1)[1].strip(),
                                     response=None, dpars=()) for name in inherited}
        # in the family's order of its parameters, as brms's (mu1, sigma1, mu2, ...)
        spec = replace(spec, dpars=tuple((a.name, parts[a.name]) for a in family.aux
                                         if a.name in parts))
    else:
        inherited = ()
    if family.formula_parameters and (spec.smooths or spec.monotonic):
        # their terms would need one part per category or component
        term = (spec.smooths or spec.monotonic)[0]
        raise FormulaError(f"{spec.text!r}: {term.text} is not supported with the "
                           f"{family.label} family here, whose categories or components "
                           "each take the formula.")
    if spec.nonlinear is not None and (family.ordinal or family.formula_parameters):
        raise FormulaError(f"{spec.text!r}: non-linear formulas work with families of one "
                           f"mean, not with {family.label!r}.")
    taken = [name for name in spec.nlpar_names if name in {a.name for a in family.aux}]
    if taken:
        raise FormulaError(f"{spec.text!r}: {', '.join(map(repr, taken))} is a parameter of the "
                           f"{family.name} family, so its formula predicts it; give the "
                           "non-linear parameter another name.")
    if spec.nonlinear is None:
        X, b_names, has_intercept, population = _population_part(spec, frame)
    else:
        X, b_names, has_intercept, population = np.zeros((len(frame), 0)), [], False, None
    if family.ordinal and not has_intercept:
        raise FormulaError(
            f"Family {family.name!r} models the categories through thresholds, which take the "
            f"place of the intercept; remove '0 +' or '- 1' from {spec.text!r}."
        )
    category_specific = category_specific_part(spec.category_specific, frame, family, b_names)
    collinear = collinear_columns(X, b_names, has_intercept)
    offset = _offset(spec, frame)
    matrices = covariance_matrices(spec, data2)
    blocks = [] if family.formula_parameters else parameter_blocks(spec, frame, "", matrices)
    dpars, nlpars = {}, {}
    for parts, designs in ((spec.nlpars, nlpars), (spec.dpars, dpars)):
        for name, part in parts:
            dpar_X, dpar_names, dpar_intercept, terms = _population_part(part, frame)
            designs[name] = DparDesign(name, part, dpar_X, dpar_names, dpar_intercept,
                                       _offset(part, frame), terms)
            blocks += parameter_blocks(part, frame, name, matrices)
    unidentified = [name for name in family.formula_parameters
                    if family.ordered_intercepts and not dpars[name].has_intercept]
    if unidentified:
        raise FormulaError(f"Identifying mixture components via ordering requires "
                           f"population-level intercepts to be present ({unidentified[0]} "
                           "has none). Try setting order='none' in ml.mixture().")
    covariates = ({} if spec.nonlinear is None else covariate_values(
        covariate_names(spec.nonlinear, spec.nlpar_names), frame, spec.text))
    check_group_ids(blocks)
    if family.formula_parameters:
        X, b_names, has_intercept, population, offset = (np.zeros((len(frame), 0)), [], False,
                                                         None, None)
    smooths = [part for term in spec.smooths for part in smooth_parts(term, frame)]
    autocor = None
    if spec.autocor is not None:
        check_autocor(spec, family, weights)
        autocor = time_series(spec.autocor, frame)
    residual_scale = any(aux.name == "sigma" for aux in family.aux) and "sigma" not in dpars
    for group in dict.fromkeys(block.group for block in blocks):
        levels = next(len(block.levels) for block in blocks if block.group == group)
        warn_grouping_sizes(group, levels, len(frame), residual_scale)

    return Design(
        spec=spec, family=family, data=frame, y=y, X=X, b_names=b_names,
        has_intercept=has_intercept, blocks=blocks, offset=offset, trials=trials,
        weights=weights, n_dropped=n_dropped, population_terms=population,
        collinear=collinear, dpars=dpars, categories=categories, autocor=autocor,
        smooths=smooths, monotonic=monotonic, category_specific=category_specific, se=se,
        censoring=censored, truncation=truncated, nlpars=nlpars, covariates=covariates,
        inherited=inherited, data2={block.cov: matrices[block.cov] for block in blocks
                                    if block.cov},
    )


def _categories(spec: FormulaSpec, frame: pd.DataFrame, family: Family,
                y: np.ndarray) -> list[str] | None:
    if not (family.ordinal or family.categorical):
        return None
    if family.columns:
        return list(spec.cbind)
    series = frame[spec.response] if spec.response in frame.columns else None
    if family.categorical:
        return [r_level_label(level) for level in sorted_levels(series)]
    if series is not None and isinstance(series.dtype, pd.CategoricalDtype):
        return [str(c) for c in series.cat.categories]
    return [str(k) for k in range(1, int(y.max()) + 1)]


def _check_fixed_dpars(spec: FormulaSpec, family: Family) -> None:
    """The values ``bf()`` holds parameters at: the family's parameters, within their
    bounds."""
    parameters = [aux.name for aux in family.aux]
    for name, value in spec.fixed_dpars:
        if name not in parameters:
            valid = (f"its distributional parameters are {', '.join(parameters)}"
                     if parameters else "it has none besides the mean, mu")
            raise FamilyError(f"Family {family.name!r} has no distributional parameter {name!r} "
                              f"to hold at {value:g}; {valid}.{close_matches(name, parameters)}")
        parameter = family.aux_parameter(name)
        lower, upper = parameter.lower, parameter.upper
        closed_lower, closed_upper = parameter.closed
        # a bound set by the data (the shifted lognormal's ndt below min_Y) is checked with
        # the response (_check_held_below_response)
        upper = upper if isinstance(upper, float) else None
        below = lower is not None and (value < lower or (value == lower and not closed_lower))
        above = upper is not None and (value > upper or (value == upper and not closed_upper))
        if below or above:
            interval = ("[" if closed_lower else "(") + (
                f"{lower:g}" if lower is not None else "-inf") + ", " + (
                f"{upper:g}" if upper is not None else "inf") + (
                "]" if closed_upper and upper is not None else ")")
            raise FamilyError(f"bf() holds {name!r} at {value:g}, but the {family.name} "
                              f"family's {name} lies in {interval}.")
    if "sigma" in dict(spec.fixed_dpars) and "se" in spec.additions:
        raise FamilyError("bf() holds 'sigma' at a value and se() gives known standard "
                          "errors; use one or the other (se(x, sigma = TRUE) estimates sigma "
                          "besides them).")


def _check_held_below_response(spec: FormulaSpec, family: Family, y: np.ndarray) -> None:
    """A held parameter bounded by the data (the shifted lognormal's ``ndt``) lies below the
    smallest response."""
    for name, value in spec.fixed_dpars:
        if family.aux_parameter(name).upper == "min_Y" and value >= np.min(y):
            raise FamilyError(f"bf() holds {name!r} at {value:g}, but the {family.name} "
                              f"family's {name} lies below the smallest response, "
                              f"{np.min(y):g}.")


def _check_dpars(spec: FormulaSpec, family: Family) -> None:
    _check_fixed_dpars(spec, family)
    check_centring(spec, family)
    parameters = [aux.name for aux in family.aux]
    for name in spec.dpar_names:
        if name not in parameters:
            valid = (f"its distributional parameters are {', '.join(parameters)}"
                     if parameters else "it has none besides the mean, mu")
            unused = ("" if spec.nonlinear is None else
                      f" Nor is it a parameter of the non-linear formula {spec.text!r}, which "
                      "does not use it.")
            raise FamilyError(
                f"Family {family.name!r} has no distributional parameter {name!r} to predict; "
                f"{valid}.{close_matches(name, parameters)}{unused}"
            )


def _scaled_proportions(spec: FormulaSpec, family: Family) -> FormulaSpec:
    """The formula with a mixture's held proportions scaled to add up to 1, as brms's (it
    holds all of them or none)."""
    held = {name: value for name, value in spec.fixed_dpars
            if name in family.mixing_proportions}
    if not held:
        return spec
    if len(held) < len(family.mixing_proportions) or min(held.values()) <= 0:
        raise FamilyError(f"bf() may hold all mixing proportions of {family.label} or none, "
                          f"at positive values ({', '.join(family.mixing_proportions)}); "
                          f"got {', '.join(f'{k} = {v:g}' for k, v in held.items())}.")
    total = sum(held.values())
    return replace(spec, fixed_dpars=tuple((name, value / total if name in held else value)
                                           for name, value in spec.fixed_dpars))


def _population_part(spec: FormulaSpec, frame: pd.DataFrame):
    """The population matrix without intercept column, its names, the intercept, the terms."""
    where = "the population-level terms" + (f" of {spec.text!r}" if spec.response is None
                                            else "")
    population = design_matrix(spec.population, frame, where)
    values, names = matrix_columns(population)
    has_intercept = "Intercept" in names and not spec.explicit_intercept
    keep = [k for k, name in enumerate(names) if name != "Intercept" or not has_intercept]
    X = values[:, keep] if keep else np.zeros((len(frame), 0))
    b_names = [names[k] for k in keep]
    for k, name in enumerate(b_names):
        require_finite(X[:, k], f"The population-level column {name!r}")
    return X, b_names, has_intercept, population


def _offset(spec: FormulaSpec, frame: pd.DataFrame) -> np.ndarray | None:
    offset = None
    for expression in spec.offsets:
        term = evaluate_expression(expression, frame, "offset()").to_numpy(dtype=float)
        require_finite(term, f"offset({expression})")
        offset = term if offset is None else offset + term
    return offset



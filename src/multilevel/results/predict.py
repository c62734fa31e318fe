"""Posterior predictions: linear predictor, expected values and new observations."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..blocks import row_blocks
from ..errors import DataError, MultilevelError
from ..families.family import add_known_errors, estimate_and_error
from ..families.links import LINKS
from ..names import coefficient_name, population_names, quantile_label
from ..spec.checks import check_columns
from ..spec.design import Design, GroupBlock
from ..spec.evaluation import design_matrix, r_ordered_frame
from ..spec.formula import parse_formula
from ..spec.newdata import new_data_design
from ..spec.smooth import check_by_levels
from ..spec.timeseries import time_series
from .autocor import AutocorDraws, arma_linear_predictor, correlation_matrices

NEW_LEVEL_METHODS = ("uncertainty", "gaussian", "old_levels")


@dataclass(frozen=True)
class PredictionRequest:
    """What to predict for: rows, which group terms, and how to treat new levels."""

    newdata: pd.DataFrame | None = None
    re_formula: str | bool | None = None
    allow_new_levels: bool = False
    sample_new_levels: str = "uncertainty"
    ndraws: int | None = None
    seed: int | None = None
    incl_autocor: bool = True

    def __post_init__(self) -> None:
        if self.ndraws is not None and (isinstance(self.ndraws, bool) or not isinstance(
                self.ndraws, (int, np.integer)) or self.ndraws < 1):
            raise MultilevelError(f"ndraws must be a positive integer or None (all draws), got "
                                  f"{self.ndraws!r}.")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(
                self.seed, (int, np.integer)) or self.seed < 0):
            raise MultilevelError(f"seed must be a non-negative integer or None, got "
                                  f"{self.seed!r}.")
        if self.newdata is not None:
            if not isinstance(self.newdata, pd.DataFrame):
                raise DataError(f"newdata must be a pandas DataFrame, got "
                                f"{type(self.newdata).__name__}.")
            if len(self.newdata) == 0:
                raise DataError("newdata has no rows; pass at least one row to predict for.")
        if not isinstance(self.allow_new_levels, (bool, np.bool_)):
            raise MultilevelError(f"allow_new_levels must be True or False, got "
                                  f"{self.allow_new_levels!r}.")


def chosen_blocks(design: Design, re_formula) -> dict[int, np.ndarray]:
    """The group blocks that ``re_formula`` keeps, each with a 0/1 mask of its coefficients."""
    if re_formula is None:
        return {k: np.ones(len(b.coefs)) for k, b in enumerate(design.blocks)}
    if re_formula is False or (isinstance(re_formula, str)
                               and re_formula.replace(" ", "") in ("~0", "NA", "~1", "")):
        return {}
    if not isinstance(re_formula, str):
        raise MultilevelError(f"re_formula must be None, False or a formula string such as "
                              f"'~ (1 | g)', got {re_formula!r}.")
    wanted = {
        (term.group, coef)
        for term in parse_formula("y " + re_formula.strip()).group_terms
        for coef in _term_coefs(design, term)
    }
    # a term keeps its coefficients in every parameter's formula, as brms
    masks = {
        k: np.array([float((block.group, block.own_coef(coef)) in wanted)
                     for coef in block.coefs])
        for k, block in enumerate(design.blocks)
    }
    return {k: mask for k, mask in masks.items() if mask.any()}


def _term_coefs(design: Design, term) -> list[str]:
    for block in design.blocks:
        if block.group == term.group:
            break
    else:
        raise MultilevelError(
            f"re_formula names the grouping factor {term.group!r}, which the model lacks; "
            f"grouping factors: {', '.join(design.groups)}."
        )
    matrix = design_matrix(term.expr, design.data, f"re_formula term {term.text}")
    return [coefficient_name(str(c)) for c in r_ordered_frame(matrix).columns]


def _new_level_effects(rng, method: str, effects: np.ndarray, sd: np.ndarray,
                       cholesky: np.ndarray | None) -> np.ndarray:
    """Effects of one new level for every draw, shape (draws, coefficients)."""
    draws, levels, _ = effects.shape
    if method == "uncertainty":
        return effects[np.arange(draws), rng.integers(0, levels, draws)]
    if method == "old_levels":
        return effects[:, rng.integers(0, levels)]
    z = rng.standard_normal((draws, sd.shape[1]))
    if cholesky is not None:
        z = np.einsum("dij,dj->di", cholesky, z)
    return z * sd


def _cholesky_from_correlations(pairs: np.ndarray, size: int) -> np.ndarray:
    return np.linalg.cholesky(correlation_matrices(pairs, size))


def _sds_and_cholesky(fit, group: str, names: list[str], correlated: bool, draws_of):
    """The draws of the sds named ``names`` (a correlation set's, or one by level's of
    ``gr(g, by = arm)``) and, where they are correlated, the Cholesky factors of their
    correlations (None otherwise)."""
    sd_names = fit.design.group_sd_names(group)
    sd = draws_of(f"sd_{group}")[:, [sd_names.index(name) for name in names]]
    if not correlated:
        return sd, None
    cor_names = list(fit.idata.posterior[f"cor_{group}"].coords[f"{group}_cor"].values)
    pairs = [f"{names[j]}__{names[i]}" for i in range(1, len(names)) for j in range(i)]
    return sd, _cholesky_from_correlations(
        draws_of(f"cor_{group}")[:, [cor_names.index(pair) for pair in pairs]], len(names))


def _new_set_effects(fit, members: list[int], count: int, rng, method: str,
                     draws_of) -> np.ndarray:
    """Effects of ``count`` new levels for the blocks of one correlation set, shape (draws,
    count, the set's coefficients)."""
    design = fit.design
    group = design.blocks[members[0]].group
    coefs = design.group_coefs(group)
    wanted_coefs = design.set_coefs(members)
    effects = draws_of(f"r_{group}")[:, :, [coefs.index(c) for c in wanted_coefs]]
    # the sds of blocks without a by column are named by their coefficients
    sd, cholesky = _sds_and_cholesky(fit, group, wanted_coefs, design.set_correlated(members),
                                     draws_of)
    return np.stack([_new_level_effects(rng, method, effects, sd, cholesky)
                     for _ in range(count)], axis=1)


def _new_level_by(block: GroupBlock, labels: list[str], by_labels: list[str],
                  unknown: list[str]) -> list[int]:
    """Each new level's position among the by levels of ``gr(g, by = arm)``, read from the
    rows of newdata; an error where a new level has an unknown or several by levels."""
    positions = []
    for level in unknown:
        seen = sorted({by for label, by in zip(labels, by_labels, strict=True)
                       if label == level})
        if len(seen) > 1 or seen[0] not in block.by_levels:
            raise DataError(
                f"New level {level!r} of {block.group!r} in newdata has the {block.by!r} "
                f"level(s) {', '.join(map(repr, seen))}; {block.term} needs one of "
                f"{', '.join(map(repr, block.by_levels))} per level.")
        positions.append(block.by_levels.index(seen[0]))
    return positions


def _new_by_level_effects(fit, number: int, level_by: list[int], rng, method: str,
                          draws_of) -> np.ndarray:
    """Effects of new levels of a block of ``gr(g, by = arm)``, shape (draws, new levels,
    coefficients): each drawn as ``sample_new_levels`` says from its by level's sds and
    correlations, or from the fitted levels of its by level, as brms draws them."""
    design = fit.design
    block = design.blocks[number]
    coefs = design.group_coefs(block.group)
    effects = draws_of(f"r_{block.group}")[:, :, [coefs.index(c) for c in block.coefs]]
    drawn = []
    for position in level_by:
        named = [f"{coef}:{block.by_labels[position]}" for coef in block.coefs]
        sd, cholesky = _sds_and_cholesky(fit, block.group, named, block.has_correlations,
                                         draws_of)
        drawn.append(_new_level_effects(rng, method, effects[:, block.level_by == position],
                                        sd, cholesky))
    return np.stack(drawn, axis=1)

# brms's message where a fit of several imputed data sets stands for them with its own data
FIRST_DATA_SET_ONLY = ("Using only the first imputed data set. Please interpret the results "
                       "with caution until a more principled approach has been implemented.")


def warn_if_first_data_set_only(fit) -> None:
    """brms's warning where a fit of several imputed data sets (``brm_multiple()``) uses the
    first data set's rows for all of them."""
    if fit.imputations > 1:
        warnings.warn(FIRST_DATA_SET_ONLY, UserWarning, stacklevel=2)


def draw_reader(posterior, ndraws: int | None, rng: np.random.Generator):
    """The positions of the draws kept, all of them or a random subset of ``ndraws``, and
    ``draws_of(name)``: a variable's draws at those positions (draws, ...)."""
    total = posterior.sizes["chain"] * posterior.sizes["draw"]
    keep = np.arange(total)
    if ndraws is not None:
        keep = np.sort(rng.choice(total, size=min(int(ndraws), total), replace=False))

    def draws_of(name: str) -> np.ndarray:
        values = posterior[name].values
        return values.reshape(total, *values.shape[2:])[keep]

    return keep, draws_of


def linear_predictor(fit, request: PredictionRequest) -> Prediction:
    """Draws of the linear predictor, shape (draws, rows), for the rows of the request."""
    design: Design = fit.design
    if request.newdata is None:
        warn_if_first_data_set_only(fit)
    if request.sample_new_levels not in NEW_LEVEL_METHODS:
        raise MultilevelError(f"sample_new_levels must be one of {', '.join(NEW_LEVEL_METHODS)}, "
                              f"got {request.sample_new_levels!r}.")
    rng = np.random.default_rng(request.seed)
    posterior = fit.idata.posterior
    keep, draws_of = draw_reader(posterior, request.ndraws, rng)

    masks = chosen_blocks(design, request.re_formula)
    blocks = list(masks)
    if request.newdata is None:
        X, offset = design.X, design.offset
        parameters = design.parameter_parts
        dpar_X = {name: part.X for name, part in parameters.items()}
        dpar_offsets = {name: part.offset for name, part in parameters.items()}
        covariates = design.covariates
        block_values = [design.blocks[k].values for k in blocks]
        block_index = [design.blocks[k].index for k in blocks]
        new_levels: list[list[str]] = [[] for _ in blocks]
        new_level_by: list[list[int]] = [[] for _ in blocks]
    else:
        new = new_data_design(design, request.newdata, blocks)
        X, offset, block_values = new.X, new.offset, new.block_values
        dpar_X, dpar_offsets, covariates = new.dpar_X, new.dpar_offsets, new.covariates
        block_index, new_levels, new_level_by = [], [], []
        for k, labels, by_labels in zip(blocks, new.block_labels, new.block_by_labels,
                                        strict=True):
            known = {level: j for j, level in enumerate(design.blocks[k].levels)}
            unknown = sorted({label for label in labels if label not in known})
            if unknown and not request.allow_new_levels:
                group = design.blocks[k].group
                raise DataError(
                    f"newdata has level(s) {', '.join(repr(u) for u in unknown)} of {group!r} "
                    f"that the model was not fitted with; pass allow_new_levels=True to predict "
                    f"for new levels (sampled as sample_new_levels={request.sample_new_levels!r})."
                )
            first_new = len(design.blocks[k].levels)
            block_index.append(np.array([
                known[label] if label in known else first_new + unknown.index(label)
                for label in labels
            ]))
            new_levels.append(unknown)
            new_level_by.append([] if by_labels is None else
                                _new_level_by(design.blocks[k], labels, by_labels, unknown))

    def population_part(dpar: str, matrix: np.ndarray, shift: np.ndarray | None) -> np.ndarray:
        _, b_name, intercept_name, _ = population_names(dpar)
        if matrix.shape[1]:
            eta = np.asarray(draws_of(b_name) @ matrix.T, dtype=float)
        else:
            eta = np.zeros((len(keep), matrix.shape[0]))
        # an ordinal model's intercepts are its thresholds, outside the linear predictor
        if intercept_name in posterior and not (design.thresholds and not dpar):
            eta += draws_of(intercept_name)[:, None]
        if shift is not None:
            eta += shift
        return eta

    etas = {"": population_part("", X, offset)}
    _add_smooth_part(etas[""], design, request.newdata, draws_of)
    _add_monotonic_part(etas[""], design, request.newdata, draws_of)
    for name in dpar_X:
        etas[name] = population_part(name, dpar_X[name], dpar_offsets[name])
    set_of = {m: members for members in design.correlation_sets() for m in members}
    new_effects: dict[int, np.ndarray] = {}
    for k, values, index, unknown, level_by in zip(blocks, block_values, block_index,
                                                   new_levels, new_level_by, strict=True):
        block = design.blocks[k]
        coefs = design.group_coefs(block.group)
        columns = [coefs.index(c) for c in block.coefs]
        effects = draws_of(f"r_{block.group}")[:, :, columns]
        if unknown and block.by:
            extra = _new_by_level_effects(fit, k, level_by, rng, request.sample_new_levels,
                                          draws_of)
            effects = np.concatenate([effects, extra], axis=1)
        elif unknown:
            # blocks correlated through an ID draw a new level's effects jointly
            members = set_of[k]
            if members[0] not in new_effects:
                new_effects[members[0]] = _new_set_effects(fit, members, len(unknown), rng,
                                                           request.sample_new_levels, draws_of)
            start = sum(len(design.blocks[m].coefs) for m in members[:members.index(k)])
            extra = new_effects[members[0]][:, :, start:start + len(block.coefs)]
            effects = np.concatenate([effects, extra], axis=1)
        _add_group_part(etas[block.dpar], effects, index, values * masks[k])
    trials = design.trials if request.newdata is None else new.trials
    aux = {name: draws_of(name)[:, None] for name in fit.names.aux}
    # held values the draws do not keep (a mixture's proportions, as brms's)
    count = next(iter(etas.values())).shape[0]
    aux |= {name: np.full((count, 1), value) for name, value in design.fixed_aux.items()
            if name not in aux}
    if design.thresholds:
        aux["thresholds"] = draws_of(population_names()[2])
    if design.category_specific is not None:
        # each row's thresholds (draws x rows x thresholds), less its cs() terms
        part = design.category_specific
        columns = part.X if request.newdata is None else new.category_specific
        effects = np.stack([draws_of(f"bcs_{name}") for name in part.names], axis=1)
        aux["thresholds"] = (aux["thresholds"][:, None, :]
                             - np.einsum("nc,dck->dnk", columns, effects))
    for name in design.dpars:
        link = LINKS[design.family.aux_parameter(name).dpar_link]
        aux[name] = link.inverse_numpy(etas[name])
    if design.se is not None:
        se = design.se if request.newdata is None else new.se
        aux["sigma"] = add_known_errors(aux["sigma"], se[None, :])
    eta, autocor = etas[""], None
    if design.spec.nonlinear is not None:
        eta = design.spec.nonlinear.evaluate(
            {name: etas[name] for name in design.nlpars} | covariates)
    if design.autocor is not None and request.incl_autocor:
        autocor = _autocor_draws(design, request.newdata, draws_of)
        if not autocor.joint:
            eta = arma_linear_predictor(eta, _observed_response(design, request.newdata),
                                        autocor, design.family, aux, rng)
    truncation = None
    if design.truncation is not None:
        truncation = (design.truncation if request.newdata is None else new.truncation).bounds
    return Prediction(eta=eta, aux=aux, trials=trials, autocor=autocor, truncation=truncation,
                      linear={name: value for name, value in etas.items() if name})


def _add_group_part(eta: np.ndarray, effects: np.ndarray, index: np.ndarray,
                    weights: np.ndarray) -> None:
    """Add to ``eta`` (draws x rows) each row's group-level effects (``effects``, draws x
    levels x coefficients, at the row's level ``index``) times their ``weights`` (rows x
    coefficients).

    One coefficient and one block of rows at a time, into one small buffer: gathering all
    of a row's effects at once would hold draws x rows x coefficients values, and a buffer
    of all rows would be fresh memory to the allocator on every call.
    """
    draws, rows = eta.shape
    blocks = list(row_blocks(draws, rows))
    buffer = np.empty(draws * (blocks[0].stop - blocks[0].start) if blocks else 0)
    for j in range(weights.shape[1]):
        coefficient = np.ascontiguousarray(effects[:, :, j])
        for block in blocks:
            width = block.stop - block.start
            part = buffer[:draws * width].reshape(draws, width)
            # the index is valid by construction; numpy's default mode would copy the buffer
            np.take(coefficient, index[block], axis=1, out=part, mode="clip")
            part *= weights[block, j]
            eta[:, block] += part


def smooth_values(parts, newdata: pd.DataFrame | None, draws_of) -> np.ndarray:
    """The smooths' part of the linear predictor (draws x rows), brms's
    ``posterior_smooths()`` of a term (its smooths ``parts``, one per level of a factor
    ``by``): the unpenalised columns times ``bs_`` plus the penalised columns times ``s_``."""
    total = 0.0
    if newdata is not None:
        for part in parts:
            check_columns(dict.fromkeys(part.columns, part.term.text), newdata)
        check_by_levels(parts, newdata)
    for part in parts:
        if newdata is None:
            fixed, penalised = part.basis.Xf, part.basis.Zr
        else:
            fixed, penalised = part.evaluate(newdata.reset_index(drop=True))
        total = total + draws_of(f"s_{part.label}") @ penalised.T
        for j, name in enumerate(part.fixed_names):
            total = total + draws_of(f"bs_{name}")[:, None] * fixed[:, j]
    return total


def _add_smooth_part(eta: np.ndarray, design: Design, newdata: pd.DataFrame | None,
                     draws_of) -> None:
    """Add the smooths' part of the linear predictor to ``eta`` (draws x rows), in place."""
    if design.smooths:
        eta += smooth_values(design.smooths, newdata, draws_of)


def _add_monotonic_part(eta: np.ndarray, design: Design, newdata: pd.DataFrame | None,
                        draws_of) -> None:
    """Add the monotonic effects' part of the linear predictor to ``eta`` (draws x rows), in
    place: ``bsp * D * sum(simo[1:x])`` at each row's position x, times an interaction's
    numeric columns."""
    for part in design.monotonic:
        covariate = part.covariate
        if newdata is not None:
            check_columns({column: part.term.text
                           for column in (part.term.variable, *part.term.covariates)}, newdata)
            rows = newdata.reset_index(drop=True)
            positions = part.positions(rows[part.term.variable])
            covariate = part.covariate_values(rows)
        else:
            positions = part.values
        shares = draws_of(f"simo_{part.term.simplex}")
        reached = np.concatenate([np.zeros((len(shares), 1)), np.cumsum(shares, axis=1)], axis=1)
        eta += (draws_of(f"bsp_{part.term.coef}")[:, None] * part.size
                * reached[:, positions] * (1.0 if covariate is None else covariate[None, :]))


def _autocor_draws(design: Design, newdata: pd.DataFrame | None, draws_of) -> AutocorDraws:
    """The series of the rows to predict for, with the residual structure's draws."""
    term = design.autocor.term
    series = design.autocor
    if newdata is not None:
        columns = [c for c in (term.time, term.gr) if c is not None]
        check_columns(dict.fromkeys(columns, term.text), newdata)
        if newdata[columns].isna().any().any():
            raise DataError(f"newdata has missing values in the columns of {term.text!r}; "
                            "each row needs its series and time point.")
        series = time_series(term, newdata.reset_index(drop=True))
    if term.kind == "cosy":
        return AutocorDraws(series, cosy=draws_of("cosy"))
    if term.kind == "unstr":
        unknown = sorted(set(series.time_labels) - set(design.autocor.time_labels))
        if unknown:
            raise DataError(f"newdata has time point(s) {', '.join(unknown)} of {term.text!r} "
                            "that the model was not fitted with; the unstructured correlation "
                            "matrix covers " + ", ".join(design.autocor.time_labels) + ".")
        return AutocorDraws(_on_fitted_times(series, design.autocor.time_labels),
                            cortime=draws_of("cortime"))
    return AutocorDraws(series, ar=draws_of("ar") if term.p else None,
                        ma=draws_of("ma") if term.q else None)


def _on_fitted_times(series, fitted_labels: list[str]):
    """New data's series with time points indexed as in the fitted model."""
    positions = {label: k for k, label in enumerate(fitted_labels)}
    index = np.array([positions[series.time_labels[k]] for k in series.time_index])
    return replace(series, time_index=index, time_labels=list(fitted_labels))


def _observed_response(design: Design, newdata: pd.DataFrame | None) -> np.ndarray:
    """The response of the rows to predict for, NaN where unknown (ARMA terms need it)."""
    if newdata is None:
        return np.asarray(design.y, dtype=float)
    response = design.spec.response
    if response not in newdata.columns:
        return np.full(len(newdata), np.nan)
    return pd.to_numeric(newdata[response], errors="coerce").to_numpy(dtype=float)


@dataclass(frozen=True)
class Prediction:
    """Linear-predictor draws (draws x rows) with the family parameters of the same draws."""

    eta: np.ndarray
    aux: dict[str, np.ndarray]
    trials: np.ndarray | None
    autocor: AutocorDraws | None = None
    # each row's truncation bounds (lower, upper), None for an open side
    truncation: tuple[np.ndarray | None, np.ndarray | None] | None = None
    # the linear predictors of the non-linear and predicted distributional parameters
    linear: dict[str, np.ndarray] = field(default_factory=dict)

    def linear_scale(self, family, nlpars, transform: bool = False, dpar: str | None = None,
                     nlpar: str | None = None, incl_thres: bool = False) -> np.ndarray:
        """The draws brms's ``posterior_linpred()`` gives: the linear predictor of the mean
        (of each category or component, draws x rows x K), of the distributional parameter
        ``dpar`` or of the non-linear parameter ``nlpar``; ``transform`` applies the inverse
        link, of the mean when neither is named. A parameter that does not vary over the rows
        is its draws, repeated for each row, on either scale (as brms). ``incl_thres`` gives
        an ordinal model's linear predictor at each threshold (draws x rows x thresholds);
        as brms, it is ignored for other models, with ``transform`` or a named parameter."""
        if not isinstance(incl_thres, (bool, np.bool_)):
            raise MultilevelError(f"incl_thres must be True or False, got {incl_thres!r}.")
        if incl_thres and family.ordinal and not transform and dpar is None and nlpar is None:
            return family.threshold_predictors(self.eta, self.aux)
        if transform and dpar is None and nlpar is None:
            dpar = "mu"
        if dpar is not None:
            means = list(family.formula_parameters) or ["mu"]
            valid = means + [a.name for a in family.aux if a.name not in means]
            if dpar not in valid:
                raise MultilevelError(f"Invalid argument 'dpar': {dpar!r}. Valid distributional "
                                      f"parameters are: {', '.join(valid)}.")
            if nlpar is not None:
                raise MultilevelError("Cannot use 'dpar' and 'nlpar' at the same time.")
            if dpar == "mu":
                return family.link_function.inverse_numpy(self.eta) if transform else self.eta
            if dpar in self.linear:
                return self.aux[dpar] if transform else self.linear[dpar]
            return np.broadcast_to(self.aux[dpar], self.eta.shape[:2]).copy()
        if nlpar is not None:
            if nlpar not in nlpars:
                valid = ", ".join(nlpars) or "none, the model is not non-linear"
                raise MultilevelError(f"Invalid argument 'nlpar': {nlpar!r}. Valid non-linear "
                                      f"parameters are: {valid}.")
            return self.linear[nlpar]
        # the categories' or components' parameters have the identity link
        if family.formula_parameters:
            return np.stack([self.aux[name] for name in family.formula_parameters], axis=2)
        return self.eta

    def mean(self, family) -> np.ndarray:
        """The family's expected value for every draw and row (and category, if ordinal),
        within the rows' truncation bounds."""
        return family.expected_value(self.eta, self.aux, self.trials, self.truncation)

    def sample(self, family, rng: np.random.Generator) -> np.ndarray:
        """One new observation for every draw and row (jointly per series under ``cosy`` and
        ``unstr``)."""
        if self.autocor is not None and self.autocor.joint:
            return self.autocor.draws(rng, self.eta, self.aux)
        return family.random(rng, self.eta, self.aux, self.trials,
                             self.truncation).astype(float)



def summarize_rows(draws: np.ndarray, probs=(0.025, 0.975),
                   categories: list[str] | None = None,
                   label: str = "P(Y = {})", robust: bool = False) -> pd.DataFrame:
    """Estimate, Est.Error and quantiles per row, as brms's ``fitted()`` and ``predict()``;
    with ``robust``, the median and the median absolute deviation (scaled as R's ``mad()``)
    instead of the mean and sd.

    Draws of category probabilities (draws x rows x categories) give one such block of
    columns per category, labelled ``P(Y = 1)``, ... as brms labels them (``label``: the
    categories' own names label a dirichlet's or multinomial's new observations).
    """
    if draws.ndim == 3:
        blocks = {label.format(category): summarize_rows(draws[:, :, k], probs, robust=robust)
                  for k, category in enumerate(categories)}
        return pd.concat(blocks, axis=1, names=["category", "stat"])
    estimate, error = estimate_and_error(draws, robust)
    table = pd.DataFrame({"Estimate": estimate, "Est.Error": error})
    for p in probs:
        table[quantile_label(p)] = np.quantile(draws, p, axis=0)
    return table


def category_frequencies(draws: np.ndarray, categories: list[str]) -> pd.DataFrame:
    """The share of predicted draws in each category per row, as brms's ``predict()`` gives
    for ordinal models (columns ``P(Y = 1)``, ...)."""
    return pd.DataFrame({f"P(Y = {label})": np.mean(draws == k + 1, axis=0)
                         for k, label in enumerate(categories)})

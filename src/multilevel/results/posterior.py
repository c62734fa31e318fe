"""Posterior draws under brms's variable names, and their summaries."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from ..families.family import estimate_and_error
from ..model.build import ModelNames
from ..names import LPRIOR, population_names, quantile_label
from ..spec.design import Design
from .display import GroupTables

SUMMARY_COLUMNS = ["Estimate", "Est.Error", "Q2.5", "Q97.5"]
DIAGNOSTIC_COLUMNS = ["Rhat", "Bulk_ESS", "Tail_ESS"]


@dataclass(frozen=True)
class Draws:
    """Draws of every parameter, shape (chains, draws, parameters), with brms's names."""

    names: list[str]
    values: np.ndarray

    def column(self, name: str) -> np.ndarray:
        """All draws of one parameter, chains concatenated."""
        return self.values[:, :, self.names.index(name)].reshape(-1)

    def as_frame(self) -> pd.DataFrame:
        """One row per draw, as brms's ``as_draws_df`` (with ``.chain``, ``.iteration``)."""
        chains, draws, _ = self.values.shape
        frame = pd.DataFrame(self.values.reshape(chains * draws, -1), columns=self.names)
        frame[".chain"] = np.repeat(np.arange(1, chains + 1), draws)
        frame[".iteration"] = np.tile(np.arange(1, draws + 1), chains)
        frame[".draw"] = np.arange(1, chains * draws + 1)
        return frame


def collect_draws(idata: az.InferenceData, design: Design, names: ModelNames) -> Draws:
    """Flatten the posterior into brms's variables in brms's order."""
    posterior = idata.posterior
    columns: list[str] = []
    arrays: list[np.ndarray] = []

    def add(name: str, values) -> None:
        values = np.asarray(values, dtype=float)
        if values.ndim == 3:  # vectors: b_Intercept[1], ar[1], s_sDays_1[1], ...
            for k in range(values.shape[2]):
                add(f"{name}[{k + 1}]", values[..., k])
            return
        columns.append(name)
        arrays.append(values)

    parts = ([("", design.b_names)]
             + [(name, part.b_names) for name, part in design.nlpars.items()]
             + [(name, design.dpars[name].b_names) for name in names.dpars])
    for dpar, _ in parts:
        intercept = population_names(dpar)[2]
        if intercept in posterior:
            add(intercept, posterior[intercept])
    for dpar, b_names in parts:
        b_name = population_names(dpar)[1]
        for k, coef in enumerate(b_names):
            add(f"{b_name}_{coef}", posterior[b_name][..., k])
    for coef in names.category_specific:
        add(f"bcs_{coef}", posterior[f"bcs_{coef}"])
    for name in names.smooth_fixed:
        add(f"bs_{name}", posterior[f"bs_{name}"])
    for coef, _ in names.monotonic:
        add(f"bsp_{coef}", posterior[f"bsp_{coef}"])
    for name in names.autocor:
        if name == "cortime":  # correlations between time points: cortime__1__2, ...
            pairs = posterior[name]
            for k, pair in enumerate(pairs.coords[pairs.dims[-1]].values):
                add(f"{name}__{pair}", pairs[..., k])
            continue
        add(name, posterior[name])
    for group in names.groups:
        for k, name in enumerate(design.group_sd_names(group)):
            add(f"sd_{group}__{name}", posterior[f"sd_{group}"][..., k])
        if group in names.correlated_groups:
            pairs = posterior[f"cor_{group}"]
            for k, pair in enumerate(pairs.coords[pairs.dims[-1]].values):
                add(f"cor_{group}__{pair}", pairs[..., k])
    for coef in names.smooths:
        add(f"sds_{coef}", posterior[f"sds_{coef}"])
    for aux in names.aux:
        add(aux, posterior[aux])
    # brms orders its variables by class: lasso_ after the family's parameters, R2D2_ last
    if "lasso_inv_lambda" in names.shrinkage:
        add("lasso_inv_lambda", posterior["lasso_inv_lambda"])
    for _, simplex in names.monotonic:
        add(f"simo_{simplex}", posterior[f"simo_{simplex}"])
    for dpar, _ in parts:
        centred = population_names(dpar)[0]
        if centred in posterior:
            add(centred, posterior[centred])
    for group in names.groups:
        effects = posterior[f"r_{group}"]
        levels = design.group_levels(group)
        for k, (dpar, coef) in enumerate(design.group_coef_parts(group)):
            prefix = f"r_{group}__{dpar}" if dpar else f"r_{group}"
            for j, level in enumerate(levels):
                add(f"{prefix}[{level},{coef}]", effects[..., j, k])
    for coef in names.smooths:
        add(f"s_{coef}", posterior[f"s_{coef}"])
    if "R2D2_phi" in names.shrinkage:
        # one share per coefficient, named by it as brms names it (R2D2_phi_x1)
        for k, coef in enumerate(design.b_names):
            add(f"R2D2_phi_{coef}", posterior["R2D2_phi"][..., k])
        add("R2D2_R2", posterior["R2D2_R2"])
    if LPRIOR in posterior:  # fits saved before it was kept have none
        add(LPRIOR, posterior[LPRIOR])
    return Draws(columns, np.stack(arrays, axis=-1))


def convergence(draws: Draws) -> pd.DataFrame:
    """ArviZ's rank-normalised split R-hat and bulk and tail ESS of every parameter (NaN for
    a constant one).

    ArviZ's R-hat needs two chains; a single chain's R-hat, as Stan's for one chain, compares
    its halves (which ArviZ splits once more).
    """
    dataset = xr.Dataset({"draws": (("chain", "draw", "parameter"), draws.values)})
    chains, length = draws.values.shape[:2]
    halves = dataset
    if chains == 1 and length >= 8:
        half = length // 2
        halves = xr.Dataset({"draws": (("chain", "draw", "parameter"), np.stack(
            [draws.values[0, :half], draws.values[0, length - half:]]))})
    with warnings.catch_warnings():
        # draws that are constant within a chain divide zero by zero inside ArviZ
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat = az.rhat(halves, method="rank")["draws"].values
        bulk = az.ess(dataset, method="bulk")["draws"].values
        tail = az.ess(dataset, method="tail")["draws"].values
    # a parameter held at a value (sigma under se()) has no ESS, as in brms (NA), where
    # ArviZ counts every draw
    flat = draws.values.reshape(-1, draws.values.shape[-1])
    constant = np.all(flat == flat[:1], axis=0)
    bulk, tail = np.where(constant, np.nan, bulk), np.where(constant, np.nan, tail)
    return pd.DataFrame({"Rhat": rhat, "Bulk_ESS": bulk, "Tail_ESS": tail}, index=draws.names)


def summarize(draws: Draws, probs=(0.025, 0.975), robust: bool = False) -> pd.DataFrame:
    """Estimate (mean, or median with ``robust``), Est.Error (sd, or R's ``mad()``) and
    quantiles of every parameter, as brms."""
    flat = draws.values.reshape(-1, draws.values.shape[-1])
    frame = pd.DataFrame(index=draws.names)
    # a parameter held at a value (bf(quantile = 0.8), sigma under se()) is that value, with
    # no error, as in brms: its mean would carry the rounding of the sum
    constant = (flat == flat[:1]).all(axis=0) & (len(flat) > 0)
    center, error = estimate_and_error(flat, robust)
    frame["Estimate"] = np.where(constant, flat[:1].sum(axis=0), center)
    frame["Est.Error"] = np.where(constant, 0.0, error)
    for p in probs:
        frame[quantile_label(p)] = np.quantile(flat, p, axis=0)
    return frame


def population_variables(names) -> dict[str, str]:
    """The population-level effects among brms's variable ``names``: each one's ``fixef()``
    row name (``Intercept``, ``Days``, ``sigma_Intercept``, ``Intercept[1]``, ``treat[1]``)
    and variable name (``b_Intercept``, ``bcs_treat[1]``, ...), in the variables' order."""
    return {name.split("_", 1)[1]: name for name in names
            if name.startswith(("b_", "bcs_", "bs_", "bsp_"))}


def level_coefficients(population: dict[str, np.ndarray], effects: np.ndarray,
                       names: list[str], ordinal: bool) -> dict[str, np.ndarray]:
    """brms's ``coef()`` for one grouping factor: each coefficient's draws per level, the
    population-level effect plus the level's effect, shape (draws, levels).

    ``effects`` holds the factor's group-level effects (draws, levels, coefficients) named
    ``names``. A coefficient without a group-level effect is the same at every level; a
    group-level effect without a population one adds to zero. A group-level intercept of an
    ordinal model shifts every threshold (``Intercept[k]``) the other way, as thresholds
    come before the linear predictor is subtracted.
    """
    by_name = {name: effects[:, :, k] for k, name in enumerate(names)}
    zeros = np.zeros(effects.shape[:2])
    stems = {name: name.split("[", 1)[0] for name in population if name not in by_name}
    # the effect a threshold takes up is listed with the thresholds, not on its own
    taken = {stem for name, stem in stems.items() if stem != name and stem in by_name}
    out = {}
    for name, values in by_name.items():
        if name not in taken:
            out[name] = population[name][:, None] + values if name in population else values
    for name, stem in stems.items():
        if stem in taken:
            sign = -1.0 if ordinal and stem.endswith("Intercept") else 1.0
            out[name] = population[name][:, None] + sign * by_name[stem]
        else:
            out[name] = population[name][:, None] + zeros
    return out


def draw_stats(values: np.ndarray, probs=(0.025, 0.975),
               robust: bool = False) -> dict[str, np.ndarray]:
    """Estimate, Est.Error and quantiles of draws along axis 0 (``robust``: median and
    R's ``mad()``)."""
    center, error = estimate_and_error(values, robust)
    out = {"Estimate": center, "Est.Error": error}
    for p in probs:
        out[quantile_label(p)] = np.quantile(values, p, axis=0)
    return out


def variance_components(posterior, design: Design, names: ModelNames, probs=(0.025, 0.975),
                        robust: bool = False) -> dict[str, dict[str, pd.DataFrame]]:
    """brms's ``VarCorr()``: each grouping factor's sds, and its correlations and covariances
    where it has them, with ``residual__`` for families with ``sigma``."""
    out: dict[str, dict[str, pd.DataFrame]] = GroupTables()
    for group in names.groups:
        coefs = design.group_sd_names(group)
        sd = posterior[f"sd_{group}"].values.reshape(-1, len(coefs))
        entry = {"sd": pd.DataFrame(draw_stats(sd, probs, robust),
                                    index=coefs)[SUMMARY_COLUMNS]}
        if group in names.correlated_groups:
            cor = posterior[f"cor_{group}"]
            pairs = [tuple(p.split("__")) for p in cor.coords[cor.dims[-1]].values]
            cor_values = cor.values.reshape(-1, len(pairs))
            index = pd.MultiIndex.from_tuples(pairs, names=["coef1", "coef2"])
            entry["cor"] = pd.DataFrame(draw_stats(cor_values, probs, robust), index=index)
            cov_values = np.stack(
                [cor_values[:, k] * sd[:, coefs.index(a)] * sd[:, coefs.index(b)]
                 for k, (a, b) in enumerate(pairs)], axis=-1)
            variances = sd**2
            cov_index = pd.MultiIndex.from_tuples([(c, c) for c in coefs] + pairs,
                                                  names=["coef1", "coef2"])
            entry["cov"] = pd.DataFrame(
                draw_stats(np.concatenate([variances, cov_values], axis=1), probs, robust),
                index=cov_index)
        out[group] = entry
    if "sigma" in names.aux:
        sigma = posterior["sigma"].values.reshape(-1, 1)
        out["residual__"] = {"sd": pd.DataFrame(draw_stats(sigma, probs, robust),
                                                index=["Intercept"])}
    return out


def group_level_draws(fit, group: str, with_population: bool) -> tuple[list[str], np.ndarray]:
    """A grouping factor's draws per level: its group-level effects (brms's ``ranef()``), or
    with the population-level effects added (``coef()``, see :func:`level_coefficients`).

    Returns
    -------
    coefficients, draws
        The coefficients' names, and the draws, shape (draws, levels, coefficients).
    """
    effects = fit.idata.posterior[f"r_{group}"].values
    effects = effects.reshape(-1, *effects.shape[2:])
    if not with_population:
        return list(fit.design.group_coefs(group)), effects
    population = {row: fit.draws.column(name)
                  for row, name in population_variables(fit.draws.names).items()}
    combined = level_coefficients(population, effects, fit.design.group_coefs(group),
                                  fit.family.ordinal)
    return list(combined), np.stack(list(combined.values()), axis=-1)

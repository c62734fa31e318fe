"""No-pooling estimates against multilevel estimates: shrinkage plots."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, FancyArrowPatch
from scipy import stats as scipy_stats

from ..errors import MultilevelError
from .common import (
    _DARK_HI,
    _check_coefs,
    _check_group,
    _figure,
)


def _population_eta(fit) -> tuple[np.ndarray, dict[str, float]]:
    """Posterior-mean population linear predictor per row and the population estimates."""
    fixef = fit.fixef()["Estimate"]
    design = fit.design
    eta = np.zeros(design.nobs)
    if design.has_intercept:
        eta += fixef["Intercept"]
    if design.b_names:
        eta += design.X @ fixef[design.b_names].to_numpy()
    if design.offset is not None:
        eta += design.offset
    return eta, {str(k): float(v) for k, v in fixef.items()}


def _group_values(fit, group: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The group's varying-term values (n x K), level index, level labels and coef names."""
    blocks = [block for block in fit.design.blocks if block.group == group]
    values = np.concatenate([block.values for block in blocks], axis=1)
    coefs = [coef for block in blocks for coef in block.coefs]
    return values, blocks[0].index, blocks[0].levels, coefs


def _adjusted_response(fit, index: np.ndarray, levels: int):
    """Response, prior weights and variance function for the per-level fits.

    Binomial data get half a success and half a failure per level and counts 0.5 per
    observation, so levels with all zeros (or all successes) keep a finite link-scale
    estimate: the empirical logit and log(mean + 0.5) of intercept-only blocks.
    """
    family = fit.family
    y = np.asarray(fit.design.y, dtype=float)
    ones = np.ones_like(y)
    if family.proportion:
        trials = fit.design.trials if fit.design.trials is not None else ones
        rows = np.bincount(index, minlength=levels)[index]
        proportion = (y + 0.5 / rows) / (trials + 1.0 / rows)
        return proportion, trials + 1.0 / rows, family.variance
    if family.discrete:
        return y + 0.5, ones, family.variance
    if family.log_scale_response:
        # a hurdle's zeros come from its hurdle: the log-scale part is fitted to the rest
        positive = y > 0
        return np.log(np.where(positive, y, 1.0)), positive.astype(float), family.variance
    return y, ones, family.variance


def _no_pooling_fit(link, response, weights, variance, values, offset) -> np.ndarray:
    """Maximum-likelihood coefficients of one level by iteratively reweighted least squares."""
    k = values.shape[1]
    used = weights > 0
    if used.sum() < k or np.linalg.matrix_rank(values[used]) < k:
        return np.full(k, np.nan)
    start = np.clip(response, 1e-6, None) if link.name in ("log", "sqrt") else response
    if link.name in ("logit", "probit", "cloglog", "cauchit"):
        start = np.clip(response, 1e-6, 1 - 1e-6)
    with np.errstate(all="ignore"):
        eta = link.forward(start)
    if not np.all(np.isfinite(eta)):
        eta = np.full_like(response, link.forward(np.mean(start)))
    beta = np.zeros(k)
    for _ in range(50):
        mu = link.inverse_numpy(eta)
        step = 1e-6 * np.maximum(1.0, np.abs(eta))
        derivative = (link.inverse_numpy(eta + step) - link.inverse_numpy(eta - step)) / (2 * step)
        derivative = np.where(np.abs(derivative) < 1e-12, 1e-12, derivative)
        working = eta - offset + (response - mu) / derivative
        w = weights * derivative ** 2 / np.maximum(variance(mu), 1e-12)
        root = np.sqrt(w)
        new_beta = np.linalg.lstsq(values * root[:, None], working * root, rcond=None)[0]
        eta = offset + values @ new_beta
        if np.allclose(new_beta, beta, rtol=1e-8, atol=1e-10):
            beta = new_beta
            break
        beta = new_beta
    return beta


def _no_pooling(fit, group: str) -> pd.DataFrame:
    """Each level's own estimate of the group's coefficients, other population terms fixed.

    The population terms that do not vary by ``group`` enter as an offset at their posterior
    means, so for ``Reaction ~ Days + (Days | Subject)`` this is ``lm(Reaction ~ Days)`` per
    subject; non-Gaussian families are fitted on their link scale.
    """
    values, index, levels, coefs = _group_values(fit, group)
    eta, population = _population_eta(fit)
    offset = eta.copy()
    for k, coef in enumerate(coefs):
        if coef in population:
            offset -= population[coef] * values[:, k]
    response, weights, variance = _adjusted_response(fit, index, len(levels))
    link = fit.family.link_function
    estimates = np.full((len(levels), len(coefs)), np.nan)
    for j in range(len(levels)):
        rows = index == j
        estimates[j] = _no_pooling_fit(link, response[rows], weights[rows], variance,
                                       values[rows], offset[rows])
    return pd.DataFrame(estimates, index=pd.Index(levels, name=group), columns=coefs)


def _multilevel(fit, group: str, population: dict[str, float]) -> pd.DataFrame:
    """Posterior-mean coefficients per level, population plus group-level effect.

    The same numbers as ``fit.coef()``'s Estimate (a mean of a sum is the sum of means),
    also for coefficients that vary without a population term.
    """
    varying = fit.ranef()[group]
    columns = {coef: population.get(coef, 0.0) + varying[(coef, "Estimate")].to_numpy()
               for coef in fit.design.group_coefs(group)}
    return pd.DataFrame(columns, index=pd.Index(fit.design.group_levels(group), name=group))


def _arrow(ax, start, end) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, color="0.45",
                                 lw=0.8, shrinkA=2, shrinkB=3, zorder=2))


def plot_shrinkage(fit, group: str | None = None, coef: str | Sequence[str] | None = None,
                   labels: bool | None = None) -> Figure:
    """Each level's own (no-pooling) estimate beside its multilevel estimate.

    Arrows go from the no-pooling estimate, fitted to the level's data alone, to the
    multilevel estimate (``fit.coef()``), which the model pulls towards the population
    estimate (marked). With two coefficients (an intercept and a slope) the display is a
    2-D scatter as in multilevel-model textbooks, with ellipses of the estimated group
    distribution; with one it has two columns, no pooling and multilevel.

    The no-pooling estimate fits the group's varying terms to each level's rows, holding the
    other population terms at their posterior means: ``lm(Reaction ~ Days)`` per subject for
    ``Reaction ~ Days + (Days | Subject)``. Other families are fitted on the link scale,
    with half a success and half a failure added per level for binomial and Bernoulli data
    (the empirical logit) and 0.5 added to counts (``log(mean + 0.5)``), so all-zero levels
    stay finite. A level whose data cannot identify its coefficients (say one observation
    for an intercept and a slope) has no arrow.

    Parameters
    ----------
    fit
        The fitted model.
    group
        The grouping factor; None for the first.
    coef
        One coefficient (1-D display) or two (2-D); None for the group's coefficients, the
        first two when there are more.
    labels
        Write level names next to the no-pooling points; None labels up to 30 levels.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MultilevelError
        For an unknown grouping factor or coefficient, or an ordinal or categorical model.
    """
    if group is not None and not isinstance(group, str):
        raise MultilevelError("plot_shrinkage shows one grouping factor; pass its name as group.")
    if fit.family.ordinal or fit.family.categorical:
        raise MultilevelError(
            f"plot_shrinkage fits each level's coefficients on the link scale of one linear "
            f"predictor, which a {fit.family.name} model does not have (its thresholds or "
            f"categories have one each); use fit.plot_ranef() or fit.coef() instead.")
    group = _check_group(fit, group)[0]
    coefs = _check_coefs(fit, group, coef)
    if coef is not None and len(coefs) > 2:
        raise MultilevelError(f"plot_shrinkage shows one or two coefficients, got {len(coefs)}.")
    coefs = coefs[:2]
    no_pooling = _no_pooling(fit, group)[coefs]
    _, population = _population_eta(fit)
    multilevel = _multilevel(fit, group, population)[coefs]
    centre = [population.get(c, 0.0) for c in coefs]
    if labels is None:
        labels = len(no_pooling) <= 30
    scale = "" if fit.family.link == "identity" else f" (link scale: {fit.family.link})"
    if len(coefs) == 1:
        return _shrinkage_1d(fit, group, coefs[0], no_pooling, multilevel, centre[0], labels,
                             scale)
    return _shrinkage_2d(fit, group, coefs, no_pooling, multilevel, centre, labels, scale)


def _shrinkage_1d(fit, group, coef, no_pooling, multilevel, centre, labels, scale) -> Figure:
    figure, axes = _figure(1, 1, 5, 6)
    ax = axes[0, 0]
    before = no_pooling[coef].to_numpy()
    after = multilevel[coef].to_numpy()
    finite = np.isfinite(before)
    ax.scatter(np.zeros(finite.sum()), before[finite], facecolor="white", edgecolor=_DARK_HI,
               s=28, zorder=3, label="no pooling")
    ax.scatter(np.ones(len(after)), after, color=_DARK_HI, s=28, zorder=3, label="multilevel")
    for b, a in zip(before[finite], after[finite], strict=True):
        _arrow(ax, (0, b), (1, a))
    ax.axhline(centre, color="#d62728", ls="--", lw=1.2, label="population estimate")
    if labels:
        for level, value in zip(no_pooling.index[finite], before[finite], strict=True):
            ax.annotate(str(level), (0, value), xytext=(-6, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=7, color="0.3")
    ax.set_xticks([0, 1], ["no pooling", "multilevel"])
    ax.set_xlim(-0.6 if labels else -0.3, 1.3)
    ax.set_ylabel(f"{coef}{scale}")
    ax.set_title(f"Shrinkage of {coef} by {group}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="best")
    return figure


def _group_covariance(fit, group, coefs) -> np.ndarray | None:
    entry = fit.varcorr()[group]
    sd = entry["sd"]["Estimate"]
    if not all(c in sd.index for c in coefs):
        return None
    correlation = 0.0
    if "cor" in entry:
        table = entry["cor"]["Estimate"]
        for pair in ((coefs[0], coefs[1]), (coefs[1], coefs[0])):
            if pair in table.index:
                correlation = float(table.loc[pair])
    s0, s1 = float(sd[coefs[0]]), float(sd[coefs[1]])
    return np.array([[s0 ** 2, correlation * s0 * s1], [correlation * s0 * s1, s1 ** 2]])


def _shrinkage_2d(fit, group, coefs, no_pooling, multilevel, centre, labels, scale) -> Figure:
    figure, axes = _figure(1, 1, 6.5, 5.5)
    ax = axes[0, 0]
    before = no_pooling.to_numpy()
    after = multilevel.to_numpy()
    finite = np.isfinite(before).all(axis=1)
    covariance = _group_covariance(fit, group, coefs)
    if covariance is not None:
        # contours of the fitted group distribution that the estimates are pulled into
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        angle = float(np.degrees(np.arctan2(eigenvectors[1, -1], eigenvectors[0, -1])))
        for mass in (0.5, 0.8, 0.95):
            radius = np.sqrt(scipy_stats.chi2.ppf(mass, 2) * np.maximum(eigenvalues, 0))
            ax.add_patch(Ellipse(centre, 2 * radius[-1], 2 * radius[0], angle=angle,
                                 fill=False, color="0.6", lw=0.8, ls=":", zorder=1))
    for b, a in zip(before[finite], after[finite], strict=True):
        _arrow(ax, tuple(b), tuple(a))
    ax.scatter(before[finite, 0], before[finite, 1], facecolor="white", edgecolor=_DARK_HI,
               s=30, zorder=3, label="no pooling")
    ax.scatter(after[:, 0], after[:, 1], color=_DARK_HI, s=30, zorder=3, label="multilevel")
    ax.scatter([centre[0]], [centre[1]], marker="X", color="#d62728", s=120, zorder=4,
               label="population estimate")
    if labels:
        for level, point in zip(no_pooling.index[finite], before[finite], strict=True):
            ax.annotate(str(level), tuple(point), xytext=(4, 4), textcoords="offset points",
                        fontsize=7, color="0.3")
    ax.set_xlabel(f"{coefs[0]}{scale}")
    ax.set_ylabel(f"{coefs[1]}{scale}")
    ax.set_title(f"Shrinkage of ({coefs[0]}, {coefs[1]}) by {group}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="best")
    ax.autoscale_view()
    return figure

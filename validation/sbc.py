"""Simulation-based calibration (SBC) of multilevel's models and samplers.

Talts, Betancourt, Simpson, Vehtari and Gelman (2018), "Validating Bayesian inference
algorithms with simulation-based calibration" (arXiv:1804.06788): draw every parameter from
its prior, simulate a data set from the model with those values, fit the data set, and take
the rank of each true value among ``L`` posterior draws. When the model the library builds is
the model the data came from and the sampler draws from its posterior, every rank is uniform
on ``0..L``, whatever the model and data size. A wrong prior, likelihood, link, offset,
Jacobian or reparametrisation, or a sampler that does not reach the posterior, makes some ranks
non-uniform: skewed when the posterior is biased, U-shaped when it is too narrow, peaked in the
middle when it is too wide.

brms's default priors depend on the response (the Intercept, sd and sigma priors use its
median and MAD) and its ``b`` prior is flat, so neither can be drawn from; every model here
sets proper priors with ``ml.prior`` and the true values are drawn from exactly those priors
(:func:`draw_prior` reads the same strings that are passed to ``ml.brm``).

usage::

    python validation/sbc.py run                       # the five models, 400 replications
    python validation/sbc.py run --models poisson_offset --replications 20
    python validation/sbc.py report                    # p-values and docs/images/sbc_*.png

``run`` appends one row per replication and parameter to ``validation/results/<model>.csv``
as soon as a replication is done, and skips the replications already there, so that an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
IMAGES = ROOT / "docs" / "images"

# L: posterior draws each true value is ranked among, so ranks take the L + 1 values 0..L
DRAWS_RANKED = 99
# bins of the chi-square test and the histograms; (L + 1) / BINS ranks fall in each bin
BINS = 20
COLUMNS = ["model", "replication", "parameter", "truth", "rank", "ranked", "mean", "sd",
           "rhat", "ess_bulk", "divergences", "seconds", "sampler", "status"]


# --------------------------------------------------------------------------------------------
# Priors: one string drives both the fit and the draw of the true value


_STAN = re.compile(r"^\s*([a-z_]+)\s*\((.*)\)\s*$")


def draw_prior(rng: np.random.Generator, prior: str, size: int | None = None,
               lower: float | None = None):
    """Draw from a prior written in Stan's spelling, as ``ml.prior`` takes it.

    Parameters
    ----------
    rng
        The random generator.
    prior
        ``"normal(mu, sigma)"``, ``"exponential(lambda)"``, ``"gamma(alpha, beta)"`` (beta a
        rate, as in Stan) or ``"lkj(eta)"`` (the correlation of a 2 x 2 LKJ matrix).
    size
        Number of draws; None for one float.
    lower
        Lower bound of the parameter (0 for standard deviations, sigma and shape): brms
        truncates the prior there, so a ``normal(0, s)`` becomes a half-normal.

    Returns
    -------
    float or ndarray
        The draws.

    Raises
    ------
    ValueError
        For a distribution this function does not draw from, or a truncation other than a
        zero-centred normal at 0.
    """
    match = _STAN.match(prior)
    if match is None:
        raise ValueError(f"Cannot read prior {prior!r}.")
    name = match.group(1)
    args = [float(a) for a in match.group(2).split(",")]
    if name == "normal":
        mu, sigma = args
        values = rng.normal(mu, sigma, size)
        if lower is not None:
            if mu != 0.0 or lower != 0.0:
                raise ValueError(f"Only normal(0, s) truncated at 0 is drawn, not {prior!r}.")
            values = np.abs(values)
    elif name == "exponential":
        values = rng.exponential(1.0 / args[0], size)
    elif name == "gamma":
        alpha, beta = args
        values = rng.gamma(alpha, 1.0 / beta, size)
    elif name == "lkj":
        # the correlation of a 2 x 2 LKJ(eta) matrix is 2 Beta(eta, eta) - 1
        values = 2.0 * rng.beta(args[0], args[0], size) - 1.0
    else:
        raise ValueError(f"draw_prior does not draw from {name!r} ({prior!r}).")
    if lower is not None and name != "normal" and np.any(np.asarray(values) < lower):
        raise ValueError(f"{prior!r} has draws below the bound {lower}.")
    return float(values) if size is None else values


# --------------------------------------------------------------------------------------------
# The models


@dataclasses.dataclass(frozen=True)
class Simulation:
    """A data set simulated from the model and the true values it was simulated with."""

    data: pd.DataFrame
    truth: dict[str, float]


@dataclasses.dataclass(frozen=True)
class SBCModel:
    """A model to calibrate: its formula, family, priors and simulator.

    ``priors`` maps a prior class (``b``, ``Intercept``, ``sd``, ``cor``, ``sigma``,
    ``shape``) to the prior given to every parameter of that class; ``simulate`` draws the
    true values from those priors and a data set of ``size`` from the model.
    """

    name: str
    title: str
    formula: str
    family: str
    priors: dict[str, str]
    simulate: Callable[[SBCModel, np.random.Generator, tuple[int, int]], Simulation]
    size: tuple[int, int]
    description: str

    def prior_list(self) -> list:
        """The priors as ``ml.prior`` objects, for ``ml.brm``."""
        import multilevel as ml

        return [ml.prior(text, class_=class_) for class_, text in self.priors.items()]

    def draw(self, rng: np.random.Generator, class_: str, size: int | None = None):
        """Draw the true value(s) of a parameter of ``class_`` from its prior."""
        lower = 0.0 if class_ in ("sd", "sigma", "shape") else None
        return draw_prior(rng, self.priors[class_], size=size, lower=lower)

    def sample(self, rng: np.random.Generator, size: tuple[int, int] | None = None
               ) -> Simulation:
        """Draw the parameters from the priors and a data set from the model.

        Parameters
        ----------
        rng
            The random generator.
        size
            (number of groups, rows per group), or for crossed factors the numbers of
            levels of the two factors; the model's own size by default.
        """
        return self.simulate(self, rng, size or self.size)


# the group-level effects whose ranks are kept: the first levels' (any level would do)
RANKED_LEVELS = (1, 2)


def _population(model: SBCModel, rng: np.random.Generator, x: np.ndarray) -> dict[str, float]:
    # brms puts the Intercept prior on the intercept of the centred predictors, so that is the
    # one drawn from the prior; b_Intercept follows from it and the data's mean of x
    intercept = model.draw(rng, "Intercept")
    slope = model.draw(rng, "b")
    return {"b_Intercept": intercept - slope * float(np.mean(x)), "b_x": slope,
            "Intercept": intercept}


def _random_intercepts(model: SBCModel, rng: np.random.Generator, group: str, levels: int,
                       truth: dict[str, float]) -> np.ndarray:
    sd = model.draw(rng, "sd")
    effects = sd * rng.normal(size=levels)
    truth[f"sd_{group}__Intercept"] = sd
    for level in RANKED_LEVELS:
        truth[f"r_{group}[{level},Intercept]"] = effects[level - 1]
    return effects


def _grouped_rows(rng: np.random.Generator, size: tuple[int, int]):
    groups, per_group = size
    g = np.repeat(np.arange(1, groups + 1), per_group)
    return g, rng.normal(size=g.size)


def _simulate_gaussian_slope(model, rng, size):
    g, x = _grouped_rows(rng, size)
    truth = _population(model, rng, x)
    sd = model.draw(rng, "sd", size=2)
    cor = model.draw(rng, "cor")
    cholesky = np.array([[1.0, 0.0], [cor, np.sqrt(1.0 - cor**2)]])
    effects = (rng.normal(size=(size[0], 2)) @ cholesky.T) * sd
    sigma = model.draw(rng, "sigma")
    mu = truth["b_Intercept"] + truth["b_x"] * x + effects[g - 1, 0] + effects[g - 1, 1] * x
    y = rng.normal(mu, sigma)
    truth.update({"sd_g__Intercept": sd[0], "sd_g__x": sd[1], "cor_g__Intercept__x": cor,
                  "sigma": sigma})
    for level in RANKED_LEVELS:
        truth[f"r_g[{level},Intercept]"] = effects[level - 1, 0]
        truth[f"r_g[{level},x]"] = effects[level - 1, 1]
    return Simulation(pd.DataFrame({"y": y, "x": x, "g": g}), truth)


def _simulate_gaussian_crossed(model, rng, size):
    levels_a, levels_b = size
    a = np.repeat(np.arange(1, levels_a + 1), levels_b)
    b = np.tile(np.arange(1, levels_b + 1), levels_a)
    x = rng.normal(size=a.size)
    truth = _population(model, rng, x)
    effects_a = _random_intercepts(model, rng, "a", levels_a, truth)
    effects_b = _random_intercepts(model, rng, "b", levels_b, truth)
    sigma = model.draw(rng, "sigma")
    truth["sigma"] = sigma
    mu = truth["b_Intercept"] + truth["b_x"] * x + effects_a[a - 1] + effects_b[b - 1]
    return Simulation(pd.DataFrame({"y": rng.normal(mu, sigma), "x": x, "a": a, "b": b}),
                      truth)


def _simulate_binomial_trials(model, rng, size):
    g, x = _grouped_rows(rng, size)
    n = rng.integers(1, 21, size=g.size)
    truth = _population(model, rng, x)
    effects = _random_intercepts(model, rng, "g", size[0], truth)
    eta = truth["b_Intercept"] + truth["b_x"] * x + effects[g - 1]
    y = rng.binomial(n, 1.0 / (1.0 + np.exp(-eta)))
    return Simulation(pd.DataFrame({"y": y, "n": n, "x": x, "g": g}), truth)


def _simulate_poisson_offset(model, rng, size):
    g, x = _grouped_rows(rng, size)
    exposure = rng.uniform(1.0, 10.0, size=g.size)
    truth = _population(model, rng, x)
    effects = _random_intercepts(model, rng, "g", size[0], truth)
    eta = truth["b_Intercept"] + truth["b_x"] * x + np.log(exposure) + effects[g - 1]
    y = rng.poisson(np.exp(eta))
    return Simulation(pd.DataFrame({"y": y, "x": x, "t": exposure, "g": g}), truth)


def _simulate_negbinomial(model, rng, size):
    g, x = _grouped_rows(rng, size)
    truth = _population(model, rng, x)
    effects = _random_intercepts(model, rng, "g", size[0], truth)
    shape = model.draw(rng, "shape")
    truth["shape"] = shape
    mu = np.exp(truth["b_Intercept"] + truth["b_x"] * x + effects[g - 1])
    # brms's parametrisation: variance mu + mu^2 / shape, a gamma-mixed Poisson
    y = rng.poisson(rng.gamma(shape, mu / shape))
    return Simulation(pd.DataFrame({"y": y, "x": x, "g": g}), truth)


_COMMON = {"b": "normal(0, 1)", "Intercept": "normal(0, 1)", "sd": "normal(0, 1)"}

MODELS: dict[str, SBCModel] = {model.name: model for model in (
    SBCModel(
        "gaussian_slope", "Gaussian, correlated intercept and slope", "y ~ x + (x | g)",
        "gaussian", {**_COMMON, "cor": "lkj(2)", "sigma": "normal(0, 1)"},
        _simulate_gaussian_slope, (30, 10),
        "30 groups of 10 rows; x standard normal"),
    SBCModel(
        "gaussian_crossed", "Gaussian, crossed factors", "y ~ x + (1 | a) + (1 | b)",
        "gaussian", {**_COMMON, "sigma": "normal(0, 1)"},
        _simulate_gaussian_crossed, (20, 15),
        "20 levels of a fully crossed with 15 of b, one row per cell (300 rows); "
        "x standard normal"),
    SBCModel(
        "binomial_trials", "Binomial with trials", "y | trials(n) ~ x + (1 | g)",
        "binomial", dict(_COMMON),
        _simulate_binomial_trials, (30, 10),
        "30 groups of 10 rows; trials n uniform on 1..20; x standard normal"),
    SBCModel(
        "poisson_offset", "Poisson with an offset", "y ~ x + offset(log(t)) + (1 | g)",
        "poisson", dict(_COMMON),
        _simulate_poisson_offset, (30, 10),
        "30 groups of 10 rows; exposure t uniform on (1, 10); x standard normal"),
    SBCModel(
        "negbinomial", "Negative binomial", "y ~ x + (1 | g)",
        "negbinomial", {**_COMMON, "shape": "gamma(2, 0.5)"},
        _simulate_negbinomial, (30, 10),
        "30 groups of 10 rows; x standard normal"),
)}


# --------------------------------------------------------------------------------------------
# Ranks


def thin(draws: np.ndarray, count: int = DRAWS_RANKED) -> np.ndarray:
    """``count`` draws evenly spaced through ``draws``.

    Consecutive NUTS draws are autocorrelated, and ranks among correlated draws are not
    uniform even for a correct sampler; Talts et al. thin the chains so that the kept draws
    are nearly independent.

    Parameters
    ----------
    draws
        All posterior draws of one parameter, chain after chain.
    count
        How many to keep; at most ``len(draws)``.

    Returns
    -------
    ndarray
        The kept draws.
    """
    total = len(draws)
    if count > total:
        raise ValueError(f"Cannot keep {count} of {total} draws.")
    return np.asarray(draws)[(np.arange(count) * total) // count]


def rank_of(truth: float, draws: np.ndarray, rng: np.random.Generator) -> int:
    """The rank of ``truth`` among ``draws``: how many draws lie below it, 0 to ``len(draws)``.

    Ties (a sampler that stays at a point repeats it) are broken at random, so that the
    rank stays uniform for a discrete posterior too.

    Parameters
    ----------
    truth
        The true value.
    draws
        Posterior draws of the same parameter.
    rng
        The generator that breaks ties.

    Returns
    -------
    int
        The rank.
    """
    draws = np.asarray(draws)
    below = int(np.sum(draws < truth))
    ties = int(np.sum(draws == truth))
    return below + int(rng.integers(0, ties + 1)) if ties else below


def chi_square_uniformity(ranks: Sequence[int], ranked: int = DRAWS_RANKED,
                          bins: int = BINS) -> tuple[float, float]:
    """Chi-square test of the ranks' uniformity on ``0..ranked``, over equal bins.

    Parameters
    ----------
    ranks
        Ranks, each in ``0..ranked``.
    ranked
        L, the number of draws the ranks were taken among.
    bins
        Number of bins; must divide ``ranked + 1`` so that every bin holds as many rank
        values and has the same expected count.

    Returns
    -------
    statistic, p_value
        The chi-square statistic on ``bins - 1`` degrees of freedom and its p-value.
    """
    counts = bin_counts(ranks, ranked, bins)
    result = stats.chisquare(counts)
    return float(result.statistic), float(result.pvalue)


def bin_counts(ranks: Sequence[int], ranked: int = DRAWS_RANKED, bins: int = BINS
               ) -> np.ndarray:
    """How many ranks fall in each of ``bins`` equal bins of ``0..ranked``."""
    ranks = np.asarray(ranks, dtype=int)
    if (ranked + 1) % bins:
        raise ValueError(f"{bins} bins do not divide the {ranked + 1} rank values.")
    if ranks.size and (ranks.min() < 0 or ranks.max() > ranked):
        raise ValueError(f"Ranks must lie in 0..{ranked}.")
    return np.bincount(ranks // ((ranked + 1) // bins), minlength=bins)


def uniform_band(replications: int, bins: int = BINS, level: float = 0.99
                 ) -> tuple[float, float]:
    """The central ``level`` interval of one bin's count when the ranks are uniform."""
    tail = (1.0 - level) / 2.0
    distribution = stats.binom(replications, 1.0 / bins)
    return float(distribution.ppf(tail)), float(distribution.ppf(1.0 - tail))


# --------------------------------------------------------------------------------------------
# Running


@dataclasses.dataclass(frozen=True)
class Settings:
    """How each replication is fitted: ``ml.brm``'s sampler, chains, draws and warmup.

    nutpie compiles a model structure once per process and refits it to every new data set,
    where numpyro compiles a program per data set, which is most of a small fit's time. Two
    chains of 1000 draws, thinned to L = 99 (every twentieth draw), leave the kept draws
    nearly independent also where a parameter mixes slowly, as the intercepts of the
    non-Gaussian models do when the groups are well identified.
    """

    sampler: str = "nutpie"
    chains: int = 2
    draws: int = 1000
    warmup: int = 500
    ranked: int = DRAWS_RANKED


def replication_seed(model: str, replication: int) -> np.random.Generator:
    """The generator of one replication, fixed by the model's name and the replication."""
    return np.random.default_rng([zlib.crc32(model.encode()), replication])


def replicate(model: SBCModel, replication: int, settings: Settings = Settings(),
              size: tuple[int, int] | None = None) -> pd.DataFrame:
    """Simulate one data set from the prior, fit it, and rank each true value.

    Parameters
    ----------
    model
        The model.
    replication
        Its number; with the model's name it fixes the simulation and the sampler's seed.
    settings
        Sampler, chains, draws, warmup and L.
    size
        The data size, the model's own by default.

    Returns
    -------
    DataFrame
        One row per parameter (columns :data:`COLUMNS`). A fit that fails gives one row
        with ``status`` the error and no rank: a failure is a result to report, as dropping
        it would bias the ranks of the others.
    """
    import multilevel as ml
    from multilevel.inference.compile_cache import many_data_sets

    rng = replication_seed(model.name, replication)
    simulation = model.sample(rng, size)
    seed = int(rng.integers(2**31 - 1))
    base = {"model": model.name, "replication": replication, "ranked": settings.ranked,
            "sampler": settings.sampler}
    start = time.perf_counter()
    try:
        # every replication fits the model to new data: one compilation serves them all
        with many_data_sets(), warnings.catch_warnings():
            # convergence warnings are recorded below as R-hat, ESS and divergences
            warnings.simplefilter("ignore")
            fit = ml.brm(model.formula, simulation.data, family=model.family,
                         prior=model.prior_list(), chains=settings.chains,
                         draws=settings.draws, warmup=settings.warmup, cores=1, seed=seed,
                         sampler=settings.sampler, progressbar=False)
            draws = fit.as_draws_df()
            summary = fit.posterior_summary()
    except Exception as error:  # noqa: BLE001 -- any failure is a result of the run
        return pd.DataFrame([{**base, "seconds": time.perf_counter() - start,
                              "status": f"{type(error).__name__}: {error}"}], columns=COLUMNS)
    seconds = time.perf_counter() - start
    divergences = int(np.asarray(fit.idata.sample_stats["diverging"]).sum())
    rows = []
    for name, truth in simulation.truth.items():
        values = draws[name].to_numpy()
        rows.append({
            **base, "parameter": name, "truth": truth,
            "rank": rank_of(truth, thin(values, settings.ranked), rng),
            "mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)),
            "rhat": float(summary.loc[name, "Rhat"]),
            "ess_bulk": float(summary.loc[name, "Bulk_ESS"]),
            "divergences": divergences, "seconds": seconds, "status": "ok",
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def run(model: SBCModel, replications: Sequence[int], settings: Settings = Settings(),
        output: Path | None = None, log=sys.stdout, size: tuple[int, int] | None = None
        ) -> pd.DataFrame:
    """Run replications of one model, appending each to ``output`` as soon as it is done.

    Parameters
    ----------
    model
        The model.
    replications
        The replication numbers to run; those already in ``output`` are skipped.
    settings
        Sampler settings.
    output
        A CSV file to append to (created with a header when missing); None keeps the
        results in memory only.
    log
        Where to write one line per replication; None for silence.
    size
        The data size, the model's own by default.

    Returns
    -------
    DataFrame
        The rows of the replications run now.
    """
    done: set[int] = set()
    if output is not None and output.exists():
        done = set(pd.read_csv(output, usecols=["replication"])["replication"])
    frames = []
    for replication in replications:
        if replication in done:
            continue
        frame = replicate(model, replication, settings, size)
        frames.append(frame)
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(output, mode="a", header=not output.exists(), index=False,
                         float_format="%.6g")
        if log is not None:
            status = frame["status"].iloc[0]
            print(f"{model.name} {replication}: {frame['seconds'].iloc[0]:.1f} s, "
                  f"{frame['divergences'].iloc[0]} divergences, {status[:120]}",
                  file=log, flush=True)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


# --------------------------------------------------------------------------------------------
# Reporting


def uniformity_table(results: pd.DataFrame, bins: int = BINS) -> pd.DataFrame:
    """Per parameter: replications, chi-square statistic and p-value of its ranks.

    Parameters
    ----------
    results
        Rows as :func:`replicate` returns them, of one model.
    bins
        Number of bins of the test.

    Returns
    -------
    DataFrame
        Indexed by parameter in the order of the results, with columns ``replications``,
        ``chi2``, ``p_value``, ``mean_rank`` (L / 2 when uniform), ``median_ess_bulk``,
        ``max_rhat``.
    """
    ok = results[results["status"] == "ok"]
    ranked = int(ok["ranked"].iloc[0])
    rows = {}
    for parameter, group in ok.groupby("parameter", sort=False):
        statistic, p_value = chi_square_uniformity(group["rank"].astype(int), ranked, bins)
        rows[parameter] = {"replications": len(group), "chi2": statistic, "p_value": p_value,
                           "mean_rank": group["rank"].mean(),
                           "median_ess_bulk": group["ess_bulk"].median(),
                           "max_rhat": group["rhat"].max()}
    return pd.DataFrame.from_dict(rows, orient="index")


def plot_ranks(results: pd.DataFrame, path: Path | None = None, title: str = "",
               bins: int = BINS):
    """Rank histograms, one panel per parameter, with the 99% band of uniform ranks.

    The band is the central 99% interval of one bin's count under uniform ranks (dashed);
    bars outside it are drawn in orange. With 20 bins, at most one bar in five panels falls
    outside by chance.

    Parameters
    ----------
    results
        Rows as :func:`replicate` returns them, of one model.
    path
        Where to save the PNG; None to only return the figure.
    title
        The figure's title.
    bins
        Number of bins.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    # the object API draws without pyplot, so no backend is chosen or figure left open
    from matplotlib.figure import Figure

    ok = results[results["status"] == "ok"]
    ranked = int(ok["ranked"].iloc[0])
    table = uniformity_table(results, bins)
    parameters = list(table.index)
    columns = 4
    rows = -(-len(parameters) // columns)
    figure = Figure(figsize=(3.2 * columns, 2.3 * rows))
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True)
    width = (ranked + 1) / bins
    edges = np.arange(bins) * width
    for axis, parameter in zip(axes.flat, parameters, strict=False):
        ranks = ok.loc[ok["parameter"] == parameter, "rank"].astype(int)
        counts = bin_counts(ranks, ranked, bins)
        low, high = uniform_band(len(ranks), bins)
        axis.axhspan(low, high, color="0.88", zorder=0)
        # bars outside the band stand out, and the band's edges stay visible over the bars
        outside = (counts < low) | (counts > high)
        axis.bar(edges, counts, width=width, align="edge",
                 color=np.where(outside, "#d1603d", "#4878a8"), edgecolor="white",
                 linewidth=0.5, zorder=1)
        for edge in (low, high):
            axis.axhline(edge, color="0.35", linestyle="--", linewidth=0.7, zorder=2)
        axis.axhline(len(ranks) / bins, color="0.35", linewidth=0.7, zorder=2)
        axis.set_title(f"{parameter}\np = {table.loc[parameter, 'p_value']:.3f}", fontsize=9)
        axis.set_xlim(0, ranked + 1)
        axis.tick_params(labelsize=8)
    for axis in list(axes.flat)[len(parameters):]:
        axis.set_visible(False)
    for axis in axes[-1]:
        axis.set_xlabel("rank", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=110)
    return figure


def report(models: Sequence[str], results_dir: Path = RESULTS, images: Path = IMAGES,
           out=sys.stdout) -> None:
    """Write each model's rank histograms and print its table of p-values as Markdown."""
    for name in models:
        path = results_dir / f"{name}.csv"
        if not path.exists():
            continue
        model = MODELS[name]
        results = pd.read_csv(path)
        ok = results[results["status"] == "ok"]
        table = uniformity_table(results)
        plot_ranks(results, images / f"sbc_{name}.png",
                   title=f"{model.title}: {model.formula}")
        per_replication = results.drop_duplicates("replication")
        failed = int((per_replication["status"] != "ok").sum())
        worst = ok.groupby("replication").agg(divergences=("divergences", "first"),
                                              rhat=("rhat", "max"), ess=("ess_bulk", "min"))
        print(f"\n### {name}\n", file=out)
        print(f"{len(worst)} replications fitted, {failed} failed; "
              f"{int((worst['divergences'] > 0).sum())} with divergent transitions, "
              f"{int((worst['rhat'] > 1.05).sum())} with an R-hat above 1.05 and "
              f"{int((worst['ess'] < 100).sum())} with a bulk ESS below 100 among the "
              f"parameters ranked; fits took {per_replication['seconds'].sum() / 60:.1f} min "
              f"in all (median {per_replication['seconds'].median():.1f} s).\n", file=out)
        print("| parameter | chi-square | p-value | mean rank | median bulk ESS | max R-hat |",
              file=out)
        print("|---|---:|---:|---:|---:|---:|", file=out)
        for parameter, row in table.iterrows():
            print(f"| `{parameter}` | {row['chi2']:.1f} | {row['p_value']:.3f} | "
                  f"{row['mean_rank']:.1f} | {row['median_ess_bulk']:.0f} | "
                  f"{row['max_rhat']:.3f} |", file=out)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``run`` replications, or ``report`` their results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("run", "report"))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--replications", type=int, default=400)
    parser.add_argument("--first", type=int, default=0, help="first replication number")
    parser.add_argument("--sampler", default=Settings.sampler)
    parser.add_argument("--chains", type=int, default=Settings.chains)
    parser.add_argument("--draws", type=int, default=Settings.draws)
    parser.add_argument("--warmup", type=int, default=Settings.warmup)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--images", type=Path, default=IMAGES,
                        help="where report writes the histograms")
    args = parser.parse_args(argv)
    if args.command == "report":
        report(args.models, args.results, args.images)
        return
    settings = Settings(sampler=args.sampler, chains=args.chains, draws=args.draws,
                        warmup=args.warmup)
    replications = range(args.first, args.first + args.replications)
    for name in args.models:
        started = datetime.datetime.now(datetime.timezone.utc)
        start = time.perf_counter()
        fitted = run(MODELS[name], replications, settings, args.results / f"{name}.csv")
        seconds = time.perf_counter() - start
        print(f"{name}: {seconds:.0f} s", flush=True)
        record = {"model": name, "first": args.first, "replications": args.replications,
                  "fitted": int(fitted["replication"].nunique()),
                  "started": started.isoformat(timespec="seconds"), "wall_s": round(seconds, 1),
                  "settings": dataclasses.asdict(settings), **provenance()}
        with open(args.results / "runs.jsonl", "a") as log:
            log.write(json.dumps(record) + "\n")


def provenance() -> dict:
    """The library's commit (with whether its sources differ from it) and versions."""
    import multilevel

    source = Path(multilevel.__file__).resolve().parent

    def git(*arguments: str) -> str:
        result = subprocess.run(["git", "-C", str(source), *arguments], capture_output=True,
                                text=True, check=False)
        return result.stdout.strip() if result.returncode == 0 else ""

    versions = {}
    for package in ("multilevel", "pymc", "pytensor", "nutpie", "numpyro", "jax", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"commit": git("rev-parse", "HEAD") or None,
            "modified_sources": bool(git("status", "--porcelain", "--", ".")),
            "source": str(source), "versions": versions,
            "python": platform.python_version(), "cpus": os.cpu_count()}


if __name__ == "__main__":
    main()

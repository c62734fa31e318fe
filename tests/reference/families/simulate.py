"""Simulate the small datasets behind the brms reference fits in this directory.

Writes data/*.csv (numpy + pandas only, one fixed seed per dataset, so re-running reproduces
the files byte for byte). Every dataset has a grouping factor ``g`` with string levels
"g01", "g02", ... and one or two standard-normal predictors. Run from anywhere:

    python tests/reference/families/simulate.py
"""
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "data"


def groups(rng, n_groups=15, lo=14, hi=26):
    """Unbalanced group sizes; returns (integer codes per row, level names)."""
    sizes = rng.integers(lo, hi + 1, size=n_groups)
    codes = np.repeat(np.arange(n_groups), sizes)
    levels = np.array([f"g{j + 1:02d}" for j in range(n_groups)])
    return codes, levels


def inv_logit(x):
    return 1.0 / (1.0 + np.exp(-x))


def write(name, df):
    OUT.mkdir(parents=True, exist_ok=True)
    df.to_csv(OUT / f"{name}.csv", index=False, float_format="%.6g")


def bernoulli():
    rng = np.random.default_rng(101)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.7, size=lv.size)
    eta = 0.4 + 1.0 * x + u[gi]
    y = rng.binomial(1, inv_logit(eta))
    write("bernoulli", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))


def binomial():
    rng = np.random.default_rng(102)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    n = rng.integers(5, 21, size=gi.size)
    u = rng.normal(0.0, 0.6, size=lv.size)
    eta = -0.5 + 0.7 * x + u[gi]
    k = rng.binomial(n, inv_logit(eta))
    write("binomial", pd.DataFrame({"k": k, "n": n, "x": x, "g": lv[gi]}))


def poisson():
    rng = np.random.default_rng(103)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.4, size=lv.size)
    eta = 1.3 + 0.5 * x + u[gi]
    count = rng.poisson(np.exp(eta))
    write("poisson", pd.DataFrame({"count": count, "x": x, "g": lv[gi]}))


def poisson_offset():
    rng = np.random.default_rng(104)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    exposure = np.round(rng.uniform(0.5, 5.0, size=gi.size), 2)
    u = rng.normal(0.0, 0.4, size=lv.size)
    eta = 0.6 + 0.5 * x + np.log(exposure) + u[gi]
    count = rng.poisson(np.exp(eta))
    write("poisson_offset",
          pd.DataFrame({"count": count, "x": x, "exposure": exposure, "g": lv[gi]}))


def negbinomial():
    rng = np.random.default_rng(105)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.4, size=lv.size)
    mu = np.exp(1.5 + 0.5 * x + u[gi])
    shape = 3.0
    count = rng.negative_binomial(shape, shape / (shape + mu))
    write("negbinomial", pd.DataFrame({"count": count, "x": x, "g": lv[gi]}))


def geometric():
    """Counts of brms's geometric family: a negative binomial of shape 1."""
    rng = np.random.default_rng(196)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.4, size=lv.size)
    mu = np.exp(1.2 + 0.5 * x + u[gi])
    count = rng.negative_binomial(1.0, 1.0 / (1.0 + mu))
    write("geometric", pd.DataFrame({"count": count, "x": x, "g": lv[gi]}))


def student():
    rng = np.random.default_rng(106)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 1.0, size=lv.size)
    y = 5.0 + 1.5 * x + u[gi] + 1.0 * rng.standard_t(5.0, size=gi.size)
    write("student", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))


def gamma():
    rng = np.random.default_rng(107)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.4, size=lv.size)
    mu = np.exp(1.0 + 0.5 * x + u[gi])
    shape = 4.0
    y = rng.gamma(shape, mu / shape)
    write("gamma", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))


def lognormal():
    rng = np.random.default_rng(108)
    # more, smaller groups and noisier rows than the others: with 15 groups of ~20 rows and
    # sigma = sd(g) = 0.5 brms's fit had rhat 1.0105 (intercept / group-effect ridge)
    gi, lv = groups(rng, n_groups=20, lo=8, hi=16)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.4, size=lv.size)
    y = np.exp(1.0 + 0.5 * x + u[gi] + rng.normal(0.0, 0.7, size=gi.size))
    write("lognormal", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))


def beta():
    rng = np.random.default_rng(109)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.4, size=lv.size)
    mu = inv_logit(0.5 + 0.8 * x + u[gi])
    phi = 10.0
    y = rng.beta(mu * phi, (1.0 - mu) * phi)
    y = np.clip(y, 1e-4, 1.0 - 1e-4)  # stays strictly inside (0, 1) after rounding to 6 digits
    write("beta", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))


def gaussian_weights():
    rng = np.random.default_rng(110)
    # more, smaller groups and a smaller group sd than the others: with 15 groups of ~20 rows,
    # sd(g) = 1.5 and sigma = 2 brms's fit had rhat 1.0106 (intercept / group-effect ridge)
    gi, lv = groups(rng, n_groups=20, lo=8, hi=16)
    x = rng.normal(size=gi.size)
    w = rng.integers(1, 4, size=gi.size)
    u = rng.normal(0.0, 1.0, size=lv.size)
    y = 10.0 + 2.0 * x + u[gi] + rng.normal(0.0, 3.0 / np.sqrt(w))
    write("gaussian_weights", pd.DataFrame({"y": y, "x": x, "w": w, "g": lv[gi]}))


def meta():
    """A three-level meta-analysis: three effect sizes in each of 16 studies, each with its
    known standard error ``sei``, a moderator ``x``, heterogeneity between studies (sd 0.2)
    and within them (sd 0.1)."""
    rng = np.random.default_rng(113)
    gi, lv = groups(rng, n_groups=16, lo=3, hi=3)
    x = rng.normal(size=gi.size)
    sei = rng.uniform(0.05, 0.3, size=gi.size)
    u = rng.normal(0.0, 0.2, size=lv.size)
    yi = 0.3 + 0.15 * x + u[gi] + rng.normal(0.0, 0.1, size=gi.size) + rng.normal(0.0, sei)
    write("meta", pd.DataFrame({"yi": yi, "sei": sei, "x": x, "g": lv[gi]}))


def censored():
    """A censored response (brms's ``cens()``): a detection limit (values below 2 are reported
    as 2, left-censored), a ceiling (above 14, reported as 14, right-censored) and some rows
    known only to lie in a unit interval (``y < y* <= y2``)."""
    rng = np.random.default_rng(114)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 1.5, size=lv.size)
    latent = 8.0 + 2.0 * x + u[gi] + rng.normal(0.0, 2.5, size=gi.size)
    censored = np.where(latent < 2.0, "left",
                        np.where(latent > 14.0, "right", "none")).astype(object)
    y = np.clip(latent, 2.0, 14.0)
    y2 = y.copy()
    interval = (censored == "none") & (rng.random(gi.size) < 0.15)
    censored[interval] = "interval"
    y[interval] = np.floor(latent[interval])
    y2[interval] = y[interval] + 1.0
    write("censored_gaussian", pd.DataFrame({"y": y, "censored": censored, "y2": y2, "x": x,
                                             "g": lv[gi]}))


def survival():
    """Weibull survival times (shape 1.5, mean exp(eta), brms's parametrisation), each
    followed up for a uniform 2 to 12 time units: those still event-free at the end are
    right-censored there (``censored`` 1, brms's code)."""
    rng = np.random.default_rng(115)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.4, size=lv.size)
    mean = np.exp(1.5 + 0.5 * x + u[gi])
    shape = 1.5
    time = rng.weibull(shape, size=gi.size) * mean / math.gamma(1 + 1 / shape)
    followup = rng.uniform(2.0, 12.0, size=gi.size)
    write("survival", pd.DataFrame({"time": np.minimum(time, followup),
                                    "censored": (time > followup).astype(int), "x": x,
                                    "g": lv[gi]}))


def gaussian_slopes():
    rng = np.random.default_rng(111)
    gi, lv = groups(rng)
    n = gi.size
    hlv = np.array([f"h{j + 1}" for j in range(8)])
    hi = rng.permutation(np.resize(np.arange(8), n))
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    sd_g = np.array([1.0, 0.5])
    rho = 0.3
    cov = np.diag(sd_g) @ np.array([[1.0, rho], [rho, 1.0]]) @ np.diag(sd_g)
    ug = rng.multivariate_normal(np.zeros(2), cov, size=lv.size)
    vh = rng.normal(0.0, 0.7, size=hlv.size)
    y = (3.0 + 1.0 * x1 - 0.5 * x2 + ug[gi, 0] + ug[gi, 1] * x1 + vh[hi]
         + rng.normal(0.0, 1.0, size=n))
    write("gaussian_slopes",
          pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": lv[gi], "h": hlv[hi]}))


# The zero-inflated and hurdle datasets have a correlated intercept and slope by g, so that
# their fits also test recovery: the truth of each is written to data/truth.json.
CORRELATED = {"sd_g__Intercept": 0.6, "sd_g__x": 0.4, "cor_g__Intercept__x": 0.5}
TRUTH = {}


def correlated_groups(rng, intercept, slope, n_groups=20):
    """Rows, level names, x and the linear predictor with correlated group effects."""
    gi, lv = groups(rng, n_groups=n_groups)
    x = rng.normal(size=gi.size)
    sd = np.array([CORRELATED["sd_g__Intercept"], CORRELATED["sd_g__x"]])
    cor = CORRELATED["cor_g__Intercept__x"]
    r = rng.multivariate_normal([0.0, 0.0], np.outer(sd, sd) * np.array([[1, cor], [cor, 1]]),
                                size=lv.size)
    eta = intercept + r[gi, 0] + (slope + r[gi, 1]) * x
    return gi, lv, x, eta


def record(name, **truth):
    TRUTH[name] = {**CORRELATED, **truth}


def positive_counts(rng, draw, mu):
    """Counts given that they are positive, by redrawing the zeros."""
    count = draw(mu)
    while np.any(count == 0):
        zero = count == 0
        count[zero] = draw(mu[zero])
    return count


def zero_inflated_poisson():
    rng = np.random.default_rng(117)
    gi, lv, x, eta = correlated_groups(rng, 1.0, 0.5)
    count = rng.poisson(np.exp(eta))
    count[rng.uniform(size=gi.size) < 0.25] = 0
    record("zero_inflated_poisson", b_Intercept=1.0, b_x=0.5, zi=0.25)
    write("zero_inflated_poisson", pd.DataFrame({"count": count, "x": x, "g": lv[gi]}))


def zero_inflated_negbinomial():
    rng = np.random.default_rng(112)
    gi, lv, x, eta = correlated_groups(rng, 1.2, 0.5)
    shape = 3.0
    mu = np.exp(eta)
    count = rng.negative_binomial(shape, shape / (shape + mu))
    count[rng.uniform(size=gi.size) < 0.25] = 0
    record("zero_inflated_negbinomial", b_Intercept=1.2, b_x=0.5, shape=3.0, zi=0.25)
    write("zero_inflated_negbinomial", pd.DataFrame({"count": count, "x": x, "g": lv[gi]}))


def zero_inflated_binomial():
    rng = np.random.default_rng(113)
    gi, lv, x, eta = correlated_groups(rng, 0.3, 0.8)
    n = rng.integers(5, 16, size=gi.size)
    k = rng.binomial(n, inv_logit(eta))
    k[rng.uniform(size=gi.size) < 0.2] = 0
    record("zero_inflated_binomial", b_Intercept=0.3, b_x=0.8, zi=0.2)
    write("zero_inflated_binomial", pd.DataFrame({"k": k, "n": n, "x": x, "g": lv[gi]}))


def hurdle_poisson():
    rng = np.random.default_rng(114)
    gi, lv, x, eta = correlated_groups(rng, 1.0, 0.4)
    count = positive_counts(rng, rng.poisson, np.exp(eta))
    # a hurdle whose probability moves with x
    count[rng.uniform(size=gi.size) < inv_logit(-1.0 + 0.8 * x)] = 0
    record("hurdle_poisson", b_Intercept=1.0, b_x=0.4, b_hu_Intercept=-1.0, b_hu_x=0.8)
    write("hurdle_poisson", pd.DataFrame({"count": count, "x": x, "g": lv[gi]}))


def hurdle_negbinomial():
    rng = np.random.default_rng(115)
    gi, lv, x, eta = correlated_groups(rng, 1.3, 0.5)
    shape = 2.0
    count = positive_counts(
        rng, lambda mu: rng.negative_binomial(shape, shape / (shape + mu)), np.exp(eta))
    count[rng.uniform(size=gi.size) < 0.3] = 0
    record("hurdle_negbinomial", b_Intercept=1.3, b_x=0.5, shape=2.0, hu=0.3)
    write("hurdle_negbinomial", pd.DataFrame({"count": count, "x": x, "g": lv[gi]}))


def hurdle_lognormal():
    rng = np.random.default_rng(116)
    gi, lv, x, eta = correlated_groups(rng, 1.0, 0.5)
    y = np.exp(eta + rng.normal(0.0, 0.6, size=gi.size))
    y[rng.uniform(size=gi.size) < 0.3] = 0.0
    record("hurdle_lognormal", b_Intercept=1.0, b_x=0.5, sigma=0.6, hu=0.3)
    write("hurdle_lognormal", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))


def hurdle_gamma():
    rng = np.random.default_rng(118)
    gi, lv, x, eta = correlated_groups(rng, 0.8, 0.5)
    shape = 3.0
    y = rng.gamma(shape, np.exp(eta) / shape)
    # a hurdle whose probability moves with x
    y[rng.uniform(size=gi.size) < inv_logit(-0.8 + 0.7 * x)] = 0.0
    record("hurdle_gamma", b_Intercept=0.8, b_x=0.5, shape=3.0, b_hu_Intercept=-0.8,
           b_hu_x=0.7)
    write("hurdle_gamma", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))


def zero_inflated_beta():
    rng = np.random.default_rng(119)
    gi, lv, x, eta = correlated_groups(rng, -0.3, 0.6)
    phi = 8.0
    mu = inv_logit(eta)
    y = rng.beta(mu * phi, (1 - mu) * phi)
    y[rng.uniform(size=gi.size) < 0.25] = 0.0
    record("zero_inflated_beta", b_Intercept=-0.3, b_x=0.6, phi=8.0, zi=0.25)
    write("zero_inflated_beta", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))


def zero_one_inflated_beta():
    """Proportions with exact zeros and ones (a slider's ends), their share moving with x."""
    rng = np.random.default_rng(121)
    gi, lv, x, eta = correlated_groups(rng, 0.2, 0.5)
    phi = 6.0
    mu = inv_logit(eta)
    y = rng.beta(mu * phi, (1 - mu) * phi)
    ends = rng.uniform(size=gi.size) < inv_logit(-1.2 + 0.6 * x)
    y[ends] = (rng.uniform(size=gi.size) < 0.4)[ends].astype(float)
    record("zero_one_inflated_beta", b_Intercept=0.2, b_x=0.5, phi=6.0,
           b_zoi_Intercept=-1.2, b_zoi_x=0.6, coi=0.4)
    write("zero_one_inflated_beta", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))


def monotonic():
    """brms's monotonic-effects example: life satisfaction over four income classes (1 to 4,
    so brms counts from the lowest), the steps between them uneven."""
    rng = np.random.default_rng(120)
    gi, lv = groups(rng, n_groups=20)
    income = rng.integers(1, 5, size=gi.size)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 4.0, size=lv.size)
    ls = np.array([30.0, 60.0, 70.0, 75.0])[income - 1] + 2.0 * x + u[gi]
    ls = ls + rng.normal(0.0, 7.0, size=gi.size)
    write("monotonic", pd.DataFrame({"ls": ls, "income": income, "x": x, "g": lv[gi]}))


def cumulative():
    """Ratings 1..4 from a cumulative logit model, and rows to predict for."""
    rng = np.random.default_rng(118)
    gi, lv, x, eta = correlated_groups(rng, 0.0, 0.8)
    thresholds = np.array([-1.0, 0.5, 2.0])
    latent = eta + rng.logistic(size=gi.size)
    rating = 1 + (latent[:, None] > thresholds[None, :]).sum(axis=1)
    record("cumulative", **{"b_Intercept[1]": -1.0, "b_Intercept[2]": 0.5,
                            "b_Intercept[3]": 2.0, "b_x": 0.8})
    write("cumulative", pd.DataFrame({"rating": rating, "x": x, "g": lv[gi]}))
    write("cumulative_newdata", pd.DataFrame({"x": [-1.5, 0.0, 1.5, 0.5],
                                              "g": [lv[0], lv[0], lv[3], lv[7]]}))


def ar_series(rng, n_times, phi, innovation_sd):
    """A stationary AR(1) residual series of length n_times."""
    e = np.empty(n_times)
    e[0] = rng.normal(0.0, innovation_sd / np.sqrt(1.0 - phi**2))
    for t in range(1, n_times):
        e[t] = phi * e[t - 1] + rng.normal(0.0, innovation_sd)
    return e


def growth_series(rng, n_ids, n_times, intercept, slope, sd_intercept, sd_slope, phi, sigma):
    """Complete growth series: id, time 0..n_times-1 and y with an AR(1) residual."""
    ids, times, ys = [], [], []
    for j in range(n_ids):
        u0, u1 = rng.normal(0.0, sd_intercept), rng.normal(0.0, sd_slope)
        t = np.arange(n_times)
        ys.append(intercept + u0 + (slope + u1) * t + ar_series(rng, n_times, phi, sigma))
        ids.append(np.full(n_times, f"s{j + 1:02d}"))
        times.append(t)
    return pd.DataFrame({"id": np.concatenate(ids), "time": np.concatenate(times),
                         "y": np.concatenate(ys)})


def growth_ar():
    """Complete series with an AR(1) residual, rows shuffled so that order must be restored."""
    rng = np.random.default_rng(119)
    truth = {"b_Intercept": 10.0, "b_time": 1.5, "sd_id__Intercept": 2.0, "sd_id__time": 0.5,
             "ar[1]": 0.6, "sigma": 1.0}
    df = growth_series(rng, 30, 8, truth["b_Intercept"], truth["b_time"],
                       truth["sd_id__Intercept"], truth["sd_id__time"], truth["ar[1]"],
                       truth["sigma"])
    TRUTH["growth_ar"] = truth
    write("growth_ar", df.sample(frac=1.0, random_state=7).reset_index(drop=True))


def growth_gaps():
    """Series of unequal length with gaps in time, rows shuffled."""
    rng = np.random.default_rng(120)
    df = growth_series(rng, 24, 9, 5.0, 0.8, 1.5, 0.0, 0.5, 1.0)
    keep = rng.uniform(size=len(df)) > 0.2
    df = df[keep]
    write("growth_gaps", df.sample(frac=1.0, random_state=8).reset_index(drop=True))


def growth_unstr():
    """Four visits with an unstructured residual correlation matrix, some visits missed.

    brms 2.18 has no unstr(), so this dataset has no brms fit; its truth checks recovery.
    """
    rng = np.random.default_rng(121)
    correlation = np.array([[1.0, 0.6, 0.4, 0.3], [0.6, 1.0, 0.7, 0.5],
                            [0.4, 0.7, 1.0, 0.6], [0.3, 0.5, 0.6, 1.0]])
    n_ids, sigma = 150, 1.5
    residuals = rng.multivariate_normal(np.zeros(4), sigma**2 * correlation, size=n_ids)
    time = np.tile(np.arange(4), n_ids)
    frame = pd.DataFrame({"id": np.repeat([f"p{j + 1:03d}" for j in range(n_ids)], 4),
                          "time": time, "y": 20.0 + 2.0 * time + residuals.ravel()})
    frame = frame[rng.uniform(size=len(frame)) > 0.1]
    TRUTH["growth_unstr"] = {"b_Intercept": 20.0, "b_time": 2.0, "sigma": sigma} | {
        f"cortime__{j}__{i}": correlation[j, i] for i in range(1, 4) for j in range(i)}
    write("growth_unstr", frame.sample(frac=1.0, random_state=9).reset_index(drop=True))


def growth_waves():
    """Growth with a residual sd that rises from wave to wave (sigma ~ 0 + factor(time)),
    some waves missed, rows shuffled."""
    rng = np.random.default_rng(122)
    sigma = np.array([1.0, 1.5, 2.0, 2.5, 3.0])
    n_ids = 100
    effects = rng.normal(0.0, [3.0, 0.8], size=(n_ids, 2))
    time = np.tile(np.arange(5), n_ids)
    ids = np.repeat(np.arange(n_ids), 5)
    y = (20.0 + effects[ids, 0] + (2.0 + effects[ids, 1]) * time
         + rng.normal(0.0, sigma[time]))
    frame = pd.DataFrame({"id": [f"p{j + 1:03d}" for j in ids], "time": time, "y": y})
    frame = frame[rng.uniform(size=len(frame)) > 0.1]
    TRUTH["growth_waves"] = {"b_Intercept": 20.0, "b_time": 2.0, "sd_id__Intercept": 3.0,
                             "sd_id__time": 0.8} | {
        f"b_sigma_factortime{t}": float(np.log(s)) for t, s in enumerate(sigma)}
    write("growth_waves", frame.sample(frac=1.0, random_state=10).reset_index(drop=True))


def smooth():
    """A non-linear trend in a continuous x with a group intercept, for s(x)."""
    rng = np.random.default_rng(122)
    gi, lv = groups(rng, n_groups=12, lo=20, hi=30)
    x = rng.uniform(0.0, 10.0, size=gi.size)
    u = rng.normal(0.0, 0.8, size=lv.size)
    y = 2.0 + np.sin(x / 1.5) + 0.15 * x + u[gi] + rng.normal(0.0, 0.5, size=gi.size)
    write("smooth", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))


def smooth_by():
    """Growth curves that differ by condition, for s(time, by = cond): 30 subjects in three
    conditions, each measured at twelve times, with a subject intercept."""
    rng = np.random.default_rng(197)
    subjects, times = 30, np.arange(12.0)
    cond = np.array(["control", "early", "late"])[np.arange(subjects) % 3]
    u = rng.normal(0.0, 0.6, size=subjects)
    shapes = {"control": lambda t: 0.1 * t,
              "early": lambda t: 2.0 * (1.0 - np.exp(-t / 2.0)),
              "late": lambda t: 2.5 / (1.0 + np.exp(-(t - 7.0)))}
    rows = [{"y": 1.0 + shapes[cond[j]](t) + u[j] + rng.normal(0.0, 0.4), "time": t,
             "cond": cond[j], "id": f"s{j + 1:02d}"} for j in range(subjects) for t in times]
    write("smooth_by", pd.DataFrame(rows))


def smooth_by_numeric():
    """Counts whose effect of a dose z varies smoothly with age x, for s(x, by = z)."""
    rng = np.random.default_rng(198)
    gi, lv = groups(rng, n_groups=12, lo=20, hi=30)
    x = rng.uniform(0.0, 10.0, size=gi.size)
    z = rng.uniform(0.0, 2.0, size=gi.size)
    u = rng.normal(0.0, 0.3, size=lv.size)
    mu = np.exp(0.5 + z * (0.3 + 0.4 * np.sin(x / 2.0)) + u[gi])
    write("smooth_by_numeric", pd.DataFrame({"count": rng.poisson(mu), "x": x, "z": z,
                                             "g": lv[gi]}))


def sparse():
    """Eight standardised predictors of which two matter, for the horseshoe prior."""
    rng = np.random.default_rng(199)
    gi, lv = groups(rng, n_groups=10, lo=15, hi=25)
    x = rng.normal(size=(gi.size, 8))
    u = rng.normal(0.0, 0.5, size=lv.size)
    y = 1.0 + 0.8 * x[:, 0] - 0.5 * x[:, 3] + u[gi] + rng.normal(0.0, 1.0, size=gi.size)
    frame = pd.DataFrame(x, columns=[f"x{j + 1}" for j in range(8)])
    frame.insert(0, "y", y)
    frame["g"] = lv[gi]
    frame["success"] = (rng.uniform(size=gi.size)
                        < inv_logit(-0.3 + 1.2 * x[:, 1] + 0.3 * u[gi])).astype(int)
    write("sparse", frame)


def ordered_dose():
    """Responses over four ordered doses (R's ordered factor, coded by polynomial
    contrasts), their effect bending and, for the counts, varying by group."""
    rng = np.random.default_rng(200)
    gi, lv = groups(rng, n_groups=12, lo=18, hi=28)
    doses = np.array(["none", "low", "medium", "high"])
    dose = rng.integers(0, 4, size=gi.size)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.6, size=lv.size)
    y = (2.0 + np.array([0.0, 1.0, 1.6, 1.8])[dose] + 0.5 * x + 0.3 * x * (dose == 3)
         + u[gi] + rng.normal(0.0, 1.0, size=gi.size))
    slope = rng.normal(0.0, 0.25, size=lv.size)
    count = rng.poisson(np.exp(0.8 + (0.3 + slope[gi]) * dose + 0.5 * u[gi]))
    write("ordered_dose", pd.DataFrame({"y": y, "count": count, "dose": doses[dose], "x": x,
                                        "g": lv[gi]}))
    write("ordered_dose_newdata", pd.DataFrame({"dose": ["low", "high", "medium"],
                                                "x": [0.0, 1.0, -1.0],
                                                "g": [lv[0], lv[5], lv[11]]}))


def growth_spline():
    """Scores and counts over time bending as a saturating curve, a level per pupil, for
    regression splines (ns(), bs()); new times within and beyond the observed ones."""
    rng = np.random.default_rng(202)
    gi, lv = groups(rng, n_groups=20, lo=6, hi=10)
    time = np.round(rng.uniform(0.0, 10.0, size=gi.size), 2)
    u = rng.normal(0.0, 0.8, size=lv.size)
    curve = 3.0 * (1.0 - np.exp(-time / 3.0))
    y = 1.0 + curve + u[gi] + rng.normal(0.0, 0.7, size=gi.size)
    count = rng.poisson(np.exp(0.2 + 0.5 * curve + 0.5 * u[gi]))
    write("growth_spline", pd.DataFrame({"y": y, "count": count, "time": time,
                                         "id": lv[gi]}))
    write("growth_spline_newdata", pd.DataFrame({"time": [0.5, 2.0, 5.0, 9.5, 11.0],
                                                 "id": [lv[0], lv[3], lv[7], lv[12], lv[19]]}))


def categorical():
    """Choices among three categories, each non-reference category with its own correlated
    intercept and slope by g, and rows to predict for."""
    rng = np.random.default_rng(123)
    gi, lv = groups(rng, n_groups=20, lo=25, hi=35)
    x = rng.normal(size=gi.size)
    sd = np.array([CORRELATED["sd_g__Intercept"], CORRELATED["sd_g__x"]])
    cor = CORRELATED["cor_g__Intercept__x"]
    covariance = np.outer(sd, sd) * np.array([[1, cor], [cor, 1]])
    truth = {"b_mub_Intercept": 0.5, "b_mub_x": 1.0, "b_muc_Intercept": -0.5, "b_muc_x": -0.8}
    etas = [np.zeros(gi.size)]
    for k in ("b", "c"):
        r = rng.multivariate_normal([0.0, 0.0], covariance, size=lv.size)
        etas.append(truth[f"b_mu{k}_Intercept"] + r[gi, 0]
                    + (truth[f"b_mu{k}_x"] + r[gi, 1]) * x)
        truth |= {f"sd_g__mu{k}_Intercept": sd[0], f"sd_g__mu{k}_x": sd[1],
                  f"cor_g__mu{k}_Intercept__mu{k}_x": cor}
    eta = np.stack(etas, axis=1)
    probability = np.exp(eta - eta.max(axis=1, keepdims=True))
    probability /= probability.sum(axis=1, keepdims=True)
    choice = np.array([rng.choice(3, p=row) for row in probability])
    TRUTH["categorical"] = truth
    write("categorical", pd.DataFrame({"choice": np.array(["a", "b", "c"])[choice], "x": x,
                                       "g": lv[gi]}))
    write("categorical_newdata", pd.DataFrame({"x": [-1.5, 0.0, 1.5, 0.5],
                                               "g": [lv[0], lv[0], lv[3], lv[7]]}))


def truncated():
    """Responses observed only within bounds (brms's ``trunc()``): a normal response kept
    where it is positive (drawn again until it is) and a count kept where it is at least 1
    (zero-truncated Poisson), each with a group intercept."""
    rng = np.random.default_rng(131)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.6, lv.size)
    mean = 0.8 + 0.7 * x + u[gi]
    y = rng.normal(mean, 1.2)
    while np.any(y <= 0):
        redraw = y <= 0
        y[redraw] = rng.normal(mean[redraw], 1.2)
    count = positive_counts(rng, lambda mu: rng.poisson(mu), np.exp(0.2 + 0.5 * x + u[gi]))
    write("truncated", pd.DataFrame({"y": y, "count": count, "x": x, "g": lv[gi]}))
    write("truncated_newdata", pd.DataFrame({"x": [-1.5, 0.0, 1.5, 0.5],
                                             "g": [lv[0], lv[0], lv[3], lv[7]]}))


def nonlinear():
    """Exponential decay toward zero, y = b1 exp(b2 x), for a non-linear formula (brms's
    ``nl = TRUE``): the starting level b1 moves with z and varies by group; the rate b2 is
    common."""
    rng = np.random.default_rng(137)
    gi, lv = groups(rng, n_groups=12)
    x = np.round(rng.uniform(0.0, 4.0, gi.size), 2)
    z = rng.normal(size=gi.size)
    b1 = 5.0 + 0.5 * z + rng.normal(0.0, 0.8, lv.size)[gi]
    y = b1 * np.exp(-0.4 * x) + rng.normal(0.0, 0.3, gi.size)
    write("nonlinear", pd.DataFrame({"y": y, "x": x, "z": z, "g": lv[gi]}))
    write("nonlinear_newdata", pd.DataFrame({"x": [0.0, 1.0, 3.0, 2.0],
                                             "z": [0.0, -1.0, 1.0, 0.5],
                                             "g": [lv[0], lv[0], lv[3], lv[7]]}))


def delayed_entry():
    """Survival times observed from an entry time on (left truncation: a subject who failed
    before entering is never seen) and right-censored at the end of follow-up, brms's
    ``time | cens(censored) + trunc(lb = entry)``, lognormal with a group intercept."""
    rng = np.random.default_rng(139)
    gi, lv = groups(rng, n_groups=12, lo=30, hi=40)
    x = rng.normal(size=gi.size)
    failure = np.exp(1.0 + 0.5 * x + rng.normal(0.0, 0.5, lv.size)[gi]
                     + rng.normal(0.0, 0.6, gi.size))
    entry = np.round(rng.uniform(0.0, 2.0, gi.size), 3)
    seen = failure > entry
    end = entry + rng.uniform(0.5, 6.0, gi.size)
    time = np.round(np.minimum(failure, end), 4)
    frame = pd.DataFrame({"time": np.maximum(time, entry + 1e-3), "censored": (failure > end)
                          .astype(int), "entry": entry, "x": x, "g": lv[gi]})[seen]
    write("delayed_entry", frame)
    write("delayed_entry_newdata", pd.DataFrame({"x": [-1.0, 0.0, 1.0, 0.5],
                                                 "entry": [0.0, 1.0, 0.5, 2.0],
                                                 "g": [lv[0], lv[0], lv[3], lv[7]]}))


def grouped_by():
    """Classes nested in two arms of a trial, the classes' intercepts and slopes varying more
    in the treated arm, with a correlation of their own in each (brms's ``gr(g, by = arm)``)."""
    rng = np.random.default_rng(151)
    gi, lv = groups(rng, n_groups=24, lo=10, hi=16)
    treated = np.arange(lv.size) >= 12
    x = rng.normal(size=gi.size)
    effects = np.empty((lv.size, 2))
    for arm, (sd, cor) in ((False, ([0.3, 0.2], -0.3)), (True, ([1.2, 0.6], 0.4))):
        covariance = np.outer(sd, sd) * np.array([[1.0, cor], [cor, 1.0]])
        effects[treated == arm] = rng.multivariate_normal([0.0, 0.0], covariance,
                                                          size=int((treated == arm).sum()))
    arm = np.where(treated, "treated", "control")[gi]
    y = (1.0 + 0.8 * (arm == "treated") + effects[gi, 0] + (0.5 + effects[gi, 1]) * x
         + rng.normal(0.0, 0.8, gi.size))
    write("grouped_by", pd.DataFrame({"y": y, "x": x, "arm": arm, "g": lv[gi]}))


def monotonic_interaction():
    """brms's vignette model ls ~ mo(income) * age: the income classes' steps uneven, and the
    effect of income growing with age along steps of their own."""
    rng = np.random.default_rng(163)
    gi, lv = groups(rng, n_groups=16)
    income = rng.integers(1, 5, size=gi.size)
    age = np.round(rng.normal(size=gi.size), 3)
    main = np.array([0.0, 0.6, 0.85, 1.0])[income - 1]
    growth = np.array([0.0, 0.2, 0.5, 1.0])[income - 1]
    ls = (30.0 + 40.0 * main + 2.0 * age + 10.0 * growth * age
          + rng.normal(0.0, 4.0, size=lv.size)[gi] + rng.normal(0.0, 6.0, size=gi.size))
    write("monotonic_interaction", pd.DataFrame({"ls": ls, "income": income, "age": age,
                                                 "g": lv[gi]}))
    write("monotonic_interaction_newdata", pd.DataFrame({
        "income": [1, 2, 3, 4, 4], "age": [0.0, 1.0, -1.0, 1.5, 0.0],
        "g": [lv[0], lv[1], lv[2], lv[3], lv[3]]}))


def beta_binomial():
    """Successes of 2 to 30 trials whose probability varies beyond the binomial's (phi 6),
    and new rows."""
    rng = np.random.default_rng(164)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    n = rng.integers(2, 31, size=gi.size)
    mu = inv_logit(-0.3 + 0.6 * x + rng.normal(0.0, 0.5, size=lv.size)[gi])
    phi = 6.0
    k = rng.binomial(n, rng.beta(mu * phi, (1.0 - mu) * phi))
    record("beta_binomial", b_Intercept=-0.3, b_x=0.6, phi=phi, sd_g__Intercept=0.5)
    write("beta_binomial", pd.DataFrame({"k": k, "n": n, "x": x, "g": lv[gi]}))
    write("beta_binomial_newdata", pd.DataFrame({
        "n": [10, 20, 5, 12], "x": [0.0, 1.0, -1.0, 0.5],
        "g": [lv[0], lv[1], lv[2], lv[3]]}))


def inverse_gaussian():
    """Positive, right-skewed responses (as response times) of mean exp(eta), shape 20."""
    rng = np.random.default_rng(165)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    mu = np.exp(0.5 + 0.3 * x + rng.normal(0.0, 0.3, size=lv.size)[gi])
    shape = 20.0
    y = rng.wald(mu, shape)
    record("inverse_gaussian", b_Intercept=0.5, b_x=0.3, shape=shape, sd_g__Intercept=0.3)
    write("inverse_gaussian", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))


def imputed():
    """Three completed data sets of one study, as a multiple imputation gives: the same rows,
    the responses of a quarter of them filled in differently in each."""
    rng = np.random.default_rng(166)
    gi, lv = groups(rng, n_groups=12, lo=8, hi=14)
    x = rng.normal(size=gi.size)
    y = 2.0 + 0.5 * x + rng.normal(0.0, 0.8, size=lv.size)[gi] + rng.normal(0.0, 1.0, gi.size)
    missing = rng.uniform(size=gi.size) < 0.25
    for k in (1, 2, 3):
        filled = y.copy()
        filled[missing] = 2.0 + 0.5 * x[missing] + rng.normal(0.0, 1.2, missing.sum())
        write(f"imputed_{k}", pd.DataFrame({"y": filled, "x": x, "g": lv[gi]}))


def quantile():
    """Skewed responses whose spread grows with x, for quantile regression: their 0.8
    quantile rises faster than their median."""
    rng = np.random.default_rng(167)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    y = (1.0 + 0.5 * x + rng.normal(0.0, 0.5, size=lv.size)[gi]
         + np.exp(0.3 * x) * rng.gamma(2.0, 0.6, size=gi.size))
    write("quantile", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))
    write("quantile_newdata", pd.DataFrame({"x": [-1.0, 0.0, 1.0, 2.0],
                                            "g": [lv[0], lv[1], lv[2], lv[3]]}))


def zero_inflated_beta_binomial():
    """Successes of 5 to 20 trials, their probability varying beyond the binomial's (phi 8),
    and a fifth of the rows zeros of another process."""
    rng = np.random.default_rng(168)
    gi, lv, x, eta = correlated_groups(rng, 0.3, 0.8)
    n = rng.integers(5, 21, size=gi.size)
    mu, phi = inv_logit(eta), 8.0
    k = rng.binomial(n, rng.beta(mu * phi, (1 - mu) * phi))
    k[rng.uniform(size=gi.size) < 0.2] = 0
    record("zero_inflated_beta_binomial", b_Intercept=0.3, b_x=0.8, phi=phi, zi=0.2)
    write("zero_inflated_beta_binomial", pd.DataFrame({"k": k, "n": n, "x": x, "g": lv[gi]}))


def mixture():
    """Two normal components, 60% and 40% of the rows, their means 5 apart and each with
    its own slope and sd, and a group effect shared by both."""
    rng = np.random.default_rng(169)
    gi, lv = groups(rng, n_groups=30)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.5, size=lv.size)[gi]
    second = rng.uniform(size=gi.size) < 0.4
    y = np.where(second, 5.0 + 0.5 * x + u + rng.normal(0.0, 0.7, size=gi.size),
                 0.0 + 1.0 * x + u + rng.normal(0.0, 1.0, size=gi.size))
    TRUTH["mixture"] = dict(b_mu1_Intercept=0.0, b_mu1_x=1.0, b_mu2_Intercept=5.0, b_mu2_x=0.5,
                            sigma1=1.0, sigma2=0.7, theta1=0.6, theta2=0.4)
    write("mixture", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))
    write("mixture_newdata", pd.DataFrame({"x": [-1.0, 0.0, 1.0, 2.0],
                                           "g": [lv[0], lv[1], lv[2], lv[3]]}))



def mixture_poisson():
    """Counts of two Poisson components, half the rows each, their means e and e^2.5 at
    x = 0, with one slope."""
    rng = np.random.default_rng(170)
    x = rng.normal(size=400)
    second = rng.uniform(size=x.size) < 0.5
    count = rng.poisson(np.exp(np.where(second, 2.5, 1.0) + 0.3 * x))
    TRUTH["mixture_poisson"] = dict(b_mu1_Intercept=1.0, b_mu1_x=0.3, b_mu2_Intercept=2.5,
                                    b_mu2_x=0.3, theta1=0.5, theta2=0.5)
    write("mixture_poisson", pd.DataFrame({"count": count, "x": x}))
    write("mixture_poisson_newdata", pd.DataFrame({"x": [-1.0, 0.0, 1.0, 2.0]}))



def mixture_theta():
    """Two normal components whose proportions follow z: the second's log-odds
    -0.5 + 1.2 z."""
    rng = np.random.default_rng(171)
    x, z = rng.normal(size=500), rng.normal(size=500)
    second = rng.uniform(size=x.size) < inv_logit(-0.5 + 1.2 * z)
    y = np.where(second, 4.0 + 0.5 * x + rng.normal(0.0, 0.8, size=x.size),
                 0.0 + 1.0 * x + rng.normal(0.0, 1.0, size=x.size))
    TRUTH["mixture_theta"] = dict(b_mu1_Intercept=0.0, b_mu1_x=1.0, b_mu2_Intercept=4.0,
                                  b_mu2_x=0.5, sigma1=1.0, sigma2=0.8,
                                  b_theta2_Intercept=-0.5, b_theta2_z=1.2)
    write("mixture_theta", pd.DataFrame({"y": y, "x": x, "z": z}))
    write("mixture_theta_newdata", pd.DataFrame({"x": [0.0, 1.0, 0.0, -1.0],
                                                 "z": [-1.0, 0.0, 1.0, 2.0]}))



def von_mises():
    """Angles around means 2 atan(eta) on the circle, concentration kappa 4."""
    rng = np.random.default_rng(172)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    eta = 0.3 + 0.5 * x + rng.normal(0.0, 0.4, size=lv.size)[gi]
    y = rng.vonmises(2 * np.arctan(eta), 4.0)
    TRUTH["von_mises"] = dict(b_Intercept=0.3, b_x=0.5, sd_g__Intercept=0.4, kappa=4.0)
    write("von_mises", pd.DataFrame({"y": y, "x": x, "g": lv[gi]}))
    write("von_mises_newdata", pd.DataFrame({"x": [-1.0, 0.0, 1.0, 2.0],
                                             "g": [lv[0], lv[1], lv[2], lv[3]]}))


def _softmax_rows(eta):
    probability = np.exp(eta - eta.max(axis=1, keepdims=True))
    return probability / probability.sum(axis=1, keepdims=True)


def _category_shares(rng, truth, gi, lv, x, sd):
    """Each row's expected shares of categories a, b and c: the softmax of 0 and the
    linear predictors of b and c (``truth``'s coefficients, an intercept by g with sd
    ``sd``, which ``truth`` records)."""
    etas = [np.zeros(gi.size)]
    for part in ("b", "c"):
        etas.append(truth[f"b_mu{part}_Intercept"] + truth[f"b_mu{part}_x"] * x
                    + rng.normal(0.0, sd, size=lv.size)[gi])
        truth[f"sd_g__mu{part}_Intercept"] = sd
    return _softmax_rows(np.stack(etas, axis=1))


def dirichlet():
    """Shares of three parts (a time budget) moving with x, each non-reference part's
    log-odds against the first with its own intercept by g, precision phi 20."""
    rng = np.random.default_rng(181)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    truth = {"b_mub_Intercept": 0.4, "b_mub_x": 0.5, "b_muc_Intercept": -0.3,
             "b_muc_x": -0.6, "phi": 20.0}
    mean = _category_shares(rng, truth, gi, lv, x, 0.4)
    shares = np.array([rng.dirichlet(truth["phi"] * row) for row in mean])
    # six decimals that add up to 1 exactly, as brms requires of each row
    shares = np.round(shares, 6)
    shares[:, 2] = np.round(1.0 - shares[:, 0] - shares[:, 1], 6)
    TRUTH["dirichlet"] = truth
    write("dirichlet", pd.DataFrame({"a": shares[:, 0], "b": shares[:, 1], "c": shares[:, 2],
                                     "x": x, "g": lv[gi]}))
    write("dirichlet_newdata", pd.DataFrame({"x": [-1.0, 0.0, 1.0, 2.0],
                                             "g": [lv[0], lv[1], lv[2], lv[3]]}))


def multinomial():
    """Counts of three outcomes out of 10 to 30 trials per row, the non-reference outcomes'
    log-odds moving with x, each with its own intercept by g."""
    rng = np.random.default_rng(182)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    truth = {"b_mub_Intercept": 0.3, "b_mub_x": 0.7, "b_muc_Intercept": -0.5,
             "b_muc_x": 0.2}
    probability = _category_shares(rng, truth, gi, lv, x, 0.5)
    size = rng.integers(10, 31, size=gi.size)
    counts = np.array([rng.multinomial(n, row) for n, row in zip(size, probability, strict=True)])
    TRUTH["multinomial"] = truth
    write("multinomial", pd.DataFrame({"a": counts[:, 0], "b": counts[:, 1],
                                       "c": counts[:, 2], "size": size, "x": x,
                                       "g": lv[gi]}))
    write("multinomial_newdata", pd.DataFrame({"x": [-1.0, 0.0, 1.0, 2.0],
                                               "size": [10, 20, 5, 1],
                                               "g": [lv[0], lv[1], lv[2], lv[3]]}))


def tree_covariance(rng, n_species):
    """The covariance of a trait evolving by Brownian motion along a random ultrametric tree
    of depth 1: the depth of two species' last common ancestor (1 on the diagonal)."""
    covariance = np.zeros((n_species, n_species))

    def split(members, depth):
        covariance[np.ix_(members, members)] = depth
        if len(members) == 1:
            covariance[members[0], members[0]] = 1.0
            return
        cut = int(rng.integers(1, len(members)))
        for part in (members[:cut], members[cut:]):
            split(part, depth + (1.0 - depth) * rng.uniform(0.1, 0.5))

    split(list(range(n_species)), 0.0)
    return covariance


def phylogenetic():
    """brms's phylogenetic vignette in miniature: four measurements of each of 30 species,
    whose intercepts are correlated through their tree (brms's ``gr(phylo, cov = A)``) and
    also vary by species alone; and counts whose intercepts and slopes both follow the tree.
    The tree's covariance matrix is written with the species as row and column names."""
    rng = np.random.default_rng(193)
    n_species, per_species = 30, 4
    names = np.array([f"s{j + 1:02d}" for j in range(n_species)])
    tree = tree_covariance(rng, n_species)
    lower = np.linalg.cholesky(tree)
    species = np.repeat(np.arange(n_species), per_species)
    x = rng.normal(size=species.size)
    along_tree = 0.8 * lower @ rng.normal(size=n_species)
    own = rng.normal(0.0, 0.4, n_species)
    y = 1.0 + 0.5 * x + along_tree[species] + own[species] + rng.normal(0.0, 0.6, species.size)
    write("phylogenetic", pd.DataFrame({"y": y, "x": x, "phylo": names[species],
                                        "species": names[species]}))
    covariance = np.diag([0.5, 0.3]) @ np.array([[1.0, 0.5], [0.5, 1.0]]) @ np.diag([0.5, 0.3])
    effects = lower @ rng.normal(size=(n_species, 2)) @ np.linalg.cholesky(covariance).T
    eta = 0.8 + effects[species, 0] + (0.4 + effects[species, 1]) * x
    write("phylogenetic_counts", pd.DataFrame({"count": rng.poisson(np.exp(eta)), "x": x,
                                               "species": names[species]}))
    OUT.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(tree, index=names, columns=names).to_csv(OUT / "cov_A.csv",
                                                           float_format="%.6g")
    write("phylogenetic_newdata", pd.DataFrame({"x": [-1.0, 0.0, 1.0],
                                                "phylo": names[[0, 5, 29]],
                                                "species": names[[0, 5, 29]]}))


def frechet():
    """Frechet responses of mean exp(eta) and shape 4, brms's parametrisation (Stan's scale
    mean / gamma(1 - 1 / nu)), drawn through the inverse cdf."""
    rng = np.random.default_rng(194)
    gi, lv = groups(rng)
    x = rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.5, size=lv.size)
    nu = 4.0
    scale = np.exp(1.0 + 0.4 * x + u[gi]) / math.gamma(1 - 1 / nu)
    y = scale * (-np.log(rng.uniform(size=gi.size))) ** (-1 / nu)
    # the same responses observed until a uniform 2 to 8, right-censored there (1)
    followup = rng.uniform(2.0, 8.0, size=gi.size)
    write("frechet", pd.DataFrame({"y": y, "x": x, "g": lv[gi], "time": np.minimum(y, followup),
                                   "censored": (y > followup).astype(int)}))


def ordinal_disc():
    """Ratings 1..4 of a cumulative probit model whose discrimination varies with ``z``
    (brms's ``disc``, log link: the latent scale's sd is 1 / disc), and rows to predict for."""
    rng = np.random.default_rng(195)
    gi, lv = groups(rng)
    x, z = rng.normal(size=gi.size), rng.normal(size=gi.size)
    u = rng.normal(0.0, 0.5, size=lv.size)
    latent = 0.8 * x + u[gi] + rng.normal(size=gi.size) / np.exp(0.5 * z)
    rating = 1 + (latent[:, None] > np.array([-0.8, 0.2, 1.2])[None, :]).sum(axis=1)
    write("ordinal_disc", pd.DataFrame({"rating": rating, "x": x, "z": z, "g": lv[gi]}))
    write("ordinal_disc_newdata", pd.DataFrame({"x": [-1.0, 0.0, 1.0, 0.5],
                                                "z": [-1.5, 0.0, 1.5, 0.0],
                                                "g": [lv[0], lv[0], lv[3], lv[7]]}))


if __name__ == "__main__":
    for make in (bernoulli, binomial, poisson, poisson_offset, negbinomial, student, gamma,
                 lognormal, beta, gaussian_weights, meta, censored, survival, gaussian_slopes,
                 zero_inflated_poisson, zero_inflated_negbinomial, zero_inflated_binomial,
                 hurdle_poisson, hurdle_negbinomial, hurdle_lognormal, hurdle_gamma,
                 zero_inflated_beta, zero_one_inflated_beta, monotonic, cumulative, growth_ar,
                 growth_gaps, growth_unstr, growth_waves, smooth, categorical, truncated,
                 nonlinear, delayed_entry, grouped_by, monotonic_interaction, beta_binomial,
                 inverse_gaussian, imputed, quantile,
                 zero_inflated_beta_binomial, mixture, mixture_poisson,
                 mixture_theta, von_mises, dirichlet, multinomial, phylogenetic, frechet,
                 ordinal_disc, geometric, smooth_by, smooth_by_numeric, sparse,
                 ordered_dose, growth_spline):
        make()
    (OUT / "truth.json").write_text(json.dumps(TRUTH, indent=1, sort_keys=True) + "\n")
    for p in sorted(OUT.glob("*.csv")):
        print(p.name, p.stat().st_size, "bytes")

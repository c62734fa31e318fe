"""Comparisons of our fits and prior tables with brms reference fits."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
from scipy import stats

import multilevel as ml

SHARED = Path(__file__).resolve().parents[2] / "shared"
REFERENCE_DIR = SHARED / "reference"
FAMILY_REFERENCE_DIR = Path(__file__).resolve().parent / "reference" / "families"


def user_priors(name: str) -> list | None:
    """The user priors a reference was fitted with (run_all.sh), or None for brms's
    defaults: bounds on a class, the slope's upper bound 8 cutting into its posterior
    (10.5, sd 1.5, without it)."""
    import multilevel as ml

    priors = {"sleep_bounded": [ml.prior("normal(0, 10)", class_="b", ub=8),
                                ml.prior("normal(250, 50)", class_="Intercept", lb=0)],
              # brms's constant(): the slope and sigma held, the rest sampled
              "sleep_constant": [ml.prior("constant(10)", class_="b", coef="Days"),
                                 ml.prior("constant(25)", class_="sigma")],
              # the regularised horseshoe on all coefficients, scaled by sigma (autoscale), and
              # on a logistic regression's with brms's par_ratio
              "horseshoe": [ml.prior("horseshoe(1)", class_="b")],
              "horseshoe_logit": [ml.prior("horseshoe(df = 3, par_ratio = 0.2)", class_="b")],
              # the R2D2 prior, scaled by sigma, with one concentration for all shares; on a
              # logistic regression (not scaled); the lasso on a logistic regression
              "r2d2": [ml.prior("R2D2(mean_R2 = 0.3, prec_R2 = 3, cons_D2 = 0.5)",
                                class_="b")],
              "r2d2_logit": [ml.prior("R2D2(mean_R2 = 0.3, prec_R2 = 4)", class_="b")],
              "lasso_logit": [ml.prior("lasso(df = 2, scale = 0.5)", class_="b")],
              # bf(center = FALSE): a prior on the intercept itself, a b coefficient
              "sleep_uncentred": [ml.prior("normal(250, 20)", class_="b", coef="Intercept")],
              # brms's ?brm example 4, on every b and cs() coefficient
              "inhaler_cs": [ml.prior("normal(0, 5)", class_="b")],
              "nonlinear": [ml.prior("normal(5, 2)", nlpar="b1"),
                            ml.prior("normal(0, 1)", nlpar="b2")],
              # Pinheiro & Bates's logistic growth of the orange trees, their start values
              # as prior means
              "orange_logistic": [ml.prior("normal(200, 50)", nlpar="Asym"),
                                  ml.prior("normal(700, 200)", nlpar="xmid"),
                                  ml.prior("normal(350, 100)", nlpar="scal")]}
    return priors.get(name)


def fit_with_warnings(*args, **kwargs):
    """``ml.brm(*args, **kwargs)`` and the messages of the warnings it gave."""
    import multilevel as ml

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = ml.brm(*args, **kwargs)
    return fit, [str(w.message) for w in caught]


def load_reference(name: str, directory: Path = REFERENCE_DIR) -> dict:
    return json.loads((directory / f"{name}.json").read_text())


def reference_variables(fit, reference: dict) -> list[str]:
    """Our posterior summary's variables that a brms reference summarises, in our order:
    without the centred intercepts, which brms 2.18 drops from its draws, and without lprior
    where the reference was made before make_reference.R kept it."""
    kept = {row["variable"] for row in reference["summary"]}
    return [name for name in fit.posterior_summary().index
            if not name.startswith("Intercept") and (name != "lprior" or name in kept)]


def reference_formula(reference: dict):
    """A reference's formula as ``ml.bf()`` writes it: with its parameters' formulas and
    held values (non-linear where brms's was ``nl = TRUE``, uncentred where it was ``center =
    FALSE``), else the text alone."""
    import multilevel as ml

    dpars = reference.get("dpars") or {}
    fixed = reference.get("fixed") or {}
    center = reference.get("center") is not False
    if not dpars and not fixed and center:
        return reference["formula"]
    return ml.bf(reference["formula"], nl=bool(reference.get("nl")), center=center, **dpars,
                 **fixed)


def reference_family(reference: dict):
    """A reference's family: its name and link, or a mixture's components as R gave them
    (``mixture(poisson, Gamma(link = 'log'))``)."""
    if reference["family"] != "mixture":
        return ml.get_family(reference["family"], reference["link"])
    inside = reference["family_r"].strip()[len("mixture("):-1]
    components = []
    for part in re.findall(r"\w+(?:\([^)]*\))?", inside):
        name, _, arguments = part.partition("(")
        link = re.search(r"link\s*=\s*['\"]([^'\"]+)['\"]", arguments)
        components.append(ml.get_family(name, link.group(1) if link else None))
    return ml.mixture(*components)


def reference_data(reference: dict):
    """A family reference's data: its CSV file (its ordered factors as brms took them), or
    the shipped dataset it names (whose factors keep R's level order)."""
    import multilevel as ml

    if reference["data"].endswith(".csv"):
        return with_ordered_factors(
            pd.read_csv(FAMILY_REFERENCE_DIR / "data" / reference["data"]), reference)
    return ml.load_dataset(reference["data"])


def with_ordered_factors(frame: pd.DataFrame, reference: dict) -> pd.DataFrame:
    """``frame`` with the columns brms took as ordered factors (a reference's ``ordered``:
    column -> levels, make_reference.R) as ordered categoricals of those levels."""
    for column, levels in (reference.get("ordered") or {}).items():
        if column in frame.columns:
            frame[column] = pd.Categorical(frame[column], categories=levels, ordered=True)
    return frame


def reference_data2(reference: dict) -> dict | None:
    """A reference's ``data2``: for each ``gr(g, cov = A)`` of its formula, the matrix of
    ``data/cov_A.csv``, its first column the row names (make_reference.R)."""
    names = re.findall(r"\bcov\s*=\s*([A-Za-z.][\w.]*)", reference["formula"])
    return {name: pd.read_csv(FAMILY_REFERENCE_DIR / "data" / f"cov_{name}.csv", index_col=0)
            for name in names} or None


def fit_references(names: list[str], seed: int = 20261207) -> dict:
    """Each family reference of ``names`` fitted as brms fitted it (formula, data, family,
    ``data2``), with half brms's draws (the comparisons' tolerances follow both fits' ESS):
    name -> (reference, fit, the fit's warnings)."""
    fits = {}
    for name in names:
        reference = load_reference(name, FAMILY_REFERENCE_DIR)
        fit, messages = fit_with_warnings(reference_formula(reference),
                                          reference_data(reference),
                                          reference_family(reference), seed=seed,
                                          draws=500, warmup=500, progressbar=False,
                                          data2=reference_data2(reference))
        fits[name] = (reference, fit, messages)
    return fits


def reference_prior_table(reference: dict) -> pd.DataFrame:
    """Our ``get_prior()`` of a family reference's model and data."""
    return ml.get_prior(reference_formula(reference), reference_data(reference),
                        reference_family(reference), data2=reference_data2(reference))


def reference_imputations(reference: dict) -> list[pd.DataFrame]:
    """A ``brm_multiple()`` reference's data sets: its ``data`` pattern filled with 1, 2,
    ... (run_all.sh)."""
    pattern = reference["data"]
    return [pd.read_csv(FAMILY_REFERENCE_DIR / "data" / (pattern % k))
            for k in range(1, reference["imputations"] + 1)]


def reference_newdata(reference: dict) -> pd.DataFrame:
    """The new rows whose brms ``fitted()`` records a reference holds: its data's
    ``_newdata`` file (run_all.sh)."""
    stem = Path(reference["data"]).stem
    return with_ordered_factors(
        pd.read_csv(FAMILY_REFERENCE_DIR / "data" / f"{stem}_newdata.csv"), reference)


def _module_of(reference: dict) -> str:
    if reference.get("imputations"):
        return "multiple_imputation"
    if reference.get("ordered") or re.search(r"\b(ns|bs)\(", reference["formula"]):
        return "predictor_codings"
    if reference["family"] == "mixture":
        return "mixture"
    if reference.get("nl"):
        return "nonlinear"
    if re.search(r"\bs\(", reference["formula"]):
        return "smooth"
    if re.search(r"\b(ar|ma|arma|cosy)\(", reference["formula"]):
        return "autocor"
    if re.search(r"\btrunc\(", reference["formula"]):
        return "truncation"
    if reference["family"] in ("cumulative", "sratio", "cratio", "acat", "categorical"):
        return "ordinal"
    if reference["family"] in ("dirichlet", "multinomial"):
        return "compositional"
    if re.search(r"\bcov\s*=", reference["formula"]):
        return "level_covariance"
    if reference.get("dpars") or reference["family"].startswith(("zero_inflated", "hurdle")):
        return "zero_hurdle"
    return "families"


def family_reference_names(module: str) -> list[str]:
    """The family references fitted by one test module: ``families`` (test_families.py),
    ``zero_hurdle`` (zero-inflated, hurdle and distributional), ``ordinal``, ``autocor``
    (residual structures), ``smooth`` (``s()`` terms), ``truncation`` (``trunc()``) or
    ``nonlinear`` (``bf(..., nl = TRUE)``), ``multiple_imputation`` (``brm_multiple()``),
    ``mixture`` (``mixture()``), ``compositional`` (``dirichlet``, ``multinomial``),
    ``level_covariance`` (``gr(g, cov = A)``) or ``predictor_codings`` (ordered factors,
    R's ``ns()`` and ``bs()`` among the predictors)."""
    return [path.stem for path in sorted(FAMILY_REFERENCE_DIR.glob("*.json"))
            if _module_of(json.loads(path.read_text())) == module]


def _same_prior(ours: str, theirs: str) -> bool:
    """Equal distributions, numbers compared to 1e-9 (brms prints up to 13 digits)."""
    from multilevel.priors.distributions import parse_distribution

    a = parse_distribution(ours)
    b = parse_distribution(theirs.replace("lkj_corr_cholesky", "lkj"))
    return a.name == b.name and np.allclose(a.args, b.args, rtol=1e-9, atol=1e-12)


def prior_mismatches(ours: pd.DataFrame, brms_rows: list[dict]) -> list[str]:
    """Differences between our prior table and brms's (2.18 spells cor as L)."""
    problems = []
    ours = ours.fillna("")
    # a distributional or non-linear parameter's rows: brms writes one or the other
    ours_by_key = {(r["class"], r["coef"], r["group"], r["dpar"] or r["nlpar"]): r
                   for _, r in ours.iterrows()}
    brms_keys = set()
    class_priors = {(row["class"], row.get("dpar") or row.get("nlpar", "")): row["prior"]
                    for row in brms_rows if not row["coef"] and not row["group"]}
    for row in brms_rows:
        class_ = "cor" if row["class"] == "L" else row["class"]
        key = (class_, row["coef"], row["group"], row.get("dpar") or row.get("nlpar", ""))
        brms_keys.add(key)
        if key not in ours_by_key:
            problems.append(f"missing row {key}")
            continue
        mine = ours_by_key[key]
        expected = row["prior"]
        # brms's fitted prior tables leave a coefficient's row blank where it takes its
        # class's prior, and the class's row blank where that prior is flat
        if expected == "" and class_ in ("b", "ar", "ma", "cosy"):
            expected = class_priors.get((class_, key[3]), "") or "(flat)"
        elif expected == "" and not row["coef"] and not row["group"]:
            expected = "(flat)"  # get_prior()'s rows of a categorical family's classes
        if expected and not _same_prior(mine["prior"], expected):
            problems.append(f"{key}: ours {mine['prior']!r}, brms {expected!r}")
        if expected == "" and mine["source"] != "(vectorized)":
            problems.append(f"{key}: brms inherits the prior, ours has source {mine['source']}")
        if row["lb"] and str(mine["lb"]) != row["lb"]:
            problems.append(f"{key}: lb ours {mine['lb']!r}, brms {row['lb']!r}")
        if row.get("ub") and str(mine["ub"]) != row["ub"]:
            problems.append(f"{key}: ub ours {mine['ub']!r}, brms {row['ub']!r}")
    extra = set(ours_by_key) - brms_keys
    problems.extend(f"extra row {key}" for key in sorted(extra))
    return problems


def _relative_sd_error(per_chain: np.ndarray) -> float:
    """Monte Carlo standard error of the sd of ``per_chain`` (chains x draws), relative to
    the sd.

    The sample variance is the mean of the squared deviations, so its standard error is their
    sd over the square root of their own ESS (ArviZ's, which sees how slowly the tails are
    visited: it is often well below the draws' bulk and tail ESS); the sd's relative error is
    half the variance's.
    """
    squares = (per_chain - per_chain.mean()) ** 2
    ess = float(az.ess(squares, method="mean"))
    variance = squares.mean()
    if variance <= 0:
        return 0.0
    return float(squares.std() / np.sqrt(ess) / (2.0 * variance))


def posterior_mismatches(fit, brms_summary: list[dict], z: float | None = None) -> list[str]:
    """Parameters whose mean or sd differ from brms's by more than ``z`` combined Monte Carlo
    standard errors.

    The Monte Carlo standard error of each mean is sd / sqrt(bulk ESS); that of each sd is
    :func:`_relative_sd_error` times the sd; both fits' errors combine. By default ``z`` keeps
    the chance that any of the model's 2 x parameters comparisons of one correct fit fails at
    1 in 1000 (at least 4): a model with hundreds of group effects makes hundreds of
    comparisons.
    """
    if z is None:
        z = max(4.0, float(stats.norm.isf(0.0005 / (2 * len(brms_summary)))))
    ours = fit.posterior_summary()
    draws = fit.as_draws_df()
    problems = []
    for row in brms_summary:
        name = row["variable"]
        if name not in ours.index:
            problems.append(f"{name}: not in our posterior")
            continue
        mine = ours.loc[name]
        if "ess_bulk" not in row:
            # a constant in brms's draws (its ESS is NA), as sigma under se(): ours must be it
            if mine["Estimate"] != row["mean"] or mine["Est.Error"] != 0:
                problems.append(f"{name}: ours {mine['Estimate']:.4g} (sd "
                                f"{mine['Est.Error']:.3g}), brms the constant {row['mean']}")
            continue
        mcse = np.sqrt(row["sd"] ** 2 / row["ess_bulk"]
                       + mine["Est.Error"] ** 2 / mine["Bulk_ESS"])
        if abs(mine["Estimate"] - row["mean"]) > z * mcse:
            problems.append(
                f"{name}: mean ours {mine['Estimate']:.4g}, brms {row['mean']:.4g} "
                f"(|diff| {abs(mine['Estimate'] - row['mean']):.3g} > {z} x MCSE {mcse:.3g})"
            )
        chains = draws[".chain"].to_numpy()
        assert np.all(np.diff(chains) >= 0), "draws ordered by chain"
        relative = _relative_sd_error(draws[name].to_numpy().reshape(len(set(chains)), -1))
        # brms's draws are not in the reference; the same posterior has the same shape, so its
        # relative error is ours scaled by the two fits' effective sample sizes
        brms_relative = relative * np.sqrt(min(mine["Bulk_ESS"], mine["Tail_ESS"])
                                           / min(row["ess_bulk"], row["ess_tail"]))
        sd_error = np.hypot(mine["Est.Error"] * relative, row["sd"] * brms_relative)
        if abs(mine["Est.Error"] - row["sd"]) > z * sd_error:
            problems.append(
                f"{name}: sd ours {mine['Est.Error']:.4g}, brms {row['sd']:.4g} "
                f"(|diff| {abs(mine['Est.Error'] - row['sd']):.3g} > {z} x MCSE "
                f"{sd_error:.3g})"
            )
    return problems


# every reference ran brms's default: 4 chains of 1000 draws after 1000 of warmup
BRMS_DRAWS = 4000
# brms warns from an R-hat of 1.05 after its 4000 draws. The comparisons mostly run half as
# many, where a converged fit's largest R-hat over dozens of parameters passes 1.05 now and
# then (the categorical reference's long-tailed intercepts gave 1.016 to 1.06 over eight
# seeds); chains that have not met give more than this
CONVERGED_RHAT = 1.1
# how many times fewer effective draws per draw than brms's fit a parameter may have. In a
# hard posterior the ESS of one run varies several-fold: growth_ar's ar[1] has a bulk ESS of
# 167 in brms's 4000 draws (R-hat 1.023) and 51 to 195 in four runs of ours; one of its
# slopes and one of the categorical model's mu3 intercepts came four to five times below
# brms's per draw at the tests' seed
ESS_SHORTFALL = 10.0


def mixing_problems(fit, brms_summary: list[dict]) -> list[str]:
    """Parameters whose chains have not met (R-hat above :data:`CONVERGED_RHAT`) or that mix
    far worse than in brms's fit (bulk ESS per draw below brms's over :data:`ESS_SHORTFALL`).

    Unlike brms's warnings, which look at the ESS whatever the number of draws, this holds
    for a run of any length.
    """
    ours = fit.posterior_summary()
    posterior = fit.idata.posterior
    draws = posterior.sizes["chain"] * posterior.sizes["draw"]
    problems = []
    for row in brms_summary:
        name = row["variable"]
        if name not in ours.index:
            continue  # posterior_mismatches names it
        mine = ours.loc[name]
        if mine["Rhat"] > CONVERGED_RHAT:
            problems.append(f"{name}: R-hat {mine['Rhat']:.3f} > {CONVERGED_RHAT}")
        ours_rate, brms_rate = mine["Bulk_ESS"] / draws, row["ess_bulk"] / BRMS_DRAWS
        if ours_rate < brms_rate / ESS_SHORTFALL:
            problems.append(f"{name}: bulk ESS per draw ours {ours_rate:.3f}, "
                            f"brms {brms_rate:.3f}")
    return problems


def brms_efficiency(fit, brms_summary: list[dict]) -> float:
    """How many effective draws brms's fit has per effective draw of ours: the median over
    the parameters both report of the ratio of their bulk ESS (brms drew 4000 draws, with
    its own sampler's efficiency on the model)."""
    ours = fit.posterior_summary()
    ratios = [row["ess_bulk"] / ours.loc[row["variable"], "Bulk_ESS"] for row in brms_summary
              if row["variable"] in ours.index and row.get("ess_bulk")]
    return float(np.median(ratios))


def fitted_mismatches(chains: np.ndarray, records: list[dict],
                      efficiency: float = 2.0) -> list[str]:
    """brms's ``fitted()`` records (``row``, ``Estimate``, ``Est.Error``) that our draws of
    the same rows (chains x draws x rows) miss by four of both fits' Monte Carlo errors.
    brms's ESS of a row is ``efficiency`` times ours (:func:`brms_efficiency`; about twice,
    for twice our draws with a sampler as efficient)."""
    problems = []
    for record in records:
        values = chains[:, :, record["row"] - 1]
        ess = float(az.ess(values))
        mean, sd = values.mean(), values.std(ddof=1)
        error = np.hypot(sd / np.sqrt(ess), record["Est.Error"] / np.sqrt(efficiency * ess))
        if abs(mean - record["Estimate"]) >= 4 * error:
            where = " ".join([f"row {record['row']}", record.get("category", "")]).strip()
            problems.append(f"{where}: ours {mean:.4g}, brms {record['Estimate']:.4g} "
                            f"(4 x MCSE {4 * error:.3g})")
    return problems

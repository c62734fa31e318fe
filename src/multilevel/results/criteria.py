"""Model checking and comparison: pointwise log-likelihood, LOO, WAIC, Bayesian R², ICC."""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from ..errors import MultilevelError
from ..names import quantile_label
from .caller import warnings_at_callers_line
from .predict import PredictionRequest, linear_predictor, warn_if_first_data_set_only
from .psis import K_RELIABLE, PsisLoo, elpd_mcse, log_mean_exp, loo_expectation, psis_loo

# Above this many draws x observations the log-likelihood is computed when first needed
# rather than at fit time: it costs about 0.15 s per million values (hsb's 2.9e7 take 4 s,
# a fifth of the whole fit) and 8 MB of memory per million.
EAGER_LOG_LIK_LIMIT = 5_000_000


def pointwise_log_lik(fit) -> np.ndarray:
    """Log-likelihood of every observation under every draw, shape (draws, observations).

    Observation weights multiply the log-likelihood, a censored observation's is that of
    its censoring (a log CDF) and a truncated one's is given its bounds, as in brms's
    ``log_lik()``.
    """
    design = fit.design
    prediction = linear_predictor(fit, PredictionRequest())
    if prediction.autocor is not None and prediction.autocor.joint:
        # each row given the rest of its series, as brms's log_lik for such models
        return prediction.autocor.log_lik(design.y, prediction.eta, prediction.aux)
    truncation = None if design.truncation is None else design.truncation.bounds
    values = design.family.log_density(design.y, prediction.eta, prediction.aux, design.trials,
                                       design.censoring, truncation)
    if design.weights is not None:
        values = values * design.weights
    return values


def attach_log_lik(fit) -> xr.DataArray:
    """Store the pointwise log-likelihood in ``fit.idata.log_likelihood`` and return it."""
    # brms warns at every use, kept or not
    warn_if_first_data_set_only(fit)
    name = fit.design.spec.response
    if "log_likelihood" in fit.idata.groups() and name in fit.idata.log_likelihood:
        return fit.idata.log_likelihood[name]
    posterior = fit.idata.posterior
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    values = pointwise_log_lik(fit).reshape(chains, draws, -1)
    array = xr.DataArray(
        values,
        dims=("chain", "draw", "obs"),
        coords={"chain": posterior["chain"].values, "draw": posterior["draw"].values,
                "obs": np.arange(values.shape[2])},
        name=name,
    )
    dataset = xr.Dataset({name: array})
    if "log_likelihood" in fit.idata.groups():
        fit.idata.log_likelihood[name] = array
    else:
        fit.idata.add_groups(log_likelihood=dataset)
    return array


@dataclass(frozen=True)
class InformationCriterion:
    """An estimate of out-of-sample predictive accuracy: LOO or WAIC.

    Attributes
    ----------
    criterion
        ``"loo"`` or ``"waic"``.
    estimates
        Rows ``elpd_<criterion>``, ``p_<criterion>`` and ``<criterion>ic``/``waic``; columns
        ``Estimate`` and ``SE``, as brms prints them.
    pointwise
        One row per observation: ``elpd``, ``p`` and, for LOO, ``pareto_k``, ``n_eff`` and
        ``mcse_elpd_loo`` (loo's names).
    draws
        Number of posterior draws used.
    """

    criterion: str
    estimates: pd.DataFrame
    pointwise: pd.DataFrame
    draws: int

    @property
    def elpd(self) -> float:
        return float(self.estimates["Estimate"].iloc[0])

    @property
    def p(self) -> float:
        return float(self.estimates["Estimate"].iloc[1])

    @property
    def nobs(self) -> int:
        return len(self.pointwise)

    def _pareto_lines(self) -> list[str]:
        """The loo package's table of Pareto k values, or its line saying all are good."""
        if "pareto_k" not in self.pointwise:
            return []
        k = self.pointwise["pareto_k"].to_numpy()
        bins = [("(-Inf, 0.5]", "(good)", k <= 0.5),
                (" (0.5, 0.7]", "(ok)", (k > 0.5) & (k <= 0.7)),
                ("   (0.7, 1]", "(bad)", (k > 0.7) & (k <= 1)),
                ("   (1, Inf)", "(very bad)", k > 1)]
        see = "See help('pareto-k-diagnostic') for details."
        if not any(mask.any() for _, _, mask in bins[1:]):
            return ["", "All Pareto k estimates are good (k < 0.5).", see]
        # R formats each column to a common width, then prints it left-aligned
        counts = [str(int(mask.sum())) for _, _, mask in bins]
        shares = [f"{100 * mask.mean():.1f}" for _, _, mask in bins]
        count_width, share_width = max(map(len, counts)), max(map(len, shares))
        header = " " * 25 + "Count Pct."
        smallest = None
        if "n_eff" in self.pointwise:
            n_eff = self.pointwise["n_eff"].to_numpy()
            smallest = [f"{np.min(n_eff[mask]):.0f}" if mask.any() else "<NA>"
                        for _, _, mask in bins]
            header += "    Min. n_eff"
        lines = ["", "Pareto k diagnostic values:", header]
        for row, ((interval, label, _), count, share) in enumerate(
                zip(bins, counts, shares, strict=True)):
            line = f"{interval}   {label:<10} {count.rjust(count_width):<5} "
            share = f"{share.rjust(share_width)}%"
            if smallest is not None:
                # the column's header is "Pct.   ", seven wide
                share = f"{share:<7} {smallest[row]:<10}"
            lines.append(line + share)
        if not any(mask.any() for _, _, mask in bins[2:]):
            lines += ["", "All Pareto k estimates are ok (k < 0.7)."]
        return [*lines, see]

    def _summary_lines(self) -> list[str]:
        """What the loo package prints below the estimates: the Monte Carlo error of elpd_loo
        and the Pareto k table for LOO, the count of large p_waic for WAIC."""
        if self.criterion == "waic":
            p = self.pointwise["p_waic"].to_numpy()
            if not np.any(p > 0.4):
                return []
            count = int(np.sum(p > 0.4))
            return ["", f"{count} ({100 * count / len(p):.1f}%) p_waic estimates greater than "
                        "0.4. We recommend trying loo instead."]
        lines = []
        if "mcse_elpd_loo" in self.pointwise:
            mcse = elpd_mcse(self.pointwise["pareto_k"].to_numpy(),
                             self.pointwise["mcse_elpd_loo"].to_numpy())
            lines.append(f"Monte Carlo SE of elpd_loo is "
                         f"{'NA' if np.isnan(mcse) else f'{mcse:.1f}'}.")
        pareto = self._pareto_lines()
        return ["------", *lines, *pareto] if lines or pareto else []

    @property
    def heading(self) -> str:
        return f"Computed from {self.draws} by {self.nobs} log-likelihood matrix"

    def __repr__(self) -> str:
        return "\n".join([self.heading, "", *_r_table(self.estimates),
                          *self._summary_lines()])

    def _repr_html_(self) -> str:
        parts = [f"<div><p>{html.escape(self.heading)}</p>",
                 self.estimates.to_html(float_format=lambda v: f"{v:.1f}")]
        below = self._summary_lines()
        if below:
            parts.append("<pre>" + html.escape("\n".join(below).strip()) + "</pre>")
        return "".join(parts) + "</div>"


class LooComparison(pd.DataFrame):
    """:func:`loo_compare`'s table: a data frame with every column, printed as the loo package
    prints brms's comparison (``elpd_diff`` and ``se_diff`` to one decimal, in R's layout).

    Selecting from it gives a plain data frame, which prints what it holds.
    """

    SHOWN = ("elpd_diff", "se_diff")

    @property
    def _constructor(self):
        return pd.DataFrame

    def __repr__(self) -> str:
        # R formats the matrix's numbers to one common width, then left-aligns each column
        cells = {column: [f"{value:.1f}" for value in self[column]] for column in self.SHOWN}
        width = max(len(cell) for column in cells.values() for cell in column)
        padded = {column: [cell.rjust(width) for cell in values]
                  for column, values in cells.items()}
        return "\n".join(_r_lines(self.index, padded, "<"))

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return pd.DataFrame(self[list(self.SHOWN)]).to_html(float_format=lambda v: f"{v:.1f}")


def _r_lines(index, cells: dict[str, list[str]], align: str) -> list[str]:
    """A table of text cells as R prints a matrix: row names left-aligned, each column as wide
    as its header or widest cell and aligned by ``align`` (``">"`` or ``"<"``), one space
    between columns."""
    widths = {column: max(len(column), *map(len, values)) for column, values in cells.items()}
    names = [str(name) for name in index]
    first = max(map(len, names))
    lines = [" " * first + "".join(f" {c:{align}{widths[c]}}" for c in cells)]
    for row, name in enumerate(names):
        lines.append(name.ljust(first) + "".join(f" {cells[c][row]:{align}{widths[c]}}"
                                                 for c in cells))
    return lines


def _r_table(estimates: pd.DataFrame) -> list[str]:
    """The estimates as R prints loo's data frame: one decimal, right-aligned columns."""
    cells = {column: [f"{v:.1f}" if np.isfinite(v) else "NA" for v in estimates[column]]
             for column in estimates.columns}
    return _r_lines(estimates.index, cells, ">")


def _estimates(criterion: str, elpd_i: np.ndarray, p_i: np.ndarray) -> pd.DataFrame:
    n = len(elpd_i)

    def se(values: np.ndarray) -> float:
        # the loo package's standard error: sqrt(n * var) with R's var (ddof = 1)
        return float(np.sqrt(n * np.var(values, ddof=1))) if n > 1 else float("nan")

    ic_name = "looic" if criterion == "loo" else "waic"
    return pd.DataFrame(
        {"Estimate": [elpd_i.sum(), p_i.sum(), -2 * elpd_i.sum()],
         "SE": [se(elpd_i), se(p_i), 2 * se(elpd_i)]},
        index=[f"elpd_{criterion}", f"p_{criterion}", ic_name],
    )


def _criterion(name: str, elpd_i: np.ndarray, values: np.ndarray,
               **columns: np.ndarray) -> InformationCriterion:
    """The criterion ``name`` from its pointwise elpd and the log-likelihood draws ``values``
    (draws x observations): the effective number of parameters of each observation is its
    log pointwise predictive density less its elpd, as ArviZ and loo compute it."""
    lpd_i = log_mean_exp(values)
    p_i = lpd_i - elpd_i
    pointwise = pd.DataFrame({f"elpd_{name}": elpd_i, f"p_{name}": p_i, **columns})
    return InformationCriterion(name, _estimates(name, elpd_i, p_i), pointwise, values.shape[0])


def _log_lik_idata(fit) -> tuple[az.InferenceData, np.ndarray]:
    array = attach_log_lik(fit)
    values = array.values.reshape(-1, array.shape[-1])
    return fit.idata, values


def psis(fit) -> PsisLoo:
    """The pointwise PSIS-LOO results of ``fit``: the loo package's computation, through
    ArviZ's smoothing (:mod:`multilevel.results.psis`)."""
    log_lik = attach_log_lik(fit).to_numpy()
    with warnings.catch_warnings():
        # ArviZ's own Pareto k warning is replaced by brms's message in loo()
        warnings.simplefilter("ignore")
        # chains of several imputed data sets' fits: loo's efficiency 1, as brms's
        return psis_loo(log_lik, efficiency_from_chains=fit.imputations == 1)


def loo(fit, pointwise: PsisLoo) -> InformationCriterion:
    """Pareto-smoothed importance-sampling leave-one-out cross-validation, as brms's, from
    ``pointwise``, the fit's :func:`psis` results.

    Warns, as brms does, when observations have Pareto k above 0.7.
    """
    log_lik = attach_log_lik(fit).to_numpy()
    k = pointwise.pareto_k
    bad = int((k > 0.7).sum())
    if bad:
        warnings.warn(
            f"Found {bad} observation(s) with a pareto_k > 0.7 in model {fit.formula!r}: the "
            "PSIS-LOO estimate for them is unreliable; consider exact leave-one-out "
            "refits (fit.reloo()) or k-fold cross-validation (fit.kfold()).",
            UserWarning,
            stacklevel=3,
        )
    values = log_lik.reshape(-1, log_lik.shape[-1])
    return _criterion("loo", pointwise.elpd, values, pareto_k=k, n_eff=pointwise.n_eff,
                      mcse_elpd_loo=pointwise.mcse)


def waic(fit) -> InformationCriterion:
    """The widely applicable information criterion (through ArviZ)."""
    idata, values = _log_lik_idata(fit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = az.waic(idata, pointwise=True, var_name=fit.design.spec.response)
    return _criterion("waic", np.asarray(result.waic_i), values)


def model_criteria(fits: tuple, named_fits: dict, criterion: str,
                   caller: str) -> dict[str, InformationCriterion]:
    """Each model's criterion by its name (``model1``, ... for positional ones): kept by
    :meth:`~multilevel.Fit.add_criterion` or computed for fitted models (K-fold kept only,
    for ``loo_compare``), taken as given for results of ``loo()``, ``waic()``, ``kfold()``;
    an error unless there are two or more, all of the same observations."""
    entries = {f"model{k + 1}": f for k, f in enumerate(fits)}
    entries.update(named_fits)
    if len(entries) < 2:
        raise MultilevelError(f"{caller} needs at least two models.")
    results = {}
    for name, item in entries.items():
        kept = getattr(item, "criteria", {}).get(criterion)
        if isinstance(item, InformationCriterion):
            results[name] = item
        elif kept is not None:
            results[name] = kept
        elif criterion == "kfold" and caller == "loo_compare":
            # refitting is for the user to ask, as brms's loo_compare() leaves it
            raise MultilevelError(f"Model '{name}' does not contain a precomputed 'kfold' "
                                  "criterion: add it first, fit.add_criterion('kfold').")
        elif hasattr(item, criterion):
            results[name] = getattr(item, criterion)()
        else:
            raise MultilevelError(
                f"{name} is a {type(item).__name__}; {caller} takes fitted models or the "
                "results of their loo()/waic()/kfold()."
            )
    sizes = {name: r.nobs for name, r in results.items()}
    if len(set(sizes.values())) > 1:
        raise MultilevelError(
            "Models must be fitted to the same observations to be compared; numbers of "
            "observations: " + ", ".join(f"{n}: {s}" for n, s in sizes.items()) + "."
        )
    return results


@warnings_at_callers_line
def loo_compare(*fits, criterion: str = "loo", **named_fits) -> pd.DataFrame:
    """Compare models by expected log predictive density, as brms's ``loo_compare()``.

    Parameters
    ----------
    *fits, **named_fits
        Fitted models (or their ``loo()``/``waic()``/``kfold()``/``reloo()`` results);
        keyword names label the rows, positional ones are called ``model1``, ``model2``, ...
    criterion
        ``"loo"`` or ``"waic"``: what is computed for fitted models that do not hold it
        (:meth:`~multilevel.Fit.add_criterion`); ``"kfold"``: what the fitted models hold.

    Returns
    -------
    LooComparison
        A data frame of the models from best to worst with ``elpd_diff`` and ``se_diff``
        (difference to the best model and its standard error), then each model's own
        estimates; it prints the first two, as brms.
    """
    if criterion not in ("loo", "waic", "kfold"):
        raise MultilevelError(f"criterion must be 'loo', 'waic' or 'kfold', got {criterion!r}.")
    results = model_criteria(fits, named_fits, criterion, "loo_compare")
    kinds = {r.criterion for r in results.values()}
    if "kfold" in kinds and len(kinds) > 1:
        warnings.warn("Comparing LOO-CV to K-fold-CV. For a more accurate comparison use the "
                      "same number of folds or loo for all models compared.", UserWarning,
                      stacklevel=2)

    def elpd_i(result: InformationCriterion) -> np.ndarray:
        return result.pointwise[f"elpd_{result.criterion}"].to_numpy()

    order = sorted(results, key=lambda n: -results[n].elpd)
    best = elpd_i(results[order[0]])
    rows = []
    for name in order:
        result = results[name]
        # each model's own criterion names its columns: results of kfold() mix with loo()'s
        criterion, column = result.criterion, f"elpd_{result.criterion}"
        difference = elpd_i(result) - best
        n = len(difference)
        se_diff = float(np.sqrt(n * np.var(difference, ddof=1))) if name != order[0] else 0.0
        estimates = result.estimates
        rows.append({
            "elpd_diff": float(difference.sum()), "se_diff": se_diff,
            column: estimates["Estimate"].iloc[0], f"se_{column}": estimates["SE"].iloc[0],
            f"p_{criterion}": estimates["Estimate"].iloc[1],
            f"se_p_{criterion}": estimates["SE"].iloc[1],
            estimates.index[2]: estimates["Estimate"].iloc[2],
            f"se_{estimates.index[2]}": estimates["SE"].iloc[2],
        })
    return LooComparison(rows, index=order)


def _summary_row(values: np.ndarray, name: str, probs) -> pd.DataFrame:
    row = {"Estimate": values.mean(), "Est.Error": values.std(ddof=1)}
    for p in probs:
        row[quantile_label(p)] = float(np.quantile(values, p))
    return pd.DataFrame(row, index=[name])


def bayes_r2_draws(fit) -> np.ndarray:
    """Bayesian R² per draw: var(fitted) / (var(fitted) + var(residuals)), as brms."""
    if fit.design.categories:
        raise MultilevelError(f"bayes_R2() is not defined for ordinal or categorical models "
                              f"(family {fit.family.name!r}), as in brms; compare models with "
                              "loo().")
    fitted = fit.posterior_epred()
    residuals = fit.design.y[None, :] - fitted
    explained = fitted.var(axis=1, ddof=1)
    return explained / (explained + residuals.var(axis=1, ddof=1))


def bayes_r2(fit, summary: bool = True, probs=(0.025, 0.975)):
    """brms's ``bayes_R2()``: a one-row table ``R2``, or the draws when ``summary=False``."""
    draws = bayes_r2_draws(fit)
    return _summary_row(draws, "R2", probs) if summary else draws


def loo_r2_draws(fit, seed=None) -> np.ndarray:
    """LOO-adjusted R² draws, as brms's ``loo_R2()``: one minus the variance of the
    leave-one-out errors (the observations less their PSIS-LOO expected values) over the
    response's variance, under Bayesian-bootstrap weights of the observations (as many sets
    as draws, seeded by ``seed``), clipped to [-1, 1]."""
    if fit.design.categories:
        raise MultilevelError(f"loo_R2() is not defined for ordinal or categorical models "
                              f"(family {fit.family.name!r}); compare models with loo().")
    y = np.asarray(fit.design.y, dtype=float)
    expected, pareto_k = loo_expectation(attach_log_lik(fit).to_numpy(), fit.posterior_epred(),
                                         efficiency_from_chains=fit.imputations == 1)
    unreliable = int(np.sum(pareto_k > K_RELIABLE))
    if unreliable:
        # brms warns here through the loo package, in its words
        warnings.warn(f"Some Pareto k diagnostic values are too high ({unreliable} above "
                      f"{K_RELIABLE}) in loo_R2() of model {fit.formula!r}: its leave-one-out "
                      "predictions are unreliable.", UserWarning, stacklevel=4)
    errors = expected - y
    draws, rows = fit.idata.posterior.sizes["chain"] * fit.idata.posterior.sizes["draw"], len(y)
    weights = np.random.default_rng(seed).exponential(size=(draws, rows))
    weights /= weights.sum(axis=1, keepdims=True)

    def variance(values):
        return rows / (rows - 1) * (weights @ values**2 - (weights @ values) ** 2)

    return np.clip(1 - variance(errors) / variance(y), -1.0, 1.0)


def loo_r2(fit, summary: bool = True, probs=(0.025, 0.975), seed=None):
    """brms's ``loo_R2()``: a one-row table ``R2``, or the draws when ``summary=False``."""
    draws = loo_r2_draws(fit, seed)
    return _summary_row(draws, "R2", probs) if summary else draws


def _residual_variance(fit, group_variance: np.ndarray) -> np.ndarray:
    family, posterior = fit.family, fit.idata.posterior

    def draw(name: str) -> np.ndarray:
        if name not in posterior:
            raise MultilevelError(f"icc() of a {family.name} model needs the parameter "
                                  f"{name!r}, which this model lacks.")
        return posterior[name].values.reshape(-1)

    variance = None
    if family.latent_variance is not None:
        variance = family.latent_variance(family.link, draw, group_variance)
    if variance is None:
        raise MultilevelError(
            f"icc() has no latent residual variance for family {family.name!r} with link "
            f"{family.link!r}; it supports gaussian, student and lognormal (identity), "
            "bernoulli and binomial (logit, probit, cloglog), poisson, negbinomial and geometric "
            "(log) and gamma (log)."
        )
    return variance


def icc(fit, probs=(0.025, 0.975)) -> pd.DataFrame:
    """Intraclass correlation per grouping factor, with a posterior interval.

    For each grouping factor with a varying intercept: its intercept variance over the sum of
    all groups' intercept variances and the residual variance (on the latent scale for
    non-Gaussian families). Varying slopes do not enter, so with slopes this is the ICC at
    predictors equal to zero.
    """
    if fit.family.formula_parameters:
        per = "category" if fit.family.categorical else "component"
        raise MultilevelError(f"icc() needs the varying intercept of one mean; a "
                              f"{fit.family.label} model has a linear predictor per {per}.")
    posterior = fit.idata.posterior
    variances = {}
    for group in fit.names.groups:
        coefs = fit.design.group_sd_names(group)
        if coefs != fit.design.group_coefs(group):
            raise MultilevelError(
                f"icc() needs one intercept variance per grouping factor; {group!r} has one "
                "per level of its by column (gr(by = )).")
        for block in fit.design.blocks:
            if (block.group == group and "Intercept" in block.coefs
                    and block.cov_cholesky is not None
                    and not np.allclose(np.sum(block.cov_cholesky ** 2, axis=1), 1.0)):
                raise MultilevelError(
                    f"icc() needs one intercept variance per grouping factor; the levels of "
                    f"{group!r} have their own, sd^2 times the diagonal of data2's "
                    f"{block.cov!r}, which is not 1 throughout (a correlation matrix has "
                    "ones there).")
        if "Intercept" in coefs:
            sd = posterior[f"sd_{group}"].values.reshape(-1, len(coefs))
            variances[group] = sd[:, coefs.index("Intercept")] ** 2
    if not variances:
        raise MultilevelError(
            f"icc() needs a varying intercept, e.g. (1 | g); {fit.formula!r} has none."
        )
    total_group = np.sum(list(variances.values()), axis=0)
    total = total_group + _residual_variance(fit, total_group)
    return pd.concat([_summary_row(v / total, group, probs) for group, v in variances.items()])

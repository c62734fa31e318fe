"""brms's ``summary()`` layout, as text and as HTML for notebooks."""

from __future__ import annotations

import html
import math
import numbers
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import SettingsError
from ..inference.nuts import divergent_count
from ..inference.settings import SamplerSettings

TABLE_COLUMNS = ["Estimate", "Est.Error", "l-95% CI", "u-95% CI", "Rhat", "Bulk_ESS", "Tail_ESS"]


def interval_columns(prob: float) -> list[str]:
    """brms's names of the bounds of a central ``prob`` interval: ``l-90% CI``, ``u-90% CI``."""
    percent = format(100 * prob, ".15g")
    return [f"l-{percent}% CI", f"u-{percent}% CI"]


def interval_bounds(prob) -> tuple[float, float]:
    """The quantiles of a central ``prob`` interval, rounded so that 0.95 asks for exactly
    0.025 and 0.975; an error unless ``prob`` lies strictly between 0 and 1."""
    if (not isinstance(prob, numbers.Real) or isinstance(prob, bool)
            or not math.isfinite(prob) or not 0 < prob < 1):
        raise SettingsError(f"prob must be a number strictly between 0 and 1 (0.95 gives a "
                            f"95% interval), got {prob!r}.")
    return round((1 - prob) / 2, 12), round(1 - (1 - prob) / 2, 12)


def table_columns(prob: float = 0.95) -> list[str]:
    """The columns of brms's summary tables for a central ``prob`` interval."""
    return ["Estimate", "Est.Error", *interval_columns(prob), "Rhat", "Bulk_ESS", "Tail_ESS"]

# the classes of parameters whose R-hat brms 2.18's summary() checks (not the group-level
# effects r_, nor the centred Intercept), besides the family's parameters
_CHECKED_CLASSES = ("b", "bs", "bcs", "bsp", "bmo", "ar", "ma", "cosy", "sderr", "sd", "cor",
                    "sds", "simo")


def warn_as_brms_summary(rhat: pd.Series, idata, settings: SamplerSettings,
                         parameters: list[str]) -> None:
    """The warnings brms 2.18's ``summary()`` gives of a fit sampled by MCMC: R-hat above
    1.05 among the parameters it summarises (its classes and the family's ``parameters``),
    and divergent transitions after warmup (``adapt_delta`` is brms's name of
    ``target_accept``, which ``brm(control=)`` also takes)."""
    if settings.is_approximation:
        return
    divergent, target_accept = divergent_count(idata), settings.target_accept
    checked = re.compile(r"^(" + "|".join(map(re.escape, (*_CHECKED_CLASSES, *parameters)))
                         + r")(_|$|\[)")
    rhat = rhat[[bool(checked.match(name)) for name in rhat.index]]
    if np.any(rhat.to_numpy(dtype=float) > 1.05):
        warnings.warn("Parts of the model have not converged (some Rhats are > 1.05). Be "
                      "careful when analysing the results! We recommend running more "
                      "iterations and/or setting stronger priors.", UserWarning, stacklevel=3)
    if divergent:
        warnings.warn(f"There were {divergent} divergent transitions after warmup. Increasing "
                      f"adapt_delta above {target_accept:g} may help. See "
                      "http://mc-stan.org/misc/warnings.html#divergent-transitions-after-"
                      "warmup", UserWarning, stacklevel=3)


_FOOTER = (
    "Draws were sampled using NUTS ({backend}). For each parameter, Bulk_ESS\n"
    "and Tail_ESS are effective sample size measures, and Rhat is the potential\n"
    "scale reduction factor on split chains (at convergence, Rhat = 1)."
)
_APPROXIMATION_FOOTER = (
    "Draws were drawn from a {algorithm} approximation of the posterior ({backend}),\n"
    "not sampled by MCMC: estimates are approximate, and Rhat and ESS do not apply."
)


def _format_table(table: pd.DataFrame, columns: list[str]) -> list[str]:
    """Right-aligned columns with two decimals, ESS as integers, as R prints them."""
    cells = {}
    for column in columns:
        values = table[column]
        if column in ("Bulk_ESS", "Tail_ESS"):
            cells[column] = [("NA" if pd.isna(v) else str(int(round(v)))) for v in values]
        else:
            cells[column] = [("NA" if pd.isna(v) else f"{v:.2f}") for v in values]
    labels = [str(i) for i in table.index]
    label_width = max([len(label) for label in labels] + [0])
    widths = {c: max(len(c), *(len(s) for s in cells[c])) for c in columns}
    lines = [" " * label_width + " " + " ".join(c.rjust(widths[c]) for c in columns)]
    for row, label in enumerate(labels):
        lines.append(
            label.ljust(label_width)
            + " "
            + " ".join(cells[c][row].rjust(widths[c]) for c in columns)
        )
    return lines


@dataclass
class Summary:
    """What ``fit.summary()`` returns: prints as brms does and renders as HTML in Jupyter.

    Attributes
    ----------
    fixed
        Regression coefficients (``Intercept``, ``Days``) with the table columns.
    random
        Per grouping factor, its sd and cor rows.
    spec
        Further distributional parameters (``sigma``, ``shape``, ...).
    correlation
        A residual structure's parameters (``ar[1]``, ``cosy``), or None.
    splines
        The sds of smooth terms (``sds(sDays_1)``), or None.
    simplexes
        The simplexes of monotonic effects (``moincome1[1]``, ...), or None.
    prob
        The probability of the intervals (``l-95% CI``, ``u-95% CI`` at 0.95).
    """

    family: str
    links: str
    formula: str
    data_name: str
    nobs: int
    chains: int
    draws: int
    warmup: int
    backend: str
    fixed: pd.DataFrame
    random: dict[str, pd.DataFrame] = field(default_factory=dict)
    group_sizes: dict[str, int] = field(default_factory=dict)
    spec: pd.DataFrame | None = None
    algorithm: str = "sampling"
    correlation: pd.DataFrame | None = None
    splines: pd.DataFrame | None = None
    prob: float = 0.95
    simplexes: pd.DataFrame | None = None

    @property
    def columns(self) -> list[str]:
        return table_columns(self.prob)

    @property
    def footer(self) -> str:
        if self.algorithm == "sampling":
            return _FOOTER.format(backend=self.backend)
        return _APPROXIMATION_FOOTER.format(algorithm=self.algorithm, backend=self.backend)

    def _header(self) -> list[str]:
        if self.algorithm != "sampling":
            total = self.chains * self.draws
            return [
                f" Family: {self.family} ",
                f"  Links: {self.links} ",
                f"Formula: {self.formula} ",
                f"   Data: {self.data_name} (Number of observations: {self.nobs}) ",
                f"Algorithm: {self.algorithm} (approximate posterior)",
                f"  Draws: 1 chains, each with iter = {total}; warmup = 0; thin = 1;",
                f"         total post-warmup draws = {total}",
            ]
        iterations = self.draws + self.warmup
        return [
            f" Family: {self.family} ",
            f"  Links: {self.links} ",
            f"Formula: {self.formula} ",
            f"   Data: {self.data_name} (Number of observations: {self.nobs}) ",
            f"  Draws: {self.chains} chains, each with iter = {iterations}; warmup = "
            f"{self.warmup}; thin = 1;",
            f"         total post-warmup draws = {self.chains * self.draws}",
        ]

    def _sections(self):
        if self.splines is not None and len(self.splines):
            yield "Smoothing Spline Hyperparameters:", [(None, self.splines)]
        if self.correlation is not None and len(self.correlation):
            yield "Correlation Structures:", [(None, self.correlation)]
        if self.random:
            yield "Multilevel Hyperparameters:", [
                (f"~{group} (Number of levels: {self.group_sizes[group]}) ", table)
                for group, table in self.random.items()
            ]
        yield "Regression Coefficients:", [(None, self.fixed)]
        if self.simplexes is not None and len(self.simplexes):
            yield "Monotonic Simplex Parameters:", [(None, self.simplexes)]
        if self.spec is not None and len(self.spec):
            yield "Further Distributional Parameters:", [(None, self.spec)]

    def __str__(self) -> str:
        lines = self._header() + [""]
        for title, tables in self._sections():
            lines.append(title)
            for caption, table in tables:
                if caption:
                    lines.append(caption)
                lines.extend(_format_table(table, self.columns))
                lines.append("")
        lines.append(self.footer)
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        parts = ["<div><pre style='margin:0'>" + html.escape("\n".join(self._header()))
                 + "</pre>"]
        for title, tables in self._sections():
            parts.append(f"<p><b>{html.escape(title)}</b></p>")
            for caption, table in tables:
                if caption:
                    parts.append(f"<p><i>{html.escape(caption)}</i></p>")
                shown = table[self.columns].copy()
                for column in ("Bulk_ESS", "Tail_ESS"):
                    shown[column] = shown[column].round().astype("Int64")
                parts.append(shown.to_html(float_format=lambda v: f"{v:.2f}"))
        parts.append("<pre>" + html.escape(self.footer) + "</pre></div>")
        return "".join(parts)

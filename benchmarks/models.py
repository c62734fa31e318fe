"""The benchmark's models: formula, family, data file and grouping factors.

This module is read by ``run.py`` only; the per-tool scripts in ``tools/`` get everything
they need in a JSON job file, so that bambi's environment and R need nothing from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import simulate

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DATA = ROOT / "src" / "multilevel" / "data"


@dataclass(frozen=True)
class Benchmark:
    """One model fitted by every tool.

    Attributes
    ----------
    name
        Short name used on the command line and in the results.
    formula
        lme4/brms formula; bambi reads the same string.
    family
        ``"gaussian"`` or ``"bernoulli"``: the same word in every tool (lme4 fits
        ``"bernoulli"`` with ``glmer(family = binomial)``).
    data
        File name, in the folder that ``source`` names.
    factors
        Columns every tool turns into unordered categorical columns before fitting: the
        grouping factors, and categorical predictors whose CSV values look numeric (InstEval's
        ``service`` is written as 0 and 1, but is a factor in R, so lme4 and brms name its
        coefficient ``service1``; read as a number it would be ``service``).
    description
        One line for the report.
    source
        Where ``data`` lives: ``"package"`` in the package's data folder, ``"benchmarks"``
        committed in ``benchmarks/data/``, ``"simulated"`` written to ``benchmarks/data/`` by
        ``simulate.py`` on first use.
    """

    name: str
    formula: str
    family: str
    data: str
    factors: tuple[str, ...]
    description: str
    source: str = "package"

    def data_path(self) -> Path:
        """The CSV file all tools read, simulated first if it does not exist yet."""
        if self.source == "simulated":
            return simulate.ensure(self.data)
        if self.source == "benchmarks":
            return simulate.DATA_DIR / self.data
        return PACKAGE_DATA / self.data


MODELS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark("sleepstudy", "Reaction ~ Days + (Days | Subject)", "gaussian",
                  "sleepstudy.csv", ("Subject",),
                  "lme4's sleepstudy: 180 rows, 18 subjects"),
        Benchmark("hsb", "mathach ~ ses * himinty + (ses | school)", "gaussian",
                  "hsb.csv", ("school",),
                  "High School and Beyond: 7,185 pupils in 160 schools"),
        Benchmark("crossed_bernoulli", "y ~ x + (1 | subject) + (1 | item)", "bernoulli",
                  "crossed_bernoulli.csv", ("subject", "item"),
                  "simulated: 8,000 rows, 200 subjects x 40 items, fully crossed",
                  source="simulated"),
        Benchmark("insteval", "y ~ service + (1 | s) + (1 | d) + (1 | dept)", "gaussian",
                  "insteval.csv", ("s", "d", "dept", "service"),
                  "lme4's InstEval: 73,421 ratings, 2,972 students x 1,128 lecturers, "
                  "14 departments", source="benchmarks"),
        Benchmark("insteval_like", "y ~ service + (1 | s) + (1 | d) + (1 | dept)", "gaussian",
                  "insteval_like.csv", ("s", "d", "dept", "service"),
                  "simulated with InstEval's shape: 73,421 rows, 2,972 x 1,128 x 14 levels",
                  source="simulated"),
        Benchmark("million", "y ~ x + (1 + x | a) + (1 | b)", "gaussian",
                  "million.csv", ("a", "b"),
                  "simulated: 1,000,000 rows, 10,000 levels with correlated intercepts and "
                  "slopes crossed with 2,000 levels", source="simulated"),
    )
}

# Models a run without --models leaves out, each run on its own (see README.md): a million
# rows take bambi and brms far beyond any sensible timeout, and the simulated InstEval
# repeats the real one's cost, kept only to compare with results measured on it.
OWN_RUN_MODELS = ("insteval_like", "million")
DEFAULT_MODELS = tuple(name for name in MODELS if name not in OWN_RUN_MODELS)

# Models small enough for --quick, the smoke test of the runner itself.
QUICK_MODELS = ("sleepstudy", "hsb")

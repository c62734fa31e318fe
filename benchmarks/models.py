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
        ``"gaussian"`` or ``"bernoulli"``: the same word in all three tools.
    data
        File name, in the package's data folder or in ``benchmarks/data/`` when simulated.
    factors
        Grouping columns; every tool turns them into categorical columns before fitting.
    description
        One line for the report.
    simulated
        Whether ``simulate.py`` makes the data.
    """

    name: str
    formula: str
    family: str
    data: str
    factors: tuple[str, ...]
    description: str
    simulated: bool = False

    def data_path(self) -> Path:
        """The CSV file all tools read, simulated first if it does not exist yet."""
        if self.simulated:
            return simulate.ensure(self.data)
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
                  "simulated: 8,000 rows, 200 subjects x 40 items, fully crossed", simulated=True),
        Benchmark("insteval", "y ~ service + (1 | s) + (1 | d) + (1 | dept)", "gaussian",
                  "insteval_like.csv", ("s", "d", "dept"),
                  "simulated with InstEval's shape: 73,421 rows, 2,972 x 1,128 x 14 levels",
                  simulated=True),
    )
}

# Models small enough for --quick, the smoke test of the runner itself.
QUICK_MODELS = ("sleepstudy", "hsb")

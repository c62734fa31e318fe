"""Simulate the benchmark's synthetic data sets and write them as CSV.

Every tool reads the same CSV file, so the three fits see identical numbers. The files are
made on demand (``python benchmarks/simulate.py``, or by ``run.py`` when one is missing)
rather than committed: the million-row one is about 30 MB. The seeds are fixed, and
``run.py`` records each file's SHA-256 so that two runs can be checked to have used the
same data. lme4's real InstEval data is not simulated: it is committed as
``benchmarks/data/insteval.csv`` (see ``benchmarks/data/README.md``).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data"


def crossed_bernoulli(seed: int = 20240501) -> pd.DataFrame:
    """A bernoulli response with two fully crossed factors: 200 subjects x 40 items.

    Parameters
    ----------
    seed
        Seed of the generator.

    Returns
    -------
    DataFrame
        8,000 rows with columns ``y`` (0/1), ``x`` (standard normal), ``subject`` and
        ``item``; logit P(y = 1) = -0.5 + 0.8 x + u_subject + v_item with sd(u) = 1.0 and
        sd(v) = 0.5.
    """
    rng = np.random.default_rng(seed)
    n_a, n_b = 200, 40
    a = np.repeat(np.arange(n_a), n_b)
    b = np.tile(np.arange(n_b), n_a)
    x = rng.normal(size=a.size)
    eta = -0.5 + 0.8 * x + rng.normal(0.0, 1.0, n_a)[a] + rng.normal(0.0, 0.5, n_b)[b]
    y = rng.binomial(1, 1.0 / (1.0 + np.exp(-eta)))
    return pd.DataFrame({
        "y": y,
        "x": np.round(x, 6),
        "subject": [f"s{i:03d}" for i in a],
        "item": [f"i{i:02d}" for i in b],
    })


def insteval_like(seed: int = 20240502) -> pd.DataFrame:
    """A gaussian response with InstEval's size and crossed structure.

    lme4's InstEval has 73,421 ratings by 2,972 students (``s``) of 1,128 instructors (``d``)
    in 14 departments (``dept``), with a lecture-service indicator. The sizes are copied;
    the effects are close to lme4's estimates for ``y ~ service + (1|s) + (1|d) + (1|dept)``.

    Parameters
    ----------
    seed
        Seed of the generator.

    Returns
    -------
    DataFrame
        73,421 rows with columns ``y``, ``service`` (0/1), ``s``, ``d`` and ``dept``; every
        level of every factor occurs at least once. Each instructor has a home department
        that 90% of their ratings fall in; the rest fall in any department, so ``d`` and
        ``dept`` are crossed rather than nested.
    """
    rng = np.random.default_rng(seed)
    n, n_s, n_d, n_dept = 73_421, 2_972, 1_128, 14
    # A permutation first, so that no level is missing, then draws with unequal
    # frequencies as in the real data, where some students and instructors dominate.
    s = np.concatenate([rng.permutation(n_s),
                        rng.choice(n_s, n - n_s, p=rng.dirichlet(np.full(n_s, 2.0)))])
    d = np.concatenate([rng.permutation(n_d),
                        rng.choice(n_d, n - n_d, p=rng.dirichlet(np.full(n_d, 1.0)))])
    order = rng.permutation(n)
    s, d = s[order], d[order]
    home = np.concatenate([np.arange(n_dept), rng.integers(0, n_dept, n_d - n_dept)])
    home = rng.permutation(home)
    dept = np.where(rng.random(n) < 0.9, home[d], rng.integers(0, n_dept, n))
    service = rng.binomial(1, 0.43, n)
    mu = (3.22 - 0.07 * service + rng.normal(0.0, 0.33, n_s)[s] + rng.normal(0.0, 0.52, n_d)[d]
          + rng.normal(0.0, 0.08, n_dept)[dept])
    y = mu + rng.normal(0.0, 1.18, n)
    return pd.DataFrame({
        "y": np.round(y, 6),
        "service": service,
        "s": [f"s{i:04d}" for i in s],
        "d": [f"d{i:04d}" for i in d],
        "dept": [f"dept{i:02d}" for i in dept],
    })


def million(seed: int = 20240504, n: int = 1_000_000, n_a: int = 10_000,
            n_b: int = 2_000) -> pd.DataFrame:
    """A gaussian response with a million rows, a correlated random slope and a crossed factor.

    The model is ``y ~ x + (1 + x | a) + (1 | b)``: ``a`` has 10,000 levels (100 rows each on
    average, like pupils in schools or visits of patients), each with its own intercept and
    slope, correlated; ``b`` has 2,000 levels crossed with ``a`` (500 rows each on average).
    The effects are of the size such data show: a slope that varies between groups by about
    half its mean, and residual noise larger than any group effect.

    Parameters
    ----------
    seed
        Seed of the generator.
    n, n_a, n_b
        Rows and levels of ``a`` and ``b``; smaller values give a data set of the same
        design for tests.

    Returns
    -------
    DataFrame
        ``n`` rows with columns ``y``, ``x`` (standard normal), ``a`` and ``b``;
        y = 2.0 + 0.5 x + u_a + v_a x + w_b + e with sd(u) = 0.8, sd(v) = 0.3,
        cor(u, v) = 0.4, sd(w) = 0.5 and sd(e) = 1.0. Every level of ``a`` and ``b`` occurs.
    """
    rng = np.random.default_rng(seed)
    # A permutation first, so that no level is missing, then draws with mildly unequal
    # frequencies: real groups are never all the same size.
    a = np.concatenate([rng.permutation(n_a),
                        rng.choice(n_a, n - n_a, p=rng.dirichlet(np.full(n_a, 5.0)))])
    b = np.concatenate([rng.permutation(n_b),
                        rng.choice(n_b, n - n_b, p=rng.dirichlet(np.full(n_b, 5.0)))])
    a, b = a[rng.permutation(n)], b[rng.permutation(n)]
    sd_u, sd_v, cor = 0.8, 0.3, 0.4
    cov = np.array([[sd_u**2, cor * sd_u * sd_v], [cor * sd_u * sd_v, sd_v**2]])
    uv = rng.multivariate_normal(np.zeros(2), cov, n_a)
    w = rng.normal(0.0, 0.5, n_b)
    x = rng.normal(size=n)
    y = 2.0 + 0.5 * x + uv[a, 0] + uv[a, 1] * x + w[b] + rng.normal(0.0, 1.0, n)
    # Categorical columns write their labels without a million Python strings being made.
    labels_a = pd.Categorical.from_codes(a, [f"a{i:05d}" for i in range(n_a)])
    labels_b = pd.Categorical.from_codes(b, [f"b{i:04d}" for i in range(n_b)])
    return pd.DataFrame({"y": np.round(y, 5), "x": np.round(x, 5), "a": labels_a,
                         "b": labels_b})


def warmup(seed: int = 20240503) -> pd.DataFrame:
    """A tiny gaussian data set, 100 rows in 10 groups, for the runner's untimed warm-up fit.

    Parameters
    ----------
    seed
        Seed of the generator.

    Returns
    -------
    DataFrame
        Columns ``y``, ``x`` and ``g`` for ``y ~ x + (1 | g)``.
    """
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(10), 10)
    x = rng.normal(size=g.size)
    y = 1.0 + 0.5 * x + rng.normal(0.0, 0.7, 10)[g] + rng.normal(size=g.size)
    return pd.DataFrame({"y": np.round(y, 6), "x": np.round(x, 6),
                         "g": [f"g{i}" for i in g]})


SIMULATORS = {
    "crossed_bernoulli.csv": crossed_bernoulli,
    "insteval_like.csv": insteval_like,
    "million.csv": million,
    "warmup.csv": warmup,
}


def sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, to tell whether two runs read the same data."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure(name: str, force: bool = False) -> Path:
    """Write the simulated data set ``name`` to ``benchmarks/data/`` unless it exists.

    Parameters
    ----------
    name
        A key of ``SIMULATORS``, e.g. ``"crossed_bernoulli.csv"``.
    force
        Write it again even when the file exists.

    Returns
    -------
    Path
        The CSV file.
    """
    path = DATA_DIR / name
    if force or not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        frame = SIMULATORS[name]()
        # Written to a temporary name first so an interrupted run leaves no half file behind.
        partial = path.with_suffix(".partial")
        frame.to_csv(partial, index=False)
        partial.replace(path)
    return path


def main() -> None:
    """Write every simulated data set that is missing (all of them with ``--force``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rewrite existing files")
    args = parser.parse_args()
    for name in SIMULATORS:
        path = ensure(name, force=args.force)
        rows = sum(1 for _ in path.open()) - 1
        print(f"{path}: {rows} rows, sha256 {sha256(path)[:16]}")


if __name__ == "__main__":
    main()

"""Posterior draws of a normal model's mean and sd, and its data, for make_reference.R.

Four chains of 500 autocorrelated draws (AR(1), as MCMC gives) and 30 observations, two of
them far out so that some Pareto k exceed 0.5 and 0.7.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
rng = np.random.default_rng(20261203)
chains, draws = 4, 500
rows = []
for chain in range(chains):
    mu, log_sigma = 0.0, 0.0
    for _ in range(draws):
        mu = 0.6 * mu + 0.8 * rng.normal(0, 0.2)
        log_sigma = 0.5 * log_sigma + 0.87 * rng.normal(0, 0.13)
        rows.append((chain + 1, mu, np.exp(log_sigma)))
pd.DataFrame(rows, columns=["chain", "mu", "sigma"]).to_csv(HERE / "draws.csv", index=False,
                                                            float_format="%.10g")
y = np.concatenate([rng.normal(0, 1, 28), [3.6, -4.4]])
pd.DataFrame({"y": y}).to_csv(HERE / "data.csv", index=False, float_format="%.10g")

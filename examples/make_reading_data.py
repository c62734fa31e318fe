"""Simulate the ``reading`` dataset shipped with multilevel (src/multilevel/data/reading.csv).

Reading scores of pupils measured at four yearly waves (time 0-3), pupils nested in schools:
the three-level growth model of a second course in multilevel modelling, with a pupil-level
predictor (``frl``: free or reduced-price lunch), a school-level one (``size``: enrolment in
hundreds, centred) and AR(1) residuals within pupils. The values below are the truth a fit
should recover. Re-running reproduces the file byte for byte:

    python examples/make_reading_data.py
"""
from pathlib import Path

import numpy as np
import pandas as pd

TRUTH = {
    "b_Intercept": 50.0, "b_time": 5.0, "b_frl": -4.0, "b_size": 1.0, "b_time:frl": -0.8,
    "b_time:size": 0.3, "sd_pupil__Intercept": 6.0, "sd_pupil__time": 1.5,
    "cor_pupil__Intercept__time": 0.3, "sd_school__Intercept": 3.0, "sd_school__time": 0.8,
    "cor_school__Intercept__time": -0.2, "ar[1]": 0.3, "sigma": 4.0,
}
OUT = Path(__file__).resolve().parents[1] / "src" / "multilevel" / "data" / "reading.csv"


def correlated(rng, size, sd_intercept, sd_slope, cor):
    sd = np.array([sd_intercept, sd_slope])
    covariance = np.outer(sd, sd) * np.array([[1.0, cor], [cor, 1.0]])
    return rng.multivariate_normal(np.zeros(2), covariance, size=size)


def main():
    rng = np.random.default_rng(2026)
    n_schools, waves = 40, 4
    school_size = np.round(rng.normal(0.0, 2.0, size=n_schools), 1)
    school_effect = correlated(rng, n_schools, TRUTH["sd_school__Intercept"],
                               TRUTH["sd_school__time"], TRUTH["cor_school__Intercept__time"])
    rows = []
    for school in range(n_schools):
        for pupil in range(int(rng.integers(15, 36))):
            frl = int(rng.uniform() < 0.4)
            effect = correlated(rng, 1, TRUTH["sd_pupil__Intercept"], TRUTH["sd_pupil__time"],
                                TRUTH["cor_pupil__Intercept__time"])[0]
            residual = np.empty(waves)
            residual[0] = rng.normal(0.0, TRUTH["sigma"] / np.sqrt(1 - TRUTH["ar[1]"] ** 2))
            for t in range(1, waves):
                residual[t] = TRUTH["ar[1]"] * residual[t - 1] + rng.normal(0.0, TRUTH["sigma"])
            for t in range(waves):
                mean = (TRUTH["b_Intercept"] + TRUTH["b_time"] * t + TRUTH["b_frl"] * frl
                        + TRUTH["b_size"] * school_size[school]
                        + TRUTH["b_time:frl"] * t * frl + TRUTH["b_time:size"] * t
                        * school_size[school] + school_effect[school, 0] + effect[0]
                        + (school_effect[school, 1] + effect[1]) * t)
                rows.append({"school": f"sch{school + 1:02d}",
                             "pupil": f"sch{school + 1:02d}-p{pupil + 1:02d}", "time": t,
                             "frl": frl, "size": school_size[school],
                             "score": round(mean + residual[t], 1)})
    frame = pd.DataFrame(rows)
    # a tenth of the measurements are missed, as in any panel
    frame = frame[rng.uniform(size=len(frame)) > 0.1].reset_index(drop=True)
    frame.to_csv(OUT, index=False)
    print(f"wrote {OUT} ({len(frame)} rows, {frame['pupil'].nunique()} pupils)")


if __name__ == "__main__":
    main()

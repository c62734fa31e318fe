"""Fit one benchmark model with multilevel and write its timings and diagnostics as JSON.

usage: python fit_multilevel.py JOB.json OUT.json (run by ``benchmarks/run.py``)
"""

import time

START = time.perf_counter()

import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import multilevel as ml  # noqa: E402

# The quantities whose smallest bulk ESS the benchmark reports; r_ effects are left out.
KEPT = re.compile(r"^(b_|sd_|cor_|sigma$)")


def main(job_path: str, out_path: str) -> None:
    """Fit the job's model with multilevel; write means, bulk ESS and R-hat to ``out_path``."""
    imported = time.perf_counter()
    with open(job_path) as handle:
        job = json.load(handle)
    data = pd.read_csv(job["data"])
    for column in job["factors"]:
        data[column] = data[column].astype(str)
    loaded = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = ml.brm(job["formula"], data=data, family=job["family"], chains=job["chains"],
                     draws=job["draws"], warmup=job["warmup"], cores=job["cores"],
                     seed=job["seed"], sampler=job.get("sampler", "auto"), progressbar=False)
    fitted = time.perf_counter()
    table = fit.posterior_summary()
    table = table[[bool(KEPT.match(name)) for name in table.index]]
    summarised = time.perf_counter()
    result = {
        "timings": {"import_s": imported - START, "load_s": loaded - imported,
                    "fit_s": fitted - loaded, "summary_s": summarised - fitted},
        "params": {name: {"mean": float(row["Estimate"]), "ess_bulk": float(row["Bulk_ESS"]),
                          "rhat": float(row["Rhat"])}
                   for name, row in table.iterrows()},
        "divergences": int(np.asarray(fit.idata.sample_stats["diverging"]).sum()),
        "backend": fit.settings.backend,
        "warnings": sorted({re.split(r"\.\s", str(w.message))[0] for w in caught}),
    }
    with open(out_path, "w") as handle:
        json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:3])

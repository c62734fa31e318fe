"""Fit one benchmark model with bambi and write its timings and diagnostics as JSON.

usage: benchmarks/.venv-bambi/bin/python fit_bambi.py JOB.json OUT.json (run by ``run.py``)

bambi is run as its users get it: its default priors and its default sampler (PyMC's NUTS),
with only chains, draws, tune, cores and the seed set.
"""

import time

START = time.perf_counter()

import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import arviz as az  # noqa: E402
import bambi as bmb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def brms_name(name: str) -> str | None:
    """brms's name for a bambi variable of the summary, None for group-level effects.

    ``Intercept`` -> ``b_Intercept``, ``Days|Subject_sigma`` -> ``sd_Subject__Days``,
    ``1|Subject_sigma`` -> ``sd_Subject__Intercept``, ``sigma`` -> ``sigma``.
    """
    if name == "sigma":
        return name
    if "|" in name:
        if not name.endswith("_sigma"):
            return None  # the group-level effects themselves, brms's r_
        term, group = name[: -len("_sigma")].split("|", 1)
        return f"sd_{group}__{'Intercept' if term == '1' else term}"
    return f"b_{name}"


def main(job_path: str, out_path: str) -> None:
    """Fit the job's model with bambi and write timings, means and bulk ESS to ``out_path``."""
    imported = time.perf_counter()
    with open(job_path) as handle:
        job = json.load(handle)
    data = pd.read_csv(job["data"])
    for column in job["factors"]:
        data[column] = data[column].astype(str)
    loaded = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = bmb.Model(job["formula"], data, family=job["family"])
        idata = model.fit(draws=job["draws"], tune=job["warmup"], chains=job["chains"],
                          cores=job["cores"], random_seed=job["seed"], progressbar=False)
    fitted = time.perf_counter()
    params = {}
    ess_bulk = az.ess(idata.posterior, method="bulk")
    for var in idata.posterior.data_vars:
        name = brms_name(var)
        if name is None:
            continue
        draws = idata.posterior[var]
        ess = np.atleast_1d(ess_bulk[var].values)
        means = np.atleast_1d(draws.mean(("chain", "draw")).values)
        if ess.size == 1:
            params[name] = {"mean": float(means[0]), "ess_bulk": float(ess[0])}
        else:  # a multi-column term such as a factor: one entry per column, bambi's order
            for i, (m, e) in enumerate(zip(means.ravel(), ess.ravel(), strict=True)):
                params[f"{name}[{i}]"] = {"mean": float(m), "ess_bulk": float(e)}
    summarised = time.perf_counter()
    result = {
        "timings": {"import_s": imported - START, "load_s": loaded - imported,
                    "fit_s": fitted - loaded, "summary_s": summarised - fitted},
        "params": params,
        "divergences": int(np.asarray(idata.sample_stats["diverging"]).sum()),
        "backend": "pymc",
        "warnings": sorted({re.split(r"\.\s", str(w.message))[0] for w in caught}),
    }
    with open(out_path, "w") as handle:
        json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:3])

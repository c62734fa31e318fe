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


def column_names(name: str, draws) -> list[str]:
    """brms's names of the columns of one bambi variable, in bambi's order.

    A variable with no dimension but chain and draw is one column, ``name``. A factor's
    coefficients (``service`` with the level ``1`` on its ``service_dim``) take brms's
    ``b_service1``: the term's name followed by the level. Any other multi-column variable
    keeps its position, ``name[0]``, ``name[1]``, ...
    """
    extra = [dim for dim in draws.dims if dim not in ("chain", "draw")]
    if not extra:
        return [name]
    if name.startswith("b_") and len(extra) == 1:
        return [f"{name}{level}" for level in draws[extra[0]].values]
    return [f"{name}[{i}]" for i in range(int(np.prod([draws.sizes[d] for d in extra])))]


def main(job_path: str, out_path: str) -> None:
    """Fit the job's model with bambi; write means, bulk ESS and R-hat to ``out_path``."""
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
    rhat = az.rhat(idata.posterior)
    for var in idata.posterior.data_vars:
        name = brms_name(var)
        if name is None:
            continue
        draws = idata.posterior[var]
        ess = np.atleast_1d(ess_bulk[var].values)
        rhats = np.atleast_1d(rhat[var].values)
        means = np.atleast_1d(draws.mean(("chain", "draw")).values)
        for column, m, e, r in zip(column_names(name, draws), means.ravel(), ess.ravel(),
                                   rhats.ravel(), strict=True):
            params[column] = {"mean": float(m), "ess_bulk": float(e), "rhat": float(r)}
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

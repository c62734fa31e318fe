"""Where multilevel's time goes: each stage of a benchmark fit, timed in a fresh process.

For each model, the fit runs twice with each ``--staged`` backend (by default numpyro, the
default for these sizes), in new processes sharing one new compilation cache, as
``run.py --cache fresh`` sets them up (the cache first warmed by the untimed tiny fit):

- **first fit**: the model's structure and data are new to the caches, as in the benchmark;
- **refit**: the same model again in a new process, its compiled pieces now on disk, as
  for a user who reruns a notebook.

Then one model is fitted with each sampler backend ``brm`` offers, first fit and refit
alike, for the wall time and smallest bulk ESS per second of each.

Results go to ``benchmarks/results/profile.json``; ``run.py`` renders them into
``docs/performance.md`` when the file exists::

    python benchmarks/profile.py                         # sleepstudy and hsb; backends
    python benchmarks/profile.py --models sleepstudy --staged numpyro nutpie --samplers pymc
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path

import report
import simulate
from measure import run_measured
from models import MODELS
from run import FULL, HERE, ROOT, git_commit, multilevel_env, summarise, with_cache, write_job

PROFILE_PATH = HERE / "results" / "profile.json"
RUNS = ("first fit", "refit")
SAMPLERS = ("nutpie", "numpyro", "blackjax", "pymc")
# the backends whose stages tools/profile_multilevel.py times
STAGED = tuple(report.STAGES)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["sleepstudy", "hsb"], choices=MODELS,
                        metavar="MODEL", help="models to profile (default: sleepstudy hsb)")
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=SAMPLERS,
                        help="sampler backends to compare (default: all)")
    parser.add_argument("--staged", nargs="+", default=["numpyro"], choices=STAGED,
                        help="backends whose stages are timed on every model (default: numpyro)")
    parser.add_argument("--sampler-model", default="sleepstudy", choices=MODELS,
                        help="the model the backends are compared on (default: sleepstudy)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--results", default=str(PROFILE_PATH))
    args = parser.parse_args(argv)
    for key, value in FULL.items():
        setattr(args, key, value)
    return args


def fit_once(job: Path, out: Path, env: dict[str, str], log: Path, timeout: float,
             stages: bool) -> dict[str, object]:
    """One fit in a new process: wall time, smallest bulk ESS and, if asked, its stages."""
    script = "profile_multilevel.py" if stages else "fit_multilevel.py"
    command = [sys.executable, str(HERE / "tools" / script), str(job), str(out)]
    measured = run_measured(command, timeout=timeout, env=env, cwd=ROOT, log_path=log)
    if measured.timed_out or measured.returncode != 0 or not out.exists():
        return {"status": "failed", "wall_s": round(measured.wall_s, 2),
                "log": str(log.relative_to(ROOT))}
    result = json.loads(out.read_text())
    out.unlink()
    record = {"status": "ok", "wall_s": round(measured.wall_s, 2)}
    record.update({k: v for k, v in summarise(result, measured.wall_s).items()
                   if k in ("min_ess_bulk", "min_ess_param", "min_ess_bulk_per_s", "divergences",
                            "backend")})
    if stages:
        record["stages"] = {k: round(v, 2) if isinstance(v, float) else v
                            for k, v in result["stages"].items()}
    return record


def fit_twice(name: str, sampler: str, args: argparse.Namespace, env: dict[str, str],
              workdir: Path, log_dir: Path) -> list[dict[str, object]]:
    """The first fit and the refit of one model with one sampler backend."""
    bench = MODELS[name]
    job, out = workdir / f"{name}-{sampler}.job.json", workdir / f"{name}-{sampler}.out.json"
    write_job(job, bench, bench.data_path(), args, sampler=sampler)
    records = []
    for run in RUNS:
        log = log_dir / f"profile-{name}-{sampler}-{run.replace(' ', '-')}.log"
        record = fit_once(job, out, env, log, args.timeout, stages=sampler in STAGED)
        record.update(model=name, run=run, sampler=sampler)
        records.append(record)
        print(f"{name:>18} {sampler:>9} {run:>9}: {record['status']} in {record['wall_s']} s")
    return records


def main(argv: list[str] | None = None) -> int:
    """Profile each model's first fit and refit; write the JSON and print the table."""
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="multilevel-profile-"))
    log_dir = HERE / "results" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    results = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "commit": git_commit(), "settings": {**FULL, "cores": args.cores,
                                                    "seed": args.seed},
               "command": " ".join(["python", "benchmarks/profile.py", *(argv or sys.argv[1:])]),
               "sampler_model": args.sampler_model, "profiles": []}
    try:
        env = with_cache(multilevel_env(), workdir / "cache")
        warm_job, warm_out = workdir / "warmup.job.json", workdir / "warmup.out.json"
        write_job(warm_job, None, simulate.ensure("warmup.csv"), args, chains=2, draws=30,
                  warmup=30, sampler="nutpie")
        fit_once(warm_job, warm_out, env, log_dir / "profile-warmup.log", args.timeout,
                 stages=False)
        for sampler in args.staged:
            for name in args.models:
                results["profiles"] += fit_twice(name, sampler, args, env, workdir, log_dir)
        for sampler in args.samplers:
            if sampler in args.staged and args.sampler_model in args.models:
                continue  # profiled above
            results["profiles"] += fit_twice(args.sampler_model, sampler, args, env, workdir,
                                             log_dir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    Path(args.results).write_text(json.dumps(results, indent=1))
    print("\n".join(report.profile_tables(results) + [""] + report.sampler_table(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fit the benchmark models with multilevel, bambi, brms and lme4; report time, memory, ESS/s.

Each fit runs end to end in a fresh process (interpreter start, imports, reading the CSV,
building and compiling the model, sampling, summaries), measured from outside by
``measure.py``. lme4 is no sampler: it gives the maximum-likelihood (REML for gaussian
models) estimates that the posterior means are set beside, and the time a frequentist fit
takes. Results go to ``benchmarks/results/latest.json`` and are rendered into
``docs/performance.md``.

usage examples::

    python benchmarks/run.py                          # all but insteval_like, million (hours)
    python benchmarks/run.py --models sleepstudy hsb --tools multilevel brms
    python benchmarks/run.py --append --models insteval --tools multilevel lme4 --timeout 3600
    python benchmarks/run.py --quick                           # smoke test of the runner
    python benchmarks/run.py --render benchmarks/results/latest.json   # redo the page only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import report
import simulate
from measure import run_measured
from models import DEFAULT_MODELS, MODELS, OWN_RUN_MODELS, QUICK_MODELS, ROOT, Benchmark

HERE = Path(__file__).resolve().parent
TOOLS = ("multilevel", "bambi", "brms", "lme4")
# Tools that run in R: they keep no compilation cache that the runner could move or warm.
R_TOOLS = ("brms", "lme4")
DEFAULT_BAMBI_PYTHON = HERE / ".venv-bambi" / "bin" / "python"
FULL = {"chains": 4, "draws": 1000, "warmup": 1000}
QUICK = {"chains": 2, "draws": 100, "warmup": 100}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options, with the --quick or full presets filled in where not given."""
    parser = argparse.ArgumentParser(
        description="Benchmark multilevel against bambi, brms and lme4.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--models", nargs="+", choices=list(MODELS), metavar="MODEL",
                        help=f"models to fit, of {', '.join(MODELS)} (default: all but "
                             f"{', '.join(OWN_RUN_MODELS)}, which run on their own; with "
                             f"--quick: {', '.join(QUICK_MODELS)})")
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS),
                        metavar="TOOL", help=f"tools to run, of {', '.join(TOOLS)}")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 2 chains x 100 draws after 100 warmup, small models")
    parser.add_argument("--chains", type=int, help="chains per fit (default 4, --quick 2)")
    parser.add_argument("--draws", type=int,
                        help="post-warmup draws per chain (default 1000, --quick 100)")
    parser.add_argument("--warmup", type=int,
                        help="warmup iterations per chain (default 1000, --quick 100)")
    parser.add_argument("--cores", type=int, default=2, help="cores each tool may use")
    parser.add_argument("--seed", type=int, default=1234, help="seed passed to every tool")
    parser.add_argument("--timeout", type=float, default=7200,
                        help="seconds after which a fit is stopped and recorded as timed out")
    parser.add_argument("--repeats", type=int, default=1,
                        help="fits of each model with each tool, each in a new process; a "
                             "tool's record is its run of median wall time (of an even number, "
                             "the faster of the middle two), so that a single slow or fast run "
                             "does not decide a ratio")
    parser.add_argument("--warm-each-fit", action=argparse.BooleanOptionalAction,
                        default=True,
                        help="run the tool's untimed tiny fit again before every timed fit, "
                             "so that every fit starts with its tool's files in the "
                             "operating system's file cache")
    parser.add_argument("--cache", choices=("fresh", "cold", "user"), default="fresh",
                        help="compilation caches of the Python tools: 'fresh' gives each tool "
                             "a new cache for the run, warmed by one untimed tiny fit; 'cold' "
                             "a new empty cache for every fit; 'user' the existing caches")
    parser.add_argument("--bambi-python", default=str(DEFAULT_BAMBI_PYTHON),
                        help="Python of the environment made by setup_bambi.sh")
    parser.add_argument("--rscript", default="Rscript", help="Rscript executable")
    parser.add_argument("--results", default=str(HERE / "results" / "latest.json"),
                        help="JSON file the results are written to")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "performance.md"),
                        help="Markdown page rendered from the results ('' to skip)")
    parser.add_argument("--append", action="store_true",
                        help="add these fits to the existing --results file (same chains, "
                             "draws, warmup, cores and seed), replacing any of the same model "
                             "and tool: a long model can then run with its own --tools and "
                             "--timeout")
    parser.add_argument("--render", metavar="RESULTS_JSON",
                        help="only render --doc from an existing results file")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be 1 or more, not {args.repeats}")
    preset = QUICK if args.quick else FULL
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.models is None:
        args.models = list(QUICK_MODELS if args.quick else DEFAULT_MODELS)
    return args


# --- environment of each tool -----------------------------------------------------------

def multilevel_env() -> dict[str, str]:
    """The environment for multilevel's child: this checkout's ``src`` first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    return env


def with_cache(env: dict[str, str], cache_dir: Path | None) -> dict[str, str]:
    """``env`` with PyTensor's, numba's and multilevel's on-disk caches moved to ``cache_dir``."""
    if cache_dir is None:
        return env
    env = dict(env)
    flags = [f for f in env.get("PYTENSOR_FLAGS", "").split(",")
             if f and not f.startswith("base_compiledir=")]
    env["PYTENSOR_FLAGS"] = ",".join(flags + [f"base_compiledir={cache_dir / 'pytensor'}"])
    env["NUMBA_CACHE_DIR"] = str(cache_dir / "numba")
    env["MULTILEVEL_CACHE_DIR"] = str(cache_dir / "multilevel")
    return env


def tool_command(tool: str, args: argparse.Namespace, job: Path, out: Path) -> list[str]:
    """The command that fits ``job`` with ``tool`` and writes ``out``."""
    scripts = HERE / "tools"
    if tool == "multilevel":
        return [sys.executable, str(scripts / "fit_multilevel.py"), str(job), str(out)]
    if tool == "bambi":
        return [args.bambi_python, str(scripts / "fit_bambi.py"), str(job), str(out)]
    return [args.rscript, str(scripts / f"fit_{tool}.R"), str(job), str(out)]


def probe(command: list[str], env: dict[str, str] | None = None) -> str | None:
    """Standard output of a short command, or None when it cannot run or fails."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


PY_VERSIONS = """
import importlib, json, platform
out = {"python": platform.python_version()}
for name in %r:
    try:
        module = importlib.import_module(name)
        out[name] = getattr(module, "__version__", None) or importlib.metadata.version(name)
    except Exception:
        out[name] = None
try:
    import pytensor
    out["pytensor blas"] = pytensor.config.blas__ldflags or "none"
except Exception:
    pass
print(json.dumps(out))
"""

R_VERSIONS = ('cat(jsonlite::toJSON(list(R = paste(R.version$major, R.version$minor, sep = "."), '
              '%s), auto_unbox = TRUE))')
# The R packages whose versions each R tool reports; the probe fails when one is missing.
R_PACKAGES = {"brms": ("brms", "rstan"), "lme4": ("lme4", "Matrix")}


def r_versions(tool: str) -> str:
    """The R expression that prints R's version and ``tool``'s packages' as JSON."""
    return R_VERSIONS % ", ".join(f'{name} = as.character(packageVersion("{name}"))'
                                  for name in R_PACKAGES[tool])


def tool_versions(tool: str, args: argparse.Namespace) -> dict[str, str] | None:
    """Versions of a tool and what it runs on; None when the tool is not available."""
    if tool == "multilevel":
        modules = ["multilevel", "pymc", "pytensor", "nutpie", "numba", "arviz", "numpy"]
        text = probe([sys.executable, "-c", PY_VERSIONS % modules], env=multilevel_env())
    elif tool == "bambi":
        if not Path(args.bambi_python).exists():
            return None
        modules = ["bambi", "pymc", "pytensor", "arviz", "numpy"]
        text = probe([args.bambi_python, "-c", PY_VERSIONS % modules])
    else:
        if shutil.which(args.rscript) is None:
            return None
        text = probe([args.rscript, "-e", r_versions(tool)])
    return json.loads(text) if text else None


def skip_note(tool: str, args: argparse.Namespace) -> str:
    """Why an unavailable tool was skipped and how to make it available."""
    if tool == "bambi":
        return (f"skipped: no bambi environment at {args.bambi_python} "
                "(run benchmarks/setup_bambi.sh)")
    if tool == "brms":
        if shutil.which(args.rscript) is None:
            return f"skipped: {args.rscript} not found (R with brms is needed)"
        return "skipped: R has no brms, rstan or jsonlite (see ../shared/tools/brms-setup.sh)"
    if tool == "lme4":
        if shutil.which(args.rscript) is None:
            return f"skipped: {args.rscript} not found (R with lme4 is needed)"
        return ("skipped: R has no lme4 or jsonlite "
                "(install.packages(c(\"lme4\", \"jsonlite\")))")
    return "skipped: multilevel could not be imported"


# --- machine ----------------------------------------------------------------------------

def machine() -> dict[str, object]:
    """CPU model, logical cores, memory, OS and load of the machine running the benchmark."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {"cpu": cpu, "logical_cores": os.cpu_count(), "memory_gib": memory_gib,
            "os": f"{platform.system()} {platform.release()}", "load_at_start": load()}


def load() -> list[float] | None:
    """1, 5 and 15 minute load averages: a busy machine makes every time longer."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def git_commit() -> str | None:
    """Commit of the checkout being measured, with ``-dirty`` if it has local changes."""
    commit = probe(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    if commit and probe(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"]):
        commit += "-dirty"
    return commit


# --- fits -------------------------------------------------------------------------------

def write_job(path: Path, bench: Benchmark | None, data: Path, args: argparse.Namespace,
              **override) -> None:
    """The JSON job a tool's script reads: data, formula, family and sampler settings."""
    job = {
        "model": bench.name if bench else "warmup",
        "data": str(data),
        "formula": bench.formula if bench else "y ~ x + (1 | g)",
        "family": bench.family if bench else "gaussian",
        "factors": list(bench.factors) if bench else ["g"],
        "chains": args.chains, "draws": args.draws, "warmup": args.warmup,
        "cores": args.cores, "seed": args.seed,
    }
    job.update(override)
    path.write_text(json.dumps(job, indent=1))


def run_fit(tool: str, bench: Benchmark | None, data: Path, args: argparse.Namespace,
            env: dict[str, str], workdir: Path, log_dir: Path, timeout: float | None,
            log_suffix: str = "", **override) -> dict[str, object]:
    """Fit one model with one tool in a fresh process and return its record."""
    name = bench.name if bench else "warmup"
    job, out = workdir / f"{name}-{tool}.job.json", workdir / f"{name}-{tool}.out.json"
    write_job(job, bench, data, args, **override)
    log = log_dir / f"{name}-{tool}{log_suffix}.log"
    # a run that writes nothing must not be read as the previous run's output
    out.unlink(missing_ok=True)
    m = run_measured(tool_command(tool, args, job, out), timeout=timeout, env=env, cwd=ROOT,
                     log_path=log)
    record: dict[str, object] = {
        "model": name, "tool": tool, "wall_s": round(m.wall_s, 2),
        "peak_tree_mib": round(m.peak_tree_mib, 1),
        "maxrss_mib": None if m.maxrss_mib is None else round(m.maxrss_mib, 1),
        "cpu_s_waited": None if m.cpu_s is None else round(m.cpu_s, 2),
        "log": str(log.relative_to(ROOT)) if log.is_relative_to(ROOT) else str(log),
    }
    if m.timed_out:
        record.update(status="timeout", note=f"timed out after {timeout:.0f} s")
    elif m.returncode != 0 or not out.exists():
        # The last line of a traceback or of R's error is the message worth showing.
        lines = log.read_text(errors="replace").strip().splitlines() if log.exists() else []
        last = lines[-1].strip()[:200] if lines else "no output"
        record.update(status="failed", note=f"failed (exit status {m.returncode}): {last}")
    else:
        result = json.loads(out.read_text())
        record.update(status="ok", **summarise(result, m.wall_s))
    return record


def median_run(records: list[dict[str, object]]) -> dict[str, object]:
    """The record of one model and tool over its repeated runs: the run of median wall time.

    Of an even number of runs it is the faster of the middle two. A run that failed or timed
    out makes the record that run's, since a tool that fails some of the time has no time to
    report. With more than one run, the record keeps every run's wall time in ``runs_wall_s``.
    """
    failed = [r for r in records if r.get("status") != "ok"]
    chosen = failed[0] if failed else sorted(records, key=lambda r: r["wall_s"])[
        (len(records) - 1) // 2]
    if len(records) == 1:
        return chosen
    return {**chosen, "runs_wall_s": [r["wall_s"] for r in records]}


def warm_up(tool: str, data: Path, args: argparse.Namespace, env: dict[str, str],
            workdir: Path, log_dir: Path) -> list[dict[str, object]]:
    """The tool's untimed tiny fits (2 chains x 30 draws of ``y ~ x + (1 | g)``).

    They compile and load everything a fit of any model needs: run first, they fill the
    compilation caches; run again before a timed fit, they bring the tool's files back into
    the operating system's file cache (this machine's kernel pages out file pages unused for
    a minute, so a tool run after a two-minute brms fit would otherwise read its libraries
    from disk). multilevel runs one per default sampler: nutpie's numba functions are cached;
    the numpyro path keeps nothing on disk, but loads JAX's libraries.
    """
    extras = ([{"sampler": "nutpie"}, {"sampler": "numpyro"}] if tool == "multilevel"
              else [{}])
    return [run_fit(tool, None, data, args, env, workdir, log_dir, args.timeout,
                    log_suffix=f"-{extra['sampler']}" if extra else "", chains=2, draws=30,
                    warmup=30, **extra) for extra in extras]


def fit_caches(tool: str, env: dict[str, str], cache: str, workdir: Path,
               own: Path) -> dict[str, str]:
    """``env`` with the compilation caches one fit starts from, in the directory ``own``.

    With ``cache="fresh"`` that is a copy of the caches the first warm-up fits filled, so
    that no fit reuses what another one compiled (its own model's earlier repeat included);
    with ``"cold"`` an empty directory; with ``"user"`` the user's caches, unchanged.
    """
    if tool in R_TOOLS or cache == "user":
        return env
    if cache == "fresh":
        warmed = workdir / f"cache-{tool}"
        if warmed.exists():
            shutil.copytree(warmed, own)
    return with_cache(env, own)


def summarise(result: dict, wall_s: float) -> dict[str, object]:
    """The record's fields from a tool's output: smallest bulk ESS and ESS/s, largest R-hat.

    lme4's output has estimates but no draws, so its ESS and R-hat fields are None; its
    ``singular`` (a variance estimated as zero, or a correlation as ±1) is kept.
    """
    params = result["params"]
    finite = {k: v["ess_bulk"] for k, v in params.items()
              if isinstance(v.get("ess_bulk"), (int, float))}
    # R-hat is NaN for a quantity constant over all draws, such as a correlation fixed by
    # the model; that says nothing about how the chains mixed
    rhats = {k: v["rhat"] for k, v in params.items()
             if isinstance(v.get("rhat"), (int, float)) and math.isfinite(v["rhat"])}
    worst = min(finite, key=finite.get) if finite else None
    worst_rhat = max(rhats, key=rhats.get) if rhats else None
    return {
        "min_ess_bulk": round(finite[worst], 1) if worst else None,
        "min_ess_param": worst,
        "min_ess_bulk_per_s": round(finite[worst] / wall_s, 2) if worst else None,
        "max_rhat": round(rhats[worst_rhat], 4) if worst_rhat else None,
        "max_rhat_param": worst_rhat,
        "divergences": result.get("divergences"),
        "backend": result.get("backend"),
        "timings": {k: (round(v, 2) if isinstance(v, float) else v)
                    for k, v in result.get("timings", {}).items()},
        "params": params,
        "warnings": result.get("warnings", []),
        **({"singular": result["singular"]} if "singular" in result else {}),
    }


def data_info(path: Path) -> dict[str, object]:
    """Where a data set lives, its number of rows and its SHA-256."""
    with path.open() as handle:
        rows = sum(1 for _ in handle) - 1
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return {"path": str(shown), "rows": rows, "sha256": simulate.sha256(path)}


SHARED_SETTINGS = ("chains", "draws", "warmup", "cores", "seed", "cache", "warm_each_fit")


def _check_same_settings(earlier: dict, now: dict) -> None:
    different = [k for k in SHARED_SETTINGS if earlier.get(k) != now.get(k)]
    if different:
        raise SystemExit("--append needs the settings of the existing results; these differ: "
                         + ", ".join(f"{k} {earlier.get(k)} there, {now.get(k)} here"
                                     for k in different))


def merged(earlier: dict | None, results: dict) -> dict:
    """``results`` added to an earlier run's: its fits replace those of the same model and tool.

    Every fit keeps the date, commit and command of the run that made it; the page's date,
    commits and commands are those of the runs whose fits remain.
    """
    if earlier is None:
        return results
    rerun = {(f["model"], f["tool"]) for f in results["fits"]}
    out = json.loads(json.dumps(earlier))
    kept = []
    for fit in earlier["fits"]:
        if (fit["model"], fit["tool"]) not in rerun:
            for key in ("date", "commit", "command"):
                fit.setdefault(key, earlier.get(key))
            kept.append(fit)
    out["fits"] = kept + results["fits"]
    out["models"].update(results["models"])
    out["versions"].update(results["versions"])
    out["warmups"] = earlier.get("warmups", []) + results["warmups"]
    settings = out["settings"]
    settings["models"] = list(dict.fromkeys(settings["models"] + results["settings"]["models"]))
    settings["tools"] = list(dict.fromkeys(settings["tools"] + results["settings"]["tools"]))
    settings["timeout_s"] = max(settings["timeout_s"], results["settings"]["timeout_s"])
    # the fits of each run keep their own number of runs; the page names the largest
    settings["repeats"] = max(settings.get("repeats", 1), results["settings"].get("repeats", 1))
    runs = [f for f in out["fits"] if f.get("command")]
    out["date"] = min(f["date"] for f in runs)
    out["commit"] = " and ".join(dict.fromkeys(str(f["commit"]) for f in runs))
    out["command"] = ", then ".join(dict.fromkeys(f["command"] for f in runs))
    out["machine"]["load_at_end"] = results["machine"].get("load_at_end")
    # the time of the whole run is known only while one run made all the fits
    out["duration_s"] = results.get("duration_s") if len({f["command"] for f in runs}) == 1 \
        else None
    return out


def saved_profile() -> dict | None:
    """The stage timings written by ``profile.py``, if it has been run."""
    path = HERE / "results" / "profile.json"
    return json.loads(path.read_text()) if path.exists() else None


def saved_notes() -> str | None:
    """Measurements written up by hand (``results/notes.md``), which the page carries."""
    path = HERE / "results" / "notes.md"
    return path.read_text() if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    """Run the selected fits, write the results JSON and render the performance page.

    Parameters
    ----------
    argv
        Command-line arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        Exit status: 0, also when some fits failed or timed out (the results say which).
    """
    args = parse_args(argv)
    if args.render:
        results = json.loads(Path(args.render).read_text())
        Path(args.doc).write_text(report.render(results, saved_profile(), saved_notes()))
        print(f"wrote {args.doc}")
        return 0

    started = dt.datetime.now(dt.timezone.utc)
    print(f"models: {' '.join(args.models)}; tools: {' '.join(args.tools)}; "
          f"{args.chains} chains x {args.draws} draws after {args.warmup} warmup")
    versions, available = {}, []
    for tool in args.tools:
        found = tool_versions(tool, args)
        if found:
            versions[tool] = found
            available.append(tool)
    data = {name: MODELS[name].data_path() for name in args.models}
    results: dict[str, object] = {
        "schema": 1,
        "date": started.isoformat(timespec="seconds"),
        "quick": args.quick,
        "command": shlex.join(["python", "benchmarks/run.py", *(argv or sys.argv[1:])]),
        "commit": git_commit(),
        "settings": {"chains": args.chains, "draws": args.draws, "warmup": args.warmup,
                     "cores": args.cores, "seed": args.seed, "timeout_s": args.timeout,
                     "cache": args.cache, "repeats": args.repeats,
                     "warm_each_fit": args.warm_each_fit, "models": args.models,
                     "tools": args.tools},
        "machine": machine(),
        "versions": versions,
        "models": {name: {"formula": MODELS[name].formula, "family": MODELS[name].family,
                          "description": MODELS[name].description, **data_info(path)}
                   for name, path in data.items()},
        "warmups": [],
        "fits": [],
    }

    results_path = Path(args.results)
    earlier = None
    if args.append and results_path.exists():
        earlier = json.loads(results_path.read_text())
        _check_same_settings(earlier["settings"], results["settings"])
    log_dir = results_path.parent / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="multilevel-bench-"))
    try:
        envs = {"multilevel": multilevel_env(), "bambi": dict(os.environ),
                **{tool: dict(os.environ) for tool in R_TOOLS}}
        warm = simulate.ensure("warmup.csv")
        if args.cache == "fresh":
            for tool in available:
                if tool in R_TOOLS:
                    continue  # rstan keeps no compiled model between R sessions; lme4 none
                envs[tool] = with_cache(envs[tool], workdir / f"cache-{tool}")
                # Fills the caches with what every model needs, so that the first timed
                # fit does not pay for the library's own compilation alone.
                for record in warm_up(tool, warm, args, envs[tool], workdir, log_dir):
                    results["warmups"].append({k: record.get(k) for k in
                                               ("tool", "status", "wall_s", "note")})
                    print(f"  warm-up {tool}: {record['status']} in {record['wall_s']} s")
        for name in args.models:
            runs: dict[str, list[dict[str, object]]] = {}
            # the tools take turns within each repeat, so that a slow spell of the machine
            # falls on all of them
            for repeat in range(args.repeats):
                for tool in args.tools:
                    if tool not in available:
                        continue
                    # the timed fit's caches are copied first, so that writing the copy
                    # to disk is over before the fit starts
                    own_cache = workdir / f"cache-{name}-{tool}-{repeat}"
                    env = fit_caches(tool, envs[tool], args.cache, workdir, own_cache)
                    if args.warm_each_fit:
                        scratch = workdir / f"scratch-{name}-{tool}-{repeat}"
                        warm_env = fit_caches(tool, envs[tool], args.cache, workdir, scratch)
                        for record in warm_up(tool, warm, args, warm_env, workdir, log_dir):
                            if record["status"] != "ok":
                                print(f"  warm-up {tool}: {report.one_line(record)}")
                        shutil.rmtree(scratch, ignore_errors=True)
                    suffix = f"-{repeat + 1}" if args.repeats > 1 else ""
                    record = run_fit(tool, MODELS[name], data[name], args, env, workdir,
                                     log_dir, args.timeout, log_suffix=suffix)
                    shutil.rmtree(own_cache, ignore_errors=True)
                    runs.setdefault(tool, []).append(record)
                    run_label = f" (run {repeat + 1} of {args.repeats})" if suffix else ""
                    print(f"{name:>18} {tool:>10}: {report.one_line(record)}{run_label}")
            for tool in args.tools:
                if tool not in available:
                    record = {"model": name, "tool": tool, "status": "skipped",
                              "note": skip_note(tool, args)}
                    print(f"{name:>18} {tool:>10}: {record['note']}")
                else:
                    record = median_run(runs[tool])
                    record.update(date=results["date"], commit=results["commit"],
                                  command=results["command"])
                results["fits"].append(record)
            # Written after every model, so that a long run stopped half-way keeps its results.
            results["machine"]["load_at_end"] = load()
            results_path.parent.mkdir(parents=True, exist_ok=True)
            results_path.write_text(json.dumps(merged(earlier, results), indent=1) + "\n")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    results["machine"]["load_at_end"] = load()
    results["duration_s"] = round((dt.datetime.now(dt.timezone.utc) - started).total_seconds())
    results = merged(earlier, results)
    results_path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {results_path}")
    if args.doc:
        Path(args.doc).write_text(report.render(results, saved_profile(), saved_notes()))
        print(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

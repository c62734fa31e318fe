"""The benchmark's bookkeeping: appending runs and the tables of the performance page."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import report  # noqa: E402
import run  # noqa: E402


def _stages(sampler="nutpie", **seconds):
    stages = {key: 1.0 for key, _ in report.STAGES[sampler]}
    stages.update(seconds)
    if sampler == "nutpie":
        stages["numba_functions_compiled"] = 1234
    return stages


@pytest.fixture
def profile():
    return {
        "date": "2026-11-23T18:00:00+00:00", "commit": "abc1234", "sampler_model": "sleepstudy",
        "command": "python benchmarks/profile.py",
        "settings": {"chains": 4, "draws": 1000, "warmup": 1000},
        "profiles": [
            {"model": "sleepstudy", "run": "first fit", "sampler": "nutpie", "status": "ok",
             "wall_s": 50.0, "stages": _stages(numba_logp_s=30.0), "min_ess_bulk": 2000.0,
             "min_ess_param": "sd_Subject__Days", "min_ess_bulk_per_s": 40.0, "divergences": 0},
            {"model": "sleepstudy", "run": "refit", "sampler": "nutpie", "status": "ok",
             "wall_s": 20.0, "stages": _stages(), "min_ess_bulk": 2000.0,
             "min_ess_param": "sd_Subject__Days", "min_ess_bulk_per_s": 100.0, "divergences": 0},
            {"model": "hsb", "run": "first fit", "sampler": "numpyro", "status": "ok",
             "wall_s": 12.0, "stages": _stages("numpyro", xla_compile_s=2.5),
             "min_ess_bulk": 600.0, "min_ess_param": "sd_school__ses",
             "min_ess_bulk_per_s": 50.0, "divergences": 0},
            {"model": "sleepstudy", "run": "first fit", "sampler": "pymc", "status": "failed",
             "wall_s": 3.0, "log": "benchmarks/results/logs/x.log"},
        ],
    }


def test_profile_table_has_a_column_per_profiled_fit_and_accounts_for_the_wall_time(profile):
    lines = report.profile_table(profile, "nutpie")
    assert lines[0] == "| Stage (nutpie) | sleepstudy, first fit | sleepstudy, refit |"
    rows = {line.split(" | ")[0].lstrip("| "): line for line in lines[2:]}
    assert rows["numba code: log density and gradient"].split(" | ")[1] == "30.0"
    # the stages sum to 37 s and 8 s; the rest of the wall time is outside them
    assert rows["interpreter start, reading the data, exit"].split(" | ")[1:] == ["13.0", "12.0 |"]
    assert "1,234" in rows["numba functions compiled"]


def test_each_profiled_backend_gets_its_own_stages(profile):
    lines = report.profile_tables(profile)
    headers = [line for line in lines if line.startswith("| Stage")]
    assert headers == ["| Stage (nutpie) | sleepstudy, first fit | sleepstudy, refit |",
                       "| Stage (numpyro) | hsb, first fit |"]
    numpyro = lines[lines.index(headers[1]):]
    rows = {line.split(" | ")[0].lstrip("| "): line for line in numpyro[2:]}
    assert rows["XLA compiling the sampler"] == "| XLA compiling the sampler | 2.5 |"
    # six stages of 1 s and 2.5 s of compiling leave 3.5 s of the 12 s outside them
    assert rows["interpreter start, reading the data, exit"] == (
        "| interpreter start, reading the data, exit | 3.5 |")
    assert "numba functions compiled" not in rows
    assert report.profile_tables({"profiles": []}) == ["(no profiled fit succeeded)"]


def test_sampler_table_shows_failures_with_their_log(profile):
    lines = report.sampler_table(profile)
    assert len(lines) == 2 + 3
    assert "`nutpie` | refit | 20.0 | 2,000 (`sd_Subject__Days`) | 100 | 0 |" in lines[3]
    assert "failed (`benchmarks/results/logs/x.log`)" in lines[4]


def test_the_page_has_the_profile_section_only_when_there_is_a_profile(profile):
    results = {
        "settings": {"chains": 4, "draws": 1000, "warmup": 1000, "cores": 2, "seed": 1,
                     "timeout_s": 10.0, "cache": "fresh", "models": [], "tools": []},
        "machine": {"cpu": "cpu", "logical_cores": 2, "memory_gib": 1, "os": "os"},
        "versions": {}, "models": {}, "fits": [], "date": "d", "command": "c",
    }
    assert "Where multilevel's time goes" not in report.render(results)
    page = report.render(results, profile)
    assert "## Where multilevel's time goes" in page and "### Sampler backends" in page


def test_appended_fits_replace_those_of_the_same_model_and_tool():
    def results(commit, walls, provenance=True):
        # runs before fits carried their provenance had it only at the top
        made = {"date": f"2026-11-0{ord(commit) - 96}", "commit": commit,
                "command": f"run {commit}"}
        fits = [{"model": model, "tool": "multilevel", "wall_s": wall,
                 **(made if provenance else {})} for model, wall in walls.items()]
        return {"fits": fits, "models": {}, "versions": {}, "warmups": [], "machine": {},
                "duration_s": 1.0, **made,
                "settings": {"models": list(walls), "tools": ["multilevel"], "timeout_s": 10.0}}

    earlier = results("a", {"sleepstudy": 1.0, "hsb": 2.0}, provenance=False)
    merged = run.merged(earlier, results("b", {"hsb": 3.0}))
    assert sorted((f["model"], f["wall_s"], f["commit"]) for f in merged["fits"]) == [
        ("hsb", 3.0, "b"), ("sleepstudy", 1.0, "a")]
    assert merged["commit"] == "a and b" and merged["command"] == "run a, then run b"
    assert merged["date"] == "2026-11-01"
    assert merged["duration_s"] is None  # two runs made the remaining fits
    # a rerun of every fit leaves only the new run's commit, command and duration
    again = run.merged(merged, results("c", {"hsb": 4.0, "sleepstudy": 5.0}))
    assert again["commit"] == "c" and again["command"] == "run c"
    assert again["date"] == "2026-11-03" and again["duration_s"] == 1.0


def _fit(wall, status="ok", **fields):
    return {"model": "sleepstudy", "tool": "multilevel", "status": status, "wall_s": wall,
            "peak_tree_mib": 500.0, "min_ess_bulk": 3000.0, "min_ess_param": "b_Days",
            "min_ess_bulk_per_s": 3000.0 / wall, "divergences": 0, **fields}


def test_repeated_fits_keep_the_run_of_median_wall_time_with_all_runs_walls():
    runs = [_fit(6.9), _fit(5.1), _fit(5.4)]
    record = run.median_run(runs)
    assert record["wall_s"] == 5.4 and record["min_ess_bulk_per_s"] == 3000.0 / 5.4
    assert record["runs_wall_s"] == [6.9, 5.1, 5.4]
    # of an even number, the faster of the middle two
    assert run.median_run(runs + [_fit(7.5)])["wall_s"] == 5.4
    # a single run is recorded as it was
    assert run.median_run([_fit(6.0)]) == _fit(6.0)


def test_a_failed_run_among_repeats_makes_the_record_a_failure():
    failed = _fit(2.0, status="failed", note="failed (exit status 1): boom")
    record = run.median_run([_fit(5.0), failed, _fit(5.2)])
    assert record["status"] == "failed" and record["note"].endswith("boom")
    assert record["runs_wall_s"] == [5.0, 2.0, 5.2]


def test_tables_give_the_median_and_the_range_of_repeated_fits():
    brms = {**run.median_run([_fit(w) for w in (60.0, 58.0, 63.0)]), "tool": "brms"}
    ours = run.median_run([_fit(w) for w in (5.0, 6.9, 5.2)])
    results = {"fits": [ours, brms], "models": {}}
    rows = report.results_table(results)
    assert "| sleepstudy | multilevel | 5.2 (median of 3: 5.0–6.9) | 500 |" in rows[2]
    assert "| 60.0 (median of 3: 58.0–63.0) |" in rows[3]
    assert "| 11.54 |" in rows[3]  # 60.0 / 5.2
    note = report.closing_note(results)[0]
    assert "multilevel 5.2 s (median of 3: 5.0–6.9 s)" in note and "0.087 x brms's" in note

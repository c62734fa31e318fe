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
    assert report.runs_of_fits(merged) == [
        "The fits come from these runs:", "",
        "- 2026-11-01 (UTC), commit `a`, `run a`: sleepstudy (multilevel)",
        "- 2026-11-02 (UTC), commit `b`, `run b`: hsb (multilevel)", ""]
    # a rerun of every fit leaves only the new run's commit, command and duration
    again = run.merged(merged, results("c", {"hsb": 4.0, "sleepstudy": 5.0}))
    assert again["commit"] == "c" and again["command"] == "run c"
    assert again["date"] == "2026-11-03" and again["duration_s"] == 1.0
    assert report.runs_of_fits(again) == []


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


def _results(*fits, models=None):
    """A results dict with just what the page's tables read."""
    return {"fits": list(fits), "models": models or {},
            "settings": {"chains": 4, "draws": 1000, "warmup": 1000, "cores": 2, "seed": 1,
                         "timeout_s": 3600.0, "cache": "fresh", "models": [],
                         "tools": ["multilevel", "lme4"]},
            "machine": {"cpu": "cpu", "logical_cores": 2, "memory_gib": 1, "os": "os"},
            "versions": {"lme4": {"R": "4.2.2", "lme4": "1.1-31"}}, "date": "d",
            "command": "c"}


INSTEVAL = {"formula": "y ~ service + (1 | s) + (1 | d) + (1 | dept)", "family": "gaussian",
            "rows": 73421, "path": "benchmarks/data/insteval.csv", "sha256": "0" * 64}


def _insteval(tool, wall, params, **fields):
    record = {"model": "insteval", "tool": tool, "status": "ok", "wall_s": wall,
              "peak_tree_mib": 2000.0 if tool == "multilevel" else 400.0, "params": params}
    if tool == "multilevel":
        record.update(min_ess_bulk=800.0, min_ess_param="b_Intercept",
                      min_ess_bulk_per_s=800.0 / wall, divergences=0, backend="nutpie",
                      max_rhat=1.0042, max_rhat_param="sd_dept__Intercept")
    else:
        record.update(min_ess_bulk=None, min_ess_param=None, min_ess_bulk_per_s=None,
                      max_rhat=None, max_rhat_param=None, divergences=None,
                      backend="lmer (REML)", singular=False)
    return {**record, **fields}


@pytest.fixture
def insteval_fits():
    ours = _insteval("multilevel", 80.0, {
        "b_Intercept": {"mean": 3.2061, "ess_bulk": 800.0, "rhat": 1.001},
        "b_service1": {"mean": -0.0712, "ess_bulk": 5000.0, "rhat": 1.0},
        "sd_dept__Intercept": {"mean": 0.0911, "ess_bulk": 1500.0, "rhat": 1.0042},
        "sigma": {"mean": 1.1784, "ess_bulk": 6000.0, "rhat": 1.0}})
    theirs = _insteval("lme4", 16.0, {
        "b_Intercept": {"estimate": 3.2059, "se": 0.0209},
        "b_service1": {"estimate": -0.0701, "se": 0.0134},
        "sd_dept__Intercept": {"estimate": 0.0773},
        "sd_s__Intercept": {"estimate": 0.3245},
        "sigma": {"estimate": 1.1784}})
    return ours, theirs


def test_lme4_rows_have_a_wall_ratio_but_no_ess_or_divergences(insteval_fits):
    rows = report.results_table(_results(*insteval_fits))
    assert rows[2].startswith("| insteval | multilevel | 80.0 | 2,000 | 800 (`b_Intercept`) |")
    lme4 = rows[3].split(" | ")
    assert lme4[:4] == ["| insteval", "lme4", "16.0", "400"]
    # no draws: no ESS, no ESS/s, no ESS ratio, no divergences; the wall ratio is 16 / 80
    assert lme4[4:] == ["–", "–", "0.20", "–", "– |"]
    assert report.one_line(insteval_fits[1]) == "16.0 s, 400 MiB, lmer (REML)"


def test_lme4_comparison_sets_posterior_means_beside_the_estimates(insteval_fits):
    lines = report.lme4_comparison(_results(*insteval_fits, models={"insteval": INSTEVAL}),
                                   "insteval")
    assert lines[0] == "### insteval"
    assert "73,421 rows (`benchmarks/data/insteval.csv`)" in lines[2]
    times = lines[4]
    assert "multilevel 80.0 s, lme4 16.0 s end to end" in times
    assert "multilevel's wall time is 5.00 x lme4's" in times
    assert "largest R-hat is 1.004 (`sd_dept__Intercept`)" in times
    assert "singular" not in times
    assert lines[6] == ("| Parameter | multilevel posterior mean | lme4 REML estimate | lme4 SE "
                        "| Difference |")
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1:] for line in lines[8:-1]}
    assert rows["`b_service1`"] == ["-0.0712", "-0.0701", "0.0134", "-0.0011 |"]
    assert rows["`sd_dept__Intercept`"] == ["0.0911", "0.0773", "–", "0.0138 |"]
    assert rows["`sigma`"][1] == "1.178" and rows["`sigma`"][3] == "0 |"
    # a parameter only one tool reports still gets its row, with a gap for the other
    assert rows["`sd_s__Intercept`"] == ["–", "0.3245", "–", "– |"]
    # multilevel's order first, the rest after
    assert list(rows) == ["`b_Intercept`", "`b_service1`", "`sd_dept__Intercept`", "`sigma`",
                          "`sd_s__Intercept`"]


def test_lme4_comparison_says_which_fit_is_missing(insteval_fits):
    ours, theirs = insteval_fits
    failed = {**theirs, "status": "failed", "note": "failed (exit status 1): no lme4"}
    lines = report.lme4_comparison(_results(ours, failed), "insteval")
    assert lines[-2] == "No comparison: lme4 failed (exit status 1): no lme4."
    lines = report.lme4_comparison(_results({**theirs, "singular": True}), "insteval")
    assert lines[-2] == "No comparison: multilevel not run."
    glmer = {**theirs, "backend": "glmer (ML, Laplace)", "singular": True}
    lines = report.lme4_comparison(_results(ours, glmer), "insteval")
    assert "lme4 ML estimate (Laplace)" in lines[4] and "lme4 reports a singular fit" in lines[2]


def test_the_page_sets_multilevel_beside_lme4_insteval_first(insteval_fits):
    sleep = [{**fit, "model": "sleepstudy"} for fit in insteval_fits]
    page = report.render(_results(*sleep, *insteval_fits, models={"insteval": INSTEVAL}))
    section = page[page.index("## multilevel and lme4"):]
    assert section.index("### insteval") < section.index("### sleepstudy")
    assert "`REML = TRUE`" in section
    assert "| lme4 | R 4.2.2, lme4 1.1-31 |" in page
    # the summary gives InstEval's ratio to lme4 too
    note = next(line for line in page.splitlines() if line.startswith("- **insteval**"))
    assert "lme4 16.0 s and 400 MiB (multilevel's wall time is 5.00 x lme4's)" in note
    without = report.render(_results(insteval_fits[0], models={"insteval": INSTEVAL}))
    assert "## multilevel and lme4" not in without


def test_the_million_row_model_is_reported_against_the_memory_goal():
    def million(peak_mib, **fields):
        return {"model": "million", "tool": "multilevel", "status": "ok", "wall_s": 1500.0,
                "peak_tree_mib": peak_mib, "min_ess_bulk": 450.0, "min_ess_param": "sd_a__x",
                "min_ess_bulk_per_s": 0.3, "divergences": 0, **fields}

    models = {"million": {"rows": 1_000_000}}
    note = report.million_note(_results(million(6 * 1024.0), models=models))
    assert note == ["- **million** (1,000,000 rows): multilevel took 1,500.0 s (25.0 min) with "
                    "a peak of 6.00 GiB (goal: at most 8 GiB, met), at 0.3 bulk ESS/s "
                    "(smallest bulk ESS 450, `sd_a__x`)."]
    lme4 = {"model": "million", "tool": "lme4", "status": "ok", "wall_s": 300.0,
            "peak_tree_mib": 3072.0}
    note = report.million_note(_results(million(9000.0), lme4, models=models))[0]
    assert "a peak of 8.79 GiB (goal: at most 8 GiB, not met)" in note
    assert note.endswith("; lme4 300.0 s and 3.00 GiB.")
    timeout = million(9000.0, status="timeout", note="timed out after 14400 s")
    assert "no successful multilevel fit in this run (timed out after 14400 s; goal: at most "\
        "8 GiB of peak memory)" in report.million_note(_results(timeout))[0]
    assert report.million_note(_results()) == [
        "- **million**: not run (goal: at most 8 GiB of peak memory)."]
    assert report.closing_note(_results())[-1] == report.million_note(_results())[0]


def test_summarise_takes_the_largest_finite_rhat_and_lme4s_estimates_without_ess():
    sampled = {"params": {"b_x": {"mean": 1.0, "ess_bulk": 400.0, "rhat": 1.01},
                          "sd_g__x": {"mean": 0.5, "ess_bulk": 200.0, "rhat": 1.03},
                          "cor_g__Intercept__x": {"mean": 1.0, "ess_bulk": 300.0,
                                                  "rhat": float("nan")}},
               "divergences": 2}
    record = run.summarise(sampled, 10.0)
    assert record["max_rhat"] == 1.03 and record["max_rhat_param"] == "sd_g__x"
    assert record["min_ess_bulk_per_s"] == 20.0 and "singular" not in record
    estimated = {"params": {"b_x": {"estimate": 1.0, "se": 0.1}, "sigma": {"estimate": 2.0}},
                 "backend": "lmer (REML)", "singular": True, "warnings": []}
    record = run.summarise(estimated, 2.0)
    assert record["min_ess_bulk"] is None and record["min_ess_bulk_per_s"] is None
    assert record["max_rhat"] is None and record["divergences"] is None
    assert record["singular"] is True and record["params"]["b_x"]["se"] == 0.1


def test_lme4_runs_its_own_r_script_and_probes_its_own_packages():
    args = run.parse_args(["--tools", "lme4", "--models", "sleepstudy"])
    command = run.tool_command("lme4", args, Path("job.json"), Path("out.json"))
    assert command[0] == "Rscript" and command[1].endswith("benchmarks/tools/fit_lme4.R")
    assert command[2:] == ["job.json", "out.json"]
    assert Path(command[1]).exists()
    assert 'lme4 = as.character(packageVersion("lme4"))' in run.r_versions("lme4")
    assert "brms" not in run.r_versions("lme4") and "rstan" in run.r_versions("brms")
    # lme4 compiles nothing, so its fits get the environment as it is
    assert run.fit_caches("lme4", {"A": "1"}, "fresh", Path("/nowhere"), Path("/x")) == {
        "A": "1"}


def test_a_fits_own_cache_holds_multilevels_compiled_programs(tmp_path, monkeypatch):
    from multilevel.inference.executable_cache import cache_directory

    env = run.with_cache({"MULTILEVEL_CACHE_DIR": ""}, tmp_path)
    monkeypatch.setenv("MULTILEVEL_CACHE_DIR", env["MULTILEVEL_CACHE_DIR"])
    assert cache_directory().is_relative_to(tmp_path)
    assert str(tmp_path) in env["PYTENSOR_FLAGS"]
    assert env["NUMBA_CACHE_DIR"].startswith(str(tmp_path))

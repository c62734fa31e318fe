"""Render the benchmark's results (``results/latest.json``) as ``docs/performance.md``."""

from __future__ import annotations

import math

TOOL_ORDER = ("multilevel", "bambi", "brms", "lme4")
# The targets, each "multilevel against another tool on these models".
HEADLINE_MODELS = ("sleepstudy", "hsb")
# lme4's real InstEval data, where multilevel is set beside lme4 first of all
BIG_MODEL = "insteval"
# The simulated million-row model and the peak memory its fit should stay within
MILLION_MODEL = "million"
MEMORY_GOAL_GIB = 8


def _num(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _sig(value: float | None) -> str:
    """Three significant figures, for ESS per second that ranges from 0.01 to 1,000s."""
    if value is None or not math.isfinite(value):
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def one_line(record: dict) -> str:
    """A fit's record in one line, for the runner's progress output.

    Parameters
    ----------
    record
        One entry of ``results["fits"]``.

    Returns
    -------
    str
    """
    if record.get("status") != "ok":
        return f"{record.get('status')}: {record.get('note', '')} ({record.get('log', '')})"
    line = f"{record['wall_s']:.1f} s, {record['peak_tree_mib']:.0f} MiB"
    if record.get("min_ess_bulk") is None:  # lme4: estimates, no draws
        return f"{line}, {record.get('backend')}"
    return (f"{line}, min bulk ESS {_num(record['min_ess_bulk'], 0)} "
            f"({record['min_ess_param']}), {_sig(record['min_ess_bulk_per_s'])} ESS/s, "
            f"{record.get('divergences')} divergences")


def _wall(fit: dict, unit: str = "") -> str:
    """A fit's wall time and, when it ran more than once, how many runs and their range."""
    runs = fit.get("runs_wall_s")
    if not runs:
        return _num(fit["wall_s"]) + unit
    return (f"{_num(fit['wall_s'])}{unit} (median of {len(runs)}: "
            f"{_num(min(runs))}–{_num(max(runs))}{unit})")


def _by_model(results: dict) -> dict[str, dict[str, dict]]:
    table: dict[str, dict[str, dict]] = {}
    for fit in results["fits"]:
        table.setdefault(fit["model"], {})[fit["tool"]] = fit
    return table


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell, where a bare ``|`` would end the cell."""
    return text.replace("|", "\\|")


def _ok(fit: dict | None) -> bool:
    return bool(fit) and fit.get("status") == "ok"


def results_table(results: dict) -> list[str]:
    """The Markdown table: one row per model and tool, with ratios to multilevel's row."""
    lines = [
        "| Model | Tool | Wall s | Peak MiB | Min bulk ESS (parameter) | Min bulk ESS/s "
        "| Wall ÷ multilevel | ESS/s ÷ multilevel | Divergences |",
        "|---|---|--:|--:|---|--:|--:|--:|--:|",
    ]
    for model, tools in _by_model(results).items():
        base = tools.get("multilevel")
        for tool in sorted(tools, key=lambda t: TOOL_ORDER.index(t) if t in TOOL_ORDER else 9):
            fit = tools[tool]
            if not _ok(fit):
                lines.append(f"| {model} | {tool} | {_cell(fit.get('note', fit.get('status')))} "
                             "| – | – | – | – | – | – |")
                continue
            wall_ratio = ess_ratio = "–"
            if _ok(base):
                wall_ratio = f"{fit['wall_s'] / base['wall_s']:.2f}"
                if fit["min_ess_bulk_per_s"] and base["min_ess_bulk_per_s"]:
                    ess_ratio = f"{fit['min_ess_bulk_per_s'] / base['min_ess_bulk_per_s']:.2f}"
            # lme4 draws nothing: no ESS, no divergences
            ess = (f"{_num(fit['min_ess_bulk'], 0)} (`{fit['min_ess_param']}`)"
                   if fit.get("min_ess_bulk") is not None else "–")
            divergences = fit.get("divergences")
            lines.append(
                f"| {model} | {tool} | {_wall(fit)} | {_num(fit['peak_tree_mib'], 0)} "
                f"| {ess} | {_sig(fit.get('min_ess_bulk_per_s'))} | {wall_ratio} | {ess_ratio} "
                f"| {'–' if divergences is None else divergences} |"
            )
    return lines


def _estimate(param: dict) -> float | None:
    """A parameter's point value: a posterior mean, or lme4's estimate."""
    value = param.get("mean", param.get("estimate"))
    return value if isinstance(value, (int, float)) else None


def _value(value: float | None) -> str:
    """Four significant figures, for estimates from 0.01 (a standard deviation) to 250."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.4g}"


def lme4_estimator(fit: dict) -> str:
    """What lme4's estimates are, from the backend its script recorded."""
    backend = fit.get("backend") or ""
    if "REML" in backend:
        return "REML estimate"
    return "ML estimate (Laplace)" if "Laplace" in backend else "ML estimate"


def lme4_comparison(results: dict, model: str) -> list[str]:
    """multilevel beside lme4 on one model: wall times and their ratio, then the estimates.

    Parameters
    ----------
    results
        The content of ``benchmarks/results/latest.json``.
    model
        A model with an lme4 fit in ``results``.

    Returns
    -------
    list of str
        Markdown lines: a heading, a sentence on the two fits' wall times, their ratio and
        multilevel's largest R-hat, and a table with a row per parameter: multilevel's
        posterior mean, lme4's estimate and standard error, and their difference.
    """
    tools = _by_model(results).get(model, {})
    ours, theirs = tools.get("multilevel"), tools.get("lme4")
    info = results["models"].get(model, {})
    lines = [f"### {model}", ""]
    if info:
        lines += [f"`{info['formula']}`, {info['family']}, {info['rows']:,} rows "
                  f"(`{info['path']}`).", ""]
    if not (_ok(ours) and _ok(theirs)):
        missing = [f"{tool} {fit.get('note', fit.get('status')) if fit else 'not run'}"
                   for tool, fit in (("multilevel", ours), ("lme4", theirs)) if not _ok(fit)]
        return lines + ["No comparison: " + "; ".join(missing) + ".", ""]
    ratio = ours["wall_s"] / theirs["wall_s"]
    rhat = (f"multilevel's largest R-hat is {ours['max_rhat']:.3f} "
            f"(`{ours['max_rhat_param']}`)" if ours.get("max_rhat") is not None
            else "multilevel recorded no R-hat")
    lines += [
        f"multilevel {_wall(ours, ' s')}, lme4 {_wall(theirs, ' s')} end to end: "
        f"multilevel's wall time is {ratio:.2f} x lme4's; {rhat}"
        + (". lme4 reports a singular fit" if theirs.get("singular") else "") + ".",
        "",
        f"| Parameter | multilevel posterior mean | lme4 {lme4_estimator(theirs)} | lme4 SE "
        "| Difference |",
        "|---|--:|--:|--:|--:|",
    ]
    ours_p, theirs_p = ours.get("params", {}), theirs.get("params", {})
    for name in dict.fromkeys([*ours_p, *theirs_p]):
        mean = _estimate(ours_p.get(name, {}))
        estimate = _estimate(theirs_p.get(name, {}))
        difference = mean - estimate if mean is not None and estimate is not None else None
        lines.append(f"| `{name}` | {_value(mean)} | {_value(estimate)} "
                     f"| {_value(theirs_p.get(name, {}).get('se'))} | {_value(difference)} |")
    return lines + [""]


def lme4_section(results: dict) -> list[str]:
    """The page's section setting multilevel beside lme4, InstEval first; none without lme4."""
    models = list(dict.fromkeys(f["model"] for f in results["fits"] if f["tool"] == "lme4"))
    if not models:
        return []
    models.sort(key=lambda name: name != BIG_MODEL)
    lines = [
        "## multilevel and lme4",
        "",
        "lme4 fits each model in one R process: `lmer` with its default `REML = TRUE` for "
        "gaussian models (restricted maximum likelihood, so its standard deviations and `sigma`"
        " are REML estimates), `glmer` with the binomial family for bernoulli ones (maximum "
        "likelihood with the Laplace approximation). Its wall time is measured as the other "
        "tools' are, from R's start to its exit. It gives point estimates and standard errors "
        "of the population-level effects, and no draws, hence no ESS. The difference is "
        "multilevel's posterior mean less lme4's estimate; they should agree to within a "
        "standard error or so for the population-level effects. A posterior mean of a standard "
        "deviation also averages over how uncertain it is, which lifts it above the REML "
        "estimate where there are few levels (InstEval's 14 departments).",
        "",
    ]
    for model in models:
        lines += lme4_comparison(results, model)
    return lines


def closing_note(results: dict) -> list[str]:
    """The issue's headline numbers: ratios on sleepstudy and hsb, and the big model's cost."""
    table = _by_model(results)
    lines = []
    for model in HEADLINE_MODELS:
        if model not in table:
            lines.append(f"- **{model}**: not run.")
            continue
        tools = table[model]
        base = tools.get("multilevel")
        if not _ok(base):
            lines.append(f"- **{model}**: no successful multilevel fit in this run.")
            continue
        parts = [f"multilevel {_wall(base, ' s')}"]
        brms, bambi = tools.get("brms"), tools.get("bambi")
        if _ok(brms):
            share = base["wall_s"] / brms["wall_s"]
            parts.append(f"brms {_wall(brms, ' s')}: multilevel's wall time is {share:.3f} x "
                         f"brms's (target 0.10 or less: {'met' if share <= 0.1 else 'not met'})")
        if _ok(bambi):
            share = base["wall_s"] / bambi["wall_s"]
            parts.append(f"bambi {_wall(bambi, ' s')}: {share:.3f} x bambi's "
                         f"(target 0.50 or less: {'met' if share <= 0.5 else 'not met'})")
            if bambi["min_ess_bulk_per_s"] and base["min_ess_bulk_per_s"]:
                ess = base["min_ess_bulk_per_s"] / bambi["min_ess_bulk_per_s"]
                parts.append(f"multilevel's smallest bulk ESS per second is {ess:.2f} x bambi's "
                             f"(target 2 or more: {'met' if ess >= 2 else 'not met'})")
        lines.append(f"- **{model}**: " + "; ".join(parts) + ".")
    tools = table.get(BIG_MODEL, {})
    base = tools.get("multilevel")
    if _ok(base):
        others = [f"{tool} {_num(fit['wall_s'])} s and {_num(fit['peak_tree_mib'], 0)} MiB "
                  f"(multilevel's wall time is {base['wall_s'] / fit['wall_s']:.2f} x {tool}'s)"
                  if _ok(fit) else f"{tool} {fit.get('note', fit.get('status'))}"
                  for tool, fit in tools.items() if tool != "multilevel"]
        lines.append(
            f"- **{BIG_MODEL}** ({results['models'][BIG_MODEL]['rows']:,} rows): multilevel "
            f"took {_wall(base, ' s')} ({base['wall_s'] / 60:.1f} min) with a peak of "
            f"{base['peak_tree_mib']:.0f} MiB, at {_sig(base['min_ess_bulk_per_s'])} bulk ESS/s"
            + (f"; {'; '.join(others)}" if others else "") + "."
        )
    elif BIG_MODEL in table:
        lines.append(f"- **{BIG_MODEL}**: no successful multilevel fit in this run.")
    else:
        lines.append(f"- **{BIG_MODEL}**: not run.")
    return lines + million_note(results)


def million_note(results: dict) -> list[str]:
    """The million-row model's line: multilevel's time, peak memory against the goal, ESS/s.

    Parameters
    ----------
    results
        The content of ``benchmarks/results/latest.json``.

    Returns
    -------
    list of str
        One Markdown list item.
    """
    goal = f"goal: at most {MEMORY_GOAL_GIB} GiB"
    tools = _by_model(results).get(MILLION_MODEL)
    if tools is None:
        return [f"- **{MILLION_MODEL}**: not run ({goal} of peak memory)."]
    base = tools.get("multilevel")
    if not _ok(base):
        why = base.get("note", base.get("status")) if base else "not run"
        return [f"- **{MILLION_MODEL}**: no successful multilevel fit in this run ({why}; "
                f"{goal} of peak memory)."]
    peak_gib = base["peak_tree_mib"] / 1024
    met = "met" if peak_gib <= MEMORY_GOAL_GIB else "not met"
    rows = results["models"].get(MILLION_MODEL, {}).get("rows")
    others = [f"{tool} {_num(fit['wall_s'])} s and {_num(fit['peak_tree_mib'] / 1024, 2)} GiB"
              if _ok(fit) else f"{tool} {fit.get('note', fit.get('status'))}"
              for tool, fit in tools.items() if tool != "multilevel"]
    return [
        f"- **{MILLION_MODEL}**" + (f" ({rows:,} rows)" if rows else "") + ": multilevel "
        f"took {_wall(base, ' s')} ({base['wall_s'] / 60:.1f} min) with a peak of "
        f"{peak_gib:.2f} GiB ({goal}, {met}), at {_sig(base['min_ess_bulk_per_s'])} bulk "
        f"ESS/s (smallest bulk ESS {_num(base['min_ess_bulk'], 0)}, "
        f"`{base['min_ess_param']}`)" + (f"; {'; '.join(others)}" if others else "") + "."
    ]


# For each backend that tools/profile_multilevel.py times, the stages of a fit as (key in the
# profile, what the stage is); they follow each other in one fit
STAGES = {
    "nutpie": (
        ("import_s", "imports"),
        ("build_s", "formula, design, priors, PyMC model"),
        ("rewrite_s", "PyTensor graph rewriting"),
        ("numba_logp_s", "numba code: log density and gradient"),
        ("numba_expand_s", "numba code: stored quantities"),
        ("compile_other_s", "rest of compiling"),
        ("sampling_s", "sampling"),
        ("after_sampling_s", "pointwise log-likelihood, summary, diagnostics"),
    ),
    "numpyro": (
        ("import_s", "imports"),
        ("build_s", "formula, design, priors, PyMC model"),
        ("jax_function_s", "PyTensor graph rewriting into a JAX function"),
        ("trace_s", "JAX imports, initial points, tracing the sampler, lowering to XLA"),
        ("xla_compile_s", "XLA compiling the sampler"),
        ("sampling_s", "sampling"),
        ("after_sampling_s", "pointwise log-likelihood, summary, diagnostics"),
    ),
}


def profile_table(profile: dict, sampler: str) -> list[str]:
    """Seconds per stage of each fit profiled with one backend, a column per model and run.

    Parameters
    ----------
    profile
        The content of ``benchmarks/results/profile.json``.
    sampler
        The backend, a key of :data:`STAGES`.

    Returns
    -------
    list of str
        Markdown lines; none when no fit with this backend was profiled.
    """
    runs = [p for p in profile["profiles"]
            if p["status"] == "ok" and "stages" in p and p["sampler"] == sampler]
    if not runs:
        return []
    stages = STAGES[sampler]
    lines = [f"| Stage ({sampler}) | " + " | ".join(f"{p['model']}, {p['run']}" for p in runs)
             + " |", "|---|" + "--:|" * len(runs)]
    for key, label in stages:
        lines.append(f"| {label} | " + " | ".join(_num(p["stages"][key]) for p in runs) + " |")
    lines.append("| interpreter start, reading the data, exit | " + " | ".join(
        _num(p["wall_s"] - sum(p["stages"][key] for key, _ in stages)) for p in runs) + " |")
    lines.append("| **wall time** | " + " | ".join(f"**{_num(p['wall_s'])}**" for p in runs)
                 + " |")
    if sampler == "nutpie":
        lines.append("| numba functions compiled | " + " | ".join(
            f"{p['stages']['numba_functions_compiled']:,}" for p in runs) + " |")
    return lines


def profile_tables(profile: dict) -> list[str]:
    """:func:`profile_table` of every profiled backend, with a blank line between them."""
    lines: list[str] = []
    for sampler in STAGES:
        table = profile_table(profile, sampler)
        if table:
            lines += ([""] if lines else []) + table
    return lines or ["(no profiled fit succeeded)"]


def sampler_table(profile: dict) -> list[str]:
    """Wall time and smallest bulk ESS per second of one model under each sampler backend.

    Parameters
    ----------
    profile
        The content of ``benchmarks/results/profile.json``.

    Returns
    -------
    list of str
        Markdown lines.
    """
    model = profile.get("sampler_model")
    runs = [p for p in profile["profiles"] if p["model"] == model]
    lines = [f"| `brm(..., sampler=)` on {model} | Run | Wall s | Min bulk ESS (parameter) "
             "| Min bulk ESS/s | Divergences |", "|---|---|--:|---|--:|--:|"]
    for p in runs:
        if p["status"] != "ok":
            lines.append(f"| `{p['sampler']}` | {p['run']} | failed (`{p['log']}`) | | | |")
            continue
        lines.append(f"| `{p['sampler']}` | {p['run']} | {_num(p['wall_s'])} "
                     f"| {_num(p['min_ess_bulk'], 0)} (`{p['min_ess_param']}`) "
                     f"| {_sig(p['min_ess_bulk_per_s'])} | {p['divergences']} |")
    return lines


def profile_section(profile: dict) -> list[str]:
    """The page's section on where multilevel's time goes."""
    return [
        "## Where multilevel's time goes",
        "",
        f"From `{profile['command']}` on {profile['date']} (UTC), commit "
        f"`{profile.get('commit')}`: each fit runs as in the benchmark, in a new process with "
        f"{profile['settings']['chains']} chains x {profile['settings']['draws']} draws after "
        f"{profile['settings']['warmup']} warmup, seconds per stage. The *first fit* of a model "
        "runs with new caches warmed only by the tiny fit, as above; the *refit* runs the same "
        "model again in a new process, with what the first fit compiled on disk. The stages "
        "are timed inside the process, the wall time from outside it.",
        "",
        *profile_tables(profile),
        "",
        "numpyro, the default below 10,000 rows, samples a JAX function that PyTensor "
        "writes from the model's log density: numpyro's NUTS, the model's gradient, the "
        "warmup and the draws are traced into one program that XLA compiles, in a few "
        "seconds for any model, and kept on disk, so that a refit of the same model and data "
        "in a new process loads it instead (building and tracing the model remain). Imports "
        "(PyMC with ArviZ, then JAX) are a fixed cost of every fit.",
        "",
        "nutpie samples a log density that PyTensor's numba backend generates for each "
        "model: numba turns every operation of the log density and its gradient into "
        "machine code through LLVM and keeps the pieces in its on-disk cache. What it "
        "cannot keep is the function that strings one model's operations together, so "
        "every fit in a new process pays for it again; operations whose code depends on the "
        "data (shapes and values folded in as constants) are compiled anew for new data. "
        "Within one Python session a compiled model is reused for refits of the same "
        "structure (`multilevel.inference.compile_cache`). XLA compiles numpyro's whole "
        "sampler for a new model in seconds, which is why `sampler=\"auto\"` takes numpyro "
        "below 10,000 rows; on larger data nutpie's faster gradient and parallel chains "
        "outweigh its compile.",
        "",
        "### Sampler backends",
        "",
        "The same model with the backends `brm` offers that the command above names, each "
        "fit in a new process with the caches above: nutpie (Rust NUTS on the numba log "
        "density), numpyro (NUTS in JAX, the whole sampler compiled by XLA for one chain, a thread "
        "per core running the chains), blackjax (NUTS in JAX through PyMC, chains "
        "vectorised) or PyMC's own NUTS (PyTensor's C backend, a process per core).",
        "",
        *sampler_table(profile),
        "",
    ]


def runs_of_fits(results: dict) -> list[str]:
    """Which run made which fits, where the results merge several runs (none otherwise).

    Parameters
    ----------
    results
        The content of ``benchmarks/results/latest.json``.

    Returns
    -------
    list of str
        Markdown lines: one item per run, with its date, commit and the fits it made.
    """
    runs: dict[tuple, list[str]] = {}
    for fit in results["fits"]:
        if fit.get("command"):
            key = (fit["date"], fit["commit"], fit["command"])
            runs.setdefault(key, []).append(f"{fit['model']} ({fit['tool']})")
    if len(runs) < 2:
        return []
    lines = ["The fits come from these runs:", ""]
    for (date, commit, command), fits in sorted(runs.items()):
        lines.append(f"- {date} (UTC), commit `{commit}`, `{command}`: "
                     + ", ".join(dict.fromkeys(fits)))
    return [*lines, ""]


def render(results: dict, profile: dict | None = None, notes: str | None = None) -> str:
    """The whole of ``docs/performance.md`` for one run's results.

    Parameters
    ----------
    results
        The content of ``benchmarks/results/latest.json``.
    profile
        The content of ``benchmarks/results/profile.json``, if there is one.
    notes
        Markdown written by hand (``benchmarks/results/notes.md``): measurements the runner
        does not make, placed after the profile, so that a new run keeps them.

    Returns
    -------
    str
        Markdown.
    """
    s, m, v = results["settings"], results["machine"], results["versions"]
    out = ["# Performance", ""]
    out += [
        "This page is written by `python benchmarks/run.py`; edit the runner "
        "(`benchmarks/report.py`), not this file.",
        "",
    ]
    if results.get("quick"):
        out += [
            "> **Smoke run, not a benchmark.** These numbers come from "
            f"`{results['command']}`: {s['chains']} chains x {s['draws']} draws after "
            f"{s['warmup']} warmup, small models only (the load average below tells how busy "
            "the machine was). "
            "They show that the runner works end to end for every tool; they say nothing "
            "about speed or sampling efficiency (with 100 warmup iterations the samplers "
            "are barely adapted). The full run, `python benchmarks/run.py` on a quiet "
            "machine, overwrites this page.",
            "",
        ]
    load_start = m.get("load_at_start") or ["?"]
    load_end = m.get("load_at_end") or ["?"]
    out += [
        f"**Run** {results['date']} (UTC), commit `{results.get('commit')}`"
        + (f", {_num(results['duration_s'], 0)} s in all" if results.get("duration_s") else "")
        + f": `{results['command']}`",
        "",
        *runs_of_fits(results),
        f"**Machine** {m['cpu']}, {m['logical_cores']} logical cores, "
        f"{m['memory_gib']} GiB, {m['os']}; load average {load_start[0]} at the start "
        f"and {load_end[0]} at the end.",
        "",
        f"**Settings** {s['chains']} chains x {s['draws']} draws after {s['warmup']} warmup, "
        f"{s['cores']} cores per fit, seed {s['seed']}, timeout at most {s['timeout_s']:.0f} s per "
        f"fit, compilation caches: `{s['cache']}`"
        + (f", up to {s['repeats']} runs of each fit (the tools taking turns; each Wall cell "
           "says how many), of which the table gives the run of median wall time"
           if s.get("repeats", 1) > 1 else "")
        + ("; each timed fit follows an untimed tiny fit of its tool, which brings the tool's "
           "files into the file cache" if s.get("warm_each_fit") else "") + ".",
        "",
        "**Versions**",
        "",
        "| Tool | Versions |",
        "|---|---|",
    ]
    for tool in TOOL_ORDER:
        if tool in v:
            out.append(f"| {tool} | " + ", ".join(f"{k} {val}" for k, val in v[tool].items())
                       + " |")
        elif tool in s.get("tools", TOOL_ORDER):
            out.append(f"| {tool} | not available |")
        else:
            out.append(f"| {tool} | not run |")
    out += ["", "## Models", "", "| Model | Formula | Family | Rows | Data (SHA-256) |",
            "|---|---|---|--:|---|"]
    for name, model in results["models"].items():
        out.append(f"| {name} | `{_cell(model['formula'])}` | {model['family']} "
                   f"| {model['rows']:,} "
                   f"| `{model['path']}` (`{model['sha256'][:12]}`) |")
    out += ["", "## Results", ""] + results_table(results)
    out += ["", "Ratios are the tool's value over multilevel's on the same model: a wall ratio "
            "of 10 means the tool took ten times as long as multilevel; an ESS/s ratio of 0.5 "
            "means it produced half multilevel's effective draws per second.", ""]
    out += ["## Summary", ""]
    if results.get("quick"):
        out += ["(From the smoke run: these ratios measure compilation and start-up, not "
                "sampling, and are no evidence for or against the targets.)", ""]
    out += closing_note(results)
    lme4 = lme4_section(results)
    if lme4:
        out += [""] + lme4[:-1]  # the section's last line is blank
    if profile is not None:
        out += [""] + profile_section(profile)
    if notes:
        out += [""] + notes.rstrip("\n").split("\n") + [""]
    out += ["", METHOD]
    return "\n".join(out) + "\n"


METHOD = """## What is measured

- **Wall s**: seconds from starting the fit's process to its exit, measured by the runner:
  interpreter or R start, imports, reading the CSV, building and compiling the model,
  warmup and sampling of all chains, and the posterior summary. Every fit runs in a new
  process, so nothing is shared between fits but the on-disk caches described below. With
  `--repeats N` each model is fitted N times by each tool, the tools taking turns; a tool's
  row is then its run of median wall time (of an even N the faster of the middle two; its ESS
  and memory are that run's), and the cell gives the range of all N. A tool that fails in any
  of the N runs gets that failure as its row.
- **Peak MiB**: the largest total proportional set size (PSS) of the fit's whole process
  tree, sampled four times a second. numpyro and nutpie run chains in threads of one process, PyMC
  (bambi) forks a worker process per core and rstan (brms) starts an R process per core;
  PSS counts pages shared between those processes once. `maxrss_mib` in the JSON is the
  kernel's `ru_maxrss`, the resident peak of the largest single process. For brms on the
  smaller models the peak is that of the C++ compiler building the Stan model, not of
  sampling.
- **Min bulk ESS/s**: the smallest rank-normalised bulk effective sample size over the
  population-level effects (`b_`), the group-level standard deviations (`sd_`), the
  correlations (`cor_`) and `sigma`, divided by the wall time. Group-level effects (`r_`)
  are left out. multilevel and bambi compute it with ArviZ, brms with
  `posterior::summarise_draws`; both implement Vehtari et al. (2021). bambi's names are
  mapped to brms's: `Days` is `b_Days`, `1|Subject_sigma` is `sd_Subject__Intercept`.
  lme4 draws nothing, so its rows have no ESS; its wall time runs, like brms's, from R's
  start (loading lme4, reading the CSV, the fit, extracting the estimates) to its exit.
- **R-hat**: the JSON keeps each sampler's R-hat of every parameter counted above and, per
  fit, the largest (`max_rhat`), which the comparison with lme4 shows for multilevel.
- The JSON (`benchmarks/results/latest.json`) also keeps each tool's own timings (imports,
  fit, summary; Stan's seconds per chain for brms), the posterior mean and bulk ESS of every
  parameter counted, divergences, warnings and the SHA-256 of the data each fit read. Each
  fit's output is logged in `benchmarks/results/logs/`.

**Compilation caches.** PyTensor and numba keep compiled code on disk, so the first model a
Python user ever fits is slower than later ones. With `--cache fresh` (the default) each
Python tool gets new, empty caches for the run, filled by one untimed fit of a tiny model
(multilevel's with nutpie, whose numba code is what the caches keep) before the timed fits:
every timed fit still compiles its own model, as brms does, but not the libraries' common
code. Each timed fit starts from its own copy of those warmed caches, so none reuses what an
earlier timed fit compiled (another model's, or its own model's in an earlier repeat).
Before each timed fit the tool's tiny fit runs once more, untimed, on a throwaway copy of
the caches (on the user's own with `--cache user`; `--no-warm-each-fit` leaves it out): this
machine's kernel pages out file pages unused for a minute, so that a tool fitted right after
a two-minute brms fit would otherwise read its libraries from disk (multilevel's imports took
13 s instead of 2 s once). Every fit thus starts as for a user who has used the tool in the
last minute.
`--cache cold` gives every fit empty caches (a user's very first fit); `--cache user` uses
the caches already on the machine (a user refitting models they fitted before). brms has no
such cache: rstan compiles each model's C++ anew.

## The tools do not fit quite the same model

- **multilevel and brms** use brms's default priors, so they target the same posterior
  (multilevel samples the group-level effects of Gaussian models in data-informed
  coordinates, which change the sampler's geometry, not the posterior); their estimates in
  the JSON should agree within Monte Carlo error.
- **bambi** is run as its users get it: `bmb.Model(formula, data, family=...)` and
  `model.fit(draws=1000, tune=1000, chains=4, cores=2, random_seed=...)`, with its default
  priors and sampler (PyMC's NUTS, its C backend). Its priors are not brms's: normal priors
  scaled by the data on every coefficient (brms: flat on `b`, `student_t(3, ...)` on the
  intercept), half-normal priors on the group-level sds (brms: half `student_t(3, 0, ...)`)
  and a half-Student-t(4) on `sigma`. bambi also has no correlation between the group-level
  effects of a term: `(Days | Subject)` gets independent intercepts and slopes, so bambi's
  smallest ESS is taken over one parameter fewer (no `cor_`).
- **Samplers**: multilevel samples as `brm`'s default `sampler="auto"` does: with numpyro
  (NUTS in JAX, compiled whole by XLA, chains in threads) below 10,000 rows and with nutpie
  (Rust NUTS on a numba-compiled log density, chains in threads) above; the Backend column of
  the JSON says which ran. bambi with PyMC's NUTS (a process per core), brms with Stan through
  rstan (a process per core). All use NUTS with a target acceptance of 0.8 and the same
  number of chains, warmup and draws; each tool's own seed is set to the same number.
- **lme4** is no Bayesian tool: `lmer` (gaussian, its default `REML = TRUE`) and `glmer`
  (bernoulli as the binomial family, maximum likelihood by the Laplace approximation) with
  their default optimisers. Its estimates are set beside multilevel's posterior means under
  brms's names (`(Intercept)` is `b_Intercept`, the standard deviation of `Days` by
  `Subject` is `sd_Subject__Days`, the residual's is `sigma`).
- **Categorical columns**: every tool reads the same CSV and turns the columns a model names
  as factors into unordered categorical columns: the grouping factors, and InstEval's
  `service`, a factor with levels 0 and 1 in R, so that its coefficient is lme4's and brms's
  `service1` in every tool.
- Both Python environments are plain pip installs, in which PyTensor finds no BLAS to link
  against (the versions table shows `pytensor blas`); that is what pip users get.

## How to rerun

```bash
pip install -e .                       # multilevel and its dependencies
bash benchmarks/setup_bambi.sh         # bambi 0.17 in benchmarks/.venv-bambi
bash ../shared/tools/brms-setup.sh     # R, rstan and brms (optional; skipped if missing)
Rscript -e 'install.packages(c("lme4", "jsonlite"))'   # lme4 (optional; skipped if missing)
python benchmarks/run.py               # all but insteval_like and million: several hours
python benchmarks/run.py --models sleepstudy hsb crossed_bernoulli --repeats 3
python benchmarks/run.py --models sleepstudy hsb --tools multilevel brms
python benchmarks/run.py --quick       # smoke test: 2 chains x 100 draws, small models
python benchmarks/run.py --append --models insteval --tools multilevel lme4 --timeout 3600
python benchmarks/run.py --append --models million --tools multilevel lme4 --timeout 14400
python benchmarks/profile.py           # stages of multilevel's fits; sampler backends
```

`insteval` is lme4's real InstEval data, committed as `benchmarks/data/insteval.csv` (its
source and licence are in `benchmarks/data/README.md`). The simulated data
(`crossed_bernoulli`, `insteval_like` with InstEval's sizes, `million`) are written to
`benchmarks/data/` by `python benchmarks/simulate.py` with fixed seeds, on first use. Run on
an otherwise idle machine: every tool is given two cores, and anything else running slows
all of them.
`python benchmarks/run.py --help` lists every option; `--render RESULTS.json` redraws this
page from saved results.
"""

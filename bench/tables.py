"""From raw runs to medians, ratios and budgets, and the Markdown table that shows them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from statistics import median
from typing import Any

from worker import PIPELINE_STAGES, SETUP, STAGES

ENGINES = ("fast", "reference")
MILLION = 1_000_000
HUNDRED_THOUSAND = 100_000
NEAR = 2.0
"""A size is "about" a target triple count when within this factor of it; further off, its budget is not checked."""

BUDGET_PIPELINE_S = 60.0
BUDGET_PIPELINE_BYTES = 4_000_000_000
BUDGET_SPEEDUP = 30.0
BUDGET_PER_TRIPLE_GROWTH = 2.0
BUDGET_BUNDLED_S = 2.0
BUDGET_HELP_S = 0.3


# --- summarising ---------------------------------------------------------------------------------


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return median(present) if present else None


def _stage_summary(entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ok = [e for e in entries if e["status"] == "ok"]
    failures = [e for e in entries if e["status"] not in ("ok", "excluded")]
    if not ok and not failures and entries:
        return {"median_s": None, "median_peak_rss_bytes": None, "runs": len(entries), "ok_runs": 0,
                "status": "excluded", "message": entries[0].get("message", "")}
    summary: dict[str, Any] = {
        "median_s": _median(e["seconds"] for e in ok),
        "median_peak_rss_bytes": _median(e.get("peak_rss_bytes") for e in ok),
        "runs": len(entries),
        "ok_runs": len(ok),
        "status": "ok" if not failures else ("partial" if ok else failures[0]["status"]),
    }
    if failures:
        summary["message"] = failures[0].get("message", failures[0]["status"])
    if all(e["status"] == "timeout" for e in failures) and failures and not ok:
        summary["timeout_s"] = failures[0]["seconds"]
    return summary


def _pipeline(run: dict[str, Any]) -> tuple[float | None, int | None, bool]:
    """(seconds, peak bytes, lower bound) of stages 1–8 of one run.

    A run stopped by its time limit gives a lower bound: the stages it finished plus
    the limit of the one it was in. A run with a failed stage gives no figure.
    """
    stages = [run["stages"][key] for key in PIPELINE_STAGES]
    statuses = {stage["status"] for stage in stages}
    peaks = [stage["peak_rss_bytes"] for stage in stages if stage.get("peak_rss_bytes") is not None]
    peak = max(peaks) if peaks else None
    if statuses == {"ok"}:
        return sum(stage["seconds"] for stage in stages), peak, False
    if "timeout" in statuses and "error" not in statuses and "skipped" not in statuses:
        return sum(stage["seconds"] for stage in stages if stage["status"] in ("ok", "timeout")), peak, True
    return None, peak, False


def _engine_summary(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    keys = (SETUP, *(key for key, _ in STAGES))
    stages = {key: _stage_summary([run["stages"][key] for run in runs]) for key in keys}
    figures = [_pipeline(run) for run in runs]
    exact = [f for f in figures if f[0] is not None and not f[2]]
    bounds = [f for f in figures if f[0] is not None and f[2]]
    used = exact or bounds
    pipeline = {
        "median_s": _median(f[0] for f in used),
        "median_peak_rss_bytes": _median(f[1] for f in used),
        "lower_bound": not exact and bool(bounds),
        "complete_runs": len(exact),
        "runs": len(runs),
    }
    cli_runs = [run["cli"] for run in runs if "cli" in run]
    cli: dict[str, Any] = _stage_summary(cli_runs) if cli_runs else {"status": "not run", "median_s": None}
    cli["lower_bound"] = cli.get("timeout_s") is not None
    if cli["lower_bound"]:
        cli["median_s"] = cli["timeout_s"]
    returncodes = sorted({c["returncode"] for c in cli_runs if c["status"] == "ok"})
    if returncodes and returncodes != [0]:
        cli["note"] = "exit code 1: the graph has SHACL violations"
    counts = next((run["counts"] for run in runs if {"asserted", "inferred", "derived"} <= set(run["counts"])), None)
    return {"runs": len(runs), "stages": stages, "pipeline": pipeline, "cli": cli, "counts": counts,
            "memory_method": next((run.get("memory_method") for run in runs if run.get("memory_method")), None)}


def _ratio(reference: float | None, fast: float | None, lower_bound: bool = False) -> dict[str, Any] | None:
    if reference is None or not fast:
        return None
    return {"ratio": reference / fast, "lower_bound": lower_bound}


def _triples(counts: dict[str, Any] | None) -> dict[str, int] | None:
    if counts is None:
        return None
    triples = {key: int(counts[key]) for key in ("asserted", "inferred", "derived")}
    triples["total"] = sum(triples.values())
    return triples


def summarise(runs: Sequence[dict[str, Any]], sizes: Sequence[int], fast_sizes: Sequence[int],
              reference_sizes: Sequence[int]) -> dict[str, Any]:
    """Medians per (size, engine, stage), ratios reference/fast, triple counts and time per triple."""
    by_size: dict[str, Any] = {}
    for size in sizes:
        entry: dict[str, Any] = {"studies": size}
        for engine in ENGINES:
            chosen = [run for run in runs if run["studies"] == size and run["engine"] == engine]
            entry[engine] = _engine_summary(chosen) if chosen else None
        fast, reference = entry["fast"], entry["reference"]
        triples = _triples((fast or {}).get("counts")) or _triples((reference or {}).get("counts"))
        entry["triples"] = triples
        if fast and reference:
            fast_triples, reference_triples = _triples(fast["counts"]), _triples(reference["counts"])
            if fast_triples and reference_triples and fast_triples != reference_triples:
                entry["triples_differ"] = {"fast": fast_triples, "reference": reference_triples}
        for engine in ENGINES:
            summary = entry[engine]
            if summary is None:
                continue
            seconds = summary["pipeline"]["median_s"]
            summary["us_per_triple"] = (seconds * 1e6 / triples["total"]
                                        if seconds is not None and triples and triples["total"] else None)
        if fast and reference:
            entry["ratios"] = {
                key: _ratio(reference["stages"][key]["median_s"] or reference["stages"][key].get("timeout_s"),
                            fast["stages"][key]["median_s"], reference["stages"][key].get("timeout_s") is not None)
                for key in (SETUP, *(k for k, _ in STAGES))
            }
            entry["ratios"]["pipeline"] = _ratio(reference["pipeline"]["median_s"], fast["pipeline"]["median_s"],
                                                 reference["pipeline"]["lower_bound"])
            entry["ratios"]["cli"] = _ratio(reference["cli"]["median_s"], fast["cli"]["median_s"],
                                            reference["cli"]["lower_bound"])
        by_size[str(size)] = entry

    def nearest(target: int, candidates: Iterable[int]) -> int | None:
        known = [s for s in candidates if by_size[str(s)]["triples"]]
        if not known:
            return None
        return min(known, key=lambda s: abs(math.log(by_size[str(s)]["triples"]["total"] / target)))

    complete_fast = [s for s in sizes if (by_size[str(s)]["fast"] or {}).get("pipeline", {}).get("complete_runs")]
    both = [s for s in reference_sizes if by_size[str(s)].get("ratios", {}).get("pipeline")]
    return {
        "sizes": by_size,
        "fast_sizes": list(fast_sizes),
        "reference_sizes": list(reference_sizes),
        "budget_sizes": {"million": nearest(MILLION, complete_fast or sizes),
                         "hundred_thousand": nearest(HUNDRED_THOUSAND, both or reference_sizes)},
    }


# --- budgets -------------------------------------------------------------------------------------


def _budget(name: str, limit: str, measured: str, passed: bool | None, note: str = "") -> dict[str, Any]:
    return {"budget": name, "limit": limit, "measured": measured, "pass": passed, "note": note}


def _near(total: int, target: int) -> bool:
    return target / NEAR <= total <= target * NEAR


def _command_median(timed: dict[str, Any]) -> tuple[float | None, str]:
    ok = [run for run in timed["runs"] if run["status"] == "ok"]
    if not ok:
        first = timed["runs"][0] if timed["runs"] else {}
        return None, first.get("message", "not run")
    return median(run["seconds"] for run in ok), f"median of {len(ok)} runs"


def _studies_for(target: int, sizes: dict[str, Any]) -> int | None:
    """About how many studies give ``target`` triples, judged from the largest size measured."""
    measured = [(int(size), entry["triples"]["total"]) for size, entry in sizes.items() if entry["triples"]]
    if not measured:
        return None
    studies, total = max(measured)
    return max(100, int(round(target * studies / total, -2)))


def _far_note(where: str, target: int, label: str, option: str, sizes: dict[str, Any]) -> str:
    estimate = _studies_for(target, sizes)
    advice = f"; {option} {estimate:,} would give about {label}" if estimate else ""
    return f"{where}: not within {NEAR:g}× of {label}, so not checked{advice}"


def check_budgets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each budget with the figure measured against it; ``pass`` is None when the run cannot tell.

    A budget tied to a triple count is checked at the size nearest it, and only if that
    size is within a factor of ``NEAR`` of it: a figure for 300k triples says little about 1M.
    """
    summary = results["summary"]
    sizes = summary["sizes"]
    budgets = []

    million = summary["budget_sizes"]["million"]
    entry = sizes[str(million)] if million is not None else None
    fast = (entry or {}).get("fast")
    if not entry or not fast or not entry["triples"]:
        budgets.append(_budget("pipeline at ~1M triples", f"≤ {BUDGET_PIPELINE_S:g} s", "no figure", None,
                               "no fast pipeline completed"))
    else:
        total = entry["triples"]["total"]
        where = f"{million:,} studies, {total:,} triples"
        seconds, peak = fast["pipeline"]["median_s"], fast["pipeline"]["median_peak_rss_bytes"]
        close = _near(total, MILLION)
        note = where if close else _far_note(where, MILLION, "1M triples", "--sizes", sizes)
        budgets.append(_budget("pipeline (stages 1–8) at ~1M triples", f"≤ {BUDGET_PIPELINE_S:g} s",
                               fmt_seconds(seconds), (seconds <= BUDGET_PIPELINE_S) if close and seconds else None,
                               note))
        budgets.append(_budget("peak memory of the pipeline at ~1M triples", f"≤ {BUDGET_PIPELINE_BYTES / 1e9:g} GB",
                               fmt_bytes(peak), (peak <= BUDGET_PIPELINE_BYTES) if close and peak else None, note))

    hundred = summary["budget_sizes"]["hundred_thousand"]
    entry = sizes[str(hundred)] if hundred is not None else None
    ratio = (entry or {}).get("ratios", {}).get("pipeline")
    if not entry or not ratio or not entry["triples"]:
        budgets.append(_budget("fast vs reference at ~100k triples", f"≥ {BUDGET_SPEEDUP:g}×", "no figure", None,
                               "no size where both engines completed the pipeline"))
    else:
        total = entry["triples"]["total"]
        close = _near(total, HUNDRED_THOUSAND)
        where = f"{hundred:,} studies, {total:,} triples"
        note = where if close else _far_note(where, HUNDRED_THOUSAND, "100k triples", "--reference-sizes", sizes)
        if ratio["lower_bound"]:
            note += "; the reference timed out, so the ratio is a lower bound"
        # A lower bound that already clears the budget passes; one that does not proves nothing.
        passed = ratio["ratio"] >= BUDGET_SPEEDUP if close else None
        if ratio["lower_bound"] and not passed:
            passed = None
        budgets.append(_budget("fast vs reference, pipeline (stages 1–8), at ~100k triples",
                               f"≥ {BUDGET_SPEEDUP:g}×", fmt_ratio(ratio), passed, note))

    per_triple = [(int(size), entry["fast"]["us_per_triple"]) for size, entry in sizes.items()
                  if entry["fast"] and entry["fast"]["us_per_triple"] and int(size) in summary["fast_sizes"]]
    if len(per_triple) < 2:
        budgets.append(_budget("time per triple, largest size / smallest", f"≤ {BUDGET_PER_TRIPLE_GROWTH:g}",
                               "no figure", None, "needs the fast pipeline at two sizes or more"))
    else:
        (small, small_us), (large, large_us) = min(per_triple), max(per_triple)
        growth = large_us / small_us
        budgets.append(_budget("time per triple, largest size / smallest", f"≤ {BUDGET_PER_TRIPLE_GROWTH:g}",
                               f"{growth:.2f}", growth <= BUDGET_PER_TRIPLE_GROWTH,
                               f"{large_us:.1f} µs at {large:,} studies / {small_us:.1f} µs at {small:,} studies"))

    commands = results["commands"]
    seconds, note = _command_median(commands["bundled_build"])
    budgets.append(_budget("`evidencekg build` on the bundled dataset (fast), end to end", f"≤ {BUDGET_BUNDLED_S:g} s",
                           fmt_seconds(seconds), seconds <= BUDGET_BUNDLED_S if seconds is not None else None, note))
    seconds, note = _command_median(commands["help"])
    budgets.append(_budget("`evidencekg --help`", f"≤ {BUDGET_HELP_S:g} s", fmt_seconds(seconds),
                           seconds <= BUDGET_HELP_S if seconds is not None else None, note))
    return budgets


# --- Markdown ------------------------------------------------------------------------------------


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds >= 100:
        return f"{seconds:,.0f} s"
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds:.3f} s"


def fmt_bytes(count: float | None) -> str:
    if count is None:
        return "—"
    return f"{count / 1e9:.2f} GB" if count >= 1e9 else f"{count / 1e6:,.0f} MB"


def fmt_ratio(ratio: dict[str, Any] | None) -> str:
    if not ratio:
        return "—"
    value = ratio["ratio"]
    text = f"{value:,.0f}×" if value >= 100 else f"{value:.1f}×"
    return ("≥ " if ratio["lower_bound"] else "") + text


class _Notes:
    """Footnotes for failures, so a table cell stays short."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def ref(self, message: str) -> str:
        if message not in self.items:
            self.items.append(message)
        return f"[{self.items.index(message) + 1}]"


def _cell(summary: dict[str, Any] | None, notes: _Notes) -> str:
    """Median seconds of a stage, or why there is none."""
    if summary is None:
        return ""
    status = summary["status"]
    if status == "ok":
        return fmt_seconds(summary["median_s"])
    if status == "timeout" and summary.get("timeout_s") is not None:
        return f"timed out after {summary['timeout_s']:g} s"
    if status == "partial":
        return f"{fmt_seconds(summary['median_s'])} ({summary['ok_runs']} of {summary['runs']} runs) " + notes.ref(
            summary.get("message", ""))
    if status in ("skipped", "not run", "excluded"):
        return "not run"
    return f"{status} " + notes.ref(summary.get("message", status))


def _memory_cell(summary: dict[str, Any] | None) -> str:
    if summary is None or summary.get("median_peak_rss_bytes") is None:
        return "—" if summary is not None else ""
    return fmt_bytes(summary["median_peak_rss_bytes"])


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], align: str | None = None) -> list[str]:
    align = align or "l" + "r" * (len(head) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    return ["| " + " | ".join(head) + " |", "| " + " | ".join(rule) + " |",
            *("| " + " | ".join(row) + " |" for row in rows)]


def _runs_text(count: int) -> str:
    return "1 run" if count == 1 else f"median of {count} runs"


def _machine_lines(machine: dict[str, Any]) -> list[str]:
    packages = ", ".join(f"{name} {v}" for name, v in machine["packages"].items())
    memory = fmt_bytes(machine["memory_bytes"]) if machine["memory_bytes"] else "unknown"
    lines = [
        f"- CPU: {machine['cpu']}; {machine['cpu_count']} logical cores, "
        f"{machine['cpu_affinity']} usable by this process",
        f"- Memory: {memory}",
        f"- {machine['python']} on {machine['os']}",
        f"- Packages: {packages}",
    ]
    if machine.get("git"):
        lines.append(f"- Checkout: {machine['git']}")
    lines.append(f"- Started: {machine['date']}")
    return lines


def _size_rows(results: dict[str, Any], notes: _Notes) -> list[list[str]]:
    rows = []
    for size, entry in results["summary"]["sizes"].items():
        triples = entry["triples"]
        counts = ([f"{triples[k]:,}" for k in ("asserted", "inferred", "derived", "total")] if triples
                  else ["—"] * 4)
        row = [f"{int(size):,}", *counts]
        for engine in ("fast", "reference"):
            summary = entry[engine]
            if summary is None:
                row += ["", "", "", ""]
                continue
            pipeline = summary["pipeline"]
            if pipeline["median_s"] is None:
                failed = next((s for s in summary["stages"].values() if s["status"] != "ok"), None)
                row.append(_cell(failed, notes) if failed else "—")
            else:
                row.append(("≥ " if pipeline["lower_bound"] else "") + fmt_seconds(pipeline["median_s"]))
            row.append(("≥ " if pipeline["lower_bound"] else "") + f"{summary['us_per_triple']:.1f}"
                       if summary.get("us_per_triple") else "—")
            row.append(fmt_bytes(pipeline["median_peak_rss_bytes"]))
            cli = summary["cli"]
            row.append(("≥ " if cli.get("lower_bound") else "") + fmt_seconds(cli["median_s"]) if cli["median_s"]
                       else _cell(cli, notes))
        row.append(fmt_ratio(entry.get("ratios", {}).get("pipeline")))
        rows.append(row)
    return rows


def _stage_rows(entry: dict[str, Any], notes: _Notes) -> list[list[str]]:
    fast, reference = entry["fast"], entry["reference"]
    ratios = entry.get("ratios", {})
    labels = dict(STAGES)
    rows = []
    for key in (*PIPELINE_STAGES, "pipeline", "cli", *(k for k, _ in STAGES[8:]), SETUP):
        if key == "pipeline":
            label = "**pipeline, stages 1–8**"
            cells = []
            for summary in (fast, reference):
                if summary is None:
                    cells += ["", ""]
                    continue
                p = summary["pipeline"]
                cells.append(("**≥ " if p["lower_bound"] else "**") + fmt_seconds(p["median_s"]) + "**"
                             if p["median_s"] is not None else "—")
                cells.append(fmt_bytes(p["median_peak_rss_bytes"]))
        else:
            label = {"cli": "`evidencekg build` (subprocess, end to end)",
                     SETUP: "imports before stage 1 (not in the pipeline)"}.get(key) or labels[key]
            cells = []
            for summary in (fast, reference):
                stage = None if summary is None else (summary["cli"] if key == "cli" else summary["stages"][key])
                if key == "cli" and stage is not None and stage.get("note"):
                    cells.append(_cell(stage, notes) + " " + notes.ref(stage["note"]))
                else:
                    cells.append(_cell(stage, notes))
                cells.append(_memory_cell(stage))
        rows.append([label, *cells, fmt_ratio(ratios.get(key))])
    return rows


def _command_line(name: str, timed: dict[str, Any], notes: _Notes) -> str:
    seconds, how = _command_median(timed)
    if seconds is None:
        return f"- {name}: failed {notes.ref(how)}"
    peak = median(run["peak_rss_bytes"] for run in timed["runs"] if run["status"] == "ok")
    return f"- {name}: {fmt_seconds(seconds)} ({how}, peak {fmt_bytes(peak)}; `{timed['command']}`)"


def _incremental_lines(incremental: dict[str, Any]) -> list[str]:
    if incremental["status"] != "ok":
        return [f"- Incremental re-validation: not measured: {incremental['message']}"]
    first = incremental["first"]
    changed = _median(run["seconds"] for run in incremental["after_change"] if run["status"] == "ok")
    full = _median(run["seconds"] for run in incremental["full"] if run["status"] == "ok")
    option = incremental["option"] + (f" {incremental['metavar']}" if incremental["metavar"] else "")
    speedup = f" ({full / changed:.1f}× faster)" if changed and full else ""
    filled = first["seconds"] if first["status"] == "ok" else None
    lines = [f"- Incremental re-validation (`validate {option}`, {incremental['studies']:,} studies, "
             f"{_runs_text(len(incremental['after_change']))}): after one study file changed "
             f"{fmt_seconds(changed)}, against {fmt_seconds(full)} for a plain `validate`{speedup}; "
             f"the first run, which fills the cache, {fmt_seconds(filled)}"]
    failures = [run for run in (first, *incremental["after_change"], *incremental["full"]) if run["status"] != "ok"]
    if failures:
        lines.append(f"  ({len(failures)} runs failed: {failures[0].get('message', '')})")
    return lines


def render_markdown(results: dict[str, Any]) -> str:
    """The results as Markdown: machine, budgets, one row per size, then every stage at every size."""
    config, summary = results["config"], results["summary"]
    notes = _Notes()
    lines = ["# evidencekg benchmark", "", f"`{results['command']}`", "", "## Machine", "",
             *_machine_lines(results["machine"]), ""]

    lines += ["## Budgets", ""]
    verdict = {True: "pass", False: "**FAIL**", None: "not checked"}
    lines += _table(["budget", "limit", "measured", "result", "where"],
                    ([b["budget"], b["limit"], b["measured"], verdict[b["pass"]], b["note"]]
                     for b in results["budgets"]), "llrll")
    lines.append("")

    fast_runs = _runs_text(config["repeat"])
    reference_runs = _runs_text(config["reference_repeat"])
    if config["reference_sizes"]:
        reference = (f"Reference engine: {reference_runs} per size, only at "
                     f"{', '.join(f'{s:,}' for s in config['reference_sizes'])} studies; each of its stages may take "
                     f"{config['reference_timeout_s']:g} s.")
    else:
        reference = "Reference engine: not run."
    lines += [
        "## Sizes", "",
        f"Fast engine: {fast_runs} per size. {reference} Pipeline = stages 1–8 in one process; µs/triple = "
        "pipeline time per asserted + inferred + derived triple; peak = highest resident memory during stages 1–8; "
        "build = the `evidencekg build` command in a subprocess.", "",
    ]
    head = ["studies", "asserted", "inferred", "derived", "triples", "fast pipeline", "fast µs/triple", "fast peak",
            "fast build", "ref. pipeline", "ref. µs/triple", "ref. peak", "ref. build", "ref./fast"]
    lines += _table(head, _size_rows(results, notes))
    lines.append("")
    for size, entry in summary["sizes"].items():
        if entry.get("triples_differ"):
            differ = entry["triples_differ"]
            lines.append(f"Triple counts differ between the engines at {int(size):,} studies: fast "
                         f"{differ['fast']}, reference {differ['reference']}.")
            lines.append("")

    for size, entry in summary["sizes"].items():
        triples = entry["triples"]
        title = f"## Stages at {int(size):,} studies"
        if triples:
            title += f" ({triples['total']:,} triples)"
        fast, reference = entry["fast"], entry["reference"]
        who = []
        if fast:
            who.append(f"fast: {_runs_text(fast['runs'])}")
        if reference:
            who.append(f"reference: {_runs_text(reference['runs'])}, at most {config['reference_timeout_s']:g} s "
                       "per stage")
        capped = (f" Stages 9–10 run only up to {config['export_max_studies']:,} studies (--export-max-studies)."
                  if int(size) > config.get("export_max_studies", int(size)) else "")
        lines += [title, "", "; ".join(who) + ". Peak = highest resident memory of the process during the stage."
                  + capped, ""]
        rows = _stage_rows(entry, notes)
        if reference is None:
            lines += _table(["stage", "fast", "fast peak"], (row[:3] for row in rows))
        else:
            lines += _table(["stage", "fast", "fast peak", "reference", "reference peak", "ref./fast"], rows)
        lines.append("")

    lines += ["## Commands", ""]
    commands = results["commands"]
    lines.append(_command_line("`evidencekg --help`", commands["help"], notes))
    lines.append(_command_line("`evidencekg build` on the bundled dataset (fast)", commands["bundled_build"], notes))
    lines += _incremental_lines(commands["incremental_validation"])
    generated = [(int(s), d["generation_s"]) for s, d in results["datasets"].items() if d["generation_s"] is not None]
    cached = [int(s) for s, d in results["datasets"].items() if d["generation_s"] is None]
    parts = [f"{s:,} studies in {fmt_seconds(t)}" for s, t in generated]
    if cached:
        parts.append(f"{', '.join(f'{s:,}' for s in cached)} studies from the cache")
    lines.append(f"- Synthetic datasets (seed {config['seed']}, not timed as part of the pipeline): "
                 + "; ".join(parts))
    method = next((e[engine]["memory_method"] for e in summary["sizes"].values() for engine in ENGINES
                   if e[engine] and e[engine].get("memory_method")), None)
    if method:
        lines.append(f"- Memory per stage measured by: {method}")
    if results.get("duration_s") is not None:
        lines.append(f"- The whole benchmark took {fmt_seconds(results['duration_s'])}")
    lines.append("")

    if notes.items:
        lines += ["## Notes", ""]
        lines += [f"{number}. {message}" for number, message in enumerate(notes.items, start=1)]
        lines.append("")
    return "\n".join(lines)

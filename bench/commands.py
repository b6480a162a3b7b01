"""The commands that read a built graph, side by side at one size: wall time and peak memory of each.

The synthetic dataset (``evidencekg synth --studies N --seed S``) is generated unless ``--data`` names one,
and built once into a store (``evidencekg build --store``) unless ``--store`` names one already built from
it, so the build is not counted. Then each command runs as its own process with ``--store``, as a user
would run it; its wall time is measured around the process, its CPU time (user + system) and peak
resident memory by ``wait4``, so imports and opening the store count and nothing else shares the figure.

    .venv/bin/python bench/commands.py --studies 3000 --work /tmp/evidencekg-commands

prints a Markdown table (and ``--json FILE`` writes the raw figures). The budget checked is the issue's:
each command ≤ 30 s and ≤ 4 GB, at 12,500 studies. On a machine other jobs share, wall time grows with
their load; the CPU time much less so.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BUDGET_SECONDS = 30.0
BUDGET_BYTES = 4 * 1024**3

COMMANDS: dict[str, list[str]] = {
    "report": ["report", "--out", "{out}/report"],
    "summary": ["summary"],
    "controversies": ["controversies"],
    "contradictions": ["contradictions"],
    "export graphml": ["export", "graphml", "--out", "{out}/evidence.graphml"],
}
"""Name → the arguments after ``evidencekg`` (``--data`` and ``--store`` are added)."""


def _log(message: str) -> None:
    print(f"[commands] {message}", file=sys.stderr, flush=True)


def _evidencekg(*args: str) -> list[str]:
    return [sys.executable, "-m", "evidencekg", *args]


def run_measured(argv: list[str], stdout: Path) -> dict[str, Any]:
    """Run ``argv`` to the end: exit code, wall seconds, CPU seconds and peak resident bytes of the process."""
    with stdout.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE)
        assert process.stderr is not None
        # Read stderr as it comes so a chatty command never blocks on a full pipe.
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    return {"exit": process.returncode, "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_bytes": usage.ru_maxrss * 1024, "stderr_tail": errors.decode("utf-8", "replace")[-2000:]}


def prepare(studies: int, seed: int, work: Path, data: Path | None, store: Path | None) -> tuple[Path, Path]:
    """The dataset and a store built from it: given, or made under ``work``."""
    if data is None:
        data = work / f"synth-{studies}-seed{seed}"
        if not (data / "planted.json").is_file():
            _log(f"generating {studies} studies (seed {seed}) in {data}")
            subprocess.run(_evidencekg("synth", "--studies", str(studies), "--seed", str(seed), "--out", str(data)),
                           check=True)
    if store is None:
        store = work / f"{data.name}-store"
        if not (store / "manifest.json").is_file():
            _log(f"building {data} into the store {store} (not counted)")
            build = run_measured(_evidencekg("build", "--data", str(data), "--out", str(work / "build"),
                                             "--store", str(store), "-q"), work / "build.out")
            if build["exit"] not in (0, 1):  # 1: SHACL results, the graph and the store are still written
                raise SystemExit(f"build failed:\n{build['stderr_tail']}")
            _log(f"built in {build['seconds']:.1f} s, peak {build['peak_bytes'] / 1024**3:.2f} GB")
    return data, store


def measure(data: Path, store: Path, names: list[str], repeat: int, out: Path) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        args = [a.format(out=out) for a in COMMANDS[name]]
        runs = []
        for number in range(repeat):
            run = run_measured(_evidencekg(*args, "--data", str(data), "--store", str(store)),
                               out / f"{name.replace(' ', '-')}.out")
            runs.append(run)
            _log(f"{name} ({number + 1}/{repeat}): exit {run['exit']}, {run['seconds']:.1f} s wall, "
                 f"{run['cpu_seconds']:.1f} s CPU, peak {run['peak_bytes'] / 1024**3:.2f} GB")
            if run["exit"] != 0:
                _log(run["stderr_tail"])
        results[name] = runs
    return results


def render_markdown(studies: int | None, results: dict[str, list[dict[str, Any]]]) -> str:
    size = f"{studies:,} studies" if studies else "the dataset given"
    repeat = max(len(r) for r in results.values())
    lines = [f"Commands on {size}, reading a store (median of {repeat} runs; {os.cpu_count()} cores). "
             f"Budget: ≤ {BUDGET_SECONDS:.0f} s and ≤ {BUDGET_BYTES // 1024**3} GB each.", "",
             "| command | wall | CPU | peak memory | exit | budget |",
             "| :--- | ---: | ---: | ---: | ---: | :--- |"]
    for name, runs in results.items():
        ordered = sorted(runs, key=lambda r: r["seconds"])
        middle = ordered[len(ordered) // 2]
        peak = max(r["peak_bytes"] for r in runs)
        verdict = "pass" if middle["seconds"] <= BUDGET_SECONDS and peak <= BUDGET_BYTES else "**FAIL**"
        lines.append(f"| `evidencekg {name}` | {middle['seconds']:.1f} s | {middle['cpu_seconds']:.1f} s | "
                     f"{peak / 1024**3:.2f} GB | {middle['exit']} | {verdict} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=3000, help="size of the synthetic dataset (default 3000)")
    parser.add_argument("--seed", type=int, default=7, help="its seed (default 7, the issue's)")
    parser.add_argument("--data", type=Path, default=None, help="a dataset to use instead of generating one")
    parser.add_argument("--store", type=Path, default=None, help="a store built from --data, to skip the build")
    parser.add_argument("--work", type=Path, default=None,
                        help="where datasets, stores and outputs go (default: a new temporary directory)")
    parser.add_argument("--commands", default=",".join(COMMANDS),
                        help=f"comma-separated, of: {', '.join(COMMANDS)} (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command; the table shows the median")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures here")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.commands.split(",") if name.strip()]
    unknown = [name for name in names if name not in COMMANDS]
    if unknown:
        parser.error(f"unknown command(s): {', '.join(unknown)}")
    work = args.work or Path(tempfile.mkdtemp(prefix="evidencekg-commands-"))
    work.mkdir(parents=True, exist_ok=True)
    data, store = prepare(args.studies, args.seed, work, args.data, args.store)
    out = work / "outputs"
    out.mkdir(exist_ok=True)
    results = measure(data, store, names, args.repeat, out)
    print(render_markdown(None if args.data else args.studies, results), end="")
    if args.json:
        args.json.write_text(json.dumps({"studies": args.studies, "seed": args.seed, "data": str(data),
                                         "store": str(store), "results": results}, indent=2) + "\n",
                             encoding="utf-8")
    return 0 if all(run["exit"] == 0 for runs in results.values() for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())

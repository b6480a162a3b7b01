"""Loading records serially and in worker processes, side by side, at one size.

Stage 1 of the pipeline ("load": ``read_records`` then ``validate_records``) and stage 2 ("rdf":
``to_rdf``) are timed in fresh interpreters, alternating ``EVIDENCEKG_WORKERS=1`` (everything in one
process) with ``EVIDENCEKG_WORKERS=N`` (reading spread over N processes), so that both modes meet the
same machine load. Each run also reports the processor time of the process and of its workers, and
what it read (studies, errors, asserted triples), which must be the same in both modes.

    .venv/bin/python bench/load.py --studies 12500 --seed 7 --repeat 3 --out bench/results

writes ``load-latest.md`` and ``load-latest.json`` and prints the Markdown. ``--data DIR`` times an
existing dataset instead of a generated one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from machine import machine_info  # noqa: E402

PARTS = (("read", "read_records"), ("validate", "validate_records"), ("load", "load (read + validate)"),
         ("rdf", "to_rdf"))


def _log(message: str) -> None:
    print(f"[load] {message}", file=sys.stderr, flush=True)


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _machine_busy() -> float | None:
    """Processor seconds the whole machine has been busy (Linux: /proc/stat), to tell how loaded it was."""
    try:
        with open("/proc/stat") as handle:
            ticks = [int(value) for value in handle.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def child(data: Path) -> dict[str, Any]:
    """One run in this process: the stages timed, with the workers ``EVIDENCEKG_WORKERS`` asks for."""
    from evidencekg.rdf.build import to_rdf
    from evidencekg.records.checks import validate_records
    from evidencekg.records.parallel import worker_count
    from evidencekg.records.reader import read_records

    cpu_before = _cpu()
    started = time.perf_counter()
    files = read_records(data)
    read_s = time.perf_counter() - started
    cpu_read = _cpu()
    started = time.perf_counter()
    dataset = validate_records(files)  # a dataset with errors stops the benchmark: they are not what it measures
    validate_s = time.perf_counter() - started
    started = time.perf_counter()
    triples = len(to_rdf(dataset).triples)
    rdf_s = time.perf_counter() - started
    return {"workers": worker_count(), "read": read_s, "validate": validate_s, "load": read_s + validate_s,
            "rdf": rdf_s, "read_cpu_self": cpu_read[0] - cpu_before[0],
            "read_cpu_workers": cpu_read[1] - cpu_before[1], "studies": len(files.studies),
            "errors": len(files.errors), "triples": triples, "cpu_total": sum(_cpu())}


def run_child(data: Path, workers: int) -> dict[str, Any]:
    """One run in a fresh interpreter, with how many cores other processes kept busy meanwhile."""
    busy, started = _machine_busy(), time.perf_counter()
    completed = subprocess.run([sys.executable, __file__, "--child", str(data)], capture_output=True, text=True,
                               env={**os.environ, "EVIDENCEKG_WORKERS": str(workers)}, check=True)
    wall = time.perf_counter() - started
    result: dict[str, Any] = json.loads(completed.stdout)
    after = _machine_busy()
    result["other_cores"] = None if busy is None or after is None else \
        max(0.0, (after - busy - result["cpu_total"]) / wall)
    return result


def render_markdown(result: dict[str, Any]) -> str:
    machine, runs = result["machine"], result["runs"]
    modes = {"serial": [r for r in runs if r["workers"] == 1],
             f"{result['workers']} workers": [r for r in runs if r["workers"] == result["workers"]]}
    lines = ["# Load benchmark: serial and parallel reading", "",
             f"Machine: {machine['cpu']}, {machine['cpu_affinity'] or machine['cpu_count']} usable cores, "
             f"{(machine['memory_bytes'] or 0) / 1024**3:.1f} GB, {machine['python']}, "
             f"evidencekg {machine['packages'].get('evidencekg')}; {machine['date']}.", "",
             f"{result['studies']:,} studies ({result['data']}), median of {result['repeat']} runs each, "
             "the modes alternating; seconds. Only reading runs in worker processes: the other stages show how "
             "much a run varies. A machine that other processes keep busy leaves the workers no free core.", "",
             "| stage | " + " | ".join(modes) + " | serial / parallel |",
             "| :--- | " + " | ".join("---:" for _ in modes) + " | ---: |"]
    for key, label in PARTS:
        medians = [statistics.median(r[key] for r in mode) for mode in modes.values()]
        lines.append(f"| {label} | " + " | ".join(f"{m:.2f}" for m in medians) + f" | {medians[0] / medians[1]:.2f}× |")
    for key, label in (("read_cpu_self", "processor time of reading: this process"),
                       ("read_cpu_workers", "processor time of reading: workers")):
        lines.append(f"| {label} | " + " | ".join(f"{statistics.median(r[key] for r in mode):.2f}"
                                                   for mode in modes.values()) + " | |")
    others = [r["other_cores"] for r in runs if r.get("other_cores") is not None]
    if others:
        lines.append("| cores other processes kept busy meanwhile | " + " | ".join(
            f"{statistics.median(r['other_cores'] for r in mode):.2f}" for mode in modes.values()) + " | |")
    same = len({(r["studies"], r["errors"], r["triples"]) for r in runs}) == 1
    lines += ["", f"Studies, errors and asserted triples the same in every run: {'yes' if same else '**NO**'} "
              f"({runs[0]['studies']:,} studies, {runs[0]['triples']:,} triples).", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--studies", type=int, default=12_500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, help="an existing dataset directory instead of a generated one")
    parser.add_argument("--workers", type=int, default=2, help="EVIDENCEKG_WORKERS of the parallel runs (default: 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each mode (default: 3)")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "evidencekg-bench")
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    if args.workers < 2:
        parser.error("--workers must be at least 2: the parallel runs are compared with the serial ones")
    if args.data:
        data = args.data
    else:
        from run import ensure_dataset

        data = Path(ensure_dataset(args.studies, args.seed, args.cache_dir)["path"])
    runs = []
    for repetition in range(args.repeat):
        for workers in (1, args.workers):
            _log(f"run {repetition + 1} of {args.repeat}, EVIDENCEKG_WORKERS={workers}")
            runs.append(run_child(data, workers))
    result = {"machine": machine_info(BENCH.parent), "data": str(data), "studies": runs[0]["studies"],
              "workers": args.workers, "repeat": args.repeat, "runs": runs}
    markdown = render_markdown(result)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load-latest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / "load-latest.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())

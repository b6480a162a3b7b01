"""Benchmark of every export format, side by side in one run, on synthetic datasets.

For each size: the dataset is generated (or reused from the cache), built once with the fast engine,
then every format of ``evidencekg export`` is written to a temporary directory in the same process,
each timed with ``time.perf_counter`` and its peak resident memory measured as the pipeline stages are
(``worker.PeakMemory``: the high-water mark reset before each export, so a figure includes the built
graph the export reads). The property graph the four property-graph formats share is built once per
format, inside each format's time, as ``evidencekg export`` does. For ladybug, the time is the whole
export: the schema, the ``COPY FROM`` import and the checkpoint.

    .venv/bin/python bench/exports.py --sizes 300,1000,3000 --out bench/results

writes ``exports-latest.md`` and ``exports-latest.json``; the budget checked is the issue's: every
export at ~12,500 studies in ≤ 30 s and ≤ 4 GB (reported as "not checked" below 6,250 studies).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from machine import machine_info  # noqa: E402
from run import ensure_dataset  # noqa: E402
from worker import PeakMemory  # noqa: E402

BUDGET_STUDIES = 12_500
BUDGET_SECONDS = 30.0
BUDGET_BYTES = 4 * 1024**3


def _log(message: str) -> None:
    print(f"[exports] {message}", file=sys.stderr, flush=True)


def measure_size(studies: int, seed: int, cache_dir: Path) -> dict[str, Any]:
    import evidencekg
    from evidencekg.outputs.exports import FORMATS, export

    dataset = ensure_dataset(studies, seed, cache_dir)
    memory = PeakMemory()
    started = time.perf_counter()
    kg = evidencekg.build_graph(dataset["path"])
    build_s = time.perf_counter() - started
    counts = kg.counts()
    row: dict[str, Any] = {"studies": studies, "seed": seed, "build_s": build_s, "memory_method": memory.method,
                           "triples": sum(counts[f"{layer}_triples"] for layer in ("asserted", "inferred", "derived")),
                           "asserted_triples": counts["asserted_triples"], "formats": {}}
    with tempfile.TemporaryDirectory(prefix="evidencekg-bench-exports-") as scratch:
        for name, fmt in FORMATS.items():
            out = Path(scratch) / name
            memory.reset()
            started = time.perf_counter()
            written = export(kg, name, out)
            seconds = time.perf_counter() - started
            size = sum(p.stat().st_size for path in written
                       for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())
            row["formats"][name] = {"seconds": seconds, "peak_bytes": memory.peak(), "bytes_written": size,
                                    "directory": fmt.directory}
            _log(f"{studies} studies: {name} {seconds:.2f} s, peak {memory.peak() / 1024**2:.0f} MB")
    return row


def render_markdown(result: dict[str, Any]) -> str:
    machine = result["machine"]
    lines = ["# Export benchmark", "",
             f"Machine: {machine['cpu']}, {machine['cpu_count']} logical cores "
             f"({machine['cpu_affinity']} usable), {(machine['memory_bytes'] or 0) / 1024**3:.1f} GB, "
             f"{machine['python']}, {machine['os']}; git {machine['git']}; {machine['date']}.", "",
             "Seconds per export, and peak resident memory of the process during it (the built graph included).",
             ""]
    rows = result["sizes"]
    names = list(rows[0]["formats"]) if rows else []
    heads = [f"{r['studies']:,} studies ({r['triples']:,} triples)" for r in rows]
    lines.append("| format | " + " | ".join(heads) + " |")
    lines.append("|---|" + "---:|" * len(rows))
    for name in names:
        cells = [f"{r['formats'][name]['seconds']:.2f} s, {r['formats'][name]['peak_bytes'] / 1024**2:,.0f} MB"
                 for r in rows]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| (build, for comparison) | " + " | ".join(f"{r['build_s']:.1f} s" for r in rows) + " |")
    lines += ["", "## Budget", ""]
    near = [r for r in rows if r["studies"] * 2 >= BUDGET_STUDIES]
    if not near:
        lines.append(f"Every export at {BUDGET_STUDIES:,} studies in ≤ {BUDGET_SECONDS:.0f} s and ≤ 4 GB: not "
                     f"checked (largest size {max((r['studies'] for r in rows), default=0):,} studies).")
    else:
        row = max(near, key=lambda r: r["studies"])
        for name, figure in row["formats"].items():
            ok = figure["seconds"] <= BUDGET_SECONDS and figure["peak_bytes"] <= BUDGET_BYTES
            lines.append(f"- {name} at {row['studies']:,} studies: {figure['seconds']:.1f} s, "
                         f"{figure['peak_bytes'] / 1024**3:.2f} GB: {'pass' if ok else '**FAIL**'}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="300,1000,3000", help="numbers of studies, comma-separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "evidencekg-bench")
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    result = {"machine": machine_info(BENCH.parent), "seed": args.seed,
              "sizes": [measure_size(size, args.seed, args.cache_dir) for size in sizes]}
    args.out.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(result)
    (args.out / "exports-latest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / "exports-latest.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark runs end to end at a tiny size and reports every stage of both engines.

Deselected by default (marker ``bench``); run with ``pytest -m bench tests/test_bench.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"
STAGES = ("load", "rdf", "inference", "store", "derive", "shacl", "queries", "outputs", "networkx", "graphml", "report")
SIZE = 20


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, str]:
    """(latest.json, latest.md, stdout) of one tiny benchmark run."""
    root = tmp_path_factory.mktemp("bench")
    out = root / "results"
    completed = subprocess.run(
        [sys.executable, str(RUN), "--sizes", str(SIZE), "--reference-sizes", str(SIZE), "--repeat", "1",
         "--out", str(out), "--cache-dir", str(root / "cache")],
        capture_output=True, text=True, timeout=1800, cwd=root,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    return results, (out / "latest.md").read_text(encoding="utf-8"), completed.stdout


@pytest.mark.bench
def test_every_stage_of_both_engines_is_timed(bench: tuple[dict, str, str]) -> None:
    results, _, _ = bench
    entry = results["summary"]["sizes"][str(SIZE)]
    for engine in ("fast", "reference"):
        summary = entry[engine]
        assert summary is not None, f"no {engine} run"
        failed = {key: stage.get("message") for key, stage in summary["stages"].items() if stage["status"] != "ok"}
        assert not failed, f"{engine}: stages that did not complete: {failed}"
        for key in STAGES:
            stage = summary["stages"][key]
            assert stage["median_s"] is not None and stage["median_s"] >= 0, (engine, key)
            assert stage["median_peak_rss_bytes"] > 0, (engine, key)
        assert summary["pipeline"]["median_s"] > 0
        assert summary["cli"]["status"] == "ok", summary["cli"]
        assert summary["us_per_triple"] > 0
    triples = entry["triples"]
    assert triples["total"] == triples["asserted"] + triples["inferred"] + triples["derived"] > 0
    assert entry["ratios"]["pipeline"]["ratio"] > 0


@pytest.mark.bench
def test_machine_and_budgets_are_recorded(bench: tuple[dict, str, str]) -> None:
    results, _, _ = bench
    machine = results["machine"]
    assert machine["cpu"] and machine["cpu_count"] >= 1 and machine["memory_bytes"] > 0
    assert set(machine["packages"]) >= {"rdflib", "owlrl", "pyshacl", "pyoxigraph"}
    names = " ".join(budget["budget"] for budget in results["budgets"])
    for expected in ("~1M triples", "~100k triples", "time per triple", "bundled dataset", "--help"):
        assert expected in names
    assert all(budget["pass"] in (True, False, None) for budget in results["budgets"])


@pytest.mark.bench
def test_markdown_table_renders(bench: tuple[dict, str, str]) -> None:
    _, markdown, stdout = bench
    assert markdown.strip() in stdout
    for heading in ("## Machine", "## Budgets", "## Sizes", f"## Stages at {SIZE} studies", "## Commands"):
        assert heading in markdown
    for label in ("1 load records", "3 inference", "6 SHACL", "8 outputs", "10 report", "pipeline, stages 1"):
        assert label in markdown
    # Every row of a table has as many cells as its header.
    table: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            widths = {row.count(" | ") for row in table}
            assert len(widths) == 1, table
            assert set(table[1].replace("|", "").split()) <= {":---", "---:"}, table[1]
            table = []

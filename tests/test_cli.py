"""End to end: the evidencekg command as a user runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import SECOND_DATASET, STUDY, edit, make_dataset, run_cli, run_cli_process

import evidencekg
from evidencekg.cli import main


@pytest.fixture(scope="module")
def bundled_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("build")
    # Run from a directory outside the checkout: the installed package must carry its resources.
    return out, run_cli_process("build", "--out", str(out), cwd=out)


def test_build_prints_the_summary_and_the_contradictions(bundled_build: tuple[Path, object]) -> None:
    _out, completed = bundled_build
    assert completed.returncode == 0, completed.stderr
    assert "records: " in completed.stderr and "triples: " in completed.stderr
    assert "SHACL: conforms" in completed.stderr
    kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
    labels = {str(r["study1"]) for r in evidencekg.query(kg, "contradictions").records()}
    assert labels and all(label in completed.stdout for label in labels)


def test_build_writes_the_graphs_with_matching_counts(bundled_build: tuple[Path, object]) -> None:
    out, _ = bundled_build
    from rdflib import Dataset, Graph

    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    assert len(Graph().parse(out / "asserted.ttl")) == counts["asserted_triples"]
    assert len(Graph().parse(out / "inferred.ttl")) == counts["inferred_triples"]
    graphs = {str(g.identifier): len(g) for g in Dataset().parse(out / "evidence.trig", format="trig").graphs()}
    assert graphs[manifest["graphs"]["asserted"]] == counts["asserted_triples"]
    assert graphs[manifest["graphs"]["inferred"]] == counts["inferred_triples"]
    for kind in ("studies", "groups", "findings"):
        assert counts[kind] == counts[f"{kind}_out"]


def test_outputs_are_byte_identical_across_hash_seeds_and_file_order(tmp_path: Path) -> None:
    data = evidencekg.bundled_data_dir()
    reordered = tmp_path / "data"
    (reordered / "studies").mkdir(parents=True)
    # Copy files in reverse order so that directory listing order differs.
    for path in sorted((data / "studies").glob("*.yaml"), reverse=True):
        shutil.copy(path, reordered / "studies" / path.name)
    for name in ("vocabulary.yaml", "dataset.yaml"):
        shutil.copy(data / name, reordered / name)
    outputs = []
    for seed, source in (("1", data), ("2", reordered), ("3", reordered)):
        out = tmp_path / f"out-{seed}"
        completed = run_cli_process("build", "--data", str(source), "--out", str(out), env={"PYTHONHASHSEED": seed})
        assert completed.returncode == 0, completed.stderr
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1] == outputs[2]


def test_failed_build_leaves_earlier_outputs_intact(tmp_path: Path) -> None:
    out = tmp_path / "out"
    good = make_dataset(tmp_path / "good")
    assert main(["build", "--data", str(good), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = make_dataset(tmp_path / "bad", study=edit(STUDY, "year: 2020", "year: [2020"))
    assert main(["build", "--data", str(bad), "--out", str(out)]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(("args", "fragment"), [
    (["validate", "--data", "/nonexistent/dataset"], "/nonexistent/dataset: data directory does not exist"),
    (["query", "no-such-query"], "no query named 'no-such-query'"),
    (["query", "contradictions", "--format", "xml"], "Invalid value for '--format'"),
    (["frobnicate"], "No such command"),
], ids=["missing data dir", "unknown query", "bad format", "unknown command"])
def test_bad_input_and_usage_exit_2_with_one_line(args: list[str], fragment: str) -> None:
    completed = run_cli(*args)
    assert completed.returncode == 2
    assert fragment in completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stdout == ""


def test_bad_records_exit_2_naming_file_and_line(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "data", study=edit(STUDY, "findings:", "finidngs:"))
    completed = run_cli("validate", "--data", str(data))
    assert completed.returncode == 2
    assert completed.stderr.strip() == (
        "error: data/studies/doe-2020.yaml:19:1: finidngs: unknown key 'finidngs'; did you mean 'findings'?"
    )


def test_validate_bundled_conforms_and_strict_counts_warnings() -> None:
    completed = run_cli("validate")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "conforms (0 violations" in completed.stdout
    report = evidencekg.validate(evidencekg.build_graph(evidencekg.bundled_data_dir())).report
    assert run_cli("validate", "--strict").returncode == (1 if report.warnings else 0)


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv", "table"])
def test_query_formats_go_to_stdout_only(fmt: str) -> None:
    completed = run_cli("query", "effect-vs-null", "--format", fmt, "--data", str(SECOND_DATASET))
    assert completed.returncode == 0, completed.stderr
    kg = evidencekg.build_graph(SECOND_DATASET)
    rows = len(evidencekg.query(kg, "effect-vs-null"))
    if fmt == "json":
        assert len(json.loads(completed.stdout)["results"]["bindings"]) == rows
    elif fmt in ("csv", "tsv"):
        assert len(completed.stdout.splitlines()) == rows + 1
    assert f"{rows} rows" in completed.stderr


def test_query_accepts_a_file_and_parameters(tmp_path: Path) -> None:
    path = tmp_path / "count.rq"
    path.write_text("PREFIX ekg: <https://w3id.org/evidencekg/ontology#>\n"
                    "SELECT (COUNT(?f) AS ?n) WHERE { ?f ekg:direction ?d }", encoding="utf-8")
    completed = run_cli("query", str(path), "--param", "d=ekg:Increase", "--format", "csv")
    kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
    expected = sum(1 for s in kg.dataset.studies for f in s.findings if f.direction == "increase")
    assert completed.stdout.splitlines() == ["n", str(expected)]


def test_contradictions_and_stats_json() -> None:
    completed = run_cli("contradictions", "--format", "json")
    assert completed.returncode == 0
    assert json.loads(completed.stdout)["results"]["bindings"]
    stats = json.loads(run_cli("stats", "--format", "json").stdout)
    assert stats == evidencekg.build_graph(evidencekg.bundled_data_dir()).counts()


def test_queries_lists_every_shipped_query() -> None:
    completed = run_cli("queries")
    for name in evidencekg.available_queries():
        assert name in completed.stdout


def test_a_build_killed_midway_leaves_no_partial_files(tmp_path: Path) -> None:
    """Kill builds at several moments; the output directory only ever holds complete earlier files."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    assert main(["build", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    for delay in (0.5, 1.5, 2.5):
        process = subprocess.Popen([sys.executable, "-m", "evidencekg", "build", "--out", str(out)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
        assert files == before
    # A killed run can leave its staging directory behind, never a file among the outputs.
    assert all(p.name.startswith(".evidencekg-") for p in out.iterdir() if p.is_dir())


@pytest.mark.parametrize(("args", "fragment"), [
    (["query", "contradictions", "-p", "nosuch=1"], "the query has no variable ?nosuch to bind"),
    (["query", "evidence-by-design", "-p", "findings=1"], "?findings is computed by the query"),
    (["query", "contradictions", "-p", "finding1=<not an iri>"], "is not an IRI"),
    (["query", "contradictions", "-p", "finding1=foo:bar"], "unknown prefix 'foo'"),
    (["build", "--out", "/dev/null/x"], "/dev/null/x: cannot write the output directory"),
], ids=["unknown variable", "computed variable", "bad IRI", "unknown prefix", "unwritable output"])
def test_mistakes_that_would_otherwise_pass_silently_exit_2(args: list[str], fragment: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert fragment in capsys.readouterr().err


def test_a_query_file_that_is_not_utf8_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.rq"
    path.write_bytes("SELECT ?x WHERE { ?x ?p \"caf\xe9\" }".encode("latin-1"))
    assert main(["query", str(path)]) == 2
    assert "latin1.rq: not valid UTF-8" in capsys.readouterr().err


def test_one_broken_record_does_not_cause_follow_on_errors(tmp_path: Path) -> None:
    review = edit(edit(STUDY, "id: doe-2020", "id: roe-2021"), "design: randomized-controlled-trial",
                  "design: systematic-review\nincludes: [doe-2020]")
    data = make_dataset(tmp_path / "data", study=edit(STUDY, "findings:", "finidngs:"), extra={"roe-2021.yaml": review})
    completed = run_cli("validate", "--data", str(data))
    assert completed.returncode == 2
    assert "finidngs" in completed.stderr and "roe-2021" not in completed.stderr

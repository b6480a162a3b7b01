"""End to end: the evidencekg command as a user runs it."""

from __future__ import annotations

import csv
import io
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
    completed = run_cli("contradictions", "--pairs", "--format", "json")
    assert completed.returncode == 0
    assert json.loads(completed.stdout)["results"]["bindings"]
    stats = json.loads(run_cli("stats", "--format", "json").stdout)
    assert stats == evidencekg.build_graph(evidencekg.bundled_data_dir()).counts()


def test_contradictions_carry_their_explanations_in_every_format() -> None:
    table = run_cli("contradictions", "--pairs").stdout
    bindings = json.loads(run_cli("contradictions", "--pairs", "--format", "json").stdout)["results"]["bindings"]
    assert bindings and all(row["differences"]["value"] for row in bindings)
    for row in bindings:
        for line in row["differences"]["value"].split("\n"):
            assert line in table
    csv_text = run_cli("contradictions", "--pairs", "--format", "csv").stdout
    assert csv_text.splitlines()[0].endswith(",differences")
    # A relation is named by both findings' study and finding ids, never by the second finding's id alone.
    relations = [line.split(None, 1)[1] for line in table.splitlines() if line.strip().startswith("relation")]
    assert len(relations) == len(bindings) == len(set(relations))
    assert all(" vs " in name and name.count("/") == 2 for name in relations)


def test_contradictions_are_one_block_per_pair_of_positions_in_every_format() -> None:
    """The table, JSON and CSV say the same: each side's direction, studies and strongest studies."""
    table = run_cli("contradictions")
    assert table.returncode == 0, table.stderr
    blocks = json.loads(run_cli("contradictions", "--format", "json").stdout)["contradictions"]
    rows = list(csv.DictReader(io.StringIO(run_cli("contradictions", "--format", "csv").stdout)))
    pairs = len(evidencekg.query(evidencekg.build_graph(evidencekg.bundled_data_dir()), "contradictions"))
    assert blocks and sum(block["pairs"] for block in blocks) == pairs
    assert f"{pairs} pair" in table.stderr
    assert len(rows) == 2 * len(blocks)
    for number, block in enumerate(blocks, start=1):
        assert f"{number}. " in table.stdout
        for side, row in zip(block["sides"], rows[2 * number - 2:2 * number], strict=True):
            assert (row["direction"], row["studies"]) == (side["direction"], str(side["studies"]))
            for study in side["strongest"]:
                assert study["label"] in table.stdout and study["label"] in row["strongest"]
        for separation in block["separating"]:
            assert f"{separation['facet']} ({separation['strength']:.2f}): {', '.join(separation['first'])}" \
                in table.stdout
    assert "evidencekg contradictions --pairs" in table.stdout


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


def _three_mistakes(root: Path) -> Path:
    """The mistakes a new curator makes most: a typo'd key, a wrong type, a dangling reference."""
    study = edit(edit(edit(STUDY, "    outcome: blood-pressure", "    outcom: blood-pressure"),
                      "sample_size: 40", "sample_size: fifty"), "comparator: control", "comparator: placebo-armm")
    return make_dataset(root / "data", study=study)


THREE_ERRORS = [
    "error: data/studies/doe-2020.yaml:6:1: sample_size: input should be a valid integer, got 'fifty'",
    "error: data/studies/doe-2020.yaml:21:5: findings[0].outcom: unknown key 'outcom'; did you mean 'outcome'?",
    "error: data/studies/doe-2020.yaml:23:5: findings[0].comparator: no group 'placebo-armm' in this study "
    "(its groups: control, treated)",
]


@pytest.mark.parametrize("fmt", ["text", "sarif", "junit", "json", "turtle"])
def test_every_input_error_in_one_run_in_every_format(tmp_path: Path, fmt: str) -> None:
    _three_mistakes(tmp_path)
    completed = run_cli_process("validate", "--data", "data", "--format", fmt, cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stderr.splitlines() == THREE_ERRORS  # one pass, one line each, on stderr in every format
    if fmt == "text":
        assert completed.stdout == ""
        return
    assert completed.stdout, "the gate went dark: nothing on stdout"
    for rule in ("Record-wrongType", "Record-unknownKey", "Record-danglingReference"):
        assert rule in completed.stdout
    if fmt == "sarif":
        results = json.loads(completed.stdout)["runs"][0]["results"]
        assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results] == [
            "data/studies/doe-2020.yaml"] * 3
        assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [6, 21, 23]


def test_a_baseline_run_passes_on_old_results_and_fails_on_a_new_one(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "data", study=edit(STUDY, "p_value: 0.01", "p_value: 1.3"))
    baseline = tmp_path / "baseline.json"
    assert run_cli("validate", "--data", str(data)).returncode == 1
    written = run_cli("validate", "--data", str(data), "--write-baseline", str(baseline))
    assert written.returncode == 0 and baseline.is_file() and "in the baseline" in written.stdout
    again = run_cli("validate", "--data", str(data), "--baseline", str(baseline))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "(in the baseline)" in again.stdout
    (data / "studies" / "doe-2020.yaml").write_text(edit(STUDY, "p_value: 0.01", "p_value: 1.3\n    quote: [q"),
                                                    encoding="utf-8")
    assert run_cli("validate", "--data", str(data), "--baseline", str(baseline)).returncode == 2  # input errors stay
    (data / "studies" / "doe-2020.yaml").write_text(edit(edit(STUDY, "p_value: 0.01", "p_value: 1.3"),
                                                         "year: 2020", "year: 2999"), encoding="utf-8")
    new = run_cli("validate", "--data", str(data), "--baseline", str(baseline))
    assert new.returncode == 1
    assert [line for line in new.stdout.splitlines() if "violation:" in line and "baseline" not in line] == [
        f"{data.name}/studies/doe-2020.yaml:4:1: year: violation: publication year 2999 is not plausible: it is in the "
        "future or before 1800 (value: 2999) [ekgsh:StudyShape-yearPlausible]"]
    broken = tmp_path / "not-a-baseline.json"
    broken.write_text("[1, 2", encoding="utf-8")
    refused = run_cli("validate", "--data", str(data), "--baseline", str(broken))
    assert refused.returncode == 2 and "not a baseline: not JSON" in refused.stderr


def test_build_quiet_prints_nothing_when_all_is_well(tmp_path: Path) -> None:
    completed = run_cli("build", "--quiet", "--data", str(make_dataset(tmp_path / "data")), "--out",
                        str(tmp_path / "out"))
    assert completed.returncode == 0 and completed.stdout == completed.stderr == ""
    assert (tmp_path / "out" / "manifest.json").is_file()
    bad = make_dataset(tmp_path / "bad", study=edit(STUDY, "p_value: 0.01", "p_value: 1.3"))
    failing = run_cli("build", "-q", "--data", str(bad), "--out", str(tmp_path / "out2"))
    assert failing.returncode == 1 and "a p-value is a probability" in failing.stderr and failing.stdout == ""


@pytest.mark.parametrize("args", [["frobnicate"], ["query", "contradictions", "--format", "xml"],
                                  ["validate", "--cache", "c", "a.ttl", "b.ttl"]])
def test_usage_errors_are_one_line_with_the_error_prefix(args: list[str]) -> None:
    completed = run_cli(*args)
    assert completed.returncode == 2
    (line,) = completed.stderr.splitlines()
    assert line.startswith("error: ") and "--help" in line


def test_messages_name_no_installed_path_and_no_parser_internals(tmp_path: Path) -> None:
    unknown = run_cli("query", "contradictions", "-p", "nosuch=1")
    assert unknown.stderr == "error: queries/contradictions.rq: the query has no variable ?nosuch to bind\n"
    query = tmp_path / "broken.rq"
    query.write_text("SELECT ?x WHERE { ?x ?y }", encoding="utf-8")
    syntax = run_cli("query", str(query))
    assert syntax.stderr == (f"error: {query}:1:19: SPARQL syntax error: unexpected '?', "
                             "in 'SELECT ?x WHERE { ?x ?y }'\n")
    turtle = tmp_path / "bad.ttl"
    turtle.write_text('@prefix ex: <http://e/> .\nex:a ex:b ex:c ;\n ex:d "x\n', encoding="utf-8")
    rdf = run_cli("validate", str(turtle))
    assert rdf.stderr == f"error: {turtle}:3:9: cannot parse as turtle: newline found in string literal\n"

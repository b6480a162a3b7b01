"""Stage 5: the shapes are valid SHACL, the bundled data conforms, and each broken fixture fails its rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import BROKEN
from rdflib import RDF, URIRef

import evidencekg
from evidencekg.cli import main
from evidencekg.engines.reference import validate_graphs
from evidencekg.namespaces import EKG

BROKEN_CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir()) if BROKEN.is_dir() else []


def test_shapes_graph_is_valid_shacl() -> None:
    """Validate the shapes against the W3C SHACL-for-SHACL shapes that pySHACL ships."""
    import pyshacl
    from pyshacl.shapes_graph import ShapesGraph  # noqa: F401 - only to be sure pySHACL is importable

    conforms, _, text = pyshacl.validate(evidencekg.load_shapes(), meta_shacl=True, inference="none")
    assert conforms, text


def test_bundled_data_conforms(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    report = evidencekg.validate(bundled_kg).report
    assert report.conforms, "\n".join(str(r) for r in report.violations)


def test_second_dataset_conforms(second_kg: evidencekg.KnowledgeGraph) -> None:
    report = evidencekg.validate(second_kg).report
    assert report.conforms, "\n".join(str(r) for r in report.violations)


def test_results_are_sorted_and_traced(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    report = evidencekg.validate(bundled_kg).report
    assert list(report.results) == sorted(report.results, key=lambda r: r.sort_key())
    assert all(r.origin is not None and r.origin.location.line > 0 for r in report.results)


def test_broken_cases_exist() -> None:
    assert len(BROKEN_CASES) >= 10


@pytest.mark.parametrize("case", BROKEN_CASES)
def test_each_broken_fixture_violates_its_rule(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = BROKEN / case
    expected = yaml.safe_load((root / "expected.yaml").read_text(encoding="utf-8"))
    report = evidencekg.validate(evidencekg.build_graph(root)).report
    assert not report.conforms
    shapes = {r.source_shape.removeprefix("ekgsh:") for r in report.violations}
    assert shapes == {expected["shape"]}, [str(r) for r in report.violations]
    where = {(r.origin.location.path, r.origin.location.line) for r in report.violations if r.origin}
    assert (f"{case}/{expected['file']}", expected["line"]) in where

    assert main(["validate", "--data", str(root)]) == 1
    out = capsys.readouterr().out
    assert f"{case}/{expected['file']}:{expected['line']}:" in out
    assert expected["shape"] in out


def test_user_shapes_are_added_to_ours(tmp_path: Path, bundled_kg: evidencekg.KnowledgeGraph) -> None:
    extra = tmp_path / "mine.ttl"
    extra.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ekg: <https://w3id.org/evidencekg/ontology#> .\n"
        "<urn:x:NeedsTimepoint> a sh:NodeShape ; sh:targetClass ekg:Finding ;\n"
        "  sh:property [ sh:path ekg:timepoint ; sh:minCount 1 ; sh:message \"every finding needs a timepoint\" ] .\n",
        encoding="utf-8",
    )
    report = validate_graphs(
        [bundled_kg.asserted, bundled_kg.inferred, bundled_kg.ontology], shapes=evidencekg.load_shapes([extra])
    )
    untimed = sum(1 for s in bundled_kg.dataset.studies for f in s.findings if f.timepoint is None)
    assert sum(1 for r in report.violations if r.message == "every finding needs a timepoint") == untimed


def _keys(report: evidencekg.ValidationReport) -> set[tuple[str, str | None, str, str]]:
    return {(r.focus_node, r.path, r.source_shape, r.severity) for r in report.results}


def test_rdf_produced_elsewhere_gets_the_same_results(tmp_path: Path, bundled_kg: evidencekg.KnowledgeGraph) -> None:

    for fmt, suffix in (("turtle", ".ttl"), ("nt", ".nt"), ("json-ld", ".jsonld")):
        path = tmp_path / f"graph{suffix}"
        path.write_bytes(bundled_kg.asserted.serialize(format=fmt, encoding="utf-8"))
        checked = evidencekg.validate([path])
        assert _keys(checked.report) == _keys(evidencekg.validate(bundled_kg).report)
        assert checked.records == bundled_kg.counts()["studies"]


def test_a_single_record_file_reports_only_its_results() -> None:

    full = evidencekg.validate(evidencekg.build_graph(evidencekg.bundled_data_dir())).report
    by_file: dict[str, int] = {}
    for result in full.results:
        by_file[result.origin.location.path] = by_file.get(result.origin.location.path, 0) + 1
    name, count = max(sorted(by_file.items()), key=lambda item: item[1])
    checked = evidencekg.validate([evidencekg.bundled_data_dir().parent / name])
    assert len(checked.report.results) == count
    assert {r.origin.location.path for r in checked.report.results} == {name}


def test_remote_json_ld_context_is_not_fetched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "remote.jsonld"
    path.write_text(
        '{"@context": "http://127.0.0.1:9/context.jsonld", "@id": "urn:x:a", "name": "a"}', encoding="utf-8"
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "remote.jsonld: refused to reach the network" in err and "Traceback" not in err


def test_turtle_report_is_the_w3c_report_and_stable(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    from rdflib import Graph, Literal
    from rdflib.namespace import SH

    report = evidencekg.validate(bundled_kg).report
    text = report.to_turtle()
    assert text == evidencekg.validate(bundled_kg).report.to_turtle()
    graph = Graph().parse(data=text.decode("utf-8"), format="turtle")
    assert len(set(graph.subjects(SH.focusNode, None))) > 0
    assert (None, SH.conforms, Literal(not report.results)) in graph
    assert len(list(graph.subjects(None, SH.ValidationResult))) == len(report.results)


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_broken_contradictions_are_violations(engine: str) -> None:
    """What 3-contradictions.rq promises of a contradiction is checked: a derivation that breaks it fails the gate."""
    kg = evidencekg.build_graph(evidencekg.bundled_data_dir(), engine=engine)
    contradiction = min(kg.engine.instances(EKG.Contradiction, "derived"))
    first_side = min(kg.engine.objects(contradiction, EKG.firstSide))
    opposite_only = URIRef(f"{contradiction}-broken")
    kg.engine.load("derived", [
        # A finding on the first side that does not take the first position, and no second side at all.
        (opposite_only, RDF.type, EKG.Contradiction),
        (opposite_only, EKG.firstPosition, min(kg.engine.objects(contradiction, EKG.secondPosition))),
        (opposite_only, EKG.secondPosition, min(kg.engine.objects(contradiction, EKG.firstPosition))),
        (opposite_only, EKG.contrastKind, EKG.ConditionContrast),
        (opposite_only, EKG.relationKind, EKG.OppositeDirections),
        (opposite_only, EKG.firstSide, first_side),
        # Roles named on a contradiction that is not effect vs null.
        (opposite_only, EKG.effectPosition, min(kg.engine.objects(contradiction, EKG.firstPosition))),
    ])
    messages = {r.message for r in kg.engine.validate().results if r.focus_node == str(opposite_only)}
    assert messages == {
        "a finding on a side of a contradiction takes that side's position",
        "a contradiction has at least one finding on its second side",
        "an effect-vs-null contradiction names its two positions, one as the effect and one as the null, "
        "and only it does",
    }

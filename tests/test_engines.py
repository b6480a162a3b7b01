"""The fast engine gives the reference engine's results, stage by stage.

Compared on the bundled dataset, the second dataset, a synthetic dataset and
every broken fixture:

* asserted triples: identical sets;
* inferred triples: identical sets, after the filter of :mod:`evidencekg.engines.entailment`
  (no axiomatic triples, no blank nodes, no statements about RDF/RDFS/OWL/XSD terms,
  no reflexive tautologies) — data and ontology terms alike;
* derived evidence relations: identical sets;
* SHACL: the same conformance and the same results, field by field (severity, message,
  focus node, path, value, shape, constraint component, record line);
* every shipped query: the same rows, in the same order where the query orders them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from helpers import BROKEN, SECOND_DATASET
from rdflib.term import Node

import evidencekg
from evidencekg.sparql import available_queries, load_query
from evidencekg.synth import generate


def _differences(fast: set[tuple[Node, ...]], reference: set[tuple[Node, ...]], limit: int = 5) -> str:
    missing = sorted(reference - fast, key=str)[:limit]
    extra = sorted(fast - reference, key=str)[:limit]
    return f"missing from fast: {missing}\nonly in fast: {extra}"


def _assert_same_graphs(fast: evidencekg.KnowledgeGraph, reference: evidencekg.KnowledgeGraph) -> None:
    for layer in ("asserted", "inferred", "derived"):
        fast_triples = set(getattr(fast, layer))
        reference_triples = set(getattr(reference, layer))
        assert fast_triples == reference_triples, f"{layer} differs:\n" + _differences(fast_triples, reference_triples)
    assert fast.counts() == reference.counts()


def _assert_same_rows(fast: evidencekg.KnowledgeGraph, reference: evidencekg.KnowledgeGraph) -> None:
    for name in available_queries():
        fast_rows = evidencekg.query(fast, name)
        reference_rows = evidencekg.query(reference, name)
        assert fast_rows.variables == reference_rows.variables, name
        assert Counter(fast_rows.rows) == Counter(reference_rows.rows), name
        if "ORDER BY" in load_query(name).text.upper():
            assert fast_rows.rows == reference_rows.rows, f"{name}: same rows, different order"


def _assert_same_shacl(fast: evidencekg.KnowledgeGraph, reference: evidencekg.KnowledgeGraph) -> None:
    fast_report = evidencekg.validate(fast).report
    reference_report = evidencekg.validate(reference).report
    assert fast_report.conforms == reference_report.conforms
    assert fast_report.results == reference_report.results


def _both(data_dir: Path) -> tuple[evidencekg.KnowledgeGraph, evidencekg.KnowledgeGraph]:
    return (evidencekg.build_graph(data_dir, engine="fast"), evidencekg.build_graph(data_dir, engine="reference"))


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "data"
    generate(40, 7, out)
    return out


@pytest.mark.parametrize("which", ["bundled", "second", "synthetic"])
def test_fast_engine_equals_reference(which: str, request: pytest.FixtureRequest) -> None:
    data_dir = {"bundled": evidencekg.bundled_data_dir(), "second": SECOND_DATASET}.get(which)
    if data_dir is None:
        data_dir = request.getfixturevalue("synthetic_dir")
    fast, reference = _both(data_dir)
    _assert_same_graphs(fast, reference)
    _assert_same_rows(fast, reference)
    _assert_same_shacl(fast, reference)


@pytest.mark.parametrize("fixture", sorted(p.name for p in BROKEN.iterdir() if p.is_dir()))
def test_fast_engine_reports_what_the_reference_reports_on_broken_data(fixture: str) -> None:
    fast, reference = _both(BROKEN / fixture)
    _assert_same_shacl(fast, reference)
    assert not evidencekg.validate(fast).report.conforms


def test_fast_outputs_are_deterministic_and_parse_to_the_reference_graph(tmp_path: Path) -> None:
    from rdflib import Dataset
    from rdflib.compare import isomorphic

    fast, reference = _both(evidencekg.bundled_data_dir())
    first = evidencekg.render_outputs(fast)
    again = evidencekg.render_outputs(evidencekg.build_graph(evidencekg.bundled_data_dir(), engine="fast"))
    assert first == again
    reread = Dataset()
    reread.parse(data=first["evidence.trig"].decode("utf-8"), format="trig")
    for name, graph in reference.named_graphs():
        assert isomorphic(reread.graph(name), graph), name


def test_shapes_beyond_the_fast_compiler_fall_back_to_pyshacl(tmp_path: Path) -> None:
    shapes_file = tmp_path / "extra.ttl"
    shapes_file.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix ekg: <https://w3id.org/evidencekg/ontology#> .\n"
        "<https://example.org/NoSampleSize> a sh:NodeShape ; sh:targetClass ekg:Study ;\n"
        "    sh:not [ sh:path ekg:sampleSize ; sh:minCount 1 ] .\n",
        encoding="utf-8",
    )
    shapes = evidencekg.load_shapes([shapes_file])
    fast, reference = _both(evidencekg.bundled_data_dir())
    fast_checked = evidencekg.validate(fast, shapes=shapes)
    fast_report, reference_report = fast_checked.report, evidencekg.validate(reference, shapes=shapes).report
    assert fast_report.results == reference_report.results
    assert any(r.source_shape == "https://example.org/NoSampleSize" for r in fast_report.violations)
    # The engine says which library did the work.
    assert [(f.stage, f.used) for f in fast.engine.fallbacks] == [("validation", "pySHACL")]
    assert "sh:not" in fast.engine.fallbacks[0].reason
    assert any("pySHACL" in line for line in fast_checked.fallbacks)


def test_the_command_line_names_a_fallback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evidencekg.cli import main

    shapes_file = tmp_path / "extra.ttl"
    shapes_file.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix ekg: <https://w3id.org/evidencekg/ontology#> .\n"
        "<https://example.org/Closed> a sh:NodeShape ; sh:targetClass ekg:Group ; sh:closed false .\n",
        encoding="utf-8",
    )
    assert main(["validate", "--shapes", str(shapes_file)]) == 0
    assert "engine fast: validation by pySHACL" in capsys.readouterr().err

"""Exports: every RDF format parses back to the store's content, the property graph loses nothing, a real
ladybug database answers the contradictions, nanopublications have their four graphs, and bad requests are
refused without writing anything."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import pyoxigraph
import pytest
from helpers import STUDY, edit, make_dataset, run_cli, run_cli_process
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

import evidencekg
from evidencekg.engines.base import LAYERS
from evidencekg.errors import InputError
from evidencekg.outputs.exports import FORMATS, export
from evidencekg.outputs.exports.kgx import BIOLINK_CATEGORIES, BIOLINK_PREDICATES
from evidencekg.outputs.exports.model import compact, node_id, property_graph
from evidencekg.outputs.exports.nanopub import GRAPHS, NP
from evidencekg.outputs.exports.neo4j import ARRAY_DELIMITER
from evidencekg.outputs.exports.rdf import (
    render_jsonld,
    render_nquads,
    render_ntriples,
    render_trig,
    render_turtle,
)
from evidencekg.rdf.terms import from_oxigraph
from evidencekg.synth import generate

TRICKY_QUOTE = 'BP fell ("clearly")\nin the "treated" arm: tension artérielle ↓, 血压'


@pytest.fixture(scope="module")
def tricky_kg(tmp_path_factory: pytest.TempPathFactory) -> evidencekg.KnowledgeGraph:
    """The small dataset with a quote holding quotes, a newline and non-ASCII text, and a p-value bound."""
    study = edit(STUDY, "    p_value: 0.01", f'    p_value: "<0.001"\n    quote: {json.dumps(TRICKY_QUOTE)}')
    return evidencekg.build_graph(make_dataset(tmp_path_factory.mktemp("tricky"), study=study))


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "data"
    generate(40, 3, out)
    return out


@pytest.fixture(scope="module")
def synthetic_kg(synthetic_dir: Path) -> evidencekg.KnowledgeGraph:
    return evidencekg.build_graph(synthetic_dir)


def _store_graph(kg: evidencekg.KnowledgeGraph, layers: tuple[str, ...] = LAYERS) -> Graph:
    graph = Graph()
    for layer in layers:
        for triple in kg.engine.triples(layer):
            graph.add(triple)
    return graph


def _from_oxigraph(data: bytes, fmt: pyoxigraph.RdfFormat) -> dict[str, Graph]:
    """Graph name (``""`` for the default graph) → rdflib graph, as pyoxigraph parses ``data``."""
    graphs: dict[str, Graph] = {}
    for quad in pyoxigraph.parse(data, format=fmt):
        name = "" if isinstance(quad.graph_name, pyoxigraph.DefaultGraph) else str(quad.graph_name.value)
        graphs.setdefault(name, Graph()).add(
            (from_oxigraph(quad.subject), from_oxigraph(quad.predicate), from_oxigraph(quad.object)))
    return graphs


# --- RDF: every export parses back isomorphic to the store, with rdflib and with pyoxigraph --------------------


@pytest.mark.parametrize(("render", "rdflib_format", "oxigraph_format"), [
    (render_turtle, "turtle", pyoxigraph.RdfFormat.TURTLE),
    (render_ntriples, "nt", pyoxigraph.RdfFormat.N_TRIPLES),
])
def test_single_graph_exports_parse_back_to_the_store(render, rdflib_format, oxigraph_format, tricky_kg) -> None:  # type: ignore[no-untyped-def]
    data = render(tricky_kg)
    expected = _store_graph(tricky_kg)
    assert isomorphic(Graph().parse(data=data, format=rdflib_format), expected)
    assert isomorphic(_from_oxigraph(data, oxigraph_format)[""], expected)


@pytest.mark.parametrize(("render", "rdflib_format", "oxigraph_format"), [
    (render_nquads, "nquads", pyoxigraph.RdfFormat.N_QUADS),
    (render_trig, "trig", pyoxigraph.RdfFormat.TRIG),
    (render_jsonld, "json-ld", pyoxigraph.RdfFormat.JSON_LD),
])
def test_named_graph_exports_parse_back_layer_by_layer(render, rdflib_format, oxigraph_format, tricky_kg) -> None:  # type: ignore[no-untyped-def]
    data = render(tricky_kg)
    parsed = Dataset()
    parsed.parse(data=data, format=rdflib_format)
    by_oxigraph = _from_oxigraph(data, oxigraph_format)
    for layer in LAYERS:
        name = tricky_kg.engine.names[layer]
        expected = _store_graph(tricky_kg, (layer,))
        assert isomorphic(parsed.graph(name), expected), layer
        assert isomorphic(by_oxigraph[str(name)], expected), layer


def test_ntriples_are_sorted_canonical_and_hashed(tmp_path: Path, bundled_kg: evidencekg.KnowledgeGraph) -> None:
    import hashlib

    written = export(bundled_kg, "ntriples", tmp_path / "evidence.nt")
    content = written[0].read_bytes()
    lines = content.splitlines()
    assert lines == sorted(set(lines)) and len(lines) == len(_store_graph(bundled_kg))
    assert (tmp_path / "evidence.nt.sha256").read_text() == f"{hashlib.sha256(content).hexdigest()}  evidence.nt\n"
    manifest = json.loads((tmp_path / "evidence.nt.manifest.json").read_text())
    assert manifest["files"] == {"evidence.nt": hashlib.sha256(content).hexdigest()}


def test_jsonld_context_is_inline_and_keys_compact(tricky_kg: evidencekg.KnowledgeGraph) -> None:
    document = json.loads(render_jsonld(tricky_kg))
    assert document["@context"]["ekg"] == "https://w3id.org/evidencekg/ontology#"
    keys = {key for graph in document["@graph"] for node in graph["@graph"] for key in node}
    assert "ekg:quote" in keys and not any(key.startswith("http") for key in keys)


# --- the property graph: nothing lost ---------------------------------------------------------------------------


def _read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_neo4j_files_hold_every_statement_of_the_data_layers(tmp_path: Path, tricky_kg: evidencekg.KnowledgeGraph
                                                             ) -> None:
    export(tricky_kg, "neo4j", tmp_path)
    graph = property_graph(tricky_kg)
    schema = graph.schema
    nodes = {row[next(k for k in row if k.startswith("iri:ID"))]: row
             for row in _read_csv((tmp_path / "nodes.csv").read_bytes())}
    rels = {(row[":START_ID(Resource)"], row[":TYPE"], row[":END_ID(Resource)"])
            for row in _read_csv((tmp_path / "relationships.csv").read_bytes())}
    columns = {key.split(":")[0]: key for key in next(iter(nodes.values()))}
    ontology_terms = {s for s, _, _ in tricky_kg.engine.triples("ontology")}
    for layer in ("asserted", "inferred", "derived"):
        for s, p, o in tricky_kg.engine.triples(layer):
            if s in ontology_terms:
                continue
            subject = node_id(s)
            row = nodes[subject]
            if p == RDF.type and str(o) in schema.labels:
                assert schema.labels[str(o)] in row[":LABEL"].split(ARRAY_DELIMITER)
            elif not isinstance(o, Literal) and str(p) in schema.relationship_types:
                assert (subject, schema.relationship_types[str(p)], node_id(o)) in rels
            else:
                cell = row[columns[schema.key(str(p))]]
                values = cell.split(ARRAY_DELIMITER) if columns[schema.key(str(p))].endswith("[]") else [cell]
                kind = columns[schema.key(str(p))].split(":")[1].rstrip("[]")
                if kind == "double":
                    assert float(str(o)) in {float(v) for v in values}
                elif kind in ("string",) and not isinstance(o, Literal):
                    assert compact(node_id(o)) in values
                else:
                    assert str(o) in values, (subject, p, o)


def test_values_keep_their_types_and_text(tricky_kg: evidencekg.KnowledgeGraph) -> None:
    graph = property_graph(tricky_kg)
    finding = next(node for node in graph.nodes if "Finding" in node.labels)
    assert graph.node_value(finding, "quote") == TRICKY_QUOTE
    assert graph.node_value(finding, "pValueUpperBound") == 0.001  # a number, the bound's operator in its key
    assert graph.node_value(finding, "reportedPValue") == "<0.001"
    assert graph.node_value(finding, "significant") is True
    assert graph.node_keys["pValueUpperBound"].type == "DOUBLE"
    direction = next(rel.end for rel in graph.relationships if rel.type == "EKG_DIRECTION" and rel.start == finding.iri)
    assert direction == "https://w3id.org/evidencekg/ontology#Decrease"


def test_labels_and_types_come_only_from_the_ontology(synthetic_kg: evidencekg.KnowledgeGraph) -> None:
    graph = property_graph(synthetic_kg)
    ontology = {str(s) for s, p, o in synthetic_kg.engine.triples("ontology") if p == RDF.type}
    assert set(graph.schema.labels) <= ontology and set(graph.schema.relationship_types) <= ontology
    allowed_labels = set(graph.schema.labels.values()) | {"Resource"}
    assert {label for node in graph.nodes for label in node.labels} <= allowed_labels
    assert {rel.type for rel in graph.relationships} <= set(graph.schema.relationship_types.values())
    assert graph.schema.relationship_types["http://www.w3.org/2004/02/skos/core#broader"] == "BROADER"


def test_load_cypher_takes_values_only_as_parameters(tmp_path: Path, tricky_kg: evidencekg.KnowledgeGraph) -> None:
    export(tricky_kg, "neo4j", tmp_path)
    lines = (tmp_path / "load.cypher").read_text(encoding="utf-8").splitlines()
    statements = [line for line in lines if line and not line.startswith((":param", "//"))]
    assert statements[0].startswith("CREATE CONSTRAINT")
    assert all("$rows" in line for line in statements[1:])
    assert not any("clearly" in line for line in statements), "data never inside a statement"
    assert any("clearly" in line for line in lines if line.startswith(":param"))


# --- a real ladybug database -----------------------------------------------------------------------------------


def _pairs_from_contradictions(data_dir: Path | None) -> set[tuple[str, str]]:
    args = ["contradictions", "--pairs", "--format", "json"] + (["--data", str(data_dir)] if data_dir else [])
    completed = run_cli(*args)
    assert completed.returncode == 0, completed.stderr
    rows = json.loads(completed.stdout)["results"]["bindings"]
    return {(row["finding1"]["value"], row["finding2"]["value"]) for row in rows}


def _cypher(database: Path, query: str) -> list[list[object]]:
    import ladybug  # type: ignore[import-untyped]

    db = ladybug.Database(str(database), read_only=True)
    conn = ladybug.Connection(db)
    try:
        result = conn.execute(query)
        rows = []
        while result.has_next():
            rows.append(result.get_next())
        return rows
    finally:
        conn.close()
        db.close()


OPPOSITE = ("MATCH (a:Finding)-[d:DISAGREES_WITH]->(b:Finding) "
            "WHERE list_contains(d.relationKind, 'ekg:OppositeDirections') AND a.iri < b.iri RETURN a.iri, b.iri")


@pytest.mark.parametrize("dataset", ["bundled", "synthetic"])
def test_ladybug_database_answers_the_contradictions_with_the_manifest_counts(
        dataset: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    data_dir = request.getfixturevalue("synthetic_dir") if dataset == "synthetic" else None
    out = tmp_path / "ladybug"
    args = ["export", "ladybug", "--out", str(out)] + (["--data", str(data_dir)] if data_dir else [])
    completed = run_cli(*args)
    assert completed.returncode == 0, completed.stderr
    database = out / "evidence.lbug"
    pairs = {(str(a), str(b)) for a, b in _cypher(database, OPPOSITE)}
    expected = _pairs_from_contradictions(data_dir)
    assert pairs == expected and expected
    manifest = json.loads((out / "manifest.json").read_text())["property_graph"]
    assert _cypher(database, "MATCH (n) RETURN count(*)") == [[manifest["nodes"]]]
    assert _cypher(database, "MATCH ()-[r]->() RETURN count(*)") == [[manifest["relationships"]]]
    for rtype, count in manifest["relationship_types"].items():
        assert _cypher(database, f"MATCH ()-[r:{rtype}]->() RETURN count(*)") == [[count]], rtype


def test_ladybug_keeps_values_exactly(tmp_path: Path, tricky_kg: evidencekg.KnowledgeGraph) -> None:
    export(tricky_kg, "ladybug", tmp_path / "db")
    rows = _cypher(tmp_path / "db" / "evidence.lbug",
                   "MATCH (f:Finding)-[:EKG_DIRECTION]->(d:Direction) "
                   "RETURN f.quote, f.pValueUpperBound, f.reportedPValue, f.significant, d.directionCode")
    assert rows == [[TRICKY_QUOTE, 0.001, "<0.001", True, "decrease"]]
    study = _cypher(tmp_path / "db" / "evidence.lbug", "MATCH (s:Study) RETURN s.labels, s.sampleSize")
    assert study == [[["ExperimentalStudy", "RandomizedControlledTrial", "Study"], 40]]


def test_ladybug_never_replaces_a_directory_of_other_files(tmp_path: Path, tricky_kg: evidencekg.KnowledgeGraph
                                                           ) -> None:
    target = tmp_path / "db"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not an earlier ladybug export"):
        export(tricky_kg, "ladybug", target)
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db"], "no staging left behind"


def test_ladybug_replaces_its_own_earlier_export(tmp_path: Path, tricky_kg: evidencekg.KnowledgeGraph) -> None:
    target = tmp_path / "db"
    export(tricky_kg, "ladybug", target)
    first = json.loads((target / "manifest.json").read_text())
    export(tricky_kg, "ladybug", target)
    assert json.loads((target / "manifest.json").read_text()) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db"]
    assert oct((target).stat().st_mode & 0o777) == oct(0o755)


def test_a_missing_ladybug_is_named_with_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                             tricky_kg: evidencekg.KnowledgeGraph) -> None:
    monkeypatch.setitem(sys.modules, "ladybug", None)  # what Python does when a package is not installed
    with pytest.raises(InputError, match=r"pip install 'evidencekg\[graphdb\]'"):
        export(tricky_kg, "ladybug", tmp_path / "db")
    assert not (tmp_path / "db").exists()


# --- nanopublications ------------------------------------------------------------------------------------------


def test_every_finding_is_one_nanopublication_with_four_graphs(tmp_path: Path, bundled_kg: evidencekg.KnowledgeGraph
                                                                ) -> None:
    path = export(bundled_kg, "nanopub", tmp_path / "np.trig")[0]
    dataset = Dataset()
    dataset.parse(path, format="trig")
    np_ = lambda name: URIRef(NP + name)  # noqa: E731
    heads = [g for g in dataset.graphs() if str(g.identifier).endswith("#Head")]
    assert len(heads) == len(bundled_kg.findings())
    for head in heads:
        this = URIRef(str(head.identifier).removesuffix("#Head"))
        assert (this, RDF.type, np_("Nanopublication")) in head
        parts = {name: URIRef(f"{this}#{name}") for name in GRAPHS[1:]}
        assert head.value(this, np_("hasAssertion")) == parts["assertion"]
        assert head.value(this, np_("hasProvenance")) == parts["provenance"]
        assert head.value(this, np_("hasPublicationInfo")) == parts["pubinfo"]
        finding = URIRef(str(this).removesuffix("/nanopub"))
        assert (finding, RDF.type, URIRef("https://w3id.org/evidencekg/ontology#Finding")) in dataset.graph(
            parts["assertion"])
        provenance = dataset.graph(parts["provenance"])
        assert provenance.value(parts["assertion"], URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))
        pubinfo = dataset.graph(parts["pubinfo"])
        assert pubinfo.value(this, URIRef("http://purl.org/dc/terms/license")) == URIRef(
            "http://spdx.org/licenses/CC-BY-4.0")


# --- KGX -------------------------------------------------------------------------------------------------------


def test_kgx_nodes_and_edges_are_json_lines_with_categories(tmp_path: Path, bundled_kg: evidencekg.KnowledgeGraph
                                                            ) -> None:
    export(bundled_kg, "kgx", tmp_path)
    nodes = [json.loads(line) for line in (tmp_path / "nodes.jsonl").read_text(encoding="utf-8").splitlines()]
    edges = [json.loads(line) for line in (tmp_path / "edges.jsonl").read_text(encoding="utf-8").splitlines()]
    ids = {node["id"] for node in nodes}
    assert all(edge["subject"] in ids and edge["object"] in ids for edge in edges)
    assert any("biolink:Study" in node["category"] for node in nodes)
    assert {edge["predicate"] for edge in edges} >= {"biolink:subclass_of", "ekg:disagreesWith"}


def test_the_biolink_mapping_names_classes_and_predicates_of_the_biolink_model() -> None:
    biolink_model = pytest.importorskip("biolink_model", reason="the biolink-model package holds the schema")
    import yaml

    schema = yaml.safe_load((Path(next(iter(biolink_model.__path__))) / "schema" / "biolink_model.yaml").read_text())

    def camel(name: str) -> str:
        return "".join(word[:1].upper() + word[1:] for word in name.split())

    classes = {f"biolink:{camel(name)}" for name in schema["classes"]}
    slots = {"biolink:" + name.replace(" ", "_") for name in schema["slots"]}
    assert set(BIOLINK_CATEGORIES.values()) <= classes
    assert set(BIOLINK_PREDICATES.values()) <= slots


# --- the command ------------------------------------------------------------------------------------------------


def test_an_unknown_format_exits_2_with_the_list(tmp_path: Path) -> None:
    completed = run_cli("export", "cvs", "--out", str(tmp_path / "x"))
    assert completed.returncode == 2
    assert all(name in completed.stderr for name in FORMATS) and "Traceback" not in completed.stderr
    assert not (tmp_path / "x").exists()


def test_export_list_gives_one_line_per_format() -> None:
    completed = run_cli("export", "--list")
    assert completed.returncode == 0
    assert [line.split()[0] for line in completed.stdout.splitlines()] == list(FORMATS)


def test_every_format_is_byte_identical_from_process_to_process(tmp_path: Path) -> None:
    outputs = []
    for run, seed in enumerate(("1", "2")):
        out = tmp_path / f"run{run}"
        for name in FORMATS:
            if name == "ladybug":
                continue
            completed = run_cli_process("export", name, "--out", str(out / name), env={"PYTHONHASHSEED": seed})
            assert completed.returncode == 0, completed.stderr
        outputs.append({str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) >= 14


def test_export_names_a_bad_output_path_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "evidence.nt"
    target.mkdir()
    completed = run_cli("export", "ntriples", "--out", str(target))
    assert completed.returncode == 2
    assert "is a directory" in completed.stderr and len(completed.stderr.splitlines()) == 1
    assert sorted(os.listdir(tmp_path)) == ["evidence.nt"]


# --- GraphML streamed as networkx writes it, and the same from a store -----------------------------


def test_graphml_is_written_as_networkx_writes_it(second_kg: evidencekg.KnowledgeGraph) -> None:
    import networkx as nx

    from evidencekg.outputs.exports.graphml import render_graphml, to_network
    from evidencekg.outputs.exports.model import NodeRecord, PropertyType, Relationship

    graph = property_graph(second_kg)
    # Values that need escaping, a list, numbers and booleans, and an edge to a node the graph lacks.
    odd = NodeRecord("https://example.org/odd?a=1&b=<2>", {"Finding"},
                     {"label": ['quote " & <tag> \t\n\r end', "x\x01y"], "levelRank": [3], "pValue": [0.05],
                      "significant": [True]})
    graph.nodes.append(odd)
    graph.node_keys.update({"label": PropertyType("STRING", True), "levelRank": PropertyType("INT64"),
                            "pValue": PropertyType("DOUBLE"), "significant": PropertyType("BOOLEAN")})
    graph.relationships.append(Relationship("OUTCOME", odd.iri, "https://example.org/elsewhere",
                                            (("layer", "asserted"), ("weight", 1.5))))
    expected = io.BytesIO()
    nx.write_graphml(to_network(graph), expected, encoding="utf-8", prettyprint=True)
    assert render_graphml(second_kg, graph) == expected.getvalue()


def test_graphml_from_a_store_is_the_graphml_of_the_build(second_kg: evidencekg.KnowledgeGraph,
                                                          tmp_path: Path) -> None:
    from evidencekg.outputs.exports.graphml import render_graphml
    from evidencekg.outputs.store import NTRIPLES_DIR, open_knowledge_graph, write_store

    store = write_store(second_kg, tmp_path / "store")
    assert sorted(p.name for p in (store / NTRIPLES_DIR).iterdir()) == sorted(f"{layer}.nt" for layer in LAYERS)
    stored = open_knowledge_graph(store, second_kg.root)
    assert render_graphml(stored) == render_graphml(second_kg)
    for layer in LAYERS:
        assert set(stored.engine.triples(layer)) == set(second_kg.engine.triples(layer))

"""Stage 3: the asserted graph, its IRIs and its source map."""

from __future__ import annotations

from pathlib import Path

from helpers import STUDY, edit, make_dataset
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

import evidencekg
from evidencekg.namespaces import EKG

BASE = "https://w3id.org/evidencekg/id/"


def test_iris_are_derived_from_record_ids(tmp_path: Path) -> None:
    built = evidencekg.to_rdf(evidencekg.load_dataset(make_dataset(tmp_path / "data")))
    graph = built.graph
    study = URIRef(BASE + "study/doe-2020")
    finding = URIRef(BASE + "study/doe-2020/finding/bp")
    assert (study, RDF.type, EKG.RandomizedControlledTrial) in graph
    assert (study, EKG.reportsFinding, finding) in graph
    assert (finding, EKG.group, URIRef(BASE + "study/doe-2020/group/treated")) in graph
    assert (finding, EKG.outcome, URIRef(BASE + "term/blood-pressure")) in graph
    assert (finding, EKG.direction, EKG.Decrease) in graph


def test_p_value_bounds_keep_what_the_source_wrote(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "data", study=edit(STUDY, "p_value: 0.01", "p_value: '<0.001'"))
    graph = evidencekg.to_rdf(evidencekg.load_dataset(root)).graph
    finding = URIRef(BASE + "study/doe-2020/finding/bp")
    assert graph.value(finding, EKG.reportedPValue) == Literal("<0.001")
    assert str(graph.value(finding, EKG.pValueUpperBound)) == "0.001"
    assert graph.value(finding, EKG.pValue) is None


def test_awkward_quote_text_round_trips_through_turtle_and_ntriples(tmp_path: Path) -> None:
    awkward = 'He said """no""" \\ then\ttab, bell \x07, unicode ≥ é and a newline\nhere'
    escaped = (
        awkward.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\t", "\\t")
        .replace("\x07", "\\a")
        .replace("\n", "\\n")
    )
    root = make_dataset(
        tmp_path / "data", study=edit(STUDY, "    p_value: 0.01\n", f'    p_value: 0.01\n    quote: "{escaped}"\n')
    )
    built = evidencekg.to_rdf(evidencekg.load_dataset(root))
    finding = URIRef(BASE + "study/doe-2020/finding/bp")
    assert str(built.graph.value(finding, EKG.quote)) == awkward
    for fmt in ("turtle", "nt"):
        reread = Graph().parse(data=built.graph.serialize(format=fmt), format=fmt)
        assert str(reread.value(finding, EKG.quote)) == awkward
        assert len(reread) == len(built.graph)


def test_source_map_points_at_the_field(tmp_path: Path) -> None:
    built = evidencekg.to_rdf(evidencekg.load_dataset(make_dataset(tmp_path / "data")))
    origin = built.locate(URIRef(BASE + "study/doe-2020/finding/bp"), EKG.pValue)
    assert origin is not None
    assert str(origin) == "data/studies/doe-2020.yaml:27:5: findings[0].p_value"


def test_base_iri_from_dataset_metadata(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "data")
    (root / "dataset.yaml").write_text("base_iri: https://example.org/kg/\n", encoding="utf-8")
    graph = evidencekg.to_rdf(evidencekg.load_dataset(root)).graph
    assert (URIRef("https://example.org/kg/study/doe-2020"), RDF.type, EKG.Study) in graph


def test_every_study_group_and_finding_becomes_a_node(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    counts = bundled_kg.counts()
    for kind in ("studies", "groups", "findings"):
        assert counts[kind] == counts[f"{kind}_out"] > 0
    studies = {study.id for study in bundled_kg.dataset.studies}
    files = {p.stem for p in (evidencekg.bundled_data_dir() / "studies").glob("*.yaml")}
    assert studies == files


def test_closed_namespace_matches_the_ontology() -> None:
    ontology = evidencekg.load_ontology()
    declared = {str(s) for s in ontology.subjects() if str(s).startswith(str(EKG._NS))}
    assert declared == {str(EKG._NS) + name for name in EKG.__annotations__}


def test_author_order_and_dataset_metadata(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    from rdflib.collection import Collection

    from evidencekg.namespaces import BIBO

    for study in bundled_kg.dataset.studies:
        node = next(bundled_kg.asserted.subjects(EKG.sourceRecord, Literal(f"studies/{study.id}.yaml")))
        article = bundled_kg.asserted.value(node, EKG.publishedIn)
        authors = None if article is None else bundled_kg.asserted.value(article, BIBO.authorList)
        listed = [str(a) for a in Collection(bundled_kg.asserted, authors)] if authors is not None else []
        assert listed == study.authors
    question = bundled_kg.dataset.metadata.question
    assert question and (None, EKG.researchQuestion, Literal(question)) in bundled_kg.asserted


def test_study_and_its_article_are_two_nodes(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    """The study is the research; the article (bibo) reports it, and is part of a journal node."""
    from evidencekg.namespaces import BIBO

    graph = bundled_kg.asserted
    for study in bundled_kg.dataset.studies:
        node = next(graph.subjects(EKG.sourceRecord, Literal(f"studies/{study.id}.yaml")))
        article = graph.value(node, EKG.publishedIn)
        assert (article is None) == (not study.title and not study.authors and study.year is None)
        if article is None:
            continue
        assert (article, RDF.type, BIBO.AcademicArticle) in graph
        assert graph.value(node, BIBO.doi) is None and graph.value(article, BIBO.doi) == (
            Literal(study.doi) if study.doi else None)
        journal = graph.value(article, DCTERMS.isPartOf)
        if study.journal:
            assert (journal, RDF.type, BIBO.Journal) in graph
            assert graph.value(journal, DCTERMS.title) == Literal(study.journal)
        else:
            assert journal is None


def test_labels_carry_the_dataset_language(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    labels = list(bundled_kg.asserted.objects(None, RDFS.label))
    assert labels and {label.language for label in labels if isinstance(label, Literal)} == {"en"}


def test_licence_is_an_iri(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    licences = set(bundled_kg.asserted.objects(None, DCTERMS.license))
    assert licences == {URIRef("http://spdx.org/licenses/CC-BY-4.0")}


def test_dataset_language_tags_the_labels(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "d")
    (root / "dataset.yaml").write_text("title: Beispiel\nlanguage: de\nlicense: MIT\n", encoding="utf-8")
    graph = evidencekg.to_rdf(evidencekg.load_dataset(root)).graph
    labels = [label for label in graph.objects(None, RDFS.label) if isinstance(label, Literal)]
    assert labels and {label.language for label in labels} == {"de"}
    assert set(graph.objects(None, DCTERMS.license)) == {URIRef("http://spdx.org/licenses/MIT")}


def test_a_licence_that_is_neither_an_iri_nor_an_spdx_id_is_refused(tmp_path: Path) -> None:
    from helpers import run_cli

    for line in ("license: Creative Commons BY\n", "language: english!\n", "issued: 2024-13-01\n"):
        root = make_dataset(tmp_path / str(len(line)))
        (root / "dataset.yaml").write_text(line, encoding="utf-8")
        completed = run_cli("validate", "--data", str(root))
        assert completed.returncode == 2
        assert "dataset.yaml:1:" in completed.stderr, completed.stderr

"""Stage 7: evidence summaries, certainty ratings, networkx projections and GraphML export."""

from __future__ import annotations

import shutil
from pathlib import Path

import networkx as nx
import pytest
from helpers import SECOND_DATASET
from rdflib import RDF, Literal, URIRef

import evidencekg
from evidencekg.analysis import (
    CERTAINTY_LEVELS,
    controversies,
    disagreement_graph,
    evidence_summary,
    node_id,
    rate,
)
from evidencekg.cli import main
from evidencekg.namespaces import EKG
from evidencekg.outputs.exports.graphml import write_graphml
from evidencekg.outputs.exports.model import property_graph


@pytest.mark.parametrize(("rank", "disagreements", "participants", "expected", "steps"), [
    (2, 0, 1000, "high", ["start"]),
    (1, 2, 1000, "moderate", ["start", "inconsistency"]),
    (2, 1, 100, "low", ["start", "inconsistency", "imprecision"]),
    (3, 0, 1000, "low", ["start"]),
    (4, 1, 50, "very low", ["start", "inconsistency", "imprecision"]),
    (5, 0, 1000, "very low", ["start"]),
    (None, 0, 0, "very low", ["start", "imprecision"]),
])
def test_rating_starts_from_design_and_shows_each_downgrade(rank, disagreements, participants, expected, steps) -> None:  # type: ignore[no-untyped-def]
    certainty, rating = rate(rank, disagreements, participants)
    assert certainty == expected
    assert [s.step for s in rating] == steps
    assert rating[-1].level == certainty
    assert all(s.change in (0, -1) for s in rating)


def test_summary_counts_match_the_records(second_kg: evidencekg.KnowledgeGraph) -> None:
    summary = evidence_summary(second_kg)
    assert summary and all(q.certainty in CERTAINTY_LEVELS for q in summary)
    for q in summary:
        assert q.findings == q.increases + q.decreases + q.no_changes
        assert q.findings == q.significant + q.not_significant + q.significance_not_reported
        assert q.independent_studies <= q.studies


@pytest.fixture(scope="module")
def dependent_kg(tmp_path_factory: pytest.TempPathFactory) -> evidencekg.KnowledgeGraph:
    """The second dataset, with the review's finding moved onto the outcome one of its included studies reports."""
    root = tmp_path_factory.mktemp("dependent") / "data"
    shutil.copytree(SECOND_DATASET, root)
    review = root / "studies" / "iota-2020.yaml"
    text = review.read_text(encoding="utf-8")
    review.write_text(text.replace("outcome: resting-heart-rate", "outcome: systolic-blood-pressure")
                      .replace("direction: decrease", "direction: increase"), encoding="utf-8")
    return evidencekg.build_graph(root)


def test_a_review_and_its_included_study_are_not_independent(dependent_kg: evidencekg.KnowledgeGraph) -> None:
    review = next(s for s in dependent_kg.dataset.studies if s.includes)
    dependent = [r for r in dependent_kg.derived.subjects(EKG.dependentEvidence, Literal(True))]
    assert dependent, "the review now disagrees with a study it includes"
    for relation in dependent:
        studies = {str(dependent_kg.union().value(f, EKG.reportedIn)).rsplit("/", 1)[1]
                   for f in dependent_kg.derived.objects(relation, EKG.relatesFinding)}
        assert review.id in studies and studies - {review.id} <= set(review.includes)
    rows = evidencekg.query(dependent_kg, "contradictions").records()
    assert any(str(r["dependent"]) == "true" for r in rows)
    for q in evidence_summary(dependent_kg):
        findings = {str(f) for f in dependent_kg.derived.subjects(EKG.addressesQuestion, URIRef(q.question))}
        studies = {str(f).split("/finding/")[0].rsplit("/", 1)[1] for f in findings}
        if review.id in studies and studies & set(review.includes):
            # The included studies are counted through the review, not again.
            assert q.independent_studies == len(studies - set(review.includes))


def test_disagreement_graph_and_controversies(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    graph = disagreement_graph(bundled_kg)
    disagreements = set(bundled_kg.derived.subjects(RDF.type, EKG.Disagreement))
    assert graph.number_of_edges() == len(disagreements)
    report = controversies(bundled_kg)
    assert len(report.clusters) == nx.number_connected_components(graph)
    assert sum(len(c) for c in report.clusters) == graph.number_of_nodes()
    counts = [count for _, count in report.contested_studies]
    assert counts == sorted(counts, reverse=True)
    assert sum(counts) >= len(disagreements)


def test_node_ids_keep_iris_and_literals_apart() -> None:
    text = "https://example.org/a"
    assert node_id(URIRef(text)) != node_id(Literal(text))


def test_graphml_export_rereads_with_the_same_counts(tmp_path: Path, second_kg: evidencekg.KnowledgeGraph) -> None:
    path = write_graphml(second_kg, tmp_path / "out" / "evidence.graphml")
    graph = property_graph(second_kg)
    reread = nx.read_graphml(path, force_multigraph=True)
    assert reread.number_of_nodes() == len(graph.nodes)
    assert reread.number_of_edges() == len(graph.relationships)
    assert {data["type"] for _, _, data in reread.edges(data=True)} == set(graph.relationship_counts())


def test_summary_controversies_and_export_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["summary", "--data", str(SECOND_DATASET), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {"certainty", "rating", "independent_studies"} <= set(rows[0])
    assert main(["controversies", "--data", str(SECOND_DATASET)]) == 0
    assert "Controversy clusters" in capsys.readouterr().out
    out = tmp_path / "e.graphml"
    assert main(["export", "graphml", "--data", str(SECOND_DATASET), "--out", str(out)]) == 0
    assert out.is_file()


def test_the_facets_that_separate_two_sides_are_measured_not_guessed() -> None:
    """Values in no order by total variation distance, numbers by probability of superiority; alike sides
    are not said to be separated."""
    from evidencekg.analysis.contradictions import _separations

    first = {"population": {"f1": {"women"}, "f2": {"women"}, "f3": {"men"}, "f4": {"women"}},
             "design": {"s1": {"cohort"}, "s2": {"cohort"}},
             "sample size": {"s1": {"10"}, "s2": {"30"}}}
    second = {"population": {"f5": {"men"}, "f6": {"men"}, "f7": {"men"}, "f8": {"women"}},
              "design": {"s3": {"cohort"}, "s4": {"cohort"}},
              "sample size": {"s3": {"100"}, "s4": {"20"}}}
    found = {s.facet: s for s in _separations(first, second)}
    assert found["population"].strength == 0.5  # 3/4 women against 1/4
    assert found["population"].first == ("women (75%)", "men (25%)")
    assert "design" not in found
    # 10 and 30 against 100 and 20: P(first > second) = 1/4, and |2 * 1/4 - 1| = 0.5.
    assert found["sample size"].strength == 0.5
    assert found["sample size"].first == ("median 20, 10\u201330",)
    assert _separations({"population": {"a": {"x"}}}, {"population": {"b": {"y"}}})[0].strength == 1.0

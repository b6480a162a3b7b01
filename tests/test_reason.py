"""Stage 4: OWL RL inference is kept apart and completes hierarchies and property axioms."""

from __future__ import annotations

from pathlib import Path

from helpers import make_dataset
from rdflib import RDF, SKOS, URIRef

import evidencekg
from evidencekg.namespaces import EKG

BASE = "https://w3id.org/evidencekg/id/"


def test_inferred_triples_are_new_and_the_asserted_graph_is_untouched(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    before = len(bundled_kg.asserted)
    inferred = evidencekg.infer(bundled_kg.asserted)
    assert len(bundled_kg.asserted) == before
    assert not set(inferred) & set(bundled_kg.asserted)
    assert set(inferred) == set(bundled_kg.inferred)


def test_hierarchies_inverse_symmetric_and_transitive(tmp_path: Path) -> None:
    kg = evidencekg.build_graph(make_dataset(tmp_path / "data"))
    inferred = kg.inferred
    study = URIRef(BASE + "study/doe-2020")
    finding = URIRef(BASE + "study/doe-2020/finding/bp")
    assert (finding, EKG.reportedIn, study) in inferred  # inverse
    assert (EKG.Decrease, EKG.oppositeOf, EKG.Increase) in inferred  # symmetric
    assert (study, RDF.type, EKG.ExperimentalStudy) in inferred  # class hierarchy
    assert (study, EKG.evidenceLevel, EKG.EvidenceLevel2) in inferred  # hasValue restriction
    assert (finding, EKG.interventionOrBroader, URIRef(BASE + "term/exercise")) in inferred  # property chain


def test_population_hierarchy_is_transitive(tmp_path: Path) -> None:
    vocabulary = (
        "populations:\n  - {id: people, label: People}\n  - {id: adults, label: Adults, broader: people}\n"
        "  - {id: older-adults, label: Older adults, broader: adults}\n"
        "conditions:\n  - {id: hypertension, label: Hypertension}\noutcomes:\n  - {id: blood-pressure, label: BP}\n"
        "interventions:\n  - {id: exercise, label: Exercise}\n"
    )
    from helpers import STUDY, edit

    study = edit(STUDY, "population: adults", "population: older-adults")
    kg = evidencekg.build_graph(make_dataset(tmp_path / "data", study=study, vocabulary=vocabulary))
    group = URIRef(BASE + "study/doe-2020/group/treated")
    for term in ("older-adults", "adults", "people"):
        assert (group, EKG.populationOrBroader, URIRef(BASE + f"term/{term}")) in kg.union()
    assert (URIRef(BASE + "term/older-adults"), SKOS.broaderTransitive, URIRef(BASE + "term/people")) in kg.inferred


def test_inference_never_merges_studies_or_findings(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    union = bundled_kg.union()
    for cls in (EKG.Study, EKG.Finding, EKG.Group):
        asserted = set(bundled_kg.asserted.subjects(RDF.type, cls))
        assert set(union.subjects(RDF.type, cls)) == asserted
    from rdflib import OWL

    assert not [t for t in bundled_kg.inferred.triples((None, OWL.sameAs, None)) if t[0] != t[2]]

"""The ontology as published: in the OWL 2 RL profile, with its metadata, documented in docs/ontology.md."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyhornedowl
import pytest
from pyhornedowl import profile
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef

from evidencekg.namespaces import EKG, ONTOLOGY_IRI, VANN
from evidencekg.outputs.ontology_docs import ontology_markdown
from evidencekg.resources import ontology_path, package_version

ROOT = Path(__file__).resolve().parent.parent


def _violations(turtle: str, name: str) -> list[str]:
    """py-horned-owl's profile checker (a port of the OWL API's), on the ontology as RDF/XML."""
    xml = Graph().parse(data=turtle, format="turtle").serialize(format="xml")
    report = profile.check_profile(pyhornedowl.open_ontology_from_string(xml, "rdf"), name)
    return [f"{type(v).__name__}: {getattr(v, 'iri', None) or getattr(v, 'axiom', '')}" for v in report.violations]


def test_the_ontology_is_in_the_owl2_rl_profile() -> None:
    assert _violations(ontology_path().read_text(encoding="utf-8"), "RL") == []


@pytest.mark.parametrize("axiom", [
    # An enumeration as an equivalent class: what the ontology said of ekg:Direction before.
    "ekg:Direction owl:equivalentClass [ a owl:Class ; owl:oneOf ( ekg:Increase ekg:Decrease ekg:NoChange ) ] .",
    # An existential on the right of a subclass axiom.
    "ekg:Study rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ekg:hasGroup ; owl:someValuesFrom ekg:Group ] .",
])
def test_the_profile_check_fails_on_a_construct_outside_rl(axiom: str) -> None:
    assert _violations(ontology_path().read_text(encoding="utf-8") + "\n" + axiom + "\n", "RL")


def test_an_undeclared_term_is_outside_the_profile() -> None:
    text = ontology_path().read_text(encoding="utf-8") + "\nekg:Study rdfs:subClassOf <https://example.org/Thing> .\n"
    assert any("UseOfUndeclaredClass" in v for v in _violations(text, "RL"))


def test_ontology_metadata() -> None:
    graph = Graph().parse(ontology_path())
    version = graph.value(ONTOLOGY_IRI, OWL.versionInfo)
    assert version == Literal(package_version())
    assert graph.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/{version}")
    assert graph.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix) == Literal("ekg")
    assert graph.value(ONTOLOGY_IRI, VANN.preferredNamespaceUri) == Literal(str(EKG._NS))
    for predicate in ("license", "creator", "publisher"):
        assert isinstance(graph.value(ONTOLOGY_IRI, URIRef("http://purl.org/dc/terms/" + predicate)), URIRef)


def test_every_term_is_defined_by_the_ontology() -> None:
    graph = Graph().parse(ontology_path())
    terms = {s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(str(EKG._NS))}
    assert terms
    assert {t for t in terms if (t, RDFS.isDefinedBy, ONTOLOGY_IRI) not in graph} == set()
    assert {t for t in terms if graph.value(t, RDF.type) is None} == set()


def test_the_ontology_documentation_is_up_to_date() -> None:
    written = (ROOT / "docs" / "ontology.md").read_text(encoding="utf-8")
    assert written == ontology_markdown(Graph().parse(ontology_path())), (
        "docs/ontology.md is out of date: python -m evidencekg.outputs.ontology_docs docs/ontology.md")


def test_the_documentation_names_every_term() -> None:
    text = ontology_markdown(Graph().parse(ontology_path()))
    for name in ("Study", "publishedIn", "Disagreement", "OppositeDirections"):
        assert re.search(rf"`ekg:{name}`", text)


def test_the_documentation_command_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "ontology.md"
    subprocess.run([sys.executable, "-m", "evidencekg.outputs.ontology_docs", str(out)], check=True)
    assert out.read_text(encoding="utf-8") == (ROOT / "docs" / "ontology.md").read_text(encoding="utf-8")

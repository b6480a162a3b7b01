"""The ontology's human documentation, generated from ``ontology/evidence.ttl`` (``docs/ontology.md``).

Every term of the ``ekg:`` namespace, grouped by kind, with its label, definition and the axioms a reader
needs (super-classes, super-properties, inverses, chains, domains and ranges, the class of an individual).
A test keeps ``docs/ontology.md`` equal to this output; write it again after changing the ontology with::

    python -m evidencekg.outputs.ontology_docs docs/ontology.md

>>> from rdflib import Graph
>>> from evidencekg.resources import ontology_path
>>> "`ekg:Finding`" in ontology_markdown(Graph().parse(ontology_path()))
True
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from ..namespaces import EKG, ONTOLOGY_IRI, PREFIXES, VANN
from ..resources import ontology_path

_NAMESPACE = str(EKG._NS)
_SCHEMA = "https://schema.org/"
_SECTIONS = (
    ("Classes", OWL.Class),
    ("Object properties", OWL.ObjectProperty),
    ("Datatype properties", OWL.DatatypeProperty),
    ("Annotation properties", OWL.AnnotationProperty),
    ("Other properties", RDF.Property),
)


def _name(graph: Graph, term: Node | None) -> str:
    if isinstance(term, URIRef):
        text = str(term)
        for prefix, namespace in PREFIXES.items():
            if text.startswith(namespace) and text != namespace:
                return f"`{prefix}:{text[len(namespace):]}`"
        return f"<{text}>"
    if (term, OWL.onProperty, None) in graph:
        value = graph.value(term, OWL.hasValue)
        return f"{_name(graph, graph.value(term, OWL.onProperty))} value {_name(graph, value)}"
    return "(anonymous)"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _text(graph: Graph, term: URIRef, predicate: URIRef) -> str:
    values = sorted(str(v) for v in graph.objects(term, predicate))
    return _cell("; ".join(values))


def _names(graph: Graph, terms: Iterable[Node]) -> str:
    return ", ".join(sorted(_name(graph, t) for t in terms))


def _axioms(graph: Graph, term: URIRef) -> str:
    parts = []
    for label, predicate in (("subclass of", RDFS.subClassOf), ("subproperty of", RDFS.subPropertyOf),
                             ("inverse of", OWL.inverseOf), ("domain includes", URIRef(_SCHEMA + "domainIncludes")),
                             ("range includes", URIRef(_SCHEMA + "rangeIncludes"))):
        objects = list(graph.objects(term, predicate))
        if objects:
            parts.append(f"{label} {_names(graph, objects)}")
    for chain in graph.objects(term, OWL.propertyChainAxiom):
        parts.append("chain " + " ∘ ".join(_name(graph, link) for link in Collection(graph, chain)))
    characteristics = sorted(str(t)[len(str(OWL)):] for t in graph.objects(term, RDF.type)
                             if t in (OWL.SymmetricProperty, OWL.TransitiveProperty, OWL.IrreflexiveProperty))
    if characteristics:
        parts.append(", ".join(characteristics).lower().replace("property", ""))
    return _cell("; ".join(parts))


def _own_terms(graph: Graph, kind: URIRef) -> list[URIRef]:
    return sorted(t for t in graph.subjects(RDF.type, kind) if isinstance(t, URIRef) and t.startswith(_NAMESPACE))


def ontology_markdown(graph: Graph) -> str:
    """The documentation page of an ontology graph, as Markdown."""
    meta = ONTOLOGY_IRI
    lines = [
        f"# {graph.value(meta, DCTERMS.title)}",
        "",
        "Generated from `ontology/evidence.ttl` by `python -m evidencekg.outputs.ontology_docs docs/ontology.md`;",
        "do not edit by hand.",
        "",
        _cell(str(graph.value(meta, DCTERMS.description))),
        "",
        "| | |",
        "|---|---|",
        f"| ontology IRI | <{meta}> |",
        f"| version | {graph.value(meta, OWL.versionInfo)} (<{graph.value(meta, OWL.versionIRI)}>) |",
        f"| namespace | `{graph.value(meta, VANN.preferredNamespacePrefix)}:` "
        f"<{graph.value(meta, VANN.preferredNamespaceUri)}> |",
        f"| licence | <{graph.value(meta, DCTERMS.license)}> |",
        f"| creator, publisher | <{graph.value(meta, DCTERMS.creator)}>, <{graph.value(meta, DCTERMS.publisher)}> |",
        "| profile | OWL 2 RL (checked by `tests/test_ontology.py`) |",
        "",
    ]
    individuals = _own_terms(graph, OWL.NamedIndividual)
    for title, kind in _SECTIONS:
        terms = [t for t in _own_terms(graph, kind) if t not in individuals]
        if not terms:
            continue
        lines += [f"## {title}", "", "| term | label | definition | axioms |", "|---|---|---|---|"]
        lines += [f"| {_name(graph, t)} | {_text(graph, t, RDFS.label)} | {_text(graph, t, SKOS.definition)} | "
                  f"{_axioms(graph, t)} |" for t in terms]
        lines.append("")
    lines += ["## Individuals", "", "| individual | of class | label | definition |", "|---|---|---|---|"]
    for term in individuals:
        classes = [c for c in graph.objects(term, RDF.type) if c != OWL.NamedIndividual]
        lines.append(f"| {_name(graph, term)} | {_names(graph, classes)} | {_text(graph, term, RDFS.label)} | "
                     f"{_text(graph, term, SKOS.definition)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Write the documentation of the bundled ontology to the file named, or to stdout."""
    text = ontology_markdown(Graph().parse(ontology_path()))
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

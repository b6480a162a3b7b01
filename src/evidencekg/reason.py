"""Stage 4, inference: the OWL 2 RL closure of ontology + asserted data, kept as a graph of its own.

The closure is computed on a scratch graph, so the caller's asserted graph is
never modified, and only new, informative triples are returned:

* triples already asserted, or already in the ontology, are left out;
* triples with a blank node (the ontology's restrictions and lists) are left out;
* the tautologies every OWL RL reasoner emits for every resource (``x owl:sameAs x``,
  ``x rdf:type owl:Thing``, ``C rdfs:subClassOf C``, ``C rdfs:subClassOf owl:Thing``...)
  are left out, as are statements about the RDF, RDFS, OWL and XSD vocabularies themselves.

What remains is what the queries rely on: design superclasses and evidence
levels, inverse and symmetric properties, ``skos:broaderTransitive`` and the
``…OrBroader`` properties derived from the term hierarchies.

>>> import evidencekg
>>> built = evidencekg.to_rdf(evidencekg.load_dataset(evidencekg.bundled_data_dir()))
>>> inferred = evidencekg.infer(built.graph)
>>> len(inferred) > 0 and not set(inferred) & set(built.graph)
True
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .rdf import new_graph
from .resources import ontology_path

_BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
_REFLEXIVE_TAUTOLOGIES = (
    OWL.sameAs,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
)
_UNINFORMATIVE_OBJECTS = frozenset({OWL.Thing, RDFS.Resource, OWL.NamedIndividual, RDFS.Class, OWL.Class})


@cache
def _ontology_triples() -> frozenset[tuple[Node, Node, Node]]:
    from rdflib.compare import to_canonical_graph

    # Canonical blank node labels (the restrictions and lists), so that writers which print labels
    # write the same file on every run.
    return frozenset(to_canonical_graph(Graph().parse(ontology_path(), format="turtle")))


def ontology_triples() -> frozenset[tuple[Node, Node, Node]]:
    """The triples of evidencekg's ontology (parsed once per process)."""
    return _ontology_triples()


def load_ontology() -> Graph:
    """The evidencekg ontology as a fresh graph."""
    graph = new_graph()
    for triple in _ontology_triples():
        graph.add(triple)
    return graph


def _informative(triple: tuple[Node, Node, Node]) -> bool:
    subject, predicate, obj = triple
    if isinstance(subject, (BNode, Literal)) or isinstance(obj, BNode) or not isinstance(predicate, URIRef):
        return False
    if str(subject).startswith(_BUILTIN_NAMESPACES):
        return False
    if predicate in _REFLEXIVE_TAUTOLOGIES and subject == obj:
        return False
    if obj in _UNINFORMATIVE_OBJECTS and predicate in (RDF.type, RDFS.subClassOf):
        return False
    if predicate == RDF.type and isinstance(obj, URIRef) and str(obj).startswith(_BUILTIN_NAMESPACES):
        # Typing of data nodes by the OWL vocabulary (owl:Thing, rdfs:Resource...) says nothing new.
        return False
    return not isinstance(obj, Literal) or predicate != RDF.type


def infer(asserted: Graph, ontology: Graph | None = None) -> Graph:
    """The triples OWL 2 RL entails from ``ontology`` (default: evidencekg's) and ``asserted``.

    Returns a new graph holding only the inferred triples; neither input is changed.
    """
    import owlrl

    ontology_triples = set(ontology) if ontology is not None else _ontology_triples()
    scratch = Graph()
    for triple in ontology_triples:
        scratch.add(triple)
    for triple in asserted:
        scratch.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(scratch)
    inferred = new_graph()
    for triple in scratch:
        if triple in ontology_triples or triple in asserted:
            continue
        if _informative(triple):
            inferred.add(triple)
    return inferred


def infer_triples(asserted: Iterable[tuple[Node, Node, Node]], *, engine: str = "fast") -> set[tuple[Node, Node, Node]]:
    """The inferred triples of ``asserted`` with evidencekg's ontology, by the engine's reasoner.

    ``fast`` runs the rules compiled from the ontology (:mod:`evidencekg.rules`), and falls back
    to owlrl when the data brings OWL constructs those rules do not cover; ``reference`` runs owlrl.
    """
    if engine == "fast":
        from .rules import UnsupportedOntology, infer_rules

        try:
            return infer_rules(asserted)
        except UnsupportedOntology:
            pass
    graph = asserted if isinstance(asserted, Graph) else Graph()
    if graph is not asserted:
        graph.addN((s, p, o, graph) for s, p, o in asserted)
    return set(infer(graph))

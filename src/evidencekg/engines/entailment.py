"""Which entailments an inferred layer keeps: the one filter both engines' reasoners apply.

An OWL RL reasoner also derives tautologies for every resource (``x owl:sameAs x``,
``C rdfs:subClassOf owl:Thing``...), statements about the RDF, RDFS, OWL and XSD
vocabularies, and triples about the blank nodes of restrictions and lists. None
of them says anything a query or a shape uses, so neither engine keeps them;
what remains is compared triple for triple between the engines.

>>> from rdflib import OWL, URIRef
>>> x = URIRef("https://example.org/x")
>>> informative((x, OWL.sameAs, x))
False
"""

from __future__ import annotations

from rdflib import OWL, RDF, RDFS, XSD, BNode, Literal, URIRef
from rdflib.term import Node

_BUILTIN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
_REFLEXIVE_TAUTOLOGIES = (
    OWL.sameAs,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    RDFS.subClassOf,
    RDFS.subPropertyOf,
)
_UNINFORMATIVE_OBJECTS = frozenset({OWL.Thing, RDFS.Resource, OWL.NamedIndividual, RDFS.Class, OWL.Class})


def informative(triple: tuple[Node, Node, Node]) -> bool:
    """Whether an entailed triple belongs in the inferred layer."""
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

"""What the compiled rules support, and what they refuse with :class:`UnsupportedOntology`.

The fast engine reproduces owlrl's closure exactly or not at all. Refused, in the ontology or
in the data:

* constructs that make individuals equal (``owl:sameAs`` between distinct terms,
  ``owl:FunctionalProperty``, ``owl:InverseFunctionalProperty``, ``owl:hasKey``,
  ``owl:maxCardinality``, ``owl:maxQualifiedCardinality``), the class constructors
  ``owl:someValuesFrom``, ``owl:allValuesFrom``, ``owl:intersectionOf``, ``owl:unionOf`` and
  ``owl:complementOf``, disjointness and difference axioms, and any other OWL term outside the
  tables below and the annotation and ontology properties owlrl ignores;
* axioms whose consequences are themselves ontology statements (a property whose values are
  ``rdfs:subClassOf`` statements, a range of ``owl:Class``...), axioms that read what owlrl
  materialises outside its rules (``owl:sameAs`` or ``rdf:type`` as the property of an axiom,
  axioms on datatypes or on ``owl:AnnotationProperty``), and malformed RDF lists.

>>> from rdflib import OWL, URIRef
>>> _unsupported((URIRef("http://example.org/p"), OWL.hasKey, URIRef("http://example.org/k"))).construct == OWL.hasKey
True
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import OWL, RDF, RDFS, XSD, URIRef
from rdflib.term import Node

Triple = tuple[Node, Node, Node]

_OWL = str(OWL)
_RDF_RDFS_XSD = (str(RDF), str(RDFS), str(XSD))

_PROPERTY_DECLARATIONS = frozenset({OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property})
_SCHEMA_CLOSURE_INPUTS = frozenset(
    {
        RDFS.subClassOf,
        OWL.equivalentClass,
        RDFS.subPropertyOf,
        OWL.equivalentProperty,
        RDFS.domain,
        RDFS.range,
        OWL.onProperty,
        OWL.hasValue,
    }
)
_SCHEMA_PREDICATES = _SCHEMA_CLOSURE_INPUTS | {OWL.inverseOf, OWL.propertyChainAxiom, OWL.oneOf}
_SCHEMA_TYPES = _PROPERTY_DECLARATIONS | {OWL.Class, OWL.SymmetricProperty, OWL.TransitiveProperty}
_LIST_VALUED = (OWL.propertyChainAxiom, OWL.oneOf)
_LIST_LINKS = (RDF.first, RDF.rest)

# owlrl draws no triple from these: annotation, ontology and axiom-annotation vocabulary.
_INERT_OWL_PREDICATES = frozenset(
    {
        OWL.versionInfo,
        OWL.priorVersion,
        OWL.backwardCompatibleWith,
        OWL.incompatibleWith,
        OWL.deprecated,
        OWL.imports,
        OWL.versionIRI,
        OWL.annotatedSource,
        OWL.annotatedProperty,
        OWL.annotatedTarget,
    }
)
_INERT_OWL_TYPES = frozenset(
    {
        OWL.Ontology,
        OWL.NamedIndividual,
        OWL.AnnotationProperty,
        OWL.OntologyProperty,
        OWL.Restriction,
        OWL.Thing,
        OWL.Axiom,
        OWL.Annotation,
        OWL.DeprecatedClass,
        OWL.DeprecatedProperty,
    }
)
# owlrl only reports their violations, as blank-node messages the result never keeps.
_INCONSISTENCY_ONLY_TYPES = frozenset({OWL.IrreflexiveProperty, OWL.AsymmetricProperty})
_SUPPORTED_OWL_PREDICATES = frozenset(
    {p for p in _SCHEMA_PREDICATES if str.startswith(p, _OWL)} | _INERT_OWL_PREDICATES | {OWL.sameAs}
)
_SUPPORTED_OWL_TYPES = frozenset(
    {t for t in _SCHEMA_TYPES if str.startswith(t, _OWL)} | _INERT_OWL_TYPES | _INCONSISTENCY_ONLY_TYPES | {OWL.Nothing}
)

# Predicates and classes whose statements owlrl reads as axioms: the schema is closed before the data
# is reasoned over, so no rule may derive one of these from data.
_AXIOM_PREDICATES = frozenset({RDF.type, *_LIST_LINKS, RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range})
_AXIOM_TYPES = _SCHEMA_TYPES
# owlrl adds triples with these properties outside the rules (eq-ref, datatype and annotation typing,
# datatype disjointness), so a rule reading them would miss its premises here.
_OUT_OF_RULE_PROPERTIES = frozenset({RDF.type, OWL.sameAs, OWL.disjointWith})


class UnsupportedOntology(ValueError):
    """The ontology or the data uses an OWL construct whose consequences :func:`infer_rules` does not compute.

    ``construct`` is the offending term; :func:`evidencekg.engines.reference.reasoner.infer` (owlrl) handles the graph.
    """

    def __init__(self, construct: Node, reason: str) -> None:
        self.construct = construct
        super().__init__(
            f"{construct.n3()}: {reason}; the fast engine cannot reproduce owlrl's closure, "
            "use evidencekg.engines.reference.reasoner.infer"
        )


def _in_owl(term: Node) -> bool:
    return isinstance(term, URIRef) and str.startswith(term, _OWL)


def _unsupported(triple: Triple) -> UnsupportedOntology | None:
    subject, predicate, obj = triple
    if predicate == OWL.sameAs:
        if subject != obj:
            return UnsupportedOntology(OWL.sameAs, "equality between distinct terms")
    elif _in_owl(predicate) and predicate not in _SUPPORTED_OWL_PREDICATES:
        return UnsupportedOntology(predicate, "unsupported OWL construct")
    elif predicate == RDF.type and _in_owl(obj) and obj not in _SUPPORTED_OWL_TYPES:
        return UnsupportedOntology(obj, "unsupported OWL construct")
    return None


def _first_unsupported(triples: Iterable[Triple]) -> UnsupportedOntology | None:
    found = [error for error in map(_unsupported, triples) if error is not None]
    # Reporting the smallest term keeps the message independent of set order.
    return min(found, key=lambda error: (str(error.construct), str(error))) if found else None


def _check_rule_heads_and_bodies(
    derived_properties: set[Node], derived_classes: set[Node], read_properties: set[Node], read_classes: set[Node]
) -> None:
    """Refuse rules that would derive schema statements from data, or read triples owlrl adds outside its rules."""
    problems: list[UnsupportedOntology] = []
    for p in derived_properties:
        if p in _AXIOM_PREDICATES or (_in_owl(p) and p not in _INERT_OWL_PREDICATES):
            problems.append(UnsupportedOntology(p, "axioms derive this ontology property from data"))
    for c in derived_classes:
        if c in _AXIOM_TYPES or (_in_owl(c) and c not in _SUPPORTED_OWL_TYPES):
            problems.append(UnsupportedOntology(c, "axioms derive this ontology class from data"))
    for p in read_properties & _OUT_OF_RULE_PROPERTIES:
        problems.append(UnsupportedOntology(p, "an axiom reads triples owlrl adds outside its rules"))
    for c in read_classes:
        if c == OWL.AnnotationProperty or (isinstance(c, URIRef) and str.startswith(c, _RDF_RDFS_XSD)):
            problems.append(UnsupportedOntology(c, "an axiom reads typings owlrl adds outside its rules"))
    if problems:
        raise min(problems, key=lambda error: (str(error.construct), str(error)))

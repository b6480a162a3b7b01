"""The property-graph model of an evidence graph, generated from the ontology (``docs/property-graph.md``).

Labels and relationship types come from an allow-list that :func:`schema_from_ontology` builds from the
ontology's own declarations, never from data values: a label per ``owl:Class``, a relationship type per
``owl:ObjectProperty`` or ``rdf:Property``, a typed property per ``owl:DatatypeProperty`` (its type from
``schema:rangeIncludes``). A statement whose predicate the ontology does not declare becomes a text property
of its subject, keyed by the predicate's prefixed name (``dcterms:title`` → ``dcterms_title``), so nothing is
lost and nothing in the data can name a label or a type.

The graph holds the three data layers (asserted, inferred, derived); every relationship says which in
``layer``. Ontology terms the data points at (a direction, a design class, an evidence level) are nodes
too, with their labels and the literal values the ontology gives them (``rdfs_label``, ``levelRank``…).
The direct finding-to-finding relationship of each evidence relation carries the relation's kind,
contrast and dependence, read by ``queries/export/relation-edges.rq``.

>>> import evidencekg
>>> graph = property_graph(evidencekg.build_graph(evidencekg.bundled_data_dir()))
>>> "DISAGREES_WITH" in graph.relationship_counts(), "Finding" in graph.label_counts()
(True, True)
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, XSD
from rdflib.term import Node

from ...engines.base import Triple
from ...errors import InputError
from ...namespaces import EKG, PREFIXES
from ...rdf.ntriples import node_text
from ...sparql.named import NamedQuery, internal_query

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph

Value = str | int | float | bool
"""A property value: text, a 64-bit integer, a double or a boolean."""

DATA_LAYERS = ("asserted", "inferred", "derived")
"""The layers the property graph holds, in the order ``layer`` values are documented."""
RESOURCE_LABEL = "Resource"
"""The label every node carries, whatever its classes: the one the ``iri`` key is unique on."""
ONTOLOGY_NAMESPACE = str(EKG._NS)
SCHEMA_RANGE = URIRef("https://schema.org/rangeIncludes")
SCHEMA_DOMAIN = URIRef("https://schema.org/domainIncludes")

TYPES_BY_DATATYPE = {
    str(XSD.boolean): "BOOLEAN",
    str(XSD.integer): "INT64",
    str(XSD.decimal): "DOUBLE",
    str(XSD.double): "DOUBLE",
    str(XSD.float): "DOUBLE",
}
"""Property types by the XSD datatype of a property's range; any other range is ``STRING``."""

_RDF_TYPE = str(RDF.type)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
"""What a label, relationship type or property key may be: no quoting is ever needed to name it."""


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``."""
    return re.split(r"[#/]", iri)[-1]


def upper_snake(name: str) -> str:
    """``disagreesWith`` → ``DISAGREES_WITH``: the Cypher convention for relationship types."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def compact(iri: str) -> str:
    """An IRI as a property value: ``ekg:Name`` in the ontology's namespace, in full otherwise."""
    return "ekg:" + iri[len(ONTOLOGY_NAMESPACE):] if iri.startswith(ONTOLOGY_NAMESPACE) else iri


def node_id(term: Node) -> str:
    """A node's ``iri``: the IRI, or ``_:label`` for a blank node."""
    return f"_:{term}" if isinstance(term, BNode) else str(term)


@dataclass(frozen=True)
class PropertyType:
    """The type of a property key: a Cypher/ladybug scalar type, and whether values are lists of it."""

    type: str
    """``STRING``, ``INT64``, ``DOUBLE`` or ``BOOLEAN``."""
    is_list: bool = False

    def __str__(self) -> str:
        return f"{self.type}[]" if self.is_list else self.type


@dataclass(frozen=True)
class Schema:
    """The allow-list: what the ontology lets become a label, a relationship type or a typed property."""

    labels: Mapping[str, str]
    """Class IRI → node label."""
    roots: Mapping[str, str]
    """Label → the label of its root class (the one table a node belongs to in a database that gives a
    node a single table, such as ladybug)."""
    relationship_types: Mapping[str, str]
    """Property IRI → relationship type."""
    property_keys: Mapping[str, str]
    """Datatype, annotation or plain RDF property IRI → property key."""
    property_types: Mapping[str, str]
    """Property key → scalar type, for the keys the ontology declares."""
    prefixes: Mapping[str, str]
    """Namespace → prefix, for the keys of predicates the ontology does not declare."""
    key_domains: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Property key → the labels its ``schema:domainIncludes`` names."""

    def key(self, predicate: str) -> str:
        """The property key of a predicate: declared by the ontology, else ``prefix_localName``."""
        declared = self.property_keys.get(predicate)
        if declared is not None:
            return declared
        if predicate.startswith(ONTOLOGY_NAMESPACE):
            return _checked_name(local_name(predicate), predicate)
        for namespace, prefix in self.prefixes.items():
            if predicate.startswith(namespace) and _NAME.fullmatch(predicate[len(namespace):]):
                return f"{prefix}_{predicate[len(namespace):]}"
        # A namespace without a prefix: named by a digest of the IRI, which stays the same from run to run.
        return "p_" + hashlib.sha256(predicate.encode("utf-8")).hexdigest()[:12]

    def tables(self) -> list[str]:
        """Every node table of a one-table-per-node database: the root classes, then ``Resource``."""
        return [*sorted(set(self.roots.values())), RESOURCE_LABEL]


def _checked_name(name: str, iri: str) -> str:
    if not _NAME.fullmatch(name):
        raise InputError("ontology", f"{iri}: its local name {name!r} cannot name a label, type or key")
    return name


def _unique(names: Mapping[str, str], prefixes: Mapping[str, str], kind: str) -> dict[str, str]:
    """IRI → name, where two IRIs with the same local name are both qualified by their prefix."""
    counts = Counter(names.values())
    out = {}
    for iri, name in names.items():
        if counts[name] > 1:
            namespace = next((ns for ns in prefixes if iri.startswith(ns)), "")
            name = f"{prefixes.get(namespace, 'p')}_{name}"
        out[iri] = _checked_name(name, iri)
    if len(set(out.values())) != len(out):
        raise InputError("ontology", f"two {kind} IRIs map to the same name: {sorted(out.values())}")
    return out


_DECLARATIONS = frozenset({OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty})


def schema_from_ontology(ontology: Iterable[Triple], prefixes: Mapping[str, str]) -> Schema:
    """The allow-list of labels, relationship types and typed keys, from the ontology's triples."""
    namespaces = {namespace: prefix for prefix, namespace in sorted(prefixes.items())}
    declared: dict[str, set[str]] = defaultdict(set)
    parents: dict[str, set[str]] = defaultdict(set)
    ranges: dict[str, set[str]] = defaultdict(set)
    domains: dict[str, set[str]] = defaultdict(set)
    described: set[str] = set()
    for s, p, o in ontology:
        if not isinstance(s, URIRef):
            continue
        if not (p == RDF.type and o in _DECLARATIONS):
            described.add(str(s))
        if p == RDF.type and isinstance(o, URIRef):
            declared[str(o)].add(str(s))
        elif p == URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf") and isinstance(o, URIRef):
            parents[str(s)].add(str(o))
        elif p == SCHEMA_RANGE and isinstance(o, URIRef):
            ranges[str(s)].add(str(o))
        elif p == SCHEMA_DOMAIN and isinstance(o, URIRef):
            domains[str(s)].add(str(o))
    # Another vocabulary's term that the ontology only declares (prov:Entity, skos:inScheme, dcterms:title:
    # declarations OWL 2 requires) stays outside the allow-list, as if undeclared; one it gives an axiom
    # (skos:broader) is in it.
    for kind, members in declared.items():
        declared[kind] = {iri for iri in members if iri.startswith(ONTOLOGY_NAMESPACE) or iri in described}
    classes = sorted(declared[str(OWL.Class)])
    labels = _unique({iri: local_name(iri) for iri in classes}, namespaces, "class")
    plain = declared[str(RDF.Property)]
    objects = sorted(declared[str(OWL.ObjectProperty)] | plain)
    types = _unique({iri: upper_snake(local_name(iri)) for iri in objects}, namespaces, "property")
    # Some databases (ladybug) keep node and relationship tables in one case-insensitive catalog:
    # ekg:outcome would clash with ekg:Outcome, so such a type is qualified by its prefix.
    taken = {name.lower() for name in [*labels.values(), RESOURCE_LABEL]}
    for iri, name in types.items():
        if name.lower() in taken:
            namespace = next((ns for ns in namespaces if iri.startswith(ns)), "")
            types[iri] = f"{namespaces.get(namespace, 'p').upper()}_{name}"
    literal_properties = sorted(declared[str(OWL.DatatypeProperty)] | declared[str(OWL.AnnotationProperty)] | plain)
    keys = _unique({iri: local_name(iri) for iri in literal_properties}, namespaces, "property")
    key_types = {}
    for iri, key in keys.items():
        found = {TYPES_BY_DATATYPE.get(r, "STRING") for r in ranges[iri]}
        key_types[key] = found.pop() if len(found) == 1 else "STRING"
    key_domains = {key: frozenset(labels[d] for d in domains[iri] if d in labels) for iri, key in keys.items()}
    return Schema(labels, _roots(labels, parents), types, keys, key_types, namespaces, key_domains)


def _roots(labels: Mapping[str, str], parents: Mapping[str, set[str]]) -> dict[str, str]:
    def root(iri: str, seen: frozenset[str] = frozenset()) -> str:
        allowed = sorted(p for p in parents.get(iri, ()) if p in labels and p not in seen and p != iri)
        return root(allowed[0], seen | {iri}) if allowed else iri

    return {labels[iri]: labels[root(iri)] for iri in labels}


@dataclass
class NodeRecord:
    """One node: its ``iri``, its labels (``Resource`` apart) and its properties (key → values)."""

    iri: str
    labels: set[str] = field(default_factory=set)
    properties: dict[str, list[Value]] = field(default_factory=dict)

    def table(self, schema: Schema) -> str:
        """The one table of this node in a database that gives a node one table: its first root class."""
        roots = sorted({schema.roots[label] for label in self.labels})
        return roots[0] if roots else RESOURCE_LABEL


@dataclass(frozen=True)
class Relationship:
    type: str
    start: str
    end: str
    properties: tuple[tuple[str, Value | tuple[Value, ...]], ...]


@dataclass
class PropertyGraph:
    """Nodes sorted by ``iri``, relationships sorted by type, start, end and properties."""

    schema: Schema
    nodes: list[NodeRecord]
    relationships: list[Relationship]
    node_keys: dict[str, PropertyType]
    """Every node property key in use → its type (``iri`` apart)."""
    relationship_keys: dict[str, PropertyType]

    def label_counts(self) -> dict[str, int]:
        counts = Counter(label for node in self.nodes for label in node.labels)
        counts[RESOURCE_LABEL] = len(self.nodes)
        return dict(sorted(counts.items()))

    def relationship_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(r.type for r in self.relationships).items()))

    def node_value(self, node: NodeRecord, key: str) -> Value | list[Value] | None:
        """A node's value for a key as the key's type says: a list, one value, or None."""
        values = node.properties.get(key)
        if values is None:
            return None
        return values if self.node_keys[key].is_list else values[0]

    def summary(self) -> dict[str, object]:
        """What a manifest says about the graph: counts, and the type of every key."""
        return {
            "nodes": len(self.nodes),
            "relationships": len(self.relationships),
            "labels": self.label_counts(),
            "relationship_types": self.relationship_counts(),
            "node_properties": {"iri": "STRING", **{k: str(t) for k, t in sorted(self.node_keys.items())}},
            "relationship_properties": {k: str(t) for k, t in sorted(self.relationship_keys.items())},
        }


def export_query(name: str) -> NamedQuery:
    """One of the exports' own queries, ``queries/export/<name>.rq``."""
    return internal_query("export", name)


def literal_value(term: Literal, scalar: str, where: str) -> Value:
    """A literal as a value of the given scalar type; ``InputError`` if it is not one."""
    return text_value(str(term), scalar, where)


def text_value(text: str, scalar: str, where: str) -> Value:
    """A literal's lexical form as a value of the given scalar type; ``InputError`` if it is not one."""
    try:
        if scalar == "INT64":
            return int(text)
        if scalar == "DOUBLE":
            return float(text)
        if scalar == "BOOLEAN":
            if text in ("true", "1", "false", "0"):
                return text in ("true", "1")
            raise ValueError(text)
    except ValueError:
        raise InputError(where, f"{text!r} is not a {scalar}, which the ontology's range for it says") from None
    return text


def _relation_edges(kg: KnowledgeGraph) -> tuple[dict[tuple[str, str, str], dict[str, list[Value]]], set[str]]:
    """(direct predicate, finding, finding) → the relation's properties; and the keys that are lists."""
    query = export_query("relation-edges")
    lists = set(query.header.get("lists", "").split())
    edges: dict[tuple[str, str, str], dict[str, list[Value]]] = defaultdict(lambda: defaultdict(list))
    for row in kg.query(query).records():
        direct, first, second = (str(row[k]) for k in ("direct", "first", "second"))
        for key, term in sorted(row.items()):
            if key in ("direct", "first", "second"):
                continue
            value = _term_value(term, f"{query.path}: ?{key}")
            for pair in ((direct, first, second), (direct, second, first)):
                if value not in edges[pair][key]:
                    edges[pair][key].append(value)
    return edges, lists


def _term_value(term: Node, where: str) -> Value:
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype is not None else ""
        return literal_value(term, TYPES_BY_DATATYPE.get(datatype, "STRING"), where)
    return compact(node_id(term))


def _type_of(values: Iterable[Value]) -> str:
    kinds = {type(v) for v in values}
    if kinds <= {bool}:
        return "BOOLEAN"
    if kinds <= {int}:
        return "INT64"
    return "DOUBLE" if kinds <= {int, float} else "STRING"


class _Builder:
    """Nodes, relationships and properties from statements given as text.

    A statement is (subject, predicate, object, whether the object is a literal): the subject and an
    object that is not a literal as :func:`node_id` gives them, the predicate as its IRI, a literal as
    its lexical form. Both ways the layers are read (rdflib terms, or N-Triples lines) come down to this.
    """

    def __init__(self, schema: Schema, ontology_terms: set[str]) -> None:
        self.schema = schema
        self.ontology_terms = ontology_terms
        self.nodes: dict[str, NodeRecord] = {}
        self.relationships: list[tuple[str, str, str, str]] = []
        self.referenced: set[str] = set()
        self.keys: dict[str, str] = {}
        """Predicate → property key, worked out once per predicate."""

    def node(self, iri: str) -> NodeRecord:
        record = self.nodes.get(iri)
        if record is None:
            record = self.nodes[iri] = NodeRecord(iri)
        return record

    def add(self, subject: str, predicate: str, obj: str, literal: bool, layer: str) -> None:
        node = self.node(subject)
        schema = self.schema
        if predicate == _RDF_TYPE and obj in schema.labels:
            node.labels.add(schema.labels[obj])
            return
        if not literal and predicate in schema.relationship_types:
            self.node(obj)
            if obj in self.ontology_terms:
                self.referenced.add(obj)
            self.relationships.append((schema.relationship_types[predicate], subject, obj, layer))
            return
        self.property(node, predicate, obj if literal else compact(obj))

    def property(self, node: NodeRecord, predicate: str, text: str) -> None:
        key = self.keys.get(predicate)
        if key is None:
            key = self.keys[predicate] = self.schema.key(predicate)
        value = text_value(text, self.schema.property_types.get(key, "STRING"), f"{node.iri}: {key}")
        values = node.properties.setdefault(key, [])
        if value not in values:
            values.append(value)


Statement = tuple[str, str, str, bool]
"""(subject, predicate, object, whether the object is a literal), as :class:`_Builder` takes them."""


def _statement(s: Node, p: Node, o: Node) -> Statement:
    literal = isinstance(o, Literal)
    return node_id(s), str(p), str(o) if literal else node_id(o), literal


def _layer_statements(kg: KnowledgeGraph, layer: str) -> Iterator[Statement]:
    """A layer's statements: from the N-Triples a fast engine keeps (no rdflib term made), or its triples."""
    from ...engines.fast import FastEngine

    if not isinstance(kg.engine, FastEngine):
        yield from (_statement(s, p, o) for s, p, o in kg.engine.triples(layer))
        return
    # Terms repeat across thousands of lines: each distinct one is read once.
    seen: dict[bytes, tuple[str, bool]] = {}

    def text(token: bytes) -> tuple[str, bool]:
        found = seen.get(token)
        if found is None:
            found = seen[token] = node_text(token.decode("utf-8"))
        return found

    for subject, predicate, obj in kg.engine.ntriples(layer):
        o, literal = text(obj)
        yield text(subject)[0], text(predicate)[0], o, literal


def property_graph(kg: KnowledgeGraph) -> PropertyGraph:
    """The property graph of a built knowledge graph, streamed from its engine's layers."""
    engine = kg.engine
    prefixes = {**PREFIXES, **{prefix: str(ns) for prefix, ns in kg.namespaces}}
    ontology = list(engine.triples("ontology"))
    schema = schema_from_ontology(ontology, prefixes)
    ontology_terms = {str(s) for s, _, _ in ontology if isinstance(s, URIRef)}
    builder = _Builder(schema, ontology_terms)
    add = builder.add
    for layer in DATA_LAYERS:
        for subject, predicate, obj, literal in _layer_statements(kg, layer):
            # Statements about the ontology's own terms (inferred subclass closures) are schema, not data.
            if subject not in ontology_terms:
                add(subject, predicate, obj, literal, layer)
    for s, p, o in ontology:
        # The terms the data points at get their classes and their literal values from the ontology.
        if str(s) in builder.referenced and (isinstance(o, Literal) or (p == RDF.type and str(o) in schema.labels)):
            add(*_statement(s, p, o), "ontology")
    edges, list_keys = _relation_edges(kg)
    relationships = []
    relationship_values: dict[str, list[Value]] = defaultdict(list)
    type_predicates = {rtype: predicate for predicate, rtype in schema.relationship_types.items()}
    no_extra: dict[str, list[Value]] = {}
    for rtype, start, end, layer in builder.relationships:
        extra = edges.get((type_predicates[rtype], start, end), no_extra)
        properties: list[tuple[str, Value | tuple[Value, ...]]] = [("layer", layer)]
        for key, values in sorted(extra.items()):
            relationship_values[key].extend(values)
            properties.append((key, tuple(sorted(values, key=str)) if key in list_keys else values[0]))
        relationships.append(Relationship(rtype, start, end, tuple(properties)))
    relationship_keys = {"layer": PropertyType("STRING")}
    relationship_keys.update({key: PropertyType(_type_of(values), key in list_keys)
                              for key, values in sorted(relationship_values.items())})
    nodes = [builder.nodes[iri] for iri in sorted(builder.nodes)]
    node_keys: dict[str, PropertyType] = {}
    for node in nodes:
        # Keys and values in a fixed order: the store gives triples in an order that changes from run to run.
        node.properties = dict(sorted(node.properties.items()))
        for key, values in node.properties.items():
            if len(values) > 1:
                values.sort(key=str)
            known = node_keys.get(key)
            is_list = len(values) > 1 or (known is not None and known.is_list)
            if known is None or is_list != known.is_list:
                node_keys[key] = PropertyType(schema.property_types.get(key, "STRING"), is_list)
    relationships.sort(key=lambda rel: (rel.type, rel.start, rel.end))
    return PropertyGraph(schema, nodes, relationships, dict(sorted(node_keys.items())), relationship_keys)


def iter_node_rows(graph: PropertyGraph) -> Iterator[tuple[NodeRecord, list[str]]]:
    """Each node with its labels in a fixed order: ``Resource`` first, then by name."""
    for node in graph.nodes:
        yield node, [RESOURCE_LABEL, *sorted(node.labels)]

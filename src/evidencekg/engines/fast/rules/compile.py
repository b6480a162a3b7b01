"""Stage 4, fast path: the OWL 2 RL closure computed by rules compiled from the ontology's own axioms.

:func:`infer_rules` returns exactly the triples :func:`evidencekg.engines.reference.reasoner.infer` (owlrl) returns
for the same asserted data and ontology, in a fraction of the time: owlrl applies every OWL 2 RL
rule to every triple, cycle after cycle; here only the rules the ontology's axioms instantiate
are run, once per new triple (semi-naive evaluation over per-property indexes), until nothing
new follows. owlrl stays the reference implementation: whatever this module cannot reproduce
exactly, it refuses with :class:`UnsupportedOntology` rather than returning another closure.

Entailments computed, with the names of the OWL 2 RL rule tables:

* the schema closure, run once per ontology and cached (it mirrors owlrl's ``scm-*`` rules,
  including their treatment of reflexive statements): ``scm-cls``, ``scm-sco``, ``scm-eqc1``,
  ``scm-eqc2``, ``scm-op``, ``scm-dp`` (owlrl also counts ``rdf:Property``), ``scm-spo``,
  ``scm-eqp1``, ``scm-eqp2``, ``scm-dom1``, ``scm-dom2``, ``scm-rng1``, ``scm-rng2``, ``scm-hv``,
  with ``cls-thing`` and ``cls-nothing1``;
* on the data, and on the ontology's own individuals: ``cax-sco``, ``cax-eqc1``, ``cax-eqc2``,
  ``prp-dom``, ``prp-rng``, ``prp-spo1``, ``prp-spo2`` (chains of any length), ``prp-eqp1``,
  ``prp-eqp2``, ``prp-inv1``, ``prp-inv2``, ``prp-symp``, ``prp-trp``, ``cls-hv1``, ``cls-hv2``
  and ``cls-oo``.

Schema statements found in the data (``rdfs:subClassOf``, ``owl:inverseOf``, a property chain...)
join the ontology's before the rules are compiled. Terms are never special-cased: every rule
comes from an axiom, so another ontology gets its own rules.

Excluded from the result, as in :func:`evidencekg.engines.reference.reasoner.infer` (the same filter,
``engines.entailment.informative``, is applied): triples already asserted or in the ontology, triples
with a blank node or a literal subject, statements about the RDF, RDFS, OWL and XSD
vocabularies, reflexive tautologies (``x owl:sameAs x``, ``C rdfs:subClassOf C``...) and typing
by ``owl:Thing``, ``rdfs:Resource`` and the other vocabulary classes. owlrl's reflexive
``owl:sameAs`` triples, its typing of literals and datatypes and its inconsistency reports
(blank-node messages, for an ``owl:IrreflexiveProperty`` or ``owl:AsymmetricProperty`` used
against its declaration, or a member of ``owl:Nothing``) never pass that filter and entail
nothing that does, so they are not materialised here: such violations leave the result
unchanged, as they do with owlrl.

``asserted`` may be any iterable of rdflib triples; a tuple or a list is faster than a
:class:`~rdflib.Graph`, whose iteration alone costs more than the reasoning.

Refused with :class:`UnsupportedOntology`, in the ontology or in the data:

* constructs that make individuals equal (``owl:sameAs`` between distinct terms,
  ``owl:FunctionalProperty``, ``owl:InverseFunctionalProperty``, ``owl:hasKey``,
  ``owl:maxCardinality``, ``owl:maxQualifiedCardinality``), the class constructors
  ``owl:someValuesFrom``, ``owl:allValuesFrom``, ``owl:intersectionOf``, ``owl:unionOf`` and
  ``owl:complementOf``, disjointness and difference axioms, and any other OWL term outside the
  lists above and the annotation and ontology properties owlrl ignores;
* axioms whose consequences are themselves ontology statements (a property whose values are
  ``rdfs:subClassOf`` statements, a range of ``owl:Class``...), axioms that read what owlrl
  materialises outside its rules (``owl:sameAs`` or ``rdf:type`` as the property of an axiom,
  axioms on datatypes or on ``owl:AnnotationProperty``), and malformed RDF lists.

>>> import evidencekg
>>> from evidencekg.namespaces import EKG
>>> built = evidencekg.to_rdf(evidencekg.load_dataset(evidencekg.bundled_data_dir()))
>>> inferred = infer_rules(built.triples)
>>> (EKG.Decrease, EKG.oppositeOf, EKG.Increase) in inferred and not inferred & set(built.triples)
True
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from ....rdf.ontology import ontology_triples
from ...entailment import informative

__all__ = ["UnsupportedOntology", "infer_rules"]

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


def _schema_closure(tbox: Iterable[Triple]) -> set[Triple]:
    """The ``scm-*`` closure of the schema statements in ``tbox``, as owlrl computes it.

    The reflexive cases follow owlrl exactly: ``C rdfs:subClassOf C`` comes only from ``scm-cls``
    (``owl:Class`` typing) or from the input, ``p rdfs:subPropertyOf p`` only from property
    declarations, and ``scm-hv`` needs that statement to relate two restrictions on one property.
    """
    closure = {
        (s, p, o)
        for s, p, o in tbox
        if p in _SCHEMA_CLOSURE_INPUTS or (p == RDF.type and (o == OWL.Class or o in _PROPERTY_DECLARATIONS))
    }
    closure |= {(OWL.Thing, RDF.type, OWL.Class), (OWL.Nothing, RDF.type, OWL.Class)}
    sco, eqc, spo, eqp = RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf, OWL.equivalentProperty
    empty: frozenset[Node] = frozenset()
    while True:
        objects: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        subjects: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        for s, p, o in closure:
            objects[p][s].add(o)
            subjects[p][o].add(s)
        super_classes, super_properties = objects[sco], objects[spo]
        sub_properties, on_property = subjects[spo], objects[OWL.onProperty]
        new: set[Triple] = set()
        for c in subjects[RDF.type].get(OWL.Class, empty):
            new |= {(c, sco, c), (c, eqc, c), (c, sco, OWL.Thing), (OWL.Nothing, sco, c)}
        for declaration in _PROPERTY_DECLARATIONS:
            for p in subjects[RDF.type].get(declaration, empty):
                new |= {(p, spo, p), (p, eqp, p)}
        for c1, c2s in super_classes.items():
            for c2 in c2s:
                c3s = super_classes.get(c2, empty)
                if c1 != c2:
                    new.update((c1, sco, c3) for c3 in c3s if c3 != c1)
                if c1 in c3s:
                    new.add((c1, eqc, c2))
        for c1, c2s in objects[eqc].items():
            for c2 in c2s:
                if c1 != c2:
                    new |= {(c1, sco, c2), (c2, sco, c1)}
        for p1, p2s in super_properties.items():
            for p2 in p2s:
                if p1 != p2:
                    p3s = super_properties.get(p2, empty)
                    new.update((p1, spo, p3) for p3 in p3s if p3 != p1)
                    if p1 in p3s:
                        new.add((p1, eqp, p2))
        for p1, p2s in objects[eqp].items():
            for p2 in p2s:
                if p1 != p2:
                    new |= {(p1, spo, p2), (p2, spo, p1)}
        for bound in (RDFS.domain, RDFS.range):
            for p, cs in objects[bound].items():
                for c in cs:
                    new.update((p, bound, c2) for c2 in super_classes.get(c, empty) if c2 != c)
                    new.update((p1, bound, c) for p1 in sub_properties.get(p, empty) if p1 != p)
        values_of = subjects[OWL.hasValue]
        for c1, values in objects[OWL.hasValue].items():
            for value in values:
                for p1 in on_property.get(c1, empty):
                    for c2 in values_of.get(value, empty):
                        if any(p2 in super_properties.get(p1, empty) for p2 in on_property.get(c2, empty)):
                            new.add((c1, sco, c2))
        new -= closure
        if not new:
            return closure
        closure |= new


def _rdf_list(head: Node, firsts: dict[Node, list[Node]], rests: dict[Node, list[Node]]) -> list[Node]:
    """The members of an RDF list, read as owlrl reads them (``Graph.items``); malformed lists are refused."""
    members: list[Node] = []
    seen: set[Node | None] = {head}
    node: Node | None = head
    while node:
        first, rest = firsts.get(node, []), rests.get(node, [])
        if len(first) > 1 or len(rest) > 1:
            raise UnsupportedOntology(node, "RDF list node with several rdf:first or rdf:rest values")
        members.extend(first)
        node = rest[0] if rest else None
        if node in seen:
            raise UnsupportedOntology(head, "cyclic RDF list")
        seen.add(node)
    return members


_Pairs = tuple[tuple[int, int], ...]
_Ids = tuple[int, ...]
_ChainStep = tuple[int, _Ids, int]  # head property, chain, position of the property in the chain


@dataclass(frozen=True)
class _PropertyPlan:
    """What a new ``s p o`` triple entails, for one property ``p``."""

    domains: _Ids
    ranges: _Ids
    super_properties: _Ids
    inverses: _Ids
    symmetric: bool
    transitive: bool
    chains: tuple[_ChainStep, ...]
    restrictions_by_value: dict[int, _Ids]  # cls-hv2: value -> restriction classes


@dataclass(frozen=True)
class _ClassPlan:
    """What a new ``x rdf:type C`` triple entails, for one class ``C``."""

    super_classes: _Ids
    values: _Pairs  # cls-hv1: (property, value)


@dataclass(frozen=True)
class _Program:
    """The rules compiled from one ontology, over integer term ids (``terms[i]`` is term ``i``)."""

    terms: tuple[Node, ...]
    ids: dict[Node, int]
    property_plans: dict[int, _PropertyPlan]
    class_plans: dict[int, _ClassPlan]
    reverse_indexed: frozenset[int]
    relevant_properties: frozenset[Node]
    relevant_classes: frozenset[Node]
    given_properties: tuple[tuple[int, int, int], ...]
    given_types: _Pairs
    enumerated: _Pairs  # cls-oo: (individual, class), entailed whatever the data
    schema_entailments: frozenset[Triple]


def _check_rule_heads_and_bodies(
    derived_properties: set[Node], derived_classes: set[Node], read_properties: set[Node], read_classes: set[Node]
) -> None:
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


@lru_cache(maxsize=8)
def _compile(tbox: frozenset[Triple]) -> _Program:
    """Compile the rules of ``tbox`` (an ontology plus the schema statements of the data)."""
    error = _first_unsupported(tbox)
    if error is not None:
        raise error
    schema = _schema_closure(tbox)
    facts = tbox | schema
    objects: dict[Node, dict[Node, list[Node]]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in facts:
        if p in _SCHEMA_PREDICATES or p in _LIST_LINKS or p == RDF.type:
            objects[p][s].append(o)
    firsts, rests = objects[RDF.first], objects[RDF.rest]

    domains: dict[Node, set[Node]] = defaultdict(set)
    ranges: dict[Node, set[Node]] = defaultdict(set)
    super_properties: dict[Node, set[Node]] = defaultdict(set)
    inverses: dict[Node, set[Node]] = defaultdict(set)
    super_classes: dict[Node, set[Node]] = defaultdict(set)
    values_of_class: dict[Node, set[tuple[Node, Node]]] = defaultdict(set)
    chains: dict[Node, set[tuple[Node, ...]]] = defaultdict(set)
    enumerated: set[tuple[Node, Node]] = set()

    def statements(predicate: Node) -> Iterable[tuple[Node, Node]]:
        return ((s, o) for s, os in objects[predicate].items() for o in os)

    def add_property_edge(table: dict[Node, set[Node]], body: Node, head: Node) -> None:
        # owlrl never stores a triple whose predicate is a literal.
        if not isinstance(head, Literal):
            table[body].add(head)

    # The schema closure states every equivalence as subclass or subproperty statements both ways
    # (scm-eqc1, scm-eqp1), and transitively closed, so cax-sco and prp-spo1 cover cax-eqc and prp-eqp
    # in one step. Reflexive statements entail nothing (owlrl skips them too).
    for s, o in statements(RDFS.subClassOf):
        if s != o:
            super_classes[s].add(o)
    for s, o in statements(RDFS.subPropertyOf):
        if s != o:
            add_property_edge(super_properties, s, o)
    for s, o in statements(OWL.inverseOf):
        add_property_edge(inverses, s, o)
        add_property_edge(inverses, o, s)
    for p, cs in objects[RDFS.domain].items():
        domains[p].update(cs)
    for p, cs in objects[RDFS.range].items():
        ranges[p].update(cs)
    declared: dict[Node, set[Node]] = defaultdict(set)
    for s, types in objects[RDF.type].items():
        for t in types:
            declared[t].add(s)
    symmetric = {p for p in declared[OWL.SymmetricProperty] if not isinstance(p, Literal)}
    transitive = {p for p in declared[OWL.TransitiveProperty] if not isinstance(p, Literal)}
    for head, lists in objects[OWL.propertyChainAxiom].items():
        for chain_list in lists:
            chain = tuple(_rdf_list(chain_list, firsts, rests))
            if chain and not isinstance(head, Literal):
                chains[head].add(chain)
    for restriction, values in objects[OWL.hasValue].items():
        for value in values:
            for p in objects[OWL.onProperty].get(restriction, []):
                values_of_class[restriction].add((p, value))
    for cls, lists in objects[OWL.oneOf].items():
        for members_list in lists:
            enumerated.update((member, cls) for member in _rdf_list(members_list, firsts, rests))

    derived_properties = {q for qs in super_properties.values() for q in qs}
    derived_properties |= {q for qs in inverses.values() for q in qs} | symmetric | transitive | set(chains)
    derived_properties |= {p for pairs in values_of_class.values() for p, _ in pairs if not isinstance(p, Literal)}
    derived_classes = {c for table in (super_classes, domains, ranges) for cs in table.values() for c in cs}
    derived_classes |= set(values_of_class) | {cls for _, cls in enumerated}
    read_properties = set(super_properties) | set(inverses) | set(domains) | set(ranges) | symmetric | transitive
    read_properties |= {p for chain_set in chains.values() for chain in chain_set for p in chain}
    read_properties |= {p for pairs in values_of_class.values() for p, _ in pairs}
    read_classes = set(super_classes) | set(values_of_class)
    _check_rule_heads_and_bodies(derived_properties, derived_classes, read_properties, read_classes)

    terms: list[Node] = []
    ids: dict[Node, int] = {}

    def term_id(term: Node) -> int:
        found = ids.get(term)
        if found is None:
            found = ids[term] = len(terms)
            terms.append(term)
        return found

    def id_tuple(nodes: Iterable[Node]) -> _Ids:
        return tuple(sorted(term_id(node) for node in nodes))

    # Data triples are looked up by the ids of their predicate and class: every term a rule reads or
    # derives needs one before the data comes in.
    for node in (*read_properties, *derived_properties, *read_classes, *derived_classes):
        term_id(node)

    restrictions_by_property: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
    for restriction, pairs in values_of_class.items():
        for p, value in pairs:
            restrictions_by_property[p][value].add(restriction)
    chain_steps: dict[Node, list[_ChainStep]] = defaultdict(list)
    reverse_indexed = set(transitive)
    for head, chain_set in chains.items():
        for chain in chain_set:
            chain_ids = tuple(term_id(p) for p in chain)
            reverse_indexed.update(chain[:-1])
            for position, p in enumerate(chain):
                chain_steps[p].append((term_id(head), chain_ids, position))
    property_plans = {
        term_id(p): _PropertyPlan(
            domains=id_tuple(domains.get(p, ())),
            ranges=id_tuple(ranges.get(p, ())),
            super_properties=id_tuple(super_properties.get(p, ())),
            inverses=id_tuple(inverses.get(p, ())),
            symmetric=p in symmetric,
            transitive=p in transitive,
            chains=tuple(chain_steps.get(p, ())),
            restrictions_by_value={
                term_id(value): id_tuple(classes) for value, classes in restrictions_by_property.get(p, {}).items()
            },
        )
        for p in read_properties
    }
    class_plans = {
        term_id(c): _ClassPlan(
            super_classes=id_tuple(super_classes.get(c, ())),
            values=tuple(
                sorted((term_id(p), term_id(v)) for p, v in values_of_class.get(c, ()) if not isinstance(p, Literal))
            ),
        )
        for c in read_classes
    }
    relevant_properties = frozenset(read_properties | derived_properties)
    relevant_classes = frozenset(read_classes | derived_classes)
    given_properties = tuple((term_id(s), term_id(p), term_id(o)) for s, p, o in facts if p in relevant_properties)
    given_types = tuple((term_id(s), term_id(o)) for s, p, o in facts if p == RDF.type and o in relevant_classes)
    enumerated_ids = tuple(sorted((term_id(member), term_id(cls)) for member, cls in enumerated))
    reverse_indexed_ids = frozenset(term_id(p) for p in reverse_indexed)
    return _Program(
        terms=tuple(terms),
        ids=ids,
        property_plans=property_plans,
        class_plans=class_plans,
        reverse_indexed=reverse_indexed_ids,
        relevant_properties=relevant_properties,
        relevant_classes=relevant_classes,
        given_properties=given_properties,
        given_types=given_types,
        enumerated=enumerated_ids,
        schema_entailments=frozenset(t for t in schema - tbox if informative(t)),
    )


def _saturate(
    program: _Program, properties: list[tuple[int, int, int]], types: list[tuple[int, int]]
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int]]]:
    """Apply the program's rules to ``properties`` and ``types`` until nothing new follows.

    Returns the new triples. Every triple is processed once, against the full indexes: a
    conclusion is found when the last of its premises to be added is processed.
    """
    objects_of: dict[int, dict[int, set[int]]] = defaultdict(dict)
    subjects_of: dict[int, dict[int, set[int]]] = {p: {} for p in program.reverse_indexed}
    types_of: dict[int, set[int]] = {}
    property_queue: list[tuple[int, int, int]] = []
    type_queue: list[tuple[int, int]] = []

    def add_property(s: int, p: int, o: int) -> None:
        index = objects_of[p]
        objects = index.get(s)
        if objects is None:
            index[s] = {o}
        elif o in objects:
            return
        else:
            objects.add(o)
        reverse = subjects_of.get(p)
        if reverse is not None:
            subjects = reverse.get(o)
            if subjects is None:
                reverse[o] = {s}
            else:
                subjects.add(s)
        property_queue.append((s, p, o))

    def add_type(x: int, c: int) -> None:
        classes = types_of.get(x)
        if classes is None:
            types_of[x] = {c}
        elif c in classes:
            return
        else:
            classes.add(c)
        type_queue.append((x, c))

    for s, p, o in properties:
        add_property(s, p, o)
    for x, c in types:
        add_type(x, c)
    given_property_count, given_type_count = len(property_queue), len(type_queue)
    for x, c in program.enumerated:
        add_type(x, c)

    property_plans, class_plans = program.property_plans, program.class_plans
    next_property = next_type = 0
    while next_property < len(property_queue) or next_type < len(type_queue):
        while next_type < len(type_queue):
            x, c = type_queue[next_type]
            next_type += 1
            class_plan = class_plans.get(c)
            if class_plan is None:
                continue
            for d in class_plan.super_classes:
                add_type(x, d)
            for p, value in class_plan.values:
                add_property(x, p, value)
        while next_property < len(property_queue):
            s, p, o = property_queue[next_property]
            next_property += 1
            plan = property_plans.get(p)
            if plan is None:
                continue
            for c in plan.domains:
                add_type(s, c)
            for c in plan.ranges:
                add_type(o, c)
            for q in plan.super_properties:
                add_property(s, q, o)
            for q in plan.inverses:
                add_property(o, q, s)
            if plan.symmetric:
                add_property(o, p, s)
            if plan.transitive:
                for z in tuple(objects_of[p].get(o, ())):
                    add_property(s, p, z)
                for w in tuple(subjects_of[p].get(s, ())):
                    add_property(w, p, o)
            for head, chain, position in plan.chains:
                starts = _walk(subjects_of, reversed(chain[:position]), s)
                if starts:
                    ends = _walk(objects_of, chain[position + 1 :], o)
                    for u in starts:
                        for v in ends:
                            add_property(u, head, v)
            if plan.restrictions_by_value:
                for restriction in plan.restrictions_by_value.get(o, ()):
                    add_type(s, restriction)
    return property_queue[given_property_count:], type_queue[given_type_count:]


def _walk(index: dict[int, dict[int, set[int]]], steps: Iterable[int], start: int) -> set[int]:
    frontier = {start}
    for p in steps:
        edges = index.get(p)
        if not edges:
            return set()
        reached: set[int] = set()
        for node in frontier:
            targets = edges.get(node)
            if targets:
                reached |= targets
        if not reached:
            return reached
        frontier = reached
    return frontier


def infer_rules(asserted: Iterable[Triple], ontology: Graph | None = None) -> set[Triple]:
    """The triples OWL 2 RL entails from ``ontology`` (default: evidencekg's) and ``asserted``.

    The same set as ``set(reason.infer(graph_of_asserted, ontology))``; raises
    :class:`UnsupportedOntology` when the ontology or the data uses a construct outside the
    supported set (see the module documentation), so the caller can run owlrl instead.
    """
    with _cyclic_gc_paused():
        return _infer(asserted, ontology_triples() if ontology is None else frozenset(ontology))


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    # The closure allocates millions of small acyclic containers; the cyclic collector would
    # rescan them, and the caller's triples, every few hundred allocations, doubling the run time.
    # Nothing allocated here forms a cycle, so pausing it frees no less memory.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _infer(asserted: Iterable[Triple], ontology_triples: frozenset[Triple]) -> set[Triple]:
    data = _bucket(asserted)
    partition = _schema_statements(ontology_triples, data)
    program = _compile(ontology_triples | partition if partition else ontology_triples)

    ids = dict(program.ids)
    terms = list(program.terms)
    by_identity: dict[int, int] = {}

    def intern(term: Node) -> int:
        # The buckets hold every term alive until the end, so id() cannot be reused meanwhile.
        found = by_identity.get(id(term))
        if found is None:
            found = ids.get(term)
            if found is None:
                found = ids[term] = len(terms)
                terms.append(term)
            by_identity[id(term)] = found
        return found

    properties = list(program.given_properties)
    for predicate, triples in data.by_predicate.items():
        if predicate in program.relevant_properties:
            p = ids[predicate]
            properties.extend((intern(s), p, intern(o)) for s, _, o in triples)
    types = list(program.given_types)
    for cls, subjects in data.typed.items():
        if cls in program.relevant_classes:
            c = ids[cls]
            types.extend((intern(x), c) for x in subjects)

    derived_properties, derived_types = _saturate(program, properties, types)
    inferred = set(program.schema_entailments)
    for s, p, o in derived_properties:
        triple = (terms[s], terms[p], terms[o])
        if informative(triple):
            inferred.add(triple)
    rdf_type = RDF.type
    for x, c in derived_types:
        triple = (terms[x], rdf_type, terms[c])
        if informative(triple):
            inferred.add(triple)
    return inferred


@dataclass
class _Buckets:
    """Asserted triples by predicate, and typings by class (as subjects), before anything is interned."""

    by_predicate: dict[Node, list[Triple]]
    typed: dict[Node, list[Node]]


def _bucket(asserted: Iterable[Triple]) -> _Buckets:
    # Most asserted triples (labels, quotes, numbers) never meet a rule: grouping them by predicate
    # lets whole groups be skipped. Equal terms are often distinct objects, and comparing rdflib
    # terms runs Python code, so each distinct object is looked up once, by identity.
    group_of: dict[Node, list[Triple]] = {}
    group_by_identity: dict[int, list[Triple]] = {}
    typings: dict[Node, list[Node]] = {}
    typing_by_identity: dict[int, list[Node]] = {}
    alive: list[Node] = []  # keeps each looked-up object alive, so that its id() stays its own
    rdf_type = RDF.type
    typing_group: list[Triple] | None = None
    for triple in asserted:
        predicate = triple[1]
        group = group_by_identity.get(id(predicate))
        if group is None:
            group = group_of.get(predicate)
            if group is None:
                group = group_of[predicate] = []
                if predicate == rdf_type:
                    typing_group = group
            group_by_identity[id(predicate)] = group
            alive.append(predicate)
        if group is typing_group:
            cls = triple[2]
            members = typing_by_identity.get(id(cls))
            if members is None:
                members = typings.get(cls)
                if members is None:
                    members = typings[cls] = []
                typing_by_identity[id(cls)] = members
                alive.append(cls)
            members.append(triple[0])
        else:
            group.append(triple)
    group_of.pop(rdf_type, None)
    return _Buckets(by_predicate=group_of, typed=typings)


def _schema_statements(ontology: frozenset[Triple], data: _Buckets) -> frozenset[Triple]:
    """The data's schema statements, which join the ontology's; refuses unsupported constructs in the data."""
    statements: set[Triple] = set()
    problems: list[UnsupportedOntology] = []
    for predicate, triples in data.by_predicate.items():
        if predicate == OWL.sameAs or (_in_owl(predicate) and predicate not in _SUPPORTED_OWL_PREDICATES):
            error = _first_unsupported(triples)
            if error is not None:
                problems.append(error)
        if predicate in _SCHEMA_PREDICATES:
            statements.update(triples)
    for cls, subjects in data.typed.items():
        if _in_owl(cls) and cls not in _SUPPORTED_OWL_TYPES:
            problems.append(UnsupportedOntology(cls, "unsupported OWL construct"))
        if cls in _SCHEMA_TYPES:
            statements.update((x, RDF.type, cls) for x in subjects)
    if problems:
        raise min(problems, key=lambda error: (str(error.construct), str(error)))
    # The lists an axiom names (chains, enumerations) are read whole, wherever their cells are.
    cells = [triple for link in _LIST_LINKS for triple in data.by_predicate.get(link, ())]
    if not cells:
        return frozenset(statements)
    rest_of, ontology_lists = _lists_of(ontology)
    reached: set[Node] = set()
    pending = [*ontology_lists, *(o for _, p, o in statements if p in _LIST_VALUED)]
    while pending:
        while pending:
            node = pending.pop()
            if node not in reached:
                reached.add(node)
                if node in rest_of:
                    pending.append(rest_of[node])
        for triple in cells:
            if triple[0] in reached and triple not in statements:
                statements.add(triple)
                if triple[1] == RDF.rest:
                    pending.append(triple[2])
    return frozenset(statements)


@lru_cache(maxsize=8)
def _lists_of(ontology: frozenset[Triple]) -> tuple[dict[Node, Node], tuple[Node, ...]]:
    """The ``rdf:rest`` links of ``ontology`` and the lists its axioms name."""
    rest_of = {s: o for s, p, o in ontology if p == RDF.rest}
    return rest_of, tuple(o for _, p, o in ontology if p in _LIST_VALUED)

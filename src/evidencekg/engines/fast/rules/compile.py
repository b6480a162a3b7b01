"""The program compiled from an ontology's axioms: for each property and class, what a new triple entails.

:func:`_compile` closes the schema (:mod:`.schema`), reads each axiom into the plan entry of the
OWL 2 RL rule it instantiates, refuses what owlrl would treat otherwise (:mod:`.support`), and
numbers every term a rule reads or derives, so that :mod:`.saturate` works on integers only.

Only the rules the axioms instantiate are compiled: a property with no axiom gets no plan and its
triples are skipped. The schema closure states every equivalence as subclass or subproperty
statements both ways (``scm-eqc1``, ``scm-eqp1``), transitively closed, so the plans of
``cax-sco`` and ``prp-spo1`` also carry ``cax-eqc1``, ``cax-eqc2``, ``prp-eqp1`` and ``prp-eqp2``,
in one step.

>>> from rdflib import RDFS, URIRef
>>> a, b = URIRef("http://example.org/A"), URIRef("http://example.org/B")
>>> program = _compile(frozenset({(a, RDFS.subClassOf, b)}))
>>> program.class_plans[program.ids[a]].super_classes == (program.ids[b],)
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rdflib import OWL, RDF, RDFS, Literal
from rdflib.term import Node

from ...entailment import informative
from .schema import _schema_closure
from .support import (
    _LIST_LINKS,
    _SCHEMA_PREDICATES,
    Triple,
    UnsupportedOntology,
    _check_rule_heads_and_bodies,
    _first_unsupported,
)

_Pairs = tuple[tuple[int, int], ...]
_Ids = tuple[int, ...]
_ChainStep = tuple[int, _Ids, int]  # head property, chain, position of the property in the chain


@dataclass(frozen=True)
class _PropertyPlan:
    """What a new ``s p o`` triple entails, for one property ``p``."""

    domains: _Ids  # prp-dom
    ranges: _Ids  # prp-rng
    super_properties: _Ids  # prp-spo1, prp-eqp1, prp-eqp2
    inverses: _Ids  # prp-inv1, prp-inv2
    symmetric: bool  # prp-symp
    transitive: bool  # prp-trp
    chains: tuple[_ChainStep, ...]  # prp-spo2
    restrictions_by_value: dict[int, _Ids]  # cls-hv2: value -> restriction classes


@dataclass(frozen=True)
class _ClassPlan:
    """What a new ``x rdf:type C`` triple entails, for one class ``C``."""

    super_classes: _Ids  # cax-sco, cax-eqc1, cax-eqc2
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
    # RULE cax-sco
    # RULE cax-eqc1
    # RULE cax-eqc2
    for s, o in statements(RDFS.subClassOf):
        if s != o:
            super_classes[s].add(o)
    # RULE prp-spo1
    # RULE prp-eqp1
    # RULE prp-eqp2
    for s, o in statements(RDFS.subPropertyOf):
        if s != o:
            add_property_edge(super_properties, s, o)
    # RULE prp-inv1
    # RULE prp-inv2
    for s, o in statements(OWL.inverseOf):
        add_property_edge(inverses, s, o)
        add_property_edge(inverses, o, s)
    # RULE prp-dom
    for p, cs in objects[RDFS.domain].items():
        domains[p].update(cs)
    # RULE prp-rng
    for p, cs in objects[RDFS.range].items():
        ranges[p].update(cs)
    declared: dict[Node, set[Node]] = defaultdict(set)
    for s, types in objects[RDF.type].items():
        for t in types:
            declared[t].add(s)
    # RULE prp-symp
    symmetric = {p for p in declared[OWL.SymmetricProperty] if not isinstance(p, Literal)}
    # RULE prp-trp
    transitive = {p for p in declared[OWL.TransitiveProperty] if not isinstance(p, Literal)}
    # RULE prp-spo2
    for head, lists in objects[OWL.propertyChainAxiom].items():
        for chain_list in lists:
            chain = tuple(_rdf_list(chain_list, firsts, rests))
            if chain and not isinstance(head, Literal):
                chains[head].add(chain)
    # RULE cls-hv1
    # RULE cls-hv2
    for restriction, values in objects[OWL.hasValue].items():
        for value in values:
            for p in objects[OWL.onProperty].get(restriction, []):
                values_of_class[restriction].add((p, value))
    # RULE cls-oo
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

    # RULE cls-hv2: indexed by property, then value
    restrictions_by_property: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
    for restriction, pairs in values_of_class.items():
        for p, value in pairs:
            restrictions_by_property[p][value].add(restriction)
    # RULE prp-spo2: each property of a chain triggers the chain at its position; the links before
    # the last one are walked backwards, like both links of a transitive property (prp-trp).
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

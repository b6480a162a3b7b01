"""The entry point: :func:`infer_rules` buckets the data, compiles the ontology with the data's schema, saturates.

Schema statements found in the data (``rdfs:subClassOf``, ``owl:inverseOf``, a property chain...)
join the ontology's before the rules are compiled; the other asserted triples are grouped by
predicate and by class, and only the groups a rule reads or derives are numbered and saturated.

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

>>> import evidencekg
>>> from evidencekg.namespaces import EKG
>>> built = evidencekg.to_rdf(evidencekg.load_dataset(evidencekg.bundled_data_dir()))
>>> inferred = infer_rules(built.triples)
>>> (EKG.Decrease, EKG.oppositeOf, EKG.Increase) in inferred and not inferred & set(built.triples)
True
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from rdflib import OWL, RDF, Graph
from rdflib.term import Node

from ....rdf.ontology import ontology_triples
from ...entailment import informative
from .compile import _compile
from .saturate import _saturate
from .support import (
    _LIST_LINKS,
    _LIST_VALUED,
    _SCHEMA_PREDICATES,
    _SCHEMA_TYPES,
    _SUPPORTED_OWL_PREDICATES,
    _SUPPORTED_OWL_TYPES,
    Triple,
    UnsupportedOntology,
    _first_unsupported,
    _in_owl,
)

__all__ = ["infer_rules"]


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

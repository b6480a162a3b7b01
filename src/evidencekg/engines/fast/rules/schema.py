"""The schema closure: owlrl's ``scm-*`` rules, with ``cls-thing`` and ``cls-nothing1``, run on the ontology alone.

It runs once per ontology (the compiled program is cached) and follows owlrl exactly, including
its treatment of reflexive statements: ``C rdfs:subClassOf C`` comes only from ``scm-cls``
(``owl:Class`` typing) or from the input, ``p rdfs:subPropertyOf p`` only from property
declarations (``scm-op``, ``scm-dp``; owlrl also counts ``rdf:Property``), and ``scm-hv`` needs
that statement to relate two restrictions on one property.

>>> from rdflib import RDFS, URIRef
>>> a, b, c = (URIRef(f"http://example.org/{name}") for name in "ABC")
>>> (a, RDFS.subClassOf, c) in _schema_closure({(a, RDFS.subClassOf, b), (b, RDFS.subClassOf, c)})
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rdflib import OWL, RDF, RDFS
from rdflib.term import Node

from .support import _PROPERTY_DECLARATIONS, _SCHEMA_CLOSURE_INPUTS, Triple


def _schema_closure(tbox: Iterable[Triple]) -> set[Triple]:
    """The ``scm-*`` closure of the schema statements in ``tbox``, as owlrl computes it."""
    closure = {
        (s, p, o)
        for s, p, o in tbox
        if p in _SCHEMA_CLOSURE_INPUTS or (p == RDF.type and (o == OWL.Class or o in _PROPERTY_DECLARATIONS))
    }
    # RULE cls-thing
    # RULE cls-nothing1
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
        # RULE scm-cls
        for c in subjects[RDF.type].get(OWL.Class, empty):
            new |= {(c, sco, c), (c, eqc, c), (c, sco, OWL.Thing), (OWL.Nothing, sco, c)}
        # RULE scm-op
        # RULE scm-dp (owlrl also applies it to rdf:Property)
        for declaration in _PROPERTY_DECLARATIONS:
            for p in subjects[RDF.type].get(declaration, empty):
                new |= {(p, spo, p), (p, eqp, p)}
        for c1, c2s in super_classes.items():
            for c2 in c2s:
                c3s = super_classes.get(c2, empty)
                # RULE scm-sco
                if c1 != c2:
                    new.update((c1, sco, c3) for c3 in c3s if c3 != c1)
                # RULE scm-eqc2
                if c1 in c3s:
                    new.add((c1, eqc, c2))
        # RULE scm-eqc1
        for c1, c2s in objects[eqc].items():
            for c2 in c2s:
                if c1 != c2:
                    new |= {(c1, sco, c2), (c2, sco, c1)}
        for p1, p2s in super_properties.items():
            for p2 in p2s:
                if p1 != p2:
                    p3s = super_properties.get(p2, empty)
                    # RULE scm-spo
                    new.update((p1, spo, p3) for p3 in p3s if p3 != p1)
                    # RULE scm-eqp2
                    if p1 in p3s:
                        new.add((p1, eqp, p2))
        # RULE scm-eqp1
        for p1, p2s in objects[eqp].items():
            for p2 in p2s:
                if p1 != p2:
                    new |= {(p1, spo, p2), (p2, spo, p1)}
        for bound in (RDFS.domain, RDFS.range):
            for p, cs in objects[bound].items():
                for c in cs:
                    # RULE scm-dom1
                    # RULE scm-rng1
                    new.update((p, bound, c2) for c2 in super_classes.get(c, empty) if c2 != c)
                    # RULE scm-dom2
                    # RULE scm-rng2
                    new.update((p1, bound, c) for p1 in sub_properties.get(p, empty) if p1 != p)
        # RULE scm-hv
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

"""Semi-naive evaluation of a compiled program: every new triple fires the plan of its property or class once.

The loop is the hot path of the fast engine: triples are integer tuples, indexes are plain dicts
of sets, and each rule is a loop over a plan entry inline in :func:`_saturate` (no call per rule).

>>> from rdflib import RDFS, URIRef
>>> from evidencekg.engines.fast.rules.compile import _compile
>>> a, b = URIRef("http://example.org/A"), URIRef("http://example.org/B")
>>> program = _compile(frozenset({(a, RDFS.subClassOf, b)}))
>>> x = len(program.terms)  # an individual, numbered after the program's terms
>>> derived_properties, derived_types = _saturate(program, [], [(x, program.ids[a])])
>>> [(program.terms[c], d) for d, c in derived_types] == [(b, x)]
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from .compile import _Program


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
    # RULE cls-oo
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
            # RULE cax-sco
            # RULE cax-eqc1
            # RULE cax-eqc2
            for d in class_plan.super_classes:
                add_type(x, d)
            # RULE cls-hv1
            for p, value in class_plan.values:
                add_property(x, p, value)
        while next_property < len(property_queue):
            s, p, o = property_queue[next_property]
            next_property += 1
            plan = property_plans.get(p)
            if plan is None:
                continue
            # RULE prp-dom
            for c in plan.domains:
                add_type(s, c)
            # RULE prp-rng
            for c in plan.ranges:
                add_type(o, c)
            # RULE prp-spo1
            # RULE prp-eqp1
            # RULE prp-eqp2
            for q in plan.super_properties:
                add_property(s, q, o)
            # RULE prp-inv1
            # RULE prp-inv2
            for q in plan.inverses:
                add_property(o, q, s)
            # RULE prp-symp
            if plan.symmetric:
                add_property(o, p, s)
            # RULE prp-trp: the new triple as first link, then as second link
            if plan.transitive:
                for z in tuple(objects_of[p].get(o, ())):
                    add_property(s, p, z)
                for w in tuple(subjects_of[p].get(s, ())):
                    add_property(w, p, o)
            # RULE prp-spo2: the new triple at its position in the chain, the other links walked from its ends
            for head, chain, position in plan.chains:
                starts = _walk(subjects_of, reversed(chain[:position]), s)
                if starts:
                    ends = _walk(objects_of, chain[position + 1 :], o)
                    for u in starts:
                        for v in ends:
                            add_property(u, head, v)
            # RULE cls-hv2
            if plan.restrictions_by_value:
                for restriction in plan.restrictions_by_value.get(o, ()):
                    add_type(s, restriction)
    return property_queue[given_property_count:], type_queue[given_type_count:]


def _walk(index: dict[int, dict[int, set[int]]], steps: Iterable[int], start: int) -> set[int]:
    """The nodes reached from ``start`` by following ``steps`` (property ids) through ``index``, in order."""
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

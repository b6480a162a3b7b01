"""Other constraints, SHACL §4.8: ``sh:in`` and ``sh:hasValue`` (pySHACL's other_constraints).

``sh:closed`` and ``sh:ignoredProperties``, of the same section, are not compiled: the shape compiler refuses them.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib.namespace import SH
from rdflib.term import Node

from .base import FOCUS, VALUE, Check, Component, ShapeParameters, Test, each


def _has_value_test(wanted: Node) -> Test:
    def test(values: set[Node]) -> Iterator[Node | None]:
        if not any(v == wanted for v in values):
            yield None

    return test


def compile_other(p: ShapeParameters) -> Iterator[Component | Check]:
    if SH["in"] in p:
        members = set(p.shapes.items(p.one(SH["in"])))
        listed = [p.name(m) for m in members]  # in the set's order, as pySHACL lists them
        accepted = frozenset(members)
        yield Component(SH.InConstraintComponent, each(lambda v: v in accepted), f"Value {VALUE} not in list {listed}")
    if SH.hasValue in p:
        wanted = set(p.all(SH.hasValue))
        the_set = [p.name(v) for v in wanted]
        generic = (f"Node {FOCUS}->{p.path_name} does not contain a value in the set: {the_set}" if p.is_property
                   else f"Node {FOCUS} value is not a in the set of values: {the_set}")
        for value in wanted:
            yield Component(SH.HasValueConstraintComponent, _has_value_test(value), generic)

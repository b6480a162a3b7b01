"""Value-count constraints, SHACL §4.2: ``sh:minCount`` and ``sh:maxCount`` (pySHACL's cardinality_constraints)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

from rdflib import Literal
from rdflib.namespace import SH, XSD
from rdflib.term import Node

from .base import FOCUS, Check, Component, ShapeParameters, Test

_COUNTS = (
    (SH.minCount, SH.MinCountConstraintComponent, "Less", operator.lt),
    (SH.maxCount, SH.MaxCountConstraintComponent, "More", operator.gt),
)


def _count_test(bound: int, fails: Callable[[int, int], Any]) -> Test:
    def test(values: set[Node]) -> Iterator[Node | None]:
        if fails(len(values), bound):
            yield None

    return test


def compile_cardinality(p: ShapeParameters) -> Iterator[Component | Check]:
    for parameter, component, word, fails in _COUNTS:
        if parameter not in p:
            continue
        count = p.one(parameter)
        if not p.is_property:
            raise p.refuse(f"{p.name(parameter)} on a node shape")
        if not (isinstance(count, Literal) and count.datatype == XSD.integer and int(count.value) >= 0):
            raise p.refuse(f"{p.name(parameter)} that is not an xsd:integer of 0 or more")
        if parameter == SH.minCount and int(count.value) == 0:
            continue
        generic = f"{word} than {count.value} values on {FOCUS}->{p.path_name}"
        yield Component(component, _count_test(int(count.value), fails), generic)

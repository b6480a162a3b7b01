"""Value range constraints, SHACL §4.3: ``sh:minExclusive`` … ``sh:maxInclusive`` (pySHACL's value_range_constraints).

Values are compared with pySHACL's own literal comparison, so that they order as pySHACL orders them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from .base import Check, Component, ShapeParameters, each

_RANGES: dict[URIRef, tuple[URIRef, str, Callable[[Any], bool]]] = {
    SH.minExclusive: (SH.MinExclusiveConstraintComponent, ">", lambda c: c > 0),
    SH.minInclusive: (SH.MinInclusiveConstraintComponent, ">=", lambda c: c >= 0),
    SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, "<", lambda c: c < 0),
    SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, "<=", lambda c: c <= 0),
}


def _in_range(value: Node, bound: Literal, accept: Callable[[Any], bool]) -> bool:
    from pyshacl.rdfutil.compare import compare_literal

    if not isinstance(value, Literal):
        return False
    bound_is_string = isinstance(bound.value, str)
    if bound_is_string != isinstance(value.value, str):
        return False
    try:
        return bool(accept(compare_literal(value, bound)))  # type: ignore[no-untyped-call]
    except (TypeError, NotImplementedError):
        return False


def _within(bound: Literal, accept: Callable[[Any], bool]) -> Callable[[Node], bool]:
    return lambda value: _in_range(value, bound, accept)


def compile_value_range(p: ShapeParameters) -> Iterator[Component | Check]:
    for parameter, (component, word, accept) in _RANGES.items():
        bounds = p.all(parameter)
        if not bounds:
            continue
        literals = [b for b in bounds if isinstance(b, Literal)]
        if len(literals) != len(bounds):
            raise p.refuse(f"{p.name(parameter)} that is not a literal")
        generic = (f"Value is not {word} {p.name(literals[0])}" if len(literals) < 2
                   else f"Value is not {word} in ({', '.join(p.name(b) for b in literals)})")
        for bound in literals:
            yield Component(component, each(_within(bound, accept)), generic)

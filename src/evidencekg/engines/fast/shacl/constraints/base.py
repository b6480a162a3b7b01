"""What every constraint family builds on: a shape's use, its parameters, and the checks they compile into.

A family module (:mod:`.cardinality`, :mod:`.value_type`, ...) reads the
parameters of one shape (:class:`ShapeParameters`) and gives back
:class:`Component` values, tested in Python on the value nodes of each focus
node, and :class:`Check` values that run their own queries. The shape
compiler gathers the components of a shape use into one :class:`CoreChecks`:
one query fetches every (focus node, value node) pair, and each component
applies pySHACL's own test to them, so they agree by construction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..results import RawResult, UnsupportedShapes
from ..run import Run


def stringify(graph: Graph, node: Node, names: Graph | None = None) -> str:
    """A node as pySHACL names it in its messages."""
    from pyshacl.rdfutil.stringify import stringify_node

    return stringify_node(graph, node, ns_manager=(names or graph).namespace_manager)


def stringify_data(run: Run, node: Node) -> str:
    """A focus or value node as pySHACL names it: with its data graph's prefixes (those of a new rdflib graph)."""
    try:
        return stringify(run.describe(node) if isinstance(node, BNode) else run.data_names, node)
    except (LookupError, ValueError):
        return str(node)


@dataclass(frozen=True)
class ShapeUse:
    """A shape as evaluated on one set of focus nodes (a property shape once per node shape listing it)."""

    shape: Node
    severity: Node
    messages: tuple[Literal, ...]
    path: Node | None
    """``sh:path`` of a property shape (an IRI, or a blank node holding ``sh:inversePath``)."""
    path_sparql: str | None
    predicate: URIRef | None
    """The path's IRI when it is not inverted: the predicate linking focus and literal values."""
    focus: str
    """A SPARQL group binding ``?this`` to every focus node, once each."""

    def values_query(self, extra: str = "") -> str:
        if self.path_sparql is None:
            return f"SELECT DISTINCT ?this ?value WHERE {{ {self.focus} BIND (?this AS ?value) {extra} }}"
        if extra:
            return f"SELECT DISTINCT ?this ?value WHERE {{ {self.focus} ?this {self.path_sparql} ?value . {extra} }}"
        return f"SELECT DISTINCT ?this ?value WHERE {{ {self.focus} OPTIONAL {{ ?this {self.path_sparql} ?value }} }}"

    def result(self, focus: Node, value: Node | None, component: URIRef, messages: Sequence[Literal],
               *, path: Node | None = None, source_constraint: Node | None = None) -> RawResult:
        return RawResult(focus, path if path is not None else self.path, value, self.shape, source_constraint,
                         component, self.severity, tuple(dict.fromkeys(messages)))


class Check(Protocol):
    """A compiled piece of a shape use: the queries it sends, and its results on one run."""

    @property
    def use(self) -> ShapeUse: ...

    def queries(self) -> tuple[str, ...]: ...

    def run(self, run: Run) -> Iterator[RawResult]: ...


Test = Callable[[set[Node]], Iterable[Node | None]]
"""pySHACL's test of a component on the value nodes of one focus node: each failing value, or None per
result without a value."""

# Placeholders in generic messages for the parts pySHACL takes from the data; NUL appears in no RDF name.
FOCUS = "\x00focus\x00"
VALUE = "\x00value\x00"


def each(ok: Callable[[Node], bool]) -> Test:
    """The test failing every value node that is not ``ok``."""
    def test(values: set[Node]) -> Iterator[Node | None]:
        return (value for value in values if not ok(value))

    return test


@dataclass(frozen=True)
class Component:
    """A core constraint component evaluated in Python on the value nodes of each focus node."""

    component: URIRef
    test: Test
    generic: str
    """pySHACL's message when the shape has none, with ``FOCUS`` and ``VALUE`` where the nodes go."""

    def message(self, run: Run, focus: Node, value: Node | None) -> str:
        text = self.generic
        if FOCUS in text:
            text = text.replace(FOCUS, stringify_data(run, focus))
        if VALUE in text:
            text = text.replace(VALUE, stringify_data(run, value) if value is not None else "None")
        return text


@dataclass(frozen=True)
class CoreChecks:
    """The core constraints of one shape use, tested in Python on one fetch of its value nodes."""

    use: ShapeUse
    components: tuple[Component, ...]

    def queries(self) -> tuple[str, ...]:
        return (self.use.values_query(),)

    def run(self, run: Run) -> Iterator[RawResult]:
        values_of: dict[Node, set[Node]] = defaultdict(set)
        for focus, value in run.pairs(self.use.values_query(), self.use.predicate):
            found = values_of[focus]
            if value is not None:
                found.add(value)
        for focus, values in values_of.items():
            for component in self.components:
                for value in component.test(values):
                    messages = self.use.messages or (Literal(component.message(run, focus, value)),)
                    yield self.use.result(focus, value, component.component, messages)


@dataclass
class ShapeParameters:
    """The constraint parameters of one shape use, as the family compilers read them."""

    shapes: Graph
    names: Graph
    """A graph holding the prefixes pySHACL names shapes-graph nodes with."""
    shape: Node
    use: ShapeUse
    is_property: bool
    shape_bnodes: set[BNode]
    """Blank nodes of the shapes graph the report may name; a compiler adds the ones it uses."""

    def __post_init__(self) -> None:
        self.present = frozenset(p for p, _ in self.shapes.predicate_objects(self.shape))

    def __contains__(self, parameter: Node) -> bool:
        return parameter in self.present

    def all(self, parameter: URIRef) -> list[Node]:
        return list(self.shapes.objects(self.shape, parameter))

    def one(self, parameter: URIRef) -> Node:
        values = self.all(parameter)
        if len(values) != 1:
            raise UnsupportedShapes(f"{self.name(parameter)} given {len(values)} times", self.shape)
        return values[0]

    def name(self, node: Node) -> str:
        return stringify(self.shapes, node, self.names)

    @property
    def path_name(self) -> str:
        return self.name(self.use.path) if self.use.path is not None else ""

    def refuse(self, construct: str) -> UnsupportedShapes:
        return UnsupportedShapes(construct, self.shape)


ConstraintCompiler = Callable[[ShapeParameters], Iterable[Component | Check]]
"""What a family module gives the shape compiler: a shape's parameters into components and checks."""

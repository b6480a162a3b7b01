"""Value type constraints, SHACL §4.1: ``sh:class``, ``sh:datatype``, ``sh:nodeKind`` (pySHACL's value_constraints).

``sh:datatype`` follows pySHACL's rules for ill-typed literals,
``rdf:langString`` and ``xsd:string``, tested in Python on the value nodes.
``sh:class`` needs the graph: it is one query per class, asking for the
values without an ``rdf:type/rdfs:subClassOf*`` to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from ..results import RawResult
from ..run import Run
from ..terms import TYPE_PATH, sparql_term
from .base import Check, Component, ShapeParameters, ShapeUse, each

_PYTHON_TYPES: dict[Node, type | tuple[type, ...]] = {
    XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float, XSD.decimal: Decimal,
    XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime,
}

_NODE_KINDS = {
    BNode: (SH.BlankNode, SH.BlankNodeOrLiteral, SH.BlankNodeOrIRI),
    Literal: (SH.Literal, SH.BlankNodeOrLiteral, SH.IRIOrLiteral),
    URIRef: (SH.IRI, SH.IRIOrLiteral, SH.BlankNodeOrIRI),
}


def datatype_matches(value: Node, datatype: Node) -> bool:
    """pySHACL's test of ``sh:datatype``."""
    if not isinstance(value, Literal):
        return False
    if value.datatype == datatype:
        return getattr(value, "ill_typed", None) is not True and _holds_python_type(value, datatype)
    if datatype == RDFS.Literal:
        return True
    if datatype == RDFS.Datatype and value.datatype:
        return True
    if value.datatype is None and value.language is None and datatype == XSD.string:
        return _holds_python_type(value, datatype)
    if datatype == RDF.langString and value.language:
        return _holds_python_type(value, datatype)
    return False


def _holds_python_type(value: Literal, datatype: Node) -> bool:
    # pySHACL checks rdflib's value for these datatypes only, and accepts any other.
    expected = _PYTHON_TYPES.get(datatype)
    return expected is None or isinstance(value.value, expected)


def _is_of_kind(kind: Node, value: Node) -> bool:
    term_type = BNode if isinstance(value, BNode) else Literal if isinstance(value, Literal) else URIRef
    return kind in _NODE_KINDS[term_type]


@dataclass(frozen=True)
class ClassCheck:
    """``sh:class``: the values that are not instances of one class, fetched by the store."""

    use: ShapeUse
    cls: URIRef
    generic: str

    def queries(self) -> tuple[str, ...]:
        return (self.use.values_query(f"FILTER NOT EXISTS {{ ?value {TYPE_PATH} {sparql_term(self.cls, None)} }}"),)

    def run(self, run: Run) -> Iterator[RawResult]:
        messages = self.use.messages or (Literal(self.generic),)
        for focus, value in run.pairs(self.queries()[0], self.use.predicate):
            yield self.use.result(focus, value, SH.ClassConstraintComponent, messages)


def compile_value_type(p: ShapeParameters) -> Iterator[Component | Check]:
    if SH.datatype in p:
        datatype = p.one(SH.datatype)
        yield Component(SH.DatatypeConstraintComponent, each(lambda v: datatype_matches(v, datatype)),
                        f"Value is not Literal with datatype {p.name(datatype)}")
    if SH.nodeKind in p:
        kind = p.one(SH.nodeKind)
        yield Component(SH.NodeKindConstraintComponent, each(lambda v: _is_of_kind(kind, v)),
                        f"Value is not of Node Kind {p.name(kind)}")
    classes = p.all(SH["class"])
    if classes:
        generic = (f"Value does not have class {p.name(classes[0])}" if len(classes) < 2
                   else f"Value class is not in classes ({', '.join(p.name(c) for c in classes)})")
        for cls in classes:
            if not isinstance(cls, URIRef):
                raise p.refuse("sh:class that is not an IRI")
            yield ClassCheck(p.use, cls, generic)

"""What the fast SHACL engine hands back: :class:`RawResult` per result, :class:`UnsupportedShapes` when it cannot.

What raises :class:`UnsupportedShapes`, so that the caller can validate with
pySHACL instead: ``sh:node``, ``sh:and``/``or``/``xone``/``not``, qualified
value shapes, ``sh:closed``, property pair constraints (``sh:equals``,
``sh:disjoint``, ``sh:lessThan``...), paths other than an IRI or
``sh:inversePath`` of one, nested property shapes, SPARQL ASK validators and
custom constraint components, advanced features (``sh:target``,
``sh:expression``, ``sh:rule``), implicit class targets, blank nodes as
target nodes, malformed constraints pySHACL refuses to load, SPARQL queries
pySHACL rejects (MINUS, VALUES, SERVICE, nested SELECT without ``$this``,
``AS ?this``), ``$shapesGraph``/``$currentShape``, GRAPH and FROM, and two
forms where rdflib's scoping departs from the standard's (see
:mod:`.scope`). At run time, an aggregate counting duplicates over a store
holding a triple in two named graphs (see :mod:`.run`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node


class UnsupportedShapes(ValueError):
    """The shapes use SHACL this engine does not compile; validate them with pySHACL."""

    def __init__(self, construct: str, shape: Node | None = None) -> None:
        self.construct = construct
        self.shape = shape
        where = ""
        if shape is not None:
            where = f" (shape {display(shape)})"
        super().__init__(f"unsupported by the fast SHACL engine: {construct}{where}")


@dataclass(frozen=True)
class RawResult:
    """One validation result, as the terms pySHACL writes into its report."""

    focus_node: Node
    result_path: Node | None
    value: Node | None
    source_shape: Node
    source_constraint: Node | None
    """The SPARQL constraint node, for SPARQL-based constraints."""
    constraint_component: URIRef
    severity: Node
    messages: tuple[Literal, ...]


def display(node: Node) -> str:
    """A node as error messages name it."""
    return f"<{node}>" if isinstance(node, URIRef) else "(anonymous)" if isinstance(node, BNode) else str(node)

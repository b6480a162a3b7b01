"""Terms between rdflib, SPARQL text and pyoxigraph, for the fast SHACL engine."""

from __future__ import annotations

import re
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from ....rdf.terms import TermConverter, from_oxigraph
from .results import UnsupportedShapes

TYPE_PATH = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
"""The path from an instance to each of its classes, as ``sh:class`` and ``sh:targetClass`` read it."""
_IRI_FORBIDDEN = re.compile(r'[<>"{}|^`\\\x00-\x20]')


def sparql_term(term: Node, shape: Node | None) -> str:
    """A constant of the shapes graph written in SPARQL; ``shape`` is named when it cannot be."""
    if isinstance(term, URIRef):
        if _IRI_FORBIDDEN.search(term):
            raise UnsupportedShapes(f"an IRI that cannot be written in SPARQL: {term!r}", shape)
        return f"<{term}>"
    if isinstance(term, Literal):
        text = str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        if term.language:
            return f'"{text}"@{term.language}'
        return f'"{text}"^^<{term.datatype or XSD.string}>'
    raise UnsupportedShapes(f"a blank node where a query needs a constant ({term})", shape)


class ToRdflib:
    """pyoxigraph terms → rdflib terms, each distinct term converted once."""

    def __init__(self) -> None:
        self._cache: dict[Any, Node] = {}

    def __call__(self, term: Any) -> Node:
        found = self._cache.get(term)
        if found is None:
            try:
                found = self._cache[term] = from_oxigraph(term)
            except TypeError:
                raise UnsupportedShapes(f"a data term rdflib cannot hold: {term!r}") from None
        return found


def to_oxigraph(term: Node) -> Any:
    return TermConverter()(term)


def sort_key(node: Node) -> tuple[str, str]:
    """A stable order of the shapes graph's nodes, so that compiling is deterministic."""
    return (type(node).__name__, str(node))

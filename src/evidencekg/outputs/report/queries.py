"""The report's own queries (``queries/report/*.rq``), run by the graph's engine, and the labels they give."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rdflib import Literal, URIRef
from rdflib.term import Node

from ...sparql.named import NamedQuery, internal_query
from ...sparql.results import display

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph


def report_query(name: str) -> NamedQuery:
    """One of the report's own queries, ``queries/report/<name>.rq``."""
    return internal_query("report", name)


def query_rows(kg: KnowledgeGraph, name: str) -> list[dict[str, Node]]:
    return kg.query(report_query(name)).records()


def value_text(row: Mapping[str, Node], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value)


def value_iri(row: Mapping[str, Node], key: str) -> URIRef | None:
    """A term the query gives (an IRI), or None."""
    value = row.get(key)
    return None if value is None else URIRef(str(value))


def is_true(value: Node | None) -> bool:
    return isinstance(value, Literal) and value.toPython() is True


class Labels:
    """The display label of every term: its preferred label, else its rdfs:label, else a short form of its IRI."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self._labels: dict[str, tuple[str, str]] = {}
        for row in query_rows(kg, "labels"):
            term = str(row["term"])
            preferred, plain = self._labels.get(term, ("", ""))
            self._labels[term] = (preferred or value_text(row, "prefLabel"), plain or value_text(row, "label"))

    def __call__(self, term: Node | None) -> str:
        if term is None:
            return ""
        preferred, plain = self._labels.get(str(term), ("", ""))
        return preferred or plain or display(term)

    def plain(self, term: Node) -> str:
        """The rdfs:label alone."""
        return self._labels.get(str(term), ("", ""))[1]

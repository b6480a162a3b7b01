"""SPARQL: named queries, their parsing, the SERVICE guard, bound values and result formats.

Every engine runs queries given as :class:`NamedQuery`; nothing here runs a
query itself.
"""

from __future__ import annotations

from .bindings import check_bindings, parse_binding, parse_bindings, with_values
from .guard import refuse_service, uses_service
from .named import NamedQuery, available_queries, derivation_queries, load_query, query_from_text, read_query
from .parsing import ParsedQuery, parse_query
from .results import FORMATS, QueryResult, display, render, table

__all__ = [
    "FORMATS", "NamedQuery", "ParsedQuery", "QueryResult", "available_queries", "check_bindings",
    "derivation_queries", "display", "load_query", "parse_binding", "parse_bindings", "parse_query",
    "query_from_text", "read_query", "refuse_service", "render", "table", "uses_service", "with_values",
]

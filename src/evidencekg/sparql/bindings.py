"""Values for a query's variables: read from ``name=value`` text, checked against the query, and bound.

Values are bound, never formatted into a query by hand: the reference engine
passes them to rdflib as initial bindings; the fast engine writes them as a
``VALUES`` block, each term written by oxigraph, at the start of the query's
outermost WHERE group, whose place comes from the parser (see
:mod:`evidencekg.sparql.parsing`).

>>> parse_binding("n=3")
('n', rdflib.term.Literal('3', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#integer')))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rdflib import Literal, URIRef
from rdflib.term import Node, Variable

from ..errors import QueryError
from ..namespaces import PREFIXES
from ..rdf.terms import TermConverter
from .named import NamedQuery
from .parsing import insert_after_where_brace, walk


def check_bindings(query: NamedQuery, bindings: Mapping[str, Node]) -> None:
    """Refuse bindings an engine would silently ignore: unknown variables, and variables the query computes."""
    if not bindings:
        return
    if query.parsed.form != "SELECT":
        raise QueryError(f"{query.path}: only SELECT queries take bindings")
    mentioned = query.parsed.variables()
    computed = query.parsed.computed_variables()
    for name in bindings:
        if name not in mentioned:
            inner = name in {str(v) for v in walk(query.prepared.algebra) if isinstance(v, Variable)}
            if inner:
                raise QueryError(f"{query.path}: ?{name} is used only inside a sub-query, which a binding does not "
                                 "reach; bind a variable of the outer query")
            raise QueryError(f"{query.path}: the query has no variable ?{name} to bind")
        if name in computed:
            raise QueryError(f"{query.path}: ?{name} is computed by the query (AS ?{name}) and cannot be bound")


def with_values(query: NamedQuery, bindings: Mapping[str, Node]) -> str:
    """The query's text with ``VALUES`` binding each variable at the start of its outermost WHERE group.

    A VALUES block there binds any variable of that group, projected or not, where the store's own
    substitution binds only projected ones.
    """
    check_bindings(query, bindings)
    if not bindings:
        return query.parsed.text
    to_oxigraph = TermConverter()
    values = " ".join(f"VALUES ?{name} {{ {to_oxigraph(value)} }}" for name, value in sorted(bindings.items()))
    return insert_after_where_brace(query.parsed, values)


def parse_bindings(texts: Iterable[str]) -> dict[str, Node]:
    """``name=value`` texts → bindings; a variable given twice is refused, not silently given its last value."""
    bindings: dict[str, Node] = {}
    for text in texts:
        name, value = parse_binding(text)
        if name in bindings:
            raise QueryError(f"binding {text!r}: ?{name} is already bound to {bindings[name].n3()}")
        bindings[name] = value
    return bindings


def parse_binding(text: str) -> tuple[str, Node]:
    """``name=value`` → (name, term): ``<iri>`` or a known ``prefix:name`` is an IRI, a number a number, else text."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise QueryError(f"binding {text!r} is not of the form name=value")
    name = name.lstrip("?$")
    term: Node
    if value.startswith("<") and value.endswith(">"):
        iri = value[1:-1]
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", iri):
            raise QueryError(f"binding {text!r}: {iri!r} is not an IRI")
        term = URIRef(iri)
    elif re.match(r"^[A-Za-z][\w-]*:[\w.-]*$", value) and not value.startswith(("http:", "https:", "urn:")):
        prefix, local = value.split(":", 1)
        if prefix not in PREFIXES:
            raise QueryError(f"binding {text!r}: unknown prefix {prefix!r}; "
                             f"use <full IRI> or one of {', '.join(PREFIXES)}")
        term = URIRef(PREFIXES[prefix] + local)
    elif value in ("true", "false"):
        term = Literal(value == "true")
    else:
        term = _number_or_text(value)
    return name, term


def _number_or_text(value: str) -> Literal:
    if re.fullmatch(r"[-+]?\d+", value):
        return Literal(int(value))
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?", value):
        return Literal(float(value))
    return Literal(value)



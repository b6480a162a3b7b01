"""Literals as written, for the ones a pyoxigraph store gives back in another form.

The store keeps literals of the XSD types it knows by value: ``"007"`` of
type ``xsd:nonNegativeInteger`` comes back as ``"7"^^xsd:integer``, ``"0.50"``
as ``"0.5"``. pySHACL sees the literal as written, and results depend on it
(``sh:datatype xsd:nonNegativeInteger`` fails on every ``xsd:integer``). A
:class:`LiteralOrigins`, built from the triples as written (the asserted
triples of the records), restores them: exactly for a value of a
(subject, predicate) it holds, otherwise when the stored form has one
original. SPARQL-based constraints still compute on the stored forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import Literal
from rdflib.namespace import XSD
from rdflib.term import Node

from .terms import ToRdflib, to_oxigraph

# The datatypes the store keeps by value (oxigraph's numeric_encoder), so that their lexical form, and for the
# integer subtypes their datatype, can change; xsd:string because a typed and a plain string become one term.
_STORED_BY_VALUE = frozenset(XSD[name] for name in (
    "boolean", "float", "double", "decimal", "integer", "byte", "short", "int", "long", "unsignedByte",
    "unsignedShort", "unsignedInt", "unsignedLong", "positiveInteger", "negativeInteger", "nonPositiveInteger",
    "nonNegativeInteger", "dateTime", "dateTimeStamp", "time", "date", "gYearMonth", "gYear", "gMonthDay", "gDay",
    "gMonth", "duration", "yearMonthDuration", "dayTimeDuration", "string",
))


class LiteralOrigins:
    """Literals as written, for the ones a pyoxigraph store keeps in another form (see the module notes).

    Built from the triples as written (for a built graph, its asserted triples).
    """

    _AMBIGUOUS = object()

    def __init__(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        written = [(s, p, o) for s, p, o in triples
                   if isinstance(o, Literal) and (o.language or o.datatype in _STORED_BY_VALUE)]
        stored = _stored_forms({o for _, _, o in written})
        by_statement: dict[Any, Any] = {}
        by_form: dict[Any, Any] = {}

        def note(table: dict[Any, Any], key: Any, written_as: Literal) -> None:
            previous = table.get(key)
            table[key] = written_as if previous is None or previous == written_as else self._AMBIGUOUS

        # Unchanged literals count too: a stored form written in two ways cannot be given back.
        for s, p, o in written:
            form = stored[o]
            note(by_statement, (s, p, form), o)
            note(by_form, form, o)
        self._by_statement: dict[tuple[Node, Node, Literal], Literal] = {
            key: o for key, o in by_statement.items() if o is not self._AMBIGUOUS and o != key[2]}
        self._by_form: dict[Literal, Literal] = {
            form: o for form, o in by_form.items() if o is not self._AMBIGUOUS and o != form}

    def __len__(self) -> int:
        return len(self._by_statement)

    def restore(self, literal: Literal, subject: Node | None = None, predicate: Node | None = None) -> Literal:
        """The literal as written, for a stored literal (object of ``subject predicate`` when known)."""
        if subject is not None and predicate is not None:
            found = self._by_statement.get((subject, predicate, literal))
            if found is not None:
                return found
        return self._by_form.get(literal, literal)


def _stored_forms(literals: set[Literal]) -> dict[Literal, Literal]:
    """Each literal as the store gives it back, found by storing it."""
    import pyoxigraph

    if not literals:
        return {}
    ordered = list(literals)
    store = pyoxigraph.Store()
    predicate = pyoxigraph.NamedNode("urn:evidencekg:literal")
    store.bulk_extend(pyoxigraph.Quad(pyoxigraph.NamedNode(f"urn:evidencekg:literal:{i}"), predicate, to_oxigraph(lit))
                      for i, lit in enumerate(ordered))
    to_rdflib = ToRdflib()
    prefix = len("urn:evidencekg:literal:")
    stored: dict[Literal, Literal] = {}
    for quad in store.quads_for_pattern(None, predicate, None):
        form = to_rdflib(quad.object)
        assert isinstance(form, Literal) and isinstance(quad.subject, pyoxigraph.NamedNode)
        stored[ordered[int(quad.subject.value[prefix:])]] = form
    return stored

r"""SPARQL text, parsed once: the algebra every check reads, and the text every engine runs.

Two SPARQL implementations read a query here: rdflib parses it (for the checks:
SERVICE, bindings, the scope of ``$this``) and, with the fast engine,
oxigraph executes it. They must read the same query. The SPARQL grammar is
defined over the text after its ``\uXXXX`` and ``\UXXXXXXXX`` escapes are
expanded (SPARQL 1.1 §19.2), and rdflib expands them everywhere, comments
included, while oxigraph expands them only inside strings and IRIs, so an
escape in a comment can make the two see different queries. The text is
therefore expanded once, by rdflib's own function, and that expanded text is
both what rdflib parses and what an engine runs; a query whose expansion
leaves another escape behind is refused, since one more expansion would
change it again.

Where text must be added to a query (a ``VALUES`` block for bound
parameters, the focus nodes of a SHACL shape), the places come from rdflib's
grammar, located by pyparsing, never from scanning the text by hand.

>>> parsed = parse_query("SELECT ?s # not { here\nWHERE { ?s ?p ?o }")
>>> parsed.form, parsed.text[parsed.where_brace:]
('SELECT', '{ ?s ?p ?o }')
>>> insert_after_where_brace(parsed, "VALUES ?s { <urn:x> }")
'SELECT ?s # not { here\nWHERE { VALUES ?s { <urn:x> }  ?s ?p ?o }'
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Variable

from ..errors import QueryError
from ..namespaces import PREFIXES

_FORMS = {"SelectQuery": "SELECT", "ConstructQuery": "CONSTRUCT", "AskQuery": "ASK", "DescribeQuery": "DESCRIBE"}


@dataclass(frozen=True)
class ParsedQuery:
    """A query's expanded text, its rdflib algebra, and where its parts are in that text."""

    text: str
    """The query with its codepoint escapes expanded: what every engine is given."""
    prepared: Query = field(repr=False)
    form: str
    """SELECT, CONSTRUCT, ASK or DESCRIBE."""
    where_brace: int | None = None
    """For a SELECT query, where the ``{`` of its outermost WHERE group is."""
    projection_end: int | None = None
    """For a SELECT query, where the first token after its projection starts."""
    projects_all: bool = False
    """Whether a SELECT query's projection is ``*``."""

    def variables(self) -> frozenset[str]:
        """The variables of the query's own scope: those of its patterns and expressions, and what its
        sub-queries project (a variable used only inside a sub-query is not one of them; rdflib's internal
        ones are left out)."""
        return frozenset(str(v) for v in walk(self.prepared.algebra, into_subqueries=False)
                         if isinstance(v, Variable) and not str(v).startswith("__"))

    def computed_variables(self) -> frozenset[str]:
        """Variables the query's own groups give a value, with ``AS`` (BIND or a select expression).

        A sub-query's are not: what it projects is joined like a pattern's variables, so a binding
        of one filters its rows (rdflib even writes a sub-query's GROUP BY variables as ``AS``).
        """
        return frozenset(str(node.var) for node in walk(self.prepared.algebra, into_subqueries=False)
                         if _name(node) == "Extend" and not str(node.var).startswith("__"))



def _name(node: Any) -> str | None:
    return getattr(node, "name", None) if hasattr(node, "items") else None


def walk(node: Any, *, into_subqueries: bool = True) -> Iterator[Any]:
    """Every node and value of an rdflib algebra tree, depth first (EXISTS patterns included).

    With ``into_subqueries=False``, a sub-query gives only the variables it projects: the first
    projection met from the top is the query's own, every later one a sub-query's.
    """
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    outer_projection_seen = False
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, CompValue):
            if current.name == "Project" and not into_subqueries:
                if outer_projection_seen:
                    yield from current.PV or ()
                    continue
                outer_projection_seen = True
            if current.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                # rdflib keeps the translated pattern of an EXISTS as an attribute, not as an item.
                stack.append(current.graph)
            stack.extend(value for key, value in current.items() if key != "_vars")
        elif isinstance(current, (list, tuple)):
            stack.extend(current)


def _syntax_error(where: str, exc: Exception) -> str:
    """Where the text stops being SPARQL, in the query's own terms, never the parser's grammar rule names."""
    from pyparsing import ParseBaseException

    if not isinstance(exc, ParseBaseException):
        return f"{where}: SPARQL syntax error: {' '.join(str(exc).split())[:300]}"
    found = getattr(exc, "found", "")
    detail = "the query ends too early" if found in ("", "end of text") else f"unexpected {found}"
    return f"{where}:{exc.lineno}:{exc.col}: SPARQL syntax error: {detail}, in {exc.line.strip()[:120]!r}"


def parse_query(text: str, *, where: str = "query", prefixes: Mapping[str, str] | None = None) -> ParsedQuery:
    """Expand, parse and translate a query; :class:`~evidencekg.errors.QueryError` names ``where`` on failure."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes, expandUnicodeEscapes_re

    try:
        expanded = expandUnicodeEscapes(text)
    except ValueError as exc:
        raise QueryError(f"{where}: {exc}") from None
    if expandUnicodeEscapes_re.search(expanded):
        raise QueryError(f"{where}: a \\u or \\U escape that expands into another escape; write the character itself")
    namespaces = dict(PREFIXES if prefixes is None else prefixes)
    grammar, marks = _located_grammar()
    try:
        with _PARSING:
            marks.clear()
            tree = grammar.parse_string(expanded, parse_all=True)
            found = dict(marks)
        prepared = translateQuery(tree, None, namespaces)
    except Exception as exc:  # pyparsing's ParseException and rdflib's errors of translation
        raise QueryError(_syntax_error(where, exc)) from None
    prepared._original_args = (expanded, namespaces, None)  # as rdflib's prepareQuery leaves it
    form = _FORMS.get(prepared.algebra.name, prepared.algebra.name)
    if form != "SELECT":
        return ParsedQuery(expanded, prepared, form)
    # The parse tree is [prologue, query]; a projection of * leaves the query without a "projection" part.
    star = "projection" not in tree[-1]
    return ParsedQuery(expanded, prepared, form, found["where"], found["projection"], star)


_PARSING = threading.Lock()


@cache
def _located_grammar() -> tuple[Any, dict[str, int]]:
    """rdflib's SPARQL query grammar, with the places of a SELECT query's parts noted as it parses.

    The markers match nothing and add no token, so the parse tree is the one rdflib's own
    grammar gives and rdflib translates it as usual; each notes where the next token starts.
    """
    import pyparsing as pp
    from rdflib.plugins.sparql import parser as sparql
    from rdflib.plugins.sparql.parserutils import Comp, Param, ParamList

    marks: dict[str, int] = {}

    def mark(key: str) -> Any:
        def note(_text: str, at: int, _tokens: Any) -> None:
            marks[key] = at

        return pp.Empty().add_parse_action(note)

    select_query = Comp(
        "SelectQuery",
        sparql.SelectClause + mark("projection")
        + pp.ZeroOrMore(ParamList("datasetClause", sparql.DatasetClause))
        + pp.Optional(pp.CaselessKeyword("WHERE")) + mark("where") + Param("where", sparql.GroupGraphPattern)
        + sparql.SolutionModifier + sparql.ValuesClause,
    )
    query = sparql.Prologue + (select_query | sparql.ConstructQuery | sparql.DescribeQuery | sparql.AskQuery)
    # rdflib's own comment rule, the same object: a new one would be added to every element of rdflib's
    # grammar, which all parses in the process would then try twice.
    query.ignore(sparql.QueryUnit.ignoreExprs[0])
    # pyparsing expands tabs before parsing unless told not to; the places noted must be places in the
    # text as given, and a tab inside a string literal must stay a tab.
    query.parse_with_tabs()
    return query, marks


def insert_after_where_brace(parsed: ParsedQuery, addition: str) -> str:
    """The query text with ``addition`` at the start of its outermost WHERE group."""
    if parsed.where_brace is None:
        raise QueryError("only a SELECT query's WHERE group can take additions")
    opening = parsed.where_brace + 1
    return f"{parsed.text[:opening]} {addition} {parsed.text[opening:]}"

"""SPARQL text, parsed once: the algebra every check reads, and the text every engine runs.

Two SPARQL implementations read a query here: rdflib parses it (for the checks:
SERVICE, bindings, the scope of ``$this``) and, with the fast engine,
oxigraph executes it. They must read the same query. The SPARQL grammar is
defined over the text after its ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes are
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

>>> parsed = parse_query("SELECT ?s WHERE { ?s ?p ?o }")
>>> parsed.form, parsed.text[parsed.where_group[0]:parsed.where_group[1]]
('SELECT', '{ ?s ?p ?o }')
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
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
    where_group: tuple[int, int] | None = None
    """For a SELECT query, the span of its outermost WHERE group, braces included."""
    select_clause: tuple[int, int] | None = None
    """For a SELECT query, the span of ``SELECT … projection``."""

    def variables(self) -> frozenset[str]:
        """Every variable the query mentions (rdflib's internal ones left out)."""
        return frozenset(str(v) for v in walk(self.prepared.algebra)
                         if isinstance(v, Variable) and not str(v).startswith("__"))

    def computed_variables(self) -> frozenset[str]:
        """Variables the query gives a value itself, with ``AS`` (BIND or a select expression)."""
        return frozenset(str(node.var) for node in walk(self.prepared.algebra)
                         if _name(node) == "Extend" and not str(node.var).startswith("__"))

    def projected_variables(self) -> tuple[str, ...]:
        return tuple(str(v) for v in getattr(self.prepared.algebra, "PV", None) or ())


def _name(node: Any) -> str | None:
    return getattr(node, "name", None) if hasattr(node, "items") else None


def walk(node: Any) -> Iterator[Any]:
    """Every node and value of an rdflib algebra tree, depth first (EXISTS patterns included)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, CompValue):
            if current.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
                # rdflib keeps the translated pattern of an EXISTS as an attribute, not as an item.
                stack.append(current.graph)
            stack.extend(value for key, value in current.items() if key != "_vars")
        elif isinstance(current, (list, tuple)):
            stack.extend(current)


def parse_query(text: str, *, where: str = "query", prefixes: Mapping[str, str] | None = None) -> ParsedQuery:
    """Expand, parse and translate a query; :class:`~evidencekg.errors.QueryError` names ``where`` on failure."""
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes, expandUnicodeEscapes_re

    try:
        expanded = expandUnicodeEscapes(text)
    except ValueError as exc:
        raise QueryError(f"{where}: {exc}") from None
    if expandUnicodeEscapes_re.search(expanded):
        raise QueryError(f"{where}: a \\u or \\U escape that expands into another escape; write the character itself")
    try:
        prepared = prepareQuery(expanded, initNs=dict(PREFIXES if prefixes is None else prefixes))
    except Exception as exc:  # pyparsing's ParseException and rdflib's errors of translation
        raise QueryError(f"{where}: SPARQL syntax error: {' '.join(str(exc).split())[:300]}") from None
    form = _FORMS.get(prepared.algebra.name, prepared.algebra.name)
    where_group = select_clause = None
    if form == "SELECT":
        select_clause, where_group = _select_spans(expanded)
    return ParsedQuery(expanded, prepared, form, where_group, select_clause)


def _select_spans(text: str) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """Where the select clause and the outermost WHERE group of a SELECT query are, by rdflib's grammar."""
    import pyparsing as pp
    from rdflib.plugins.sparql import parser as grammar

    found: dict[str, tuple[int, int]] = {}

    def located(element: Any, key: str) -> Any:
        def remember(_text: str, _at: int, tokens: Any) -> None:
            found.setdefault(key, (tokens[0], tokens[-1]))

        return pp.Located(element).add_parse_action(remember)

    select_query = (grammar.Prologue + located(grammar.SelectClause, "select")
                    + pp.ZeroOrMore(grammar.DatasetClause) + pp.Optional(pp.CaselessKeyword("WHERE"))
                    + located(grammar.GroupGraphPattern, "where") + grammar.SolutionModifier + grammar.ValuesClause)
    try:
        select_query.parse_string(text, parse_all=True)
    except pp.ParseBaseException:  # rdflib parsed it, so this only happens for grammar rdflib extends
        return None, None
    return found.get("select"), found.get("where")


def insert_after_where_brace(parsed: ParsedQuery, addition: str) -> str:
    """The query text with ``addition`` at the start of its outermost WHERE group."""
    if parsed.where_group is None:
        raise QueryError("only a SELECT query's WHERE group can take additions")
    opening = parsed.where_group[0] + 1
    return f"{parsed.text[:opening]} {addition} {parsed.text[opening:]}"

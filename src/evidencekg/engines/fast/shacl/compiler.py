"""SHACL validation of a pyoxigraph store, with each constraint run once over the whole graph.

pySHACL evaluates a SPARQL-based constraint once per focus node, on an rdflib
graph; that is most of the time of validation. Here a shapes graph is
compiled (:func:`compile_shapes`, pure, so callers can cache the result) into
a few queries per shape, and :meth:`CompiledShapes.run` evaluates them on a
store whose named graphs hold the data (queried with the default graph as
their union), giving the results pySHACL gives, as :class:`RawResult` of
rdflib terms. :func:`report_graph` writes them as the W3C report pySHACL
writes.

How each part is evaluated:

* Focus nodes: one sub-select, ``{ SELECT DISTINCT ?this WHERE { ... } }``,
  the union of the shape's targets (``sh:targetClass`` through
  ``rdf:type/rdfs:subClassOf*``, ``sh:targetNode``, ``sh:targetSubjectsOf``,
  ``sh:targetObjectsOf``). A property shape listed by ``sh:property`` gets the
  focus nodes of its node shape, as pySHACL does (once per listing).
* Core constraints of a shape: one query fetches every (focus node, value
  node) pair, and Python applies pySHACL's own tests to them (its datatype
  rules for ill-typed literals, rdf:langString and xsd:string, Python regular
  expressions for ``sh:pattern``, its ``sh:languageIn`` matching, its literal
  comparison for the range constraints, its messages when a shape has none),
  so they agree by construction. ``sh:class`` needs the graph: one query per
  class.
* SPARQL-based constraints: the query is evaluated once for all focus nodes,
  with the focus sub-select injected at the start of its outermost WHERE
  group. pySHACL pre-binds ``$this`` in the whole query; standard SPARQL
  evaluates nested groups bottom-up, so the injection equals the pre-binding
  only where ``$this`` is bound in every scope that uses it. The rule,
  checked on the query's algebra by :class:`_ScopeAnalysis`: a FILTER, BIND
  or OPTIONAL condition that mentions ``$this`` (directly or in an EXISTS)
  must be evaluated over a pattern that certainly binds ``$this`` (inside an
  EXISTS the outer solution counts, as EXISTS substitutes it); a sub-select
  that mentions ``$this`` must project it, certainly bind it, group by it if
  it aggregates, and have no LIMIT/OFFSET; the outer query likewise. A query
  that breaks the rule is run once per focus node with ``substitutions=``
  (SEP-0007 pre-binding, exact but slow); :meth:`CompiledShapes.per_focus_constraints`
  lists them. Rows are then grouped by focus node and turned into results as
  pySHACL does: duplicates dropped, ``?path``/``?value``/``?failure`` read,
  ``{?var}`` and ``{$var}`` filled into the messages.

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
forms where rdflib's scoping departs from the standard's: a sub-select using
a variable bound outside it without projecting it (rdflib pushes the outer
binding in), and an expression below the top FILTER of an EXISTS reading a
variable of the enclosing solution (rdflib hides it there).

Where the store differs from an rdflib graph:

* The union default graph is a bag: a triple in two named graphs matches
  twice. Generated queries use DISTINCT and pySHACL drops duplicate rows, so
  only an aggregate counting duplicates (COUNT, SUM, AVG, GROUP_CONCAT without
  DISTINCT, over anything but a SELECT DISTINCT) can differ; when a compiled
  query has one, :meth:`CompiledShapes.run` checks once that no triple is in
  two graphs, and raises :class:`UnsupportedShapes` if one is.
* The store keeps literals of the XSD types it knows by value: ``"007"`` of
  type ``xsd:nonNegativeInteger`` comes back as ``"7"^^xsd:integer``, ``"0.50"``
  as ``"0.5"``. pySHACL sees the literal as written, and results depend on it
  (``sh:datatype xsd:nonNegativeInteger`` fails on every ``xsd:integer``). A
  :class:`LiteralOrigins`, built from the triples as written (the asserted
  triples of the records), restores them: exactly for a value of a
  (subject, predicate) it holds, otherwise when the stored form has one
  original. SPARQL-based constraints still compute on the stored forms.
* SPARQL-based constraints run on oxigraph's SPARQL, which follows the
  standard where rdflib does not: rdflib orders a string against a number,
  for one, where SPARQL makes the comparison an error. On data that meets such
  a departure (a p-value written as a string, say) a constraint can report
  differently; the datatype constraints report that data under both.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node, Variable

from ....rdf.terms import TermConverter, from_oxigraph

if TYPE_CHECKING:
    import pyoxigraph

__all__ = ["CompiledShapes", "LiteralOrigins", "RawResult", "UnsupportedShapes", "compile_shapes", "report_graph"]


class UnsupportedShapes(ValueError):
    """The shapes use SHACL this engine does not compile; validate them with pySHACL."""

    def __init__(self, construct: str, shape: Node | None = None) -> None:
        self.construct = construct
        self.shape = shape
        where = ""
        if shape is not None:
            where = f" (shape {_display(shape)})"
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


def _display(node: Node) -> str:
    return f"<{node}>" if isinstance(node, URIRef) else "(anonymous)" if isinstance(node, BNode) else str(node)


# ---------------------------------------------------------------------------------------------------------------
# Terms between rdflib, SPARQL text and pyoxigraph
# ---------------------------------------------------------------------------------------------------------------

_TYPE_PATH = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
_IRI_FORBIDDEN = re.compile(r'[<>"{}|^`\\\x00-\x20]')

# The datatypes the store keeps by value (oxigraph's numeric_encoder), so that their lexical form, and for the
# integer subtypes their datatype, can change; xsd:string because a typed and a plain string become one term.
_STORED_BY_VALUE = frozenset(XSD[name] for name in (
    "boolean", "float", "double", "decimal", "integer", "byte", "short", "int", "long", "unsignedByte",
    "unsignedShort", "unsignedInt", "unsignedLong", "positiveInteger", "negativeInteger", "nonPositiveInteger",
    "nonNegativeInteger", "dateTime", "dateTimeStamp", "time", "date", "gYearMonth", "gYear", "gMonthDay", "gDay",
    "gMonth", "duration", "yearMonthDuration", "dayTimeDuration", "string",
))


def _sparql_term(term: Node, shape: Node | None) -> str:
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


class _ToRdflib:
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


def _to_oxigraph(term: Node) -> Any:
    return TermConverter()(term)


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
    store.bulk_extend(pyoxigraph.Quad(pyoxigraph.NamedNode(f"urn:evidencekg:literal:{i}"), predicate, _to_oxigraph(lit))
                      for i, lit in enumerate(ordered))
    to_rdflib = _ToRdflib()
    prefix = len("urn:evidencekg:literal:")
    stored: dict[Literal, Literal] = {}
    for quad in store.quads_for_pattern(None, predicate, None):
        form = to_rdflib(quad.object)
        assert isinstance(form, Literal) and isinstance(quad.subject, pyoxigraph.NamedNode)
        stored[ordered[int(quad.subject.value[prefix:])]] = form
    return stored


# ---------------------------------------------------------------------------------------------------------------
# pySHACL's tests of value nodes (pyshacl/constraints/core/*.py), applied to rdflib terms
# ---------------------------------------------------------------------------------------------------------------


def _stringify(graph: Graph, node: Node, names: Graph | None = None) -> str:
    from pyshacl.rdfutil.stringify import stringify_node

    return stringify_node(graph, node, ns_manager=(names or graph).namespace_manager)


def _stringify_data(run: _Run, node: Node) -> str:
    # pySHACL names focus and value nodes with its data graph's prefixes: those of a new rdflib graph.
    try:
        return _stringify(run.describe(node) if isinstance(node, BNode) else run.data_names, node)
    except (LookupError, ValueError):
        return str(node)


def _datatype_matches(value: Node, datatype: Node) -> bool:
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


_PYTHON_TYPES: dict[Node, type | tuple[type, ...]] = {
    XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float, XSD.decimal: Decimal,
    XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime,
}


def _holds_python_type(value: Literal, datatype: Node) -> bool:
    # pySHACL checks rdflib's value for these datatypes only, and accepts any other.
    expected = _PYTHON_TYPES.get(datatype)
    return expected is None or isinstance(value.value, expected)


def _as_string(value: Node) -> str:
    if isinstance(value, Literal) and value.value is not None and value.datatype in (None, RDF.langString, XSD.string):
        return str(value.value)
    return str(value)


def _in_range(value: Node, bound: Literal, accept: Any) -> bool:
    from pyshacl.rdfutil.compare import compare_literal

    if not isinstance(value, Literal):
        return False
    bound_is_string = isinstance(bound.value, str)
    if bound_is_string != isinstance(value.value, str):
        return False
    try:
        return bool(accept(compare_literal(value, bound)))  # type: ignore[no-untyped-call]
    except (TypeError, NotImplementedError):
        return False


# Placeholders in generic messages for the parts pySHACL takes from the data; NUL appears in no RDF name.
_FOCUS = "\x00focus\x00"
_VALUE = "\x00value\x00"

_NODE_KINDS = {
    BNode: (SH.BlankNode, SH.BlankNodeOrLiteral, SH.BlankNodeOrIRI),
    Literal: (SH.Literal, SH.BlankNodeOrLiteral, SH.IRIOrLiteral),
    URIRef: (SH.IRI, SH.IRIOrLiteral, SH.BlankNodeOrIRI),
}


@dataclass(frozen=True)
class _Component:
    """A core constraint component evaluated in Python on the value nodes of each focus node."""

    component: URIRef
    kind: str
    """What to test: one of the ``_test_*`` names below."""
    argument: Any
    generic: str
    """pySHACL's message when the shape has none, with ``_FOCUS`` and ``_VALUE`` where the nodes go."""

    def message(self, run: _Run, focus: Node, value: Node | None) -> str:
        text = self.generic
        if _FOCUS in text:
            text = text.replace(_FOCUS, _stringify_data(run, focus))
        if _VALUE in text:
            text = text.replace(_VALUE, _stringify_data(run, value) if value is not None else "None")
        return text

    def failures(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        """(value,) for each failing value node, or (None,) per result without a value."""
        yield from getattr(self, f"_test_{self.kind}")(values)

    def _test_min_count(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        if len(values) < self.argument:
            yield (None,)

    def _test_max_count(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        if len(values) > self.argument:
            yield (None,)

    def _each(self, values: set[Node], ok: Any) -> Iterator[tuple[Node | None, ...]]:
        for value in values:
            if not ok(value):
                yield (value,)

    def _test_datatype(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        return self._each(values, lambda v: _datatype_matches(v, self.argument))

    def _test_node_kind(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        def ok(value: Node) -> bool:
            kind = BNode if isinstance(value, BNode) else Literal if isinstance(value, Literal) else URIRef
            return self.argument in _NODE_KINDS[kind]

        return self._each(values, ok)

    def _test_in(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        return self._each(values, lambda v: v in self.argument)

    def _test_has_value(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        if not any(v == self.argument for v in values):
            yield (None,)

    def _test_pattern(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        matcher = re.compile(*self.argument)

        def ok(value: Node) -> bool:
            if isinstance(value, BNode):
                return False
            text = _as_string(value)
            return bool(matcher.match(text) or matcher.search(text))

        return self._each(values, ok)

    def _test_min_length(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        return self._each(values, lambda v: self.argument == 0 or (not isinstance(v, BNode)
                                                                   and len(_as_string(v)) >= self.argument))

    def _test_max_length(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        return self._each(values, lambda v: not isinstance(v, BNode) and len(_as_string(v)) <= self.argument)

    def _test_range(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        bound, accept = self.argument
        return self._each(values, lambda v: _in_range(v, bound, accept))

    def _test_language_in(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        wanted: frozenset[str] = self.argument

        def ok(value: Node) -> bool:
            language = value.language if isinstance(value, Literal) else None
            if not language:
                return False
            return "*" in wanted or language.lower() in wanted or language.split("-")[0].lower() in wanted

        return self._each(values, ok)

    def _test_unique_lang(self, values: set[Node]) -> Iterator[tuple[Node | None, ...]]:
        seen: set[str] = set()
        duplicates: set[str] = set()
        for value in values:
            if isinstance(value, Literal) and value.language:
                language = value.language.lower()
                (duplicates if language in seen else seen).add(language)
        for _ in duplicates:
            yield (None,)


# ---------------------------------------------------------------------------------------------------------------
# Compiled checks
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ShapeUse:
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


@dataclass(frozen=True)
class _CoreChecks:
    """The core constraints of one shape use, tested in Python on one fetch of its value nodes."""

    use: _ShapeUse
    components: tuple[_Component, ...]

    def queries(self) -> tuple[str, ...]:
        return (self.use.values_query(),)

    def run(self, run: _Run) -> Iterator[RawResult]:
        values_of: dict[Node, set[Node]] = defaultdict(set)
        for focus, value in run.pairs(self.use.values_query(), self.use.predicate):
            found = values_of[focus]
            if value is not None:
                found.add(value)
        for focus, values in values_of.items():
            for component in self.components:
                for (value,) in component.failures(values):
                    messages = self.use.messages or (Literal(component.message(run, focus, value)),)
                    yield self.use.result(focus, value, component.component, messages)


@dataclass(frozen=True)
class _ClassCheck:
    use: _ShapeUse
    cls: URIRef
    generic: str

    def queries(self) -> tuple[str, ...]:
        return (self.use.values_query(f"FILTER NOT EXISTS {{ ?value {_TYPE_PATH} {_sparql_term(self.cls, None)} }}"),)

    def run(self, run: _Run) -> Iterator[RawResult]:
        messages = self.use.messages or (Literal(self.generic),)
        for focus, value in run.pairs(self.queries()[0], self.use.predicate):
            yield self.use.result(focus, value, SH.ClassConstraintComponent, messages)


@dataclass(frozen=True)
class _SparqlConstraint:
    use: _ShapeUse
    node: Node
    query: str
    whole_graph: bool
    """Run once with the focus nodes injected; otherwise once per focus node with ``$this`` substituted."""
    projects_this: bool
    """Whether pySHACL sees ``$this`` in a row (its query projects it)."""
    counts_duplicates: bool
    messages: tuple[Literal, ...] | None
    """The constraint's ``sh:message`` values; None when it has none."""
    is_property_shape: bool

    def queries(self) -> tuple[str, ...]:
        return (self.query,)

    def run(self, run: _Run) -> Iterator[RawResult]:
        import pyoxigraph

        if self.counts_duplicates:
            run.require_disjoint_graphs(self.node)
        rows_of: dict[Node, list[dict[str, Any]]] = defaultdict(list)
        if self.whole_graph:
            for row in run.rows(self.query):
                focus = row.get("this")
                if focus is not None:
                    rows_of[run.focus(run.term(focus))].append(row)
        else:
            this = pyoxigraph.Variable("this")
            for (focus,) in run.rows_as_terms(f"SELECT DISTINCT ?this WHERE {{ {self.use.focus} }}", ("this",)):
                assert focus is not None
                rows_of[run.focus(focus)] = list(run.rows(self.query, {this: _to_oxigraph(focus)}))
        for focus, rows in rows_of.items():
            yield from self._results(run, focus, rows)

    def _results(self, run: _Run, focus: Node, rows: list[dict[str, Any]]) -> Iterator[RawResult]:
        # pyshacl/constraints/sparql/sparql_based_constraints.py, _validate_sparql_query and what follows.
        violations: list[tuple[Any, ...]] = []
        failed = False
        for row in rows:
            bound = {name: run.term(term) for name, term in row.items() if term is not None}
            if not self.projects_this:
                bound.pop("this", None)
            bound = _as_written(run, bound, bound.get("this", focus), bound.get("path"))
            if bound.pop("failure", None) is not None:
                if not failed:
                    violations.append((bound,))
                    failed = True
                continue
            path, value, this = bound.pop("path", None), bound.pop("value", None), bound.pop("this", None)
            found = (this, path, value, bound)
            if (path is not None or value is not None or this is not None) and found not in violations:
                violations.append(found)
        default_value = None if self.is_property_shape else focus
        for violation in violations:
            if len(violation) == 1:
                yield self._result(focus, default_value, None, violation[0])
                continue
            this, path, value, bound = violation
            value = default_value if value is None else value
            named = (("this", this), ("path", path), ("value", value))
            variables = {**bound, **{name: term for name, term in named if term is not None}}
            yield self._result(this or focus, value, path, variables)

    def _result(self, focus: Node, value: Node | None, path: Node | None, variables: dict[str, Node]) -> RawResult:
        def filled(message: Literal) -> Literal:
            text = str(message.value)
            for name, term in variables.items():
                text = re.sub("{[?$]" + name + "}", str(term), text)
            return Literal(text)

        own = list(self.use.messages)
        messages = [filled(m) for m in (self.messages or ()) if m not in own] + [filled(m) for m in own]
        return self.use.result(focus, value, SH.SPARQLConstraintComponent, messages, path=path,
                               source_constraint=self.node)


def _as_written(run: _Run, bound: dict[str, Node], subject: Node, predicate: Node | None) -> dict[str, Node]:
    def written(name: str, term: Node) -> Node:
        if not isinstance(term, Literal):
            return term
        # ?value is the object of ?this ?path, the statement that tells how it was written
        return run.restore(term, subject, predicate) if name == "value" else run.restore(term)

    return {name: written(name, term) for name, term in bound.items()}


_Check = _CoreChecks | _ClassCheck | _SparqlConstraint


# ---------------------------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------------------------


class _Run:
    """One evaluation on a store: term conversion, literal restoration and the store's properties."""

    def __init__(self, store: pyoxigraph.Store, origins: LiteralOrigins | None) -> None:
        self.store = store
        self.origins = origins
        self.term = _ToRdflib()
        self.data_names = Graph()
        self._disjoint: bool | None = None
        self._descriptions: dict[BNode, Graph] = {}

    def select(self, query: str, substitutions: dict[Any, Any] | None = None) -> pyoxigraph.QuerySolutions:
        import pyoxigraph

        solutions = self.store.query(query, use_default_graph_as_union=True, substitutions=substitutions)
        assert isinstance(solutions, pyoxigraph.QuerySolutions)
        return solutions

    def rows(self, query: str, substitutions: dict[Any, Any] | None = None) -> Iterator[dict[str, Any]]:
        solutions = self.select(query, substitutions)
        names = [v.value for v in solutions.variables]
        for solution in solutions:
            yield {name: solution[name] for name in names}

    def rows_as_terms(self, query: str, names: Sequence[str]) -> Iterator[tuple[Node | None, ...]]:
        term = self.term
        for solution in self.select(query):
            yield tuple(None if solution[n] is None else term(solution[n]) for n in names)

    def pairs(self, query: str, predicate: URIRef | None) -> Iterator[tuple[Node, Node | None]]:
        """(focus, value) rows of a values query, literals as written."""
        restore = self.restore
        for focus, value in self.rows_as_terms(query, ("this", "value")):
            assert focus is not None
            focus = self.focus(focus)
            if isinstance(value, Literal):
                value = restore(value, focus, predicate)
            yield focus, value

    def restore(self, literal: Literal, subject: Node | None = None, predicate: Node | None = None) -> Literal:
        return literal if self.origins is None else self.origins.restore(literal, subject, predicate)

    def focus(self, node: Node) -> Node:
        """A focus node as written (a literal one, reached by sh:targetObjectsOf, may have been rewritten)."""
        return self.restore(node) if isinstance(node, Literal) else node

    def require_disjoint_graphs(self, constraint: Node) -> None:
        if self._disjoint is None:
            self._disjoint = not self.store.query(
                "ASK { GRAPH ?one { ?s ?p ?o } GRAPH ?other { ?s ?p ?o } FILTER (?one != ?other) }")
        if not self._disjoint:
            raise UnsupportedShapes(f"SPARQL constraint {_display(constraint)} aggregates over matches, and the "
                                    "store holds a triple in two named graphs, which its union counts twice")

    def describe(self, node: BNode) -> Graph:
        """The triples about a blank node of the data, and about the blank nodes they reach."""
        found = self._descriptions.get(node)
        if found is None:
            import pyoxigraph

            found = self._descriptions[node] = Graph()
            todo, seen = [node], set()
            while todo:
                subject = todo.pop()
                if subject in seen:
                    continue
                seen.add(subject)
                for quad in self.store.quads_for_pattern(pyoxigraph.BlankNode(str(subject)), None, None):
                    triple = (subject, self.term(quad.predicate), self.term(quad.object))
                    found.add(triple)
                    if isinstance(triple[2], BNode):
                        todo.append(triple[2])
        return found


@dataclass(frozen=True)
class CompiledShapes:
    """A shapes graph as queries: run it on any number of stores."""

    checks: tuple[_Check, ...]
    namespaces: tuple[tuple[str, str], ...]
    """The shapes graph's prefixes, which pySHACL copies into its report."""
    shape_descriptions: tuple[tuple[BNode, tuple[tuple[Node, Node, Node], ...]], ...]
    """What pySHACL's report copies for the blank nodes of the shapes graph a result names."""

    def queries(self) -> tuple[str, ...]:
        """Every query :meth:`run` sends (a per-focus-node query once), for inspection."""
        return tuple(q for check in self.checks for q in check.queries())

    def per_focus_constraints(self) -> tuple[Node, ...]:
        """The SPARQL constraints run once per focus node, because their queries break the whole-graph rule."""
        return tuple(dict.fromkeys(check.node for check in self.checks
                                   if isinstance(check, _SparqlConstraint) and not check.whole_graph))

    def run(self, store: pyoxigraph.Store, origins: LiteralOrigins | None = None) -> list[RawResult]:
        """The results of validating the union of ``store``'s graphs, as pySHACL reports them.

        ``origins`` gives back the literals the store rewrote (see :class:`LiteralOrigins`). Raises
        :class:`UnsupportedShapes` when a query counts duplicates and a triple is in two of the store's graphs.
        """
        run = _Run(store, origins)
        return [result for check in self.checks for result in check.run(run)]


def report_graph(results: Sequence[RawResult], compiled: CompiledShapes, store: pyoxigraph.Store) -> Graph:
    """The W3C validation report pySHACL writes for these results (``Validator.create_validation_report``)."""
    from pyshacl.rdfutil.clone import clone_blank_node

    report = Graph(bind_namespaces="core")
    for prefix, namespace in compiled.namespaces:
        report.namespace_manager.bind(prefix, namespace)
    shape_nodes = dict(compiled.shape_descriptions)
    run = _Run(store, None)
    copied: set[tuple[str, Node]] = set()

    def copy(node: Node, source: str) -> Node:
        if isinstance(node, BNode) and (source, node) not in copied:
            copied.add((source, node))
            if source == "shapes":
                for triple in shape_nodes.get(node, ()):
                    report.add(triple)
            else:
                clone_blank_node(run.describe(node), node, report, keepid=True)
        return node

    root = BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    report.add((root, SH.conforms, Literal(not results)))
    for result in results:
        node = BNode()
        report.add((root, SH.result, node))
        report.add((node, RDF.type, SH.ValidationResult))
        report.add((node, SH.sourceConstraintComponent, result.constraint_component))
        report.add((node, SH.sourceShape, copy(result.source_shape, "shapes")))
        report.add((node, SH.resultSeverity, result.severity))
        report.add((node, SH.focusNode, copy(result.focus_node, "data")))
        if result.value is not None:
            report.add((node, SH.value, copy(result.value, "data")))
        if result.result_path is not None:
            report.add((node, SH.resultPath, copy(result.result_path, "shapes")))
        if result.source_constraint is not None:
            report.add((node, SH.sourceConstraint, copy(result.source_constraint, "shapes")))
        for message in result.messages:
            report.add((node, SH.resultMessage, message))
    return report


# ---------------------------------------------------------------------------------------------------------------
# Compiling a shapes graph
# ---------------------------------------------------------------------------------------------------------------

_UNSUPPORTED_PARAMETERS: dict[Node, str] = {
    SH.node: "sh:node", SH["and"]: "sh:and", SH["or"]: "sh:or", SH.xone: "sh:xone", SH["not"]: "sh:not",
    SH.qualifiedValueShape: "qualified value shapes", SH.closed: "sh:closed", SH.equals: "sh:equals",
    SH.disjoint: "sh:disjoint", SH.lessThan: "sh:lessThan", SH.lessThanOrEquals: "sh:lessThanOrEquals",
    SH.expression: "sh:expression", SH.js: "JavaScript constraints", SH.target: "custom targets (sh:target)",
    SH.rule: "SHACL rules (sh:rule)",
}
_WHOLE_INTEGERS = frozenset(XSD[name] for name in (
    "integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long", "int",
    "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
))
_RANGES = {
    SH.minExclusive: (SH.MinExclusiveConstraintComponent, ">", lambda c: c > 0),
    SH.minInclusive: (SH.MinInclusiveConstraintComponent, ">=", lambda c: c >= 0),
    SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, "<", lambda c: c < 0),
    SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, "<=", lambda c: c <= 0),
}
_PATH_PARAMETER = re.compile(r"([\s{}()])[\$\?]PATH", flags=re.M)
_UNSUPPORTED_VARIABLES = re.compile(r"([\s{}()])[\$\?](shapesGraph|currentShape)\b", flags=re.M)


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Compile a shapes graph; raises :class:`UnsupportedShapes` for SHACL outside the supported subset.

    Pure: the result depends only on the graph, so it can be cached and reused on many stores.
    """
    return _Compiler(shapes).compile()


class _Compiler:
    def __init__(self, shapes: Graph) -> None:
        self.sg = shapes
        # pySHACL names shapes-graph nodes with the shapes graph's prefixes, after binding sh: if it can.
        self.names = Graph(bind_namespaces="none")
        for prefix, namespace in shapes.namespace_manager.namespaces():
            self.names.namespace_manager.bind(prefix, namespace, override=True, replace=True)
        self.names.namespace_manager.bind("sh", SH, override=False, replace=False)
        self.checks: list[_Check] = []
        self.shape_bnodes: set[BNode] = set()

    def compile(self) -> CompiledShapes:
        sg = self.sg
        self._refuse_globally_unsupported()
        node_shapes, property_shapes = self._shapes()
        for shape in sorted(node_shapes | property_shapes, key=_sort_key):
            focus = self._focus(shape)
            if focus is None or self._deactivated(shape):
                continue
            is_property = shape in property_shapes
            use = self._use(shape, focus, is_property)
            self._constraints(shape, use, is_property)
            for listed in sorted(sg.objects(shape, SH.property), key=_sort_key):
                if is_property:
                    raise UnsupportedShapes("a property shape inside a property shape (sh:property)", shape)
                if listed not in property_shapes:
                    raise UnsupportedShapes(f"sh:property {_display(listed)} is not a property shape", shape)
                if self._deactivated(listed):
                    continue
                if any(True for _ in sg.objects(listed, SH.property)):
                    raise UnsupportedShapes("a property shape inside a property shape (sh:property)", listed)
                self._constraints(listed, self._use(listed, focus, True), True)
        from pyshacl.rdfutil.clone import clone_blank_node

        descriptions = []
        for bnode in sorted(self.shape_bnodes, key=str):
            scratch = Graph()
            clone_blank_node(sg, bnode, scratch, keepid=True)
            descriptions.append((bnode, tuple(sorted(scratch, key=lambda t: tuple(map(str, t))))))
        namespaces = tuple((p, str(n)) for p, n in sg.namespace_manager.namespaces())
        compiled = CompiledShapes(tuple(self.checks), namespaces, tuple(descriptions))
        _check_queries_parse(compiled)
        return compiled

    # --- shapes and their targets (pyshacl/shapes_graph.py, _build_node_shape_cache) ---

    def _refuse_globally_unsupported(self) -> None:
        sg = self.sg
        for component in sg.subjects(RDF.type, SH.ConstraintComponent):
            raise UnsupportedShapes("custom constraint components (sh:ConstraintComponent)", component)
        for component, _ in sg.subject_objects(SH.parameter):
            raise UnsupportedShapes("custom constraint components (sh:parameter)", component)

    def _shapes(self) -> tuple[set[Node], set[Node]]:
        sg = self.sg
        declared_nodes = set(sg.subjects(RDF.type, SH.NodeShape))
        declared_properties = set(sg.subjects(RDF.type, SH.PropertyShape))
        for shape in declared_nodes:
            if any(True for _ in sg.objects(shape, SH.path)):
                raise UnsupportedShapes("a sh:NodeShape with sh:path", shape)
        for shape in declared_properties:
            if shape in declared_nodes:
                raise UnsupportedShapes("a shape both sh:NodeShape and sh:PropertyShape", shape)
            if len(set(sg.objects(shape, SH.path))) != 1:
                raise UnsupportedShapes("a sh:PropertyShape without exactly one sh:path", shape)
        implied = {s for p in (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.property,
                               SH.node) for s in sg.subjects(p, None)}
        implied |= {o for p in (SH.property, SH.node, SH["not"], SH.qualifiedValueShape) for o in sg.objects(None, p)}
        implied |= {item for p in (SH["and"], SH["or"], SH.xone)
                    for members in sg.objects(None, p) for item in sg.items(members)}
        nodes, properties = set(declared_nodes), set(declared_properties)
        for shape in implied - declared_nodes - declared_properties:
            paths = set(sg.objects(shape, SH.path))
            if len(paths) > 1:
                raise UnsupportedShapes("a property shape with more than one sh:path", shape)
            (properties if paths else nodes).add(shape)
        return nodes, properties

    def _focus(self, shape: Node) -> str | None:
        """The focus group of a shape with targets, or None when it has none."""
        sg = self.sg
        class_kinds = set(sg.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}
        if any(t in class_kinds for t in sg.objects(shape, RDF.type)):
            raise UnsupportedShapes("implicit class targets (a shape that is also an rdfs:Class)", shape)
        parts = []
        nodes = sorted(sg.objects(shape, SH.targetNode), key=_sort_key)
        if nodes:
            parts.append("VALUES ?this { " + " ".join(_sparql_term(n, shape) for n in nodes) + " }")
        for cls in sorted(sg.objects(shape, SH.targetClass), key=_sort_key):
            parts.append(f"?this {_TYPE_PATH} {_sparql_term(cls, shape)} .")
        for predicate in sorted(sg.objects(shape, SH.targetSubjectsOf), key=_sort_key):
            parts.append(f"?this {_sparql_term(predicate, shape)} ?_evidencekg_object .")
        for predicate in sorted(sg.objects(shape, SH.targetObjectsOf), key=_sort_key):
            parts.append(f"?_evidencekg_subject {_sparql_term(predicate, shape)} ?this .")
        if not parts:
            return None
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join("{ " + p + " }" for p in parts) + " } }"

    def _deactivated(self, shape: Node) -> bool:
        values = set(self.sg.objects(shape, SH.deactivated))
        if len(values) > 1:
            raise UnsupportedShapes("more than one sh:deactivated", shape)
        if not values:
            return False
        value = next(iter(values))
        if not isinstance(value, Literal):
            raise UnsupportedShapes("sh:deactivated that is not a literal", shape)
        return bool(value.value)

    def _use(self, shape: Node, focus: str, is_property: bool) -> _ShapeUse:
        sg = self.sg
        severities = set(sg.objects(shape, SH.severity))
        severity = next(iter(severities)) if severities else SH.Violation
        messages = tuple(m for m in set(sg.objects(shape, SH.message)) if isinstance(m, Literal))
        if len(messages) != len(set(sg.objects(shape, SH.message))):
            raise UnsupportedShapes("sh:message that is not a literal", shape)
        if isinstance(shape, BNode):
            self.shape_bnodes.add(shape)
        if not is_property:
            return _ShapeUse(shape, severity, messages, None, None, None, focus)
        path = next(iter(sg.objects(shape, SH.path)))
        if isinstance(path, URIRef):
            return _ShapeUse(shape, severity, messages, path, _sparql_term(path, shape), path, focus)
        if isinstance(path, BNode):
            described = set(sg.predicate_objects(path))
            if len(described) == 1:
                predicate, inverted = next(iter(described))
                if predicate == SH.inversePath and isinstance(inverted, URIRef):
                    self.shape_bnodes.add(path)
                    return _ShapeUse(shape, severity, messages, path, "^" + _sparql_term(inverted, shape), None, focus)
        raise UnsupportedShapes("a property path other than an IRI or sh:inversePath of one", shape)

    # --- constraints of one shape ---

    def _one(self, shape: Node, parameter: URIRef) -> Node:
        values = list(self.sg.objects(shape, parameter))
        if len(values) != 1:
            raise UnsupportedShapes(f"{self._name(parameter)} given {len(values)} times", shape)
        return values[0]

    def _name(self, node: Node) -> str:
        return _stringify(self.sg, node, self.names)

    def _constraints(self, shape: Node, use: _ShapeUse, is_property: bool) -> None:
        sg = self.sg
        parameters = {p for p, _ in sg.predicate_objects(shape)}
        for parameter in sorted(parameters & set(_UNSUPPORTED_PARAMETERS), key=str):
            raise UnsupportedShapes(_UNSUPPORTED_PARAMETERS[parameter], shape)
        path_name = self._name(use.path) if use.path is not None else ""
        components: list[_Component] = []

        for parameter, kind, word in ((SH.minCount, "min_count", "Less"), (SH.maxCount, "max_count", "More")):
            if parameter not in parameters:
                continue
            count = self._one(shape, parameter)
            if not is_property:
                raise UnsupportedShapes(f"{self._name(parameter)} on a node shape", shape)
            if not (isinstance(count, Literal) and count.datatype == XSD.integer and int(count.value) >= 0):
                raise UnsupportedShapes(f"{self._name(parameter)} that is not an xsd:integer of 0 or more", shape)
            if kind == "min_count" and int(count.value) == 0:
                continue
            component = SH.MinCountConstraintComponent if kind == "min_count" else SH.MaxCountConstraintComponent
            generic = f"{word} than {count.value} values on {_FOCUS}->{path_name}"
            components.append(_Component(component, kind, int(count.value), generic))

        if SH.datatype in parameters:
            datatype = self._one(shape, SH.datatype)
            components.append(_Component(SH.DatatypeConstraintComponent, "datatype", datatype,
                                         f"Value is not Literal with datatype {self._name(datatype)}"))
        if SH.nodeKind in parameters:
            kind_node = self._one(shape, SH.nodeKind)
            components.append(_Component(SH.NodeKindConstraintComponent, "node_kind", kind_node,
                                         f"Value is not of Node Kind {self._name(kind_node)}"))
        if SH["in"] in parameters:
            members: set[Node] = set()
            for item in sg.items(self._one(shape, SH["in"])):
                members.add(item)
            listed = [self._name(m) for m in members]
            components.append(_Component(SH.InConstraintComponent, "in", frozenset(members),
                                         f"Value {_VALUE} not in list {listed}"))
        if SH.hasValue in parameters:
            wanted = set(sg.objects(shape, SH.hasValue))
            the_set = [self._name(v) for v in wanted]
            generic = (f"Node {_FOCUS}->{path_name} does not contain a value in the set: {the_set}" if is_property
                       else f"Node {_FOCUS} value is not a in the set of values: {the_set}")
            components.extend(_Component(SH.HasValueConstraintComponent, "has_value", v, generic) for v in wanted)
        if SH.pattern in parameters:
            components.extend(self._patterns(shape))
        for parameter, component, kind, word in ((SH.minLength, SH.MinLengthConstraintComponent, "min_length", ">="),
                                                 (SH.maxLength, SH.MaxLengthConstraintComponent, "max_length", "<=")):
            if parameter in parameters:
                length = self._one(shape, parameter)
                if not (isinstance(length, Literal) and not getattr(length, "ill_typed", False)
                        and length.datatype in _WHOLE_INTEGERS
                        and length.datatype not in (XSD.negativeInteger, XSD.nonPositiveInteger) and length.value >= 0):
                    raise UnsupportedShapes(f"{self._name(parameter)} that is not a whole number", shape)
                generic = f"String length not {word} {_stringify(Graph(), length)}"
                components.append(_Component(component, kind, length.value, generic))
        for parameter, (component, word, accept) in _RANGES.items():
            bounds = list(sg.objects(shape, parameter))
            if not bounds:
                continue
            if not all(isinstance(b, Literal) for b in bounds):
                raise UnsupportedShapes(f"{self._name(parameter)} that is not a literal", shape)
            generic = (f"Value is not {word} {self._name(bounds[0])}" if len(bounds) < 2
                       else f"Value is not {word} in ({', '.join(self._name(b) for b in bounds)})")
            components.extend(_Component(component, "range", (b, accept), generic) for b in bounds)
        if SH.languageIn in parameters:
            languages = self._one(shape, SH.languageIn)
            wanted_languages = set()
            for item in sg.items(languages):
                if not (isinstance(item, Literal) and isinstance(item.value, str)):
                    raise UnsupportedShapes("sh:languageIn with an item that is not a string", shape)
                wanted_languages.add(str(item.value).lower())
            components.append(_Component(SH.LanguageInConstraintComponent, "language_in", frozenset(wanted_languages),
                                         f"String language is not in {self._name(languages)}"))
        if SH.uniqueLang in parameters:
            unique = self._one(shape, SH.uniqueLang)
            if not is_property or not (isinstance(unique, Literal) and isinstance(unique.value, bool)):
                raise UnsupportedShapes("sh:uniqueLang that is not a boolean on a property shape", shape)
            if unique.value:
                components.append(_Component(SH.UniqueLangConstraintComponent, "unique_lang", None,
                                             "More than one String shares the same Language"))
        if components:
            self.checks.append(_CoreChecks(use, tuple(components)))

        classes = list(sg.objects(shape, SH["class"]))
        if classes:
            generic = (f"Value does not have class {self._name(classes[0])}" if len(classes) < 2
                       else f"Value class is not in classes ({', '.join(self._name(c) for c in classes)})")
            for cls in classes:
                if not isinstance(cls, URIRef):
                    raise UnsupportedShapes("sh:class that is not an IRI", shape)
                self.checks.append(_ClassCheck(use, cls, generic))
        for constraint in sorted(sg.objects(shape, SH.sparql), key=_sort_key):
            check = self._sparql(shape, constraint, use, is_property)
            if check is not None:
                self.checks.append(check)

    def _patterns(self, shape: Node) -> list[_Component]:
        found = list(self.sg.objects(shape, SH.pattern))
        patterns = [p for p in found if isinstance(p, Literal)]
        if len(patterns) != len(found):
            raise UnsupportedShapes("sh:pattern that is not a literal", shape)
        flags_found = set(self.sg.objects(shape, SH.flags))
        flags = 0
        if flags_found:
            first = next(iter(flags_found))
            if not isinstance(first, Literal):
                raise UnsupportedShapes("sh:flags that is not a literal", shape)
            text = str(first.value).lower()
            flags = (re.I if "i" in text else 0) | (re.M if "m" in text else 0)
        listed = "', '".join(str(p.value) for p in patterns)
        generic = (f"Value does not match pattern '{listed}'" if len(patterns) < 2
                   else f"Value does not match every pattern in ('{listed}')")
        components = []
        for pattern in patterns:
            source = str(pattern.value) if pattern.value is not None and len(pattern.value) > 1 else str(pattern)
            try:
                re.compile(source, flags)
            except re.error as exc:
                raise UnsupportedShapes(f"sh:pattern {source!r}, not a Python regular expression ({exc})",
                                        shape) from None
            components.append(_Component(SH.PatternConstraintComponent, "pattern", (source, flags), generic))
        return components

    # --- SPARQL-based constraints (pyshacl/constraints/sparql/, pyshacl/helper/sparql_query_helper.py) ---

    def _sparql(self, shape: Node, constraint: Node, use: _ShapeUse, is_property: bool) -> _SparqlConstraint | None:
        sg = self.sg
        selects = set(sg.objects(constraint, SH.select))
        if len(selects) != 1:
            raise UnsupportedShapes(f"SPARQL constraint {_display(constraint)} without exactly one sh:select "
                                    "(ASK validators are not supported)", shape)
        select = next(iter(selects))
        if not (isinstance(select, Literal) and isinstance(select.value, str)):
            raise UnsupportedShapes(f"sh:select of {_display(constraint)} is not a string", shape)
        found = set(sg.objects(constraint, SH.message))
        strings = tuple(m for m in found if isinstance(m, Literal) and isinstance(m.value, str))
        if len(strings) != len(found):
            raise UnsupportedShapes(f"sh:message of {_display(constraint)} is not a string", shape)
        messages = strings or None
        deactivated = set(sg.objects(constraint, SH.deactivated))
        if deactivated:
            flag = next(iter(deactivated))
            if not (isinstance(flag, Literal) and isinstance(flag.value, bool)):
                raise UnsupportedShapes(f"sh:deactivated of {_display(constraint)} is not a boolean", shape)
            if flag.value:
                return None
        text = select.value
        if _UNSUPPORTED_VARIABLES.search(text):
            raise UnsupportedShapes(f"$shapesGraph or $currentShape in {_display(constraint)}", shape)
        if _PATH_PARAMETER.search(text):
            if use.path_sparql is None:
                raise UnsupportedShapes(f"$PATH in {_display(constraint)} on a node shape", shape)
            text = _PATH_PARAMETER.sub(lambda m: m.group(1) + str(use.path_sparql), text)
        prefixes = self._prefixes(constraint, shape)
        text = "{}\n{}".format("".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items()), text)
        plan = _plan_select(text)
        if plan.unsupported:
            raise UnsupportedShapes(f"SPARQL constraint {_display(constraint)}: {plan.unsupported}", shape)
        if isinstance(constraint, BNode):
            self.shape_bnodes.add(constraint)
        query = plan.whole_graph_query(use.focus) if plan.whole_graph else plan.per_focus_query()
        return _SparqlConstraint(use, constraint, query, plan.whole_graph, plan.projects_this, plan.counts_duplicates,
                                 messages, is_property)

    def _prefixes(self, constraint: Node, shape: Node) -> dict[str, str]:
        # SPARQLQueryHelper.collect_prefixes, including where it looks for sh:declare.
        sg = self.sg
        prefixes = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL)}
        values = set(sg.objects(constraint, SH.prefixes))
        if not values:
            return prefixes
        graph_declares = set(sg.objects(sg.identifier, SH.declare)) if sg.identifier else set()
        ontologies = set(sg.subjects(RDF.type, OWL.Ontology))
        ontology_declares = {d for o in ontologies for d in sg.objects(o, SH.declare)}
        global_declares = graph_declares | ontology_declares
        for value in values:
            own = set(sg.objects(value, SH.declare))
            declares = own | graph_declares if own and value in ontologies else global_declares | own
            for declare in declares:
                prefix_values = set(sg.objects(declare, SH.prefix))
                namespace_values = set(sg.objects(declare, SH.namespace))
                if isinstance(declare, Literal) or len(prefix_values) != 1 or len(namespace_values) != 1:
                    raise UnsupportedShapes("a malformed sh:declare", shape)
                prefix, namespace = next(iter(prefix_values)), next(iter(namespace_values))
                if not (isinstance(prefix, Literal) and isinstance(prefix.value, str)
                        and isinstance(namespace, Literal)):
                    raise UnsupportedShapes("a malformed sh:declare", shape)
                prefixes[str(prefix.value)] = str(namespace.value)
        return prefixes


def _sort_key(node: Node) -> tuple[str, str]:
    return (type(node).__name__, str(node))


def _check_queries_parse(compiled: CompiledShapes) -> None:
    """Every query must be one the store accepts (rdflib, which planned them, accepts more)."""
    import pyoxigraph

    empty = pyoxigraph.Store()
    this = pyoxigraph.Variable("this")
    for check in compiled.checks:
        for query in check.queries():
            substitutions: dict[Any, Any] | None = None
            if isinstance(check, _SparqlConstraint) and not check.whole_graph:
                substitutions = {this: pyoxigraph.NamedNode("urn:evidencekg:focus")}
            try:
                list(_Run(empty, None).select(query, substitutions))
            except (SyntaxError, ValueError, OSError, RuntimeError) as exc:
                raise UnsupportedShapes(f"a query the store refuses ({exc}): {query}", check.use.shape) from None


# ---------------------------------------------------------------------------------------------------------------
# Planning a SPARQL-based constraint
# ---------------------------------------------------------------------------------------------------------------

_THIS = Variable("this")
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_NAME = re.compile(r"[A-Za-z_][\w\-.]*(?::[\w\-.%]*)?|:[\w\-.%]*")
_VARIABLE = re.compile(r"[?$]\w+")
_PLACEHOLDER_FOCUS = "{ SELECT ?this WHERE { ?this <urn:evidencekg:focus> ?_evidencekg_focus } }"
_DUPLICATE_COUNTING = frozenset({"Aggregate_Count", "Aggregate_Sum", "Aggregate_Avg", "Aggregate_GroupConcat"})


@dataclass(frozen=True)
class _SelectPlan:
    text: str
    unsupported: str | None = None
    whole_graph: bool = False
    projects_this: bool = False
    counts_duplicates: bool = False
    group_open: int = 0
    """Where the outermost WHERE group's content starts."""
    projection_at: int | None = None
    """Where to add ``?this`` to the projection, when the query does not project it."""

    def _with(self, focus: str | None) -> str:
        text = self.text
        if focus is not None:
            text = f"{text[:self.group_open]} {focus} {text[self.group_open:]}"
        if self.projection_at is not None:
            text = f"{text[:self.projection_at]} ?this {text[self.projection_at:]}"
        return text

    def whole_graph_query(self, focus: str) -> str:
        return self._with(focus)

    def per_focus_query(self) -> str:
        # pyoxigraph substitutes only a projected variable.
        return self._with(None)


def _tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of the SPARQL tokens that matter to find the outer SELECT and its WHERE group."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in "\"'":
            end = _string_end(text, i)
            yield "string", i, end
            i = end
        elif c == "<" and (m := _IRIREF.match(text, i)):
            yield "iri", i, m.end()
            i = m.end()
        elif c in "?$" and (m := _VARIABLE.match(text, i)):
            yield "variable", i, m.end()
            i = m.end()
        elif m := _NAME.match(text, i):
            yield "name", i, m.end()
            i = m.end()
        else:
            yield c, i, i + 1
            i += 1


def _string_end(text: str, start: int) -> int:
    quote = text[start]
    long = text.startswith(quote * 3, start)
    i = start + (3 if long else 1)
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
        elif long and text.startswith(quote * 3, i):
            return i + 3
        elif not long and c == quote:
            return i + 1
        else:
            i += 1
    return len(text)


@lru_cache(maxsize=512)
def _plan_select(text: str) -> _SelectPlan:
    """How to evaluate a constraint's SELECT query (with its PREFIX lines) for all focus nodes at once."""
    from rdflib.plugins.sparql import prepareQuery

    select_end = projection_at = group_open = None
    star = False
    depth = 0
    for kind, start, end in _tokens(text):
        word = text[start:end].lower()
        if select_end is None:
            if kind == "name" and word == "select":
                select_end = projection_at = end
            continue
        if projection_at == select_end and kind == "name" and word in ("distinct", "reduced"):
            projection_at = end
            continue
        if kind == "*" and depth == 0 and group_open is None and not star and projection_at is not None:
            star = True
        if kind == "(":
            depth += 1
        elif kind == ")":
            depth -= 1
        elif kind == "{" and depth == 0:
            group_open = end
            break
    if select_end is None or group_open is None or projection_at is None:
        return _SelectPlan(text, unsupported="not a SELECT query")
    try:
        original = prepareQuery(text).algebra
        injected = prepareQuery(f"{text[:group_open]} {_PLACEHOLDER_FOCUS} {text[group_open:]}").algebra
    except Exception as exc:  # rdflib's parser raises many types
        return _SelectPlan(text, unsupported=f"rdflib cannot parse the query ({' '.join(str(exc).split())[:200]})")
    projects_this = _THIS in (original.PV or [])
    analysis = _ScopeAnalysis(injected)
    if analysis.unsupported:
        return _SelectPlan(text, unsupported=analysis.unsupported)
    return _SelectPlan(
        text,
        whole_graph=not analysis.this_problems,
        projects_this=projects_this,
        counts_duplicates=analysis.counts_duplicates,
        group_open=group_open,
        projection_at=None if projects_this or star else projection_at,
    )


class _ScopeAnalysis:
    """Whether a query with the focus sub-select injected binds ``$this`` wherever it uses it (module notes)."""

    def __init__(self, algebra: Any) -> None:
        self.this_problems: list[str] = []
        self.unsupported: str | None = None
        self.counts_duplicates = False
        self._certain: dict[int, frozenset[Variable]] = {}
        self._possible: dict[int, frozenset[Variable]] = {}
        try:
            if algebra.name != "SelectQuery":
                raise _Refused("not a SELECT query")
            if algebra.datasetClause:
                raise _Refused("FROM or FROM NAMED")
            self._all_occurrences = _occurrences(algebra.p)
            self._top(algebra.p)
        except _Refused as refused:
            self.unsupported = str(refused)

    def _top(self, node: Any) -> None:
        while node.name in ("Slice", "Distinct", "Reduced", "OrderBy"):
            if node.name == "Slice":
                self.this_problems.append("LIMIT or OFFSET")
            node = node.p
        if node.name != "Project":
            raise _Refused(f"unexpected query form {node.name}")
        self._walk(node.p, frozenset(), None)

    # certain: bound in every solution; possible: bound in some solution.

    def certain(self, node: Any) -> frozenset[Variable]:
        key = id(node)
        if key not in self._certain:
            self._certain[key] = self._bound(node, certain=True)
        return self._certain[key]

    def possible(self, node: Any) -> frozenset[Variable]:
        key = id(node)
        if key not in self._possible:
            self._possible[key] = self._bound(node, certain=False)
        return self._possible[key]

    def _bound(self, node: Any, certain: bool) -> frozenset[Variable]:
        of = self.certain if certain else self.possible
        name = node.name
        if name == "BGP":
            return frozenset(t for triple in node.triples for t in triple if isinstance(t, Variable))
        if name == "Join":
            return of(node.p1) | of(node.p2)
        if name == "LeftJoin":
            return of(node.p1) if certain else of(node.p1) | of(node.p2)
        if name == "Union":
            return of(node.p1) & of(node.p2) if certain else of(node.p1) | of(node.p2)
        if name in ("Filter", "ToMultiSet", "Distinct", "Reduced", "OrderBy", "Slice"):
            return of(node.p)
        if name == "Extend":
            return of(node.p) if certain else of(node.p) | {node.var}
        if name == "Project":
            return of(node.p) & frozenset(node.PV)
        if name == "Group":
            return of(node.p) & frozenset(v for v in (node.expr or []) if isinstance(v, Variable))
        if name == "AggregateJoin":
            return of(node.p) if certain else of(node.p) | {a.res for a in node.A}
        raise _Refused(_construct_name(name))

    def _walk(self, node: Any, context: frozenset[Variable], exists_top: Any) -> None:
        """Check a pattern; ``context`` holds what an enclosing EXISTS substitutes, ``exists_top`` its top filter."""
        name = node.name
        if name == "BGP":
            return
        if name in ("Join", "Union"):
            self._walk(node.p1, context, None)
            self._walk(node.p2, context, None)
        elif name == "LeftJoin":
            self._walk(node.p1, context, None)
            self._walk(node.p2, context, None)
            if node.expr is not None and getattr(node.expr, "name", None) != "TrueFilter":
                self._check(node.expr, self.certain(node.p1) | self.certain(node.p2), context, False)
        elif name == "Filter":
            self._walk(node.p, context, None)
            self._check(node.expr, self.certain(node.p), context, node is exists_top)
        elif name == "Extend":
            # rdflib binds a grouped variable back from its aggregate sample: that is no rebinding
            if node.var == _THIS and not (isinstance(node.expr, Variable) and node.expr.startswith("__agg_")):
                raise _Refused("$this rebound with AS")
            self._walk(node.p, context, None)
            self._check(node.expr, self.certain(node.p), context, False)
        elif name == "ToMultiSet":
            self._subselect(node.p, context)
        elif name in ("Distinct", "Reduced", "OrderBy"):
            self._walk(node.p, context, None)
        elif name == "AggregateJoin":
            group = node.p
            self._walk(group.p, context, None)
            keys = {v for v in (group.expr or []) if isinstance(v, Variable)}
            given = self.certain(group.p) | context
            if _THIS not in context and (_THIS not in keys or _THIS not in given):
                self.this_problems.append("an aggregate not grouped by $this")
            for expression in group.expr or []:
                self._check(expression, self.certain(group.p), context, False)
            for aggregate in node.A:
                if aggregate.name in _DUPLICATE_COUNTING and not aggregate.distinct and not _distinct_rows(group.p):
                    self.counts_duplicates = True
                self._check(aggregate.vars, self.certain(group.p), context, False)
        else:
            raise _Refused(_construct_name(name))

    def _subselect(self, node: Any, context: frozenset[Variable]) -> None:
        sliced = False
        while node.name in ("Slice", "Distinct", "Reduced", "OrderBy"):
            sliced = sliced or node.name == "Slice"
            node = node.p
        if node.name == "values" or getattr(node, "name", None) != "Project":
            raise _Refused(_construct_name(node.name))
        projected = frozenset(node.PV)
        inside = _occurrences(node)
        if _THIS not in projected:
            raise _Refused("a nested SELECT that does not project $this")
        if _THIS not in context:
            if _THIS not in self.certain(node.p):
                self.this_problems.append("a nested SELECT that may leave $this unbound")
            if sliced:
                self.this_problems.append("LIMIT or OFFSET in a nested SELECT")
        leaked = {v for v, count in inside.items()
                  if v not in projected and v != _THIS and self._all_occurrences.get(v, 0) > count}
        if leaked:
            names = ", ".join(sorted(f"?{v}" for v in leaked))
            raise _Refused(f"a nested SELECT uses {names}, bound outside it, without projecting it")
        self._walk(node.p, context, None)

    def _check(self, expression: Any, certain: frozenset[Variable], context: frozenset[Variable],
               exists_top: bool) -> None:
        used, patterns = _expression_parts(expression)
        given = certain | context
        if _THIS in used and _THIS not in given:
            self.this_problems.append("an expression uses $this where it is not bound")
        # rdflib hides an enclosing EXISTS's solution from expressions below its top filter; SPARQL substitutes it.
        hidden = (used & context) - certain - {_THIS}
        if hidden and not exists_top:
            names = ", ".join(sorted(f"?{v}" for v in hidden))
            raise _Refused(f"an expression inside EXISTS uses {names} from outside it")
        for pattern in patterns:
            if _THIS in _occurrences(pattern) and _THIS not in given:
                self.this_problems.append("an EXISTS uses $this where it is not bound")
            self._walk(pattern, context | certain, pattern if pattern.name == "Filter" else None)


class _Refused(Exception):
    pass


def _construct_name(name: str) -> str:
    return {"Minus": "MINUS", "values": "VALUES", "Graph": "GRAPH", "ServiceGraphPattern": "SERVICE"}.get(
        name, f"the SPARQL construct {name}")


def _distinct_rows(node: Any) -> bool:
    """Whether a pattern is a SELECT DISTINCT, so that repeated matches cannot reach an aggregate over it."""
    name = node.name
    if name == "ToMultiSet":
        return _distinct_rows(node.p)
    if name == "Join":
        empty = [part for part in (node.p1, node.p2) if part.name == "BGP" and not part.triples]
        return len(empty) == 1 and _distinct_rows(node.p2 if empty[0] is node.p1 else node.p1)
    return bool(name == "Distinct")


def _children(node: Any) -> Iterator[Any]:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            yield node.graph  # translated by rdflib into an attribute, not the item
            return
        for key, value in node.items():
            if key != "_vars":
                yield value
    elif isinstance(node, (list, tuple)):
        yield from node


def _occurrences(node: Any) -> dict[Variable, int]:
    counts: dict[Variable, int] = defaultdict(int)
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, Variable):
            counts[current] += 1
        else:
            todo.extend(_children(current))
    return counts


def _expression_parts(expression: Any) -> tuple[set[Variable], list[Any]]:
    """The variables an expression reads directly, and the patterns of its EXISTS."""
    from rdflib.plugins.sparql.parserutils import CompValue

    used: set[Variable] = set()
    patterns: list[Any] = []
    todo = [expression]
    while todo:
        current = todo.pop()
        if isinstance(current, Variable):
            used.add(current)
        elif isinstance(current, CompValue) and current.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            patterns.append(current.graph)
        else:
            todo.extend(_children(current))
    return used, patterns

"""SPARQL-based constraints, SHACL §5: ``sh:sparql`` with ``sh:select`` (pySHACL's constraints/sparql).

pySHACL evaluates a SPARQL-based constraint once per focus node, on an
rdflib graph; that is most of the time of its validation. Here the query is
evaluated once for all focus nodes, with the shape's focus sub-select
injected at the start of its outermost WHERE group, where
:class:`~..scope.ScopeAnalysis` shows this equals pySHACL's pre-binding of
``$this``; a query where it does not is run once per focus node with
``substitutions=`` (SEP-0007 pre-binding, exact but slow), and
:meth:`CompiledShapes.per_focus_constraints` lists them. Rows are then
grouped by focus node and turned into results as pySHACL does: duplicates
dropped, ``?path``/``?value``/``?failure`` read, ``{?var}`` and ``{$var}``
filled into the messages.

The query is parsed once (:func:`evidencekg.sparql.parsing.parse_query`):
its escapes expanded, the text oxigraph runs is the one rdflib analysed,
and the places the focus sub-select and ``?this`` go come from rdflib's
grammar. ``$PATH`` is substituted, and ``$shapesGraph``/``$currentShape``
found, in the text with pySHACL's own regular expressions, so that exactly
the queries pySHACL rewrites are rewritten.

These constraints run on oxigraph's SPARQL, which follows the standard where
rdflib does not: rdflib orders a string against a number, for one, where
SPARQL makes the comparison an error. On data that meets such a departure (a
p-value written as a string, say) a constraint can report differently; the
datatype constraints report that data under both.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rdflib import BNode, Literal
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from .....errors import QueryError
from .....sparql.parsing import ParsedQuery, insert_after_where_brace, parse_query
from ..results import RawResult, display
from ..run import Run
from ..scope import THIS, ScopeAnalysis
from ..terms import sort_key, to_oxigraph
from .base import Check, Component, ShapeParameters, ShapeUse

# pySHACL's SPARQLQueryHelper.bind_path_regex, bind_sg_regex and bind_cs_regex.
_PATH_PARAMETER = re.compile(r"([\s{}()])[\$\?]PATH", flags=re.M)
_UNSUPPORTED_VARIABLES = re.compile(r"([\s{}()])[\$\?](shapesGraph|currentShape)\b", flags=re.M)
_PLACEHOLDER_FOCUS = "{ SELECT ?this WHERE { ?this <urn:evidencekg:focus> ?_evidencekg_focus } }"


@dataclass(frozen=True)
class SparqlConstraint:
    """One ``sh:sparql`` constraint of a shape use, with the query the store runs."""

    use: ShapeUse
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

    def run(self, run: Run) -> Iterator[RawResult]:
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
                rows_of[run.focus(focus)] = list(run.rows(self.query, {this: to_oxigraph(focus)}))
        for focus, rows in rows_of.items():
            yield from self._results(run, focus, rows)

    def _results(self, run: Run, focus: Node, rows: list[dict[str, Any]]) -> Iterator[RawResult]:
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


def _as_written(run: Run, bound: dict[str, Node], subject: Node, predicate: Node | None) -> dict[str, Node]:
    def written(name: str, term: Node) -> Node:
        if not isinstance(term, Literal):
            return term
        # ?value is the object of ?this ?path, the statement that tells how it was written
        return run.restore(term, subject, predicate) if name == "value" else run.restore(term)

    return {name: written(name, term) for name, term in bound.items()}


def compile_sparql_based(p: ShapeParameters) -> Iterator[Component | Check]:
    for constraint in sorted(p.all(SH.sparql), key=sort_key):
        check = _constraint(p, constraint)
        if check is not None:
            yield check


def _constraint(p: ShapeParameters, constraint: Node) -> SparqlConstraint | None:
    # pyshacl/constraints/sparql/sparql_based_constraints.py and pyshacl/helper/sparql_query_helper.py
    sg = p.shapes
    selects = set(sg.objects(constraint, SH.select))
    if len(selects) != 1:
        raise p.refuse(f"SPARQL constraint {display(constraint)} without exactly one sh:select "
                       "(ASK validators are not supported)")
    select = next(iter(selects))
    if not (isinstance(select, Literal) and isinstance(select.value, str)):
        raise p.refuse(f"sh:select of {display(constraint)} is not a string")
    found = set(sg.objects(constraint, SH.message))
    strings = tuple(m for m in found if isinstance(m, Literal) and isinstance(m.value, str))
    if len(strings) != len(found):
        raise p.refuse(f"sh:message of {display(constraint)} is not a string")
    deactivated = set(sg.objects(constraint, SH.deactivated))
    if deactivated:
        flag = next(iter(deactivated))
        if not (isinstance(flag, Literal) and isinstance(flag.value, bool)):
            raise p.refuse(f"sh:deactivated of {display(constraint)} is not a boolean")
        if flag.value:
            return None
    text = select.value
    if _UNSUPPORTED_VARIABLES.search(text):
        raise p.refuse(f"$shapesGraph or $currentShape in {display(constraint)}")
    path_sparql = p.use.path_sparql
    if _PATH_PARAMETER.search(text):
        if path_sparql is None:
            raise p.refuse(f"$PATH in {display(constraint)} on a node shape")
        text = _PATH_PARAMETER.sub(lambda m: m.group(1) + path_sparql, text)
    prefixes = _prefixes(p, constraint)
    text = "{}\n{}".format("".join(f"PREFIX {prefix}: <{ns}>\n" for prefix, ns in prefixes.items()), text)
    try:
        plan = _plan_select(text)
    except _NotPlanned as refused:
        raise p.refuse(f"SPARQL constraint {display(constraint)}: {refused}") from None
    if isinstance(constraint, BNode):
        p.shape_bnodes.add(constraint)
    return SparqlConstraint(p.use, constraint, plan.query(p.use.focus), plan.whole_graph, plan.projects_this,
                            plan.counts_duplicates, strings or None, p.is_property)


def _prefixes(p: ShapeParameters, constraint: Node) -> dict[str, str]:
    # SPARQLQueryHelper.collect_prefixes, including where it looks for sh:declare.
    sg = p.shapes
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
                raise p.refuse("a malformed sh:declare")
            prefix, namespace = next(iter(prefix_values)), next(iter(namespace_values))
            if not (isinstance(prefix, Literal) and isinstance(prefix.value, str) and isinstance(namespace, Literal)):
                raise p.refuse("a malformed sh:declare")
            prefixes[str(prefix.value)] = str(namespace.value)
    return prefixes


class _NotPlanned(Exception):
    """The query cannot be compiled; the message says why."""


@dataclass(frozen=True)
class _SelectPlan:
    """How a constraint's SELECT query is evaluated for all focus nodes."""

    parsed: ParsedQuery
    whole_graph: bool
    projects_this: bool
    counts_duplicates: bool
    add_this: bool
    """Whether ``?this`` must be added to the projection, to group rows by focus node (or to substitute it)."""

    def query(self, focus: str) -> str:
        """The text the store runs: with ``focus`` injected when run once, and ``?this`` projected."""
        parsed = self.parsed
        text = insert_after_where_brace(parsed, focus) if self.whole_graph else parsed.text
        if self.add_this:
            # pyoxigraph substitutes only a projected variable; the select clause comes before the WHERE group.
            assert parsed.projection_end is not None
            at = parsed.projection_end
            text = f"{text[:at]} ?this {text[at:]}"
        return text


@lru_cache(maxsize=512)
def _plan_select(text: str) -> _SelectPlan:
    """How to evaluate a constraint's SELECT query (with its PREFIX lines) for all focus nodes at once."""
    try:
        parsed = parse_query(text, where="sh:select", prefixes={})
    except QueryError as exc:
        raise _NotPlanned(str(exc)) from None
    if parsed.form != "SELECT":
        raise _NotPlanned("not a SELECT query")
    if parsed.projection_end is None or parsed.where_brace is None:
        raise _NotPlanned("a SELECT query whose parts rdflib's grammar does not locate")
    try:
        injected = parse_query(insert_after_where_brace(parsed, _PLACEHOLDER_FOCUS), where="sh:select", prefixes={})
    except QueryError as exc:
        raise _NotPlanned(f"with the focus nodes injected, {exc}") from None
    projects_this = THIS in (parsed.prepared.algebra.PV or [])
    star = parsed.projects_all
    analysis = ScopeAnalysis(injected.prepared.algebra)
    if analysis.unsupported:
        raise _NotPlanned(analysis.unsupported)
    return _SelectPlan(parsed, whole_graph=not analysis.this_problems, projects_this=projects_this,
                       counts_duplicates=analysis.counts_duplicates, add_this=not (projects_this or star))

"""One evaluation of compiled shapes on a pyoxigraph store: queries, term conversion, literal restoration.

The store's named graphs hold the data, queried with the default graph as
their union. That union is a bag: a triple in two named graphs matches
twice. Generated queries use DISTINCT and pySHACL drops duplicate rows, so
only an aggregate counting duplicates (COUNT, SUM, AVG, GROUP_CONCAT without
DISTINCT, over anything but a SELECT DISTINCT) can differ; when a compiled
query has one, :meth:`Run.require_disjoint_graphs` checks once that no
triple is in two graphs, and raises :class:`UnsupportedShapes` if one is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ....sparql.limits import run_stoppable
from .results import UnsupportedShapes, display
from .terms import ToRdflib

if TYPE_CHECKING:
    import pyoxigraph

    from .literals import LiteralOrigins


class Solutions(NamedTuple):
    """A SELECT query's rows, evaluated to the end."""

    names: tuple[str, ...]
    rows: list[pyoxigraph.QuerySolution]


class Run:
    """One evaluation on a store: term conversion, literal restoration and the store's properties."""

    def __init__(self, store: pyoxigraph.Store, origins: LiteralOrigins | None) -> None:
        self.store = store
        self.origins = origins
        self.term = ToRdflib()
        self.data_names = Graph()
        """pySHACL names focus and value nodes with its data graph's prefixes: those of a new rdflib graph."""
        self._disjoint: bool | None = None
        self._descriptions: dict[BNode, Graph] = {}

    def select(self, query: str, substitutions: dict[Any, Any] | None = None) -> Solutions:
        import pyoxigraph

        def evaluate() -> Solutions:
            # In one thread: oxigraph's results stay in the thread that made them.
            solutions = self.store.query(query, use_default_graph_as_union=True, substitutions=substitutions)
            assert isinstance(solutions, pyoxigraph.QuerySolutions)
            return Solutions(tuple(v.value for v in solutions.variables), list(solutions))

        return run_stoppable(evaluate, "a SHACL constraint's query")

    def rows(self, query: str, substitutions: dict[Any, Any] | None = None) -> Iterator[dict[str, Any]]:
        found = self.select(query, substitutions)
        for solution in found.rows:
            yield {name: solution[name] for name in found.names}

    def rows_as_terms(self, query: str, names: Sequence[str]) -> Iterator[tuple[Node | None, ...]]:
        term = self.term
        for solution in self.select(query).rows:
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
            raise UnsupportedShapes(f"SPARQL constraint {display(constraint)} aggregates over matches, and the "
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

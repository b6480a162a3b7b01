"""The reference engine: rdflib graphs, owlrl for OWL RL, pySHACL for SHACL, rdflib's SPARQL.

Slow and simple: the engine to trust when in doubt, and the one the fast engine
is tested against (``tests/test_engines.py``).

>>> import evidencekg
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir(), engine="reference")
>>> kg.engine.name, kg.engine.count("asserted") == len(kg.asserted)
('reference', True)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property, partial
from typing import cast

from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import Identifier, Node, Variable

from ...errors import QueryError
from ...rdf.build import BuiltGraph
from ...rdf.graphs import new_graph
from ...sparql.bindings import check_bindings
from ...sparql.guard import refuse_service
from ...sparql.limits import run_stoppable
from ...sparql.named import NamedQuery
from ...sparql.results import QueryResult
from ...validation.report import ValidationReport
from ..base import LAYERS, Fallback, Triple
from .reasoner import infer
from .serialize import to_trig
from .shacl import validate_graphs

__all__ = ["ReferenceEngine", "infer", "to_trig", "validate_graphs"]


class ReferenceEngine:
    """One rdflib graph per layer."""

    name = "reference"

    def __init__(self, names: Mapping[str, URIRef], prefixes: Mapping[str, str] | None = None) -> None:
        self.names: Mapping[str, URIRef] = dict(names)
        self._graphs = {layer: new_graph() for layer in LAYERS}
        for graph in self._graphs.values():
            for prefix, namespace in (prefixes or {}).items():
                graph.bind(prefix, namespace, replace=True)

    @property
    def fallbacks(self) -> tuple[Fallback, ...]:
        return ()

    def load(self, layer: str, triples: Iterable[Triple]) -> None:
        graph = self._graphs[layer]
        if not len(graph) and isinstance(triples, Graph):
            # The asserted graph of a build, shared rather than copied.
            self._graphs[layer] = triples
        else:
            graph.addN((s, p, o, graph) for s, p, o in triples)
        self.__dict__.pop("_union", None)

    def infer(self) -> None:
        self.load("inferred", infer(self._graphs["asserted"]))

    def derive(self, queries: Sequence[NamedQuery]) -> None:
        derived, union = self._graphs["derived"], self._union
        for query in queries:
            refuse_service(query.parsed, str(query.path))
            for triple in self._construct(union, query):
                derived.add(triple)
                union.add(triple)

    @staticmethod
    def _construct(graph: Graph, query: NamedQuery) -> Graph:
        try:
            result = run_stoppable(partial(graph.query, query.prepared), str(query.path))
        except QueryError:
            raise
        except Exception as exc:  # rdflib's evaluation raises many types
            raise QueryError(f"{query.path}: query failed: {exc}") from None
        if result.type != "CONSTRUCT" or result.graph is None:
            raise QueryError(f"{query.path}: a derivation query must be a CONSTRUCT query (this is {result.type})")
        return result.graph

    def validate(self, shapes: Graph | None = None, source: BuiltGraph | None = None) -> ValidationReport:
        return validate_graphs([self._graphs[layer] for layer in LAYERS], shapes=shapes, source=source)

    def select(self, query: NamedQuery, bindings: Mapping[str, Node] | None = None, *,
               allow_service: bool = False, layers: Sequence[str] | None = None) -> QueryResult:
        refuse_service(query.parsed, str(query.path), allow_service=allow_service)
        check_bindings(query, bindings or {})
        # rdflib types bound values as Identifier; the Nodes bound are its terms (URIRef, Literal), all Identifiers.
        initial: dict[str, Identifier] = {Variable(name): cast(Identifier, value)
                                          for name, value in (bindings or {}).items()}
        if getattr(query.prepared.algebra, "datasetClause", None):
            # rdflib would read each FROM graph from its IRI, over the network; the layers here are one graph.
            raise QueryError(f"{query.path}: FROM and FROM NAMED pick named graphs, which the reference engine does "
                             "not keep apart; use the fast engine, or GRAPH patterns there")

        def evaluate() -> QueryResult:
            try:
                graph = self._union if layers is None else self._merged(layers)
                result = graph.query(query.prepared, initBindings=initial)
                if result.type != "SELECT":
                    raise QueryError(f"{query.path}: only SELECT queries produce rows (this is {result.type})")
                variables = tuple(str(v) for v in result.vars or ())
                # rdflib evaluates lazily: its errors come while the rows are read.
                rows = tuple(tuple(row) for row in result)  # type: ignore[arg-type]
            except QueryError:
                raise
            except Exception as exc:  # rdflib's evaluation raises many types
                raise QueryError(f"{query.path}: query failed: {exc}") from None
            return QueryResult(variables, rows)

        return run_stoppable(evaluate, str(query.path))

    @cached_property
    def _union(self) -> Graph:
        # Queries see every layer at once; kept up to date by derive().
        return self._merged(LAYERS)

    def _merged(self, layers: Sequence[str]) -> Graph:
        merged = new_graph()
        for layer in layers:
            merged.addN((s, p, o, merged) for s, p, o in self._graphs[layer])
        return merged

    def triples(self, layer: str) -> Iterator[Triple]:
        return iter(self._graphs[layer])

    def count(self, layer: str) -> int:
        return len(self._graphs[layer])

    def instances(self, cls: URIRef, layer: str) -> set[URIRef]:
        return {s for s in self._graphs[layer].subjects(RDF.type, cls) if isinstance(s, URIRef)}

    def objects(self, subject: Node, predicate: URIRef) -> list[Node]:
        return sorted({o for layer in LAYERS for o in self._graphs[layer].objects(subject, predicate)}, key=str)

    def turtle(self, layer: str) -> bytes:
        return self._graphs[layer].serialize(format="turtle", encoding="utf-8")

    def trig(self) -> bytes:
        return to_trig([(self.names[layer], self._graphs[layer]) for layer in LAYERS])

    def close(self) -> None:
        self._graphs = {}
        self.__dict__.pop("_union", None)

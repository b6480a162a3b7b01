"""The fast engine: one in-memory pyoxigraph store, OWL RL rules compiled from the ontology, SHACL compiled to SPARQL.

Each layer is a named graph of the store; SPARQL (derivation, queries, the
compiled shapes) runs in oxigraph with the default graph as the union of the
layers. Output is deterministic: each layer's canonical N-Triples lines are
sorted before oxigraph's Turtle writer sees them, because the store's own
order changes from run to run.

Where the compiled rules or shapes cannot reproduce the reference engine
exactly, the step falls back to owlrl or pySHACL, and :attr:`FastEngine.fallbacks` says so.

>>> import evidencekg
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir(), engine="fast")
>>> kg.engine.name, kg.engine.count("asserted") == len(kg.asserted), kg.engine.fallbacks
('fast', True, ())
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from ...errors import QueryError
from ...namespaces import PREFIXES
from ...rdf.build import BuiltGraph
from ...rdf.ntriples import ntriples_tokens, read_ntriples
from ...rdf.terms import TermConverter, from_oxigraph
from ...sparql.bindings import with_values
from ...sparql.guard import refuse_service
from ...sparql.limits import run_stoppable
from ...sparql.named import NamedQuery
from ...sparql.results import QueryResult
from ...validation.report import ValidationReport
from ..base import LAYERS, Fallback, Triple

if TYPE_CHECKING:
    import pyoxigraph

__all__ = ["FastEngine"]

T = TypeVar("T")


class FastEngine:
    """Every layer a named graph of one in-memory pyoxigraph store."""

    name = "fast"

    def __init__(self, names: Mapping[str, URIRef], prefixes: Mapping[str, str] | None = None, *,
                 store: pyoxigraph.Store | None = None, layer_files: Mapping[str, Path] | None = None) -> None:
        import pyoxigraph

        self.names: Mapping[str, URIRef] = dict(names)
        self.store = pyoxigraph.Store() if store is None else store
        """In memory for a build; an on-disk store (``outputs.store``) to query a graph built earlier."""
        self.layer_files: Mapping[str, Path] = dict(layer_files or {})
        """Layer → the file holding its :meth:`sorted_ntriples`, kept beside an on-disk store: reading a whole
        layer from the file is several times faster than from the database, which looks every term up."""
        self.prefixes = dict(prefixes or PREFIXES)
        self._graph_nodes = {layer: pyoxigraph.NamedNode(str(iri)) for layer, iri in self.names.items()}
        self._turtle: dict[str, bytes] = {}
        self._asserted: list[Triple] = []
        """The asserted triples as given, for the rules (which read rdflib terms) and for the SHACL literals."""
        self._fallbacks: list[Fallback] = []

    @property
    def fallbacks(self) -> tuple[Fallback, ...]:
        return tuple(self._fallbacks)

    def load(self, layer: str, triples: Iterable[Triple]) -> None:
        import pyoxigraph

        if layer == "asserted":
            triples = list(triples)
            self._asserted.extend(triples)
        to_oxigraph = TermConverter()
        graph = self._graph_nodes[layer]
        self.store.bulk_extend(pyoxigraph.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph)
                               for s, p, o in triples)
        self._turtle.pop(layer, None)

    def infer(self) -> None:
        from .rules import UnsupportedOntology, infer_rules

        try:
            inferred: Iterable[Triple] = infer_rules(self._asserted)
        except UnsupportedOntology as exc:
            from ..reference.reasoner import infer

            self._fallbacks.append(Fallback("inference", "owlrl", str(exc)))
            asserted = Graph()
            asserted.addN((s, p, o, asserted) for s, p, o in self._asserted)
            inferred = infer(asserted)
        self.load("inferred", inferred)

    def derive(self, queries: Sequence[NamedQuery]) -> None:
        import pyoxigraph

        def constructed(found: object, query: NamedQuery) -> list[pyoxigraph.Triple]:
            if not isinstance(found, pyoxigraph.QueryTriples):
                raise QueryError(f"{query.path}: a derivation query must be a CONSTRUCT query")
            return list(found)

        graph = self._graph_nodes["derived"]
        for query in queries:
            refuse_service(query.parsed, str(query.path))
            # Materialised before inserting: the query reads the store it would otherwise be writing to.
            # (The same query run as INSERT … USING … WHERE was twice as slow in oxigraph 0.5.)
            triples = self._evaluate(query, query.text, partial(constructed, query=query))
            self.store.bulk_extend([pyoxigraph.Quad(t.subject, t.predicate, t.object, graph) for t in triples])
        self._turtle.pop("derived", None)

    def validate(self, shapes: Graph | None = None, source: BuiltGraph | None = None) -> ValidationReport:
        from .shacl import UnsupportedShapes, validate_store

        try:
            return validate_store(self.store, shapes, source)
        except UnsupportedShapes as exc:
            from ..reference.shacl import validate_graphs

            self._fallbacks.append(Fallback("validation", "pySHACL", str(exc)))
            return validate_graphs([self.triples(layer) for layer in LAYERS], shapes=shapes, source=source)

    def select(self, query: NamedQuery, bindings: Mapping[str, Node] | None = None, *,
               allow_service: bool = False, layers: Sequence[str] | None = None) -> QueryResult:
        import pyoxigraph

        def rows(found: object) -> QueryResult:
            if not isinstance(found, pyoxigraph.QuerySolutions):
                raise QueryError(f"{query.path}: only SELECT queries produce rows")
            variables = tuple(v.value for v in found.variables)
            # Each distinct term converted once: counts, labels and classes repeat down a column, and
            # converting every value again took longer than evaluating many queries.
            converted: dict[Any, Node] = {}

            def to_rdflib(term: Any) -> Node | None:
                if term is None:
                    return None
                node = converted.get(term)
                if node is None:
                    node = converted[term] = from_oxigraph(term)
                return node

            # A solution iterates its values in the order of the variables.
            return QueryResult(variables, tuple(tuple(map(to_rdflib, solution)) for solution in found))

        refuse_service(query.parsed, str(query.path), allow_service=allow_service)
        graphs = None if layers is None else [self._graph_nodes[layer] for layer in layers]
        return self._evaluate(query, with_values(query, bindings or {}), rows, graphs)

    def _evaluate(self, query: NamedQuery, text: str, read: Callable[[object], T],
                  graphs: list[Any] | None = None) -> T:
        """``read`` of the query's result, both in one thread: oxigraph's results stay in the thread that made them.

        The default graph is the union of every layer, or of ``graphs`` when given.
        """

        def evaluate() -> T:
            try:
                if graphs is not None:
                    return read(self.store.query(text, prefixes=dict(PREFIXES), default_graph=graphs))
                return read(self.store.query(text, prefixes=dict(PREFIXES), use_default_graph_as_union=True))
            except (SyntaxError, OSError, ValueError, RuntimeError) as exc:
                raise QueryError(f"{query.path}: query failed: {exc}") from None

        return run_stoppable(evaluate, str(query.path))

    def triples(self, layer: str) -> Iterator[Triple]:
        if layer in self.layer_files:
            yield from read_ntriples(self.layer_files[layer])
            return
        # Each distinct term converted once: terms repeat across thousands of triples.
        converted: dict[Any, Node] = {}

        def to_rdflib(term: Any) -> Node:
            node = converted.get(term)
            if node is None:
                node = converted[term] = from_oxigraph(term)
            return node

        for quad in self.store.quads_for_pattern(None, None, None, self._graph_nodes[layer]):
            yield to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)

    def count(self, layer: str) -> int:
        # Counted by the store, not by iterating millions of quads in Python.
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{self.names[layer]}> {{ ?s ?p ?o }} }}"
        rows = cast("pyoxigraph.QuerySolutions", self.store.query(query))  # a SELECT query gives solutions
        return int(next(iter(rows))["n"].value)

    def instances(self, cls: URIRef, layer: str) -> set[URIRef]:
        import pyoxigraph

        quads = self.store.quads_for_pattern(None, pyoxigraph.NamedNode(str(RDF.type)), pyoxigraph.NamedNode(str(cls)),
                                             self._graph_nodes[layer])
        return {URIRef(q.subject.value) for q in quads if isinstance(q.subject, pyoxigraph.NamedNode)}

    def objects(self, subject: Node, predicate: URIRef) -> list[Node]:
        to_oxigraph = TermConverter()
        quads = self.store.quads_for_pattern(to_oxigraph(subject), to_oxigraph(predicate), None, None)
        return sorted({from_oxigraph(q.object) for q in quads}, key=str)

    def ntriples(self, layer: str) -> Iterator[tuple[bytes, bytes, bytes]]:
        """Subject, predicate and object of each triple of the layer as N-Triples writes them (no rdflib term
        made), in no particular order."""
        import pyoxigraph

        if layer in self.layer_files:
            yield from ntriples_tokens(self.layer_files[layer])
            return
        # pyoxigraph's stubs do not say that dump() without an output returns bytes, never None.
        yield from ntriples_tokens(cast(bytes, self.store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES,
                                                                from_graph=self._graph_nodes[layer])))

    def sorted_ntriples(self, layer: str) -> bytes:
        """The layer's triples as canonical N-Triples lines, sorted: the order every output uses."""
        import pyoxigraph

        if layer in self.layer_files:
            return self.layer_files[layer].read_bytes()
        # pyoxigraph's stubs do not say that dump() without an output returns bytes, never None.
        text = cast(bytes, self.store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=self._graph_nodes[layer]))
        return b"".join(sorted(text.splitlines(keepends=True)))

    def turtle(self, layer: str) -> bytes:
        cached = self._turtle.get(layer)
        if cached is None:
            import pyoxigraph

            triples = pyoxigraph.parse(self.sorted_ntriples(layer), format=pyoxigraph.RdfFormat.N_TRIPLES)
            # pyoxigraph's stubs do not say that serialize() without an output returns bytes, never None.
            cached = self._turtle[layer] = cast(bytes, pyoxigraph.serialize(
                triples, format=pyoxigraph.RdfFormat.TURTLE, prefixes=self._sorted_prefixes()))
        return cached

    def trig(self) -> bytes:
        # Each graph's Turtle, already written for its own file, becomes one block of the TriG file.
        head = "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in self._sorted_prefixes().items())
        blocks = [head.encode("utf-8")]
        for layer in LAYERS:
            body = b"\n".join(line for line in self.turtle(layer).split(b"\n") if not line.startswith(b"@prefix "))
            blocks.append(b"\n<" + str(self.names[layer]).encode("utf-8") + b"> {\n" + body.strip(b"\n") + b"\n}\n")
        return b"".join(blocks)

    def _sorted_prefixes(self) -> dict[str, str]:
        # Sorted, so the prefix block is the same whatever order the vocabulary declared them in.
        return dict(sorted(self.prefixes.items()))

    def close(self) -> None:
        self._turtle.clear()
        self._asserted = []

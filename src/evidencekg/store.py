"""Where a built graph lives: rdflib graphs (the reference engine) or one pyoxigraph store (the fast engine).

A knowledge graph has four layers, each a named graph of the TriG output:
``asserted`` (from the records), ``inferred`` (OWL RL), ``derived`` (the
evidence relations of ``queries/derive/``) and ``ontology``. Both engines
expose them through the same small interface, so the stages after inference
(derivation, SHACL, queries, outputs) do not care which one holds them:

* :class:`RdflibLayers` keeps four rdflib graphs and runs SPARQL with rdflib;
  it is the reference, slow but simple.
* :class:`OxigraphLayers` keeps the quads in an in-memory pyoxigraph store and
  runs SPARQL there; rdflib graphs of a layer are made only when a caller asks
  for one (analyses and reports do, the build and the gate do not).

Output is deterministic with both: the fast engine sorts each graph's
canonical N-Triples lines before handing them to oxigraph's Turtle and TriG
writers, because the store's own order changes from run to run.

>>> import evidencekg
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir(), engine="fast")
>>> kg.layers.count("asserted") == len(kg.asserted)
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any, Protocol

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from .errors import QueryError
from .namespaces import PREFIXES
from .queries import NamedQuery, QueryResult, check_bindings, construct, run_query
from .rdf import new_graph

LAYERS = ("asserted", "inferred", "derived", "ontology")
"""The layers of a knowledge graph, in the order outputs list them."""

ENGINES = ("fast", "reference")


class GraphLayers(Protocol):
    """What the stages after inference need from wherever the triples live."""

    names: Mapping[str, URIRef]

    def graph(self, layer: str) -> Graph: ...
    def count(self, layer: str) -> int: ...
    def instances(self, cls: URIRef, layer: str) -> set[URIRef]: ...
    def objects(self, subject: Node, predicate: URIRef) -> list[Node]: ...
    def union(self) -> Graph: ...
    def select(self, query: NamedQuery, bindings: Mapping[str, Node] | None = None) -> QueryResult: ...
    def construct_into(self, query: NamedQuery, layer: str) -> None: ...
    def turtle(self, layer: str) -> bytes: ...
    def trig(self) -> bytes: ...


class _Layers:
    """What both engines share: the union of the layers as one rdflib graph, for analyses."""

    def graph(self, layer: str) -> Graph:
        raise NotImplementedError

    def union(self) -> Graph:
        """Every layer in one rdflib graph, built on first use; treat it as read-only."""
        return self._union

    @cached_property
    def _union(self) -> Graph:
        merged = new_graph()
        for layer in LAYERS:
            merged.addN((s, p, o, merged) for s, p, o in self._triples(layer))
        return merged

    def _triples(self, layer: str) -> Iterable[tuple[Node, Node, Node]]:
        return self.graph(layer)


class RdflibLayers(_Layers):
    """The reference engine: one rdflib graph per layer."""

    def __init__(self, names: Mapping[str, URIRef], graphs: Mapping[str, Graph]) -> None:
        self.names = dict(names)
        self._graphs = {layer: graphs.get(layer, new_graph()) for layer in LAYERS}

    def graph(self, layer: str) -> Graph:
        return self._graphs[layer]

    def count(self, layer: str) -> int:
        return len(self._graphs[layer])

    def instances(self, cls: URIRef, layer: str) -> set[URIRef]:
        return {s for s in self._graphs[layer].subjects(RDF.type, cls) if isinstance(s, URIRef)}

    def objects(self, subject: Node, predicate: URIRef) -> list[Node]:
        return sorted({o for layer in LAYERS for o in self._graphs[layer].objects(subject, predicate)}, key=str)


    def select(self, query: NamedQuery, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        return run_query(self.union(), query, bindings)

    def construct_into(self, query: NamedQuery, layer: str) -> None:
        target = self._graphs[layer]
        for triple in construct(self.union(), query):
            target.add(triple)
            self._union.add(triple)

    def turtle(self, layer: str) -> bytes:
        return self._graphs[layer].serialize(format="turtle", encoding="utf-8")

    def trig(self) -> bytes:
        return to_trig([(self.names[layer], self._graphs[layer]) for layer in LAYERS])


def to_trig(named_graphs: Sequence[tuple[URIRef, Graph]]) -> bytes:
    """TriG with the named graphs in the given order.

    rdflib's TriG writer orders graphs by its store's hashing, which changes
    between runs; each graph's Turtle body is deterministic, so the graphs are
    written one by one under a single prefix block.
    """
    declared: dict[str, str] = {}
    bodies = []
    for name, graph in named_graphs:
        scratch = new_graph()
        for prefix, namespace in graph.namespaces():
            if prefix and prefix not in PREFIXES:
                scratch.bind(prefix, namespace)
        for triple in graph:
            scratch.add(triple)
        text = scratch.serialize(format="turtle")
        # rdflib writes the prefix block first, then a blank line; only that block is moved. The body is
        # not indented or filtered: a line inside a multi-line literal is part of its value.
        head, _, statements = text.partition("\n\n") if text.startswith("@prefix") else ("", "", text)
        for line in head.splitlines():
            declared.setdefault(line, name)
        statements = statements.strip()
        bodies.append(f"\n<{name}> {{\n{statements}\n}}\n")
    labels = [line.split()[1] for line in declared]
    if len(labels) != len(set(labels)):  # pragma: no cover - prefixes are bound explicitly upstream
        raise AssertionError(f"conflicting prefixes across named graphs: {sorted(declared)}")
    return ("".join(f"{line}\n" for line in sorted(declared)) + "".join(bodies)).encode("utf-8")



class OxigraphLayers(_Layers):
    """The fast engine: every layer a named graph of one in-memory pyoxigraph store."""

    def __init__(self, names: Mapping[str, URIRef], prefixes: Mapping[str, str] | None = None) -> None:
        import pyoxigraph

        self.names = dict(names)
        self.store = pyoxigraph.Store()
        self.prefixes = dict(prefixes or PREFIXES)
        self._graph_nodes = {layer: pyoxigraph.NamedNode(str(iri)) for layer, iri in self.names.items()}
        self._graphs: dict[str, Graph] = {}
        self._turtle: dict[str, bytes] = {}

    def add(self, layer: str, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Add rdflib triples to a layer."""
        import pyoxigraph

        to_ox = TermConverter()
        graph = self._graph_nodes[layer]
        self.store.bulk_extend(pyoxigraph.Quad(to_ox(s), to_ox(p), to_ox(o), graph) for s, p, o in triples)
        self._graphs.pop(layer, None)
        self._turtle.pop(layer, None)

    def graph(self, layer: str) -> Graph:
        graph = self._graphs.get(layer)
        if graph is None:
            graph = self._graphs[layer] = new_graph()
            for prefix, namespace in self.prefixes.items():
                graph.bind(prefix, namespace, replace=True)
            graph.addN((s, p, o, graph) for s, p, o in self._triples(layer))
        return graph

    def _triples(self, layer: str) -> Iterator[tuple[Node, Node, Node]]:
        # Straight from the store, each distinct term converted once: the union is built without
        # first building every layer's graph.
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
        rows = self.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{self.names[layer]}> {{ ?s ?p ?o }} }}")
        return int(next(iter(rows))["n"].value)

    def instances(self, cls: URIRef, layer: str) -> set[URIRef]:
        import pyoxigraph

        quads = self.store.quads_for_pattern(None, pyoxigraph.NamedNode(str(RDF.type)), pyoxigraph.NamedNode(str(cls)),
                                             self._graph_nodes[layer])
        return {URIRef(q.subject.value) for q in quads if isinstance(q.subject, pyoxigraph.NamedNode)}

    def objects(self, subject: Node, predicate: URIRef) -> list[Node]:
        to_ox = TermConverter()
        quads = self.store.quads_for_pattern(to_ox(subject), to_ox(predicate), None, None)
        return sorted({from_oxigraph(q.object) for q in quads}, key=str)


    def _run(self, query: NamedQuery, bindings: Mapping[str, Node] | None) -> Any:
        check_bindings(query, bindings or {})
        text = with_values(query, bindings) if bindings else query.text
        try:
            return self.store.query(text, prefixes=dict(PREFIXES), use_default_graph_as_union=True)
        except (SyntaxError, OSError, ValueError, RuntimeError) as exc:
            raise QueryError(f"{query.path}: query failed: {exc}") from None

    def select(self, query: NamedQuery, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        import pyoxigraph

        solutions = self._run(query, bindings)
        if not isinstance(solutions, pyoxigraph.QuerySolutions):
            raise QueryError(f"{query.path}: only SELECT queries produce rows")
        variables = tuple(v.value for v in solutions.variables)
        rows = tuple(tuple(None if solution[name] is None else from_oxigraph(solution[name]) for name in variables)
                     for solution in solutions)
        return QueryResult(variables, rows)

    def construct_into(self, query: NamedQuery, layer: str) -> None:
        import pyoxigraph

        triples = self._run(query, None)
        if not isinstance(triples, pyoxigraph.QueryTriples):
            raise QueryError(f"{query.path}: a derivation query must be a CONSTRUCT query")
        graph = self._graph_nodes[layer]
        # Materialised before inserting: the query reads the store it would otherwise be writing to.
        # (The same query run as INSERT … USING … WHERE was twice as slow in oxigraph 0.5.)
        quads = [pyoxigraph.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
        self.store.bulk_extend(quads)
        self._graphs.pop(layer, None)
        self._turtle.pop(layer, None)

    def sorted_ntriples(self, layer: str) -> bytes:
        """The layer's triples as canonical N-Triples lines, sorted: the order every output uses."""
        import pyoxigraph

        text = self.store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=self._graph_nodes[layer])
        return b"".join(sorted(text.splitlines(keepends=True)))

    def turtle(self, layer: str) -> bytes:
        cached = self._turtle.get(layer)
        if cached is None:
            import pyoxigraph

            triples = pyoxigraph.parse(self.sorted_ntriples(layer), format=pyoxigraph.RdfFormat.N_TRIPLES)
            cached = self._turtle[layer] = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE,
                                                                prefixes=self._used_prefixes())
        return cached

    def trig(self) -> bytes:
        # Each graph's Turtle, already written for its own file, becomes one block of the TriG file.
        head = "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in self._used_prefixes().items())
        blocks = [head.encode("utf-8")]
        for layer in LAYERS:
            body = b"\n".join(line for line in self.turtle(layer).split(b"\n") if not line.startswith(b"@prefix "))
            blocks.append(b"\n<" + str(self.names[layer]).encode("utf-8") + b"> {\n" + body.strip(b"\n") + b"\n}\n")
        return b"".join(blocks)

    def _used_prefixes(self) -> dict[str, str]:
        # Sorted, so the prefix block is the same whatever order the vocabulary declared them in.
        return dict(sorted(self.prefixes.items()))


def with_values(query: NamedQuery, bindings: Mapping[str, Node]) -> str:
    """The query with ``VALUES`` binding each variable at the start of its WHERE group.

    pyoxigraph's own substitution only binds projected variables, where rdflib binds any; a VALUES
    block in the outermost group binds any variable of that group, and the terms are written by
    oxigraph, escaped, never formatted by hand.
    """
    text = query.text
    select = _keyword(text, "SELECT")
    if select < 0:
        raise QueryError(f"{query.path}: only SELECT queries take bindings")
    group = next((position for position, char, depth in _code_characters(text)
                  if position > select and depth == 0 and char == "{"), -1)
    if group < 0:
        raise QueryError(f"{query.path}: no WHERE group to bind values in")
    to_ox = TermConverter()
    values = " ".join(f"VALUES ?{name} {{ {to_ox(value)} }}" for name, value in sorted(bindings.items()))
    return f"{text[:group + 1]} {values} {text[group + 1:]}"


def _keyword(text: str, word: str) -> int:
    """Where ``word`` first appears as a keyword, outside comments, strings and IRIs (-1 if nowhere)."""
    for position, _char, depth in _code_characters(text):
        if depth == 0 and text.startswith(word, position) and not text[position - 1:position].isalnum():
            return position
    return -1


def _code_characters(text: str) -> Iterator[tuple[int, str, int]]:
    """(position, character, brace depth before it) of every character outside comments, strings and IRIs."""
    depth, position, length = 0, 0, len(text)
    while position < length:
        char = text[position]
        if char == "#":
            position = text.find("\n", position)
            position = length if position < 0 else position
            continue
        if char in "\"'":
            quote = text[position:position + 3] if text[position:position + 3] in ('"""', "'''") else char
            end = position + len(quote)
            while end < length and not text.startswith(quote, end):
                end += 2 if text[end] == "\\" else 1
            position = end + len(quote)
            continue
        if char == "<" and re.match(r"<[^\s<>\"{}|^`]*>", text[position:]):
            position = text.index(">", position) + 1
            continue
        if char == "}":
            depth -= 1
        yield position, char, depth
        if char == "{":
            depth += 1
        position += 1


class TermConverter:
    """rdflib terms → pyoxigraph terms, converting each distinct IRI once (they repeat across thousands of triples)."""

    def __init__(self) -> None:
        import pyoxigraph

        self._ox = pyoxigraph
        self._iris: dict[str, Any] = {}

    def __call__(self, term: Node) -> Any:
        ox = self._ox
        if isinstance(term, URIRef):
            node = self._iris.get(term)
            if node is None:
                node = self._iris[term] = ox.NamedNode(str(term))
            return node
        if isinstance(term, BNode):
            return ox.BlankNode(str(term))
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is not None:
                datatype = self._iris.get(term.datatype)
                if datatype is None:
                    datatype = self._iris[term.datatype] = ox.NamedNode(str(term.datatype))
                return ox.Literal(str(term), datatype=datatype)
            return ox.Literal(str(term))
        raise TypeError(f"not an RDF term: {term!r}")


_XSD_STRING = str(XSD.string)
_LANG_STRING = str(RDF.langString)


def from_oxigraph(term: Any) -> Node:
    """A pyoxigraph term as the rdflib term the reference engine would hold."""
    import pyoxigraph

    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        # rdflib keeps a plain literal apart from an xsd:string one; records only make plain ones.
        if datatype in (_XSD_STRING, _LANG_STRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"not an RDF term: {term!r}")


def new_layers(engine: str, names: Mapping[str, URIRef], graphs: Mapping[str, Iterable[Sequence[Node]]],
               prefixes: Mapping[str, str] | None = None) -> GraphLayers:
    """Layers of the given engine, filled with the triples of ``graphs`` (layer → triples)."""
    if engine == "reference":
        filled = {}
        for layer, triples in graphs.items():
            graph = triples if isinstance(triples, Graph) else new_graph()
            if graph is not triples:
                graph.addN((s, p, o, graph) for s, p, o in triples)
            filled[layer] = graph
        return RdflibLayers(names, filled)
    if engine == "fast":
        layers = OxigraphLayers(names, prefixes)
        for layer, triples in graphs.items():
            layers.add(layer, triples)
        return layers
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")

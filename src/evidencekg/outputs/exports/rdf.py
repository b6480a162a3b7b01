"""RDF for linked-data stores: Turtle, sorted canonical N-Triples, N-Quads, TriG and JSON-LD.

Every format is read from the engine's layers (``triples(layer)``, ``trig()``), never from an rdflib copy of
the whole graph; pyoxigraph writes the canonical N-Triples lines, which are sorted, so every file is the
same from run to run. N-Triples and Turtle hold the four layers in one graph; N-Quads, TriG and JSON-LD
keep each layer in its named graph (``…/graph/asserted``, ``inferred``, ``derived``, ``ontology``).

>>> import evidencekg
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
>>> lines = render_ntriples(kg).splitlines()
>>> lines == sorted(set(lines))
True
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ...engines.base import LAYERS
from ...namespaces import PREFIXES
from ...rdf.terms import TermConverter
from ...resources import ontology_path

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph


def _canonical_lines(quads: Iterable[Any], fmt: Any) -> list[bytes]:
    import pyoxigraph

    text = cast(bytes, pyoxigraph.serialize(quads, format=fmt))  # without an output, serialize() gives bytes
    return text.splitlines(keepends=True)


def _layer_lines(kg: KnowledgeGraph, layers: Iterable[str], with_graph: bool) -> Iterator[bytes]:
    import pyoxigraph

    convert = TermConverter()
    for layer in layers:
        if with_graph:
            graph = pyoxigraph.NamedNode(str(kg.engine.names[layer]))
            items: Any = (pyoxigraph.Quad(convert(s), convert(p), convert(o), graph)
                          for s, p, o in kg.engine.triples(layer))
            yield from _canonical_lines(items, pyoxigraph.RdfFormat.N_QUADS)
        else:
            items = (pyoxigraph.Triple(convert(s), convert(p), convert(o)) for s, p, o in kg.engine.triples(layer))
            yield from _canonical_lines(items, pyoxigraph.RdfFormat.N_TRIPLES)


def render_ntriples(kg: KnowledgeGraph) -> bytes:
    """Every layer in one graph as canonical N-Triples, one statement a line, sorted and without repeats."""
    return b"".join(sorted(set(_layer_lines(kg, LAYERS, with_graph=False))))


def render_nquads(kg: KnowledgeGraph) -> bytes:
    """Every layer in its named graph as canonical N-Quads, sorted."""
    return b"".join(sorted(_layer_lines(kg, LAYERS, with_graph=True)))


def render_trig(kg: KnowledgeGraph) -> bytes:
    """Every layer in its named graph as TriG: the engine's own deterministic serialisation."""
    return kg.engine.trig()


@cache
def ontology_prefixes() -> dict[str, str]:
    """The prefixes the ontology file declares, with those every evidencekg graph binds, sorted by prefix."""
    import pyoxigraph

    parser = pyoxigraph.parse(path=str(ontology_path()), format=pyoxigraph.RdfFormat.TURTLE)
    for _ in parser:  # the prefixes are known once the document is read
        pass
    return dict(sorted({**PREFIXES, **parser.prefixes}.items()))


def render_turtle(kg: KnowledgeGraph) -> bytes:
    """Every layer in one graph as Turtle, with the ontology's prefixes, in the sorted N-Triples' order."""
    import pyoxigraph

    triples = pyoxigraph.parse(render_ntriples(kg), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return cast(bytes, pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE,
                                            prefixes=ontology_prefixes()))


_SAFE_SUFFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


class Compactor:
    """IRIs as compact IRIs (``ekg:Finding``) where a prefix of the context covers them."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        # Longest namespace first, so that a namespace inside another wins.
        self.namespaces = sorted(((ns, prefix) for prefix, ns in prefixes.items()), key=lambda x: -len(x[0]))

    def __call__(self, iri: str) -> str:
        for namespace, prefix in self.namespaces:
            if iri.startswith(namespace) and _SAFE_SUFFIX.fullmatch(iri[len(namespace):]):
                return f"{prefix}:{iri[len(namespace):]}"
        return iri


def _jsonld_id(term: Node, compact: Compactor) -> str:
    return f"_:{term}" if isinstance(term, BNode) else compact(str(term))


def _jsonld_value(term: Node, compact: Compactor) -> Any:
    if not isinstance(term, Literal):
        return {"@id": _jsonld_id(term, compact)}
    if term.language:
        return {"@value": str(term), "@language": term.language}
    if term.datatype is None or term.datatype == XSD.string:
        return {"@value": str(term)}
    return {"@value": str(term), "@type": compact(str(term.datatype))}


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def render_jsonld(kg: KnowledgeGraph) -> bytes:
    """Every layer as a named graph of one JSON-LD document with an inline context of the ontology's prefixes."""
    prefixes = ontology_prefixes()
    compact = Compactor(prefixes)
    graphs = []
    for layer in LAYERS:
        nodes: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in kg.engine.triples(layer):
            node = nodes[_jsonld_id(s, compact)]
            if p == RDF.type and isinstance(o, URIRef):
                node["@type"].append(compact(str(o)))
            else:
                node[compact(str(p))].append(_jsonld_value(o, compact))
        objects = []
        for identifier in sorted(nodes):
            entry: dict[str, Any] = {"@id": identifier}
            for key in sorted(nodes[identifier]):
                entry[key] = sorted(nodes[identifier][key], key=_sort_key)
            objects.append(entry)
        graphs.append({"@id": str(kg.engine.names[layer]), "@graph": objects})
    document = {"@context": prefixes, "@graph": graphs}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")

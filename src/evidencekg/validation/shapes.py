"""The shapes a graph is validated against: evidencekg's own (``ontology/shapes/``), and any a user adds.

User shapes files are read as RDF data files are (:func:`~evidencekg.rdf.graphs.parse_rdf_file`):
a JSON-LD shapes file must hold its ``@context`` inline, an RDF/XML one must not
declare DTD entities, nothing is fetched, and every term must be well-formed RDF.

>>> shapes = load_shapes()
>>> len(shapes) > 0
True
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from rdflib import Graph
from rdflib.term import Node

from ..rdf.graphs import new_graph, parse_rdf_file
from ..resources import shapes_paths


@cache
def _bundled_shapes() -> tuple[tuple[Node, Node, Node], ...]:
    graph = Graph()
    for path in shapes_paths():
        graph.parse(path, format="turtle")
    return tuple(graph)


def load_shapes(extra: Iterable[Path] = ()) -> Graph:
    """evidencekg's shapes, plus any extra shapes files a user supplies."""
    shapes = new_graph()
    for triple in _bundled_shapes():
        shapes.add(triple)
    for path in extra:
        parse_rdf_file(path, _rdf_format(path), shapes)
    return shapes


def _rdf_format(path: Path) -> str:
    from rdflib.util import guess_format

    return guess_format(str(path)) or "turtle"



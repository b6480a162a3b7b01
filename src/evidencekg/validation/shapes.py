"""The shapes a graph is validated against: evidencekg's own (``ontology/shapes/``), and any a user adds.

User shapes files are read inside the network guard: a JSON-LD shapes file
naming a remote ``@context``, or an RDF/XML one with an external entity, is
refused, never fetched.

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

from ..errors import InputError
from ..offline import NetworkRefused, offline
from ..rdf.graphs import new_graph
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
        try:
            with offline():
                shapes.parse(path, format=_rdf_format(path))
        except NetworkRefused as exc:
            raise InputError(str(path), f"{exc}: remote contexts and external entities are not fetched") from None
        except Exception as exc:  # rdflib raises many unrelated types for bad syntax
            detail = " ".join(str(exc).split())
            raise InputError(str(path), f"cannot read shapes: {detail[:240]}") from None
    return shapes


def _rdf_format(path: Path) -> str:
    from rdflib.util import guess_format

    return guess_format(str(path)) or "turtle"



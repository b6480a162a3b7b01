"""GraphML: the property graph as a network for Gephi or Cytoscape, written as networkx's GraphML writer writes it.

Nodes are the property graph's, with ``iri``, ``labels`` (``Resource`` first, joined with ``:``) and
their properties; edges carry ``type`` and the relationship's properties. GraphML has no lists, so a
list value is written as JSON text. The file is always well-formed XML: characters XML 1.0 cannot hold
(control characters other than tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF)
become U+FFFD in values.

The document is streamed to the file, element by element: building it as a networkx graph and then as
an XML tree first took minutes and gigabytes at 12,500 studies (2 million edges). The bytes are those
``networkx.write_graphml`` gives for :func:`to_network` (keys in the order networkx declares them, edges
in its adjacency order, its escaping); ``tests/test_exports.py`` holds the two equal.

>>> import evidencekg
>>> render_graphml(evidencekg.build_graph(evidencekg.bundled_data_dir())).startswith(b"<?xml")
True
>>> xml_text("a\\x01b\\ufffe")
'a\\ufffdb\\ufffd'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...atomic import check_target, write_files
from .model import PropertyGraph, iter_node_rows, property_graph

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 does not allow in a document."""

_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;",
                            "\r": "&#13;"})
"""How libxml2 (through lxml, networkx's writer) escapes text and attribute values."""

_XML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
"""The ``attr.type`` networkx declares for a value of each Python type."""

_HEADER = ("<?xml version='1.0' encoding='utf-8'?>\n"
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
           'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">')


def xml_text(value: str) -> str:
    """``value`` with every character XML cannot hold replaced by U+FFFD."""
    # Printable text holds none of them; the test is much cheaper than the substitution.
    return value if value.isprintable() else _NOT_XML.sub("\ufffd", value)


def _attribute(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        value = json.dumps(list(value), ensure_ascii=False)
    return xml_text(value) if isinstance(value, str) else value


Data = list[tuple[str, Any]]


def _node_rows(graph: PropertyGraph) -> Iterator[tuple[str, Data]]:
    for node, labels in iter_node_rows(graph):
        data: Data = [("labels", ":".join(labels))]
        data += [(key, _attribute(graph.node_value(node, key))) for key in node.properties]
        yield xml_text(node.iri), data


def _edge_data(graph: PropertyGraph, index: int) -> Data:
    rel = graph.relationships[index]
    return [("type", rel.type), *((key, _attribute(value)) for key, value in rel.properties)]


def to_network(graph: PropertyGraph) -> Any:
    """The property graph as a networkx multi-digraph, node ids the ``iri``s, edge keys numbered in order."""
    import networkx as nx  # type: ignore[import-untyped]  # networkx ships no type information

    network = nx.MultiDiGraph()
    for node_id, data in _node_rows(graph):
        network.add_node(node_id, **dict(data))
    for index, rel in enumerate(graph.relationships):
        network.add_edge(xml_text(rel.start), xml_text(rel.end), key=f"e{index}", **dict(_edge_data(graph, index)))
    return network


def graphml_parts(graph: PropertyGraph) -> Iterator[str]:
    """The GraphML document of the property graph, in pieces to write one after another."""
    nodes = dict(_node_rows(graph))
    relationships = graph.relationships
    # networkx lists a node's edges by target, in the order each target was first reached, then by key.
    adjacency: dict[str, dict[str, list[int]]] = {node_id: {} for node_id in nodes}
    escaped: dict[str, str] = {}
    for index, rel in enumerate(relationships):
        start, end = rel.start, rel.end
        for iri in (start, end):
            if iri not in escaped:
                escaped[iri] = xml_text(iri)
        start, end = escaped[start], escaped[end]
        # An end that is no node of the graph becomes one without data, after the others, as in networkx.
        targets = adjacency.setdefault(start, {})
        adjacency.setdefault(end, {})
        targets.setdefault(end, []).append(index)
    keys: dict[tuple[str, str, str], str] = {}

    def declare(data: Data, scope: str) -> None:
        for name, value in data:
            key = (name, _XML_TYPES[type(value)], scope)
            if key not in keys:
                keys[key] = f"d{len(keys)}"

    for data in nodes.values():
        declare(data, "node")
    # Relationships share a handful of property sets: each is rendered once.
    bodies: dict[tuple[str, tuple[Any, ...]], str] = {}
    for index, rel in enumerate(relationships):
        if (rel.type, rel.properties) not in bodies:
            data = _edge_data(graph, index)
            declare(data, "edge")
            bodies[rel.type, rel.properties] = _data_lines(data, keys, "edge")

    yield _HEADER
    # Each key is declared in front of the ones before it, as networkx inserts them.
    yield "".join(f'<key id="{key_id}" for="{scope}" attr.name="{name.translate(_ATTRIBUTE)}" '
                  f'attr.type="{kind}"/>\n' for (name, kind, scope), key_id in reversed(keys.items()))
    yield '<graph edgedefault="directed">'
    batch: list[str] = []
    for node_id in adjacency:
        lines = _data_lines(nodes.get(node_id, []), keys, "node")
        attribute = node_id.translate(_ATTRIBUTE)
        batch.append(f'<node id="{attribute}">\n{lines}</node>\n' if lines else f'<node id="{attribute}"/>\n')
        if len(batch) >= 10_000:
            yield "".join(batch)
            batch = []
    for start, targets in adjacency.items():
        source = start.translate(_ATTRIBUTE)
        for end, indices in targets.items():
            target = end.translate(_ATTRIBUTE)
            for index in indices:
                rel = relationships[index]
                batch.append(f'<edge source="{source}" target="{target}" id="e{index}">\n'
                             f"{bodies[rel.type, rel.properties]}</edge>\n")
            if len(batch) >= 10_000:
                yield "".join(batch)
                batch = []
    batch.append("</graph></graphml>")
    yield "".join(batch)


def _data_lines(data: Data, keys: dict[tuple[str, str, str], str], scope: str) -> str:
    return "".join(f'  <data key="{keys[name, _XML_TYPES[type(value)], scope]}">{str(value).translate(_TEXT)}</data>\n'
                   for name, value in data)


def render_graphml(kg: KnowledgeGraph, graph: PropertyGraph | None = None) -> bytes:
    """The property graph as GraphML bytes, always well-formed XML."""
    return "".join(graphml_parts(graph or property_graph(kg))).encode("utf-8")


def write_graphml(kg: KnowledgeGraph, path: Path) -> Path:
    """Export the property graph as GraphML, written atomically.

    Raises ``InputError`` (nothing written) if ``path`` exists and is not a regular file.
    """
    path = Path(path)
    check_target(path)
    parts = (part.encode("utf-8") for part in graphml_parts(property_graph(kg)))
    return write_files({path.name: parts}, path.parent)[0]

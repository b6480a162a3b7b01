"""GraphML: the property graph as a network for Gephi or Cytoscape, through networkx's GraphML writer.

Nodes are the property graph's, with ``iri``, ``labels`` (``Resource`` first, joined with ``:``) and
their properties; edges carry ``type`` and the relationship's properties. GraphML has no lists, so a
list value is written as JSON text. The file is always well-formed XML: characters XML 1.0 cannot hold
(control characters other than tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF)
become U+FFFD in values.

>>> import evidencekg
>>> render_graphml(evidencekg.build_graph(evidencekg.bundled_data_dir())).startswith(b"<?xml")
True
>>> xml_text("a\\x01b\\ufffe")
'a\\ufffdb\\ufffd'
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...atomic import check_target, write_files
from .model import PropertyGraph, iter_node_rows, property_graph

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 does not allow in a document."""


def xml_text(value: str) -> str:
    """``value`` with every character XML cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


def _attribute(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        value = json.dumps(list(value), ensure_ascii=False)
    return xml_text(value) if isinstance(value, str) else value


def to_network(graph: PropertyGraph) -> Any:
    """The property graph as a networkx multi-digraph, node ids the ``iri``s, edge keys numbered in order."""
    import networkx as nx  # type: ignore[import-untyped]  # networkx ships no type information

    network = nx.MultiDiGraph()
    for node, labels in iter_node_rows(graph):
        attributes = {key: _attribute(graph.node_value(node, key)) for key in node.properties}
        network.add_node(xml_text(node.iri), labels=":".join(labels), **attributes)
    for index, rel in enumerate(graph.relationships):
        attributes = {key: _attribute(value) for key, value in rel.properties}
        network.add_edge(xml_text(rel.start), xml_text(rel.end), key=f"e{index}", type=rel.type, **attributes)
    return network


def render_graphml(kg: KnowledgeGraph, graph: PropertyGraph | None = None) -> bytes:
    """The property graph as GraphML bytes, always well-formed XML."""
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_graphml(to_network(graph or property_graph(kg)), buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def write_graphml(kg: KnowledgeGraph, path: Path) -> Path:
    """Export the property graph as GraphML, written atomically.

    Raises ``InputError`` (nothing written) if ``path`` exists and is not a regular file.
    """
    path = Path(path)
    check_target(path)
    return write_files({path.name: render_graphml(kg)}, path.parent)[0]

"""GraphML export: the asserted and derived triples as a network for Gephi or Cytoscape.

The file is always well-formed XML: characters XML 1.0 cannot hold (control
characters other than tab, newline and carriage return, lone surrogates,
U+FFFE and U+FFFF) are replaced with U+FFFD in labels and values, and written as
``\\uXXXX`` escapes in node ids and edge keys so that distinct ids stay distinct.

>>> import evidencekg, io
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
>>> render_graphml(kg).startswith(b"<?xml")
True
>>> xml_text("a\\x01b\\ufffe"), xml_id("a\\x01b")
('a\\ufffdb\\ufffd', 'a\\\\u0001b')
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ...analysis.controversies import to_networkx
from ...atomic import check_target, write_files
from ...knowledge_graph import KnowledgeGraph

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 does not allow in a document."""


def xml_text(value: str) -> str:
    """``value`` with every character XML cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


def xml_id(value: str) -> str:
    """``value`` with every character XML cannot hold written as a ``\\uXXXX`` escape (ids stay distinct:
    literal node ids are N3, whose backslashes are already escaped)."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04X}", value)


def _xml_value(value: Any) -> Any:
    return xml_text(value) if isinstance(value, str) else value


def xml_safe(graph: Any) -> Any:
    """A copy of a networkx multigraph whose ids, keys and string attributes XML can hold."""
    safe = graph.__class__()
    safe.graph.update({key: _xml_value(value) for key, value in graph.graph.items()})
    for node, data in graph.nodes(data=True):
        safe.add_node(xml_id(node), **{key: _xml_value(value) for key, value in data.items()})
    for source, target, key, data in graph.edges(keys=True, data=True):
        safe.add_edge(xml_id(source), xml_id(target), key=xml_id(key),
                      **{name: _xml_value(value) for name, value in data.items()})
    return safe


def render_graphml(kg: KnowledgeGraph) -> bytes:
    """The evidence network as GraphML bytes (node ids typed ``iri:``/``literal:``), always well-formed XML."""
    import networkx as nx  # type: ignore[import-untyped]  # networkx ships no type information

    buffer = io.BytesIO()
    nx.write_graphml(xml_safe(to_networkx(kg)), buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def write_graphml(kg: KnowledgeGraph, path: Path) -> Path:
    """Export the evidence network as GraphML, written atomically.

    Raises ``InputError`` (nothing written) if ``path`` exists and is not a regular file.
    """
    path = Path(path)
    check_target(path)
    return write_files({path.name: render_graphml(kg)}, path.parent)[0]

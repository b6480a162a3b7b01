"""GraphML export: the asserted and derived triples as a network for Gephi or Cytoscape.

>>> import evidencekg, io
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
>>> render_graphml(kg).startswith(b"<?xml")
True
"""

from __future__ import annotations

import io
from pathlib import Path

from ...analysis.controversies import to_networkx
from ...atomic import write_files
from ...knowledge_graph import KnowledgeGraph


def render_graphml(kg: KnowledgeGraph) -> bytes:
    """The evidence network as GraphML bytes (node ids typed ``iri:``/``literal:``)."""
    import networkx as nx  # type: ignore[import-untyped]  # networkx ships no type information

    buffer = io.BytesIO()
    nx.write_graphml(to_networkx(kg), buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def write_graphml(kg: KnowledgeGraph, path: Path) -> Path:
    """Export the evidence network as GraphML, written atomically."""
    return write_files({path.name: render_graphml(kg)}, path.parent)[0]

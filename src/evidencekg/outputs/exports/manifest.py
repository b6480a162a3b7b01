"""The manifest an export writes beside its files: what was exported, the graph's counts, each file's SHA-256."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...resources import package_version

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph
    from .model import PropertyGraph


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def manifest_bytes(fmt: str, kg: KnowledgeGraph, files: Mapping[str, bytes], graph: PropertyGraph | None = None,
                   **extra: Any) -> bytes:
    """The manifest as JSON bytes, keys sorted, the same from run to run for the same graph."""
    manifest: dict[str, Any] = {
        "format": fmt,
        "evidencekg": package_version(),
        "counts": kg.counts(),
        "graphs": {layer: str(iri) for layer, iri in kg.graph_names().items()},
        "files": {name: sha256(content) for name, content in sorted(files.items())},
        **extra,
    }
    if graph is not None:
        manifest["property_graph"] = graph.summary()
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")

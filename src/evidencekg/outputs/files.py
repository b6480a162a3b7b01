"""What ``evidencekg build`` writes: each layer as Turtle, all of them as TriG, and a manifest of counts and hashes.

>>> import evidencekg
>>> files = render_outputs(evidencekg.build_graph(evidencekg.bundled_data_dir()))
>>> sorted(files)
['asserted.ttl', 'derived.ttl', 'evidence.trig', 'inferred.ttl', 'manifest.json']
"""

from __future__ import annotations

import hashlib
import json

from ..knowledge_graph import KnowledgeGraph

ASSERTED_FILE = "asserted.ttl"
INFERRED_FILE = "inferred.ttl"
DERIVED_FILE = "derived.ttl"
DATASET_FILE = "evidence.trig"
MANIFEST_FILE = "manifest.json"


def render_outputs(kg: KnowledgeGraph) -> dict[str, bytes]:
    """File name → content of everything a build writes, byte-identical from run to run."""
    engine = kg.engine
    files = {
        ASSERTED_FILE: engine.turtle("asserted"),
        INFERRED_FILE: engine.turtle("inferred"),
        DERIVED_FILE: engine.turtle("derived"),
        DATASET_FILE: engine.trig(),
    }
    manifest = {
        "counts": kg.counts(),
        "graphs": {key: str(iri) for key, iri in kg.graph_names().items()},
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())},
    }
    files[MANIFEST_FILE] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    return files

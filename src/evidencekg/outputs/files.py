"""What ``evidencekg build`` writes: each layer as Turtle, all of them as TriG, and a manifest of counts and hashes.

>>> import evidencekg
>>> files = render_outputs(evidencekg.build_graph(evidencekg.bundled_data_dir()))
>>> sorted(files)
['asserted.ttl', 'derived.ttl', 'evidence.trig', 'inferred.ttl', 'manifest.json', 'void.ttl']
"""

from __future__ import annotations

import hashlib
import json

from ..knowledge_graph import KnowledgeGraph
from .description import dataset_description
from .exports.nanopub import creation_time

ASSERTED_FILE = "asserted.ttl"
INFERRED_FILE = "inferred.ttl"
DERIVED_FILE = "derived.ttl"
DATASET_FILE = "evidence.trig"
MANIFEST_FILE = "manifest.json"
DESCRIPTION_FILE = "void.ttl"


def render_outputs(kg: KnowledgeGraph) -> dict[str, bytes]:
    """File name → content of everything a build writes, byte-identical from run to run."""
    engine = kg.engine
    files = {
        ASSERTED_FILE: engine.turtle("asserted"),
        INFERRED_FILE: engine.turtle("inferred"),
        DERIVED_FILE: engine.turtle("derived"),
        DATASET_FILE: engine.trig(),
    }
    files[DESCRIPTION_FILE] = dataset_description(kg, files, modified=source_date())
    manifest = {
        "counts": kg.counts(),
        "graphs": {key: str(iri) for key, iri in kg.graph_names().items()},
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())},
    }
    files[MANIFEST_FILE] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    return files



def source_date() -> str | None:
    """The build's date from ``SOURCE_DATE_EPOCH`` (reproducible builds), as YYYY-MM-DD; None when unset."""
    moment = creation_time()
    return None if moment is None else moment[:10]

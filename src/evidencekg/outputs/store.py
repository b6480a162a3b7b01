"""A built graph kept on disk: an Oxigraph store that queries, the endpoint and other tools open instead of rebuilding.

``DIR/oxigraph/`` is an Oxigraph (RocksDB) store holding every layer as its named
graph, the same quads as ``evidence.trig``; ``DIR/ntriples/<layer>.nt`` holds each layer
again as sorted N-Triples, which a reader of a whole layer (an export) reads several
times faster than the database; ``DIR/manifest.json`` records what it was built from:
the SHA-256 of the dataset's files, evidencekg's version, and the SHA-256 of the
ontology and derivation queries the build ran. Opening checks all three, so a store
built from another state of the dataset, by another version, or by the same version
with other derivations (an edited ontology or ``queries/derive/``) is refused instead
of answering for it.

>>> import tempfile, pathlib, evidencekg
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
>>> target = write_store(kg, pathlib.Path(tempfile.mkdtemp()) / "store")
>>> stored = open_store(target, evidencekg.bundled_data_dir())
>>> len(stored.query("contradictions")) == len(kg.query("contradictions"))
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from ..engines.fast import FastEngine
from ..errors import InputError
from ..knowledge_graph import KnowledgeGraph, UnreadRecords, run_query
from ..namespaces import PREFIXES
from ..rdf.build import to_rdf
from ..records.checks import load_dataset
from ..records.model import DatasetMetadata
from ..records.reader import DATASET_FILE, VOCABULARY_FILE, display_path, read_record, study_files
from ..resources import ontology_path, package_version, queries_dir
from ..sparql.named import NamedQuery
from ..sparql.results import QueryResult
from .directory import MANIFEST, publish_directory

STORE_FORMAT = "oxigraph-store"
"""What the manifest of a store names its format, so an export directory is never taken for one."""
OXIGRAPH_DIR = "oxigraph"
NTRIPLES_DIR = "ntriples"
"""``DIR/ntriples/<layer>.nt``: each layer as sorted N-Triples, read by whatever reads a whole layer."""


def _digest(files: Iterable[tuple[str, bytes]]) -> str:
    """SHA-256 over (name, content) pairs: each name with its length, then its content's own SHA-256."""
    digest = hashlib.sha256()
    for name, content in files:
        encoded = name.encode("utf-8")
        digest.update(len(encoded).to_bytes(4, "big") + encoded + hashlib.sha256(content).digest())
    return digest.hexdigest()


def dataset_digest(root: Path) -> str:
    """SHA-256 over the name and content of every file of a dataset that a build reads."""
    root = Path(root)
    files = [root / VOCABULARY_FILE, *([root / DATASET_FILE] if (root / DATASET_FILE).is_file() else []),
             *study_files(root)]

    def read(path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None

    return _digest((display_path(root, path), read(path)) for path in files)


def derivation_digest() -> str:
    """SHA-256 over the shipped files that decide what a build infers and derives: the ontology and
    ``queries/derive/``. A version number changes only on release; these change in every working copy."""
    shipped = (ontology_path(), *sorted((queries_dir() / "derive").glob("*.rq")))
    return _digest((path.name, path.read_bytes()) for path in shipped)


def write_store(kg: KnowledgeGraph, target: Path | str) -> Path:
    """Write every layer of ``kg`` into an on-disk store at ``target`` (new, empty, or an earlier store)."""
    import pyoxigraph

    trig = kg.engine.trig()
    engine = kg.engine
    # Each layer also as sorted N-Triples: what exports read a whole layer from (see FastEngine.layer_files).
    layers = list(kg.graph_names()) if isinstance(engine, FastEngine) else []
    manifest = {
        "format": STORE_FORMAT,
        "contents": [OXIGRAPH_DIR, *([NTRIPLES_DIR] if layers else [])],
        "evidencekg": package_version(),
        "dataset_sha256": dataset_digest(kg.dataset.root),
        "derivations_sha256": derivation_digest(),
        "graphs": {layer: str(iri) for layer, iri in sorted(kg.graph_names().items())},
        "prefixes": dict(sorted(kg.engine.prefixes.items())) if isinstance(kg.engine, FastEngine) else {},
        "counts": kg.counts(),
    }

    def fill(staging: Path) -> None:
        store = pyoxigraph.Store(str(staging / OXIGRAPH_DIR))
        # Parsed, then added: Store.bulk_load would give the blank nodes new labels, and the outputs read
        # from the store would then differ from a build's.
        store.bulk_extend(pyoxigraph.parse(trig, format=pyoxigraph.RdfFormat.TRIG))
        store.flush()
        del store  # closes the database before the directory is renamed into place
        if layers:
            assert isinstance(engine, FastEngine)
            (staging / NTRIPLES_DIR).mkdir()
            for layer in layers:
                (staging / NTRIPLES_DIR / f"{layer}.nt").write_bytes(engine.sorted_ntriples(layer))
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    return publish_directory(Path(target), STORE_FORMAT, fill)


@dataclass(frozen=True)
class StoredGraph:
    """A graph opened from a store: the queries of a built graph, without building it."""

    location: Path
    engine: FastEngine = field(repr=False)
    manifest: Mapping[str, Any] = field(repr=False)

    def query(self, name: str | NamedQuery, bindings: Mapping[str, Node] | None = None, *,
              allow_service: bool = False) -> QueryResult:
        return run_query(self.engine, name, bindings, allow_service=allow_service)

    @property
    def oxigraph_location(self) -> Path:
        """The Oxigraph database directory, for ``oxigraph serve-read-only --location``."""
        return self.location / OXIGRAPH_DIR


def open_knowledge_graph(location: Path | str, data_dir: Path | str) -> KnowledgeGraph:
    """The built graph of ``data_dir`` as the store at ``location`` holds it: what every command reads, unbuilt.

    Only ``dataset.yaml`` is read now; the counts and prefixes come from the store's manifest. The
    other records are read if something asks for them (where a statement was written, the validated
    dataset): at 12,500 studies reading and checking them, then building the asserted triples again,
    takes minutes. The inference, derivations and SHACL are never run again.
    """
    stored = open_store(location, data_dir)
    root = Path(data_dir)
    prefixes = stored.manifest.get("prefixes") or {}
    counts = stored.manifest.get("counts") or {}
    if not prefixes or not counts:  # a store another engine wrote: its manifest does not say
        dataset = load_dataset(root)
        return KnowledgeGraph(dataset, to_rdf(dataset), stored.engine)
    namespaces = tuple(sorted((prefix, iri) for prefix, iri in prefixes.items() if prefix not in PREFIXES))
    return KnowledgeGraph.from_store(stored.engine, UnreadRecords(root, _metadata(root), namespaces, counts))


def _metadata(root: Path) -> DatasetMetadata:
    """``dataset.yaml`` alone; the store's digest says it is the file the graph was built and checked from."""
    path = root / DATASET_FILE
    if not path.is_file():
        return DatasetMetadata()
    return DatasetMetadata.model_validate(read_record(path, display_path(root, path)).data)


def open_store(location: Path | str, data_dir: Path | str) -> StoredGraph:
    """Open the store at ``location`` read-only, after checking it was built from ``data_dir`` as it is now."""
    import pyoxigraph

    location = Path(location)
    try:
        manifest = json.loads((location / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(location), "not an evidencekg store (no manifest.json); make one with "
                                        f"evidencekg build --store {location}") from None
    except (OSError, ValueError) as exc:
        raise InputError(str(location / MANIFEST), f"cannot read the store's manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != STORE_FORMAT:
        raise InputError(str(location), "not an evidencekg store (its manifest is of another kind)")
    rebuild = f"rebuild it with evidencekg build --store {location}"
    if manifest.get("evidencekg") != package_version():
        raise InputError(str(location), f"built by evidencekg {manifest.get('evidencekg')}, not by this "
                                        f"version ({package_version()}); {rebuild}")
    if manifest.get("derivations_sha256") != derivation_digest():
        raise InputError(str(location), f"built with another ontology or other derivation queries than this "
                                        f"evidencekg's; {rebuild}")
    if manifest.get("dataset_sha256") != dataset_digest(Path(data_dir)):
        raise InputError(str(location), f"built from another state of the dataset than {data_dir}; {rebuild}")
    try:
        store = pyoxigraph.Store.read_only(str(location / OXIGRAPH_DIR))
    except OSError as exc:
        raise InputError(str(location / OXIGRAPH_DIR), f"cannot open the store: {exc}") from None
    names = {layer: URIRef(iri) for layer, iri in manifest["graphs"].items()}
    files = {layer: location / NTRIPLES_DIR / f"{layer}.nt" for layer in names}
    kept = NTRIPLES_DIR in manifest.get("contents", ()) and all(path.is_file() for path in files.values())
    layer_files = files if kept else {}
    engine = FastEngine(names, manifest.get("prefixes") or None, store=store, layer_files=layer_files)
    return StoredGraph(location, engine, manifest)

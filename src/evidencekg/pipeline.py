"""The pipeline: the only module that knows the order of the stages.

records → validated model → asserted RDF → OWL RL inference → SHACL → queries,
and the writing of the graphs to an output directory. Output files are
written to a temporary directory next to the target and moved into place
only once all of them are complete, so a failed or interrupted build never
leaves a half-written file and never damages the previous outputs.

>>> import evidencekg
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
>>> kg.counts()["findings"] == len(kg.findings())
True
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, Dataset, Graph, URIRef
from rdflib.term import Node

from .errors import InputError, QueryError
from .model import Dataset as EvidenceDataset
from .model import validate_records
from .namespaces import EKG, ONTOLOGY_IRI, PREFIXES
from .offline import offline
from .queries import NamedQuery, QueryResult, derivation_queries, load_query, uses_service
from .rdf import RDF_FORMATS, BuiltGraph, base_iri, read_rdf, to_rdf
from .reason import infer_triples, ontology_triples
from .records import RECORD_SUFFIXES, VOCABULARY_FILE, display_path, read_dataset
from .resources import bundled_data_dir
from .shacl import ValidationReport, validate
from .store import ENGINES, LAYERS, GraphLayers, OxigraphLayers, new_layers

ASSERTED_FILE = "asserted.ttl"
INFERRED_FILE = "inferred.ttl"
DERIVED_FILE = "derived.ttl"
DATASET_FILE = "evidence.trig"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class KnowledgeGraph:
    """A built evidence graph: the dataset, and its asserted, inferred, derived and ontology layers kept apart."""

    dataset: EvidenceDataset
    built: BuiltGraph
    layers: GraphLayers = field(repr=False)
    """Where the triples live: rdflib graphs (``engine="reference"``) or a pyoxigraph store (``"fast"``)."""

    @property
    def engine(self) -> str:
        return "fast" if isinstance(self.layers, OxigraphLayers) else "reference"

    @property
    def asserted(self) -> Graph:
        return self.layers.graph("asserted")

    @property
    def inferred(self) -> Graph:
        return self.layers.graph("inferred")

    @property
    def derived(self) -> Graph:
        """Evidence relations (agreements, disagreements) derived by ``queries/derive/``."""
        return self.layers.graph("derived")

    @property
    def ontology(self) -> Graph:
        return self.layers.graph("ontology")

    def union(self) -> Graph:
        """Asserted + inferred + derived + ontology in one rdflib graph, as queries see it.

        Built once per knowledge graph; treat it as read-only.
        """
        return self.layers.union()

    def graph_names(self) -> dict[str, URIRef]:
        """The IRIs of the named graphs the TriG output holds."""
        return dict(self.layers.names)

    def named_graphs(self) -> list[tuple[URIRef, Graph]]:
        """(name, graph) of every named graph, in the order outputs list them."""
        return [(self.layers.names[layer], self.layers.graph(layer)) for layer in LAYERS]

    def findings(self) -> set[URIRef]:
        return self.layers.instances(EKG.Finding, "asserted")

    def counts(self) -> dict[str, int]:
        """Records in, nodes out and triples: what a build reports."""
        records = self.dataset.counts()
        out = {
            "studies_out": len(self.layers.instances(EKG.Study, "asserted")),
            "groups_out": len(self.layers.instances(EKG.Group, "asserted")),
            "findings_out": len(self.findings()),
        }
        relations = {
            "disagreements": len(self.layers.instances(EKG.Disagreement, "derived")),
            "agreements": len(self.layers.instances(EKG.Agreement, "derived")),
        }
        triples = {f"{layer}_triples": self.layers.count(layer) for layer in ("asserted", "inferred", "derived")}
        return {**records, **out, **relations, **triples}


def graph_names(base: str) -> dict[str, URIRef]:
    """Layer → the IRI of its named graph, for a dataset whose IRIs start with ``base``."""
    return {"asserted": URIRef(base + "graph/asserted"), "inferred": URIRef(base + "graph/inferred"),
            "derived": URIRef(base + "graph/derived"), "ontology": ONTOLOGY_IRI}


def build_graph(data_dir: Path | str, *, engine: str = "fast", only: Collection[Path] | None = None,
                elsewhere: Collection[str] = ()) -> KnowledgeGraph:
    """Records → validated model → asserted graph → inferred graph → derived relations, without touching the network.

    ``engine="fast"`` (the default) keeps the graph in pyoxigraph and infers with rules compiled from
    the ontology; ``"reference"`` uses rdflib and owlrl. Both give the same triples (tests/test_engines.py).
    ``only`` restricts the build to some study files, and ``elsewhere`` names the dataset's other
    studies, which then count as present (incremental validation builds such a part of a dataset).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    with offline():
        dataset = validate_records(read_dataset(Path(data_dir), only), elsewhere)
        built = to_rdf(dataset)
        # The reference engine works on the rdflib graph of the asserted triples, built once and shared.
        asserted = built.graph if engine == "reference" else built.triples
        inferred = infer_triples(asserted, engine=engine)
        prefixes = {**PREFIXES, **dict(built.namespaces)}
        layers = new_layers(engine, graph_names(base_iri(dataset)),
                            {"asserted": asserted, "inferred": inferred, "ontology": ontology_triples()},
                            prefixes)
        derive(layers)
    kg = KnowledgeGraph(dataset, built, layers)
    counts = kg.counts()
    for kind in ("studies", "groups", "findings"):
        if counts[kind] != counts[f"{kind}_out"]:  # pragma: no cover - guards the no-record-dropped promise
            raise AssertionError(f"{counts[kind]} {kind} in the records but {counts[f'{kind}_out']} in the graph")
    return kg


def derive(layers: GraphLayers) -> None:
    """Run the derivation queries in order into the ``derived`` layer, each seeing what the earlier ones derived."""
    for named in derivation_queries():
        layers.construct_into(named, "derived")


def check(kg: KnowledgeGraph, shapes: Graph | None = None) -> ValidationReport:
    """SHACL validation of a built graph, with results traced to record lines."""
    return validate_layers(kg.layers, shapes, kg.built)


def validate_layers(layers: GraphLayers, shapes: Graph | None = None,
                    source: BuiltGraph | None = None) -> ValidationReport:
    """SHACL validation of every layer together, by the engine that holds them."""
    with offline():
        if isinstance(layers, OxigraphLayers):
            from .shacl import validate_store
            from .shacl_fast import UnsupportedShapes

            try:
                return validate_store(layers.store, shapes=shapes, source=source)
            except UnsupportedShapes:
                pass  # shapes beyond what the fast engine compiles: pySHACL, on the same layers
        return validate(layers.graph("asserted"), layers.graph("inferred"), shapes=shapes, source=source,
                        derived=layers.graph("derived"))


@dataclass(frozen=True)
class CheckedInput:
    """What :func:`check_paths` validated and the report, limited to those inputs."""

    report: ValidationReport
    files: int
    records: int
    findings: int
    file_names: tuple[str, ...] = ()
    """The checked files, named as the results name them."""
    records_root: Path | None = None
    """The directory record paths in the results are relative to (None for RDF input)."""


def dataset_root_of(record: Path) -> Path:
    """The dataset directory a record file belongs to: the nearest ancestor with a vocabulary.yaml."""
    for parent in record.resolve().parents:
        if (parent / VOCABULARY_FILE).is_file():
            return parent
    raise InputError(str(record), f"not inside a dataset directory (no {VOCABULARY_FILE} above it)")


def check_paths(paths: Sequence[Path], shapes: Graph | None = None, *, engine: str = "fast") -> CheckedInput:
    """Validate a dataset directory, record files of one dataset, or RDF files produced elsewhere.

    For record files the whole dataset is built (cross-record rules need it) and the
    results are limited to those files.
    """
    rdf_files = [p for p in paths if p.suffix.lower() in RDF_FORMATS]
    record_files = [p for p in paths if p.suffix.lower() in RECORD_SUFFIXES]
    directories = [p for p in paths if p not in rdf_files and p not in record_files]
    kinds = sum(bool(group) for group in (rdf_files, record_files, directories))
    if kinds > 1 or len(directories) > 1:
        raise InputError(str(paths[0]), "validate one dataset directory, record files of one dataset, or RDF files")
    if rdf_files:
        with offline():
            graph = read_rdf(rdf_files)
            layers = new_layers(engine, graph_names("urn:evidencekg:input:"),
                                {"asserted": graph, "inferred": infer_triples(graph, engine=engine),
                                 "ontology": ontology_triples()})
            report = validate_layers(layers, shapes)
        findings = sum(1 for _ in graph.subjects(RDF.type, EKG.Finding))
        studies = sum(1 for _ in graph.subjects(RDF.type, EKG.Study))
        return CheckedInput(report, len(rdf_files), studies, findings, tuple(str(p) for p in rdf_files))
    if record_files:
        roots = {dataset_root_of(p) for p in record_files}
        if len(roots) > 1:
            raise InputError(str(record_files[0]), "the record files belong to different datasets")
        root = roots.pop()
        if any(p.resolve().parent == root for p in record_files):
            # vocabulary.yaml or dataset.yaml changed: every record may be affected.
            return check_paths([root], shapes, engine=engine)
        kg = build_graph(root, engine=engine)
        wanted = {display_path(kg.dataset.root, p.resolve()) for p in record_files}
        by_file = {record.path: study for study, record in kg.dataset.study_records.items()}
        missing = sorted(wanted - set(by_file))
        if missing:
            raise InputError(missing[0], "not a study record of the dataset (records live in studies/)")
        report = check(kg, shapes).limited_to(wanted)
        studies = [s for s in kg.dataset.studies if kg.dataset.study_records[s.id].path in wanted]
        findings = sum(len(s.findings) for s in studies)
        return CheckedInput(report, len(wanted), len(studies), findings, tuple(sorted(wanted)), root.parent)
    kg = build_graph(directories[0] if directories else bundled_data_dir(), engine=engine)
    counts = kg.counts()
    names = sorted([kg.dataset.vocabulary_record.path, *(r.path for r in kg.dataset.study_records.values())])
    return CheckedInput(check(kg, shapes), len(names), counts["studies"], counts["findings"], tuple(names),
                        Path(kg.dataset.root).resolve().parent)


def query(
    kg: KnowledgeGraph, name: str | NamedQuery, bindings: Mapping[str, Node] | None = None, *,
    allow_service: bool = False,
) -> QueryResult:
    """Run a named query (or ``.rq`` path) on the union of a built graph."""
    named = load_query(name) if isinstance(name, str) else name
    if not allow_service and uses_service(named):
        raise QueryError(f"{named.path}: the query uses SERVICE, which reaches the network; "
                         "pass --allow-service to run it")
    return kg.layers.select(named, bindings)


def serialize(graph: Graph | Dataset, fmt: str) -> bytes:
    """Serialize deterministically (rdflib's writers sort subjects and predicates; no blank nodes are written)."""
    return graph.serialize(format=fmt, encoding="utf-8")


def render_outputs(kg: KnowledgeGraph) -> dict[str, bytes]:
    """File name → content of everything a build writes."""
    files = {
        ASSERTED_FILE: kg.layers.turtle("asserted"),
        INFERRED_FILE: kg.layers.turtle("inferred"),
        DERIVED_FILE: kg.layers.turtle("derived"),
        DATASET_FILE: kg.layers.trig(),
    }
    manifest = {
        "counts": kg.counts(),
        "graphs": {key: str(iri) for key, iri in kg.graph_names().items()},
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())},
    }
    files[MANIFEST_FILE] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")
    return files


def write_outputs(files: dict[str, bytes], out_dir: Path | str) -> list[Path]:
    """Write every file, all or nothing: staged in a temporary directory, then moved into place."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".evidencekg-", dir=out))
    except OSError as exc:
        raise InputError(str(out), f"cannot write the output directory: {exc.strerror or exc}") from None
    try:
        for name, content in files.items():
            with open(staging / name, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        written = []
        for name in files:
            os.replace(staging / name, out / name)
            written.append(out / name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def build(data_dir: Path | str, out_dir: Path | str) -> tuple[KnowledgeGraph, list[Path]]:
    """Build the graph of a dataset and write it to ``out_dir``."""
    kg = build_graph(data_dir)
    return kg, write_outputs(render_outputs(kg), out_dir)

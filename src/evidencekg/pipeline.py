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
from dataclasses import dataclass, field, replace
from functools import cached_property
from collections.abc import Mapping, Sequence
from pathlib import Path

from rdflib import RDF, Dataset, Graph, URIRef
from rdflib.term import Node

from .errors import InputError
from .model import Dataset as EvidenceDataset
from .model import load_dataset
from .namespaces import EKG, ONTOLOGY_IRI, PREFIXES
from .queries import NamedQuery, QueryResult, construct, derivation_queries, run_query
from .reason import infer, load_ontology
from .offline import offline
from .rdf import RDF_FORMATS, BuiltGraph, base_iri, new_graph, read_rdf, to_rdf
from .records import RECORD_SUFFIXES, VOCABULARY_FILE, display_path
from .resources import bundled_data_dir
from .shacl import ValidationReport, validate

ASSERTED_FILE = "asserted.ttl"
INFERRED_FILE = "inferred.ttl"
DERIVED_FILE = "derived.ttl"
DATASET_FILE = "evidence.trig"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class KnowledgeGraph:
    """A built evidence graph: the dataset, its asserted and inferred triples, kept apart."""

    dataset: EvidenceDataset
    built: BuiltGraph
    inferred: Graph
    ontology: Graph = field(repr=False)
    derived: Graph = field(default_factory=Graph, repr=False)
    """Evidence relations (agreements, disagreements) derived by ``queries/derive/``."""

    @property
    def asserted(self) -> Graph:
        return self.built.graph

    def union(self) -> Graph:
        """Asserted + inferred + derived + ontology in one graph, as queries see it.

        Built once per knowledge graph; treat it as read-only.
        """
        return self._union

    @cached_property
    def _union(self) -> Graph:
        merged = Graph(bind_namespaces="none")
        for prefix, namespace in PREFIXES.items():
            merged.bind(prefix, namespace)
        for graph in (self.asserted, self.inferred, self.ontology, self.derived):
            for triple in graph:
                merged.add(triple)
        return merged

    def graph_names(self) -> dict[str, URIRef]:
        """The IRIs of the named graphs the TriG output holds."""
        base = base_iri(self.dataset)
        return {"asserted": URIRef(base + "graph/asserted"), "inferred": URIRef(base + "graph/inferred"),
                "derived": URIRef(base + "graph/derived"), "ontology": ONTOLOGY_IRI}

    def named_graphs(self) -> list[tuple[URIRef, Graph]]:
        """(name, graph) of every named graph, in the order outputs list them."""
        names = self.graph_names()
        graphs = {"asserted": self.asserted, "inferred": self.inferred, "derived": self.derived,
                  "ontology": self.ontology}
        return [(names[key], graphs[key]) for key in ("asserted", "inferred", "derived", "ontology")]

    def findings(self) -> set[URIRef]:
        return {s for s in self.asserted.subjects(RDF.type, EKG.Finding) if isinstance(s, URIRef)}

    def counts(self) -> dict[str, int]:
        """Records in, nodes out and triples: what a build reports."""
        records = self.dataset.counts()
        out = {
            "studies_out": sum(1 for _ in self.asserted.subjects(RDF.type, EKG.Study)),
            "groups_out": sum(1 for _ in self.asserted.subjects(RDF.type, EKG.Group)),
            "findings_out": len(self.findings()),
        }
        relations = {
            "disagreements": sum(1 for _ in self.derived.subjects(RDF.type, EKG.Disagreement)),
            "agreements": sum(1 for _ in self.derived.subjects(RDF.type, EKG.Agreement)),
        }
        triples = {"asserted_triples": len(self.asserted), "inferred_triples": len(self.inferred),
                   "derived_triples": len(self.derived)}
        return {**records, **out, **relations, **triples}


def build_graph(data_dir: Path | str) -> KnowledgeGraph:
    """Records → validated model → asserted graph → inferred graph, without touching the network."""
    with offline():
        dataset = load_dataset(data_dir)
        built = to_rdf(dataset)
        kg = KnowledgeGraph(dataset, built, infer(built.graph), load_ontology())
        kg = replace(kg, derived=derive(kg.union()))
    counts = kg.counts()
    for kind in ("studies", "groups", "findings"):
        if counts[kind] != counts[f"{kind}_out"]:  # pragma: no cover - guards the no-record-dropped promise
            raise AssertionError(f"{counts[kind]} {kind} in the records but {counts[f'{kind}_out']} in the graph")
    return kg


def derive(graph: Graph) -> Graph:
    """Run the derivation queries in order, each seeing what the earlier ones derived."""
    derived = new_graph()
    scratch = Graph()
    for triple in graph:
        scratch.add(triple)
    for named in derivation_queries():
        for triple in construct(scratch, named):
            derived.add(triple)
            scratch.add(triple)
    return derived


def check(kg: KnowledgeGraph, shapes: Graph | None = None) -> ValidationReport:
    """SHACL validation of a built graph, with results traced to record lines."""
    with offline():
        return validate(kg.asserted, kg.inferred, shapes=shapes, source=kg.built, derived=kg.derived)


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


def check_paths(paths: Sequence[Path], shapes: Graph | None = None) -> CheckedInput:
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
            report = validate(graph, infer(graph), shapes=shapes)
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
            return check_paths([root], shapes)
        kg = build_graph(root)
        wanted = {display_path(kg.dataset.root, p.resolve()) for p in record_files}
        by_file = {record.path: study for study, record in kg.dataset.study_records.items()}
        missing = sorted(wanted - set(by_file))
        if missing:
            raise InputError(missing[0], "not a study record of the dataset (records live in studies/)")
        report = check(kg, shapes).limited_to(wanted)
        studies = [s for s in kg.dataset.studies if kg.dataset.study_records[s.id].path in wanted]
        findings = sum(len(s.findings) for s in studies)
        return CheckedInput(report, len(wanted), len(studies), findings, tuple(sorted(wanted)), root.parent)
    kg = build_graph(directories[0] if directories else bundled_data_dir())
    counts = kg.counts()
    names = sorted([kg.dataset.vocabulary_record.path, *(r.path for r in kg.dataset.study_records.values())])
    return CheckedInput(check(kg, shapes), len(names), counts["studies"], counts["findings"], tuple(names),
                        Path(kg.dataset.root).resolve().parent)


def query(
    kg: KnowledgeGraph, name: str | NamedQuery, bindings: Mapping[str, Node] | None = None, *, allow_service: bool = False
) -> QueryResult:
    """Run a named query (or ``.rq`` path) on the union of a built graph."""
    return run_query(kg.union(), name, bindings, allow_service=allow_service)


def serialize(graph: Graph | Dataset, fmt: str) -> bytes:
    """Serialize deterministically (rdflib's writers sort subjects and predicates; no blank nodes are written)."""
    return graph.serialize(format=fmt, encoding="utf-8")


def to_trig(named_graphs: Sequence[tuple[URIRef, Graph]]) -> bytes:
    """TriG with the named graphs in the given order.

    rdflib's TriG writer orders graphs by its store's hashing, which changes
    between runs; each graph's Turtle body is deterministic, so the graphs are
    written one by one under a single prefix block.
    """
    declared: dict[str, str] = {}
    bodies = []
    for name, graph in named_graphs:
        scratch = new_graph()
        for prefix, namespace in graph.namespaces():
            if prefix and prefix not in PREFIXES:
                scratch.bind(prefix, namespace)
        for triple in graph:
            scratch.add(triple)
        text = scratch.serialize(format="turtle")
        # rdflib writes the prefix block first, then a blank line; only that block is moved. The body is
        # not indented or filtered: a line inside a multi-line literal is part of its value.
        head, _, statements = text.partition("\n\n") if text.startswith("@prefix") else ("", "", text)
        for line in head.splitlines():
            declared.setdefault(line, name)
        statements = statements.strip()
        bodies.append(f"\n<{name}> {{\n{statements}\n}}\n")
    labels = [line.split()[1] for line in declared]
    if len(labels) != len(set(labels)):  # pragma: no cover - prefixes are bound explicitly upstream
        raise AssertionError(f"conflicting prefixes across named graphs: {sorted(declared)}")
    return ("".join(f"{line}\n" for line in sorted(declared)) + "".join(bodies)).encode("utf-8")


def render_outputs(kg: KnowledgeGraph) -> dict[str, bytes]:
    """File name → content of everything a build writes."""
    files = {
        ASSERTED_FILE: serialize(kg.asserted, "turtle"),
        INFERRED_FILE: serialize(kg.inferred, "turtle"),
        DERIVED_FILE: serialize(kg.derived, "turtle"),
        DATASET_FILE: to_trig(kg.named_graphs()),
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

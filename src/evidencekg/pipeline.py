"""The pipeline: the only module that knows the order of the stages.

records → validated model → asserted RDF → (engine) OWL RL inference → derivation
of evidence relations → SHACL → queries, and the writing of the graphs. The
engine is asked for by name once, in :func:`build_graph`; every later stage
goes through the :class:`~evidencekg.engines.base.Engine` interface.

>>> import evidencekg
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
>>> evidencekg.validate(kg).report.conforms
True
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import RDF, Graph
from rdflib.term import Node

from .atomic import write_files
from .engines import Engine, open_engine
from .errors import InputError, InputErrors, plural
from .knowledge_graph import KnowledgeGraph
from .namespaces import EKG, PREFIXES
from .offline import offline
from .outputs.files import render_outputs
from .progress import NO_PROGRESS, Progress
from .rdf.build import BuiltGraph, base_iri, to_rdf
from .rdf.graphs import RDF_FORMATS, read_rdf
from .rdf.ontology import graph_names, ontology_triples
from .records.checks import validate_records
from .records.model import Dataset
from .records.reader import (
    DATASET_FILE,
    RECORD_SUFFIXES,
    STUDIES_DIR,
    VOCABULARY_FILE,
    display_path,
    read_records,
)
from .resources import bundled_data_dir
from .sparql.named import NamedQuery, derivation_queries
from .sparql.results import QueryResult
from .validation.baseline import Baseline, compare_with_baseline
from .validation.report import CheckedInput, ValidationReport, refused_input
from .validation.shapes import load_shapes

if TYPE_CHECKING:
    from .analysis.diff import EvidenceDiff

_RDF_INPUT_BASE = "urn:evidencekg:input:"


class GraphBuild:
    """One build of a knowledge graph, stage by stage, in the only order there is.

    :func:`build_graph` runs :meth:`stages` one after the other; the benchmark runs the same
    stages and times each (``bench/worker.py``). Each stage reports itself to ``progress``.
    """

    def __init__(self, data_dir: Path | str, *, engine: str = "fast", only: Collection[Path] | None = None,
                 elsewhere: Collection[str] = (), progress: Progress = NO_PROGRESS) -> None:
        self.data_dir, self.engine_name, self.only, self.elsewhere = Path(data_dir), engine, only, elsewhere
        self.progress = progress
        self.dataset: Dataset | None = None
        self.built: BuiltGraph | None = None
        self.engine: Engine | None = None

    def stages(self) -> tuple[tuple[str, Callable[[], object]], ...]:
        """(name, run) of each stage; each returns what it made."""
        return (("load", self.load), ("rdf", self.rdf), ("store", self.store), ("inference", self.infer),
                ("derive", self.derive))

    def load(self) -> Dataset:
        with self.progress.stage("reading records") as stage:
            self.dataset = dataset = validate_records(read_records(self.data_dir, self.only), self.elsewhere)
            stage.done(lambda: f"{plural(len(dataset.studies), 'study', 'studies')}, "
                               f"{plural(sum(len(s.findings) for s in dataset.studies), 'finding')}")
        return self.dataset

    def rdf(self) -> BuiltGraph:
        assert self.dataset is not None
        with self.progress.stage("building RDF") as stage:
            self.built = built = to_rdf(self.dataset)
            stage.done(lambda: plural(len(built.triples), "asserted triple"))
        return self.built

    def store(self) -> Engine:
        assert self.dataset is not None and self.built is not None
        with self.progress.stage("loading the store") as stage:
            self.engine = open_engine(self.engine_name, graph_names(base_iri(self.dataset)),
                                      {**PREFIXES, **dict(self.built.namespaces)})
            self.engine.load("asserted", self.built.triples)
            self.engine.load("ontology", ontology_triples())
            stage.done(f"{self.engine.name} engine")
        return self.engine

    def infer(self) -> Engine:
        assert self.engine is not None
        engine = self.engine
        with self.progress.stage("inference (OWL 2 RL)") as stage:
            engine.infer()
            stage.done(lambda: plural(engine.count("inferred"), "inferred triple"))
        return engine

    def derive(self) -> Engine:
        assert self.engine is not None
        engine, queries = self.engine, derivation_queries()
        with self.progress.stage("deriving evidence relations", total=len(queries)) as stage:
            # One query at a time, so the bar moves: each still sees what the earlier ones derived.
            for named in queries:
                engine.derive([named])
                stage.advance()
            stage.done(lambda: plural(engine.count("derived"), "derived triple"))
        return engine

    def result(self) -> KnowledgeGraph:
        """The graph the stages built; checks that no record was dropped on the way."""
        assert self.dataset is not None and self.built is not None and self.engine is not None
        kg = KnowledgeGraph(self.dataset, self.built, self.engine)
        records, out = self.dataset.counts(), kg.nodes_out()
        for kind in ("studies", "groups", "findings"):
            if records[kind] != out[f"{kind}_out"]:  # pragma: no cover - guards the no-record-dropped promise
                raise AssertionError(f"{records[kind]} {kind} in the records but {out[f'{kind}_out']} in the graph")
        return kg


def build_graph(data_dir: Path | str, *, engine: str = "fast", only: Collection[Path] | None = None,
                elsewhere: Collection[str] = (), progress: Progress = NO_PROGRESS) -> KnowledgeGraph:
    """Records → validated model → asserted graph → inferred graph → derived relations, without touching the network.

    ``engine="fast"`` (the default) keeps the graph in pyoxigraph and infers with rules compiled from
    the ontology; ``"reference"`` uses rdflib and owlrl. Both give the same triples (tests/test_engines.py).
    ``only`` restricts the build to some study files, and ``elsewhere`` names the dataset's other
    studies, which then count as present (incremental validation builds such a part of a dataset).
    ``progress`` (default: none) is told each stage as it runs.
    """
    build = GraphBuild(data_dir, engine=engine, only=only, elsewhere=elsewhere, progress=progress)
    with offline():
        for _name, run in build.stages():
            run()
    return build.result()


def validate(target: KnowledgeGraph | Path | str | Sequence[Path | str] = (), *, engine: str = "fast",
             shapes: Graph | Sequence[Path] | None = None, cache: Path | str | None = None,
             baseline: Baseline | None = None, report_refused: bool = False,
             progress: Progress = NO_PROGRESS) -> CheckedInput:
    """SHACL validation of a built graph, a dataset directory, record files of one dataset, or RDF files.

    Everything is built as ``evidencekg build`` builds it (inference and derivations included). For
    record files the whole dataset is built (cross-record rules need it) and the results are limited
    to those files. With ``cache`` (a directory), a dataset directory is validated incrementally: only
    what changed study files can affect is re-checked, with the same results as a full run.

    ``shapes`` adds shapes to evidencekg's: a graph, or the RDF files to read them from.
    With a ``baseline`` (:func:`~evidencekg.validation.read_baseline`) the results it holds are marked
    unchanged and no longer fail. Input the loader refuses raises :class:`InputErrors`, or with
    ``report_refused`` comes back as a report whose results are the errors (``CheckedInput.errors``).
    ``progress`` (default: none) is told each stage as it runs.
    """
    try:
        extra = shapes if shapes is None or isinstance(shapes, Graph) else load_shapes(shapes)
        checked = _validate(target, engine, extra, cache, progress)
    except (InputError, InputErrors) as exc:
        if not report_refused or isinstance(target, KnowledgeGraph):
            raise
        return refused_input(exc.errors if isinstance(exc, InputErrors) else [exc], _records_root(target))
    if baseline is not None:
        return replace(checked, report=compare_with_baseline(checked.report, baseline))
    return checked


def _records_root(target: Path | str | Sequence[Path | str]) -> Path | None:
    """Where the record paths in a refused input's errors are rooted: the dataset directory's parent."""
    paths = [Path(target)] if isinstance(target, (str, Path)) else [Path(p) for p in target]
    if not paths:
        return bundled_data_dir().resolve().parent
    if paths[0].is_dir():
        return paths[0].resolve().parent
    try:
        return dataset_root_of(paths[0]).parent if paths[0].suffix.lower() in RECORD_SUFFIXES else None
    except InputError:
        return None


def _validate(target: KnowledgeGraph | Path | str | Sequence[Path | str], engine: str, shapes: Graph | None,
              cache: Path | str | None, progress: Progress = NO_PROGRESS) -> CheckedInput:
    if isinstance(target, KnowledgeGraph):
        return _checked_graph(target, shapes, progress)
    paths = [Path(target)] if isinstance(target, (str, Path)) else [Path(p) for p in target]
    if cache is not None:
        from .analysis.incremental import validate_incremental

        if len(paths) > 1 or (paths and not paths[0].is_dir()):
            raise InputError(str(paths[0]), "incremental validation (a cache) takes one dataset directory")
        root = paths[0] if paths else bundled_data_dir()
        return validate_incremental(root, Path(cache), shapes,
                                    build=lambda only, elsewhere: build_graph(root, engine=engine, only=only,
                                                                              elsewhere=elsewhere, progress=progress),
                                    check=lambda kg: _checked_graph(kg, shapes, progress).report)
    rdf_files = [p for p in paths if p.suffix.lower() in RDF_FORMATS]
    record_files = [p for p in paths if p.suffix.lower() in RECORD_SUFFIXES]
    directories = [p for p in paths if p not in rdf_files and p not in record_files]
    kinds = sum(bool(group) for group in (rdf_files, record_files, directories))
    if kinds > 1 or len(directories) > 1:
        raise InputError(str(paths[0]), "validate one dataset directory, record files of one dataset, or RDF files")
    if rdf_files:
        return _checked_rdf(rdf_files, shapes, engine, progress)
    if record_files:
        return _checked_records(record_files, shapes, engine, progress)
    return _checked_graph(build_graph(directories[0] if directories else bundled_data_dir(), engine=engine,
                                      progress=progress), shapes, progress)


def _checked_graph(kg: KnowledgeGraph, shapes: Graph | None, progress: Progress = NO_PROGRESS) -> CheckedInput:
    with offline(), progress.stage("SHACL validation") as stage:
        report = kg.engine.validate(shapes, kg.built)
        stage.done(lambda: ", ".join(plural(report.counts()[kind], kind.removesuffix("s"))
                                     for kind in ("violations", "warnings", "notes")))
    counts = kg.dataset.counts()
    names = sorted([*kg.dataset.dataset_files(), *(r.path for r in kg.dataset.study_records.values())])
    return CheckedInput(report, len(names), counts["studies"], counts["findings"], tuple(names),
                        Path(kg.dataset.root).resolve().parent, fallbacks=_fallbacks(kg.engine))


def _fallbacks(engine: Engine) -> tuple[str, ...]:
    return tuple(f"engine {engine.name}: {fallback}" for fallback in engine.fallbacks)


def _checked_rdf(files: Sequence[Path], shapes: Graph | None, engine: str,
                 progress: Progress = NO_PROGRESS) -> CheckedInput:
    with offline():
        with progress.stage("reading RDF"):
            graph = read_rdf(files)
            store = open_engine(engine, graph_names(_RDF_INPUT_BASE))
            store.load("asserted", graph)
            store.load("ontology", ontology_triples())
        with progress.stage("inference (OWL 2 RL)"):
            store.infer()
        with progress.stage("deriving evidence relations"):
            store.derive(derivation_queries())
        with progress.stage("SHACL validation"):
            report = store.validate(shapes)
    findings = sum(1 for _ in graph.subjects(RDF.type, EKG.Finding))
    studies = sum(1 for _ in graph.subjects(RDF.type, EKG.Study))
    return CheckedInput(report, len(files), studies, findings, tuple(str(p) for p in files),
                        fallbacks=_fallbacks(store))


def dataset_root_of(record: Path) -> Path:
    """The dataset directory a record file belongs to: the nearest ancestor with a vocabulary.yaml."""
    for parent in record.resolve().parents:
        if (parent / VOCABULARY_FILE).is_file():
            return parent
    raise InputError(str(record), f"not inside a dataset directory (no {VOCABULARY_FILE} above it)")


def _checked_records(files: Sequence[Path], shapes: Graph | None, engine: str,
                     progress: Progress = NO_PROGRESS) -> CheckedInput:
    roots = {dataset_root_of(p) for p in files}
    if len(roots) > 1:
        raise InputError(str(files[0]), "the record files belong to different datasets")
    root = roots.pop()
    for path in files:
        if path.resolve().parent == root and path.name not in (VOCABULARY_FILE, DATASET_FILE):
            # Only vocabulary.yaml and dataset.yaml are read there: anything else would "conform" unread.
            stem = path.name.rsplit(".", 1)[0].lower()
            hint = next((f"name it {name}" for name in (VOCABULARY_FILE, DATASET_FILE)
                         if name.rsplit(".", 1)[0] == stem), f"study records live in {STUDIES_DIR}/")
            raise InputError(str(path), f"not a record file of the dataset, so it would not be read: {hint} "
                                        f"(the dataset directory holds {VOCABULARY_FILE}, {DATASET_FILE} and "
                                        f"{STUDIES_DIR}/)")
    if any(p.resolve().parent == root for p in files):
        # vocabulary.yaml or dataset.yaml changed: every record may be affected.
        return _checked_graph(build_graph(root, engine=engine, progress=progress), shapes, progress)
    kg = build_graph(root, engine=engine, progress=progress)
    wanted = {display_path(kg.dataset.root, p.resolve()) for p in files}
    by_file = {record.path: study for study, record in kg.dataset.study_records.items()}
    missing = sorted(wanted - set(by_file))
    if missing:
        raise InputError(missing[0], "not a study record of the dataset (records live in studies/)")
    checked = _checked_graph(kg, shapes, progress)
    report: ValidationReport = checked.report.limited_to(wanted)
    studies = [s for s in kg.dataset.studies if kg.dataset.study_records[s.id].path in wanted]
    findings = sum(len(s.findings) for s in studies)
    return CheckedInput(report, len(wanted), len(studies), findings, tuple(sorted(wanted)), root.parent,
                        fallbacks=checked.fallbacks)


def query(kg: KnowledgeGraph, name: str | NamedQuery, bindings: Mapping[str, Node] | None = None, *,
          allow_service: bool = False) -> QueryResult:
    """Run a named query (or ``.rq`` path) on every layer of a built graph."""
    return kg.query(name, bindings, allow_service=allow_service)


def build(data_dir: Path | str, out_dir: Path | str, *, engine: str = "fast") -> tuple[KnowledgeGraph, list[Path]]:
    """Build the graph of a dataset and write it to ``out_dir``."""
    kg = build_graph(data_dir, engine=engine)
    return kg, write_files(render_outputs(kg), out_dir)


def diff(base: Path | str, head: Path | str, data_dir: Path | str | None = None, *,
         engine: str = "fast") -> EvidenceDiff:
    """What the change from ``base`` to ``head`` does to the evidence (``evidencekg diff``).

    Each side is a dataset directory, or a git revision of the repository ``data_dir`` (default: the
    bundled dataset) lives in, read from git without touching the working tree. Both sides are built
    and checked as ``evidencekg build`` builds and checks them. Input either side's loader refuses
    raises :class:`InputErrors`, naming the revision for a revision's records.
    """
    from .analysis.diff import diff_evidence, evidence_state
    from .records.revisions import dataset_at

    data = Path(data_dir) if data_dir is not None else bundled_data_dir()
    states = []
    for side in (base, head):
        with dataset_at(side, data) as found:
            kg = build_graph(found.root, engine=engine)
            states.append(evidence_state(kg, _checked_graph(kg, None).report, found))
    return diff_evidence(*states)

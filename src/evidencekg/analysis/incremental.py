"""Incremental re-validation: after some study files change, re-check only what the change can affect.

A full validation with a cache directory leaves ``validation.json`` there: for
each study file its content hash, study id, the studies it includes and the
outcomes of its findings, and the run's SHACL results. The next run hashes
every file; if only study files changed, it builds the pipeline on a
sub-dataset instead of the whole dataset:

* the *rechecked* studies: the changed ones (before and after the change), any
  study sharing an id with them, and every study connected to those by
  ``includes`` in either direction, transitively. A study's own results depend
  on its triples, the vocabulary, the ontology and the studies it reaches
  through ``includes`` (``ekg:synthesizesEvidenceFrom`` is transitive), so
  these are recomputed exactly;
* the *partners*: every study with a finding whose outcome equals, is broader
  than or narrower than an outcome of a changed finding (old or new), with
  their ``includes`` connections. Evidence relations pair findings whose
  outcomes are so related, so the relations the change creates or removes,
  and their results, are all found among them.

Results for the rechecked files and for the evidence relations involving a
changed study's findings come from the sub-dataset; every other result comes
from the cache. Any other change (vocabulary.yaml, dataset.yaml, the shapes,
the ontology, the queries, the evidencekg version) makes it a full run.
tests/test_incremental.py checks that the results equal a full run's.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS

from ..errors import InputError, InputErrors, SourceLocation, plural
from ..knowledge_graph import KnowledgeGraph
from ..namespaces import EKG
from ..rdf.build import Origin
from ..records.checks import validate_records
from ..records.model import Dataset
from ..records.reader import DATASET_FILE, VOCABULARY_FILE, display_path, read_records, study_files
from ..resources import ontology_path, package_version, queries_dir, shapes_paths
from ..validation.report import CheckedInput, ShaclResult, ValidationReport

Build = Callable[[Collection[Path] | None, Collection[str]], KnowledgeGraph]
"""Builds the dataset, or only some of its study files (the others named as present elsewhere)."""
Check = Callable[[KnowledgeGraph], ValidationReport]

CACHE_FILE = "validation.json"
_FORMAT = 1


@dataclass(frozen=True)
class StudyEntry:
    """What the cache remembers of one study file."""

    sha256: str
    study: str
    includes: tuple[str, ...]
    outcomes: tuple[str, ...]
    findings: int


@dataclass(frozen=True)
class IncrementalRun:
    """How much of the dataset a run re-checked."""

    full: bool
    changed: tuple[str, ...]
    rechecked: int
    built: int
    total: int

    def __str__(self) -> str:
        studies = plural(self.total, "study", "studies")
        if self.full:
            return f"full validation of {studies} (cache refreshed)"
        if not self.changed:
            return f"no study file changed since the cached run ({studies})"
        return (f"incremental: {plural(len(self.changed), 'changed file')}; re-checked {self.rechecked} and built "
                f"{self.built} of {studies}")


def cache_key(root: Path, shapes: Graph | None) -> str:
    """What a cached run depends on besides the study files."""

    digest = hashlib.sha256(f"{_FORMAT}\0{package_version()}\0{root.resolve()}".encode())
    inputs = [root / VOCABULARY_FILE, root / DATASET_FILE, ontology_path(), *shapes_paths(),
              *sorted(queries_dir().glob("derive/*.rq"))]
    for path in inputs:
        digest.update(path.read_bytes() if path.is_file() else b"-")
    if shapes is not None:
        digest.update(shapes.serialize(format="nt", encoding="utf-8"))
    return digest.hexdigest()


def file_hashes(root: Path) -> dict[str, str]:
    """Display path → SHA-256 of every study file."""
    return {display_path(root, p): hashlib.sha256(p.read_bytes()).hexdigest() for p in study_files(root)}


def index_of(dataset: Dataset, hashes: Mapping[str, str]) -> dict[str, StudyEntry]:
    """The cache entries of a validated dataset."""
    entries = {}
    for study in dataset.studies:
        path = dataset.study_records[study.id].path
        entries[path] = StudyEntry(hashes[path], study.id, tuple(study.includes),
                                   tuple(sorted({f.outcome for f in study.findings})), len(study.findings))
    return entries


def _reachable(edges: Mapping[str, Collection[str]], seeds: Collection[str]) -> set[str]:
    """``seeds`` and everything reachable from them along ``edges``."""
    found, stack = set(seeds), list(seeds)
    while stack:
        for other in edges.get(stack.pop(), ()):
            if other not in found:
                found.add(other)
                stack.append(other)
    return found


def _components(entries: Iterable[StudyEntry], seeds: Collection[str]) -> set[str]:
    """Study ids connected to ``seeds`` by includes, either direction, transitively."""
    neighbours: dict[str, set[str]] = {}
    for entry in entries:
        for included in entry.includes:
            neighbours.setdefault(entry.study, set()).add(included)
            neighbours.setdefault(included, set()).add(entry.study)
    return _reachable(neighbours, seeds)


def _related_outcomes(dataset: Dataset, outcomes: Collection[str]) -> set[str]:
    """The outcomes equal to, broader than or narrower than any of ``outcomes``."""
    broader: dict[str, set[str]] = {}
    narrower: dict[str, set[str]] = {}
    for term in dataset.vocabulary.outcomes:
        for parent in term.broader:
            broader.setdefault(term.id, set()).add(parent)
            narrower.setdefault(parent, set()).add(term.id)
    return _reachable(broader, outcomes) | _reachable(narrower, outcomes)


def _entry_from_json(document: dict[str, Any]) -> StudyEntry:
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in document.items()}
    return StudyEntry(**fields)


def _result_from_json(document: dict[str, Any]) -> ShaclResult:
    origin = document.pop("origin")
    if origin is not None:
        origin = Origin(**{**origin, "location": SourceLocation(**origin["location"])})
    return ShaclResult(**document, origin=origin)


def _digest(document: Mapping[str, Any]) -> str:
    """The SHA-256 of a cache document's content (without its digest), in canonical JSON."""
    content = {name: value for name, value in document.items() if name != "digest"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def load_cache(cache_dir: Path, key: str) -> dict[str, Any] | None:
    """The cached run, or None when there is none, it no longer applies, or its content is not what was written.

    The digest covers the inputs' key, the study files' hashes and the results together, so an edited or
    damaged cache (results emptied, say) makes a full run, never a pass it did not earn.
    """
    try:
        document = json.loads((cache_dir / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("key") != key or document.get("digest") != _digest(document):
        return None
    return document


def save_cache(cache_dir: Path, key: str, entries: Mapping[str, StudyEntry], report: ValidationReport,
               relation_studies: Mapping[str, list[str]], extra: Mapping[str, Any]) -> None:
    """Write the cache atomically, so an interrupted run leaves the previous one usable."""
    document = {
        "key": key,
        "studies": {path: asdict(entry) for path, entry in sorted(entries.items())},
        "results": [asdict(r) for r in report.results],
        "relation_studies": dict(sorted(relation_studies.items())),
        **extra,
    }
    document["digest"] = _digest(document)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(prefix=".validation-", dir=cache_dir)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, sort_keys=True)
        os.replace(staging, cache_dir / CACHE_FILE)
    except OSError as exc:
        raise InputError(str(cache_dir), f"cannot write the validation cache: {exc.strerror or exc}") from None


def relation_studies(kg: KnowledgeGraph, report: ValidationReport) -> dict[str, list[str]]:
    """For each result not traced to a record (evidence relations), the ids of the studies its findings belong to."""
    studies: dict[str, list[str]] = {}
    for result in report.results:
        if result.origin is None and result.focus_node not in studies:
            ids: set[str] = set()
            for finding in kg.engine.objects(URIRef(result.focus_node), EKG.relatesFinding):
                for study in kg.engine.objects(finding, EKG.reportedIn):
                    ids.update(str(i) for i in kg.engine.objects(study, DCTERMS.identifier))
            studies[result.focus_node] = sorted(ids)
    return studies


def validate_incremental(root: Path, cache_dir: Path, shapes: Graph | None = None, *, build: Build,
                         check: Check) -> CheckedInput:
    """Validate a dataset directory, reusing the cached results of files that did not change.

    ``build`` and ``check`` are the pipeline's stages (this module knows what to re-check, not how).
    Returns the :class:`~evidencekg.validation.report.CheckedInput` a full run would return, with
    ``incremental`` saying what was re-checked.
    """
    root = Path(root)
    key = cache_key(root, shapes)
    hashes = file_hashes(root)
    cached = load_cache(cache_dir, key)
    records_root = root.resolve().parent
    def full_run() -> CheckedInput:
        kg = build(None, ())
        report = check(kg)
        entries = index_of(kg.dataset, hashes)
        names = sorted([*kg.dataset.dataset_files(), *entries])
        counts = kg.counts()
        save_cache(cache_dir, key, entries, report, relation_studies(kg, report),
                   {"dataset_files": kg.dataset.dataset_files()})
        run = IncrementalRun(True, (), counts["studies"], counts["studies"], counts["studies"])
        return CheckedInput(report, len(names), counts["studies"], counts["findings"], tuple(names), records_root, run)

    if cached is None:
        return full_run()

    try:
        old = {path: _entry_from_json(entry) for path, entry in cached["studies"].items()}
        results = [_result_from_json(dict(r)) for r in cached["results"]]
        dataset_files = [str(name) for name in cached["dataset_files"]]
    except (KeyError, TypeError, ValueError, AttributeError):  # a cache of another shape: trust none of it
        return full_run()
    changed = sorted(p for p in set(old) | set(hashes) if old.get(p) is None or old[p].sha256 != hashes.get(p))
    if not changed:
        report = ValidationReport(tuple(results), Graph())
        names = sorted([*dataset_files, *old])
        findings = sum(e.findings for e in old.values())
        return CheckedInput(report, len(names), len(old), findings, tuple(names), records_root,
                            IncrementalRun(False, (), 0, 0, len(old)))

    # The changed files as they are now, validated through the model on their own first, to learn their
    # ids, includes and outcomes. A file that does not validate makes it a full run, whose errors are
    # those of the whole dataset.
    present = [p for p in changed if p in hashes]
    unchanged_ids = [e.study for p, e in old.items() if p in hashes and p not in changed]
    try:
        # Display paths are relative to the dataset directory's parent, as given (see records.display_path).
        fresh = validate_records(read_records(root, [root.parent / p for p in present]), elsewhere=unchanged_ids)
    except InputErrors:
        return full_run()
    now = index_of(fresh, hashes)
    current = {**{p: e for p, e in old.items() if p in hashes}, **now}
    everything = [*old.values(), *now.values()]
    touched = {old[p].study for p in changed if p in old} | {e.study for e in now.values()}
    rechecked_ids = _components(everything, touched)
    rechecked_files = {p for p, e in current.items() if e.study in rechecked_ids}

    vocabulary_only = validate_records(read_records(root, []), elsewhere=[e.study for e in current.values()])
    changed_outcomes = {o for p in changed for e in (old.get(p), now.get(p)) if e for o in e.outcomes}
    related = _related_outcomes(vocabulary_only, changed_outcomes)
    partner_ids = _components(everything, {e.study for e in current.values() if set(e.outcomes) & related})
    built_files = {p for p, e in current.items() if e.study in rechecked_ids | partner_ids}
    elsewhere = [e.study for p, e in current.items() if p not in built_files]

    layers_kg = build([root.parent / p for p in sorted(built_files)], elsewhere)
    sub_report = check(layers_kg)
    changed_ids = {e.study for p in changed for e in (old.get(p), now.get(p)) if e}
    fresh_relations = relation_studies(layers_kg, sub_report)
    old_relations: dict[str, list[str]] = cached["relation_studies"]

    def involves_changed(focus: str, owners: Mapping[str, list[str]]) -> bool:
        return bool(set(owners.get(focus, ())) & changed_ids)

    kept = [r for r in results
            if (r.origin is not None and r.origin.location.path in hashes
                and r.origin.location.path not in rechecked_files and r.origin.location.path not in changed)
            or (r.origin is None and not involves_changed(r.focus_node, old_relations))]
    new = [r for r in sub_report.results
           if (r.origin is not None and r.origin.location.path in rechecked_files)
           or (r.origin is None and involves_changed(r.focus_node, fresh_relations))]
    merged = sorted([*kept, *new], key=ShaclResult.sort_key)
    report = ValidationReport(tuple(merged), sub_report.report_graph)
    relations = {focus: owners for focus, owners in old_relations.items() if not involves_changed(focus, old_relations)}
    relations.update({focus: owners for focus, owners in fresh_relations.items()
                      if involves_changed(focus, fresh_relations)})
    save_cache(cache_dir, key, current, report, relations, {"dataset_files": dataset_files})
    names = sorted([*dataset_files, *current])
    findings = sum(e.findings for e in current.values())
    run = IncrementalRun(False, tuple(changed), len(rechecked_files), len(built_files), len(current))
    return CheckedInput(report, len(names), len(current), findings, tuple(names), records_root, run)

"""What a change does to the evidence: two versions of a dataset compared, record by record and relation by relation.

:func:`evidence_state` reads what a comparison needs from one built and checked version (its
records with their positions, its findings, its evidence relations with their explanation facets,
its per-question evidence summaries and its SHACL results); :func:`diff_evidence` compares two such
states. Everything is matched by identity, never by position:

* a study by its id, so a record file that moves is a move, not a removal and an addition; a
  finding, group or other list item by its id within its record; the vocabulary and the dataset
  metadata by their files' roles;
* an evidence relation by its two findings, whose IRIs are minted from the study and finding ids,
  so editing a quote or renaming a label never makes a relation disappear and reappear; its
  explanation facets by the facet and the two values themselves (terms, not their labels);
* a question by its IRI (its factor and outcome, minted from term ids);
* a SHACL result by rule, record and field, as a baseline matches it
  (:meth:`~evidencekg.validation.report.ShaclResult.baseline_key`), never by line.

Every list is ordered by identity, so the same two versions always give the same diff.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph

from ..errors import SourceLocation
from ..knowledge_graph import KnowledgeGraph
from ..records.reader import Path_, Record
from ..records.revisions import DatasetSide
from ..sparql.named import NamedQuery, internal_query
from ..validation.baseline import compare_with_baseline
from ..validation.report import NEW, ShaclResult, ValidationReport
from .summary import CERTAINTY_LEVELS, QuestionSummary, RatingStep, evidence_summary

FORMAT = "evidencekg-diff"
VERSION = 1
FAIL_CONDITIONS = ("new-violations", "new-disagreements", "certainty-drop")
DISAGREEMENT_KINDS = frozenset({"opposite-directions", "effect-vs-null"})
AGREEMENT_KINDS = frozenset({"same-direction"})
QUESTION_FIELDS = ("findings", "studies", "independent_studies", "participants", "disagreements", "certainty")
"""What of a question's evidence summary a diff reports before and after."""
VOCABULARY, METADATA = "vocabulary", "dataset"
"""How the two records that are not studies are named (a study is named by its id)."""

Pair = tuple[str, str]


def _query(name: str) -> NamedQuery:
    return internal_query("diff", name)


def _slug(local_name: str) -> str:
    """``EffectVersusNull`` → ``effect-vs-null``; ``InterventionContrast`` → ``intervention``."""
    words, current = [], ""
    for char in local_name.removesuffix("Contrast"):
        if char.isupper() and current:
            words.append(current)
            current = ""
        current += char.lower()
    words.append(current)
    return "-".join("vs" if word == "versus" else word for word in words)


def _local(term: Any) -> str:
    text = str(term)
    return text[max(text.rfind("#"), text.rfind("/")) + 1 :]


# --- one version ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingRef:
    """A finding as a diff names it: its IRI, its study's id and its own, and where it is written."""

    iri: str
    study: str
    finding: str
    location: SourceLocation

    @property
    def name(self) -> str:
        return f"{self.study}/{self.finding}"


@dataclass(frozen=True)
class Facet:
    """One respect in which the two findings of a disagreement differ."""

    facet: str
    category: str
    first: str
    second: str
    detail: str = ""
    identity: tuple[str, str, str] = field(default=("", "", ""), compare=False)
    """The facet type and the two raw values (terms, literals): what two versions are matched by."""

    def __str__(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.facet} [{self.category}]: {self.first} | {self.second}{detail}"


@dataclass(frozen=True)
class RelationState:
    """What a pair of comparable findings is: a disagreement (derived) or an agreement (paired on demand)."""

    kinds: tuple[str, ...]
    contrast: str
    dependent: bool
    facets: tuple[Facet, ...] = ()

    @property
    def disagreement(self) -> bool:
        return bool(DISAGREEMENT_KINDS.intersection(self.kinds))

    @property
    def agreement(self) -> bool:
        return bool(AGREEMENT_KINDS.intersection(self.kinds))

    def describe(self) -> str:
        dependent = ", dependent evidence" if self.dependent else ""
        return f"{' + '.join(self.kinds)} ({self.contrast}{dependent})"


@dataclass(frozen=True)
class EvidenceState:
    """What a diff compares of one version of a dataset (see :func:`evidence_state`)."""

    side: DatasetSide
    records: Mapping[str, Record]
    findings: Mapping[str, FindingRef]
    relations: Mapping[Pair, RelationState]
    questions: Mapping[str, QuestionSummary]
    results: tuple[ShaclResult, ...]
    counts: Mapping[str, int]


def _finding_refs(kg: KnowledgeGraph) -> dict[str, FindingRef]:
    """Finding IRI → its reference, read from the source map (which node each record's finding became)."""
    refs = {}
    for (subject, predicate), (record, at) in kg.built.source_map.items():
        if predicate is None and len(at) == 2 and at[0] == "findings":
            finding = record.value_at(at)
            if isinstance(finding, dict) and isinstance(record.data.get("id"), str):
                refs[str(subject)] = FindingRef(str(subject), str(record.data["id"]), str(finding.get("id")),
                                                record.locate(at))
    return refs


def _relations(kg: KnowledgeGraph) -> dict[Pair, RelationState]:
    kinds: dict[Pair, list[str]] = {}
    rows: dict[Pair, tuple[str, bool]] = {}
    for row in kg.query(_query("relations")).records():
        pair = (str(row["first"]), str(row["second"]))
        rows[pair] = (_slug(_local(row["contrast"])), str(row["dependent"]) == "true")
        kinds.setdefault(pair, [])
        if "kind" in row:
            kinds[pair].append(_slug(_local(row["kind"])))
    for row in kg.query("agreements").records():
        pair = (str(row["first"]), str(row["second"]))
        rows[pair] = (_slug(_local(row["contrastKind"])), str(row["dependent"]) == "true")
        kinds[pair] = list(AGREEMENT_KINDS)
    facets: dict[Pair, list[Facet]] = {}
    for row in kg.query(_query("facets")).records():
        pair = (str(row["first"]), str(row["second"]))
        details = [str(row["termRelationLabel"])] if "termRelationLabel" in row else []
        if "largerFinding" in row:
            details.append("larger: " + ("first" if row["largerFinding"] == row["first"] else "second"))
        facets.setdefault(pair, []).append(Facet(
            str(row["facetLabel"]), str(row["categoryLabel"]), str(row["value1"]), str(row["value2"]),
            "; ".join(details), (str(row["facetType"]), row["raw1"].n3(), row["raw2"].n3())))
    return {pair: RelationState(tuple(sorted(set(kinds[pair]))), contrast, dependent,
                                tuple(sorted(facets.get(pair, ()), key=lambda f: f.identity)))
            for pair, (contrast, dependent) in sorted(rows.items())}


def evidence_state(kg: KnowledgeGraph, report: ValidationReport, side: DatasetSide) -> EvidenceState:
    """What :func:`diff_evidence` compares of one built graph and its SHACL report."""
    dataset = kg.dataset
    records: dict[str, Record] = {VOCABULARY: dataset.vocabulary_record, **dataset.study_records}
    if dataset.metadata_record is not None:
        records[METADATA] = dataset.metadata_record
    counts = kg.counts()
    counts.update(report.counts())
    return EvidenceState(side, records, _finding_refs(kg), _relations(kg),
                         {q.question: q for q in evidence_summary(kg)}, report.results, counts)


# --- what changed -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One value added, removed or changed in a record, named with list items by their ids."""

    field: str
    status: str
    before: Any
    after: Any
    location: SourceLocation
    """Where the value is written: on the head side, or on the base side for a removed one."""


@dataclass(frozen=True)
class RecordChange:
    """A study, the vocabulary or the dataset metadata: added, removed, changed or moved to another file."""

    record: str
    kind: str
    status: str
    location: SourceLocation
    previous_path: str | None
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class FindingChange:
    """A finding added, removed or changed; ``fields`` are relative to the finding (``p_value``)."""

    finding: FindingRef
    status: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class RelationChange:
    """A disagreement that appeared, disappeared or changed (kind, dependence or explanation)."""

    first: FindingRef
    second: FindingRef
    status: str
    before: RelationState | None
    after: RelationState | None
    facets_added: tuple[Facet, ...] = ()
    facets_removed: tuple[Facet, ...] = ()


@dataclass(frozen=True)
class StepChange:
    """One step of a certainty rating that is new, gone or different."""

    step: str
    before: RatingStep | None
    after: RatingStep | None


@dataclass(frozen=True)
class QuestionChange:
    """A question whose evidence summary changed, with the fields and rating steps that did."""

    question: str
    factor: str
    outcome: str
    contrast: str
    status: str
    before: QuestionSummary | None
    after: QuestionSummary | None
    fields: tuple[str, ...]
    steps: tuple[StepChange, ...]

    @property
    def certainty_dropped(self) -> bool:
        return (self.before is not None and self.after is not None
                and CERTAINTY_LEVELS.index(self.after.certainty) < CERTAINTY_LEVELS.index(self.before.certainty))


@dataclass(frozen=True)
class ResultChanges:
    """SHACL results new on the head side, fixed (gone from the base side) and unchanged."""

    new: tuple[ShaclResult, ...]
    fixed: tuple[ShaclResult, ...]
    unchanged: tuple[ShaclResult, ...]


@dataclass(frozen=True)
class Side:
    """One compared version as the diff reports it."""

    name: str
    commit: str | None
    dataset_path: str | None
    counts: Mapping[str, int]


@dataclass(frozen=True)
class EvidenceDiff:
    """What changed between two versions of a dataset, in the evidence as well as in the records."""

    base: Side
    head: Side
    records: tuple[RecordChange, ...]
    findings: tuple[FindingChange, ...]
    disagreements: tuple[RelationChange, ...]
    agreements_appeared: tuple[tuple[FindingRef, FindingRef], ...]
    agreements_disappeared: tuple[tuple[FindingRef, FindingRef], ...]
    questions: tuple[QuestionChange, ...]
    results: ResultChanges

    def holds(self, condition: str) -> bool:
        """Whether a ``--fail-on`` condition (one of :data:`FAIL_CONDITIONS`) holds for this change."""
        if condition == "new-violations":
            return any(r.severity == "Violation" for r in self.results.new)
        if condition == "new-disagreements":
            return any(c.status == "appeared" for c in self.disagreements)
        if condition == "certainty-drop":
            return any(q.certainty_dropped for q in self.questions)
        raise ValueError(f"unknown condition {condition!r}; expected one of {', '.join(FAIL_CONDITIONS)}")

    @property
    def empty(self) -> bool:
        return not (self.records or self.disagreements or self.agreements_appeared or self.agreements_disappeared
                    or self.questions or self.results.new or self.results.fixed)


def _item_ids(items: Any) -> list[str] | None:
    """The ids of a list of mappings that all have a distinct text id; None when the list is not such a list."""
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        return None
    ids = [str(item["id"]) for item in items]
    return ids if len(set(ids)) == len(ids) else None


class _RecordComparison:
    """Walks two versions of one record's data, naming list items by their ids."""

    def __init__(self, base: Record, head: Record) -> None:
        self.base, self.head = base, head
        self.changes: list[FieldChange] = []

    def added(self, name: str, at: Path_, value: Any) -> None:
        self.changes.append(FieldChange(name, "added", None, value, self.head.locate(at)))

    def removed(self, name: str, at: Path_, value: Any) -> None:
        self.changes.append(FieldChange(name, "removed", value, None, self.base.locate(at)))

    def compare(self, before: Any, after: Any, name: str, base_at: Path_, head_at: Path_) -> None:
        if before == after:
            return
        if isinstance(before, dict) and isinstance(after, dict):
            for key in [*after, *(k for k in before if k not in after)]:
                sub = f"{name}.{key}" if name else str(key)
                if key not in before:
                    self.added(sub, (*head_at, key), after[key])
                elif key not in after:
                    self.removed(sub, (*base_at, key), before[key])
                else:
                    self.compare(before[key], after[key], sub, (*base_at, key), (*head_at, key))
            return
        base_ids, head_ids = _item_ids(before), _item_ids(after)
        if base_ids is not None and head_ids is not None and (base_ids or head_ids):
            base_index = {item_id: i for i, item_id in enumerate(base_ids)}
            for i, item_id in enumerate(head_ids):
                sub = f"{name}[{item_id}]"
                if item_id not in base_index:
                    self.added(sub, (*head_at, i), after[i])
                else:
                    j = base_index[item_id]
                    self.compare(before[j], after[i], sub, (*base_at, j), (*head_at, i))
            for item_id, j in base_index.items():
                if item_id not in head_ids:
                    self.removed(f"{name}[{item_id}]", (*base_at, j), before[j])
            return
        self.changes.append(FieldChange(name, "changed", before, after, self.head.locate(head_at)))


def _finding_id(change: FieldChange) -> str | None:
    """``findings[bp].p_value`` → ``bp``; None for a change outside the findings."""
    if not change.field.startswith("findings["):
        return None
    return change.field[len("findings["):change.field.index("]")]


def _record_kind(key: str) -> str:
    return key if key in (VOCABULARY, METADATA) else "study"


def _compare_records(base: EvidenceState, head: EvidenceState) -> tuple[list[RecordChange], list[FindingChange]]:
    records, findings = [], []
    for key in sorted(set(base.records) | set(head.records)):
        before, after = base.records.get(key), head.records.get(key)
        kind = _record_kind(key)
        if after is None or before is None:
            status, record = ("removed", before) if after is None else ("added", after)
            assert record is not None
            records.append(RecordChange(key, kind, status, SourceLocation(record.path, 1, 1), None, ()))
            source = base if after is None else head
            findings += [FindingChange(ref, status, ()) for ref in sorted(source.findings.values(),
                                                                          key=lambda r: r.iri)
                         if ref.study == key and kind == "study"]
            continue
        walk = _RecordComparison(before, after)
        walk.compare(before.data, after.data, "", (), ())
        by_finding: dict[str, list[FieldChange]] = {}
        own = []
        for change in walk.changes:
            finding_id = _finding_id(change)
            if finding_id is None:
                own.append(change)
            else:
                by_finding.setdefault(finding_id, []).append(change)
        moved = before.path != after.path
        if own or moved:
            records.append(RecordChange(key, kind, "moved" if moved else "changed", SourceLocation(after.path, 1, 1),
                                        before.path if moved else None, tuple(own)))
        for finding_id, changes in sorted(by_finding.items()):
            whole = [c for c in changes if c.field == f"findings[{finding_id}]"]
            status = whole[0].status if whole else "changed"
            source = base if status == "removed" else head
            ref = next((r for r in source.findings.values() if r.study == key and r.finding == finding_id), None)
            if ref is None:
                continue
            prefix = f"findings[{finding_id}]."
            fields = tuple(FieldChange(c.field.removeprefix(prefix), c.status, c.before, c.after, c.location)
                           for c in changes if c.field.startswith(prefix))
            findings.append(FindingChange(ref, status, fields))
    return records, findings


def _ref(iri: str, base: EvidenceState, head: EvidenceState) -> FindingRef:
    return head.findings.get(iri) or base.findings[iri]


def _compare_relations(base: EvidenceState, head: EvidenceState) -> tuple[
        list[RelationChange], list[tuple[FindingRef, FindingRef]], list[tuple[FindingRef, FindingRef]]]:
    disagreements = []
    agreements: dict[str, list[tuple[FindingRef, FindingRef]]] = {"appeared": [], "disappeared": []}
    for pair in sorted(set(base.relations) | set(head.relations)):
        before, after = base.relations.get(pair), head.relations.get(pair)
        refs = (_ref(pair[0], base, head), _ref(pair[1], base, head))
        was_agreement, is_agreement = bool(before and before.agreement), bool(after and after.agreement)
        if was_agreement != is_agreement:
            agreements["appeared" if is_agreement else "disappeared"].append(refs)
        was, now = bool(before and before.disagreement), bool(after and after.disagreement)
        if not was and not now:
            continue
        if was and now:
            assert before is not None and after is not None
            old = {f.identity: f for f in before.facets}
            new = {f.identity: f for f in after.facets}
            added = tuple(f for key, f in new.items() if key not in old)
            removed = tuple(f for key, f in old.items() if key not in new)
            if before.kinds == after.kinds and before.dependent == after.dependent and not added and not removed:
                continue
            disagreements.append(RelationChange(*refs, "changed", before, after, added, removed))
        else:
            disagreements.append(RelationChange(*refs, "appeared" if now else "disappeared", before, after))
    return disagreements, agreements["appeared"], agreements["disappeared"]


def _compare_questions(base: EvidenceState, head: EvidenceState) -> list[QuestionChange]:
    changes = []
    for question in sorted(set(base.questions) | set(head.questions)):
        before, after = base.questions.get(question), head.questions.get(question)
        shown = after or before
        assert shown is not None
        fields: tuple[str, ...]
        steps: tuple[StepChange, ...]
        if before is None or after is None:
            fields, steps = QUESTION_FIELDS, ()
            status = "appeared" if before is None else "disappeared"
        else:
            fields = tuple(name for name in QUESTION_FIELDS if getattr(before, name) != getattr(after, name))
            old = {s.step: s for s in before.rating}
            new = {s.step: s for s in after.rating}
            steps = tuple(StepChange(name, old.get(name), new.get(name)) for name in [*new, *(n for n in old
                                                                                            if n not in new)]
                          if old.get(name) != new.get(name))
            if not fields and not steps:
                continue
            status = "changed"
        changes.append(QuestionChange(question, shown.factor, shown.outcome, shown.contrast, status, before, after,
                                      fields, tuple(steps)))
    return changes


def _compare_results(base: EvidenceState, head: EvidenceState) -> ResultChanges:
    """Results matched as a baseline matches them; those a record suppresses are left out, as a baseline leaves them."""

    def marked(results: Iterable[ShaclResult], accepted: Iterable[ShaclResult]) -> tuple[ShaclResult, ...]:
        kept = tuple(r for r in results if r.suppressed is None)
        baseline = Counter(r.baseline_key() for r in accepted if r.suppressed is None)
        return compare_with_baseline(ValidationReport(kept, Graph()), baseline).results

    on_head, on_base = marked(head.results, base.results), marked(base.results, head.results)
    return ResultChanges(tuple(r for r in on_head if r.baseline_state == NEW),
                         tuple(r for r in on_base if r.baseline_state == NEW),
                         tuple(r for r in on_head if r.baseline_state != NEW))


def _side(state: EvidenceState) -> Side:
    return Side(state.side.name, state.side.commit, state.side.dataset_path, dict(state.counts))


def diff_evidence(base: EvidenceState, head: EvidenceState) -> EvidenceDiff:
    """What changed from ``base`` to ``head``: records, findings, disagreements, agreements, questions, SHACL."""
    records, findings = _compare_records(base, head)
    disagreements, appeared, disappeared = _compare_relations(base, head)
    return EvidenceDiff(_side(base), _side(head), tuple(records), tuple(findings), tuple(disagreements),
                        tuple(appeared), tuple(disappeared), tuple(_compare_questions(base, head)),
                        _compare_results(base, head))


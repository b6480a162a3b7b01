"""What the report shows, read from a built graph: studies, findings and the outcome hierarchy, into the view model.

Every value comes from SPARQL run by the graph's engine: the report's own queries
in ``queries/report/`` (:mod:`.queries`; studies, findings, authors, labels, the
outcome hierarchy), the named query ``evidence-by-design`` for the overview, and
the disagreements and agreements of :mod:`.relations`. Each query returns many
rows in one go; nothing here walks the graph node by node, and nothing knows
about a particular dataset.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Literal, URIRef
from rdflib.term import Node

from ...errors import InputError
from ...namespaces import EKG
from ...records.reader import read_record
from ...sparql.results import display
from .model import DisagreementView, FacetView, FindingView, Omitted, ReportData, StudyView, claim
from .queries import Labels, is_true, query_rows, report_query, value_iri, value_text
from .relations import agreements, disagreements, relations

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph

__all__ = ["DEFAULT_LIMIT", "DisagreementView", "FacetView", "FindingView", "Omitted", "ReportData", "StudyView",
           "claim", "collect"]

_WEB = ("https://", "http://")


def _slug(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in text)


def _natural(text: str) -> list[tuple[int, str]]:
    """A sort key that puts "item 2" before "item 10"."""
    return [(int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", text.casefold()) if part]


def _authors(kg: KnowledgeGraph) -> dict[str, tuple[str, ...]]:
    """Study → its authors: in author-list order, or the dc:creator values sorted."""
    listed: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in query_rows(kg, "authors"):
        position = row.get("position")
        rank = int(position.toPython()) if isinstance(position, Literal) else -1
        listed[str(row["study"])].append((rank, str(row["author"])))
    return {study: tuple(author for _, author in sorted(names)) for study, names in listed.items()}


def _includes(kg: KnowledgeGraph, label: Labels) -> dict[str, tuple[str, ...]]:
    included: dict[str, list[str]] = defaultdict(list)
    for row in kg.query(report_query("included-studies")).records():
        included[str(row["study"])].append(label(row["included"]))
    return {study: tuple(sorted(labels)) for study, labels in included.items()}


def _contrast(row: Mapping[str, Node], label: Labels) -> str:
    group = value_iri(row, "group")
    comparator = value_iri(row, "comparator")
    exposure = value_iri(row, "exposure")
    if comparator is not None:
        return f"{label(group)} vs {label(comparator)}"
    if value_iri(row, "comparison") == EKG.BeforeAfterComparison:
        return f"{label(group)}, after vs before"
    if exposure is not None:
        return f"association with {label(exposure)} in {label(group)}"
    return label(group)


def _significance(text: str) -> bool | None:
    value = Literal(text, datatype=URIRef("http://www.w3.org/2001/XMLSchema#boolean")).toPython() if text else None
    return value if isinstance(value, bool) else None


def _assumptions(kg: KnowledgeGraph) -> dict[str, tuple[str, ...]]:
    """Finding → the labels of the assumptions it rests on, sorted."""
    found: dict[str, list[str]] = defaultdict(list)
    for row in query_rows(kg, "assumptions"):
        found[str(row["finding"])].append(str(row["label"]))
    return {finding: tuple(sorted(labels)) for finding, labels in found.items()}


def _finding(row: Mapping[str, Node], study: StudyView, label: Labels,
             assumptions: Mapping[str, tuple[str, ...]]) -> FindingView:
    iri = URIRef(str(row["finding"]))
    identifier = value_text(row, "identifier") or display(iri)
    outcome = value_iri(row, "outcome")
    source = value_text(row, "quoteSource")
    return FindingView(
        iri=iri,
        anchor=f"finding-{study.identifier}.{_slug(identifier)}",
        study=study.iri,
        study_label=study.label,
        study_anchor=study.anchor,
        identifier=identifier,
        outcome=label(outcome),
        outcome_iri=outcome,
        direction=label(value_iri(row, "direction")),
        direction_code=value_text(row, "directionCode") or "other",
        significant=_significance(value_text(row, "significant")),
        p_value=value_text(row, "reportedPValue") or value_text(row, "pValue"),
        contrast=_contrast(row, label),
        intervention=label(value_iri(row, "intervention")),
        exposure=label(value_iri(row, "exposure")),
        population=label(value_iri(row, "population")),
        condition=label(value_iri(row, "condition")),
        design=study.design,
        level=study.level,
        level_rank=study.level_rank,
        sample_size=study.sample_size,
        timepoint=value_text(row, "timepoint"),
        quote=value_text(row, "quote"),
        quote_source=source if source.startswith(_WEB) else "",
        note=value_text(row, "note"),
        quote_kind=label(value_iri(row, "quoteKind")) if value_text(row, "quote") else "",
        secondary=value_iri(row, "quoteKind") == EKG.SecondaryQuote,
        test=label(value_iri(row, "test")),
        test_significant=_significance(value_text(row, "testSignificant")),
        assumed=assumptions.get(str(iri), ()),
    )


def _studies(kg: KnowledgeGraph, label: Labels) -> tuple[list[StudyView], dict[URIRef, str]]:
    """Every study, in the report's order, and the record file each came from (relative to the dataset)."""
    sources: dict[URIRef, str] = {}
    asserted = kg.engine.instances(EKG.Study, "asserted")
    authors = _authors(kg)
    includes = _includes(kg, label)
    assumptions = _assumptions(kg)
    ranks = {str(r["level"]): value_text(r, "levelRank") for r in query_rows(kg, "evidence-levels")}
    reported: dict[str, list[Mapping[str, Node]]] = defaultdict(list)
    for row in query_rows(kg, "findings"):
        reported[str(row["study"])].append(row)

    studies = []
    for row in query_rows(kg, "studies"):
        iri = URIRef(str(row["study"]))
        if iri not in asserted:
            continue
        identifier = value_text(row, "identifier") or display(iri)
        level = value_iri(row, "level")
        rank = ranks.get(str(level), "") if level is not None else ""
        study = StudyView(
            iri=iri,
            anchor=f"study-{_slug(identifier)}",
            identifier=_slug(identifier),
            label=label(iri),
            title=value_text(row, "title"),
            authors=authors.get(str(iri), ()),
            year=value_text(row, "year"),
            journal=value_text(row, "journal"),
            volume=value_text(row, "volume"),
            issue=value_text(row, "issue"),
            pages=value_text(row, "pages"),
            doi=value_text(row, "doi"),
            doi_url=value_text(row, "doiUrl"),
            pmid=value_text(row, "pmid"),
            pmid_url=value_text(row, "pubmedUrl"),
            verified=value_text(row, "unverified") in ("", "0"),
            design=label(value_iri(row, "design")),
            level=label(level),
            level_rank=int(rank) if re.fullmatch(r"[+-]?\d+", rank) else 99,
            sample_size=value_text(row, "sampleSize"),
            notes=value_text(row, "notes"),
            includes=includes.get(str(iri), ()),
            findings=(),
        )
        rows = sorted(reported.get(str(iri), []), key=lambda r: str(r["finding"]))
        studies.append(replace(study, findings=tuple(_finding(r, study, label, assumptions) for r in rows)))
        sources[iri] = value_text(row, "sourceRecord")
    return sorted(studies, key=lambda s: s.sort_key), sources


def _in_record_order(root: Path, study: StudyView, source: str) -> StudyView:
    """The study with its findings in the order its record lists them.

    Read from the record file itself, for the studies the page shows: a graph kept in a store has no
    positions, and reading every record again takes minutes at 12,500 studies.
    """
    if len(study.findings) < 2 or not source:
        return study
    path = root / source
    try:
        record = read_record(path)
    except InputError:
        return study
    listed = record.data.get("findings") if isinstance(record.data, dict) else None
    lines = {str(item.get("id")): record.locate(("findings", index)).line
             for index, item in enumerate(listed or []) if isinstance(item, dict)}
    return replace(study, findings=tuple(sorted(study.findings, key=lambda f: (lines.get(f.identifier, 0),
                                                                                 str(f.iri)))))


def _outcomes(kg: KnowledgeGraph, used: Iterable[URIRef], label: Labels) -> tuple[tuple[URIRef, str, int], ...]:
    """The outcomes findings report, in hierarchy order (broader first, siblings by label), with their depth."""
    used_set = set(used)
    broader: dict[URIRef, set[URIRef]] = defaultdict(set)
    terms = set(used_set)
    for row in query_rows(kg, "outcomes"):
        term = URIRef(str(row["term"]))
        if is_true(row.get("typed")):
            terms.add(term)
        if isinstance(row.get("broader"), URIRef):
            broader[term].add(row["broader"])  # type: ignore[arg-type]
    children: dict[URIRef, list[URIRef]] = defaultdict(list)
    has_parent = set()
    for term in terms:
        for parent in broader.get(term, ()):
            if parent in terms and parent != term:
                children[parent].append(term)
                has_parent.add(term)

    def key(term: URIRef) -> tuple[list[tuple[int, str]], str]:
        return (_natural(label(term)), str(term))

    ordered: list[tuple[URIRef, str, int]] = []
    seen: set[URIRef] = set()

    def visit(term: URIRef, depth: int) -> None:
        if term in seen:
            return
        seen.add(term)
        shown = term in used_set
        if shown:
            ordered.append((term, label(term), depth))
        for child in sorted(children.get(term, []), key=key):
            visit(child, depth + 1 if shown else depth)

    for root in sorted((t for t in terms if t not in has_parent), key=key):
        visit(root, 0)
    for term in sorted(used_set - seen, key=key):  # a cycle would leave terms unvisited
        visit(term, 0)
    return tuple(ordered)


DEFAULT_LIMIT = 200
"""At most this many disagreements, studies and questions a report shows in full; the page says how many
more there are and how to list them all. A page of 12,500 studies in full was 200 MB that no browser opens."""


def _first_questions(rows: list[dict[str, str]], limit: int | None) -> tuple[list[dict[str, str]], int]:
    """The overview rows of the first ``limit`` questions (what was varied and outcome), and how many there are."""
    questions: dict[tuple[str | None, str | None], None] = {}
    kept = []
    for row in rows:
        question = (row.get("factor"), row.get("outcome"))
        if question not in questions:
            questions[question] = None
        if limit is None or len(questions) <= limit:
            kept.append(row)
    return kept, len(questions)


def _unlinked(study: StudyView) -> StudyView:
    """A study the page has no card for: its findings, shown beside a disagreement, link to no card."""
    return replace(study, anchor="", findings=tuple(replace(f, study_anchor="") for f in study.findings))


def collect(kg: KnowledgeGraph, limit: int | None = DEFAULT_LIMIT) -> ReportData:
    """Read everything the report shows from a built graph.

    ``limit``: at most this many disagreements, studies (strongest evidence first) and questions are shown;
    None or 0 shows everything. What is left out is counted in ``ReportData.omitted``.
    """
    limit = limit or None
    label = Labels(kg)
    every_study, sources = _studies(kg, label)
    studies = [_in_record_order(kg.root, study, sources.get(study.iri, ""))
               for study in (every_study if limit is None else every_study[:limit])]
    # Findings of studies without a card still stand beside the disagreements they take part in.
    every_finding = {f.iri: f for s in [*studies, *map(_unlinked, every_study[len(studies):])] for f in s.findings}
    findings = {f.iri: f for s in studies for f in s.findings}
    design_labels = {str(r["code"]): label(r["design"]) for r in query_rows(kg, "designs")}
    overview = []
    for row in kg.query("evidence-by-design").records():
        values = {key: display(value) for key, value in row.items()}
        values["designLabel"] = design_labels.get(values.get("design", ""), values.get("design", ""))
        overview.append(values)
    shown_overview, questions = _first_questions(overview, limit)
    meta = kg.metadata
    counts = kg.counts()
    evidence_relations = relations(kg)
    shown, total = disagreements(kg, label, evidence_relations, every_finding, limit)
    omitted = None
    if len(shown) < total or len(studies) < len(every_study) or len(shown_overview) < len(overview):
        assert limit is not None
        omitted = Omitted(limit, (len(shown), total), (len(studies), len(every_study)),
                          (min(limit, questions), questions), counts.get("agreements", 0))
    summary = {
        "studies": counts.get("studies", len(every_study)),
        "findings": counts.get("findings", len(every_finding)),
        "disagreements": total,
        "agreements": counts.get("agreements", 0),
        "unverified": sum(1 for s in every_study if not s.verified),
        "questions": questions,
    }
    outcomes = _outcomes(kg, (f.outcome_iri for f in findings.values() if f.outcome_iri is not None), label)
    return ReportData(
        title=meta.title or "Evidence report",
        question=meta.question or "",
        description=meta.description or "",
        license=meta.license or "",
        counts=summary,
        disagreements=shown,
        # Pairing every agreement takes longer than the rest of a large report; the page says so.
        agreements=agreements(kg, findings) if omitted is None else (),
        studies=tuple(studies),
        overview=tuple(shown_overview),
        outcomes=outcomes,
        findings=findings,
        omitted=omitted,
    )

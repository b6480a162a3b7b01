"""The researcher-facing report: one self-contained HTML page and the same content as Markdown.

Everything is read from a built graph: the disagreements from the named queries
(``contradictions``, ``effect-vs-null``; any other derived ``ekg:Disagreement``
is listed after them), their explanation facets from ``explanations``, the
per-question overview from ``evidence-by-design``, and the study cards and the
evidence map from the asserted, inferred and derived triples. Nothing here
knows about a particular dataset.

The HTML page has inline CSS and an inline SVG figure, no script and no
external resource; its only outbound links are DOI, PubMed and quote-source
links. The output is deterministic: the same graph gives the same bytes.

>>> import evidencekg
>>> from evidencekg.outputs.report import render_report
>>> files = render_report(evidencekg.build_graph(evidencekg.bundled_data_dir()))
>>> sorted(files)
['report.html', 'report.md']
"""

from __future__ import annotations

import math
import re
import string
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from ...namespaces import BIBO, DC, EKG
from ...sparql.results import display

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph

HTML_FILE = "report.html"
MARKDOWN_FILE = "report.md"

_DOI_PREFIX = "https://doi.org/"
_PUBMED_PREFIX = "https://pubmed.ncbi.nlm.nih.gov/"
_WEB = ("https://", "http://")


# --- what the report shows, read from the graph ----------------------------------------------


@dataclass(frozen=True)
class FindingView:
    """One finding as the report shows it."""

    iri: URIRef
    anchor: str
    study: URIRef
    study_label: str
    study_anchor: str
    identifier: str
    outcome: str
    outcome_iri: URIRef | None
    direction: str
    direction_code: str
    significant: bool | None
    p_value: str
    contrast: str
    intervention: str
    exposure: str
    population: str
    condition: str
    design: str
    level: str
    level_rank: int
    sample_size: str
    timepoint: str
    quote: str
    quote_source: str
    note: str

    @property
    def significance(self) -> str:
        return {True: "significant", False: "not significant", None: "not reported"}[self.significant]


@dataclass(frozen=True)
class StudyView:
    """One study card."""

    iri: URIRef
    anchor: str
    identifier: str
    label: str
    title: str
    authors: tuple[str, ...]
    year: str
    journal: str
    volume: str
    issue: str
    pages: str
    doi: str
    doi_url: str
    pmid: str
    pmid_url: str
    verified: bool
    design: str
    level: str
    level_rank: int
    sample_size: str
    notes: str
    includes: tuple[str, ...]
    findings: tuple[FindingView, ...]

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (self.level_rank, self.year or "9999", self.label.casefold(), str(self.iri))


@dataclass(frozen=True)
class FacetView:
    """One respect in which the two findings of a disagreement differ, oriented left/right."""

    category: str
    label: str
    left: str
    right: str
    note: str


@dataclass(frozen=True)
class DisagreementView:
    """A disagreement between two findings, left and right as the report shows them."""

    number: int
    relation: URIRef
    kinds: tuple[str, ...]
    contrast: str
    dependent: bool
    left: FindingView
    right: FindingView
    facets: tuple[FacetView, ...]
    roles: tuple[str, str] = ("", "")
    source: str = ""

    @property
    def anchor(self) -> str:
        return f"disagreement-{self.number}"

    @property
    def outcome(self) -> str:
        if self.left.outcome == self.right.outcome:
            return self.left.outcome
        return f"{self.left.outcome} / {self.right.outcome}"

    @property
    def title(self) -> str:
        return f"{self.outcome}: {_claim(self.left)} vs {_claim(self.right)}"


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, in display order."""

    title: str
    question: str
    description: str
    license: str
    counts: Mapping[str, int]
    disagreements: tuple[DisagreementView, ...]
    agreements: tuple[tuple[URIRef, URIRef], ...]
    studies: tuple[StudyView, ...]
    overview: tuple[Mapping[str, str], ...]
    outcomes: tuple[tuple[URIRef, str, int], ...]
    """(outcome, label, depth in the outcome hierarchy) of every outcome a finding reports, hierarchy order."""
    findings: Mapping[URIRef, FindingView] = field(default_factory=dict)


def _claim(finding: FindingView) -> str:
    if finding.significant is False:
        return f"{finding.direction} (not significant)"
    return finding.direction


def _text(graph: Graph, subject: Node | None, predicate: URIRef) -> str:
    """The text of one value (the smallest, for a stable choice), or ''."""
    if subject is None:
        return ""
    values = sorted(str(v) for v in graph.objects(subject, predicate))
    return values[0] if values else ""


def _label(graph: Graph, node: Node | None) -> str:
    if node is None:
        return ""
    return _text(graph, node, SKOS.prefLabel) or _text(graph, node, RDFS.label) or display(node)


def _one(graph: Graph, subject: Node | None, predicate: URIRef) -> Node | None:
    if subject is None:
        return None
    values = sorted(graph.objects(subject, predicate), key=str)
    return values[0] if values else None


def _design(graph: Graph, study: Node) -> tuple[str, URIRef | None]:
    """(label, class) of a study's design: the type that carries an ``ekg:designCode``."""
    classes = sorted((c for c in graph.objects(study, RDF.type) if (c, EKG.designCode, None) in graph), key=str)
    if not classes:
        return "", None
    return _label(graph, classes[0]), classes[0]  # type: ignore[return-value]


def _slug(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in text)


def _p_value(graph: Graph, finding: Node) -> str:
    reported = _text(graph, finding, EKG.reportedPValue)
    return reported or _text(graph, finding, EKG.pValue)


def _significance(graph: Graph, finding: Node) -> bool | None:
    value = _one(graph, finding, EKG.significant)
    return value.toPython() if isinstance(value, Literal) and isinstance(value.toPython(), bool) else None


def _finding(graph: Graph, iri: URIRef, study: StudyView, design: str) -> FindingView:
    group = _one(graph, iri, EKG.group)
    comparator = _one(graph, iri, EKG.comparatorGroup)
    comparison = _one(graph, iri, EKG.comparison)
    outcome = _one(graph, iri, EKG.outcome)
    direction = _one(graph, iri, EKG.direction)
    exposure = _one(graph, iri, EKG.exposure)
    intervention = _one(graph, iri, EKG.intervention)
    group_label = _label(graph, group)
    if comparator is not None:
        contrast = f"{group_label} vs {_label(graph, comparator)}"
    elif comparison == EKG.BeforeAfterComparison:
        contrast = f"{group_label}, after vs before"
    elif exposure is not None:
        contrast = f"association with {_label(graph, exposure)} in {group_label}"
    else:
        contrast = group_label
    identifier = _text(graph, iri, DCTERMS.identifier) or display(iri)
    source = _one(graph, iri, EKG.quoteSource)
    return FindingView(
        iri=iri,
        anchor=f"finding-{study.identifier}.{_slug(identifier)}",
        study=study.iri,
        study_label=study.label,
        study_anchor=study.anchor,
        identifier=identifier,
        outcome=_label(graph, outcome),
        outcome_iri=outcome if isinstance(outcome, URIRef) else None,
        direction=_label(graph, direction),
        direction_code=_text(graph, direction, EKG.directionCode) or "other",
        significant=_significance(graph, iri),
        p_value=_p_value(graph, iri),
        contrast=contrast,
        intervention=_label(graph, intervention) if intervention is not None else "",
        exposure=_label(graph, exposure) if exposure is not None else "",
        population=_label(graph, _one(graph, group, EKG.population)) if group is not None else "",
        condition=_label(graph, _one(graph, group, EKG.condition)) if _one(graph, group, EKG.condition) else "",
        design=design,
        level=study.level,
        level_rank=study.level_rank,
        sample_size=study.sample_size,
        timepoint=_text(graph, iri, EKG.timepoint),
        quote=_text(graph, iri, EKG.quote),
        quote_source=str(source) if isinstance(source, URIRef) and str(source).startswith(_WEB) else "",
        note=_text(graph, iri, RDFS.comment),
    )


def _authors(graph: Graph, study: Node) -> tuple[str, ...]:
    head = _one(graph, study, BIBO.authorList)
    if head is not None:
        return tuple(str(a) for a in Collection(graph, head))
    return tuple(sorted(str(a) for a in graph.objects(study, DC.creator)))


def _studies(kg: KnowledgeGraph, graph: Graph) -> list[StudyView]:
    studies = []
    for iri in sorted({s for s in kg.asserted.subjects(RDF.type, EKG.Study) if isinstance(s, URIRef)}, key=str):
        identifier = _text(graph, iri, DCTERMS.identifier) or display(iri)
        design, _ = _design(graph, iri)
        level = _one(graph, iri, EKG.evidenceLevel)
        rank = _one(graph, level, EKG.levelRank)
        links = sorted(str(u) for u in graph.objects(iri, RDFS.seeAlso))
        doi_url = next((u for u in links if u.startswith(_DOI_PREFIX)), "")
        pmid_url = next((u for u in links if u.startswith(_PUBMED_PREFIX)), "")
        verified = _one(graph, iri, EKG.citationVerified)
        study = StudyView(
            iri=iri,
            anchor=f"study-{_slug(identifier)}",
            identifier=_slug(identifier),
            label=_label(graph, iri),
            title=_text(graph, iri, DCTERMS.title),
            authors=_authors(graph, iri),
            year=_text(graph, iri, DCTERMS.issued),
            journal=_text(graph, iri, EKG.journal),
            volume=_text(graph, iri, BIBO.volume),
            issue=_text(graph, iri, BIBO.issue),
            pages=_text(graph, iri, BIBO.pages),
            doi=_text(graph, iri, BIBO.doi),
            doi_url=doi_url,
            pmid=_text(graph, iri, BIBO.pmid),
            pmid_url=pmid_url,
            verified=not (isinstance(verified, Literal) and verified.toPython() is False),
            design=design,
            level=_label(graph, level) if level is not None else "",
            level_rank=int(rank.toPython()) if isinstance(rank, Literal) and isinstance(rank.toPython(), int) else 99,
            sample_size=_text(graph, iri, EKG.sampleSize),
            notes=_text(graph, iri, RDFS.comment),
            includes=tuple(sorted(_label(graph, s) for s in graph.objects(iri, EKG.includesStudy))),
            findings=(),
        )

        def order(finding: URIRef) -> tuple[int, str]:
            origin = kg.built.locate(finding)
            return (origin.location.line if origin else 0, str(finding))

        reported = (f for f in kg.asserted.objects(iri, EKG.reportsFinding) if isinstance(f, URIRef))
        finding_iris = sorted(reported, key=order)
        findings = tuple(_finding(graph, f, study, design) for f in finding_iris)
        studies.append(StudyView(**{**study.__dict__, "findings": findings}))
    return sorted(studies, key=lambda s: s.sort_key)


def _outcomes(graph: Graph, used: Iterable[URIRef]) -> tuple[tuple[URIRef, str, int], ...]:
    """The outcomes findings report, in hierarchy order (broader first, siblings by label), with their depth."""
    used_set = set(used)
    terms = {t for t in graph.subjects(RDF.type, EKG.Outcome) if isinstance(t, URIRef)} | used_set
    children: dict[URIRef, list[URIRef]] = defaultdict(list)
    has_parent = set()
    for term in terms:
        for parent in graph.objects(term, SKOS.broader):
            if parent in terms and parent != term:
                children[parent].append(term)  # type: ignore[index]
                has_parent.add(term)

    def key(term: URIRef) -> tuple[list[tuple[int, str]], str]:
        return (_natural(_label(graph, term)), str(term))

    ordered: list[tuple[URIRef, str, int]] = []
    seen: set[URIRef] = set()

    def visit(term: URIRef, depth: int) -> None:
        if term in seen:
            return
        seen.add(term)
        shown = term in used_set
        if shown:
            ordered.append((term, _label(graph, term), depth))
        for child in sorted(children.get(term, []), key=key):
            visit(child, depth + 1 if shown else depth)

    for root in sorted((t for t in terms if t not in has_parent), key=key):
        visit(root, 0)
    for term in sorted(used_set - seen, key=key):  # a cycle would leave terms unvisited
        visit(term, 0)
    return tuple(ordered)


def _natural(text: str) -> list[tuple[int, str]]:
    """A sort key that puts "item 2" before "item 10"."""
    return [(int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", text.casefold()) if part]


def _term_relation_note(graph: Graph, label: str, first: FindingView, second: FindingView) -> str:
    """Where the query's "first is narrower/broader" label points, named by study."""
    relation = next((s for s in graph.subjects(RDFS.label, None) if str(_text(graph, s, RDFS.label)) == label
                     and (s, RDF.type, EKG.TermRelation) in graph), None)
    if relation == EKG.NarrowerTerm:
        return f"narrower in {first.study_label}"
    if relation == EKG.BroaderTerm:
        return f"narrower in {second.study_label}"
    return label


def _explanations(kg: KnowledgeGraph, graph: Graph, findings: Mapping[URIRef, FindingView]) -> dict[URIRef, list[dict[str, Any]]]:
    """Relation → its facets as the ``explanations`` query gives them (values relative to its first finding)."""
    facets: dict[URIRef, list[dict[str, Any]]] = defaultdict(list)
    label_notes: dict[tuple[str, Node, Node], str] = {}
    for row in kg.query("explanations").records():
        relation, first, second = row["relation"], row["finding1"], row["finding2"]
        if first not in findings or second not in findings:
            continue
        note = ""
        if "termRelationLabel" in row:
            key = (str(row["termRelationLabel"]), first, second)
            if key not in label_notes:
                label_notes[key] = _term_relation_note(graph, key[0], findings[first], findings[second])  # type: ignore[index]
            note = label_notes[key]
        if "largerFinding" in row and row["largerFinding"] in findings:
            note = f"larger: {findings[row['largerFinding']].study_label}"  # type: ignore[index]
        facets[relation].append({  # type: ignore[index]
            "first": first, "category": display(row["categoryLabel"]), "label": display(row["facetLabel"]),
            "value1": display(row["value1"]), "value2": display(row["value2"]), "note": note,
        })
    return facets


def _oriented(rows: Sequence[dict[str, Any]], left: URIRef) -> tuple[FacetView, ...]:
    out = []
    for row in rows:
        swap = row["first"] != left
        a, b = (row["value2"], row["value1"]) if swap else (row["value1"], row["value2"])
        out.append(FacetView(row["category"], row["label"], a, b, row["note"]))
    return tuple(out)


def _is_true(value: Node | None) -> bool:
    return isinstance(value, Literal) and value.toPython() is True


_DERIVED_ONLY = "queries/derive only (no named query returns it)"


def _disagreements(kg: KnowledgeGraph, graph: Graph, findings: Mapping[URIRef, FindingView]) -> tuple[DisagreementView, ...]:
    explanations = _explanations(kg, graph, findings)
    entries: dict[URIRef, dict[str, Any]] = {}

    def add(relation: Any, left: Any, right: Any, kind: str, contrast: str, dependent: bool,
            roles: tuple[str, str], source: str) -> None:
        if left not in findings or right not in findings:
            return
        entry = entries.setdefault(relation, {"left": left, "right": right, "kinds": [], "contrast": contrast,
                                              "dependent": dependent, "roles": roles, "sources": []})
        if kind not in entry["kinds"]:
            entry["kinds"].append(kind)
        if source not in entry["sources"]:
            entry["sources"].append(source)

    opposite_label = _label(graph, EKG.OppositeDirections)
    effect_label = _label(graph, EKG.EffectVersusNull)
    for row in kg.query("contradictions").records():
        add(row["relation"], row["finding1"], row["finding2"], opposite_label, display(row.get("contrast")),
            _is_true(row.get("dependent")), ("", ""), "contradictions.rq")
    for row in kg.query("effect-vs-null").records():
        contrast = _label(graph, _one(graph, row["relation"], EKG.contrastKind))
        add(row["relation"], row["effectFinding"], row["nullFinding"], effect_label, contrast,
            _is_true(row.get("dependent")), ("effect", "no effect"), "effect-vs-null.rq")
    # Disagreements the named queries do not return (e.g. effect vs null between exposures): still disagreements.
    for relation in sorted(graph.subjects(RDF.type, EKG.Disagreement), key=str):
        if relation in entries:
            continue
        effect, null = _one(graph, relation, EKG.effectFinding), _one(graph, relation, EKG.nullFinding)
        first, second = _one(graph, relation, EKG.firstFinding), _one(graph, relation, EKG.secondFinding)
        kinds = sorted(_label(graph, k) for k in graph.objects(relation, EKG.relationKind))
        opposite = (relation, EKG.relationKind, EKG.OppositeDirections) in graph
        left, right = (first, second) if opposite or effect is None else (effect, null)
        roles = ("", "") if opposite or effect is None else ("effect", "no effect")
        contrast = _label(graph, _one(graph, relation, EKG.contrastKind))
        dependent = _is_true(_one(graph, relation, EKG.dependentEvidence))
        for kind in kinds or ["disagreement"]:
            add(relation, left, right, kind, contrast, dependent, roles, _DERIVED_ONLY)

    views = []
    for number, (relation, entry) in enumerate(entries.items(), start=1):
        shown_left, shown_right = findings[entry["left"]], findings[entry["right"]]
        views.append(DisagreementView(
            number=number, relation=relation, kinds=tuple(entry["kinds"]), contrast=entry["contrast"],
            dependent=entry["dependent"], left=shown_left, right=shown_right,
            facets=_oriented(explanations.get(relation, []), shown_left.iri), roles=entry["roles"],
            source=", ".join(entry["sources"]),
        ))
    return tuple(views)


def _agreements(graph: Graph, findings: Mapping[URIRef, FindingView]) -> tuple[tuple[URIRef, URIRef], ...]:
    pairs = set()
    for relation in graph.subjects(RDF.type, EKG.Agreement):
        ends = sorted((f for f in graph.objects(relation, EKG.relatesFinding) if f in findings), key=str)
        if len(ends) == 2:
            pairs.add((ends[0], ends[1]))
    return tuple(sorted(pairs, key=lambda p: (str(p[0]), str(p[1]))))  # type: ignore[arg-type]


def collect(kg: KnowledgeGraph) -> ReportData:
    """Read everything the report shows from a built graph."""
    graph = kg.union()
    studies = _studies(kg, graph)
    findings = {f.iri: f for s in studies for f in s.findings}
    design_labels = {str(code): _label(graph, cls) for cls, code in graph.subject_objects(EKG.designCode)}
    overview = []
    for row in kg.query("evidence-by-design").records():
        values = {key: display(value) for key, value in row.items()}
        values["designLabel"] = design_labels.get(values.get("design", ""), values.get("design", ""))
        overview.append(values)
    meta = kg.dataset.metadata
    counts = kg.counts()
    disagreements = _disagreements(kg, graph, findings)
    summary = {
        "studies": counts.get("studies", len(studies)),
        "findings": counts.get("findings", len(findings)),
        "disagreements": len(disagreements),
        "agreements": counts.get("agreements", 0),
        "unverified": sum(1 for s in studies if not s.verified),
        "questions": len({(r.get("factor"), r.get("outcome")) for r in overview}),
    }
    outcomes = _outcomes(graph, (f.outcome_iri for f in findings.values() if f.outcome_iri is not None))
    return ReportData(
        title=meta.title or "Evidence report",
        question=meta.question or "",
        description=meta.description or "",
        license=meta.license or "",
        counts=summary,
        disagreements=disagreements,
        agreements=_agreements(graph, findings),
        studies=tuple(studies),
        overview=tuple(overview),
        outcomes=outcomes,
        findings=findings,
    )


# --- the evidence map (inline SVG) -------------------------------------------------------------

_COLOURS = {"increase": "#2f6db3", "decrease": "#c2671b", "no-change": "#6b7785", "other": "#6b7785"}
_DISAGREE = "#c0392b"
_AGREE = "#9aa3ad"
_CHAR = 6.6  # average width of a 12px sans-serif character, rounded up
_ROW = 26.0
_ROW_LABEL = 52  # characters of an outcome label shown before it is cut (the full label is in the tooltip)
_PAGE_WIDTH = 1060.0  # the width the figure may fill on the page before it scrolls
_SLOT = 15.0


def _f(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _marker(code: str, x: float, y: float, significant: bool | None, size: float = 5.5) -> str:
    colour = _COLOURS.get(code, _COLOURS["other"])
    if significant is True:
        paint = f'fill="{colour}" stroke="#fff" stroke-width="1"'
    elif significant is False:
        paint = f'fill="#fff" stroke="{colour}" stroke-width="1.6"'
    else:
        paint = f'fill="{colour}" fill-opacity="0.4" stroke="{colour}" stroke-width="1.2"'
    if code == "increase":
        h = size * 1.15
        return (f'<path d="M{_f(x)} {_f(y - h)}L{_f(x + size)} {_f(y + h * 0.75)}L{_f(x - size)} {_f(y + h * 0.75)}Z" '
                f"{paint}/>")
    if code == "decrease":
        h = size * 1.15
        return (f'<path d="M{_f(x)} {_f(y + h)}L{_f(x + size)} {_f(y - h * 0.75)}L{_f(x - size)} {_f(y - h * 0.75)}Z" '
                f"{paint}/>")
    return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(size * 0.85)}" {paint}/>'


def _arc(x1: float, y1: float, x2: float, y2: float, top: float) -> str:
    """A quadratic curve between two points, bowed up (or down when there is no room above)."""
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    if ny > 0 or (ny == 0 and nx > 0):
        nx, ny = -nx, -ny
    bow = min(0.28 * length, 70.0) + 6.0
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    if my + ny * bow < top:
        nx, ny = -nx, -ny
    return f"M{_f(x1)} {_f(y1)}Q{_f(mx + nx * bow)} {_f(my + ny * bow)} {_f(x2)} {_f(y2)}"


def evidence_map_svg(
    studies: Sequence[StudyView],
    outcomes: Sequence[tuple[URIRef, str, int]],
    disagreements: Sequence[DisagreementView],
    agreements: Sequence[tuple[URIRef, URIRef]],
) -> str:
    """Studies as columns (strongest evidence level first), outcomes as rows, findings as markers, relations as arcs."""
    row_of = {iri: index for index, (iri, _, _) in enumerate(outcomes)}
    by_iri = {f.iri: f for study in studies for f in study.findings}
    # Column widths: room for the most findings one study reports on one outcome.
    per_cell: dict[tuple[URIRef, URIRef | None], list[FindingView]] = defaultdict(list)
    for study in studies:
        for finding in study.findings:
            per_cell[(study.iri, finding.outcome_iri)].append(finding)
    widths = []
    for study in studies:
        most = max([len(v) for (s, _), v in per_cell.items() if s == study.iri] or [1])
        widths.append(max(30.0, most * _SLOT + 14.0))

    label_chars = min(max([len(label) + depth * 2 for _, label, depth in outcomes] or [10]), _ROW_LABEL)
    left = 20.0 + label_chars * _CHAR + 14.0
    study_chars = min(max([len(s.label) for s in studies] or [8]), 30)
    slant = study_chars * _CHAR * math.sin(math.radians(45))
    # Few studies: widen the columns (up to a limit) so that the figure fills a page's width.
    room = _PAGE_WIDTH - left - slant * 0.75 - 16.0
    if studies and sum(widths) < room:
        extra = (room - sum(widths)) / len(widths)
        widths = [min(w + extra, max(w, 76.0)) for w in widths]
    top = 24.0 + slant + 30.0
    grid_w = sum(widths)
    grid_h = max(len(outcomes), 1) * _ROW
    legend_h = 78.0
    width = max(left + grid_w + slant * 0.75 + 16.0, 700.0)
    height = top + grid_h + 24.0 + legend_h

    xs = []
    cursor = left
    for w in widths:
        xs.append(cursor)
        cursor += w

    position: dict[URIRef, tuple[float, float]] = {}
    for column, study in enumerate(studies):
        for (s, outcome), cell in per_cell.items():
            if s != study.iri or outcome not in row_of:
                continue
            y = top + row_of[outcome] * _ROW + _ROW / 2
            start = xs[column] + (widths[column] - len(cell) * _SLOT) / 2 + _SLOT / 2
            for slot, finding in enumerate(cell):
                position[finding.iri] = (start + slot * _SLOT, y)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="evidence-map" role="img" '
        f'aria-labelledby="map-title map-desc" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}">',
        '<title id="map-title">Evidence map</title>',
        f'<desc id="map-desc">{len(studies)} studies as columns, ordered by evidence level; '
        f"{len(outcomes)} outcomes as rows, narrower outcomes indented under broader ones; "
        f"{len(position)} findings as markers; {len(disagreements)} disagreements as red arcs and "
        f"{len(agreements)} agreements as grey arcs.</desc>",
    ]
    # Row stripes and labels.
    out.append('<g class="rows">')
    for index, (_, label, depth) in enumerate(outcomes):
        y = top + index * _ROW
        if index % 2 == 0:
            out.append(f'<rect x="12" y="{_f(y)}" width="{_f(left - 12 + grid_w)}" height="{_f(_ROW)}" '
                       'fill="#f4f6f8"/>')
        shown = _short(label, _ROW_LABEL - depth * 2)
        indent = 20.0 + depth * 12.0
        tick = (f'<path d="M{_f(indent - 8)} {_f(y + 7)}V{_f(y + _ROW / 2)}H{_f(indent - 3)}" fill="none" '
                f'stroke="#b7bec7"/>' if depth else "")
        out.append(f'<g>{tick}<text x="{_f(indent)}" y="{_f(y + _ROW / 2 + 4)}" class="row-label">'
                   f"<title>{escape(label)}</title>{escape(shown)}</text></g>")
    out.append("</g>")
    # Column guides, evidence-level groups and study labels.
    out.append('<g class="columns">')
    previous_rank = None
    for column, study in enumerate(studies):
        x, w = xs[column], widths[column]
        cx = x + w / 2
        out.append(f'<line x1="{_f(cx)}" y1="{_f(top)}" x2="{_f(cx)}" y2="{_f(top + grid_h)}" stroke="#e3e7ec"/>')
        if previous_rank is not None and study.level_rank != previous_rank:
            out.append(f'<line x1="{_f(x)}" y1="{_f(top - 24)}" x2="{_f(x)}" y2="{_f(top + grid_h)}" '
                       'stroke="#9aa3ad" stroke-dasharray="3 3"/>')
        previous_rank = study.level_rank
        name = _short(study.label, 30)
        tip = f"{study.label}: {study.design or 'design not stated'}; {study.level or 'no evidence level'}"
        out.append(
            f'<a href="#{escape(study.anchor)}"><title>{escape(tip)}</title>'
            f'<text transform="translate({_f(cx + 3)} {_f(top - 30)}) rotate(-45)" class="col-label">'
            f"{escape(name)}</text></a>"
        )
        rank = f"L{study.level_rank}" if study.level_rank != 99 else "–"  # noqa: RUF001
        out.append(f'<text x="{_f(cx)}" y="{_f(top - 9)}" text-anchor="middle" class="level-tag">'
                   f"<title>{escape(study.level or 'evidence level not known')}</title>{rank}</text>")
    out.append("</g>")

    # Relations: agreements under disagreements, markers on top.
    def edge(a: URIRef, b: URIRef) -> str | None:
        if a not in position or b not in position:
            return None
        (x1, y1), (x2, y2) = position[a], position[b]
        return _arc(x1, y1, x2, y2, top + 4)

    # Many relations: thinner, fainter arcs, so that the markers stay visible.
    crowd = len(agreements) + len(disagreements)
    fade = 1.0 if crowd <= 60 else max(0.25, math.sqrt(60 / crowd))
    out.append('<g class="agreements" fill="none">')
    for a, b in agreements:
        path = edge(a, b)
        if path is None:
            continue
        tip = f"Agreement: {_describe(by_iri.get(a), a)} and {_describe(by_iri.get(b), b)}"
        out.append(f'<path d="{path}" stroke="{_AGREE}" stroke-width="1.4" stroke-opacity="{0.85 * fade:.2f}">'
                   f"<title>{escape(tip)}</title></path>")
    out.append("</g>")
    out.append('<g class="disagreements" fill="none">')
    for d in disagreements:
        path = edge(d.left.iri, d.right.iri)
        if path is None:
            continue
        dash = ' stroke-dasharray="5 3"' if d.dependent else ""
        tip = (f"Disagreement {d.number} ({', '.join(d.kinds)}): {d.left.study_label}, {_claim(d.left)} vs "
               f"{d.right.study_label}, {_claim(d.right)}; {d.outcome}")
        out.append(f'<a href="#{d.anchor}"><title>{escape(tip)}</title>'
                   f'<path d="{path}" stroke="#fff" stroke-width="4" stroke-opacity="{0.8 * fade:.2f}"/>'
                   f'<path d="{path}" stroke="{_DISAGREE}" stroke-width="1.9" stroke-opacity="{fade:.2f}"{dash}/></a>')
    out.append("</g>")
    out.append('<g class="findings">')
    for study in studies:
        for finding in study.findings:
            if finding.iri not in position:
                continue
            x, y = position[finding.iri]
            tip = f"{finding.study_label}: {finding.outcome}, {finding.direction} ({finding.significance})"
            if finding.p_value:
                tip += f", p {_p_text(finding.p_value)}"
            tip += f"; {finding.contrast}"
            out.append(f'<a href="#{escape(finding.anchor)}"><title>{escape(tip)}</title>'
                       f"{_marker(finding.direction_code, x, y, finding.significant)}</a>")
    out.append("</g>")
    out.append(_legend(12.0, top + grid_h + 26.0))
    out.append("</svg>")
    return "\n".join(out)


def _describe(finding: FindingView | None, iri: URIRef) -> str:
    return f"{finding.study_label} ({finding.outcome}, {finding.direction})" if finding else display(iri)


def _legend(x: float, y: float) -> str:
    parts = [f'<g class="legend" transform="translate({_f(x)} {_f(y)})">',
             '<text x="0" y="0" class="legend-head">Legend</text>']
    row1 = [("increase", "increase"), ("decrease", "decrease"), ("no-change", "no change")]
    cx = 8.0
    for code, text in row1:
        parts.append(_marker(code, cx, 20, True))
        parts.append(f'<text x="{_f(cx + 11)}" y="24">{text}</text>')
        cx += 22 + len(text) * _CHAR
    cx += 14
    for significant, text in ((True, "significant"), (False, "not significant"), (None, "significance not reported")):
        parts.append(_marker("increase", cx, 20, significant))
        parts.append(f'<text x="{_f(cx + 11)}" y="24">{text}</text>')
        cx += 22 + len(text) * _CHAR
    cx = 0.0
    for colour, dash, text in ((_DISAGREE, "", "disagreement"), (_DISAGREE, ' stroke-dasharray="5 3"',
                                                                 "disagreement, dependent evidence"),
                               (_AGREE, "", "agreement")):
        parts.append(f'<path d="M{_f(cx)} 50Q{_f(cx + 14)} 38 {_f(cx + 28)} 50" fill="none" stroke="{colour}" '
                     f'stroke-width="1.9"{dash}/>')
        parts.append(f'<text x="{_f(cx + 34)}" y="52">{text}</text>')
        cx += 48 + len(text) * _CHAR
    parts.append(f'<text x="{_f(cx)}" y="52">L1–L5: evidence level, L1 the strongest</text>')  # noqa: RUF001
    parts.append("</g>")
    return "".join(parts)


# --- HTML --------------------------------------------------------------------------------------

@cache
def _template() -> str:
    """The page skeleton, ``templates/report.html``, with ``${name}`` slots for already escaped HTML."""
    return resources.files("evidencekg.outputs.report").joinpath("templates", "report.html").read_text(encoding="utf-8")


@cache
def _css() -> str:
    """The stylesheet, shipped as ``templates/report.css`` inside the package and inlined into the page."""
    return resources.files("evidencekg.outputs.report").joinpath("templates", "report.css").read_text(encoding="utf-8").strip()

_ARROWS = {"increase": "▲", "decrease": "▼", "no-change": "●"}


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _dash(value: str) -> str:
    return _e(value) if value else '<span class="zero">—</span>'


def _p_text(p: str) -> str:
    p = p.strip()
    if p[:1] in "<>≤≥=":
        return f"{p[0]} {p[1:].lstrip('= ').strip()}" if p[:2] not in ("<=", ">=") else f"{p[:2]} {p[2:].strip()}"
    return f"= {p}"


def _finding_details(finding: Any) -> list[str]:
    """The contrast, intervention, time point and p-value of a finding, as short phrases."""
    detail = [finding.contrast]
    if finding.intervention:
        detail.append(f"intervention: {finding.intervention}")
    if finding.timepoint:
        detail.append(f"at {finding.timepoint}")
    if finding.p_value:
        detail.append(f"p {_p_text(finding.p_value)}")
    return detail


def _direction_html(finding: FindingView, with_significance: bool = True) -> str:
    arrow = _ARROWS.get(finding.direction_code, "◆")
    text = (f'<span class="dir {_e(finding.direction_code)}"><span aria-hidden="true">{arrow}</span> '
            f"{_e(finding.direction)}</span>")
    if with_significance:
        significance = finding.significance if finding.significant is not None else "significance not reported"
        text += f' <span class="sig">{_e(significance)}</span>'
    return text


def _host(url: str) -> str:
    return urlsplit(url).hostname or "source"


def _quote_html(finding: FindingView) -> str:
    if not finding.quote:
        return '<span class="zero">—</span>'
    source = ""
    if finding.quote_source:
        host = _host(finding.quote_source)
        source = f' <span class="src">— <a href="{_e(finding.quote_source)}" rel="noopener">{_e(host)}</a></span>'
    return f'<blockquote class="quote">{_e(finding.quote)}</blockquote>{source}'


def _link_study(finding: FindingView) -> str:
    link = f'<a href="#{_e(finding.study_anchor)}">{_e(finding.study_label)}</a>'
    if finding.level:
        link += " " + _level_pill(str(finding.level_rank), finding.level)
    return link


def _summary_table(data: ReportData) -> str:
    if not data.disagreements:
        return '<p class="intro">No disagreement was found between the findings of different studies.</p>'
    rows = []
    for d in data.disagreements:
        kinds = "".join(f'<span class="tag red">{_e(k)}</span>' for k in d.kinds)
        if d.dependent:
            kinds += '<span class="tag amber">dependent evidence</span>'
        rows.append(
            f'<tr><td class="num"><a href="#{d.anchor}">{d.number}</a></td>'
            f"<td>{_e(d.outcome)}</td><td>{kinds}</td>"
            f"<td>{_link_study(d.left)}<br>{_direction_html(d.left)}</td>"
            f"<td>{_link_study(d.right)}<br>{_direction_html(d.right)}</td>"
            f"<td>{_e(d.contrast)}</td></tr>"
        )
    return (
        '<table class="summary"><caption class="vh">Every disagreement, one row each</caption>'
        '<colgroup><col class="c-n"><col class="c-outcome"><col class="c-kind"><col class="c-study">'
        '<col class="c-study"><col class="c-contrast"></colgroup>'
        '<thead><tr><th scope="col" class="num">#</th><th scope="col">Outcome</th><th scope="col">Kind</th>'
        '<th scope="col">Study A</th><th scope="col">Study B</th><th scope="col">Contrast</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


_SIDE_ROWS: tuple[tuple[str, str], ...] = (
    ("design", "design"), ("population", "population"), ("condition", "condition"), ("groups", "contrast"),
    ("intervention", "intervention"), ("exposure", "exposure"), ("sample size", "sample_size"),
    ("outcome", "outcome"), ("direction", "direction"), ("significance", "significance"), ("p-value", "p_value"),
    ("time point", "timepoint"),
)


def _pair_html(d: DisagreementView) -> str:
    tags = "".join(f'<span class="tag red">{_e(k)}</span>' for k in d.kinds)
    if d.contrast:
        tags += f'<span class="tag">contrast: {_e(d.contrast)}</span>'
    if d.dependent:
        tags += ('<span class="tag amber" title="One study is a review that includes the other">'
                 "dependent evidence: one study is a review that includes the other</span>")
    heads = []
    for finding, role in ((d.left, d.roles[0]), (d.right, d.roles[1])):
        role_html = f'<span class="role">{_e(role)}</span>' if role else ""
        heads.append(f'<th scope="col">{role_html}{_link_study(finding)}</th>')
    body = []
    for label, attribute in _SIDE_ROWS:
        a, b = getattr(d.left, attribute), getattr(d.right, attribute)
        if not a and not b:
            continue
        if attribute == "direction":
            cells = f"<td>{_direction_html(d.left, False)}</td><td>{_direction_html(d.right, False)}</td>"
        elif attribute == "p_value":
            cells = f"<td>{_dash(a)}</td><td>{_dash(b)}</td>"
        else:
            cells = f"<td>{_dash(a)}</td><td>{_dash(b)}</td>"
        differs = ' class="differs"' if a != b and attribute not in ("contrast",) else ""
        body.append(f'<tr{differs}><th scope="row">{_e(label)}</th>{cells}</tr>')
    body.append(f'<tr><th scope="row">quote</th><td>{_quote_html(d.left)}</td><td>{_quote_html(d.right)}</td></tr>')
    side = (
        f'<table class="side"><caption class="vh">Disagreement {d.number}: the two findings side by side</caption>'
        '<colgroup><col class="c-attr"><col class="c-study"><col class="c-study"></colgroup>'
        f'<thead><tr><td></td>{"".join(heads)}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )
    return (
        f'<article class="pair" id="{d.anchor}" aria-labelledby="{d.anchor}-title">'
        f'<header><h3 id="{d.anchor}-title"><span class="n">{d.number}.</span>{_e(d.title)}</h3>'
        f'<div>{tags}</div><p class="via">found by {_e(d.source)}</p></header>{side}{_facets_html(d)}</article>'
    )


def _facets_html(d: DisagreementView) -> str:
    if not d.facets:
        return ""
    groups: dict[str, list[FacetView]] = {}
    for facet in d.facets:
        groups.setdefault(facet.category, []).append(facet)
    bodies = []
    for category, facets in groups.items():
        rows = "".join(
            f"<tr><td>{_e(f.label)}</td><td>{_e(f.left)}</td><td>{_e(f.right)}</td>"
            f'<td class="note">{_e(f.note)}</td></tr>'
            for f in facets
        )
        bodies.append(f'<tbody><tr><th scope="rowgroup" colspan="4">{_e(category)}</th></tr>{rows}</tbody>')
    return (
        "<h4>Where the two differ, by context category</h4>"
        f'<table class="facets"><caption class="vh">Facets on which the findings of disagreement {d.number} differ'
        '</caption><colgroup><col class="c-attr"><col class="c-study"><col class="c-study"><col class="c-note">'
        "</colgroup>"
        '<thead><tr><th scope="col">Facet</th>'
        f'<th scope="col">{_e(d.left.study_label)}</th><th scope="col">{_e(d.right.study_label)}</th>'
        f'<th scope="col">Note</th></tr></thead>{"".join(bodies)}</table>'
    )


def _overview_groups(data: ReportData) -> list[tuple[str, list[tuple[str, list[Mapping[str, str]]]]]]:
    """The overview rows grouped by what was varied, then by outcome, in query order."""
    groups: dict[str, dict[str, list[Mapping[str, str]]]] = {}
    for row in data.overview:
        groups.setdefault(row.get("factor", ""), {}).setdefault(row.get("outcome", ""), []).append(row)
    return [(factor, list(outcomes.items())) for factor, outcomes in groups.items()]


def _levels(data: ReportData) -> list[tuple[str, str]]:
    """(rank, label) of every evidence level the overview or the studies mention, strongest first."""
    levels = {(r.get("levelRank", ""), r.get("evidenceLevel", "")) for r in data.overview if r.get("levelRank")}
    levels |= {(str(s.level_rank), s.level) for s in data.studies if s.level}
    return sorted(levels, key=lambda item: (int(item[0]) if item[0].isdigit() else 99, item[1]))


def _count(value: str) -> str:
    return '<span class="zero">0</span>' if value in ("", "0") else _e(value)


def _level_pill(rank: str, label: str) -> str:
    if not rank:
        return ""
    return f'<span class="lvl lvl{_e(rank)}" title="{_e(label)}">L{_e(rank)}</span>'


def _overview_html(data: ReportData) -> str:
    if not data.overview:
        return '<p class="intro">No finding has a question (intervention, exposure or condition) to group by.</p>'
    bodies = []
    for factor, outcomes in _overview_groups(data):
        cells = [f'<tr class="factor"><th scope="rowgroup" colspan="7">{_e(factor)}</th></tr>']
        for outcome, rows in outcomes:
            for index, row in enumerate(rows):
                head = f'<th scope="row" rowspan="{len(rows)}">{_e(outcome)}</th>' if index == 0 else ""
                cells.append(
                    f"<tr>{head}<td>{_level_pill(row.get('levelRank', ''), row.get('evidenceLevel', ''))} "
                    f"{_e(row.get('designLabel') or 'design not stated')}</td>"
                    f'<td class="num">{_count(row.get("findings", ""))}</td>'
                    f'<td class="num">{_count(row.get("studies", ""))}</td>'
                    f'<td class="num up">{_count(row.get("increases", ""))}</td>'
                    f'<td class="num down">{_count(row.get("decreases", ""))}</td>'
                    f'<td class="num flat">{_count(row.get("noChanges", ""))}</td></tr>'
                )
        bodies.append(f"<tbody>{''.join(cells)}</tbody>")
    legend = "".join(f"<li>{_level_pill(rank, label)} {_e(label)}</li>" for rank, label in _levels(data))
    return (
        f'<ul class="levels" aria-label="Evidence levels">{legend}</ul>'
        '<table class="overview"><caption class="vh">Findings per question by design and evidence level</caption>'
        '<colgroup><col class="c-outcome"><col class="c-design"><col span="5" class="c-count"></colgroup>'
        '<thead><tr><th scope="col">What was varied, and outcome</th><th scope="col">Evidence level and design</th>'
        '<th scope="col" class="num">Findings</th><th scope="col" class="num">Studies</th>'
        '<th scope="col" class="num"><span aria-hidden="true">▲</span> increase</th>'
        '<th scope="col" class="num"><span aria-hidden="true">▼</span> decrease</th>'
        '<th scope="col" class="num"><span aria-hidden="true">●</span> no change</th></tr></thead>'
        f"{''.join(bodies)}</table>"
    )


def _citation(study: StudyView) -> str:
    """Authors (year). Title. Journal, volume(issue), pages: as plain text."""
    parts = []
    if study.authors:
        parts.append(", ".join(study.authors))
    if study.year:
        parts.append(f"({study.year})")
    head = " ".join(parts)
    return head


def _source_line(study: StudyView) -> str:
    text = study.journal
    volume = study.volume + (f"({study.issue})" if study.issue else "")
    if volume:
        text += (", " if text else "") + volume
    if study.pages:
        text += (", " if text else "") + study.pages
    return text


def _disagreement_index(data: ReportData) -> dict[URIRef, list[tuple[DisagreementView, FindingView]]]:
    index: dict[URIRef, list[tuple[DisagreementView, FindingView]]] = defaultdict(list)
    for d in data.disagreements:
        index[d.left.iri].append((d, d.right))
        index[d.right.iri].append((d, d.left))
    return index


def _card_html(study: StudyView, conflicts: Mapping[URIRef, list[tuple[DisagreementView, FindingView]]]) -> str:
    badge = ("" if study.verified else
             '<span class="badge" title="The citation could not be checked">citation not verified</span>')
    cite = []
    head = _citation(study)
    if head:
        cite.append(_e(head) + ".")
    if study.title:
        cite.append(f"<cite>{_e(study.title)}</cite>.")
    source = _source_line(study)
    if source:
        journal = f"<i>{_e(study.journal)}</i>" if study.journal else ""
        cite.append(f"{journal}{_e(source[len(study.journal):])}.")
    if not cite:
        cite.append('<span class="zero">No citation recorded.</span>')
    citation = f'<p class="cite">{" ".join(cite)}</p>'
    ids = []
    if study.doi:
        doi = f'<a href="{_e(study.doi_url)}" rel="noopener">{_e(study.doi)}</a>' if study.doi_url else _e(study.doi)
        ids.append(f"<span>DOI {doi}</span>")
    if study.pmid:
        pmid = (f'<a href="{_e(study.pmid_url)}" rel="noopener">{_e(study.pmid)}</a>' if study.pmid_url
                else _e(study.pmid))
        ids.append(f"<span>PMID {pmid}</span>")
    ids_html = f'<p class="ids">{"".join(ids)}</p>' if ids else ""
    meta = [("design", study.design or "not stated"), ("evidence level", study.level or "not known"),
            ("sample size", study.sample_size or "not reported")]
    if study.includes:
        meta.append(("includes", ", ".join(study.includes)))
    meta_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta)
    items = []
    for finding in study.findings:
        detail = _finding_details(finding)
        links = "".join(
            f'<li><a href="#{d.anchor}">disagreement {d.number}</a> with {_e(other.study_label)}</li>'
            for d, other in conflicts.get(finding.iri, [])
        )
        links_html = f'<ul class="dis-links" aria-label="Disagreements">{links}</ul>' if links else ""
        quote = _quote_html(finding) if finding.quote else ""
        items.append(
            f'<li id="{_e(finding.anchor)}"><span class="f-head"><b>{_e(finding.outcome)}</b> '
            f'{_direction_html(finding)}</span><span class="detail">{_e("; ".join(detail))}</span>'
            f"{quote}{links_html}</li>"
        )
    findings = f"<ol>{''.join(items)}</ol>" if items else '<p class="zero">No findings recorded.</p>'
    notes = f'<p class="notes"><b>Curator’s notes.</b> {_e(study.notes)}</p>' if study.notes else ""  # noqa: RUF001
    return (
        f'<article class="card" id="{_e(study.anchor)}" aria-labelledby="{_e(study.anchor)}-title">'
        f'<header><h3 id="{_e(study.anchor)}-title">{_e(study.label)}</h3>{badge}</header>'
        f'<div class="card-body"><div class="card-side">{citation}{ids_html}'
        f'<dl class="meta">{meta_html}</dl>{notes}</div>'
        f'<div class="card-main"><h4>Findings ({len(study.findings)})</h4>{findings}</div></div></article>'
    )


def _stats(data: ReportData) -> list[tuple[str, int, str]]:
    c = data.counts
    return [("studies", c["studies"], ""), ("findings", c["findings"], ""),
            ("disagreements", c["disagreements"], "hot"), ("agreements", c["agreements"], ""),
            ("questions", c["questions"], ""), ("citations not verified", c["unverified"], "")]


def render_html(data: ReportData) -> str:
    """The report as one self-contained HTML page."""
    stats = "".join(f'<div class="{cls}"><dt>{_e(name)}</dt><dd>{value}</dd></div>'
                    for name, value, cls in _stats(data))
    question = f'<p class="question"><b>Question.</b> {_e(data.question)}</p>' if data.question else ""
    description = f'<p class="lede">{_e(data.description)}</p>' if data.description else ""
    pairs = "".join(_pair_html(d) for d in data.disagreements)
    conflicts = _disagreement_index(data)
    cards = "".join(_card_html(s, conflicts) for s in data.studies)
    svg = evidence_map_svg(data.studies, data.outcomes, data.disagreements, data.agreements)
    license_text = f" Dataset licence: {_e(data.license)}." if data.license else ""
    page = string.Template(_template())
    return page.substitute(
        title=_e(data.title), css=_css(), question=question, description=description, stats=stats,
        summary=_summary_table(data), pairs=pairs, figure=svg, overview=_overview_html(data), cards=cards,
        studies=data.counts["studies"], findings=data.counts["findings"], licence=license_text,
    )


# --- Markdown ----------------------------------------------------------------------------------

_MD_SPECIAL = set("\\`*_[]<>|&~")


def _md(value: Any) -> str:
    """Inline Markdown text: one line, with every character Markdown could read as syntax escaped."""
    text = " ".join(str(value).split())
    return "".join(f"\\{c}" if c in _MD_SPECIAL else c for c in text)


def _md_cell(value: Any) -> str:
    return _md(value) if str(value) else "—"


def _md_direction(finding: FindingView, with_significance: bool = True) -> str:
    arrow = _ARROWS.get(finding.direction_code, "◆")
    text = f"{arrow} {_md(finding.direction)}"
    return f"{text} ({_md(finding.significance)})" if with_significance else text


def _md_table(head: Sequence[str], rows: Iterable[Sequence[str]], align: Sequence[str] | None = None) -> list[str]:
    align = align or ["---"] * len(head)
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(data: ReportData) -> str:
    """The report as Markdown: the same content as the HTML page, without the figure."""
    lines = [f"# {_md(data.title)}", ""]
    if data.question:
        lines += [f"**Question.** {_md(data.question)}", ""]
    if data.description:
        lines += [_md(data.description), ""]
    lines += [" · ".join(f"**{value}** {name}" for name, value, _ in _stats(data)), ""]

    lines += ["## Disagreements", ""]
    if not data.disagreements:
        lines += ["No disagreement was found between the findings of different studies.", ""]
    else:
        rows = []
        for d in data.disagreements:
            kinds = ", ".join(d.kinds) + ("; dependent evidence" if d.dependent else "")
            rows.append([str(d.number), _md(d.outcome), _md(kinds),
                         f"{_md(d.left.study_label)}: {_md_direction(d.left)}",
                         f"{_md(d.right.study_label)}: {_md_direction(d.right)}", _md_cell(d.contrast)])
        lines += _md_table(["#", "Outcome", "Kind", "Study A", "Study B", "Contrast"], rows,
                           ["--:", "---", "---", "---", "---", "---"])
        lines.append("")
    for d in data.disagreements:
        lines += [f"### {d.number}. {_md(d.title)}", ""]
        tags = [f"kind: {', '.join(d.kinds)}"]
        if d.contrast:
            tags.append(f"contrast: {d.contrast}")
        if d.dependent:
            tags.append("dependent evidence: one study is a review that includes the other")
        tags.append(f"found by: {d.source}")
        lines += [*(f"- {_md(t)}" for t in tags), ""]
        head = [""]
        for finding, role in ((d.left, d.roles[0]), (d.right, d.roles[1])):
            head.append(f"{_md(finding.study_label)}" + (f" ({_md(role)})" if role else ""))
        rows = []
        for label, attribute in _SIDE_ROWS:
            a, b = getattr(d.left, attribute), getattr(d.right, attribute)
            if not a and not b:
                continue
            if attribute == "direction":
                rows.append([label, _md_direction(d.left, False), _md_direction(d.right, False)])
            else:
                rows.append([label, _md_cell(a), _md_cell(b)])
        rows.append(["quote", _md_quote(d.left), _md_quote(d.right)])
        lines += [*_md_table(head, rows), ""]
        if d.facets:
            lines += ["Where the two differ, by context category:", ""]
            facet_rows = [[_md(f.category), _md(f.label), _md_cell(f.left), _md_cell(f.right), _md(f.note)]
                          for f in _grouped(d.facets)]
            facet_head = ["Category", "Facet", _md(d.left.study_label), _md(d.right.study_label), "Note"]
            lines += [*_md_table(facet_head, facet_rows), ""]

    lines += ["## Evidence map", ""]
    lines += [
        f"The HTML report (report.html) draws the evidence map: {len(data.studies)} studies as columns, "
        f"{len(data.outcomes)} outcomes as rows, {len(data.findings)} findings as markers, "
        f"{len(data.disagreements)} disagreements as red arcs and {len(data.agreements)} agreements as grey arcs. "
        "It is not reproduced in Markdown.",
        "",
    ]

    lines += ["## Evidence by question", ""]
    if not data.overview:
        lines += ["No finding has a question (intervention, exposure or condition) to group by.", ""]
    else:
        lines += ["Evidence levels: " + "; ".join(f"L{_md(rank)} = {_md(label)}" for rank, label in _levels(data)), ""]
        rows = []
        for factor, outcomes in _overview_groups(data):
            for outcome, group in outcomes:
                for row in group:
                    level = f"L{row['levelRank']}" if row.get("levelRank") else "—"
                    rows.append([_md(factor), _md(outcome), level, _md_cell(row.get("designLabel", "")),
                                 row.get("findings", "0"), row.get("studies", "0"), row.get("increases", "0"),
                                 row.get("decreases", "0"), row.get("noChanges", "0")])
        head = ["What was varied", "Outcome", "Level", "Design", "Findings", "Studies", "▲ increase", "▼ decrease",
                "● no change"]
        lines += [*_md_table(head, rows, ["---"] * 4 + ["--:"] * 5), ""]

    lines += ["## Studies", ""]
    conflicts = _disagreement_index(data)
    for study in data.studies:
        title = f"### {_md(study.label)}"
        if not study.verified:
            title += " — citation not verified"
        lines += [title, ""]
        cite = []
        if _citation(study):
            cite.append(_md(_citation(study)) + ".")
        if study.title:
            cite.append(f"*{_md(study.title)}*.")
        source = _source_line(study)
        if source:
            cite.append(_md(source) + ".")
        lines += [" ".join(cite) if cite else "No citation recorded.", ""]
        ids = []
        if study.doi:
            ids.append(f"DOI [{_md(study.doi)}](<{study.doi_url}>)" if study.doi_url else f"DOI {_md(study.doi)}")
        if study.pmid:
            ids.append(f"PMID [{_md(study.pmid)}](<{study.pmid_url}>)" if study.pmid_url else f"PMID {_md(study.pmid)}")
        if ids:
            lines += [" · ".join(ids), ""]
        lines.append(f"- design: {_md(study.design or 'not stated')}")
        lines.append(f"- evidence level: {_md(study.level or 'not known')}")
        lines.append(f"- sample size: {_md(study.sample_size or 'not reported')}")
        if study.includes:
            lines.append(f"- includes: {_md(', '.join(study.includes))}")
        lines.append("")
        if study.notes:
            lines += [f"Notes: {_md(study.notes)}", ""]
        if study.findings:
            lines += [f"Findings ({len(study.findings)}):", ""]
        for number, finding in enumerate(study.findings, start=1):
            detail = _finding_details(finding)
            item = f"{number}. **{_md(finding.outcome)}**: {_md_direction(finding)}; {_md('; '.join(detail))}"
            for d, other in conflicts.get(finding.iri, []):
                item += f" — disagreement {d.number} with {_md(other.study_label)}"
            lines.append(item)
            if finding.quote:
                source = ""
                if finding.quote_source:
                    source = f" ([{_md(_host(finding.quote_source))}](<{finding.quote_source}>))"
                lines.append(f"   > {_md(finding.quote)}{source}")
        lines.append("")
    lines += ["---", "",
              f"Generated by evidencekg from {data.counts['studies']} study records and {data.counts['findings']} "
              "findings: every table is read from the knowledge graph and its SPARQL queries."
              + (f" Dataset licence: {_md(data.license)}." if data.license else ""), ""]
    return "\n".join(lines)


def _md_quote(finding: FindingView) -> str:
    if not finding.quote:
        return "—"
    text = f"“{_md(finding.quote)}”"
    if finding.quote_source:
        text += f" ([{_md(_host(finding.quote_source))}](<{finding.quote_source}>))"
    return text


def _grouped(facets: Sequence[FacetView]) -> list[FacetView]:
    order: dict[str, int] = {}
    for facet in facets:
        order.setdefault(facet.category, len(order))
    return sorted(facets, key=lambda f: order[f.category])


# --- entry points ------------------------------------------------------------------------------


def render_report(kg: KnowledgeGraph) -> dict[str, bytes]:
    """File name → content of the report: ``report.html`` and ``report.md``. Pure: writes nothing."""
    data = collect(kg)
    return {
        HTML_FILE: render_html(data).encode("utf-8"),
        MARKDOWN_FILE: render_markdown(data).encode("utf-8"),
    }


def write_report(kg: KnowledgeGraph, out_dir: Path | str) -> list[Path]:
    """Write ``report.html`` and ``report.md`` to ``out_dir``, all or nothing; returns the paths written."""
    from ...atomic import write_files as write_outputs

    return write_outputs(render_report(kg), out_dir)

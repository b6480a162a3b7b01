"""The report as Markdown: the same content as the HTML page, without the figure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from . import phrases
from .model import DisagreementView, FindingView, ReportData, StudyView

_MD_SPECIAL = set("\\`*_[]<>|&~")


def _md(value: Any) -> str:
    """Inline Markdown text: one line, with every character Markdown could read as syntax escaped."""
    text = " ".join(str(value).split())
    return "".join(f"\\{c}" if c in _MD_SPECIAL else c for c in text)


def _cell(value: Any) -> str:
    return _md(value) if str(value) else "—"


def _direction(finding: FindingView, with_significance: bool = True) -> str:
    text = f"{phrases.arrow(finding.direction_code)} {_md(finding.direction)}"
    return f"{text} ({_md(finding.significance)})" if with_significance else text


def _link(text: str, url: str) -> str:
    return f"[{_md(text)}](<{url}>)"


def _quote_source(finding: FindingView) -> str:
    return f" ({_link(phrases.host(finding.quote_source), finding.quote_source)})" if finding.quote_source else ""


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], align: Sequence[str] | None = None) -> list[str]:
    align = align or ["---"] * len(head)
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _summary(data: ReportData) -> list[str]:
    if not data.disagreements:
        return [phrases.NO_DISAGREEMENT, ""]
    rows = []
    for d in data.disagreements:
        kinds = (", ".join(d.kinds) + ("; dependent evidence" if d.dependent else "")
                 + ("; rests on assumed values" if d.rests_on_assumptions else ""))
        rows.append([str(d.number), _md(d.outcome), _md(kinds),
                     f"{_md(d.left.study_label)}: {_direction(d.left)}",
                     f"{_md(d.right.study_label)}: {_direction(d.right)}", _cell(d.contrast)])
    return _table(["#", "Outcome", "Kind", "Study A", "Study B", "Contrast"], rows,
                  ["--:", "---", "---", "---", "---", "---"])


def _pair(d: DisagreementView) -> list[str]:
    tags = [f"kind: {', '.join(d.kinds)}"]
    if d.contrast:
        tags.append(f"contrast: {d.contrast}")
    if d.dependent:
        tags.append(phrases.DEPENDENT)
    if d.rests_on_assumptions:
        tags.append(phrases.ASSUMED)
    tags.append(f"found by: {d.source}")
    lines = [f"### {d.number}. {_md(d.title)}", "", *(f"- {_md(t)}" for t in tags), ""]
    head = ["", *(_md(finding.study_label) + (f" ({_md(role)})" if role else "") for finding, role in phrases.sides(d))]
    rows = []
    for label, attribute, a, b, _ in phrases.side_rows(d):
        if attribute == "direction":
            rows.append([label, _direction(d.left, False), _direction(d.right, False)])
        else:
            rows.append([label, _cell(a), _cell(b)])
    rows.append(["quote", _quote(d.left), _quote(d.right)])
    lines += _table(head, rows)
    if d.facets:
        facet_rows = [[_md(category), _md(f.label), _cell(f.left), _cell(f.right), _md(f.note)]
                      for category, facets in phrases.facet_groups(d) for f in facets]
        facet_head = ["Category", "Facet", _md(d.left.study_label), _md(d.right.study_label), "Note"]
        lines += ["Where the two differ, by context category:", "", *_table(facet_head, facet_rows)]
    return lines


def _quote(finding: FindingView) -> str:
    return f"“{_md(finding.quote)}”{_quote_source(finding)}" if finding.quote else "—"


def _overview(data: ReportData) -> list[str]:
    if not data.overview:
        return [phrases.NO_QUESTION, ""]
    lines = ["Evidence levels: " + "; ".join(f"L{_md(rank)} = {_md(label)}" for rank, label in phrases.levels(data)),
             ""]
    rows = []
    for factor, outcomes in phrases.overview_groups(data):
        for outcome, group in outcomes:
            for row in group:
                level = f"L{row['levelRank']}" if row.get("levelRank") else "—"
                rows.append([_md(factor), _md(outcome), level, _cell(row.get("designLabel", "")),
                             row.get("findings", "0"), row.get("studies", "0"), row.get("increases", "0"),
                             row.get("decreases", "0"), row.get("noChanges", "0")])
    head = ["What was varied", "Outcome", "Level", "Design", "Findings", "Studies", "▲ increase", "▼ decrease",
            "● no change"]
    return lines + _table(head, rows, ["---"] * 4 + ["--:"] * 5)


def _card(study: StudyView, conflicts: phrases.ConflictIndex) -> list[str]:
    lines = [f"### {_md(study.label)}" + ("" if study.verified else " — citation not verified"), ""]
    marks = {"authors": "{}.", "title": "*{}*.", "source": "{}."}
    cite = [marks[part].format(_md(text)) for part, text in phrases.citation(study)]
    lines += [" ".join(cite) if cite else "No citation recorded.", ""]
    ids = [f"{scheme} {_link(value, url) if url else _md(value)}" for scheme, value, url in phrases.identifiers(study)]
    if ids:
        lines += [" · ".join(ids), ""]
    lines += [*(f"- {name}: {_md(value)}" for name, value in phrases.study_facts(study)), ""]
    if study.notes:
        lines += [f"Notes: {_md(study.notes)}", ""]
    if study.findings:
        lines += [f"Findings ({len(study.findings)}):", ""]
    for number, finding in enumerate(study.findings, start=1):
        item = (f"{number}. **{_md(finding.outcome)}**: {_direction(finding)}; "
                f"{_md(phrases.finding_details(finding))}")
        for d, other in conflicts.get(finding.iri, []):
            item += f" — disagreement {d.number} with {_md(other.study_label)}"
        lines.append(item)
        if finding.quote:
            lines.append(f"   > {_md(finding.quote)}{_quote_source(finding)}")
    return [*lines, ""]


def _note(notes: dict[str, phrases.Note], section: str) -> list[str]:
    """A section's note on what the page leaves out, as a quoted paragraph; nothing when it shows all."""
    if section not in notes:
        return []
    marks = {"code": "`{}`", "strong": "**{}**", "text": "{}"}
    # Escaped as _md escapes, but the spaces that join the segments kept.
    escaped = ("".join(f"\\{c}" if c in _MD_SPECIAL else c for c in text) for _, text in notes[section])
    return ["> " + "".join(marks[kind].format(text if kind == "code" else plain)
                           for (kind, text), plain in zip(notes[section], escaped, strict=True)), ""]


def render_markdown(data: ReportData) -> str:
    """The report as Markdown: the same content as the HTML page, without the figure."""
    lines = [f"# {_md(data.title)}", ""]
    if data.question:
        lines += [f"**Question.** {_md(data.question)}", ""]
    if data.description:
        lines += [_md(data.description), ""]
    notes = phrases.omissions(data)
    lines += [" · ".join(f"**{value}** {name}" for name, value, _ in phrases.stats(data)), ""]
    lines += _note(notes, "page")
    lines += ["## Disagreements", "", *_note(notes, "disagreements"), *_summary(data)]
    for d in data.disagreements:
        lines += _pair(d)
    lines += [
        "## Evidence map", "",
        f"The HTML report (report.html) draws the evidence map: {len(data.studies)} studies as columns, "
        f"{len(data.outcomes)} outcomes as rows, {len(data.findings)} findings as markers, "
        f"{len(data.disagreements)} disagreements as red arcs and {len(data.agreements)} agreements as grey arcs. "
        "It is not reproduced in Markdown.",
        "",
    ]
    lines += _note(notes, "map")
    lines += ["## Evidence by question", "", *_note(notes, "questions"), *_overview(data)]
    lines += ["## Studies", "", *_note(notes, "studies")]
    conflicts = phrases.disagreement_index(data)
    for study in data.studies:
        lines += _card(study, conflicts)
    lines += ["---", "",
              f"Generated by evidencekg from {data.counts['studies']} study records and {data.counts['findings']} "
              "findings: every table is read from the knowledge graph and its SPARQL queries."
              + (f" Dataset licence: {_md(data.license)}." if data.license else ""), ""]
    return "\n".join(lines)

"""An evidence diff as text for a terminal, Markdown for a pull-request comment, and JSON (docs/diff.md).

Pure functions of an :class:`~evidencekg.analysis.diff.EvidenceDiff`: no clock, no host, no
temporary path, so the same two versions always give the same bytes. Values longer than a line are
shortened in text and Markdown (a quote, say); JSON keeps them whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from rdflib import Graph

from ..analysis.diff import (
    FAIL_CONDITIONS,
    FORMAT,
    VERSION,
    EvidenceDiff,
    Facet,
    FieldChange,
    FindingRef,
    QuestionChange,
    RelationChange,
    RelationState,
    Side,
)
from ..analysis.summary import QuestionSummary, RatingStep
from ..errors import SourceLocation, plural
from ..records.revisions import repository_file
from ..validation.report import CheckedInput, ShaclResult, ValidationReport
from .ci import to_sarif

_SHOWN_VALUE_CHARS = 80
_SUMMARY_COUNTS = (("studies", "studies"), ("findings", "findings"), ("disagreements", "disagreements"),
                   ("agreements", "agreements"), ("violations", "violations"), ("warnings", "warnings"))
_QUESTION_FIELD_NAMES = {"independent_studies": "independent studies"}


def _value(value: Any) -> str:
    """A record value on one line: scalars as YAML writes them, lists and mappings as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN_VALUE_CHARS else text[: _SHOWN_VALUE_CHARS - 1] + "…"


def _side_name(side: Side) -> str:
    return f"{side.name} ({side.commit[:12]})" if side.commit else side.name


def _headline(diff: EvidenceDiff) -> list[str]:
    """The counts a reviewer reads first, each only when it is not zero."""
    records: dict[tuple[str, str], int] = {}
    for record in diff.records:
        records[(record.kind, record.status)] = records.get((record.kind, record.status), 0) + 1
    findings: dict[str, int] = {}
    for finding in diff.findings:
        findings[finding.status] = findings.get(finding.status, 0) + 1
    by_status = {status: sum(1 for c in diff.disagreements if c.status == status)
                 for status in ("appeared", "disappeared", "changed")}
    drops = sum(q.certainty_dropped for q in diff.questions)
    parts = []
    if by_status["appeared"]:
        parts.append(plural(by_status["appeared"], "new disagreement"))
    if by_status["disappeared"]:
        parts.append(plural(by_status["disappeared"], "disagreement") + " resolved")
    if by_status["changed"]:
        parts.append(plural(by_status["changed"], "disagreement") + " changed")
    if drops:
        parts.append(plural(drops, "certainty drop"))
    if diff.results.new:
        parts.append(plural(len(diff.results.new), "new SHACL result"))
    if diff.results.fixed:
        parts.append(plural(len(diff.results.fixed), "SHACL result") + " fixed")
    record_text = ", ".join(f"{plural(count, 'study', 'studies') if kind == 'study' else kind} {status}"
                            for (kind, status), count in sorted(records.items()))
    finding_text = ", ".join(f"{plural(count, 'finding')} {status}" for status, count in sorted(findings.items()))
    details = [text for text in (record_text, finding_text) if text]
    return [", ".join(parts) or "no change to the evidence", *filter(None, details)]


# --- text -------------------------------------------------------------------------------------------------


def _what_changed(change: FieldChange, escape: Callable[[str], str] = str) -> str:
    if change.status == "changed":
        return f"{escape(_value(change.before))} → {escape(_value(change.after))}"
    if change.status == "added":
        return f"added {escape(_value(change.after))}"
    return f"removed (was {escape(_value(change.before))})"


def _field_lines(fields: Sequence[FieldChange], indent: str) -> list[str]:
    return [f"{indent}{change.field or '(record)'}: {_what_changed(change)}  [{change.location}]"
            for change in fields]


def _facet_lines(facets: Iterable[Facet], indent: str, mark: str = "") -> list[str]:
    return [f"{indent}{mark}{facet}" for facet in facets]


def _relation_what(change: RelationChange) -> str:
    """What the pair is on each side: the kinds, contrast and dependence, or that it was not compared."""
    before = change.before.describe() if change.before else None
    after = change.after.describe() if change.after else None
    if change.status == "appeared":
        return f"{after} (was {before})" if before else str(after)
    if change.status == "disappeared":
        return f"{before} (now {after})" if after else str(before)
    return f"{before} → {after}"


def _relation_title(change: RelationChange) -> str:
    return f"{change.status:<12}{change.first.name} vs {change.second.name}: {_relation_what(change)}"


def _step(step: RatingStep | None) -> str:
    if step is None:
        return "—"
    change = "" if step.step == "start" else f" ({step.change:+d})"
    return f"{step.level}{change}: {step.reason}"


def _question_fields(change: QuestionChange) -> list[str]:
    parts = []
    for name in change.fields:
        before = getattr(change.before, name) if change.before else "—"
        after = getattr(change.after, name) if change.after else "—"
        parts.append(f"{_QUESTION_FIELD_NAMES.get(name, name)} {before} → {after}")
    return parts


def _question_title(change: QuestionChange) -> str:
    return f"{change.factor} × {change.outcome} [{change.contrast}]"  # noqa: RUF001 - the multiplication sign


def _counts_table(diff: EvidenceDiff) -> list[tuple[str, int, int]]:
    return [(label, diff.base.counts.get(key, 0), diff.head.counts.get(key, 0)) for label, key in _SUMMARY_COUNTS]


def to_text(diff: EvidenceDiff) -> str:
    """The diff for a terminal: a headline, the counts before and after, then each section that has changes."""
    lines = [f"evidence diff: {_side_name(diff.base)} → {_side_name(diff.head)}", *_headline(diff), ""]
    lines += [f"  {label:<14}{before:>8} → {after}" for label, before, after in _counts_table(diff)]
    if diff.records:
        lines += ["", "Records"]
        for record in diff.records:
            moved = f" (from {record.previous_path})" if record.previous_path else ""
            lines.append(f"  {record.status:<12}{record.kind} {record.record}  {record.location.path}{moved}")
            lines += _field_lines(record.fields, "      ")
    if diff.findings:
        lines += ["", "Findings"]
        for finding in diff.findings:
            lines.append(f"  {finding.status:<12}{finding.finding.name}  [{finding.finding.location}]")
            lines += _field_lines(finding.fields, "      ")
    if diff.disagreements:
        lines += ["", "Disagreements"]
        for change in diff.disagreements:
            lines.append("  " + _relation_title(change))
            lines += [f"      {ref.name}  [{ref.location}]" for ref in (change.first, change.second)]
            if change.status == "changed":
                lines += _facet_lines(change.facets_added, "      ", "+ ") + _facet_lines(change.facets_removed,
                                                                                       "      ", "- ")
            else:
                shown = change.after if change.status == "appeared" else change.before
                lines += _facet_lines(shown.facets if shown else (), "      ")
    if diff.agreements_appeared or diff.agreements_disappeared:
        lines += ["", f"Agreements: {len(diff.agreements_appeared)} appeared, "
                      f"{len(diff.agreements_disappeared)} disappeared"]
        lines += [f"  {status:<12}{a.name} vs {b.name}" for status, pairs in
                  (("appeared", diff.agreements_appeared), ("disappeared", diff.agreements_disappeared))
                  for a, b in pairs]
    if diff.questions:
        lines += ["", "Questions"]
        for question in diff.questions:
            drop = "  CERTAINTY DROP" if question.certainty_dropped else ""
            lines.append(f"  {question.status:<12}{_question_title(question)}{drop}")
            lines += [f"      {part}" for part in _question_fields(question)]
            lines += [f"      {step.step}: {_step(step.before)} → {_step(step.after)}" for step in question.steps]
    lines += ["", f"SHACL: {len(diff.results.new)} new, {len(diff.results.fixed)} fixed, "
                  f"{len(diff.results.unchanged)} unchanged"]
    lines += [f"  new    {result}" for result in diff.results.new]
    lines += [f"  fixed  {result}" for result in diff.results.fixed]
    return "\n".join(lines) + "\n"


# --- Markdown ---------------------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell or list item: no HTML, no table breaks, no emphasis by accident."""
    out = " ".join(str(text).split())
    for char, escaped in (("\\", "\\\\"), ("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"),
                          ("*", "\\*"), ("_", "\\_"), ("`", "\\`"), ("[", "\\["), ("]", "\\]")):
        out = out.replace(char, escaped)
    return out


def _linker(side: Side, link_base: str | None) -> Callable[[SourceLocation, str], str]:
    """How a record line is shown: a link to it on the head side when a base URL is given, else its path."""

    def link(location: SourceLocation, label: str) -> str:
        target = repository_file(side.dataset_path, location.path) if link_base else None
        if target is None or link_base is None:
            return f"{_md(label)} ({_md(str(location))})" if label != str(location) else _md(label)
        anchor = f"#L{location.line}" if location.line else ""
        return f"[{_md(label)}]({link_base.rstrip('/')}/{target}{anchor})"

    return link


def _details(title: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{title}</summary>", "", *body, "", "</details>", ""]


def _md_fields(fields: Sequence[FieldChange], link: Callable[[SourceLocation, str], str]) -> list[str]:
    lines = []
    for change in fields:
        where = link(change.location, f"line {change.location.line}") if change.status != "removed" else \
            _md(str(change.location))
        lines.append(f"  - `{change.field or 'record'}`: {_what_changed(change, _md)} ({where})")
    return lines


def _md_ref(ref: FindingRef, link: Callable[[SourceLocation, str], str]) -> str:
    return link(ref.location, ref.name)


def to_markdown(diff: EvidenceDiff, *, link_base: str | None = None) -> str:
    """The diff as a pull-request comment: a headline and a table, the details folded.

    ``link_base`` is the URL that record paths in the repository are appended to (for GitHub:
    ``https://github.com/OWNER/REPO/blob/HEAD_SHA``), so each record line becomes a link.
    """
    link = _linker(diff.head, link_base)
    headline, *details = _headline(diff)
    lines = [f"### Evidence diff: `{_md(_side_name(diff.base))}` → `{_md(_side_name(diff.head))}`", "",
             f"**{_md(headline)}**" + ("  " if details else ""), *[_md(d) for d in details], "",
             "| | base | head |", "|---|---:|---:|"]
    lines += [f"| {label} | {before} | {after} |" for label, before, after in _counts_table(diff)]
    lines.append("")
    if diff.disagreements:
        body = []
        for change in diff.disagreements:
            body.append(f"- **{change.status}** {_md(_relation_what(change))}: "
                        f"{_md_ref(change.first, link)} vs {_md_ref(change.second, link)}")
            if change.status == "changed":
                body += [f"  - added: {_md(str(f))}" for f in change.facets_added]
                body += [f"  - removed: {_md(str(f))}" for f in change.facets_removed]
            else:
                shown = change.after if change.status == "appeared" else change.before
                body += [f"  - {_md(str(f))}" for f in (shown.facets if shown else ())]
        counts = ", ".join(f"{sum(c.status == status for c in diff.disagreements)} {status}"
                           for status in ("appeared", "disappeared", "changed"))
        lines += _details(f"Disagreements: {counts}", body)
    if diff.questions:
        body = []
        for question in diff.questions:
            drop = " — **certainty drop**" if question.certainty_dropped else ""
            body.append(f"- **{question.status}** {_md(_question_title(question))}{drop}")
            body += [f"  - {_md(part)}" for part in _question_fields(question)]
            body += [f"  - {_md(step.step)}: {_md(_step(step.before))} → {_md(_step(step.after))}"
                     for step in question.steps]
        lines += _details(f"Questions: {len(diff.questions)} with changed evidence", body)
    if diff.results.new or diff.results.fixed:
        body = [f"- **new** {_md(r.severity.lower())} `{_md(r.rule)}`: {_md(r.message)} "
                f"({link(r.origin.location, str(r.origin.location)) if r.origin else _md(r.focus_node)})"
                for r in diff.results.new]
        body += [f"- **fixed** {_md(r.severity.lower())} `{_md(r.rule)}`: {_md(r.message)}"
                 for r in diff.results.fixed]
        lines += _details(f"SHACL: {len(diff.results.new)} new, {len(diff.results.fixed)} fixed, "
                          f"{len(diff.results.unchanged)} unchanged", body)
    if diff.records or diff.findings:
        body = []
        for record in diff.records:
            moved = f" (from {_md(record.previous_path)})" if record.previous_path else ""
            body.append(f"- **{record.status}** {record.kind} "
                        f"{link(record.location, record.record) if record.status != 'removed' else _md(record.record)}"
                        f"{moved}")
            body += _md_fields(record.fields, link)
        for finding in diff.findings:
            name = _md_ref(finding.finding, link) if finding.status != "removed" else _md(finding.finding.name)
            body.append(f"- **{finding.status}** finding {name}")
            body += _md_fields(finding.fields, link)
        lines += _details(f"Records: {len(diff.records)} records, {len(diff.findings)} findings", body)
    if diff.agreements_appeared or diff.agreements_disappeared:
        body = [f"- **{status}** {_md(a.name)} vs {_md(b.name)}" for status, pairs in
                (("appeared", diff.agreements_appeared), ("disappeared", diff.agreements_disappeared))
                for a, b in pairs]
        lines += _details(f"Agreements: {len(diff.agreements_appeared)} appeared, "
                          f"{len(diff.agreements_disappeared)} disappeared", body)
    return "\n".join(lines).rstrip("\n") + "\n"


# --- JSON -------------------------------------------------------------------------------------------------


def _location(location: SourceLocation | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": location.path, "line": location.line, "column": location.column}


def _field_json(change: FieldChange) -> dict[str, Any]:
    return {"field": change.field, "status": change.status, "before": change.before, "after": change.after,
            "location": _location(change.location)}


def _ref_json(ref: FindingRef) -> dict[str, Any]:
    return {"iri": ref.iri, "study": ref.study, "finding": ref.finding, "location": _location(ref.location)}


def _facet_json(facet: Facet) -> dict[str, Any]:
    return {"facet": facet.facet, "category": facet.category, "first": facet.first, "second": facet.second,
            "detail": facet.detail}


def _relation_json(state: RelationState | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {"kinds": list(state.kinds), "contrast": state.contrast, "dependent": state.dependent,
            "facets": [_facet_json(f) for f in state.facets]}


def _summary_json(summary: QuestionSummary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {"findings": summary.findings, "studies": summary.studies,
            "independent_studies": summary.independent_studies, "participants": summary.participants,
            "disagreements": summary.disagreements, "certainty": summary.certainty,
            "rating": [{"step": s.step, "change": s.change, "level": s.level, "reason": s.reason}
                       for s in summary.rating]}


def _step_json(step: RatingStep | None) -> dict[str, Any] | None:
    return None if step is None else {"change": step.change, "level": step.level, "reason": step.reason}


def _result_json(result: ShaclResult) -> dict[str, Any]:
    origin = result.origin
    return {"rule": result.rule, "severity": result.severity.lower(), "message": result.message,
            "record": (origin.record or origin.location.path) if origin else result.focus_node,
            "field": origin.stable_field if origin else (result.path or ""), "value": result.value,
            "location": _location(origin.location if origin else None)}


def _side_json(side: Side) -> dict[str, Any]:
    return {"name": side.name, "commit": side.commit, "dataset_path": side.dataset_path,
            "counts": {key: side.counts.get(key, 0) for _, key in _SUMMARY_COUNTS}}


def diff_document(diff: EvidenceDiff) -> dict[str, Any]:
    """The diff as the JSON document docs/diff.md describes (``format`` ``evidencekg-diff``, ``version`` 1)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "base": _side_json(diff.base),
        "head": _side_json(diff.head),
        "fail_conditions": {condition: diff.holds(condition) for condition in FAIL_CONDITIONS},
        "records": [{"record": r.record, "kind": r.kind, "status": r.status, "location": _location(r.location),
                     "previous_path": r.previous_path, "fields": [_field_json(f) for f in r.fields]}
                    for r in diff.records],
        "findings": [{**_ref_json(f.finding), "status": f.status, "fields": [_field_json(c) for c in f.fields]}
                     for f in diff.findings],
        "disagreements": [{"first": _ref_json(c.first), "second": _ref_json(c.second), "status": c.status,
                           "before": _relation_json(c.before), "after": _relation_json(c.after),
                           "facets_added": [_facet_json(f) for f in c.facets_added],
                           "facets_removed": [_facet_json(f) for f in c.facets_removed]}
                          for c in diff.disagreements],
        "agreements": {status: [{"first": _ref_json(a), "second": _ref_json(b)} for a, b in pairs]
                       for status, pairs in (("appeared", diff.agreements_appeared),
                                             ("disappeared", diff.agreements_disappeared))},
        "questions": [{"question": q.question, "factor": q.factor, "outcome": q.outcome, "contrast": q.contrast,
                       "status": q.status, "changed_fields": list(q.fields), "certainty_dropped": q.certainty_dropped,
                       "before": _summary_json(q.before), "after": _summary_json(q.after),
                       "changed_steps": [{"step": s.step, "before": _step_json(s.before),
                                          "after": _step_json(s.after)} for s in q.steps]}
                      for q in diff.questions],
        "shacl": {"new": [_result_json(r) for r in diff.results.new],
                  "fixed": [_result_json(r) for r in diff.results.fixed],
                  "unchanged": [_result_json(r) for r in diff.results.unchanged]},
    }


def to_json(diff: EvidenceDiff) -> str:
    """The diff as JSON text (see :func:`diff_document`), keys in a fixed order, ending in a newline."""
    return json.dumps(diff_document(diff), indent=2, ensure_ascii=False) + "\n"


def new_results_sarif(diff: EvidenceDiff, *, tool_version: str) -> str:
    """SARIF of the SHACL results the change introduces, and only those, at their lines in the head version.

    Paths are the files' paths in the repository when the head side is in one (what code scanning
    expects), else as messages give them.
    """
    results = []
    for result in diff.results.new:
        origin = result.origin
        in_repository = repository_file(diff.head.dataset_path, origin.location.path) if origin else None
        if origin is not None and in_repository is not None:
            result = replace(result, origin=replace(origin, location=replace(origin.location, path=in_repository)))
        results.append(result)
    files = sorted({r.origin.location.path for r in results if r.origin})
    checked = CheckedInput(ValidationReport(tuple(results), Graph()), files=len(files),
                           records=diff.head.counts.get("studies", 0), findings=diff.head.counts.get("findings", 0),
                           file_names=tuple(files))
    return to_sarif(checked, tool_version=tool_version)

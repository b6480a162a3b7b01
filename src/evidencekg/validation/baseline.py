"""Baselines: a gate that fails only on results that are new since the results it was told to accept.

A baseline file lists results by rule, record and field (``findings[bp].p_value``, list items
named by their ids), never by line, so editing elsewhere in a file, or adding a finding above,
does not turn an accepted result into a new one. Each listed result accepts one occurrence:
a second result of the same rule on the same field is new. Results a record suppresses are
left out: the record itself already says why.

>>> from rdflib import Graph
>>> from evidencekg.validation import ValidationReport
>>> compare_with_baseline(ValidationReport((), Graph()), baseline_from_text("{}", "b.json")).results
()
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

from ..atomic import write_files
from ..errors import InputError
from .report import NEW, UNCHANGED, ValidationReport

FORMAT = "evidencekg-baseline"
VERSION = 1

Baseline = Counter[tuple[str, str, str]]
"""How many results of each (rule, record, field) the baseline accepts."""


def baseline_text(report: ValidationReport) -> str:
    """A baseline accepting today's results (JSON, sorted, so it diffs well under version control)."""
    entries = sorted(
        ({"rule": rule, "record": record, "field": field, "severity": r.severity.lower(), "message": r.message}
         for r in report.results if r.suppressed is None for rule, record, field in (r.baseline_key(),)),
        key=lambda e: (e["record"], e["field"], e["rule"], e["message"]))
    return json.dumps({"format": FORMAT, "version": VERSION, "results": entries}, indent=2, ensure_ascii=False) + "\n"


def baseline_from_text(text: str, where: str) -> Baseline:
    """The results a baseline accepts; ``where`` names the file in errors. An empty document accepts none."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}:{exc.lineno}:{exc.colno}", f"not a baseline: not JSON ({exc.msg})") from None
    if document == {}:
        return Counter()
    is_baseline = isinstance(document, dict) and document.get("format") == FORMAT
    if not is_baseline or not isinstance(document.get("results"), list):
        raise InputError(where, "not a baseline: write one with evidencekg validate --write-baseline FILE")
    if document.get("version") != VERSION:
        raise InputError(where, f"baseline version {document.get('version')!r}; this evidencekg reads "
                                f"version {VERSION}")
    baseline: Baseline = Counter()
    for number, entry in enumerate(document["results"]):
        parts = [entry.get(name) for name in ("rule", "record", "field")] if isinstance(entry, dict) else []
        if len(parts) != 3 or not all(isinstance(part, str) for part in parts):
            raise InputError(where, f"results[{number}]: a baseline entry has text 'rule', 'record' and 'field'")
        baseline[(str(parts[0]), str(parts[1]), str(parts[2]))] += 1
    return baseline


def write_baseline(report: ValidationReport, path: Path) -> Baseline:
    """Write a baseline accepting today's results to ``path`` (all or nothing) and return it."""
    text = baseline_text(report)
    write_files({path.name: text.encode("utf-8")}, path.parent)
    return baseline_from_text(text, str(path))


def read_baseline(path: Path) -> Baseline:
    """The results the baseline file accepts."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(str(path), f"cannot read the baseline: {reason}") from None
    return baseline_from_text(text, str(path))


def compare_with_baseline(report: ValidationReport, baseline: Baseline) -> ValidationReport:
    """The report with each result marked ``unchanged`` (the baseline accepts it) or ``new``."""
    left = Counter(baseline)
    marked = []
    for result in report.results:
        key = result.baseline_key()
        accepted = result.suppressed is None and left[key] > 0
        if accepted:
            left[key] -= 1
        marked.append(replace(result, baseline_state=UNCHANGED if accepted else NEW))
    return report.with_results(marked)

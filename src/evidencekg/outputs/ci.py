"""Stage 5b, CI reports: validation results as files that CI systems read (SARIF, JUnit XML, JSON).

Validation (:func:`evidencekg.validate`) ends in a
:class:`~evidencekg.validation.report.CheckedInput`, whether the shapes ran or the
loader refused the input (then each error is a result of its record-format rule);
this stage turns it into

* SARIF 2.1.0 (:func:`to_sarif`), which GitHub code scanning and SARIF viewers
  show as annotations on the offending record lines,
* JUnit XML (:func:`to_junit`), which CI test panels (GitLab, Jenkins, Azure
  DevOps, GitHub test-report actions) show as passed and failed tests, and
* JSON (:func:`to_json`): counts and every result with its file, line, column and field.

Results a record suppresses, and results a baseline holds, are in every report, marked
so (SARIF's ``suppressions`` and ``baselineState``), and never fail a test.

Both are pure functions of the report: no clock, no host name, no network, and
the same report always gives the same bytes, so outputs can be committed,
diffed and cached. ``CheckedInput.records_root`` says where record paths are
rooted and ``CheckedInput.file_names`` lists every checked file.

>>> from rdflib import Graph
>>> from evidencekg.validation import CheckedInput, ValidationReport
>>> clean = CheckedInput(ValidationReport((), Graph()), files=1, records=1, findings=0)
>>> json.loads(to_sarif(clean, tool_version="0.1.0"))["runs"][0]["results"]
[]
>>> junit = to_junit(clean, files=["data/studies/a.yaml"])
>>> [line.strip() for line in junit.splitlines() if "<testcase" in line]
['<testcase name="conforms" classname="data/studies/a" time="0" />']
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

from ..errors import INPUT_RULES
from ..validation.report import local_name

if TYPE_CHECKING:
    from ..validation.report import CheckedInput, ShaclResult

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVELS = {"Violation": "error", "Warning": "warning", "Info": "note"}
# SHACL allows severities of one's own; a result we cannot rank is shown, not hidden or made fatal.
_DEFAULT_LEVEL = "warning"
_LEVEL_RANK = {"note": 0, "warning": 1, "error": 2}

# The JUnit schema wants a time and a host; fixed values keep the output reproducible.
_HOSTNAME = "localhost"
CLEAN_TESTCASE = "conforms"
"""Name of the passing test that stands for a record file without any result."""

# Characters XML 1.0 cannot carry at all, not even escaped (YAML's "\e" escape can produce one).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _level(result: ShaclResult) -> str:
    return LEVELS.get(result.severity, _DEFAULT_LEVEL)


def _source(result: ShaclResult) -> str:
    """What names the rule in full: the shape, or the record-format rule of an input error."""
    return result.source_shape if result.input_rule is None else result.input_rule


def _rule_ids(results: Iterable[ShaclResult]) -> dict[str, str]:
    """Shape or input rule → rule id: its local name, or the whole name when two shapes share a local name."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    # Sorted so that which of two clashing shapes keeps the short id does not depend on result order.
    for source in sorted({_source(r) for r in results}):
        short = local_name(source)
        ids[source] = source if short in taken else short
        taken.add(ids[source])
    return ids


def _summary(result: ShaclResult) -> str:
    """The curator message, never empty (GitHub refuses empty texts; user shapes may lack sh:message)."""
    return result.message or (
        f"{result.constraint_component or 'a SHACL constraint'} not satisfied"
        + (f" on {result.path}" if result.path else "")
    )


def _message(result: ShaclResult) -> str:
    """The curator message and the offending value."""
    text = _summary(result)
    # The focus node as "value" (SPARQL constraints report it so) says nothing the location does not.
    if result.value not in (None, result.focus_node):
        text += f" (value: {result.value})"
    return text


def _artifact_location(path: str, base_dir: str | os.PathLike[str] | None,
                       records_root: str | os.PathLike[str] | None) -> dict[str, str]:
    if base_dir is None:
        return {"uri": quote(PurePosixPath(path).as_posix(), safe="/")}
    base = os.path.abspath(base_dir)
    absolute = os.path.normpath(os.path.join(os.path.abspath(records_root or base_dir), path))
    relative = Path(os.path.relpath(absolute, base)).as_posix()
    if relative == ".." or relative.startswith("../"):
        # A record outside %SRCROOT% cannot be named relative to it; an absolute file URI still
        # names it exactly and is valid SARIF.
        return {"uri": Path(absolute).as_uri()}
    return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}


def _location(result: ShaclResult, base_dir: str | os.PathLike[str] | None,
              records_root: str | os.PathLike[str] | None) -> dict[str, Any]:
    if result.origin is None:
        # RDF produced elsewhere has no record lines; the focus node is the only "where" there is.
        return {"logicalLocations": [{"fullyQualifiedName": result.focus_node}]}
    where = result.origin.location
    physical: dict[str, Any] = {"artifactLocation": _artifact_location(where.path, base_dir, records_root)}
    if where.line > 0:  # 0 means unknown; SARIF lines start at 1, so a 0 would make the file invalid
        region: dict[str, int] = {"startLine": where.line}
        if where.column > 0:
            region["startColumn"] = where.column
        physical["region"] = region
    return {"physicalLocation": physical}


def _properties(result: ShaclResult) -> dict[str, str]:
    values = {
        "focusNode": result.focus_node or None,
        "resultPath": result.path,
        "value": result.value,
        "constraintComponent": result.constraint_component or None,
        "sourceShape": result.source_shape or None,
        "inputRule": result.input_rule,
        "severity": result.severity,
        "field": (result.origin.field or None) if result.origin else None,
    }
    # Absent rather than null: every key present is a fact, and strict consumers need not handle null.
    return {key: value for key, value in values.items() if value is not None}


def to_sarif(
    checked: CheckedInput,
    *,
    tool_version: str,
    base_dir: str | os.PathLike[str] | None = None,
    records_dir: str | os.PathLike[str] | None = None,
) -> str:
    """The validation results as a SARIF 2.1.0 log (JSON text ending in a newline).

    One run; ``tool.driver.rules`` holds one rule per shape that produced a
    result, sorted by id (the shape's local name, such as
    ``FindingShape-pValue``), with its level from SHACL's severity
    (Violation → error, Warning → warning, Info → note). Results keep the
    report's order. Each result with a record origin points at the YAML
    line and column; a result from RDF input (no record lines) gets a logical
    location naming its focus node instead. GitHub code scanning shows only
    results with a file location, so SARIF of RDF input is for other viewers.

    Record paths in a report are relative to the dataset directory's parent
    (``data/studies/x.yaml``). Without ``base_dir`` they are written as they
    are. With ``base_dir`` (for GitHub: the repository root, where CI runs)
    each ``uri`` is made relative to it and marked with ``uriBaseId``
    ``%SRCROOT%``, which ``originalUriBaseIds`` defines as ``base_dir``;
    ``records_dir`` says where the report's paths are rooted (the dataset
    directory's parent, see ``CheckedInput.records_root``) and defaults to ``base_dir``.
    GitHub reads relative URIs as relative to the repository root, so with a
    dataset below the top level both are needed for alerts to land on the file.

    ``partialFingerprints`` are left out: the upload-sarif action computes
    them from the files, and a guessed fingerprint would do worse.
    """
    results = checked.report.results
    ids = _rule_ids(results)
    rules: dict[str, dict[str, Any]] = {}
    for result in results:
        rule_id = ids[_source(result)]
        rule = rules.get(rule_id)
        if rule is None:
            rule = rules[rule_id] = _rule(rule_id, result)
        elif _LEVEL_RANK[_level(result)] > _LEVEL_RANK[rule["defaultConfiguration"]["level"]]:
            # An anonymous or user shape may mix severities; the rule shows its worst.
            rule["defaultConfiguration"]["level"] = _level(result)
    order = sorted(rules)
    index = {rule_id: i for i, rule_id in enumerate(order)}

    records_root = records_dir if records_dir is not None else base_dir
    sarif_results = []
    for result in results:
        sarif_result: dict[str, Any] = {
            "ruleId": ids[_source(result)],
            "ruleIndex": index[ids[_source(result)]],
            "level": _level(result),
            "message": {"text": _message(result)},
            "locations": [_location(result, base_dir, records_root)],
        }
        if result.suppressed is not None:
            sarif_result["suppressions"] = [{"kind": "inSource", "justification": result.suppressed}]
        if result.baseline_state is not None:
            sarif_result["baselineState"] = result.baseline_state
        sarif_result["properties"] = _properties(result)
        sarif_results.append(sarif_result)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "evidencekg", "version": tool_version, "rules": [rules[i] for i in order]}},
    }
    if checked.omitted:
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": [
            {"level": "error", "message": {"text": _omitted(checked)}}]}]
    if base_dir is not None:
        root = Path(os.path.abspath(base_dir)).as_uri()
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root if root.endswith("/") else root + "/"}}
    # Columns come from the YAML parser, which counts code points, not SARIF's default UTF-16 units.
    run["columnKind"] = "unicodeCodePoints"
    run["results"] = sarif_results
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(rule_id: str, result: ShaclResult) -> dict[str, Any]:
    """A SARIF rule: what a shape says in its first result, or what a record-format rule asks."""
    if result.input_rule is not None:
        asks = INPUT_RULES.get(result.input_rule, result.input_rule)
        return {"id": rule_id, "name": rule_id, "shortDescription": {"text": asks},
                "fullDescription": {"text": f"record format: {asks} (the loader refuses the input, exit status 2)"},
                "defaultConfiguration": {"level": "error"}, "properties": {"tags": ["input"]}}
    return {"id": rule_id, "name": rule_id, "shortDescription": {"text": _summary(result)},
            "fullDescription": {"text": f"SHACL shape {result.source_shape}: {_summary(result)}"},
            "defaultConfiguration": {"level": _level(result)},
            "properties": {"tags": ["shacl"], "shape": result.source_shape}}


def _omitted(checked: CheckedInput) -> str:
    shown = len(checked.report.results)
    return f"… and {checked.omitted} more input {'error' if checked.omitted == 1 else 'errors'} " \
           f"({shown + checked.omitted} in all; fix these and validate again)"


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _classname(suite: str) -> str:
    # Jenkins splits a classname at its last dot into package and class; ".yaml" would become the class.
    for suffix in (".yaml", ".yml"):
        if suite.endswith(suffix):
            return suite[: -len(suffix)]
    return suite


def _failure_text(results: Sequence[ShaclResult]) -> str:
    # Every occurrence, with the node a curator can look up in the graph when a line is not enough
    # (a result without a record line already starts with its focus node).
    return "".join(f"{r}\n    focus node: <{r.focus_node}>\n" if r.origin and r.focus_node else f"{r}\n"
                   for r in results)


def to_junit(
    checked: CheckedInput,
    *,
    name: str = "evidencekg validate",
    strict: bool = False,
    files: Iterable[str] = (),
    timestamp: datetime | None = None,
) -> str:
    """The validation results as JUnit XML: record files are suites, shapes are tests.

    One ``<testsuite>`` per record file (named by its path), holding one
    ``<testcase>`` per shape that reported on that file. A test per (file,
    shape) rather than per result because CI panels track a test by its name
    across runs: the name stays the same when lines move or a second
    occurrence appears, so history, "new failure" and "fixed" markers stay
    meaningful, and one broken rule repeated ten times is one red test whose
    failure text lists every line, not ten tests with the same name.

    A test fails (``<failure type="SHAPE">``) when any of its results is a
    violation, or a warning with ``strict`` — the same rule as the exit code
    of ``evidencekg validate``; results a record suppresses or a baseline holds
    never fail it. Input the loader refused gives a suite per file with
    errors and a failing test per record-format rule. Warnings (without ``strict``) and notes do not
    fail a test: they are not skipped (the check ran), so the test passes
    and they are listed in the suite's ``<system-out>``, which lists every
    result of the file one per line. ``files`` names every record file that
    was checked (see ``CheckedInput.file_names``); each without any result gets one
    passing test, ``conforms``, so a clean dataset shows as green tests. When
    there is no file to show at all (RDF input, or nothing given), a suite
    named ``name`` holds the tests, or one passing ``conforms`` test.

    The output follows the Apache Ant JUnit schema (``JUnit.xsd``, the
    strictest common one, which Jenkins' ``junit-10.xsd`` also accepts):
    hence the ``package`` and ``id`` of each suite, ``hostname`` and ``time``
    fixed (``localhost``, 0) so the output is reproducible, and no
    ``skipped`` elements, which that schema does not have. The one exception
    is ``timestamp``, which that schema requires: it is written only when
    ``timestamp`` is given, since a fixed date would claim a run that never
    happened; Jenkins, GitLab and the other readers do not need it.
    """
    by_file: dict[str, list[ShaclResult]] = {path: [] for path in files}
    unlocated: list[ShaclResult] = []
    for result in checked.report.results:
        if result.origin is None:
            unlocated.append(result)
        else:
            by_file.setdefault(result.origin.location.path, []).append(result)
    suites: list[tuple[str, list[ShaclResult]]] = sorted(by_file.items())
    if unlocated or not suites:
        suites.append((name, unlocated))

    stamp = {}
    if timestamp is not None:
        when = timestamp
        if when.tzinfo is not None:  # the schema's timestamp has no zone: say it in UTC
            when = when.astimezone(timezone.utc).replace(tzinfo=None)
        stamp["timestamp"] = when.strftime("%Y-%m-%dT%H:%M:%S")

    failing = {"Violation", "Warning"} if strict else {"Violation"}
    ids = _rule_ids(checked.report.results)  # the same test names as the SARIF rule ids
    root = ET.Element("testsuites")
    for number, (suite_name, results) in enumerate(suites):
        shapes: dict[str, list[ShaclResult]] = {}
        for result in results:  # report order: tests appear in the order of their first line
            shapes.setdefault(_source(result), []).append(result)
        cases: list[tuple[str, list[ShaclResult]]] = list(shapes.items()) or [(CLEAN_TESTCASE, [])]
        failures = sum(1 for _, group in cases if any(r.severity in failing and r.active for r in group))

        suite = ET.SubElement(root, "testsuite", {
            "name": _xml(suite_name),
            **stamp,
            "hostname": _HOSTNAME,
            "tests": str(len(cases)),
            "failures": str(failures),
            "errors": "0",
            "time": "0",
            "package": _xml(name),
            "id": str(number),
        })
        properties = ET.SubElement(suite, "properties")
        counts = {"strict": str(strict).lower()}
        for severity, key in (("Violation", "violations"), ("Warning", "warnings"), ("Info", "notes")):
            counts[key] = str(sum(1 for r in results if r.severity == severity and r.active))
        counts["suppressed"] = str(sum(1 for r in results if r.suppressed is not None))
        counts["baselined"] = str(sum(1 for r in results if r.suppressed is None and not r.active))
        for key, value in counts.items():
            ET.SubElement(properties, "property", {"name": key, "value": value})
        for shape, group in cases:
            case = ET.SubElement(suite, "testcase", {
                "name": _xml(ids.get(shape, shape)),
                "classname": _xml(_classname(suite_name)),
                "time": "0",
            })
            failed = [r for r in group if r.severity in failing and r.active]
            if failed:
                message = _message(failed[0])
                if len(failed) > 1:
                    message += f" (and {len(failed) - 1} more)"
                failure = ET.SubElement(case, "failure", {"message": _xml(message), "type": _xml(ids[shape])})
                failure.text = _xml(_failure_text(group))
        out = ET.SubElement(suite, "system-out")
        out.text = _xml("".join(f"{r}\n" for r in results))
        err = ET.SubElement(suite, "system-err")
        if checked.omitted and number == 0:
            err.text = _xml(_omitted(checked) + "\n")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_json(checked: CheckedInput, *, strict: bool = False) -> str:
    """Counts and every result with its rule, file, line, column and field, as JSON text ending in a newline.

    ``conforms`` means no violation that counts; ``passes`` is the gate's verdict (with ``strict``,
    warnings fail too); ``refused`` says the loader refused the input (exit status 2), whose errors
    are then the results, each with its record-format rule and no focus node or shape.
    """
    report = checked.report
    document: dict[str, Any] = {
        "conforms": report.conforms,
        "passes": report.passes(strict),
        "refused": bool(checked.errors),
        "files": checked.files,
        "records": checked.records,
        "findings": checked.findings,
        **report.counts(),
    }
    if checked.omitted:
        document["omitted"] = checked.omitted
    document["results"] = [
        {
            "rule": r.rule, "severity": r.severity, "message": r.message, "focusNode": r.focus_node or None,
            "path": r.path, "value": r.value, "shape": r.source_shape or None,
            "constraintComponent": r.constraint_component or None,
            "file": r.origin.location.path if r.origin else None,
            "line": (r.origin.location.line or None) if r.origin else None,
            "column": (r.origin.location.column or None) if r.origin else None,
            "field": r.origin.field if r.origin else None,
            "suppressed": r.suppressed, "baselineState": r.baseline_state,
        }
        for r in report.results
    ]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

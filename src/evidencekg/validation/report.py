"""What validation gives back: results a curator can act on, the W3C report graph, and what was checked.

Both engines validate into a W3C SHACL validation report graph; :func:`report_from_graph`
reads it into results sorted so that two runs print the same thing, each traced back to
the record line that produced it when the asserted graph's source map is given: values are
shown as the record writes them, another record's node by its file and line, and a rule the
node's record suppresses is marked so. Input the loader refuses becomes a report too
(:func:`refused_input`): each error a result of its record-format rule, so that every report
format shows it as it shows a shape's result.

>>> from rdflib import Graph
>>> ValidationReport((), Graph()).conforms
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from ..errors import InputError, SourceLocation
from ..rdf.build import BuiltGraph, Origin
from ..rdf.graphs import new_graph

SEVERITIES = ("Violation", "Warning", "Info")
SHAPES_NAMESPACE = "https://w3id.org/evidencekg/shapes#"
MAX_REPORTED_INPUT_ERRORS = 100
"""Input errors listed in a report of refused input; the others are counted (``CheckedInput.omitted``)."""
UNCHANGED = "unchanged"
NEW = "new"
"""Baseline states, as SARIF names them: a result the baseline holds, and one it does not."""


def _severity_rank(severity: str) -> int:
    # SHACL lets shapes declare severities of their own; they sort after the three standard ones.
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def local_name(shape: str) -> str:
    """``ekgsh:FindingShape-pValue`` → ``FindingShape-pValue``; IRIs lose their namespace too."""
    if shape.startswith("("):  # pySHACL's "(anonymous shape)": a blank node has no name to show
        return "anonymous-shape"
    cut = max(shape.rfind("#"), shape.rfind("/"), shape.rfind(":"))
    return shape[cut + 1 :] or shape


@dataclass(frozen=True)
class ShaclResult:
    """One result of validation, in terms a curator can act on: a shape's, or an input error of refused input."""

    severity: str
    message: str
    focus_node: str
    path: str | None
    value: str | None
    source_shape: str
    constraint_component: str
    origin: Origin | None = None
    """The record file, line and field that produced the offending statement, when known."""
    input_rule: str | None = None
    """For input the loader refused: the record-format rule the error breaks (no shape, no focus node)."""
    suppressed: str | None = None
    """Why the node's record suppresses this rule for it (``suppress:``); the result then never fails."""
    baseline_state: str | None = None
    """Compared with a baseline: ``unchanged`` (the baseline holds it, so it does not fail) or ``new``."""

    @property
    def rule(self) -> str:
        """The rule's id as reports show it: the shape's local name, or the record-format rule."""
        return self.input_rule if self.input_rule is not None else local_name(self.source_shape)

    @property
    def active(self) -> bool:
        """Whether the result counts towards the verdict: neither suppressed nor held by the baseline."""
        return self.suppressed is None and self.baseline_state != UNCHANGED

    def baseline_key(self) -> tuple[str, str, str]:
        """What a baseline matches the result by: rule, record and field, never a line, which edits move."""
        if self.origin is not None:
            return self.rule, self.origin.record or self.origin.location.path, self.origin.stable_field
        return self.rule, self.focus_node, self.path or ""

    def __str__(self) -> str:
        where = f"{self.origin}: " if self.origin else f"<{self.focus_node}>: "
        value = f" (value: {self.value})" if self.value not in (None, self.focus_node) else ""
        marks = "".join((f" (suppressed: {self.suppressed})" if self.suppressed is not None else "",
                         " (in the baseline)" if self.baseline_state == UNCHANGED else ""))
        rule = self.input_rule if self.input_rule is not None else self.source_shape
        return f"{where}{self.severity.lower()}: {self.message}{value} [{rule}]{marks}"

    def sort_key(self) -> tuple[object, ...]:
        where = self.origin.location if self.origin else SourceLocation("~")
        return (where.path, where.line, where.column, _severity_rank(self.severity), self.focus_node,
                self.path or "", self.source_shape, self.value or "", self.message)


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validation: results sorted, and the W3C report graph."""

    results: tuple[ShaclResult, ...]
    report_graph: Graph = field(repr=False)

    @property
    def violations(self) -> tuple[ShaclResult, ...]:
        """The violations that count: not suppressed by their record, not held by a baseline."""
        return tuple(r for r in self.results if r.severity == "Violation" and r.active)

    @property
    def warnings(self) -> tuple[ShaclResult, ...]:
        """The warnings that count, as :attr:`violations`."""
        return tuple(r for r in self.results if r.severity == "Warning" and r.active)

    @property
    def conforms(self) -> bool:
        """True when there is no violation that counts (warnings and notes do not count)."""
        return not self.violations

    def counts(self) -> dict[str, int]:
        """Violations, warnings and notes that count; results suppressed, and results the baseline holds."""
        counting = [r for r in self.results if r.active]
        return {
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "notes": len(counting) - len(self.violations) - len(self.warnings),
            "suppressed": sum(1 for r in self.results if r.suppressed is not None),
            "baselined": sum(1 for r in self.results if r.suppressed is None and r.baseline_state == UNCHANGED),
        }

    def limited_to(self, files: set[str]) -> ValidationReport:
        """The results that trace back to one of ``files`` (record paths as shown in messages)."""
        kept = tuple(r for r in self.results if r.origin is not None and r.origin.location.path in files)
        return ValidationReport(kept, self.report_graph)

    def with_results(self, results: Sequence[ShaclResult]) -> ValidationReport:
        """The same report graph with ``results`` (the same results, marked otherwise)."""
        return ValidationReport(tuple(results), self.report_graph)

    def to_turtle(self) -> bytes:
        """The W3C SHACL validation report as Turtle, with blank nodes labelled canonically so output is stable."""
        from rdflib.compare import to_canonical_graph

        canonical = to_canonical_graph(self.report_graph)
        graph = new_graph()
        for triple in canonical:
            graph.add(triple)
        return graph.serialize(format="turtle", encoding="utf-8")

    def passes(self, strict: bool = False) -> bool:
        """Whether a gate passes: no violations, and with ``strict`` no warnings either."""
        return self.conforms and not (strict and self.warnings)


@dataclass(frozen=True)
class CheckedInput:
    """What a validation checked, and the report limited to those inputs."""

    report: ValidationReport
    files: int
    records: int
    findings: int
    file_names: tuple[str, ...] = ()
    """The checked files, named as the results name them."""
    records_root: Path | None = None
    """The directory record paths in the results are relative to (None for RDF input)."""
    incremental: object | None = None
    """With a cache, an :class:`~evidencekg.analysis.incremental.IncrementalRun`: how much was re-checked."""
    fallbacks: tuple[str, ...] = ()
    """Steps the engine handed to another library (see :class:`~evidencekg.engines.base.Fallback`)."""
    errors: tuple[InputError, ...] = ()
    """Input the loader refused (exit status 2): the report then holds these errors as results."""
    omitted: int = 0
    """Input errors beyond :data:`MAX_REPORTED_INPUT_ERRORS`, counted but not in the report."""


def _short(node: Node | None, graph: Graph) -> str | None:
    if node is None:
        return None
    if isinstance(node, Literal):
        return str(node)
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(node) if "#" in node else str(node)
        except Exception:
            return str(node)
    return str(node)


_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")


def _node_as_written(node: Node | None, source: BuiltGraph) -> str | None:
    """A record's node by the id its record gives it (``bp``, ``doe-2020``), None for any other node."""
    found = source.source_of(node)
    item = found[0].value_at(found[1]) if found else None
    node_id = item.get("id") if isinstance(item, dict) else None
    return node_id if isinstance(node_id, str) else None


def _where(iri: str, source: BuiltGraph) -> str:
    """An IRI in a message, as the file, line and field of the record node it names (unchanged otherwise)."""
    trimmed = iri.rstrip(".,;:)")
    origin = source.locate(URIRef(trimmed))
    if origin is None:
        return iri
    field = f" ({origin.field})" if origin.field else ""
    return f"{origin.location}{field}{iri[len(trimmed):]}"


def _suppression(focus: Node | None, rule: str, source: BuiltGraph) -> str | None:
    """The reason the focus node's record gives for suppressing ``rule`` there, if it does."""
    found = source.source_of(focus)
    item = found[0].value_at(found[1]) if found else None
    entries = item.get("suppress") if isinstance(item, dict) else None
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and entry.get("rule") == rule:
            return str(entry.get("reason", ""))
    return None


def _result(report: Graph, node: Node, source: BuiltGraph | None, names: Graph) -> ShaclResult:
    def one(predicate: URIRef) -> Node | None:
        return next(iter(report.objects(node, predicate)), None)

    focus = one(SH.focusNode)
    path = one(SH.resultPath)
    severity = str(one(SH.resultSeverity) or SH.Violation).rsplit("#", 1)[-1]
    # For SPARQL-based constraints the constraint node names the rule better than its node shape.
    constraint = one(SH.sourceConstraint)
    shape = constraint if isinstance(constraint, URIRef) else one(SH.sourceShape)
    messages = sorted(str(m) for m in report.objects(node, SH.resultMessage))
    message = messages[0] if messages else ""
    value_node = one(SH.value)
    value = _short(value_node, names)
    origin = suppressed = None
    # Every result of both engines names its shape; "" only for a foreign report without sh:sourceShape.
    shape_name = (_short(shape, names) or "") if not isinstance(shape, BNode) else "(anonymous shape)"
    if source is not None:
        predicate = path if isinstance(path, URIRef) else None
        origin = source.locate(focus, predicate)
        written = source.source_of(focus, predicate)
        if value is not None and value_node != focus:
            # As the curator wrote it: "decrease" rather than ekg:Decrease, "1.30" rather than 1.3.
            value = (written[0].as_written(written[1]) if written else None) \
                or _node_as_written(value_node, source) or value
        message = _IRI.sub(lambda match: _where(match.group(0), source), message)
        suppressed = _suppression(focus, local_name(shape_name), source)
        if suppressed is not None:
            report.add((node, RDFS.comment, Literal(f"suppressed by its record: {suppressed}")))
    return ShaclResult(
        severity=severity,
        message=message,
        focus_node=str(focus),
        path=_short(path, names) if not isinstance(path, BNode) else "(complex path)",
        value=value,
        source_shape=shape_name,
        constraint_component=_short(one(SH.sourceConstraintComponent), names) or "",
        origin=origin,
        suppressed=suppressed,
    )


def report_from_graph(report_graph: Graph, source: BuiltGraph | None = None) -> ValidationReport:
    """The results of a W3C validation report graph, sorted, traced to record lines through ``source``."""
    names = new_graph()
    names.bind("ekgsh", "https://w3id.org/evidencekg/shapes#")
    # Listed first: reading a result may annotate it in the graph (a suppression).
    nodes = list(report_graph.subjects(RDF.type, SH.ValidationResult))
    results = [_result(report_graph, node, source, names) for node in nodes]
    results.sort(key=ShaclResult.sort_key)
    return ValidationReport(tuple(results), report_graph)


def _file_node(path: str, records_root: Path | None) -> URIRef:
    return URIRef((records_root / path if records_root else Path(path)).absolute().as_uri())


def refused_input(errors: Sequence[InputError], records_root: Path | None = None) -> CheckedInput:
    """Input the loader refused, as a report: each error a violation of its record-format rule, at its place.

    The W3C report graph names each rule ``ekgsh:RULE`` and the file as the focus node, so that
    ``--format turtle`` carries the errors too. ``records_root`` is where the errors' paths are
    rooted (as :attr:`CheckedInput.records_root`). At most :data:`MAX_REPORTED_INPUT_ERRORS` are
    listed; the rest are counted in ``omitted``.
    """
    listed = sorted(errors, key=lambda e: (e.location, e.field, e.message))[:MAX_REPORTED_INPUT_ERRORS]
    graph = new_graph()
    graph.bind("ekgsh", SHAPES_NAMESPACE)
    report_node = BNode("report")
    graph.add((report_node, RDF.type, SH.ValidationReport))
    graph.add((report_node, SH.conforms, Literal(False)))
    results = []
    for number, error in enumerate(listed):
        result = BNode(f"result{number}")
        for predicate, value in ((RDF.type, SH.ValidationResult), (SH.resultSeverity, SH.Violation),
                                 (SH.focusNode, _file_node(error.location.path, records_root)),
                                 (SH.resultMessage, Literal(str(error))),
                                 (SH.sourceShape, URIRef(SHAPES_NAMESPACE + error.rule)),
                                 (SH.sourceConstraintComponent, URIRef(SHAPES_NAMESPACE + "RecordFormat"))):
            graph.add((result, predicate, value))
        graph.add((report_node, SH.result, result))
        results.append(ShaclResult(
            severity="Violation", message=error.message, focus_node="", path=None, value=None, source_shape="",
            constraint_component="", origin=Origin(error.location, error.field), input_rule=error.rule))
    files = tuple(sorted({e.location.path for e in listed}))
    return CheckedInput(ValidationReport(tuple(results), graph), files=len(files), records=0, findings=0,
                        file_names=files, records_root=records_root, errors=tuple(errors),
                        omitted=len(errors) - len(listed))

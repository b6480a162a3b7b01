"""What validation gives back: results a curator can act on, the W3C report graph, and what was checked.

Both engines validate into a W3C SHACL validation report graph; :func:`report_from_graph`
reads it into results sorted so that two runs print the same thing, each traced back to
the record line that produced it when the asserted graph's source map is given.

>>> from rdflib import Graph
>>> ValidationReport((), Graph()).conforms
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from ..errors import SourceLocation
from ..rdf.build import BuiltGraph, Origin
from ..rdf.graphs import new_graph

SEVERITIES = ("Violation", "Warning", "Info")


def _severity_rank(severity: str) -> int:
    # SHACL lets shapes declare severities of their own; they sort after the three standard ones.
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


@dataclass(frozen=True)
class ShaclResult:
    """One SHACL validation result, in terms a curator can act on."""

    severity: str
    message: str
    focus_node: str
    path: str | None
    value: str | None
    source_shape: str
    constraint_component: str
    origin: Origin | None = None
    """The record file, line and field that produced the offending statement, when known."""

    def __str__(self) -> str:
        where = f"{self.origin}: " if self.origin else f"<{self.focus_node}>: "
        value = f" (value: {self.value})" if self.value not in (None, self.focus_node) else ""
        return f"{where}{self.severity.lower()}: {self.message}{value} [{self.source_shape}]"

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
        return tuple(r for r in self.results if r.severity == "Violation")

    @property
    def warnings(self) -> tuple[ShaclResult, ...]:
        return tuple(r for r in self.results if r.severity == "Warning")

    @property
    def conforms(self) -> bool:
        """True when there is no violation (warnings and notes do not count)."""
        return not self.violations

    def limited_to(self, files: set[str]) -> ValidationReport:
        """The results that trace back to one of ``files`` (record paths as shown in messages)."""
        kept = tuple(r for r in self.results if r.origin is not None and r.origin.location.path in files)
        return ValidationReport(kept, self.report_graph)

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
    origin = None
    if source is not None:
        origin = source.locate(focus, path if isinstance(path, URIRef) else None)
    return ShaclResult(
        severity=severity,
        message=messages[0] if messages else "",
        focus_node=str(focus),
        path=_short(path, names) if not isinstance(path, BNode) else "(complex path)",
        value=_short(one(SH.value), names),
        # Every result of both engines names its shape; "" only for a foreign report without sh:sourceShape.
        source_shape=(_short(shape, names) or "") if not isinstance(shape, BNode) else "(anonymous shape)",
        constraint_component=_short(one(SH.sourceConstraintComponent), names) or "",
        origin=origin,
    )


def report_from_graph(report_graph: Graph, source: BuiltGraph | None = None) -> ValidationReport:
    """The results of a W3C validation report graph, sorted, traced to record lines through ``source``."""
    names = new_graph()
    names.bind("ekgsh", "https://w3id.org/evidencekg/shapes#")
    results = [_result(report_graph, node, source, names)
               for node in report_graph.subjects(RDF.type, SH.ValidationResult)]
    results.sort(key=ShaclResult.sort_key)
    return ValidationReport(tuple(results), report_graph)

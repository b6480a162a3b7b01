"""Stage 5, consistency: SHACL validation of asserted + inferred triples against evidencekg's shapes.

The shapes are files (``ontology/shapes/*.ttl``): ``core.ttl`` holds violations,
``recommended.ttl`` warnings and notes. Results come back as a small frozen
report whose results are sorted, so two runs print the same thing, and each
result is traced back to the record line that produced it when a source map
from :func:`evidencekg.to_rdf` is given.

>>> import evidencekg
>>> built = evidencekg.to_rdf(evidencekg.load_dataset(evidencekg.bundled_data_dir()))
>>> report = evidencekg.validate(built.graph, evidencekg.infer(built.graph), source=built)
>>> report.conforms
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from .errors import InputError, SourceLocation
from .reason import load_ontology
from .resources import shapes_paths
from .rdf import BuiltGraph, Origin, new_graph

SEVERITIES = ("Violation", "Warning", "Info")


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
        return (where.path, where.line, where.column, SEVERITIES.index(self.severity), self.focus_node,
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


@cache
def _bundled_shapes() -> tuple[tuple[Node, Node, Node], ...]:
    graph = Graph()
    for path in shapes_paths():
        graph.parse(path, format="turtle")
    return tuple(graph)


def load_shapes(extra: Iterable[Path] = ()) -> Graph:
    """evidencekg's shapes, plus any extra shapes files a user supplies."""
    shapes = new_graph()
    for triple in _bundled_shapes():
        shapes.add(triple)
    for path in extra:
        try:
            shapes.parse(path, format=_rdf_format(path))
        except Exception as exc:  # rdflib raises many unrelated types for bad syntax
            detail = " ".join(str(exc).split())
            raise InputError(str(path), f"cannot read shapes: {detail[:240]}") from None
    return shapes


class _PreparedQueryGraph(Graph):
    """A graph that parses each distinct SPARQL text once.

    pySHACL sends a SPARQL-based constraint's text to ``query`` once per focus
    node, and rdflib parses it every time; parsing was 85% of validation time.
    """

    def __init__(self) -> None:
        super().__init__()
        self._prepared: dict[str, Any] = {}

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(query_object, str):
            prepared = self._prepared.get(query_object)
            if prepared is None:
                from rdflib.plugins.sparql import prepareQuery

                prepared = self._prepared[query_object] = prepareQuery(query_object)
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


def _rdf_format(path: Path) -> str:
    from rdflib.util import guess_format

    return guess_format(str(path)) or "turtle"


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
        source_shape=_short(shape, names) if not isinstance(shape, BNode) else "(anonymous shape)",
        constraint_component=_short(one(SH.sourceConstraintComponent), names) or "",
        origin=origin,
    )


def validate(
    asserted: Graph,
    inferred: Graph | None = None,
    *,
    shapes: Graph | None = None,
    source: BuiltGraph | None = None,
    derived: Graph | None = None,
) -> ValidationReport:
    """Validate ``asserted`` (plus ``inferred`` triples and the ontology) against the shapes.

    ``shapes`` defaults to evidencekg's own; ``source`` maps results back to record lines;
    ``derived`` adds the evidence relations of the derivation queries.
    """
    import pyshacl

    data = _PreparedQueryGraph()
    for graph in (asserted, inferred, derived, load_ontology()):
        if graph is not None:
            for triple in graph:
                data.add(triple)
    shapes_graph = shapes if shapes is not None else load_shapes()
    _conforms, report_graph, _text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph,
        inference="none",
        allow_warnings=False,  # the W3C report says conforms false on any result; our gate decides by severity
        advanced=True,
        inplace=True,  # the data graph is our own scratch copy
    )
    return _report(report_graph, source)


def validate_store(store: Any, shapes: Graph | None = None, source: BuiltGraph | None = None) -> ValidationReport:
    """:func:`validate` for a graph held in a pyoxigraph store, its layers as named graphs: the same report, faster.

    Each constraint is evaluated once over the whole graph (:mod:`evidencekg.shacl_fast`). Raises
    :class:`~evidencekg.shacl_fast.UnsupportedShapes` for shapes outside what that engine compiles.
    """
    from .shacl_fast import LiteralOrigins, compile_shapes, report_graph

    compiled = compile_shapes(shapes if shapes is not None else load_shapes())
    origins = None
    if source is not None:
        # The store keeps some literals in another form; the source's triples hold them as written.
        triples = getattr(source, "triples", None)
        origins = LiteralOrigins(triples if triples is not None else source.graph)
    results = compiled.run(store, origins)
    return _report(report_graph(results, compiled, store), source)


def _report(report_graph: Graph, source: BuiltGraph | None) -> ValidationReport:
    names = new_graph()
    names.bind("ekgsh", "https://w3id.org/evidencekg/shapes#")
    results = [_result(report_graph, node, source, names) for node in report_graph.subjects(RDF.type, SH.ValidationResult)]
    results.sort(key=ShaclResult.sort_key)
    return ValidationReport(tuple(results), report_graph)

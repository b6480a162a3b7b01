"""The W3C validation report graph pySHACL writes, from the fast engine's results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from .results import RawResult
from .run import Run

if TYPE_CHECKING:
    import pyoxigraph

    from .shapes import CompiledShapes


def report_graph(results: Sequence[RawResult], compiled: CompiledShapes, store: pyoxigraph.Store) -> Graph:
    """The W3C validation report pySHACL writes for these results (``Validator.create_validation_report``).

    Blank nodes a result names are copied with what describes them: from the shapes graph (kept by
    ``compiled``) for shapes, paths and constraints, from ``store`` for focus nodes and values.
    """
    from pyshacl.rdfutil.clone import clone_blank_node

    report = Graph(bind_namespaces="core")
    for prefix, namespace in compiled.namespaces:
        report.namespace_manager.bind(prefix, namespace)
    shape_nodes = dict(compiled.shape_descriptions)
    run = Run(store, None)
    copied: set[tuple[str, Node]] = set()

    def copy(node: Node, source: str) -> Node:
        if isinstance(node, BNode) and (source, node) not in copied:
            copied.add((source, node))
            if source == "shapes":
                for triple in shape_nodes.get(node, ()):
                    report.add(triple)
            else:
                clone_blank_node(run.describe(node), node, report, keepid=True)
        return node

    root = BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    report.add((root, SH.conforms, Literal(not results)))
    for result in results:
        node = BNode()
        report.add((root, SH.result, node))
        report.add((node, RDF.type, SH.ValidationResult))
        report.add((node, SH.sourceConstraintComponent, result.constraint_component))
        report.add((node, SH.sourceShape, copy(result.source_shape, "shapes")))
        report.add((node, SH.resultSeverity, result.severity))
        report.add((node, SH.focusNode, copy(result.focus_node, "data")))
        if result.value is not None:
            report.add((node, SH.value, copy(result.value, "data")))
        if result.result_path is not None:
            report.add((node, SH.resultPath, copy(result.result_path, "shapes")))
        if result.source_constraint is not None:
            report.add((node, SH.sourceConstraint, copy(result.source_constraint, "shapes")))
        for message in result.messages:
            report.add((node, SH.resultMessage, message))
    return report

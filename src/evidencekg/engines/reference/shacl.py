"""The reference engine's SHACL: pySHACL over one rdflib graph of every layer.

>>> import evidencekg
>>> from evidencekg.engines.reference.reasoner import infer
>>> built = evidencekg.to_rdf(evidencekg.load_dataset(evidencekg.bundled_data_dir()))
>>> validate_graphs([built.graph, infer(built.graph), evidencekg.load_ontology()], source=built).conforms
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import Graph
from rdflib.term import Node

from ...errors import InputError
from ...rdf.build import BuiltGraph
from ...sparql.limits import run_stoppable
from ...validation.report import ValidationReport, report_from_graph
from ...validation.shapes import load_shapes


class _PreparedQueryGraph(Graph):
    """A graph that parses each distinct SPARQL text once.

    pySHACL sends a SPARQL-based constraint's text to ``query`` once per focus
    node, and rdflib parses it every time; parsing was 85% of validation time.
    """

    def __init__(self) -> None:
        super().__init__()
        self._prepared: dict[str, Any] = {}

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query_object, str):
            prepared = self._prepared.get(query_object)
            if prepared is None:
                from rdflib.plugins.sparql import prepareQuery

                prepared = self._prepared[query_object] = prepareQuery(query_object)
            query_object = prepared
        return super().query(query_object, *args, **kwargs)


def validate_graphs(layers: Iterable[Iterable[tuple[Node, Node, Node]]], *, shapes: Graph | None = None,
                    source: BuiltGraph | None = None) -> ValidationReport:
    """Validate the triples of ``layers`` together against the shapes (default: evidencekg's)."""
    import pyshacl

    data = _PreparedQueryGraph()
    for layer in layers:
        for triple in layer:
            data.add(triple)
    shapes_graph = shapes if shapes is not None else load_shapes()
    _conforms, report_graph, _text = run_stoppable(lambda: pyshacl.validate(
        data,
        shacl_graph=shapes_graph,
        inference="none",
        allow_warnings=False,  # the W3C report says conforms false on any result; our gate decides by severity
        advanced=True,
        inplace=True,  # the data graph is our own scratch copy
    ), "SHACL validation")
    if not isinstance(report_graph, Graph):
        # pySHACL returns a failure, not a report, for shapes it cannot run (a query it refuses, say).
        raise InputError("shapes", f"pySHACL cannot validate with these shapes: {' '.join(str(report_graph).split())}")
    return report_from_graph(report_graph, source)

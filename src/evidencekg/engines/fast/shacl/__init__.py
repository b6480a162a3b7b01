"""SHACL for the fast engine: shapes compiled into SPARQL run once over the whole store.

pySHACL evaluates a SPARQL-based constraint once per focus node, on an
rdflib graph; that is most of the time of validation. Here a shapes graph is
compiled (:func:`compile_shapes`, pure, so callers can cache the result) into
a few queries per shape, and :meth:`CompiledShapes.run` evaluates them on a
store whose named graphs hold the data (queried with the default graph as
their union), giving the results pySHACL gives, as :class:`RawResult` of
rdflib terms. :func:`report_graph` writes them as the W3C report pySHACL
writes.

The modules follow the SHACL spec: :mod:`.shapes` compiles shapes and their
targets (focus nodes), :mod:`.constraints` holds one module per family of
constraint components (value type, cardinality, value range, string-based,
other, SPARQL-based), :mod:`.scope` decides where a SPARQL constraint can
run once for all focus nodes, :mod:`.run` evaluates on a store,
:mod:`.literals` gives back literals the store rewrote, :mod:`.report`
writes the report graph, and :mod:`.results` says what is unsupported.

>>> import evidencekg
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir(), engine="fast")
>>> kg.engine.validate(source=kg.built).conforms
True
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rdflib import Graph

from ....rdf.build import BuiltGraph
from ....validation.report import ValidationReport, report_from_graph
from ....validation.shapes import load_shapes
from .literals import LiteralOrigins
from .report import report_graph
from .results import RawResult, UnsupportedShapes
from .shapes import CompiledShapes, compile_shapes

__all__ = ["CompiledShapes", "LiteralOrigins", "RawResult", "UnsupportedShapes", "compile_shapes", "report_graph",
           "validate_store"]


@lru_cache(maxsize=1)
def _bundled() -> CompiledShapes:
    return compile_shapes(load_shapes())


def validate_store(store: Any, shapes: Graph | None = None, source: BuiltGraph | None = None) -> ValidationReport:
    """Validate the union of a pyoxigraph store's graphs; the same report pySHACL gives, faster.

    ``source`` locates results, and its triples, as the records wrote them, give back the literals
    the store keeps in another form. Raises :class:`UnsupportedShapes` for shapes outside what the
    compiler handles.
    """
    compiled = _bundled() if shapes is None else compile_shapes(shapes)
    origins = LiteralOrigins(source.triples) if source is not None else None
    results = compiled.run(store, origins)
    return report_from_graph(report_graph(results, compiled, store), source)

"""SHACL for the fast engine: shapes compiled into SPARQL run once over the whole store.

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
from .compiler import CompiledShapes, LiteralOrigins, RawResult, UnsupportedShapes, compile_shapes, report_graph

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

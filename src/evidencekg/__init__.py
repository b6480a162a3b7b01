"""evidencekg: turn the studies of a research question into a knowledge graph of agreement and contradiction.

Each stage is a plain function::

    dataset  = load_dataset("data/")          # records → validated model
    built    = to_rdf(dataset)                # model → asserted graph (+ source map)
    inferred = infer(built.graph)             # OWL RL → inferred triples, kept apart
    report   = validate(built.graph, inferred, source=built)   # SHACL
    kg       = build_graph("data/")           # all of the above but SHACL
    rows     = query(kg, "contradictions")    # a named query from queries/
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .errors import EvidenceKGError, InputError, InputErrors, QueryError, SourceLocation
from .model import Dataset, load_dataset
from .pipeline import KnowledgeGraph, build, build_graph, check, query, render_outputs, write_outputs
from .queries import QueryResult, available_queries, load_query, run_query
from .reason import infer, load_ontology
from .resources import bundled_data_dir, ontology_path, queries_dir, shapes_paths
from .to_rdf import BuiltGraph, to_rdf
from .validate import ShaclResult, ValidationReport, load_shapes, validate

try:
    __version__ = version("evidencekg")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "BuiltGraph",
    "Dataset",
    "EvidenceKGError",
    "InputError",
    "InputErrors",
    "KnowledgeGraph",
    "QueryError",
    "QueryResult",
    "ShaclResult",
    "SourceLocation",
    "ValidationReport",
    "__version__",
    "available_queries",
    "build",
    "build_graph",
    "bundled_data_dir",
    "check",
    "infer",
    "load_dataset",
    "load_ontology",
    "load_query",
    "load_shapes",
    "ontology_path",
    "queries_dir",
    "query",
    "render_outputs",
    "run_query",
    "shapes_paths",
    "to_rdf",
    "validate",
    "write_outputs",
]

"""evidencekg: turn the studies of a research question into a knowledge graph of agreement and contradiction.

Each stage is a plain function::

    dataset  = load_dataset("data/")          # records → validated model
    built    = to_rdf(dataset)                # model → asserted graph (+ source map)
    inferred = infer(built.graph)             # OWL RL → inferred triples, kept apart
    report   = validate(built.graph, inferred, source=built)   # SHACL
    kg       = build_graph("data/")           # records → model → RDF → inference → derivation
                                              # (engine="fast": pyoxigraph; "reference": rdflib + owlrl)
    rows     = query(kg, "contradictions")    # a named query from queries/

The names below are imported on first use, so that the command line starts
quickly and ``import evidencekg`` costs nothing until a stage is used.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("evidencekg")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0"

_EXPORTS = {
    "errors": ("EvidenceKGError", "InputError", "InputErrors", "QueryError", "SourceLocation"),
    "model": ("Dataset", "load_dataset"),
    "rdf": ("BuiltGraph", "Origin", "to_rdf"),
    "reason": ("infer", "infer_triples", "load_ontology"),
    "shacl": ("ShaclResult", "ValidationReport", "load_shapes", "validate"),
    "queries": ("NamedQuery", "QueryResult", "available_queries", "load_query", "run_query"),
    "pipeline": ("KnowledgeGraph", "build", "build_graph", "check", "check_paths", "query", "render_outputs",
                 "write_outputs"),
    "incremental": ("validate_incremental",),
    "resources": ("bundled_data_dir", "ontology_path", "queries_dir", "shapes_paths"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted([*_MODULE_OF, "__version__"])


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'evidencekg' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from .errors import EvidenceKGError, InputError, InputErrors, QueryError, SourceLocation
    from .model import Dataset, load_dataset
    from .incremental import validate_incremental
    from .pipeline import KnowledgeGraph, build, build_graph, check, check_paths, query, render_outputs, write_outputs
    from .queries import NamedQuery, QueryResult, available_queries, load_query, run_query
    from .reason import infer, infer_triples, load_ontology
    from .resources import bundled_data_dir, ontology_path, queries_dir, shapes_paths
    from .rdf import BuiltGraph, Origin, to_rdf
    from .shacl import ShaclResult, ValidationReport, load_shapes, validate

"""evidencekg: turn the studies of a research question into a knowledge graph of agreement and contradiction.

Each stage is a plain function::

    dataset = load_dataset("data/")            # records → validated model
    built   = to_rdf(dataset)                  # model → asserted triples (+ source map)
    kg      = build_graph("data/")             # … → an engine: inference, derived relations
                                               # (engine="fast": pyoxigraph; "reference": rdflib, owlrl, pySHACL)
    checked = validate(kg)                     # SHACL, results traced to record lines
    rows    = query(kg, "contradictions")      # a named query from queries/

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
    "records": ("Dataset", "load_dataset"),
    "rdf": ("BuiltGraph", "Origin", "load_ontology", "to_rdf"),
    "engines": ("Engine", "open_engine"),
    "engines.reference.reasoner": ("infer",),
    "validation": ("CheckedInput", "ShaclResult", "ValidationReport", "load_shapes"),
    "sparql": ("NamedQuery", "QueryResult", "available_queries", "load_query"),
    "knowledge_graph": ("KnowledgeGraph",),
    "pipeline": ("build", "build_graph", "query", "validate"),
    "outputs.files": ("render_outputs",),
    "atomic": ("write_files",),
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
    from .atomic import write_files
    from .engines import Engine, open_engine
    from .engines.reference.reasoner import infer
    from .errors import EvidenceKGError, InputError, InputErrors, QueryError, SourceLocation
    from .knowledge_graph import KnowledgeGraph
    from .outputs.files import render_outputs
    from .pipeline import build, build_graph, query, validate
    from .rdf import BuiltGraph, Origin, load_ontology, to_rdf
    from .records import Dataset, load_dataset
    from .resources import bundled_data_dir, ontology_path, queries_dir, shapes_paths
    from .sparql import NamedQuery, QueryResult, available_queries, load_query
    from .validation import CheckedInput, ShaclResult, ValidationReport, load_shapes

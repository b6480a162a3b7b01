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
from typing import TYPE_CHECKING, Any

from .resources import package_version

__version__ = package_version()

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
    from .atomic import write_files as write_files
    from .engines import Engine as Engine
    from .engines import open_engine as open_engine
    from .engines.reference.reasoner import infer as infer
    from .errors import EvidenceKGError as EvidenceKGError
    from .errors import InputError as InputError
    from .errors import InputErrors as InputErrors
    from .errors import QueryError as QueryError
    from .errors import SourceLocation as SourceLocation
    from .knowledge_graph import KnowledgeGraph as KnowledgeGraph
    from .outputs.files import render_outputs as render_outputs
    from .pipeline import build as build
    from .pipeline import build_graph as build_graph
    from .pipeline import query as query
    from .pipeline import validate as validate
    from .rdf import BuiltGraph as BuiltGraph
    from .rdf import Origin as Origin
    from .rdf import load_ontology as load_ontology
    from .rdf import to_rdf as to_rdf
    from .records import Dataset as Dataset
    from .records import load_dataset as load_dataset
    from .resources import bundled_data_dir as bundled_data_dir
    from .resources import ontology_path as ontology_path
    from .resources import queries_dir as queries_dir
    from .resources import shapes_paths as shapes_paths
    from .sparql import NamedQuery as NamedQuery
    from .sparql import QueryResult as QueryResult
    from .sparql import available_queries as available_queries
    from .sparql import load_query as load_query
    from .validation import CheckedInput as CheckedInput
    from .validation import ShaclResult as ShaclResult
    from .validation import ValidationReport as ValidationReport
    from .validation import load_shapes as load_shapes

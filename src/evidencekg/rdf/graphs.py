"""RDF graphs as rdflib holds them: a graph with evidencekg's prefixes, and RDF files read from elsewhere.

>>> graph = new_graph()
>>> dict(graph.namespaces())["ekg"].endswith("/ontology#")
True
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rdflib import Dataset as RDFDataset
from rdflib import Graph

from ..errors import InputError, SourceLocation
from ..namespaces import PREFIXES


def new_graph() -> Graph:
    """An empty graph with evidencekg's prefixes bound."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph



RDF_FORMATS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".n3": "n3",
    ".trig": "trig",
    ".nq": "nquads",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
}
"""File suffix → rdflib parser name, for RDF produced elsewhere."""


def read_rdf(paths: Iterable[Path]) -> Graph:
    """Read RDF files into one graph (the triples of every named graph, merged), never touching the network."""
    from ..offline import NetworkRefused, offline

    graph = new_graph()
    for path in paths:
        fmt = RDF_FORMATS.get(path.suffix.lower())
        if fmt is None:
            known = ", ".join(sorted(RDF_FORMATS))
            raise InputError(str(path), f"unknown RDF file type {path.suffix!r}; use one of {known}")
        if not path.is_file():
            raise InputError(str(path), "no such file")
        scratch = RDFDataset() if fmt in ("trig", "nquads") else Graph()
        try:
            with offline():
                scratch.parse(path, format=fmt)
        except NetworkRefused as exc:
            raise InputError(str(path), f"{exc}: remote contexts and external entities are not fetched") from None
        except Exception as exc:  # the parsers raise many unrelated exception types
            raise InputError(_rdf_error_location(path, exc), f"cannot parse as {fmt}: {_first_line(exc)}") from None
        triples = scratch.quads() if isinstance(scratch, RDFDataset) else scratch.triples((None, None, None))
        for triple in triples:
            graph.add(triple[:3])
    return graph


def _rdf_error_location(path: Path, exc: Exception) -> SourceLocation:
    line = getattr(exc, "lineno", None) or getattr(exc, "line", None)
    return SourceLocation(str(path), line) if isinstance(line, int) and line > 0 else SourceLocation(str(path))


def _first_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return (text[:240] + "…") if len(text) > 240 else text or type(exc).__name__

"""Exports of a built graph for other tools, one module per format, all through :func:`export`.

Every format reads the graph from its engine (the layers' triples, SELECT queries of ``queries/export/``,
the engine's TriG), writes all or nothing (:mod:`evidencekg.atomic`, or a staged directory renamed into
place), and gives the same bytes from run to run. The property-graph formats share one model,
:mod:`.model`, generated from the ontology (``docs/property-graph.md``).

This module stays light: the command line lists the formats without importing any writer.

>>> sorted(FORMATS)[:3]
['graphml', 'jsonld', 'kgx']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import InputError

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph


@dataclass(frozen=True)
class Format:
    name: str
    summary: str
    default_out: str
    """Where it goes unless told: a file name, or a directory for a format of several files."""
    directory: bool
    writer: str
    """``module:function`` in this package: ``function(kg, out) -> list[Path]``."""

    def write(self, kg: KnowledgeGraph, out: Path) -> list[Path]:
        module, function = self.writer.split(":")
        run: Callable[[KnowledgeGraph, Path], list[Path]] = getattr(import_module(f"{__name__}.{module}"), function)
        return run(kg, out)


FORMATS = {f.name: f for f in (
    Format("neo4j", "neo4j-admin import CSV files (nodes, relationships) and load.cypher for cypher-shell",
           "build/neo4j", True, "writers:write_neo4j"),
    Format("ladybug", "a ready ladybug (Kùzu) embedded database, schema from the ontology, COPY-loaded; "
           "needs 'evidencekg[graphdb]'", "build/ladybug", True, "writers:write_ladybug_directory"),
    Format("kgx", "KGX nodes and edges as JSON Lines, Biolink categories where the mapping is checked",
           "build/kgx", True, "writers:write_kgx"),
    Format("turtle", "every layer in one Turtle graph, with the ontology's prefixes", "build/evidence.ttl", False,
           "writers:write_turtle"),
    Format("ntriples", "every layer as sorted canonical N-Triples (the file to diff), its SHA-256 in FILE.sha256",
           "build/evidence.nt", False, "writers:write_ntriples"),
    Format("nquads", "every layer in its named graph, as sorted N-Quads", "build/evidence.nq", False,
           "writers:write_nquads"),
    Format("trig", "every layer in its named graph (asserted, inferred, derived, ontology), as TriG",
           "build/evidence.trig", False, "writers:write_trig"),
    Format("jsonld", "every layer as a named graph of JSON-LD, with an inline context of the ontology's prefixes",
           "build/evidence.jsonld", False, "writers:write_jsonld"),
    Format("nanopub", "one nanopublication per finding (head, assertion, provenance, publication info), TriG",
           "build/nanopubs.trig", False, "writers:write_nanopub"),
    Format("graphml", "the property graph as GraphML, for Gephi or Cytoscape", "build/evidence.graphml", False,
           "writers:write_graphml_file"),
)}
"""Every export format by name, in the order ``evidencekg export --list`` shows them."""


def format_list() -> str:
    """One line per format: its name and what it writes."""
    width = max(len(name) for name in FORMATS)
    return "\n".join(f"{f.name:<{width}}  {f.summary}" for f in FORMATS.values())


def export(kg: KnowledgeGraph, fmt: str, out: Path | str | None = None) -> list[Path]:
    """Export ``kg`` in format ``fmt`` to ``out`` (default: the format's place under ``build/``); the paths written.

    Raises ``InputError`` (nothing written) for an unknown format or an output path that may not be written.
    """
    chosen = FORMATS.get(fmt)
    if chosen is None:
        raise InputError("export", f"unknown format {fmt!r}; the formats are: {', '.join(FORMATS)}")
    return chosen.write(kg, Path(out if out is not None else chosen.default_out))

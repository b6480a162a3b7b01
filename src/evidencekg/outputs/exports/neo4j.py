"""Neo4j: the property graph as ``neo4j-admin database import full`` CSV files, and a ``load.cypher`` script.

``nodes.csv`` and ``relationships.csv`` follow the admin import's header conventions: one ID space
(``iri:ID(Resource)``, so the IRI is also the ``iri`` property), ``:LABEL`` and ``:TYPE`` columns, typed
columns (``pValue:double``, ``dc_creator:string[]``), RFC 4180 quoting (a field with a comma, quote or newline
is quoted, a quote doubled), and arrays — labels included — separated by U+001F, which the command is told with
``--array-delimiter=U+001F``. The files are raw data for the import, not for spreadsheets.

``load.cypher`` is for ``cypher-shell`` users without admin rights: constraints first, then batched
``UNWIND $rows`` statements, each preceded by a ``:param`` command that sets ``rows``. The statements never
contain data: labels and relationship types come from the ontology's allow-list, values only from parameters.

>>> import evidencekg
>>> files = render_neo4j(evidencekg.build_graph(evidencekg.bundled_data_dir()))
>>> sorted(files)
['load.cypher', 'manifest.json', 'nodes.csv', 'relationships.csv']
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any

from ...errors import InputError
from .manifest import manifest_bytes
from .model import RESOURCE_LABEL, PropertyGraph, PropertyType, Value, iter_node_rows, property_graph

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph

ARRAY_DELIMITER = "\x1f"
"""U+001F (the unit separator): what separates array elements, labels included, in the CSV files."""
BATCH_SIZE = 1000
"""Rows per ``UNWIND`` statement of ``load.cypher``."""
ID_SPACE = RESOURCE_LABEL

_ADMIN_TYPES = {"STRING": "string", "INT64": "long", "DOUBLE": "double", "BOOLEAN": "boolean"}


def admin_type(kind: PropertyType) -> str:
    """The admin import's column type of a property: ``string``, ``long[]``…"""
    name = _ADMIN_TYPES[kind.type]
    return f"{name}[]" if kind.is_list else name


def _cell(value: Value, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(where, f"{value} cannot be imported as a number")
        return repr(value)
    return str(value)


def csv_field(value: Value | Sequence[Value] | None, where: str) -> str:
    """One CSV field: empty for no value, array elements joined by U+001F (refused if an element holds it)."""
    if value is None:
        return ""
    if isinstance(value, (str, bool, int, float)):
        return _cell(value, where)
    cells = [_cell(v, where) for v in value]
    if any(ARRAY_DELIMITER in cell for cell in cells):
        raise InputError(where, "a value holds U+001F, the array delimiter of the import files")
    return ARRAY_DELIMITER.join(cells)


def _csv_text(header: list[str], rows: Iterator[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def render_nodes_csv(graph: PropertyGraph) -> bytes:
    keys = list(graph.node_keys)
    header = [f"iri:ID({ID_SPACE})", ":LABEL", *(f"{key}:{admin_type(graph.node_keys[key])}" for key in keys)]

    def rows() -> Iterator[list[str]]:
        for node, labels in iter_node_rows(graph):
            yield [node.iri, ARRAY_DELIMITER.join(labels),
                   *(csv_field(graph.node_value(node, key), f"{node.iri}: {key}") for key in keys)]

    return _csv_text(header, rows())


def render_relationships_csv(graph: PropertyGraph) -> bytes:
    keys = list(graph.relationship_keys)
    header = [f":START_ID({ID_SPACE})", f":END_ID({ID_SPACE})", ":TYPE",
              *(f"{key}:{admin_type(graph.relationship_keys[key])}" for key in keys)]

    def rows() -> Iterator[list[str]]:
        for rel in graph.relationships:
            values = dict(rel.properties)
            where = f"{rel.start} {rel.type} {rel.end}"
            yield [rel.start, rel.end, rel.type, *(csv_field(values.get(key), f"{where}: {key}") for key in keys)]

    return _csv_text(header, rows())


def cypher_literal(value: Any) -> str:
    """A value as a Cypher literal for a ``:param`` command: strings through JSON's escapes, which Cypher reads."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _cell(value, "load.cypher")
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"`{k}`: {cypher_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Cypher literal for {value!r}")


def _batches(rows: list[dict[str, Any]], statement: str) -> Iterator[str]:
    for start in range(0, len(rows), BATCH_SIZE):
        yield f":param {{rows: {cypher_literal(rows[start:start + BATCH_SIZE])}}}\n{statement};\n"


def render_load_cypher(graph: PropertyGraph) -> bytes:
    """The script: the constraint on ``Resource.iri``, then nodes by label set, then relationships by type."""
    parts = [
        "// Load with: cypher-shell -u USER -p PASSWORD -f load.cypher (Neo4j 5). Generated by evidencekg.\n",
        f"CREATE CONSTRAINT resource_iri IF NOT EXISTS FOR (n:{RESOURCE_LABEL}) REQUIRE n.iri IS UNIQUE;\n",
    ]
    by_labels = sorted(iter_node_rows(graph), key=lambda item: (item[1], item[0].iri))
    for labels, group in groupby(by_labels, key=lambda item: item[1]):
        rows = [{"iri": node.iri, "properties": {key: graph.node_value(node, key) for key in node.properties}}
                for node, _ in group]
        set_labels = f"SET n:{':'.join(labels[1:])} " if labels[1:] else ""
        statement = (f"UNWIND $rows AS row MERGE (n:{RESOURCE_LABEL} {{iri: row.iri}}) "
                     f"{set_labels}SET n += row.properties")
        parts.extend(_batches(rows, statement))
    for rtype, rels in groupby(graph.relationships, key=lambda rel: rel.type):
        rows = [{"start": rel.start, "end": rel.end, "properties": dict(rel.properties)} for rel in rels]
        statement = (f"UNWIND $rows AS row MATCH (a:{RESOURCE_LABEL} {{iri: row.start}}) "
                     f"MATCH (b:{RESOURCE_LABEL} {{iri: row.end}}) CREATE (a)-[r:{rtype}]->(b) SET r = row.properties")
        parts.extend(_batches(rows, statement))
    parts.append(":param {rows: []}\n")
    return "".join(parts).encode("utf-8")


def render_neo4j(kg: KnowledgeGraph, graph: PropertyGraph | None = None) -> dict[str, bytes]:
    """File name → content: the two import CSV files, ``load.cypher`` and ``manifest.json``, manifest last."""
    graph = graph or property_graph(kg)
    files = {
        "nodes.csv": render_nodes_csv(graph),
        "relationships.csv": render_relationships_csv(graph),
        "load.cypher": render_load_cypher(graph),
    }
    files["manifest.json"] = manifest_bytes("neo4j", kg, files, graph)
    return files

"""ladybug (the maintained fork of Kùzu): a ready embedded graph database, schema generated from the ontology.

``export ladybug --out DIR`` writes ``DIR/evidence.lbug`` (the database), ``DIR/schema.cypher`` (the DDL it
was created with) and ``DIR/manifest.json``. ladybug gives every node one table: a node's table is its root
class in the ontology (``Study`` for every design, ``Term`` for outcomes, populations, conditions and
interventions, ``EvidenceRelation`` for agreements and disagreements), or ``Resource`` for a node of no
class, and all of its classes are in its ``labels`` list. Each table has the ``iri`` primary key, ``labels``
and a column per property key: the ontology's datatype properties, typed by their range, and the other
predicates the data uses. A relationship table per relationship type, with the table pairs it joins.

Data is bulk-loaded with ``COPY FROM`` from CSV files written in a scratch directory (removed afterwards),
each read through ``LOAD FROM`` so that list columns are split on U+001F. The whole database is built in a
staging directory beside ``DIR`` and renamed into place (:mod:`.directory`).

ladybug is an optional dependency: ``pip install 'evidencekg[graphdb]'``.
"""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import InputError
from ..directory import MANIFEST, publish_directory
from .manifest import manifest_bytes
from .model import PropertyGraph, PropertyType, iter_node_rows, property_graph
from .neo4j import ARRAY_DELIMITER, csv_field

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph

DATABASE_FILE = "evidence.lbug"
SCHEMA_FILE = "schema.cypher"
INSTALL_HINT = "the ladybug export needs the ladybug package: pip install 'evidencekg[graphdb]'"


def require_ladybug() -> Any:
    """The ladybug module, or ``InputError`` saying how to install it."""
    try:
        import ladybug
    except ImportError:
        raise InputError("ladybug", INSTALL_HINT) from None
    return ladybug


def _name(identifier: str) -> str:
    # Every name is from the allow-list or a checked key; the backticks keep reserved words (Group) usable.
    return f"`{identifier}`"


def _column_type(kind: PropertyType) -> str:
    return f"{kind.type}[]" if kind.is_list else kind.type


def node_columns(graph: PropertyGraph) -> dict[str, dict[str, PropertyType]]:
    """Table → its columns after ``iri`` and ``labels``: the keys the ontology gives its classes (by
    ``schema:domainIncludes``), and the keys its nodes use."""
    schema = graph.schema
    keys: dict[str, set[str]] = {table: set() for table in schema.tables()}
    for key, domain in schema.key_domains.items():
        for label in domain:
            keys[schema.roots[label]].add(key)
    for node in graph.nodes:
        keys[node.table(schema)].update(node.properties)
    return {table: {key: graph.node_keys.get(key) or PropertyType(schema.property_types[key])
                    for key in sorted(names)} for table, names in keys.items()}


def relationship_tables(graph: PropertyGraph) -> dict[str, tuple[list[tuple[str, str]], list[str]]]:
    """Relationship type → (the (from, to) table pairs it joins, its property keys), from the graph."""
    tables = {node.iri: node.table(graph.schema) for node in graph.nodes}
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    keys: dict[str, set[str]] = defaultdict(set)
    for rel in graph.relationships:
        pairs[rel.type].add((tables[rel.start], tables[rel.end]))
        keys[rel.type].update(key for key, _ in rel.properties)
    return {rtype: (sorted(pairs[rtype]), sorted(keys[rtype], key=lambda k: (k != "layer", k))) for rtype in pairs}


def schema_ddl(graph: PropertyGraph) -> list[str]:
    """The DDL statements that create the database's tables."""
    statements = []
    for table, columns in node_columns(graph).items():
        body = "".join(f", {_name(key)} {_column_type(kind)}" for key, kind in columns.items())
        statements.append(
            f"CREATE NODE TABLE {_name(table)}(`iri` STRING, `labels` STRING[]{body}, PRIMARY KEY(`iri`))")
    for rtype, (pairs, keys) in relationship_tables(graph).items():
        ends = ", ".join(f"FROM {_name(a)} TO {_name(b)}" for a, b in pairs)
        props = "".join(f", {_name(key)} {_column_type(graph.relationship_keys[key])}" for key in keys)
        statements.append(f"CREATE REL TABLE {_name(rtype)}({ends}{props})")
    return statements


def _cypher_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _read_expression(column: str, kind: PropertyType) -> str:
    """How a CSV column (read as text) becomes its typed value: cast, and lists split on U+001F."""
    name = _name(column)
    if kind.is_list:
        split = f"string_split({name}, {_cypher_string(ARRAY_DELIMITER)})"
        typed = split if kind.type == "STRING" else f"CAST({split} AS {kind.type}[])"
        return f"CASE WHEN {name} IS NULL THEN NULL ELSE {typed} END"
    return name if kind.type == "STRING" else f"CAST({name} AS {kind.type})"


def _copy(conn: Any, table: str, path: Path, header: list[str], kinds: list[PropertyType], ends: str = "") -> None:
    source = (f"LOAD FROM {_cypher_string(str(path))} (HEADER=true, AUTO_DETECT=false, PARALLEL=false) RETURN "
              + ", ".join(_read_expression(column, kind) for column, kind in zip(header, kinds, strict=True)))
    conn.execute(f"COPY {_name(table)} FROM ({source}){ends}")


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def load_database(conn: Any, graph: PropertyGraph, scratch: Path) -> None:
    """Create the tables and bulk-load the graph into an open ladybug connection."""
    for statement in schema_ddl(graph):
        conn.execute(statement)
    tables = node_columns(graph)
    by_table: dict[str, list[list[str]]] = defaultdict(list)
    for node, labels in iter_node_rows(graph):
        table = node.table(graph.schema)
        by_table[table].append(
            [node.iri, ARRAY_DELIMITER.join(labels[1:]),
             *(csv_field(graph.node_value(node, key), f"{node.iri}: {key}") for key in tables[table])])
    for index, (table, rows) in enumerate(sorted(by_table.items())):
        columns = tables[table]
        header = ["iri", "labels", *columns]
        kinds = [PropertyType("STRING"), PropertyType("STRING", is_list=True), *columns.values()]
        path = scratch / f"nodes-{index}.csv"
        _write_csv(path, header, rows)
        _copy(conn, table, path, header, kinds)
    node_tables = {node.iri: node.table(graph.schema) for node in graph.nodes}
    grouped: dict[tuple[str, str, str], list[list[str]]] = defaultdict(list)
    rel_tables = relationship_tables(graph)
    for rel in graph.relationships:
        values = dict(rel.properties)
        keys = rel_tables[rel.type][1]
        grouped[(rel.type, node_tables[rel.start], node_tables[rel.end])].append(
            [rel.start, rel.end, *(csv_field(values.get(key), f"{rel.start} {rel.type} {rel.end}") for key in keys)])
    for index, ((rtype, start, end), rows) in enumerate(sorted(grouped.items())):
        keys = rel_tables[rtype][1]
        path = scratch / f"relationships-{index}.csv"
        rel_header = ["from", "to", *keys]
        _write_csv(path, rel_header, rows)
        rel_kinds = [PropertyType("STRING"), PropertyType("STRING"), *(graph.relationship_keys[k] for k in keys)]
        _copy(conn, rtype, path, rel_header, rel_kinds, f" (from={_cypher_string(start)}, to={_cypher_string(end)})")


def write_ladybug(kg: KnowledgeGraph, out_dir: Path, graph: PropertyGraph | None = None) -> Path:
    """Create a ladybug database of the property graph in ``out_dir`` (new, empty, or an earlier ladybug export)."""
    ladybug = require_ladybug()
    graph = graph or property_graph(kg)
    ddl = "".join(statement + ";\n" for statement in schema_ddl(graph)).encode("utf-8")

    def build(staging: Path) -> None:
        # One checkpoint at the end rather than one per COPY: most of the time of a small import otherwise.
        database = ladybug.Database(str(staging / DATABASE_FILE), auto_checkpoint=False)
        conn = ladybug.Connection(database)
        try:
            with tempfile.TemporaryDirectory(prefix="evidencekg-ladybug-") as scratch:
                load_database(conn, graph, Path(scratch))
            conn.execute("CHECKPOINT")
        except RuntimeError as exc:
            raise InputError(str(out_dir), f"ladybug refused the import: {exc}") from None
        finally:
            conn.close()
            database.close()
        (staging / SCHEMA_FILE).write_bytes(ddl)
        contents = sorted(entry.name for entry in staging.iterdir())
        manifest = manifest_bytes("ladybug", kg, {SCHEMA_FILE: ddl}, graph, contents=contents,
                                  database=DATABASE_FILE)
        (staging / MANIFEST).write_bytes(manifest)

    return publish_directory(out_dir, "ladybug", build)

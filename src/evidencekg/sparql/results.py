"""Rows of a SELECT query, and their forms: SPARQL 1.1 JSON, CSV and TSV results, and a plain-text table.

>>> from rdflib import URIRef
>>> result = QueryResult(("s",), ((URIRef("https://w3id.org/evidencekg/ontology#Finding"),),))
>>> print(render(result, "table"), end="")
s
-----------
ekg:Finding
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from ..errors import QueryError, printable
from ..namespaces import PREFIXES
from ..rdf.build import short_name

FORMATS = ("table", "json", "csv", "tsv")


@dataclass(frozen=True)
class QueryResult:
    """Rows of a SELECT query, in order, with their variable names."""

    variables: tuple[str, ...]
    rows: tuple[tuple[Node | None, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def with_columns_sorted(self) -> QueryResult:
        """The same rows with the columns in name order (for ``SELECT *``, whose order SPARQL leaves open)."""
        order = sorted(range(len(self.variables)), key=self.variables.__getitem__)
        return QueryResult(tuple(self.variables[i] for i in order), tuple(tuple(row[i] for i in order)
                                                                           for row in self.rows))

    def records(self) -> list[dict[str, Node]]:
        """Rows as dicts of the bound variables only."""
        return [{v: value for v, value in zip(self.variables, row, strict=False) if value is not None}
                for row in self.rows]

    def to_json(self) -> str:
        """The SPARQL 1.1 Query Results JSON Format (https://www.w3.org/TR/sparql11-results-json/)."""
        bindings = [{name: _json_term(value) for name, value in record.items()} for record in self.records()]
        document = {"head": {"vars": list(self.variables)}, "results": {"bindings": bindings}}
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"

    def to_delimited(self, delimiter: str) -> str:
        """CSV (plain values, as the SPARQL 1.1 CSV format) or TSV (RDF terms in Turtle syntax, as SPARQL TSV)."""
        out = io.StringIO()
        if delimiter == ",":
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(self.variables)
            for row in self.rows:
                writer.writerow(["" if value is None else str(value) for value in row])
            return out.getvalue()
        out.write("\t".join(f"?{v}" for v in self.variables) + "\n")
        for row in self.rows:
            out.write("\t".join("" if value is None else value.n3() for value in row) + "\n")
        return out.getvalue()


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        result = {"type": "literal", "value": str(term)}
        if term.language:
            result["xml:lang"] = term.language
        elif term.datatype:
            result["datatype"] = str(term.datatype)
        return result
    raise TypeError(f"unexpected term {term!r}")


def render(result: QueryResult, fmt: str, columns: Sequence[str] | None = None) -> str:
    """A result as ``table``, ``json``, ``csv`` or ``tsv`` text."""
    if fmt == "json":
        return result.to_json()
    if fmt == "csv":
        return result.to_delimited(",")
    if fmt == "tsv":
        return result.to_delimited("\t")
    if fmt == "table":
        return table(result, columns)
    raise QueryError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def display(term: Any) -> str:
    """A short, readable form of an RDF term for tables."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        text = str(term)
        for prefix, namespace in PREFIXES.items():
            if text.startswith(namespace):
                return f"{prefix}:{text[len(namespace):]}"
        minted = short_name(text)
        if minted is not None:
            return minted
        return text.rsplit("/", 1)[-1] if "/" in text else text
    return printable(str(term))


def table(result: QueryResult, columns: Sequence[str] | None = None) -> str:
    """A plain-text table, wide enough for every value; one line per row."""
    names = list(columns or result.variables)
    index = [result.variables.index(n) for n in names]
    cells = [[display(row[i]) for i in index] for row in result.rows]
    widths = [max([len(n), *(len(r[k]) for r in cells)]) for k, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"

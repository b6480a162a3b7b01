"""Stage 6, queries: load the named SPARQL queries of ``queries/``, prepare them once, run them with bound values.

A query file is ``queries/<name>.rq`` with a header of ``#+ key: value`` lines
(``summary`` is required; ``description`` may continue on lines starting ``#+   ``).
Parameters are passed as variable bindings, never formatted into the text.

>>> from evidencekg.queries import load_query
>>> load_query("contradictions").summary.startswith("Pairs of findings")
True
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node, Variable

from .errors import QueryError
from .namespaces import PREFIXES
from .resources import queries_dir

FORMATS = ("table", "json", "csv", "tsv")


@dataclass(frozen=True)
class NamedQuery:
    """A parsed query file and what its header says about it."""

    name: str
    path: Path
    text: str
    header: Mapping[str, str]
    prepared: Query = field(repr=False)

    @property
    def summary(self) -> str:
        return self.header.get("summary", "")


@dataclass(frozen=True)
class QueryResult:
    """Rows of a SELECT query, in order, with their variable names."""

    variables: tuple[str, ...]
    rows: tuple[tuple[Node | None, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, Node]]:
        """Rows as dicts of the bound variables only."""
        return [{v: value for v, value in zip(self.variables, row) if value is not None} for row in self.rows]

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


def parse_header(text: str) -> dict[str, str]:
    """The ``#+ key: value`` header of a query file."""
    header: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.startswith("#+"):
            if line.strip() and not line.startswith("#"):
                break
            continue
        body = line[2:]
        if body.startswith("   ") and key:
            header[key] += " " + body.strip()
            continue
        name, sep, value = body.strip().partition(":")
        if sep:
            key = name.strip()
            header[key] = value.strip()
    return header


def derivation_queries() -> tuple[NamedQuery, ...]:
    """The CONSTRUCT queries of ``queries/derive/``, in the order their file names give."""
    return tuple(read_query(path) for path in sorted((queries_dir() / "derive").glob("*.rq")))


def construct(graph: Graph, query: NamedQuery) -> Graph:
    """The triples a CONSTRUCT query builds from ``graph``."""
    try:
        result = graph.query(query.prepared)
    except Exception as exc:
        raise QueryError(f"{query.path}: query failed: {exc}") from None
    if result.type != "CONSTRUCT" or result.graph is None:
        raise QueryError(f"{query.path}: a derivation query must be a CONSTRUCT query (this is {result.type})")
    return result.graph


def available_queries(directory: Path | None = None) -> dict[str, Path]:
    """Name → file of every query shipped in ``queries/`` (or in ``directory``)."""
    directory = directory or queries_dir()
    return {path.stem: path for path in sorted(directory.glob("*.rq"))}


def read_query(path: Path, name: str | None = None) -> NamedQuery:
    """Read and prepare one query file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise QueryError(f"{path}: not valid UTF-8 (byte {exc.start}); save the query as UTF-8") from None
    try:
        prepared = prepareQuery(text, initNs=PREFIXES)
    except Exception as exc:  # pyparsing's ParseException and friends
        raise QueryError(f"{path}: SPARQL syntax error: {exc}") from None
    return NamedQuery(name or path.stem, path, text, parse_header(text), prepared)


@cache
def load_query(name_or_path: str) -> NamedQuery:
    """A shipped query by name (``contradictions``), or any ``.rq`` file by path."""
    shipped = available_queries()
    if name_or_path in shipped:
        return read_query(shipped[name_or_path])
    path = Path(name_or_path)
    if path.suffix == ".rq" or path.exists():
        if not path.is_file():
            raise QueryError(f"{path}: no such query file")
        return read_query(path)
    names = ", ".join(shipped)
    raise QueryError(f"no query named {name_or_path!r}; the shipped queries are: {names}")


def uses_service(query: NamedQuery) -> bool:
    algebra = str(query.prepared.algebra)
    return "ServiceGraphPattern" in algebra


def run_query(
    graph: Graph,
    query: NamedQuery | str,
    bindings: Mapping[str, Node] | None = None,
    *,
    allow_service: bool = False,
) -> QueryResult:
    """Run a SELECT query on ``graph`` with ``bindings`` (variable name → RDF term)."""
    named = load_query(query) if isinstance(query, str) else query
    if not allow_service and uses_service(named):
        raise QueryError(f"{named.path}: the query uses SERVICE, which reaches the network; pass --allow-service to run it")
    check_bindings(named, bindings or {})
    init = {Variable(name): value for name, value in (bindings or {}).items()}
    try:
        result = graph.query(named.prepared, initBindings=init)
    except Exception as exc:
        raise QueryError(f"{named.path}: query failed: {exc}") from None
    if result.type != "SELECT":
        raise QueryError(f"{named.path}: only SELECT queries produce rows (this is {result.type})")
    variables = tuple(str(v) for v in result.vars or ())
    rows = tuple(tuple(row) for row in result)  # type: ignore[arg-type]
    return QueryResult(variables, rows)


def check_bindings(query: NamedQuery, bindings: Mapping[str, Node]) -> None:
    """Refuse bindings the engine would silently ignore: unknown variables, and variables the query computes."""
    body = "\n".join(line for line in query.text.splitlines() if not line.lstrip().startswith("#"))
    mentioned = set(re.findall(r"[?$]([A-Za-z_][A-Za-z0-9_]*)", body))
    computed = set(re.findall(r"\bAS\s+[?$]([A-Za-z_][A-Za-z0-9_]*)", body, flags=re.IGNORECASE))
    for name in bindings:
        if name not in mentioned:
            raise QueryError(f"{query.path}: the query has no variable ?{name} to bind")
        if name in computed:
            raise QueryError(f"{query.path}: ?{name} is computed by the query (AS ?{name}) and cannot be bound")


def parse_binding(text: str) -> tuple[str, Node]:
    """``name=value`` → (name, term): ``<iri>`` or a known ``prefix:name`` is an IRI, a number a number, else text."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise QueryError(f"binding {text!r} is not of the form name=value")
    name = name.lstrip("?$")
    term: Node
    if value.startswith("<") and value.endswith(">"):
        iri = value[1:-1]
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", iri):
            raise QueryError(f"binding {text!r}: {iri!r} is not an IRI")
        term = URIRef(iri)
    elif re.match(r"^[A-Za-z][\w-]*:[\w.-]*$", value) and not value.startswith(("http:", "https:", "urn:")):
        prefix, local = value.split(":", 1)
        if prefix not in PREFIXES:
            raise QueryError(f"binding {text!r}: unknown prefix {prefix!r}; use <full IRI> or one of {', '.join(PREFIXES)}")
        term = URIRef(PREFIXES[prefix] + local)
    elif value in ("true", "false"):
        term = Literal(value == "true")
    else:
        term = _number_or_text(value)
    return name, term


def _number_or_text(value: str) -> Literal:
    if re.fullmatch(r"[-+]?\d+", value):
        return Literal(int(value))
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?", value):
        return Literal(float(value))
    return Literal(value)


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
        return text.rsplit("/", 1)[-1] if "/" in text else text
    return str(term)


def table(result: QueryResult, columns: Sequence[str] | None = None) -> str:
    """A plain-text table, wide enough for every value; one line per row."""
    names = list(columns or result.variables)
    index = [result.variables.index(n) for n in names]
    cells = [[display(row[i]) for i in index] for row in result.rows]
    widths = [max([len(n), *(len(r[k]) for r in cells)]) for k, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"

"""The named queries of ``queries/``: one SPARQL question per ``.rq`` file, read and parsed once.

A query file is ``queries/<name>.rq`` with a header of ``#+ key: value`` lines
(``summary`` is required; ``description`` may continue on lines starting ``#+   ``).
The CONSTRUCT queries of ``queries/derive/`` derive the evidence relations, in
the order of their file names.

>>> load_query("contradictions").summary.startswith("Pairs of findings")
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib.plugins.sparql.sparql import Query

from ..errors import QueryError
from ..resources import queries_dir
from .parsing import ParsedQuery, parse_query


@dataclass(frozen=True)
class NamedQuery:
    """A parsed query file and what its header says about it."""

    name: str
    path: Path
    """The file as messages name it: a shipped query by its place in ``queries/`` (``queries/derive/2-….rq``),
    never by where the package is installed; any other query file as it was given."""
    header: Mapping[str, str]
    parsed: ParsedQuery = field(repr=False)

    @property
    def summary(self) -> str:
        return self.header.get("summary", "")

    @property
    def text(self) -> str:
        """The text every engine runs (codepoint escapes expanded)."""
        return self.parsed.text

    @property
    def prepared(self) -> Query:
        """rdflib's prepared form of the query."""
        return self.parsed.prepared


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


def query_from_text(text: str, path: Path, name: str | None = None) -> NamedQuery:
    """A query given as text; ``path`` names it in messages."""
    return NamedQuery(name or path.stem, path, parse_header(text), parse_query(text, where=str(path)))


def _shown(path: Path) -> Path:
    """How messages name a query file: a shipped one relative to ``queries/``, any other as given."""
    try:
        return Path("queries") / path.resolve().relative_to(queries_dir().resolve())
    except ValueError:
        return path


def read_query(path: Path, name: str | None = None) -> NamedQuery:
    """Read and parse one query file."""
    shown = _shown(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise QueryError(f"{shown}: not valid UTF-8 (byte {exc.start}); save the query as UTF-8") from None
    return query_from_text(text, shown, name)


def available_queries(directory: Path | None = None) -> dict[str, Path]:
    """Name → file of every query shipped in ``queries/`` (or in ``directory``)."""
    directory = directory or queries_dir()
    return {path.stem: path for path in sorted(directory.glob("*.rq"))}


@cache
def derivation_queries() -> tuple[NamedQuery, ...]:
    """The CONSTRUCT queries of ``queries/derive/``, in the order their file names give."""
    return tuple(read_query(path) for path in sorted((queries_dir() / "derive").glob("*.rq")))


@cache
def internal_query(folder: str, name: str) -> NamedQuery:
    """One of the queries a part of evidencekg reads with, ``queries/<folder>/<name>.rq`` (named
    ``<folder>/<name>``), read and parsed once; not one of the named questions."""
    return read_query(queries_dir() / folder / f"{name}.rq", f"{folder}/{name}")


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

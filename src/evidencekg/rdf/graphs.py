"""RDF graphs as rdflib holds them: a graph with evidencekg's prefixes, and RDF files read from elsewhere.

>>> graph = new_graph()
>>> dict(graph.namespaces())["ekg"].endswith("/ontology#")
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib import Dataset as RDFDataset
from rdflib.term import Node

from ..errors import InputError, SourceLocation
from ..namespaces import PREFIXES
from .terms import TermConverter


def _unreadable(location: SourceLocation | str, message: str) -> InputError:
    """An RDF or shapes file that cannot be read: every error this module raises."""
    return InputError(location, message, rule="RdfFile-unreadable")


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
    graph = new_graph()
    for path in paths:
        fmt = RDF_FORMATS.get(path.suffix.lower())
        if fmt is None:
            known = ", ".join(sorted(RDF_FORMATS))
            raise _unreadable(str(path), f"unknown RDF file type {path.suffix!r}; use one of {known}")
        parse_rdf_file(path, fmt, graph)
    return graph


def parse_rdf_file(path: Path, fmt: str, into: Graph) -> None:
    """Add the triples of one RDF file from elsewhere (rdflib parser ``fmt``) to ``into``; data and shapes alike.

    Before rdflib sees the file, a JSON-LD document must have only inline contexts and an XML one no DTD
    entity declarations; rdflib then parses it inside the network guard, and every term it produced must be
    one both engines hold (:func:`check_terms`). Any failure is an :class:`InputError` naming the file.
    """
    from ..offline import NetworkRefused, offline

    if not path.is_file():
        raise _unreadable(str(path), "no such file" if not path.exists() else "not a regular file")
    if fmt == "json-ld":
        refuse_context_references(path)
    elif fmt in XML_FORMATS:
        refuse_dtd_declarations(path)
    scratch = RDFDataset() if fmt in ("trig", "nquads") else Graph()
    try:
        with offline():
            scratch.parse(path, format=fmt)
    except NetworkRefused as exc:
        raise _unreadable(str(path), f"{exc}: remote contexts and external entities are not fetched") from None
    except RecursionError as exc:
        raise _unreadable(_recursion_location(path, exc), "nesting too deep to read") from None
    except Exception as exc:  # the parsers raise many unrelated exception types
        location, problem = _parse_problem(path, exc)
        raise _unreadable(location, f"cannot parse as {fmt}: {problem}") from None
    triples = scratch.quads() if isinstance(scratch, RDFDataset) else scratch.triples((None, None, None))
    into.addN((s, p, o, into) for s, p, o in check_terms(path, (quad[:3] for quad in triples)))


XML_FORMATS = frozenset({"xml", "trix"})
"""rdflib parsers that read XML (through expat), where a DTD could declare entities."""


def check_terms(path: Path, triples: Iterable[tuple[Node, Node, Node]]) -> list[tuple[Node, Node, Node]]:
    """The triples, each checked to be RDF that both engines hold; else an :class:`InputError` naming ``path``.

    rdflib accepts more than RDF: N3 formulas and variables, literals as subjects, IRIs with spaces,
    blank node ids and language tags that pyoxigraph (the fast engine) refuses. Each distinct term is
    converted to pyoxigraph once; whatever it refuses, or a term out of its place, is refused here, so the
    engines see the same well-formed graph. Every triple is checked before any is refused, and the
    message names the first problem in a fixed order, whatever order the parser gave the triples in.
    """
    convert = TermConverter()
    checked: set[Node] = set()
    problems: set[str] = set()

    def check(term: Node, role: str, allowed: tuple[type, ...]) -> None:
        if not isinstance(term, allowed):
            if isinstance(term, (Variable, Graph)):
                problems.add(f"{_shown(term)} is not RDF (N3 formulas and variables are not accepted)")
            else:
                problems.add(f"{_shown(term)} cannot be the {role} of a triple")
        elif term not in checked:
            checked.add(term)
            try:
                convert(term)
            except (ValueError, TypeError) as exc:
                problems.add(f"{_shown(term)} is not well-formed: {_first_line(exc)}")

    kept = []
    for s, p, o in triples:
        check(s, "subject", (URIRef, BNode))
        check(p, "predicate", (URIRef,))
        check(o, "object", (URIRef, BNode, Literal))
        kept.append((s, p, o))
    if problems:
        first, *others = sorted(problems)
        raise _unreadable(str(path), first + (f" (and {len(others)} more)" if others else ""))
    return kept


def _shown(term: Node) -> str:
    """A term as a message shows it, whatever is wrong with it (rdflib's ``n3()`` refuses a bad IRI)."""
    if isinstance(term, Graph):
        return "N3 formula { … }"
    if isinstance(term, URIRef):
        text = f"IRI <{term}>"
    elif isinstance(term, BNode):
        text = f"blank node _:{term}"
    elif isinstance(term, Literal):
        text = "literal " + json.dumps(str(term), ensure_ascii=False)
        text += f"@{term.language}" if term.language else f"^^<{term.datatype}>" if term.datatype else ""
    elif isinstance(term, Variable):
        text = f"variable ?{term}"
    else:
        text = f"{type(term).__name__} {term!r}"
    return (text[:160] + "…") if len(text) > 160 else text


def refuse_context_references(path: Path) -> None:
    """Refuse a JSON-LD file whose ``@context`` (anywhere) names a context elsewhere instead of holding it.

    rdflib would read a ``file:`` IRI or a relative path as a file (``/etc/passwd``, ``/dev/zero``, a FIFO),
    so the decision is made on the JSON before rdflib sees the file. A string, or a string in a list, is a
    reference, and so is a context's ``@import``. An http(s) URL is left to the network guard, which refuses
    to fetch it and says so.
    """
    try:
        document = json.loads(path.read_bytes())
    except RecursionError:
        raise _unreadable(str(path), "nesting too deep to read") from None
    except json.JSONDecodeError as exc:
        where = SourceLocation(str(path), exc.lineno, exc.colno)
        raise _unreadable(where, f"cannot parse as json-ld: {exc.msg}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise _unreadable(str(path), f"cannot parse as json-ld: {_first_line(exc)}") from None
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for iri, shown in _context_references(value.get("@context")):
                if not _left_to_the_guard(iri):
                    raise _unreadable(str(path), f"@context {shown} is not inline; "
                                                "evidencekg reads only inline JSON-LD contexts")
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _context_references(context: Any) -> Iterator[tuple[str, str]]:
    """The references in one ``@context`` value, each with how a message shows it (``@import "b.jsonld"``)."""
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, str):
            yield entry, json.dumps(entry, ensure_ascii=False)
        elif isinstance(entry, dict) and isinstance(entry.get("@import"), str):
            yield entry["@import"], "@import " + json.dumps(entry["@import"], ensure_ascii=False)


def _left_to_the_guard(reference: str) -> bool:
    # A remote context is refused by the network guard when rdflib tries to fetch it; anything else
    # (file:, a relative path, another scheme) would be read from the disk, so it is refused here.
    return reference.lower().startswith(("http://", "https://"))


class _DTDFound(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _PrologRead(Exception):
    """The root element has started: no DTD can follow."""


def refuse_dtd_declarations(path: Path) -> None:
    """Refuse an XML file whose DTD declares entities (or names an external DTD), before rdflib parses it.

    Entity expansion ("billion laughs") takes minutes of CPU in rdflib's RDF/XML parser from a file of a
    few hundred bytes. expat reads the prolog and stops at the root element.
    """
    from xml.parsers import expat

    parser = expat.ParserCreate()

    def entity(name: str, *_: Any) -> None:
        raise _DTDFound(parser.CurrentLineNumber, "DTD entity declarations are not accepted")

    def doctype(name: str, system_id: str | None, public_id: str | None, _internal: int) -> None:
        if system_id or public_id:
            raise _DTDFound(parser.CurrentLineNumber, "external DTDs are not accepted")

    def root(*_: Any) -> None:
        raise _PrologRead

    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        with path.open("rb") as stream:
            parser.ParseFile(stream)
    except _DTDFound as exc:
        raise _unreadable(SourceLocation(str(path), exc.line), exc.message) from None
    except _PrologRead:
        return
    except expat.ExpatError as exc:
        raise _unreadable(SourceLocation(str(path), exc.lineno, exc.offset + 1),
                         f"cannot parse as XML: {expat.ErrorString(exc.code)}") from None


def _recursion_location(path: Path, exc: RecursionError) -> SourceLocation:
    # rdflib's Turtle/N3 parser counts lines as it goes; its deepest frame knows where the nesting was.
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        candidate = getattr(tb.tb_frame.f_locals.get("self"), "lines", None)
        if isinstance(candidate, int) and not isinstance(candidate, bool):
            line = candidate + 1
        tb = tb.tb_next
    return SourceLocation(str(path), line)


def _rdf_error_location(path: Path, exc: Exception) -> SourceLocation:
    line = getattr(exc, "lineno", None) or getattr(exc, "line", None)
    return SourceLocation(str(path), line) if isinstance(line, int) and line > 0 else SourceLocation(str(path))


def _parse_problem(path: Path, exc: Exception) -> tuple[SourceLocation, str]:
    """Where a parser stopped and why, said without its internals (no bytes, no Python types)."""
    from rdflib.plugins.parsers.notation3 import BadSyntax

    if isinstance(exc, BadSyntax):  # Turtle, N3, TriG: the text and the offset where the parser stopped
        text: bytes = getattr(exc, "_str", b"")
        offset: int = getattr(exc, "_i", 0)
        column = len(text[text.rfind(b"\n", 0, offset) + 1 : offset].decode("utf-8", "replace")) + 1
        return SourceLocation(str(path), exc.lines + 1, column), str(getattr(exc, "_why", "bad syntax"))
    if isinstance(exc, UnicodeDecodeError):
        return SourceLocation(str(path)), f"not valid UTF-8 (byte 0x{exc.object[exc.start]:02x}); save it as UTF-8"
    if isinstance(exc, (TypeError, AttributeError, KeyError, IndexError)):
        return SourceLocation(str(path)), "the file does not follow the format"
    return _rdf_error_location(path, exc), _first_line(exc)


def _first_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return (text[:240] + "…") if len(text) > 240 else text or type(exc).__name__

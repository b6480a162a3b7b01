"""N-Triples that oxigraph wrote, read back as rdflib triples quickly.

Reading a layer of an on-disk Oxigraph store costs a database lookup for every term of every triple;
the same layer kept as an N-Triples file beside it reads several times faster. Each line is split at
its first two spaces (an IRI or blank node label holds none) and each distinct term is converted
once: terms repeat across thousands of triples.

>>> triples = list(read_ntriples(b'<https://e.org/a> <https://e.org/p> "x \\\\"y\\\\""@en .\\n'))
>>> str(triples[0][2]), triples[0][2].language
('x "y"', 'en')
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ESCAPED = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(match: re.Match[str]) -> str:
    short, long, char = match.groups()
    if short or long:
        return chr(int(short or long, 16))
    return _ESCAPED[char]


def term(token: str) -> Node:
    """One N-Triples term as the rdflib term :func:`evidencekg.rdf.terms.from_oxigraph` gives for it."""
    if token.startswith("<"):
        return URIRef(_ESCAPE.sub(_unescape, token[1:-1]) if "\\" in token else token[1:-1])
    if token.startswith("_:"):
        return BNode(token[2:])
    end = token.rindex('"')  # a language tag or datatype IRI holds no quote
    lexical, suffix = token[1:end], token[end + 1:]
    if "\\" in lexical:
        lexical = _ESCAPE.sub(_unescape, lexical)
    if suffix.startswith("@"):
        return Literal(lexical, lang=suffix[1:])
    if suffix.startswith("^^<"):
        datatype = suffix[3:-1]
        # rdflib keeps a plain literal apart from an xsd:string one; records only make plain ones.
        if datatype in (_XSD_STRING, _LANG_STRING):
            return Literal(lexical)
        return Literal(lexical, datatype=URIRef(datatype))
    return Literal(lexical)


def node_text(token: str) -> tuple[str, bool]:
    """A term as text, and whether it is a literal: an IRI as itself, a blank node as ``_:label``, a literal
    as its lexical form (its datatype or language left out)."""
    if token.startswith("<"):
        return (_ESCAPE.sub(_unescape, token[1:-1]) if "\\" in token else token[1:-1]), False
    if token.startswith("_:"):
        return token, False
    lexical = token[1:token.rindex('"')]
    return (_ESCAPE.sub(_unescape, lexical) if "\\" in lexical else lexical), True


def ntriples_tokens(source: Path | bytes) -> Iterator[tuple[bytes, bytes, bytes]]:
    """Each line's subject, predicate and object, as written, from a file or bytes; the file is read as it goes."""
    with io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb") as lines:
        for line in lines:
            line = line.strip()
            if not line or line.startswith(b"#"):
                continue
            subject, predicate, rest = line.split(b" ", 2)
            yield subject, predicate, rest[:-1].rstrip()


def read_ntriples(source: Path | bytes) -> Iterator[tuple[Node, Node, Node]]:
    """The triples of N-Triples written one per line as ``S P O .`` (oxigraph's form), from a file or bytes."""
    converted: dict[bytes, Node] = {}

    def node(token: bytes) -> Node:
        found = converted.get(token)
        if found is None:
            found = converted[token] = term(token.decode("utf-8"))
        return found

    for subject, predicate, obj in ntriples_tokens(source):
        yield node(subject), node(predicate), node(obj)

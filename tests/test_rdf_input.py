"""RDF made elsewhere (``evidencekg validate FILE.ttl|.jsonld|.rdf|…`` and ``--shapes``) is read safely.

Whatever the file holds, the command ends with exit 2 and a message naming it,
never an internal error, a hang or a read of another file: JSON-LD contexts
must be inline, RDF/XML must not declare DTD entities, nesting too deep to read
is said so, and terms rdflib accepts but RDF does not (N3 formulas, literals as
subjects, IRIs with spaces) are refused before either engine sees them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Listener, run_cli

ENGINES = ("fast", "reference")
EX = "https://example.org/"


@pytest.fixture()
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def _validate(engine: str, *args: str) -> tuple[int, str]:
    completed = run_cli("--engine", engine, "validate", *args)
    assert "internal error" not in completed.stderr and "Traceback" not in completed.stderr, completed.stderr
    return completed.returncode, completed.stderr


# 1. JSON-LD contexts that are not inline


def _jsonld(context: str) -> str:
    return '{"@context": ' + context + ', "@id": "' + EX + 'a", "' + EX + 'p": "x"}\n'


CONTEXTS = {
    "file: IRI of /etc/passwd": ('"file:///etc/passwd"', "file:///etc/passwd"),
    "file: IRI of /dev/zero, in a list": ('["file:///dev/zero", {"ex": "' + EX + '"}]', "file:///dev/zero"),
    "relative path": ('"context.jsonld"', "context.jsonld"),
    "@import": ('{"@import": "context.jsonld"}', '@import "context.jsonld"'),
    "scoped context of a term": ('{"p": {"@id": "' + EX + 'p", "@context": "context.jsonld"}}', "context.jsonld"),
}


@pytest.mark.parametrize("role", ["data", "shapes"])
@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_a_context_that_is_not_inline_is_refused(name: str, role: str, tmp_path: Path) -> None:
    context, shown = CONTEXTS[name]
    (tmp_path / "context.jsonld").write_text('{"@context": {"ex": "' + EX + '"}}\n', encoding="utf-8")
    path = tmp_path / "input.jsonld"
    path.write_text(_jsonld(context), encoding="utf-8")
    args = ["--shapes", str(path)] if role == "shapes" else [str(path)]
    for engine in ENGINES:
        code, err = _validate(engine, *args)
        assert code == 2, err
        assert f"{path}: @context " in err and shown in err, err
        assert "is not inline; evidencekg reads only inline JSON-LD contexts" in err


def test_a_context_naming_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "context.jsonld"
    os.mkfifo(fifo)  # opened for reading, it would block until a writer came
    path = tmp_path / "fifo.jsonld"
    path.write_text(_jsonld(f'"{fifo.as_uri()}"'), encoding="utf-8")
    code, err = _validate("fast", str(path))
    assert code == 2 and "is not inline" in err


def test_a_remote_context_is_still_refused_without_a_connection(tmp_path: Path, listener: Listener) -> None:
    path = tmp_path / "remote.jsonld"
    path.write_text(_jsonld(f'"http://127.0.0.1:{listener.port}/context.jsonld"'), encoding="utf-8")
    for args in ([str(path)], ["--shapes", str(path)]):
        code, err = _validate("fast", *args)
        assert code == 2 and f"{path}: refused to reach the network" in err, err
    assert listener.connections == 0


def test_inline_contexts_are_read(tmp_path: Path) -> None:
    path = tmp_path / "inline.jsonld"
    path.write_text(_jsonld('[{"ex": "' + EX + '"}, null]'), encoding="utf-8")
    for engine in ENGINES:
        assert _validate(engine, str(path))[0] == 0


# 2. RDF/XML with DTD entity declarations


def _billion_laughs(levels: int = 6) -> str:
    # About 550 bytes; rdflib's RDF/XML parser takes 20 seconds over it (a minute and a half with 7 levels).
    entities = ['<!ENTITY e0 "aaaaaaaaaa">'] + [f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, levels)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(entities) + "\n]>\n"
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="' + EX + '">\n'
            f'<rdf:Description rdf:about="{EX}a"><ex:p>&e{levels - 1};</ex:p></rdf:Description>\n</rdf:RDF>\n')


@pytest.mark.parametrize("role", ["data", "shapes"])
def test_entity_expansion_is_refused_before_parsing(role: str, tmp_path: Path) -> None:
    path = tmp_path / "laughs.rdf"
    path.write_text(_billion_laughs(), encoding="utf-8")
    start = time.monotonic()
    code, err = _validate("fast", *(["--shapes", str(path)] if role == "shapes" else [str(path)]))
    assert time.monotonic() - start < 5
    assert code == 2
    assert f"error: {path}:3: DTD entity declarations are not accepted" in err


def test_an_entity_declared_after_a_comment_in_the_dtd_is_found(tmp_path: Path) -> None:
    """The DTD is read by an XML parser: a comment or a string that looks like a declaration changes nothing."""
    path = tmp_path / "quiet.rdf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!-- <!ENTITY fake "x"> -->\n\n'
                    '<!ENTITY real "y">\n]>\n'
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n', encoding="utf-8")
    code, err = _validate("reference", str(path))
    assert code == 2 and f"{path}:5: DTD entity declarations are not accepted" in err


def test_rdf_xml_without_a_dtd_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plain.rdf"
    path.write_text('<?xml version="1.0"?>\n<!-- <!ENTITY in a comment> -->\n'
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="' + EX + '">\n'
                    f'<rdf:Description rdf:about="{EX}a"><ex:p>&lt;!ENTITY x&gt;</ex:p></rdf:Description>\n'
                    "</rdf:RDF>\n", encoding="utf-8")
    for engine in ENGINES:
        assert _validate(engine, str(path))[0] == 0


# 3. Nesting too deep to read


@pytest.mark.parametrize("brackets", ["[]", "()"], ids=["blank nodes", "collections"])
def test_deep_nesting_is_refused_with_the_file_named(brackets: str, tmp_path: Path) -> None:
    opening, closing = brackets
    path = tmp_path / "deep.ttl"
    path.write_text(f"@prefix : <{EX}> .\n\n:a :p {opening * 100_000}{closing * 100_000} .\n", encoding="utf-8")
    for engine in ENGINES:
        code, err = _validate(engine, str(path))
        assert code == 2
        assert f"error: {path}:3: nesting too deep to read" in err, err


# 4. Malformed RDF: exit 2 from both engines, the file named

MALFORMED = {
    "IRI with a space": ("bad.ttl", f"<{EX}a b> <{EX}p> <{EX}o> .\n", "IRI <https://example.org/a b>"),
    "relative IRI with a space": ("bad.ttl", f"<a b> <{EX}p> <{EX}o> .\n", "is not well-formed"),
    "literal as subject": ("bad.n3", f'"x" <{EX}p> <{EX}o> .\n', 'literal "x" cannot be the subject'),
    "N3 formula": ("bad.n3", f"{{ <{EX}a> <{EX}b> <{EX}c> }} <{EX}p> <{EX}o> .\n", "N3 formula"),
    "N3 variable": ("bad.n3", f"?x <{EX}p> <{EX}o> .\n", "variable ?x is not RDF"),
    "blank node id with a space": ("bad.jsonld", '{"@id": "_:a b", "' + EX + 'p": "x"}\n', "blank node _:a b"),
    "language tag": ("bad.ttl", f'<{EX}a> <{EX}p> "x"@abcdefghi .\n', 'literal "x"@abcdefghi'),
    "IRI with a bad host": ("bad.nt", f'<http://[::1/> <{EX}p> "x" .\n', "IRI <http://[::1/>"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_rdf_is_bad_input_for_both_engines(name: str, tmp_path: Path) -> None:
    filename, text, expected = MALFORMED[name]
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    for engine in ENGINES:
        code, err = _validate(engine, str(path))
        assert code == 2, (engine, err)
        assert f"error: {path}: " in err and expected in err, (engine, err)


def test_malformed_shapes_are_bad_input_for_both_engines(tmp_path: Path) -> None:
    path = tmp_path / "shapes.n3"
    path.write_text(f'"x" <http://www.w3.org/ns/shacl#targetNode> <{EX}o> .\n', encoding="utf-8")
    for engine in ENGINES:
        code, err = _validate(engine, "--shapes", str(path))
        assert code == 2 and f"error: {path}: literal" in err, (engine, err)


# 5. SERVICE in a shapes file


def test_service_in_a_shapes_constraint_is_bad_input_without_a_connection(tmp_path: Path,
                                                                          listener: Listener) -> None:
    shapes = tmp_path / "remote-shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ekg: <https://w3id.org/evidencekg/ontology#> .\n"
        f"<{EX}RemoteShape> a sh:NodeShape ; sh:targetClass ekg:Study ;\n"
        '  sh:sparql [ sh:select """SELECT $this WHERE { SERVICE <http://127.0.0.1:'
        f'{listener.port}/sparql> {{ $this ?p ?o }} }}""" ] .\n', encoding="utf-8")
    for engine in ENGINES:
        code, err = _validate(engine, "--shapes", str(shapes))
        assert code == 2, (engine, err)
        assert "SERVICE" in err
    assert listener.connections == 0

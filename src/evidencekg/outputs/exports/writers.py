"""Each format's writer: render the bytes, then write them all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ...atomic import check_target, write_files
from .manifest import manifest_bytes, sha256

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph


def _write_file(path: Path, content: bytes, extra: dict[str, bytes] | None = None) -> list[Path]:
    check_target(path)
    return write_files({path.name: content, **(extra or {})}, path.parent)


def write_neo4j(kg: KnowledgeGraph, out: Path) -> list[Path]:
    from .neo4j import render_neo4j

    return write_files(render_neo4j(kg), out)


def write_ladybug_directory(kg: KnowledgeGraph, out: Path) -> list[Path]:
    from .ladybug import write_ladybug

    return [write_ladybug(kg, out)]


def write_kgx(kg: KnowledgeGraph, out: Path) -> list[Path]:
    from .kgx import render_kgx

    return write_files(render_kgx(kg), out)


def write_turtle(kg: KnowledgeGraph, out: Path) -> list[Path]:
    from .rdf import render_turtle

    return _write_file(out, render_turtle(kg))


def write_ntriples(kg: KnowledgeGraph, out: Path) -> list[Path]:
    """The sorted N-Triples file, then ``FILE.sha256`` (``sha256sum -c`` reads it) and ``FILE.manifest.json``."""
    from .rdf import render_ntriples

    content = render_ntriples(kg)
    checksum = f"{sha256(content)}  {out.name}\n".encode()
    manifest = manifest_bytes("ntriples", kg, {out.name: content}, triples=content.count(b"\n"))
    return _write_file(out, content, {f"{out.name}.sha256": checksum, f"{out.name}.manifest.json": manifest})


def write_nquads(kg: KnowledgeGraph, out: Path) -> list[Path]:
    from .rdf import render_nquads

    return _write_file(out, render_nquads(kg))


def write_trig(kg: KnowledgeGraph, out: Path) -> list[Path]:
    from .rdf import render_trig

    return _write_file(out, render_trig(kg))


def write_jsonld(kg: KnowledgeGraph, out: Path) -> list[Path]:
    from .rdf import render_jsonld

    return _write_file(out, render_jsonld(kg))


def write_nanopub(kg: KnowledgeGraph, out: Path) -> list[Path]:
    from .nanopub import render_nanopubs

    return _write_file(out, render_nanopubs(kg))


def write_graphml_file(kg: KnowledgeGraph, out: Path) -> list[Path]:
    from .graphml import write_graphml

    return [write_graphml(kg, out)]

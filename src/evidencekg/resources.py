"""Where the ontology, shapes, queries and bundled dataset live.

An installed wheel carries them under ``evidencekg/resources``; a source
checkout (including an editable install) uses the top-level folders, which
are their single source.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """The directory of a shipped resource: ``ontology``, ``queries`` or ``data``."""
    for candidate in (_PACKAGE / "resources" / name, _PACKAGE.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"evidencekg resource directory {name!r} is missing from this installation")


def package_version() -> str:
    """evidencekg's version, from the installed package's metadata (one version source: pyproject.toml)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("evidencekg")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "0.0.0"


def ontology_path() -> Path:
    """The OWL ontology (Turtle)."""
    return resource_dir("ontology") / "evidence.ttl"


def shapes_paths() -> tuple[Path, ...]:
    """The SHACL shapes files, in a fixed order."""
    return tuple(sorted((resource_dir("ontology") / "shapes").glob("*.ttl")))


def queries_dir() -> Path:
    """The directory of the named SPARQL queries."""
    return resource_dir("queries")


def bundled_data_dir() -> Path:
    """The dataset that ships with evidencekg."""
    return resource_dir("data")

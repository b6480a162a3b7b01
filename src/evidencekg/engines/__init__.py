"""Engines: where a knowledge graph's layers live and what runs on them (see :mod:`evidencekg.engines.base`).

``fast`` (the default) is pyoxigraph with compiled rules and shapes; ``reference``
is rdflib, owlrl and pySHACL. A new engine is a subpackage here and one entry in
:data:`ENGINES`; nothing else changes.

>>> engine = open_engine("reference", {"asserted": URIRef("urn:example:asserted")})
>>> engine.name
'reference'
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rdflib import URIRef

from .base import LAYERS, Engine, Fallback

ENGINES: dict[str, str] = {"fast": "evidencekg.engines.fast:FastEngine",
                           "reference": "evidencekg.engines.reference:ReferenceEngine"}
"""Engine name → ``module:class``; imported only when asked for, so the command line starts quickly."""

__all__ = ["ENGINES", "LAYERS", "Engine", "Fallback", "open_engine"]

if TYPE_CHECKING:
    # The registry's classes are imported only when asked for; this lets mypy check that each is an Engine.
    from .fast import FastEngine
    from .reference import ReferenceEngine

    _REGISTERED: tuple[type[Engine], ...] = (FastEngine, ReferenceEngine)


def open_engine(name: str, names: Mapping[str, URIRef], prefixes: Mapping[str, str] | None = None) -> Engine:
    """A new, empty engine of the given name; ``names`` maps each layer to the IRI of its named graph."""
    target = ENGINES.get(name)
    if target is None:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    module, _, cls = target.partition(":")
    engine: Engine = getattr(importlib.import_module(module), cls)(names, prefixes)
    return engine

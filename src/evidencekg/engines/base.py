"""The engine interface: what every stage after the asserted triples asks of wherever the graph lives.

A knowledge graph has four layers, each a named graph of the TriG output:
``asserted`` (from the records), ``inferred`` (OWL RL), ``derived`` (the
evidence relations of ``queries/derive/``) and ``ontology``. An engine holds
them and does the work on them: inference, derivation, SHACL, queries and
the serialisation of each layer. The pipeline asks for an engine by name once
(:func:`evidencekg.engines.open_engine`) and from then on only calls this
interface, so a new engine (a remote SPARQL store, say) is a new subpackage
of :mod:`evidencekg.engines` and one entry in its registry.

When an engine hands a step to another implementation (the fast engine's
rules meeting an OWL construct they do not cover, its SHACL compiler a shape
it does not compile), it records a :class:`Fallback`, so that a user is told
which library did the work.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from rdflib import Graph, URIRef
from rdflib.term import Node

from ..rdf.build import BuiltGraph
from ..sparql.named import NamedQuery
from ..sparql.results import QueryResult
from ..validation.report import ValidationReport

LAYERS = ("asserted", "inferred", "derived", "ontology")
"""The layers of a knowledge graph, in the order outputs list them."""

Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class Fallback:
    """A step an engine handed to another implementation, and why."""

    stage: str
    """``inference`` or ``validation``."""
    used: str
    """The library that did the step instead (``owlrl``, ``pySHACL``)."""
    reason: str

    def __str__(self) -> str:
        return f"{self.stage} by {self.used}: {self.reason}"


class Selects(Protocol):
    """What answers SELECT queries over a graph: every engine, and an endpoint that holds a graph built elsewhere."""

    def select(self, query: NamedQuery, bindings: Mapping[str, Node] | None = None, *,
               allow_service: bool = False) -> QueryResult:
        """Rows of a SELECT query over the union of the layers, with ``bindings`` bound."""
        ...


class Engine(Selects, Protocol):
    """Where the layers of a knowledge graph live, and what runs on them."""

    name: str
    """The name :func:`~evidencekg.engines.open_engine` knows the engine by."""
    names: Mapping[str, URIRef]
    """Layer → the IRI of its named graph."""

    @property
    def fallbacks(self) -> tuple[Fallback, ...]:
        """Steps done by another implementation than the engine's own, in the order they happened."""
        ...

    def load(self, layer: str, triples: Iterable[Triple]) -> None:
        """Add rdflib triples to a layer."""
        ...

    def infer(self) -> None:
        """Fill the ``inferred`` layer: the OWL 2 RL entailments of ``asserted`` and the ontology, apart from both."""
        ...

    def derive(self, queries: Sequence[NamedQuery]) -> None:
        """Run CONSTRUCT queries in order into the ``derived`` layer, each seeing what the earlier ones derived."""
        ...

    def validate(self, shapes: Graph | None = None, source: BuiltGraph | None = None) -> ValidationReport:
        """SHACL validation of every layer together (``shapes`` default: evidencekg's); ``source`` locates results."""
        ...

    def select(self, query: NamedQuery, bindings: Mapping[str, Node] | None = None, *,
               allow_service: bool = False, layers: Sequence[str] | None = None) -> QueryResult:
        """Rows of a SELECT query over the union of the layers (or of ``layers`` only), with ``bindings`` bound."""
        ...

    def triples(self, layer: str) -> Iterator[Triple]:
        """The triples of a layer, as rdflib terms, in no particular order."""
        ...

    def count(self, layer: str) -> int:
        ...

    def instances(self, cls: URIRef, layer: str) -> set[URIRef]:
        """The IRIs typed ``cls`` in a layer."""
        ...

    def objects(self, subject: Node, predicate: URIRef) -> list[Node]:
        """The objects of ``subject predicate`` in any layer, sorted."""
        ...

    def turtle(self, layer: str) -> bytes:
        """A layer as Turtle, byte-identical from run to run."""
        ...

    def trig(self) -> bytes:
        """Every layer as a named graph of one TriG document, byte-identical from run to run."""
        ...

    def close(self) -> None:
        """Release what the engine holds; it is not used afterwards."""
        ...

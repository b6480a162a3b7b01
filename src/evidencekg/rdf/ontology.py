"""evidencekg's ontology as triples, and the names of the named graphs a knowledge graph is kept in.

>>> from evidencekg.namespaces import EKG
>>> any(s == EKG.Finding for s, _, _ in ontology_triples())
True
"""

from __future__ import annotations

from functools import cache

from rdflib import Graph, URIRef
from rdflib.term import Node

from ..namespaces import ONTOLOGY_IRI
from ..resources import ontology_path
from .graphs import new_graph


@cache
def ontology_triples() -> frozenset[tuple[Node, Node, Node]]:
    """The triples of evidencekg's ontology, parsed once per process."""
    from rdflib.compare import to_canonical_graph

    # Canonical blank node labels (the restrictions and lists), so that writers which print labels
    # write the same file on every run.
    return frozenset(to_canonical_graph(Graph().parse(ontology_path(), format="turtle")))


def load_ontology() -> Graph:
    """The evidencekg ontology as a fresh graph."""
    graph = new_graph()
    for triple in ontology_triples():
        graph.add(triple)
    return graph


def graph_names(base: str) -> dict[str, URIRef]:
    """Layer → the IRI of its named graph, for a dataset whose IRIs start with ``base``."""
    return {"asserted": URIRef(base + "graph/asserted"), "inferred": URIRef(base + "graph/inferred"),
            "derived": URIRef(base + "graph/derived"), "ontology": ONTOLOGY_IRI}

"""The reference engine's TriG writer: deterministic, the named graphs in a given order.

>>> from rdflib import URIRef
>>> from evidencekg.rdf.graphs import new_graph
>>> to_trig([(URIRef("https://example.org/g"), new_graph())]).decode().split()
['<https://example.org/g>', '{', '}']
"""

from __future__ import annotations

from collections.abc import Sequence

from rdflib import Graph, URIRef

from ...namespaces import PREFIXES
from ...rdf.graphs import new_graph


def to_trig(named_graphs: Sequence[tuple[URIRef, Graph]]) -> bytes:
    """TriG with the named graphs in the given order.

    rdflib's TriG writer orders graphs by its store's hashing, which changes
    between runs; each graph's Turtle body is deterministic, so the graphs are
    written one by one under a single prefix block.
    """
    declared: dict[str, str] = {}
    bodies = []
    for name, graph in named_graphs:
        scratch = new_graph()
        for prefix, namespace in graph.namespaces():
            if prefix and prefix not in PREFIXES:
                scratch.bind(prefix, namespace)
        for triple in graph:
            scratch.add(triple)
        text = scratch.serialize(format="turtle")
        # rdflib writes the prefix block first, then a blank line; only that block is moved. The body is
        # not indented or filtered: a line inside a multi-line literal is part of its value.
        head, _, statements = text.partition("\n\n") if text.startswith("@prefix") else ("", "", text)
        for line in head.splitlines():
            declared.setdefault(line, name)
        statements = statements.strip()
        bodies.append(f"\n<{name}> {{\n{statements}\n}}\n")
    labels = [line.split()[1] for line in declared]
    if len(labels) != len(set(labels)):  # pragma: no cover - prefixes are bound explicitly upstream
        raise AssertionError(f"conflicting prefixes across named graphs: {sorted(declared)}")
    return ("".join(f"{line}\n" for line in sorted(declared)) + "".join(bodies)).encode("utf-8")

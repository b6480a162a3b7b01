"""KGX, the Biolink exchange format: ``nodes.jsonl`` and ``edges.jsonl`` (KGX's JSON Lines form).

JSON Lines rather than TSV: quotes, tabs and newlines in quotes stay as they are. Nodes and edges are the
property graph's, with KGX's fields: ``id`` (a CURIE where a prefix covers the IRI), ``category``,
``name``, ``iri``; ``subject``, ``predicate``, ``object``, ``knowledge_level`` and ``agent_type`` on
edges. Biolink categories and predicates are used only where :data:`BIOLINK_CATEGORIES` and
:data:`BIOLINK_PREDICATES` map a term, a mapping checked against the Biolink model's own schema
(``tests/test_exports.py``); every other class and property keeps evidencekg's CURIE (``ekg:Finding``,
``ekg:reportsFinding``).

>>> import evidencekg
>>> files = render_kgx(evidencekg.build_graph(evidencekg.bundled_data_dir()))
>>> sorted(files)
['edges.jsonl', 'manifest.json', 'nodes.jsonl']
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .manifest import manifest_bytes
from .model import PropertyGraph, property_graph
from .rdf import Compactor, ontology_prefixes

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph

BIOLINK_MODEL_VERSION = "4.4.6"
"""The Biolink model version the mapping was checked against."""
BIOLINK_CATEGORIES = {
    "Study": "biolink:Study",
    "Group": "biolink:StudyPopulation",
    "Condition": "biolink:DiseaseOrPhenotypicFeature",
    "Population": "biolink:PopulationOfIndividualOrganisms",
    "Intervention": "biolink:Treatment",
}
"""Node label → Biolink category."""
BIOLINK_PREDICATES = {"BROADER": "biolink:subclass_of"}
"""Relationship type → Biolink predicate."""
NOT_PROVIDED = "not_provided"
NAME_KEYS = ("skos_prefLabel", "rdfs_label")


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def render_kgx(kg: KnowledgeGraph, graph: PropertyGraph | None = None) -> dict[str, bytes]:
    """File name → content: nodes and edges as KGX JSON Lines, and ``manifest.json``."""
    graph = graph or property_graph(kg)
    curie = Compactor(ontology_prefixes())
    predicates = {rtype: curie(iri) for iri, rtype in graph.schema.relationship_types.items()}
    class_curies = {label: curie(iri) for iri, label in graph.schema.labels.items()}
    nodes = []
    for node in graph.nodes:
        record: dict[str, Any] = {key: graph.node_value(node, key) for key in node.properties}
        labels = sorted(node.labels)
        categories = sorted({BIOLINK_CATEGORIES.get(label, class_curies[label]) for label in labels})
        name = next((record[k] for k in NAME_KEYS if isinstance(record.get(k), str)), None)
        record.update(id=curie(node.iri), iri=node.iri, category=categories or ["ekg:Resource"])
        if name is not None:
            record["name"] = name
        nodes.append(_line(record))
    edges = []
    for index, rel in enumerate(graph.relationships):
        record = {key: list(value) if isinstance(value, tuple) else value for key, value in rel.properties}
        record.update(id=f"e{index}", subject=curie(rel.start), object=curie(rel.end),
                      predicate=BIOLINK_PREDICATES.get(rel.type, predicates[rel.type]),
                      knowledge_level=NOT_PROVIDED, agent_type=NOT_PROVIDED)
        edges.append(_line(record))
    files = {"nodes.jsonl": "".join(nodes).encode("utf-8"), "edges.jsonl": "".join(edges).encode("utf-8")}
    files["manifest.json"] = manifest_bytes("kgx", kg, files, graph, biolink_model=BIOLINK_MODEL_VERSION)
    return files

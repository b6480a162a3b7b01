"""RDF: the asserted graph built from the model (IRI minting and the source map), terms, graphs and the ontology."""

from __future__ import annotations

from .build import BuiltGraph, Origin, base_iri, design_class, study_label, to_rdf
from .graphs import RDF_FORMATS, new_graph, read_rdf
from .ontology import graph_names, load_ontology, ontology_triples

__all__ = ["RDF_FORMATS", "BuiltGraph", "Origin", "base_iri", "design_class", "graph_names", "load_ontology",
           "new_graph", "ontology_triples", "read_rdf", "study_label", "to_rdf"]

"""The reference engine's inference: owlrl's OWL 2 RL closure of ontology + asserted data, kept as a graph of its own.

The closure is computed on a scratch graph, so the caller's asserted graph is
never modified, and only new, informative triples are returned:

* triples already asserted, or already in the ontology, are left out;
* triples with a blank node (the ontology's restrictions and lists) are left out;
* the tautologies every OWL RL reasoner emits for every resource (``x owl:sameAs x``,
  ``x rdf:type owl:Thing``, ``C rdfs:subClassOf C``, ``C rdfs:subClassOf owl:Thing``...)
  are left out, as are statements about the RDF, RDFS, OWL and XSD vocabularies themselves.

What remains is what the queries rely on: design superclasses and evidence
levels, inverse and symmetric properties, ``skos:broaderTransitive`` and the
``…OrBroader`` properties derived from the term hierarchies.

>>> import evidencekg
>>> built = evidencekg.to_rdf(evidencekg.load_dataset(evidencekg.bundled_data_dir()))
>>> inferred = infer(built.graph)
>>> len(inferred) > 0 and not set(inferred) & set(built.graph)
True
"""

from __future__ import annotations

from rdflib import Graph

from ...rdf.graphs import new_graph
from ...rdf.ontology import ontology_triples
from ..entailment import informative


def infer(asserted: Graph, ontology: Graph | None = None) -> Graph:
    """The triples OWL 2 RL entails from ``ontology`` (default: evidencekg's) and ``asserted``.

    Returns a new graph holding only the inferred triples; neither input is changed.
    """
    import owlrl  # type: ignore[import-untyped]  # owlrl ships no type information

    schema = set(ontology) if ontology is not None else ontology_triples()
    scratch = Graph()
    for triple in schema:
        scratch.add(triple)
    for triple in asserted:
        scratch.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(scratch)
    inferred = new_graph()
    for triple in scratch:
        if triple in schema or triple in asserted:
            continue
        if informative(triple):
            inferred.add(triple)
    return inferred

"""The build's description as linked data: a DCAT dataset with VoID statistics, written as ``void.ttl``.

Everything in it comes from the dataset's ``dataset.yaml``, the built graph or the files beside it: the title,
description, licence, language and publisher as the curators wrote them; the statistics counted over the
three data layers (asserted, inferred, derived); one ``dcat:Distribution`` per file with its media type,
size and SHA-256. Dates are only those ``dataset.yaml`` states (``issued``, ``modified``), or, for
``modified``, the build's ``SOURCE_DATE_EPOCH`` when set: never the clock, so the file stays reproducible.
Download links are relative IRIs, resolved against wherever the files are published together.
``ontology/description-shapes.ttl`` is the DCAT-AP-style SHACL shape the description meets.

>>> import evidencekg
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
>>> b"void:triples" in dataset_description(kg, {"asserted.ttl": kg.engine.turtle("asserted")})
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS
from rdflib.term import Node

from ..namespaces import EKG, FOAF, ONTOLOGY_IRI, PREFIXES, SPDX, VOID
from ..rdf.build import base_iri, license_iri
from ..sparql.named import internal_query

if TYPE_CHECKING:
    from ..knowledge_graph import KnowledgeGraph

DATA_LAYERS = ("asserted", "inferred", "derived")
_MEDIA_TYPES = {".ttl": "text/turtle", ".trig": "application/trig", ".json": "application/json"}
_IANA = "https://www.iana.org/assignments/media-types/"
_ISO_639_1 = "http://id.loc.gov/vocabulary/iso639-1/"


def dataset_description(kg: KnowledgeGraph, files: Mapping[str, bytes], modified: str | None = None) -> bytes:
    """Turtle describing the dataset and ``files`` (name → content); ``modified`` a date when none is stated."""
    meta = kg.dataset.metadata
    graph = Graph()
    for prefix in ("dcat", "dcterms", "ekg", "xsd"):
        graph.bind(prefix, PREFIXES[prefix])
    graph.bind("void", str(VOID))
    graph.bind("spdx", str(SPDX))
    graph.bind("foaf", str(FOAF))
    base = base_iri(kg.dataset)
    dataset = URIRef(base + "dataset")
    language = meta.language or "en"
    graph.add((dataset, RDF.type, DCAT.Dataset))
    graph.add((dataset, RDF.type, VOID.Dataset))
    for predicate, text in ((DCTERMS.title, meta.title), (DCTERMS.description, meta.description)):
        if text:
            graph.add((dataset, predicate, Literal(text, lang=language)))
    if meta.question:
        graph.add((dataset, EKG.researchQuestion, Literal(meta.question)))
    licence = license_iri(meta.license) if meta.license else None
    if licence is not None:
        graph.add((dataset, DCTERMS.license, licence))
    primary = language.split("-")[0].lower()
    if len(primary) == 2:
        graph.add((dataset, DCTERMS.language, URIRef(_ISO_639_1 + primary)))
    if meta.publisher:
        publisher = URIRef(meta.publisher_url) if meta.publisher_url else URIRef(base + "publisher")
        graph.add((dataset, DCTERMS.publisher, publisher))
        graph.add((publisher, RDF.type, FOAF.Agent))
        graph.add((publisher, FOAF.name, Literal(meta.publisher)))
    for predicate, date in ((DCTERMS.issued, meta.issued), (DCTERMS.modified, meta.modified or modified)):
        if date:
            graph.add((dataset, predicate, Literal(date, datatype=XSD.date)))
    for url in meta.sources:
        graph.add((dataset, DCTERMS.source, URIRef(url)))
    graph.add((dataset, DCTERMS.conformsTo, ONTOLOGY_IRI))
    graph.add((dataset, VOID.vocabulary, ONTOLOGY_IRI))
    graph.add((dataset, VOID.uriSpace, Literal(base)))
    _statistics(graph, dataset, kg)
    for name, content in sorted(files.items()):
        _distribution(graph, dataset, name, content, licence)
    return graph.serialize(format="turtle").encode("utf-8")


def _statistics(graph: Graph, dataset: URIRef, kg: KnowledgeGraph) -> None:
    """VoID's counts over the data layers, as one graph: triples, subjects, objects, classes, properties.

    Counted by the engine (``queries/description/``) over those layers alone, never by copying them out.
    """
    totals = _rows(kg, "statistics")[0]
    properties = {str(row["property"]): int(str(row["triples"])) for row in _rows(kg, "properties")}
    classes = {str(row["class"]): int(str(row["entities"])) for row in _rows(kg, "classes")}
    counts = {
        VOID.triples: int(str(totals["triples"])),
        VOID.distinctSubjects: int(str(totals["subjects"])),
        VOID.distinctObjects: int(str(totals["objects"])),
        VOID.entities: int(str(totals["entities"])),
        VOID.properties: len(properties),
        VOID.classes: len(classes),
    }
    for predicate, count in counts.items():
        graph.add((dataset, predicate, Literal(count)))
    # Partitions are blank nodes labelled by position in IRI order, so the file is the same from run to run.
    for index, cls in enumerate(sorted(classes)):
        partition = BNode(f"class{index}")
        graph.add((dataset, VOID.classPartition, partition))
        graph.add((partition, VOID["class"], URIRef(cls)))
        graph.add((partition, VOID.entities, Literal(classes[cls])))
    for index, prop in enumerate(sorted(properties)):
        partition = BNode(f"property{index}")
        graph.add((dataset, VOID.propertyPartition, partition))
        graph.add((partition, VOID.property, URIRef(prop)))
        graph.add((partition, VOID.triples, Literal(properties[prop])))


def _rows(kg: KnowledgeGraph, name: str) -> list[dict[str, Node]]:
    query = internal_query("description", name)
    return kg.engine.select(query, layers=DATA_LAYERS).records()


def _distribution(graph: Graph, dataset: URIRef, name: str, content: bytes, licence: URIRef | None) -> None:
    distribution = URIRef(f"{dataset}/distribution/{name}")
    download = URIRef(name)
    graph.add((dataset, DCAT.distribution, distribution))
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCTERMS.title, Literal(name)))
    graph.add((distribution, DCAT.accessURL, download))
    graph.add((distribution, DCAT.downloadURL, download))
    suffix = name[name.rfind("."):]
    if suffix in _MEDIA_TYPES:
        graph.add((distribution, DCAT.mediaType, URIRef(_IANA + _MEDIA_TYPES[suffix])))
    graph.add((distribution, DCAT.byteSize, Literal(str(len(content)), datatype=XSD.nonNegativeInteger)))
    checksum = BNode(f"checksum-{name}")
    graph.add((distribution, SPDX.checksum, checksum))
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((checksum, SPDX.checksumValue, Literal(hashlib.sha256(content).hexdigest(), datatype=XSD.hexBinary)))
    if licence is not None:
        graph.add((distribution, DCTERMS.license, licence))
    if suffix in (".ttl", ".trig"):
        graph.add((dataset, VOID.dataDump, download))

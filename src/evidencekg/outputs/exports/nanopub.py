"""Claims as nanopublications: one per finding, in one TriG file.

Each nanopublication ``<finding>/nanopub`` has the four graphs of the nanopublication guidelines: the head
(``np:Nanopublication`` with ``np:hasAssertion``, ``np:hasProvenance``, ``np:hasPublicationInfo``), the
assertion (the finding's own statements from the records), the provenance (the assertion was derived from
the study and quoted from the quote's source page, with the quote as ``prov:value``) and the publication
info (the dataset it comes from, its licence, and ``dcterms:created`` when ``SOURCE_DATE_EPOCH`` gives a
date: the file is the same from run to run, so the time is never the clock's).

>>> import evidencekg
>>> text = render_nanopubs(evidencekg.build_graph(evidencekg.bundled_data_dir())).decode()
>>> "np:hasAssertion" in text
True
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from ...errors import InputError
from ...rdf.build import license_iri
from ...rdf.terms import TermConverter
from .model import export_query
from .rdf import ontology_prefixes

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph

NP = "http://www.nanopub.org/nschema#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
GRAPHS = ("Head", "assertion", "provenance", "pubinfo")
"""The four graphs of a nanopublication, ``<nanopub>#name``, in the order they are written."""
_SPDX_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-]*")


def nanopub_iri(finding: str) -> str:
    return f"{finding}/nanopub"


def creation_time() -> str | None:
    """``SOURCE_DATE_EPOCH`` as an ``xsd:dateTime``, or None: reproducible builds' way to give a date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return None
    try:
        moment = datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise InputError("SOURCE_DATE_EPOCH", f"{epoch!r} is not a number of seconds since 1970") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def license_term(value: Node) -> Node:
    """A licence as an IRI: an SPDX identifier (``CC-BY-4.0``), from RDF made elsewhere, becomes its SPDX IRI."""
    text = str(value)
    if isinstance(value, Literal) and _SPDX_ID.fullmatch(text):
        return license_iri(text)
    return value


def render_nanopubs(kg: KnowledgeGraph) -> bytes:
    """Every finding's nanopublication, as one TriG document, the same from run to run."""
    import pyoxigraph

    rows = kg.query(export_query("nanopub-findings")).records()
    findings = {str(row["finding"]) for row in rows}
    statements: dict[str, list[tuple[Node, Node, Node]]] = defaultdict(list)
    for s, p, o in kg.engine.triples("asserted"):
        if isinstance(s, URIRef) and str(s) in findings:
            statements[str(s)].append((s, p, o))
    created = creation_time()
    by_finding: dict[str, list[dict[str, Node]]] = defaultdict(list)
    for row in rows:
        by_finding[str(row["finding"])].append(row)
    convert = TermConverter()
    quads: list[Any] = []
    for finding in sorted(by_finding):
        this = nanopub_iri(finding)
        graph = {name: URIRef(f"{this}#{name}") for name in GRAPHS}
        first = by_finding[finding][0]
        content: dict[str, set[tuple[Node, Node, Node]]] = {name: set() for name in GRAPHS}
        content["Head"] |= {(URIRef(this), URIRef(RDF_TYPE), URIRef(NP + "Nanopublication")),
                            (URIRef(this), URIRef(NP + "hasAssertion"), graph["assertion"]),
                            (URIRef(this), URIRef(NP + "hasProvenance"), graph["provenance"]),
                            (URIRef(this), URIRef(NP + "hasPublicationInfo"), graph["pubinfo"])}
        content["assertion"] |= set(statements[finding])
        provenance = content["provenance"]
        provenance.add((graph["assertion"], URIRef(PROV + "wasDerivedFrom"), first["study"]))
        for row in by_finding[finding]:
            if "quoteSource" in row:
                provenance.add((graph["assertion"], URIRef(PROV + "wasQuotedFrom"), row["quoteSource"]))
            if "quote" in row:
                provenance.add((graph["assertion"], URIRef(PROV + "value"), row["quote"]))
        pubinfo = content["pubinfo"]
        if "dataset" in first:
            pubinfo.add((URIRef(this), URIRef(PROV + "wasDerivedFrom"), first["dataset"]))
        if "license" in first:
            pubinfo.add((URIRef(this), URIRef(DCTERMS + "license"), license_term(first["license"])))
        if created is not None:
            pubinfo.add((URIRef(this), URIRef(DCTERMS + "created"),
                         Literal(created, datatype=URIRef(XSD_DATETIME))))
        for name in GRAPHS:
            graph_node = convert(graph[name])
            for s, p, o in sorted(content[name], key=_order):
                quads.append(pyoxigraph.Quad(convert(s), convert(p), convert(o), graph_node))
    prefixes = {**ontology_prefixes(), "np": NP}
    return cast(bytes, pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.TRIG, prefixes=dict(sorted(
        prefixes.items()))))


def _order(triple: tuple[Node, Node, Node]) -> tuple[str, ...]:
    return tuple(("_:" if isinstance(t, BNode) else "") + t.n3() for t in triple)

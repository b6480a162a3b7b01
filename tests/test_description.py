"""The build's void.ttl: a DCAT dataset with VoID statistics that meets a DCAT-AP-style shape."""

from __future__ import annotations

import hashlib

import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, XSD

import evidencekg
from evidencekg.namespaces import SPDX, VOID
from evidencekg.outputs.description import DATA_LAYERS
from evidencekg.outputs.files import DESCRIPTION_FILE, render_outputs
from evidencekg.resources import resource_dir


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return render_outputs(evidencekg.build_graph(evidencekg.bundled_data_dir()))


def _description(files: dict[str, bytes]) -> Graph:
    return Graph().parse(data=files[DESCRIPTION_FILE].decode("utf-8"), format="turtle",
                         publicID="https://example.org/build/")


def test_the_description_meets_the_dcat_ap_style_shape(files: dict[str, bytes]) -> None:
    shapes = Graph().parse(resource_dir("ontology") / "description-shapes.ttl")
    conforms, _, text = validate(_description(files), shacl_graph=shapes)
    assert conforms, text


def test_the_shape_refuses_a_distribution_without_its_checksum(files: dict[str, bytes]) -> None:
    graph = _description(files)
    graph.remove((None, SPDX.checksum, None))
    shapes = Graph().parse(resource_dir("ontology") / "description-shapes.ttl")
    assert not validate(graph, shacl_graph=shapes)[0]


def test_distributions_and_statistics_match_the_files_and_the_graph(files: dict[str, bytes]) -> None:
    graph = _description(files)
    kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
    triples = set().union(*(set(kg.engine.triples(layer)) for layer in DATA_LAYERS))
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    assert graph.value(dataset, VOID.triples) == Literal(len(triples))
    described = {}
    for distribution in graph.objects(dataset, DCAT.distribution):
        url = graph.value(distribution, DCAT.downloadURL)
        name = str(url).rsplit("/", 1)[-1]
        checksum = graph.value(graph.value(distribution, SPDX.checksum), SPDX.checksumValue)
        described[name] = (int(graph.value(distribution, DCAT.byteSize)), str(checksum))
    expected = {name: (len(content), hashlib.sha256(content).hexdigest())
                for name, content in files.items() if name not in (DESCRIPTION_FILE, "manifest.json")}
    assert described == expected
    assert graph.value(dataset, DCTERMS.license) == URIRef("http://spdx.org/licenses/CC-BY-4.0")
    # No date unless dataset.yaml or SOURCE_DATE_EPOCH gives one.
    assert graph.value(dataset, DCTERMS.modified) is None


def test_modified_comes_from_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
    graph = _description(render_outputs(kg))
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    assert graph.value(dataset, DCTERMS.modified) == Literal("2023-11-14", datatype=XSD.date)

"""A built evidence graph: the dataset it came from, where each asserted statement was written, and its engine.

Every reader of the graph goes through the engine: queries, counts, and the
rdflib views of a layer (:meth:`KnowledgeGraph.graph`) that a researcher may
want in Python, streamed from the engine on first use.

>>> import evidencekg
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
>>> kg.counts()["findings"] == len(kg.findings())
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.term import Node

from .engines.base import LAYERS, Engine, Selects
from .namespaces import EKG
from .rdf.build import BuiltGraph, to_rdf
from .rdf.graphs import new_graph
from .records.checks import load_dataset
from .records.model import Dataset, DatasetMetadata
from .sparql.named import NamedQuery, load_query
from .sparql.results import QueryResult


@dataclass(frozen=True)
class UnreadRecords:
    """What a graph kept in a store knows of its records without reading them."""

    root: Path
    metadata: DatasetMetadata
    namespaces: tuple[tuple[str, str], ...]
    """Prefixes the vocabulary declares, beyond evidencekg's own (``BuiltGraph.namespaces``)."""
    counts: Mapping[str, int] = field(default_factory=dict)
    """What :meth:`KnowledgeGraph.counts` gave when the graph was built, if known."""


class KnowledgeGraph:
    """A built evidence graph: the dataset, and its asserted, inferred, derived and ontology layers kept apart.

    A graph opened from a store (:meth:`from_store`) reads its records only when something asks for
    them (:attr:`dataset`, or :attr:`built` for where a statement was written): reading and checking
    every record, then building the asserted triples again, costs more than most commands that read
    a store, and queries, counts, reports and exports do without.
    """

    def __init__(self, dataset: Dataset, built: BuiltGraph, engine: Engine) -> None:
        self.engine = engine
        self._dataset: Dataset | None = dataset
        self._built: BuiltGraph | None = built
        self._records = UnreadRecords(dataset.root, dataset.metadata, built.namespaces)
        self._views: dict[str, Graph] = {}
        self._counts: dict[str, int] = {}

    @classmethod
    def from_store(cls, engine: Engine, records: UnreadRecords) -> KnowledgeGraph:
        """A graph whose records are read on first use, from ``records.root``."""
        kg = cls.__new__(cls)
        kg.engine = engine
        kg._dataset = None
        kg._built = None
        kg._records = records
        kg._views = {}
        kg._counts = dict(records.counts)
        return kg

    def __repr__(self) -> str:
        return f"KnowledgeGraph(root={str(self.root)!r}, engine={type(self.engine).__name__})"

    @property
    def dataset(self) -> Dataset:
        """The validated records, read now if the graph came from a store."""
        if self._dataset is None:
            self._dataset = load_dataset(self._records.root)
        return self._dataset

    @property
    def built(self) -> BuiltGraph:
        """The asserted triples as the records give them, with where each statement was written."""
        if self._built is None:
            self._built = to_rdf(self.dataset)
        return self._built

    @property
    def root(self) -> Path:
        """The dataset directory."""
        return Path(self._records.root)

    @property
    def metadata(self) -> DatasetMetadata:
        """``dataset.yaml``: title, question, licence and the rest, without reading the other records."""
        return self._records.metadata

    @property
    def namespaces(self) -> tuple[tuple[str, str], ...]:
        """Prefixes the vocabulary declares, beyond evidencekg's own."""
        return self._records.namespaces

    def graph(self, layer: str) -> Graph:
        """One layer as an rdflib graph, streamed from the engine on first use; treat it as read-only."""
        return self._view(layer, (layer,))

    def union(self) -> Graph:
        """Every layer in one rdflib graph, as queries see it; built once, treat it as read-only."""
        return self._view("union", LAYERS)

    def _view(self, key: str, layers: tuple[str, ...]) -> Graph:
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = new_graph()
            for prefix, namespace in self.namespaces:
                view.bind(prefix, namespace, replace=True)
            for layer in layers:
                view.addN((s, p, o, view) for s, p, o in self.engine.triples(layer))
        return view

    @property
    def asserted(self) -> Graph:
        return self.graph("asserted")

    @property
    def inferred(self) -> Graph:
        return self.graph("inferred")

    @property
    def derived(self) -> Graph:
        """Positions, disagreements with their facets, and questions, derived by ``queries/derive/``."""
        return self.graph("derived")

    @property
    def ontology(self) -> Graph:
        return self.graph("ontology")

    def graph_names(self) -> dict[str, URIRef]:
        """The IRIs of the named graphs the TriG output holds."""
        return dict(self.engine.names)

    def named_graphs(self) -> list[tuple[URIRef, Graph]]:
        """(name, graph) of every layer, in the order outputs list them."""
        return [(self.engine.names[layer], self.graph(layer)) for layer in LAYERS]

    def findings(self) -> set[URIRef]:
        return self.engine.instances(EKG.Finding, "asserted")

    def query(self, name: str | NamedQuery, bindings: Mapping[str, Node] | None = None, *,
              allow_service: bool = False) -> QueryResult:
        """Run a named query (or ``.rq`` path) over every layer."""
        return run_query(self.engine, name, bindings, allow_service=allow_service)

    def counts(self) -> dict[str, int]:
        """Records in, nodes out and triples: what a build reports.

        Counted once: a built graph does not change, and a build, its check and its outputs all report them.
        A graph opened from a store has the counts its build wrote beside it.
        """
        if self._counts:
            return dict(self._counts)
        instances = self.engine.instances
        relations = {
            "disagreements": len(instances(EKG.Disagreement, "derived")),
            # Not derived (they grow with the square of the findings on a question): paired on demand.
            "agreements": len(self.query("agreements").rows),
        }
        triples = {f"{layer}_triples": self.engine.count(layer) for layer in ("asserted", "inferred", "derived")}
        self._counts.update({**self.dataset.counts(), **self.nodes_out(), **relations, **triples})
        return dict(self._counts)

    def nodes_out(self) -> dict[str, int]:
        """Studies, groups and findings in the graph, to hold against the records: cheap, unlike the relations."""
        instances = self.engine.instances
        return {
            "studies_out": len(instances(EKG.Study, "asserted")),
            "groups_out": len(instances(EKG.Group, "asserted")),
            "findings_out": len(self.findings()),
        }


def run_query(engine: Selects, name: str | NamedQuery, bindings: Mapping[str, Node] | None = None, *,
              allow_service: bool = False) -> QueryResult:
    """A named query (or ``.rq`` path) over every layer of an engine or endpoint, columns in a stable order."""
    named = load_query(name) if isinstance(name, str) else name
    result = engine.select(named, bindings, allow_service=allow_service)
    # SPARQL leaves the columns of SELECT * in no particular order, and the engines differ: name order.
    return result.with_columns_sorted() if named.parsed.projects_all else result

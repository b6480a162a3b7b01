"""The graph as networks (networkx): every triple, and the disagreements between findings, with what they show.

The projections keep RDF terms apart by kind: a node id is ``iri:<IRI>`` or
``literal:<N3 form>``, so an IRI and a literal with the same text never
become one node.

>>> import evidencekg
>>> report = controversies(evidencekg.build_graph(evidencekg.bundled_data_dir()))
>>> len(report.clusters) > 0
True
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from rdflib import RDF, BNode, Literal, URIRef
from rdflib.term import Node

from ..knowledge_graph import KnowledgeGraph
from ..sparql.named import NamedQuery, internal_query
from .summary import QuestionSummary, evidence_summary

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped]  # networkx ships no type information


def node_id(term: Node | None) -> str:
    """A GraphML-safe node id that keeps IRIs, literals and blank nodes apart; ``TypeError`` for anything else."""
    if isinstance(term, URIRef):
        return f"iri:{term}"
    if isinstance(term, Literal):
        return f"literal:{term.n3()}"
    if isinstance(term, BNode):
        return f"bnode:{term}"
    raise TypeError(f"not an RDF term: {term!r}")


def _label(kg: KnowledgeGraph, graph: Any, term: Node | None) -> str:
    from rdflib import RDFS, SKOS

    if isinstance(term, Literal):
        return str(term)
    for predicate in (SKOS.prefLabel, RDFS.label):
        value = graph.value(term, predicate)
        if value is not None:
            return str(value)
    return str(term).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def to_networkx(kg: KnowledgeGraph) -> nx.MultiDiGraph:
    """The asserted and derived triples as a multigraph: one node per RDF term, one edge per triple.

    Node attributes: ``kind`` (iri, literal, bnode), ``label``, ``types`` (space-separated class IRIs);
    edge attributes: ``predicate`` (IRI) and ``graph`` (asserted or derived).
    """
    import networkx as nx

    union = kg.union()
    graph = nx.MultiDiGraph()
    for name, source in (("asserted", kg.asserted), ("derived", kg.derived)):
        for subject, predicate, obj in sorted(source):
            for term in (subject, obj):
                key = node_id(term)
                if key not in graph:
                    types = (sorted(str(t) for t in union.objects(term, RDF.type))
                             if not isinstance(term, Literal) else [])
                    graph.add_node(key, kind=key.split(":", 1)[0], label=_label(kg, union, term), types=" ".join(types))
            graph.add_edge(node_id(subject), node_id(obj), key=f"{name}:{predicate}", predicate=str(predicate),
                           graph=name)
    return graph


def _analysis_query(name: str) -> NamedQuery:
    return internal_query("analysis", name)


def _shown(term: Node | None, preferred: Node | None, plain: Node | None) -> str:
    """What :func:`_label` says of ``term``, from the labels a query gave for it."""
    if isinstance(term, Literal):
        return str(term)
    for value in (preferred, plain):
        if value is not None:
            return str(value)
    return str(term).rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def disagreement_graph(kg: KnowledgeGraph) -> nx.Graph:
    """Findings as nodes, one edge per disagreement, with its kinds and whether the evidence is dependent.

    Read with two queries of ``queries/analysis/``: only the disagreements and their findings, never the
    whole graph.
    """
    return _disagreements(kg)[0]


def _disagreements(kg: KnowledgeGraph) -> tuple[nx.Graph, dict[str, str]]:
    """The disagreement graph, and the label of each study its findings are reported in."""
    import networkx as nx

    findings = {row["finding"]: row for row in kg.query(_analysis_query("disagreement-findings")).records()}
    relations: dict[Node, dict[str, Any]] = {}
    for row in kg.query(_analysis_query("disagreement-edges")).records():
        entry = relations.setdefault(row["relation"], {"first": row.get("first"), "second": row.get("second"),
                                                       "dependent": row.get("dependent"), "kinds": []})
        if "kind" in row:
            entry["kinds"].append(_shown(row["kind"], row.get("kindPrefLabel"), row.get("kindLabel")))
    graph = nx.Graph()
    for relation in sorted(relations, key=str):
        entry = relations[relation]
        first, second = entry["first"], entry["second"]
        for finding in (first, second):
            if node_id(finding) not in graph:
                row = findings.get(finding, {})
                outcome = row.get("outcome")
                graph.add_node(node_id(finding),
                               label=_shown(finding, row.get("findingPrefLabel"), row.get("findingLabel")),
                               study=str(row.get("study")),
                               outcome=_shown(outcome, row.get("outcomePrefLabel"), row.get("outcomeLabel")))
        dependent = entry["dependent"]
        graph.add_edge(node_id(first), node_id(second), relation=str(relation), kinds=", ".join(sorted(entry["kinds"])),
                       dependent=bool(dependent.toPython()) if isinstance(dependent, Literal) else False)
    studies = {str(row["study"]): _shown(row["study"], row.get("studyPrefLabel"), row.get("studyLabel"))
               for row in findings.values() if "study" in row}
    return graph, studies


@dataclass(frozen=True)
class ControversyReport:
    """What the disagreement graph says: clusters, and what takes part in most disagreements."""

    clusters: tuple[tuple[str, ...], ...]
    contested_outcomes: tuple[tuple[str, int], ...]
    contested_questions: tuple[tuple[str, int], ...]
    contested_studies: tuple[tuple[str, int], ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def controversies(kg: KnowledgeGraph, summary: list[QuestionSummary] | None = None) -> ControversyReport:
    """Controversy clusters (connected components of disagreements) and the most contested outcomes,
    questions and studies, most disagreements first."""
    import networkx as nx

    graph, study_labels = _disagreements(kg)
    clusters = sorted((tuple(sorted(graph.nodes[n]["label"] for n in component))
                       for component in nx.connected_components(graph)), key=lambda c: (-len(c), c))
    outcomes: Counter[str] = Counter()
    studies: Counter[str] = Counter()
    for a, b in graph.edges():
        for outcome in {graph.nodes[a]["outcome"], graph.nodes[b]["outcome"]}:
            outcomes[outcome] += 1
        for study in {graph.nodes[a]["study"], graph.nodes[b]["study"]}:
            studies[study_labels[study] if study in study_labels else _shown(URIRef(study), None, None)] += 1
    questions = [(f"{q.factor} × {q.outcome}", q.disagreements)  # noqa: RUF001 - the multiplication sign is meant
                 for q in (summary or evidence_summary(kg))
                 if q.disagreements]

    def ranked(counts: Any) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(counts, key=lambda item: (-item[1], item[0])))

    return ControversyReport(tuple(clusters), ranked(outcomes.items()), ranked(questions), ranked(studies.items()))

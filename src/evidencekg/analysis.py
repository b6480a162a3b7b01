"""Stage 7, analyses: evidence summaries with a certainty rating, and networkx projections of the graph.

The evidence summary reads ``queries/evidence-summary.rq`` (counts per question)
and rates the certainty of each question's evidence in the spirit of GRADE:
start from the strongest design, then downgrade one level for inconsistency
(disagreements between independent findings) and one for imprecision (few
participants in all). Every step is kept, so the rating can be read, not just
trusted.

The networkx projections keep RDF terms apart by kind: a node id is
``iri:<IRI>`` or ``literal:<N3 form>``, so an IRI and a literal with the same
text never become one node.

>>> import evidencekg
>>> from evidencekg.analysis import evidence_summary
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
>>> summary = evidence_summary(kg)
>>> all(q.certainty in CERTAINTY_LEVELS for q in summary)
True
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import RDF, BNode, Literal, URIRef
from rdflib.term import Node

from .namespaces import EKG

if TYPE_CHECKING:
    import networkx as nx

    from .pipeline import KnowledgeGraph

CERTAINTY_LEVELS = ("very low", "low", "moderate", "high")
OPTIMAL_INFORMATION_SIZE = 400
"""Fewer participants than this in all counts as imprecise: GRADE's rule of thumb for an optimal information size."""


@dataclass(frozen=True)
class RatingStep:
    """One step of a certainty rating: where it starts, or a downgrade, and why."""

    step: str
    change: int
    level: str
    reason: str


@dataclass(frozen=True)
class QuestionSummary:
    """The evidence on one question (factor × outcome) and the certainty it supports."""

    question: str
    factor: str
    outcome: str
    contrast: str
    findings: int
    increases: int
    decreases: int
    no_changes: int
    significant: int
    not_significant: int
    significance_not_reported: int
    studies: int
    independent_studies: int
    participants: int
    designs: str
    best_level_rank: int | None
    disagreements: int
    certainty: str
    rating: tuple[RatingStep, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _starting_level(rank: int | None) -> tuple[int, str]:
    if rank is not None and rank <= 2:
        return 3, "randomized trials or syntheses start high"
    if rank is not None and rank <= 4:
        return 1, "non-randomized and observational designs start low"
    return 0, "case reports, opinion or unstated designs start very low"


def rate(best_level_rank: int | None, disagreements: int, participants: int,
         optimal_information_size: int = OPTIMAL_INFORMATION_SIZE) -> tuple[str, tuple[RatingStep, ...]]:
    """Certainty of a body of evidence, with each step of the rating.

    >>> rate(2, disagreements=1, participants=120)[0]
    'low'
    >>> [s.step for s in rate(2, 0, 1000)[1]]
    ['start']
    """
    level, why = _starting_level(best_level_rank)
    steps = [RatingStep("start", 0, CERTAINTY_LEVELS[level], why)]
    downgrades = []
    if disagreements:
        downgrades.append(("inconsistency", f"{disagreements} disagreement(s) between independent findings"))
    if participants < optimal_information_size:
        downgrades.append(("imprecision", f"{participants} participants in all, fewer than {optimal_information_size}"))
    for step, reason in downgrades:
        lowered = max(level - 1, 0)
        floor = "" if lowered < level else " (already at the lowest level)"
        steps.append(RatingStep(step, lowered - level, CERTAINTY_LEVELS[lowered], reason + floor))
        level = lowered
    return CERTAINTY_LEVELS[level], tuple(steps)


def _int(value: Node | None) -> int:
    return int(value) if value is not None else 0  # type: ignore[call-overload]


def evidence_summary(kg: KnowledgeGraph, optimal_information_size: int = OPTIMAL_INFORMATION_SIZE) -> list[QuestionSummary]:
    """Per question: counts by direction, significance and design, participants, and the certainty rating."""
    from .pipeline import query

    summaries = []
    for row in query(kg, "evidence-summary").records():
        rank = int(row["bestLevelRank"]) if "bestLevelRank" in row else None  # type: ignore[call-overload]
        disagreements = _int(row.get("disagreements"))
        participants = _int(row.get("participants"))
        certainty, steps = rate(rank, disagreements, participants, optimal_information_size)
        summaries.append(QuestionSummary(
            question=str(row["question"]), factor=str(row["factorLabel"]), outcome=str(row["outcomeLabel"]),
            contrast=str(row["contrast"]), findings=_int(row["findings"]), increases=_int(row["increases"]),
            decreases=_int(row["decreases"]), no_changes=_int(row["noChanges"]),
            significant=_int(row["significant"]), not_significant=_int(row["notSignificant"]),
            significance_not_reported=_int(row["significanceNotReported"]), studies=_int(row["studies"]),
            independent_studies=_int(row["independentStudies"]), participants=participants,
            designs=str(row.get("designs", "")), best_level_rank=rank, disagreements=disagreements,
            certainty=certainty, rating=steps,
        ))
    return summaries


# --- networkx projections -------------------------------------------------------------------


def node_id(term: Node) -> str:
    """A GraphML-safe node id that keeps IRIs, literals and blank nodes apart."""
    if isinstance(term, URIRef):
        return f"iri:{term}"
    if isinstance(term, Literal):
        return f"literal:{term.n3()}"
    if isinstance(term, BNode):
        return f"bnode:{term}"
    raise TypeError(f"not an RDF term: {term!r}")


def _label(kg: KnowledgeGraph, graph: Any, term: Node) -> str:
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
                    types = sorted(str(t) for t in union.objects(term, RDF.type)) if not isinstance(term, Literal) else []
                    graph.add_node(key, kind=key.split(":", 1)[0], label=_label(kg, union, term), types=" ".join(types))
            graph.add_edge(node_id(subject), node_id(obj), key=f"{name}:{predicate}", predicate=str(predicate),
                           graph=name)
    return graph


def disagreement_graph(kg: KnowledgeGraph) -> nx.Graph:
    """Findings as nodes, one edge per disagreement, with its kinds and whether the evidence is dependent."""
    import networkx as nx

    union = kg.union()
    graph = nx.Graph()
    for relation in sorted(kg.derived.subjects(RDF.type, EKG.Disagreement)):
        first = kg.derived.value(relation, EKG.firstFinding)
        second = kg.derived.value(relation, EKG.secondFinding)
        kinds = sorted(_label(kg, union, k) for k in kg.derived.objects(relation, EKG.relationKind))
        dependent = bool(kg.derived.value(relation, EKG.dependentEvidence))
        for finding in (first, second):
            if node_id(finding) not in graph:
                study = union.value(finding, EKG.reportedIn)
                graph.add_node(node_id(finding), label=_label(kg, union, finding), study=str(study),
                               outcome=_label(kg, union, union.value(finding, EKG.outcome)))
        graph.add_edge(node_id(first), node_id(second), relation=str(relation), kinds=", ".join(kinds),
                       dependent=dependent)
    return graph


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

    graph = disagreement_graph(kg)
    union = kg.union()
    clusters = sorted((tuple(sorted(graph.nodes[n]["label"] for n in component))
                       for component in nx.connected_components(graph)), key=lambda c: (-len(c), c))
    outcomes: Counter[str] = Counter()
    studies: Counter[str] = Counter()
    for a, b in graph.edges():
        for outcome in {graph.nodes[a]["outcome"], graph.nodes[b]["outcome"]}:
            outcomes[outcome] += 1
        for study in {graph.nodes[a]["study"], graph.nodes[b]["study"]}:
            studies[_label(kg, union, URIRef(study))] += 1
    questions = [(f"{q.factor} × {q.outcome}", q.disagreements) for q in (summary or evidence_summary(kg))
                 if q.disagreements]

    def ranked(counts: Any) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(counts, key=lambda item: (-item[1], item[0])))

    return ControversyReport(tuple(clusters), ranked(outcomes.items()), ranked(questions), ranked(studies.items()))


def write_graphml(kg: KnowledgeGraph, path: Path) -> Path:
    """Export the evidence network as GraphML (Gephi, Cytoscape), written atomically."""
    import io

    import networkx as nx

    from .pipeline import write_outputs

    buffer = io.BytesIO()
    nx.write_graphml(to_networkx(kg), buffer, encoding="utf-8", prettyprint=True)
    return write_outputs({path.name: buffer.getvalue()}, path.parent)[0]

"""Evidence summaries per question, with a certainty rating in the spirit of GRADE.

The evidence summary reads ``queries/evidence-summary.rq`` (counts per question)
and rates the certainty of each question's evidence in the spirit of GRADE:
start from the strongest design, then downgrade one level for inconsistency
(disagreements between independent findings), one for indirectness (findings
that rest on assumed values or quote a secondary page rather than the study)
and one for imprecision (few participants in all). Every step is kept, so the
rating can be read, not just trusted.

>>> import evidencekg
>>> kg = evidencekg.build_graph(evidencekg.bundled_data_dir())
>>> summary = evidence_summary(kg)
>>> all(q.certainty in CERTAINTY_LEVELS for q in summary)
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rdflib.term import Node

from ..knowledge_graph import KnowledgeGraph

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
    """The evidence on one question (factor × outcome) and the certainty it supports."""  # noqa: RUF002

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
    significance_from_group_test: int
    resting_on_assumptions: int
    secondary_quotes: int
    indirect: int
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
         optimal_information_size: int = OPTIMAL_INFORMATION_SIZE, indirect: int = 0,
         findings: int = 0) -> tuple[str, tuple[RatingStep, ...]]:
    """Certainty of a body of evidence, with each step of the rating.

    ``indirect`` of the ``findings`` rest on assumed values or quote a secondary page.

    >>> rate(2, disagreements=1, participants=120)[0]
    'low'
    >>> [s.step for s in rate(2, 0, 1000)[1]]
    ['start']
    >>> [s.step for s in rate(2, 0, 1000, indirect=1, findings=3)[1]]
    ['start', 'indirectness']
    """
    level, why = _starting_level(best_level_rank)
    steps = [RatingStep("start", 0, CERTAINTY_LEVELS[level], why)]
    downgrades = []
    if disagreements:
        downgrades.append(("inconsistency", f"{disagreements} disagreement(s) between independent findings"))
    if indirect:
        downgrades.append(("indirectness", f"{indirect} of {max(findings, indirect)} finding(s) rest on assumed "
                                           "values or quote a secondary page"))
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


def evidence_summary(kg: KnowledgeGraph,
                     optimal_information_size: int = OPTIMAL_INFORMATION_SIZE) -> list[QuestionSummary]:
    """Per question: counts by direction, significance and design, participants, and the certainty rating."""
    summaries = []
    for row in kg.query("evidence-summary").records():
        rank = int(row["bestLevelRank"]) if "bestLevelRank" in row else None  # type: ignore[call-overload]
        disagreements = _int(row.get("disagreements"))
        participants = _int(row.get("participants"))
        indirect, findings = _int(row.get("indirect")), _int(row["findings"])
        certainty, steps = rate(rank, disagreements, participants, optimal_information_size, indirect, findings)
        summaries.append(QuestionSummary(
            question=str(row["question"]), factor=str(row["factorLabel"]), outcome=str(row["outcomeLabel"]),
            contrast=str(row["contrast"]), findings=findings, increases=_int(row["increases"]),
            decreases=_int(row["decreases"]), no_changes=_int(row["noChanges"]),
            significant=_int(row["significant"]), not_significant=_int(row["notSignificant"]),
            significance_not_reported=_int(row["significanceNotReported"]),
            significance_from_group_test=_int(row.get("significanceFromGroupTest")),
            resting_on_assumptions=_int(row.get("restingOnAssumptions")),
            secondary_quotes=_int(row.get("secondaryQuotes")), indirect=indirect, studies=_int(row["studies"]),
            independent_studies=_int(row["independentStudies"]), participants=participants,
            designs=str(row.get("designs", "")), best_level_rank=rank, disagreements=disagreements,
            certainty=certainty, rating=steps,
        ))
    return summaries

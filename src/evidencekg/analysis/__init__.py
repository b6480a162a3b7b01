"""Analyses of a built graph: evidence summaries and their certainty, networkx projections, incremental validation."""

from __future__ import annotations

from .contradictions import Contradiction, contradicting_positions
from .controversies import ControversyReport, controversies, disagreement_graph, node_id, to_networkx
from .summary import CERTAINTY_LEVELS, OPTIMAL_INFORMATION_SIZE, QuestionSummary, RatingStep, evidence_summary, rate

__all__ = ["CERTAINTY_LEVELS", "OPTIMAL_INFORMATION_SIZE", "Contradiction", "ControversyReport", "QuestionSummary",
           "RatingStep", "contradicting_positions", "controversies", "disagreement_graph", "evidence_summary",
           "node_id", "rate", "to_networkx"]

"""OWL 2 RL for the fast engine: rules compiled from the ontology's axioms, run to a fixpoint."""

from __future__ import annotations

from .compile import UnsupportedOntology, infer_rules

__all__ = ["UnsupportedOntology", "infer_rules"]

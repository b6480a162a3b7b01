"""Validation results and shapes, shared by every engine."""

from __future__ import annotations

from .report import SEVERITIES, CheckedInput, ShaclResult, ValidationReport, report_from_graph
from .shapes import load_shapes

__all__ = ["SEVERITIES", "CheckedInput", "ShaclResult", "ValidationReport", "load_shapes", "report_from_graph"]

"""Validation results and shapes, shared by every engine; baselines and reports of refused input."""

from __future__ import annotations

from .baseline import baseline_text, compare_with_baseline, read_baseline, write_baseline
from .report import SEVERITIES, CheckedInput, ShaclResult, ValidationReport, refused_input, report_from_graph
from .shapes import load_shapes

__all__ = ["SEVERITIES", "CheckedInput", "ShaclResult", "ValidationReport", "baseline_text", "compare_with_baseline",
           "load_shapes", "read_baseline", "refused_input", "report_from_graph", "write_baseline"]

"""The researcher report: one self-contained HTML page with an evidence map, and its Markdown version."""

from __future__ import annotations

from .collect import HTML_FILE, MARKDOWN_FILE, ReportData, collect, render_html, render_markdown, render_report, write_report

__all__ = ["HTML_FILE", "MARKDOWN_FILE", "ReportData", "collect", "render_html", "render_markdown", "render_report",
           "write_report"]

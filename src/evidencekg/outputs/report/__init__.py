"""The researcher report: one self-contained HTML page with an evidence map, and its Markdown version.

Everything is read from a built graph through its engine (:mod:`.collect`): the
disagreements from the named queries (``contradictions``, ``effect-vs-null``; any
other derived ``ekg:Disagreement`` is listed after them), their explanation facets
from ``explanations``, the per-question overview from ``evidence-by-design``, and
the study cards and the evidence map from the report's own queries in
``queries/report/``. Nothing here knows about a particular dataset.

The HTML page (:mod:`.html`, with the evidence map of :mod:`.svg`) has inline CSS
and an inline SVG figure, no script and no external resource; its only outbound
links are DOI, PubMed and quote-source links. The Markdown version
(:mod:`.markdown`) says the same without the figure. The output is deterministic:
the same graph gives the same bytes.

A dataset larger than one page can hold (more than ``DEFAULT_LIMIT`` disagreements,
studies or questions) gets a page that shows the first of each, says in each section
how many more there are and which command lists them all, and draws the evidence map
of the studies shown, without agreement arcs.

>>> import evidencekg
>>> files = render_report(evidencekg.build_graph(evidencekg.bundled_data_dir()))
>>> sorted(files)
['report.html', 'report.md']
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ...atomic import write_files
from .collect import DEFAULT_LIMIT, collect
from .html import render_html
from .markdown import render_markdown
from .model import ReportData

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph

HTML_FILE = "report.html"
MARKDOWN_FILE = "report.md"


def render_report(kg: KnowledgeGraph, limit: int | None = DEFAULT_LIMIT) -> dict[str, bytes]:
    """File name → content of the report: ``report.html`` and ``report.md``. Pure: writes nothing.

    ``limit``: at most this many disagreements, studies and questions are shown in full, and the page says
    how many more there are and how to list them all; None or 0 shows everything.
    """
    data = collect(kg, limit)
    return {
        HTML_FILE: render_html(data).encode("utf-8"),
        MARKDOWN_FILE: render_markdown(data).encode("utf-8"),
    }


def write_report(kg: KnowledgeGraph, out_dir: Path | str, limit: int | None = DEFAULT_LIMIT) -> list[Path]:
    """Write ``report.html`` and ``report.md`` to ``out_dir``, all or nothing; returns the paths written."""
    return write_files(render_report(kg, limit), out_dir)


__all__ = ["DEFAULT_LIMIT", "HTML_FILE", "MARKDOWN_FILE", "ReportData", "collect", "render_html", "render_markdown",
           "render_report", "write_report"]

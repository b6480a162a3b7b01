"""The report as one self-contained HTML page, rendered from the Jinja2 templates of ``templates/``.

``templates/report.html`` is the page; ``templates/fragments.html`` holds its parts as
macros. Autoescaping is on: every value is escaped as :func:`html.escape` does, and
only macro results, the stylesheet and the evidence map (SVG built with its own
escaping) go in as markup.
"""

from __future__ import annotations

from functools import cache
from html import escape
from importlib import resources
from typing import Any

from jinja2 import Environment, FunctionLoader
from markupsafe import Markup

from . import phrases
from .model import ReportData
from .svg import evidence_map_svg

_PAGE = "report.html"


def _template_text(name: str) -> str:
    return resources.files("evidencekg.outputs.report").joinpath("templates", name).read_text(encoding="utf-8")


def _source(name: str) -> str:
    text = _template_text(name)
    if name == _PAGE:
        return text
    # Fragments: the line breaks and indentation around each line are layout for the reader, not output.
    return "".join(line.strip() for line in text.splitlines())


def _finalize(value: Any) -> Any:
    """Escape like :func:`html.escape` (``&quot;``, ``&#x27;``), so that the page keeps its bytes."""
    if hasattr(value, "__html__"):
        return value
    return Markup(escape(str(value), quote=True))


@cache
def _environment() -> Environment:
    env = Environment(loader=FunctionLoader(_source), autoescape=True, finalize=_finalize,
                      keep_trailing_newline=True)
    env.globals.update(
        arrow=phrases.arrow, host=phrases.host, finding_details=phrases.finding_details,
        citation=phrases.citation, identifiers=phrases.identifiers, study_facts=phrases.study_facts,
        side_rows=phrases.side_rows, sides=phrases.sides, facet_groups=phrases.facet_groups,
        overview_groups=phrases.overview_groups, levels=phrases.levels, stats=phrases.stats,
        disagreement_index=phrases.disagreement_index, dependent=phrases.DEPENDENT, assumed=phrases.ASSUMED,
        no_disagreement=phrases.NO_DISAGREEMENT, no_question=phrases.NO_QUESTION, omissions=phrases.omissions,
    )
    return env


@cache
def _css() -> str:
    """The stylesheet, shipped as ``templates/report.css`` inside the package and inlined into the page."""
    return _template_text("report.css").strip()


def render_html(data: ReportData) -> str:
    """The report as one self-contained HTML page."""
    figure = evidence_map_svg(data.studies, data.outcomes, data.disagreements, data.agreements)
    return _environment().get_template(_PAGE).render(data=data, css=Markup(_css()), figure=Markup(figure))

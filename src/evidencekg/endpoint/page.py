"""The endpoint's page at ``/``: Oxigraph's YASGUI query editor, opened with a tab for each named query."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from ..sparql.named import available_queries, load_query


@cache
def index_page() -> bytes:
    """The page, rendered once: the named queries do not change while the endpoint runs."""
    from jinja2 import Environment

    queries = [{"name": name, "text": load_query(name).path.read_text(encoding="utf-8")}
               for name in available_queries()]
    # Inside <script>, "</" would end the element: JSON allows writing "<" as an escape.
    queries_json = json.dumps(queries, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")
    template = resources.files("evidencekg.endpoint").joinpath("templates", "index.html").read_text(encoding="utf-8")
    page = Environment(autoescape=True).from_string(template).render(title="evidencekg", queries=queries_json)
    return page.encode("utf-8")

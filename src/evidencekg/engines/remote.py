"""A graph that lives in a SPARQL 1.1 endpoint elsewhere: the named queries run there, through the Protocol.

The query text is the one the local engines run, bindings written as a
``VALUES`` block the same way, the same SERVICE refusal first; the rows come
back as SPARQL JSON results, read by rdflib's parser into the same
:class:`~evidencekg.sparql.results.QueryResult`. So ``query NAME --endpoint URL``
gives the rows a local build gives, wherever the graph was loaded.
"""

from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import cast

from rdflib.term import Node

from ..errors import QueryError
from ..resources import package_version
from ..sparql.bindings import with_values
from ..sparql.guard import refuse_service
from ..sparql.limits import current_deadline, run_stoppable
from ..sparql.named import NamedQuery
from ..sparql.results import QueryResult

RESULTS_JSON = "application/sparql-results+json"


class Endpoint:
    """The SPARQL 1.1 Protocol endpoint at ``url``, read-only."""

    name = "endpoint"

    def __init__(self, url: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise QueryError(f"{url}: an endpoint is an http:// or https:// URL")
        self.url = url

    def select(self, query: NamedQuery, bindings: Mapping[str, Node] | None = None, *,
               allow_service: bool = False) -> QueryResult:
        refuse_service(query.parsed, str(query.path), allow_service=allow_service)
        if query.parsed.form != "SELECT":
            raise QueryError(f"{query.path}: only SELECT queries produce rows")
        text = with_values(query, bindings or {})
        deadline = current_deadline()  # read here: the worker thread does not see the caller's limit
        return run_stoppable(lambda: self._post(query, text, deadline), str(query.path))

    def _post(self, query: NamedQuery, text: str, deadline: float | None) -> QueryResult:
        from rdflib.query import Result

        request = urllib.request.Request(
            self.url, data=text.encode("utf-8"), method="POST",
            headers={"Content-Type": "application/sparql-query", "Accept": RESULTS_JSON,
                     "User-Agent": f"evidencekg/{package_version()}"})
        try:
            timeout = None if deadline is None else max(0.1, deadline - time.monotonic())
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read(500).decode("utf-8", "replace").split())
            raise QueryError(f"{query.path}: {self.url} answered {exc.code} {exc.reason}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise QueryError(f"{query.path}: cannot reach {self.url}: {reason}") from None
        try:
            result = Result.parse(io.BytesIO(body), format="json")
        except Exception as exc:  # rdflib's parser raises many types for a body that is not SPARQL JSON
            raise QueryError(f"{query.path}: {self.url} did not answer SPARQL JSON results: {exc}") from None
        variables = tuple(str(v) for v in result.vars or ())
        rows = tuple(tuple(cast("Node | None", row.get(v)) for v in (result.vars or ())) for row in result.bindings)
        return QueryResult(variables, rows)

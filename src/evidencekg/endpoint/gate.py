"""Which requests reach the SPARQL server: read-only queries without SERVICE, checked before the server sees them.

Oxigraph's server runs a query's ``SERVICE <url>`` by fetching the URL: open to
the world, an endpoint would make requests wherever a client asks. The gate
parses each query with :func:`~evidencekg.sparql.parsing.parse_query` and
forwards the text it parsed (escapes expanded), so the server runs exactly what
was checked; a query the parser cannot read is refused rather than passed on
unchecked. Updates, Graph Store writes and every method but GET, HEAD and POST
(for queries) are refused: the endpoint is read-only even in front of a
server that is not.

>>> decision = check_request("GET", "/sparql", "query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D", "", b"")
>>> decision.status, decision.query
(200, 'ASK { ?s ?p ?o }')
>>> check_request("POST", "/update", "", "application/sparql-update", b"CLEAR ALL").status
403
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from ..errors import QueryError
from ..sparql.guard import uses_service
from ..sparql.parsing import parse_query

QUERY_PATHS = frozenset({"/sparql", "/query"})
"""Where queries are taken: ``/sparql`` as the endpoint is announced, ``/query`` as Oxigraph names it."""
READ_PATHS = frozenset({"/", "/yasgui.min.js", "/yasgui.min.css", "/logo.svg", "/store"})
"""What else is forwarded, for GET and HEAD only: the query page, its assets, Graph Store Protocol reads."""
MAX_QUERY_BYTES = 1 << 20
"""Longer query texts are refused: a bound on what one request can make the parser do."""


@dataclass(frozen=True)
class Decision:
    """Forward (``status`` 200, with the query to run and the other parameters) or refuse (4xx and why)."""

    status: int
    message: str = ""
    query: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()

    @property
    def forwarded_body(self) -> bytes:
        """The form the server is sent: the checked query text and the graph parameters as given."""
        assert self.query is not None
        return urlencode([("query", self.query), *self.parameters]).encode("utf-8")


def _refused(status: int, message: str) -> Decision:
    return Decision(status, message)


def check_request(method: str, path: str, query_string: str, content_type: str, body: bytes, *,
                  allow_service: bool = False) -> Decision:
    """The gate's decision on one HTTP request to the endpoint."""
    if path not in QUERY_PATHS:
        if method not in ("GET", "HEAD"):
            return _refused(403, "this endpoint is read-only: only queries (GET or POST to /sparql) are answered")
        if path not in READ_PATHS:
            return _refused(404, "no such resource: the SPARQL endpoint is /sparql")
        return Decision(200)  # forwarded as it is
    if method not in ("GET", "POST"):
        return _refused(405, f"{method} is not a SPARQL query request; use GET or POST")
    if len(body) > MAX_QUERY_BYTES or len(query_string) > MAX_QUERY_BYTES:
        return _refused(413, f"the request is larger than {MAX_QUERY_BYTES} bytes")
    media_type = content_type.split(";", 1)[0].strip().lower()
    parameters = parse_qsl(query_string, keep_blank_values=True)
    text: str | None = None
    if method == "POST":
        if media_type == "application/sparql-query":
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return _refused(400, "the query is not UTF-8")
        elif media_type == "application/x-www-form-urlencoded":
            parameters += parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        else:
            return _refused(415, "POST a query as application/sparql-query or application/x-www-form-urlencoded")
    if any(name in ("update", "using-graph-uri", "using-named-graph-uri") for name, _ in parameters):
        return _refused(403, "this endpoint is read-only: SPARQL Update is refused")
    queries = [value for name, value in parameters if name == "query"]
    if text is not None:
        queries.append(text)
    if len(queries) != 1:
        return _refused(400, "give exactly one query (the query parameter, or a POST body)")
    try:
        parsed = parse_query(queries[0], where="the query")
    except QueryError as exc:
        return _refused(400, f"{exc} (only queries this endpoint can check are run; updates are refused)")
    if not allow_service and uses_service(parsed):
        return _refused(403, "the query uses SERVICE, which would make this server fetch another URL; refused")
    graphs = tuple((name, value) for name, value in parameters if name in ("default-graph-uri", "named-graph-uri"))
    return Decision(200, query=parsed.text, parameters=graphs)

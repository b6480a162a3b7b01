"""No query reaches the network unless the user asked: SERVICE is refused on the parsed algebra.

SPARQL's ``SERVICE <url>`` makes the engine send the query to another
endpoint, and both rdflib and oxigraph follow it to any address. The check
reads the algebra of the same expanded text the engine runs
(:mod:`evidencekg.sparql.parsing`), so what is checked is what runs. Every
path that runs SPARQL from a file goes through :func:`refuse_service`: named
queries, derivation queries and the SPARQL constraints of shapes.

>>> from evidencekg.sparql.parsing import parse_query
>>> uses_service(parse_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"))
True
"""

from __future__ import annotations

from ..errors import QueryError
from .parsing import ParsedQuery, walk


def uses_service(parsed: ParsedQuery) -> bool:
    """Whether the query has a SERVICE pattern anywhere, EXISTS and sub-queries included."""
    return any(getattr(node, "name", None) == "ServiceGraphPattern" for node in walk(parsed.prepared.algebra))


def refuse_service(parsed: ParsedQuery, where: str, *, allow_service: bool = False) -> None:
    """Raise :class:`~evidencekg.errors.QueryError` for a SERVICE pattern, unless it was allowed."""
    if not allow_service and uses_service(parsed):
        raise QueryError(f"{where}: the query uses SERVICE, which reaches the network; pass --allow-service to run it")

"""The graph uploaded to another store through the SPARQL 1.1 Graph Store Protocol: one PUT per named graph.

A PUT replaces a graph whole, so a store never holds half of a layer: either
the old graph or the new one. Credentials come from the environment
(``EVIDENCEKG_PUSH_TOKEN`` for a bearer token, or ``EVIDENCEKG_PUSH_USER`` and
``EVIDENCEKG_PUSH_PASSWORD``) or from the user's netrc file, never from the
command line, where other users of the machine could read them. Transient
failures (a dropped connection, 502, 503, 504) are retried.
"""

from __future__ import annotations

import base64
import netrc
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from ..engines.base import LAYERS, Engine
from ..errors import InputError
from ..resources import package_version

RETRIES = 3
_TRANSIENT = frozenset({502, 503, 504})


@dataclass(frozen=True)
class Pushed:
    """One graph the store accepted: its name, its size in triples, the store's answer."""

    graph: str
    triples: int
    status: int


def credentials(url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The ``Authorization`` header for ``url``: from the environment first, then from netrc; ``None`` if neither."""
    environ = os.environ if environ is None else environ
    token = environ.get("EVIDENCEKG_PUSH_TOKEN")
    if token:
        return f"Bearer {token}"
    user, password = environ.get("EVIDENCEKG_PUSH_USER"), environ.get("EVIDENCEKG_PUSH_PASSWORD")
    if not user:
        host = urllib.parse.urlsplit(url).hostname or ""
        try:
            entry = netrc.netrc(environ.get("NETRC")).authenticators(host)
        except (FileNotFoundError, netrc.NetrcParseError):
            entry = None
        if entry is None:
            return None
        user, _, password = entry
    basic = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
    return f"Basic {basic}"


def push_graphs(engine: Engine, endpoint: str, *, layers: tuple[str, ...] = LAYERS,
                environ: Mapping[str, str] | None = None) -> list[Pushed]:
    """PUT each layer of ``engine`` as its named graph to the Graph Store at ``endpoint``."""
    if not endpoint.startswith(("http://", "https://")):
        raise InputError("--endpoint", f"{endpoint!r} is not an http:// or https:// URL")
    authorization = credentials(endpoint, environ)
    pushed = []
    for layer in layers:
        graph = str(engine.names[layer])
        body = engine.turtle(layer)
        separator = "&" if urllib.parse.urlsplit(endpoint).query else "?"
        target = f"{endpoint}{separator}{urllib.parse.urlencode({'graph': graph})}"
        headers = {"Content-Type": "text/turtle; charset=utf-8", "User-Agent": f"evidencekg/{package_version()}"}
        if authorization:
            headers["Authorization"] = authorization
        status = _put(target, body, headers, graph)
        pushed.append(Pushed(graph, engine.count(layer), status))
    return pushed


def _put(target: str, body: bytes, headers: dict[str, str], graph: str) -> int:
    for attempt in range(RETRIES):
        request = urllib.request.Request(target, data=body, method="PUT", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read(300).decode("utf-8", "replace").split())
            if exc.code not in _TRANSIENT or attempt == RETRIES - 1:
                raise InputError("--endpoint", f"the store refused the graph <{graph}>: {exc.code} {exc.reason}"
                                               + (f": {detail}" if detail else "")) from None
        except (urllib.error.URLError, OSError) as exc:
            if attempt == RETRIES - 1:
                reason = getattr(exc, "reason", exc)
                raise InputError("--endpoint", f"cannot reach the store to write <{graph}>: {reason}") from None
        time.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")

"""Loading data never reaches the network.

RDF parsers can be made to fetch things: a JSON-LD document may name a remote
``@context``, an RDF/XML document an external entity. Inside :func:`offline`,
any attempt to resolve a host name or open a connection raises
:class:`NetworkRefused` instead, whichever library makes it. The guard is a
Python audit hook (PEP 578): it sees every socket operation of the process.

>>> with offline():
...     import socket
...     socket.getaddrinfo("example.org", 80)
Traceback (most recent call last):
...
evidencekg.offline.NetworkRefused: refused to reach the network (socket.getaddrinfo ('example.org', 80))
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .errors import EvidenceKGError

_GUARDED_EVENTS = frozenset({"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"})
_state = threading.local()
_installed = False
_install_lock = threading.Lock()


class NetworkRefused(EvidenceKGError):
    """Something tried to reach the network while evidencekg was loading data."""


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event in _GUARDED_EVENTS and getattr(_state, "depth", 0) > 0:
        target = args[1] if event == "socket.connect" else args[0] if event == "urllib.Request" else args[:2]
        raise NetworkRefused(f"refused to reach the network ({event} {target})")


def _install() -> None:
    global _installed
    with _install_lock:
        if not _installed:
            # Audit hooks cannot be removed, so one hook is installed once and switched by a flag.
            sys.addaudithook(_hook)
            _installed = True


@contextmanager
def offline() -> Iterator[None]:
    """Refuse every network access in this thread while the block runs."""
    _install()
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1

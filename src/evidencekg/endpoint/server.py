"""``evidencekg serve``: Oxigraph's SPARQL server over a store, behind the gate, each query bounded in time.

Oxigraph's server speaks the SPARQL 1.1 Protocol (content negotiation, the
Graph Store Protocol, a YASGUI page); this module adds what it lacks for a
public endpoint. Every request passes :func:`~evidencekg.endpoint.gate.check_request`
first. Queries are answered by a pool of read-only Oxigraph servers on loopback
ports, one query at a time each: Oxigraph cannot stop a query it has started
(its ``--timeout-s`` is not checked while an aggregate runs), so a query past
the time limit is stopped by ending the process that runs it, and a new one
takes its place while the other servers go on answering.
"""

from __future__ import annotations

import contextlib
import http.client
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputError
from .gate import QUERY_PATHS, check_request
from .page import index_page

DEFAULT_BIND = "127.0.0.1:7878"
STARTUP_TIMEOUT_S = 30.0
_FORWARDED_HEADERS = ("Content-Type", "Content-Length", "Content-Disposition", "Vary")


def oxigraph_server() -> str:
    """The ``oxigraph`` command of this environment; ``InputError`` with how to install it if missing."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if found is None:
        raise InputError("oxigraph", "the endpoint runs the Oxigraph server, which is not installed: "
                                     "pip install 'evidencekg[endpoint]'")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class _Backend:
    """One read-only Oxigraph server on a loopback port."""

    location: Path
    process: subprocess.Popen[bytes] = field(init=False)
    port: int = field(init=False)

    def __post_init__(self) -> None:
        self.start()

    def start(self) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [oxigraph_server(), "serve-read-only", "--location", str(self.location), "--bind",
             f"127.0.0.1:{self.port}", "--union-default-graph"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise InputError(str(self.location), "the Oxigraph server did not start on this store")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.05)
        self.stop()
        raise InputError(str(self.location), "the Oxigraph server did not answer within "
                                             f"{STARTUP_TIMEOUT_S:g} s")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()


class BackendPool:
    """Servers lent one request at a time; a server whose query ran too long is replaced."""

    def __init__(self, location: Path, size: int) -> None:
        self._idle: queue.SimpleQueue[_Backend] = queue.SimpleQueue()
        self._all = [_Backend(location) for _ in range(size)]
        for backend in self._all:
            self._idle.put(backend)

    @contextlib.contextmanager
    def lend(self, wait_s: float | None) -> Iterator[_Backend | None]:
        """A server for one request, or ``None`` if none became free within ``wait_s`` seconds."""
        try:
            backend = self._idle.get(timeout=wait_s)
        except queue.Empty:
            yield None
            return
        try:
            yield backend
        finally:
            self._idle.put(backend)

    def close(self) -> None:
        for backend in self._all:
            backend.stop()


@dataclass(frozen=True)
class Settings:
    timeout_s: float
    allow_service: bool


class _Handler(BaseHTTPRequestHandler):
    server: _Endpoint
    protocol_version = "HTTP/1.1"
    server_version = "evidencekg"

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: a query text is the client's, and stderr is the operator's."""

    def _answer(self) -> None:
        settings = self.server.settings
        # The time limit counts from the request's arrival: a query waiting for a server is waiting too.
        deadline = time.monotonic() + settings.timeout_s
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if 0 < length <= (1 << 20) + 1 else b""
        decision = check_request(self.command, target.path, target.query, self.headers.get("Content-Type", ""),
                                 body, allow_service=settings.allow_service)
        if decision.status != 200:
            self._plain(decision.status, decision.message)
            return
        if target.path == "/":
            self._send(200, index_page(), {"Content-Type": "text/html; charset=utf-8"})
            return
        if target.path in QUERY_PATHS:
            method, path, payload = "POST", "/query", decision.forwarded_body
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        else:
            method, path, payload, headers = self.command, self.path, b"", {}
        headers["Accept"] = self.headers.get("Accept", "*/*")
        with self.server.pool.lend(max(0.0, deadline - time.monotonic())) as backend:
            remaining = deadline - time.monotonic()
            if backend is None or remaining <= 0:
                self._plain(503, f"no query could start within {settings.timeout_s:g} s, this endpoint's time "
                                 "limit: the server is busy; try again")
                return
            self._forward(backend, method, path, payload, headers, remaining, settings.timeout_s)

    def _forward(self, backend: _Backend, method: str, path: str, payload: bytes, headers: dict[str, str],
                 remaining_s: float, timeout_s: float) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", backend.port, timeout=remaining_s)
        try:
            connection.request(method, path, body=payload or None, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except TimeoutError:
            backend.restart()  # the only way to stop the query it was running
            self._plain(503, f"the query was stopped after {timeout_s:g} s, this endpoint's time limit; "
                             "no results were sent")
            return
        except (OSError, http.client.HTTPException):
            backend.restart()
            self._plain(502, "the SPARQL server failed on this request")
            return
        finally:
            connection.close()
        self._send(response.status, content, {name: value for name in _FORWARDED_HEADERS
                                               if (value := response.getheader(name)) is not None})

    # Every method reaches the gate, which alone decides what is answered (writes get a 403, not a 501).
    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def _plain(self, status: int, message: str) -> None:
        self._send(status, (message + "\n").encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})

    def _send(self, status: int, content: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name != "Content-Length":  # the length of what is sent here, below
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)


class _Endpoint(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], pool: BackendPool, settings: Settings) -> None:
        self.pool, self.settings = pool, settings
        super().__init__(address, _Handler)


def parse_bind(bind: str) -> tuple[str, int]:
    """``HOST:PORT`` → (host, port); ``InputError`` for anything else."""
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise InputError("--bind", f"{bind!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


@contextlib.contextmanager
def running_endpoint(location: Path, bind: str = DEFAULT_BIND, *, timeout_s: float = 30.0,
                     allow_service: bool = False, backends: int = 4) -> Iterator[str]:
    """Serve the Oxigraph store at ``location`` while the block runs; yields the SPARQL endpoint's URL."""
    pool = BackendPool(location, backends)
    try:
        try:
            endpoint = _Endpoint(parse_bind(bind), pool, Settings(timeout_s, allow_service))
        except OSError as exc:
            raise InputError("--bind", f"cannot listen on {bind}: {exc.strerror or exc}") from None
        thread = threading.Thread(target=endpoint.serve_forever, name="evidencekg-endpoint", daemon=True)
        thread.start()
        try:
            host, port = parse_bind(bind)[0], endpoint.server_address[1]
            yield f"http://{f'[{host}]' if ':' in host else host}:{port}/sparql"
        finally:
            endpoint.shutdown()
            endpoint.server_close()
    finally:
        pool.close()

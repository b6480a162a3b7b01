"""A build never reaches the network.

An audit hook (PEP 578) installed when this module is imported, before
evidencekg installs its own guard, records every network event of the test
process while a flag is on. Building, checking and querying the bundled
dataset and the second dataset must record none; a JSON-LD file naming a
remote ``@context`` must be refused (exit 2, with a message) without a
connection being attempted, in this process and in a separate one.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers import SECOND_DATASET

import evidencekg
from evidencekg.cli import main
from evidencekg.offline import NetworkRefused, offline

NETWORK_EVENTS = frozenset({
    "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
    "socket.getnameinfo", "socket.sendto", "socket.sendmsg", "urllib.Request", "http.client.connect",
})
SOCKET_EVENTS = frozenset(e for e in NETWORK_EVENTS if e != "urllib.Request")


class _Recorder:
    def __init__(self) -> None:
        self.on = False
        self.events: list[tuple[str, str]] = []

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        # Flag-controlled: audit hooks cannot be removed. Every thread is watched.
        if self.on and event in NETWORK_EVENTS:
            self.events.append((event, repr(args)[:200]))


RECORDER = _Recorder()
sys.addaudithook(RECORDER)


@contextmanager
def recording() -> Iterator[list[tuple[str, str]]]:
    RECORDER.events = []
    RECORDER.on = True
    try:
        yield RECORDER.events
    finally:
        RECORDER.on = False


def test_the_recorder_sees_what_evidencekg_refuses() -> None:
    """The recorder runs before evidencekg's guard, so a refused attempt is still recorded."""
    with recording() as events, pytest.raises(NetworkRefused), offline():
        socket.getaddrinfo("example.org", 443)
    assert events and events[0][0] == "socket.getaddrinfo"


@pytest.mark.parametrize("data", [evidencekg.bundled_data_dir(), SECOND_DATASET], ids=["bundled", "second-dataset"])
def test_build_check_and_query_open_no_socket(data: Path) -> None:
    from evidencekg.outputs.files import render_outputs

    with recording() as events:
        kg = evidencekg.build_graph(data)
        report = evidencekg.validate(kg).report
        rows = {name: len(evidencekg.query(kg, name)) for name in evidencekg.available_queries()}
        render_outputs(kg)
    assert events == []
    assert report.conforms
    assert rows["contradictions"] > 0


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local server that no one should connect to; the remote context points at it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    try:
        yield server
    finally:
        server.close()


def _no_connection(server: socket.socket) -> bool:
    try:
        connection, _ = server.accept()
    except BlockingIOError:
        return True
    connection.close()
    return False


def _remote_context_file(tmp_path: Path, server: socket.socket) -> tuple[Path, str]:
    host, port = server.getsockname()
    context = f"http://{host}:{port}/context.jsonld"
    path = tmp_path / "remote-context.jsonld"
    path.write_text(
        '{"@context": ["' + context + '", {"ex": "https://example.org/"}],\n'
        ' "@id": "ex:study", "@type": "https://w3id.org/evidencekg/ontology#Study"}\n',
        encoding="utf-8",
    )
    return path, context


def test_remote_jsonld_context_is_refused_in_process(tmp_path: Path, listener: socket.socket,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path, context = _remote_context_file(tmp_path, listener)
    with recording() as events:
        code = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert f"error: {path}: refused to reach the network" in captured.err
    assert context in captured.err and "remote contexts and external entities are not fetched" in captured.err
    assert "Traceback" not in captured.err
    assert [e for e, _ in events if e in SOCKET_EVENTS] == []
    assert _no_connection(listener)


def test_remote_jsonld_context_is_refused_by_the_command(tmp_path: Path, listener: socket.socket) -> None:
    path, context = _remote_context_file(tmp_path, listener)
    completed = subprocess.run([sys.executable, "-m", "evidencekg", "validate", path.name], cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2, completed.stderr
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == [
        f"error: {path.name}: refused to reach the network (urllib.Request {context}): "
        "remote contexts and external entities are not fetched"
    ]
    assert _no_connection(listener)

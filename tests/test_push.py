"""evidencekg push: the named graphs into a real read-write Oxigraph server, whole, with credentials kept off argv."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from helpers import run_cli

from evidencekg.outputs.push import credentials
from evidencekg.resources import bundled_data_dir

SERVER = Path(sys.executable).parent / "oxigraph"
pytestmark = pytest.mark.skipif(not SERVER.is_file() and shutil.which("oxigraph") is None,
                                reason="the Oxigraph server (the endpoint extra) is not installed")


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[str]:
    """A read-write Oxigraph server whose default graph, as evidencekg's queries expect, is the union."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([str(SERVER if SERVER.is_file() else "oxigraph"), "serve", "--location",
                                str(tmp_path / "db"), "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


def _graph_counts(base: str) -> dict[str, int]:
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    request = urllib.request.Request(f"{base}/query?{urllib.parse.urlencode({'query': query})}",
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        rows = json.load(response)["results"]["bindings"]
    return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}


def test_push_puts_every_layer_and_the_store_answers_as_a_local_build(oxigraph: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(bundled_data_dir(), data)
    for _ in range(2):  # a second push replaces each graph whole: nothing doubles
        pushed = run_cli("push", "--data", str(data), "--endpoint", f"{oxigraph}/store")
        assert pushed.returncode == 0, pushed.stderr
    counts = _graph_counts(oxigraph)
    assert len(counts) == 4
    lines = pushed.stderr.splitlines()
    assert all(line.startswith("pushed <") for line in lines) and len(lines) == 4
    for line in lines:
        graph, triples = line.removeprefix("pushed <").split(">: ")
        assert counts[graph] == int(triples.split()[0].replace(",", "")), (graph, counts)
    local = run_cli("query", "contradictions", "--data", str(data), "--format", "json")
    remote = run_cli("query", "contradictions", "--endpoint", f"{oxigraph}/query", "--format", "json")
    assert remote.returncode == 0, remote.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)


def test_a_store_that_refuses_is_exit_2_naming_the_graph(oxigraph: str) -> None:
    refused = run_cli("push", "--endpoint", f"{oxigraph}/query")  # a query URL takes no PUT
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: --endpoint: the store refused the graph <")


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.path, self.headers.get("Authorization")))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_credentials_come_from_the_environment_or_netrc(tmp_path: Path) -> None:
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine 127.0.0.1 login curator password s3cret\n", encoding="utf-8")
    netrc_file.chmod(0o600)
    assert credentials("http://127.0.0.1:1/store", {"EVIDENCEKG_PUSH_TOKEN": "t0k"}) == "Bearer t0k"
    basic = "Basic " + base64.b64encode(b"curator:s3cret").decode()
    assert credentials("http://127.0.0.1:1/store", {"NETRC": str(netrc_file)}) == basic
    assert credentials("http://elsewhere.example/store", {"NETRC": str(netrc_file)}) is None

    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        completed = subprocess.run([sys.executable, "-m", "evidencekg", "push", "--endpoint",
                                    f"http://127.0.0.1:{server.server_port}/store"],
                                   env={"PATH": "/usr/bin:/bin", "EVIDENCEKG_PUSH_USER": "curator",
                                        "EVIDENCEKG_PUSH_PASSWORD": "s3cret", "HOME": str(tmp_path)},
                                   capture_output=True, text=True, timeout=300)
    finally:
        server.shutdown()
    assert completed.returncode == 0, completed.stderr
    assert len(_Recorder.seen) == 4 and {auth for _, auth in _Recorder.seen} == {basic}
    assert all(path.startswith("/store?graph=") for path, _ in _Recorder.seen)

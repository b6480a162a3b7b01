"""What several test modules share: the test data's paths, ways to run the command line, a loopback listener.

Test modules import from here, never from each other or from ``conftest.py``
(which only holds fixtures). Paths come from this file, never from the
working directory.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
SECOND_DATASET = FIXTURES / "second-dataset"
BROKEN = FIXTURES / "broken"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@dataclass(frozen=True)
class Completed:
    """What a run of the command line gave: its exit status and output, as a process would."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> Completed:
    """Run the command line in this process (``evidencekg.cli.main``), output captured."""
    from evidencekg.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return Completed(code, out.getvalue(), err.getvalue())


def run_cli_process(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Completed:
    """Run the installed command line in a fresh process, where the process is the point (cwd, env, signals)."""
    completed = subprocess.run([sys.executable, "-m", "evidencekg", *args], cwd=cwd,
                               env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=300)
    return Completed(completed.returncode, completed.stdout, completed.stderr)


# A small valid dataset, and a way to vary it: the model's, the RDF's and the CLI's tests start from it.

VOCABULARY = """\
populations:
  - id: adults
    label: Adults
  - id: older-adults
    label: Older adults
    broader: adults
conditions:
  - id: hypertension
    label: Hypertension
outcomes:
  - id: blood-pressure
    label: Blood pressure
interventions:
  - id: exercise
    label: Exercise
"""

STUDY = """\
id: doe-2020
title: A trial
authors: [Doe J]
year: 2020
design: randomized-controlled-trial
sample_size: 40
groups:
  - id: treated
    label: Treated
    population: adults
    condition: hypertension
  - id: control
    label: Control
    population: adults
    condition: hypertension
interventions:
  - id: walk
    intervention: exercise
findings:
  - id: bp
    outcome: blood-pressure
    group: treated
    comparator: control
    intervention: walk
    direction: decrease
    significant: true
    p_value: 0.01
"""


def make_dataset(
    root: Path, study: str = STUDY, vocabulary: str = VOCABULARY, extra: dict[str, str] | None = None
) -> Path:
    (root / "studies").mkdir(parents=True, exist_ok=True)
    (root / "vocabulary.yaml").write_text(vocabulary, encoding="utf-8")
    (root / "studies" / "doe-2020.yaml").write_text(study, encoding="utf-8")
    for name, text in (extra or {}).items():
        (root / "studies" / name).write_text(text, encoding="utf-8")
    return root


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# A loopback server for the tests that nothing leaves the machine (SERVICE in queries and in shapes).

EMPTY_RESULTS = b'{"head":{"vars":["a"]},"results":{"bindings":[]}}'


class Listener:
    """A loopback TCP server that counts connections and answers each with empty SPARQL JSON results."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            with client:
                client.settimeout(2)
                try:
                    client.recv(65536)
                    client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                                   b"Content-Length: " + str(len(EMPTY_RESULTS)).encode() + b"\r\n"
                                   b"Connection: close\r\n\r\n" + EMPTY_RESULTS)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.close()

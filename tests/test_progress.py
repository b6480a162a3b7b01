"""Progress on a terminal, silence elsewhere, and a build that lists only the first contradictions.

Progress is seen as a user sees it: the command runs in a fresh process whose stderr is a
pseudo-terminal (``pty``), its stdout a pipe.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import shlex
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest
from helpers import Completed, run_cli_process

import evidencekg
from evidencekg.cli import CONTRADICTIONS_SHOWN
from evidencekg.progress import NO_PROGRESS, Progress

BUILD_STAGES = ["reading records", "building RDF", "loading the store", "inference (OWL 2 RL)",
                "deriving evidence relations", "SHACL validation", "queries", "writing outputs"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DONE_LINE = re.compile(r"^(?P<name>[^:\r\n]+)(?:: (?P<summary>.*))? \(\d+\.\d s\)$")


def _on_terminal(*argv: str, cwd: Path | None = None) -> Completed:
    """Run ``argv`` with stderr on a pseudo-terminal (100 columns) and stdout on a pipe."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, cwd=cwd,
                               env={**env, "TERM": "xterm-256color"})
    os.close(follower)
    chunks: list[bytes] = []

    def drain() -> None:  # a full terminal buffer would block the command
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every writer of the terminal has gone
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        stdout, _ = process.communicate(timeout=300)
    finally:
        reader.join(timeout=30)
        os.close(leader)
    terminal = ANSI.sub("", b"".join(chunks).decode("utf-8", errors="replace"))
    return Completed(process.returncode, stdout.decode("utf-8"), terminal)


def _evidencekg_on_terminal(*args: str, cwd: Path | None = None) -> Completed:
    return _on_terminal(sys.executable, "-m", "evidencekg", *args, cwd=cwd)


def _done_lines(terminal: str) -> list[tuple[str, str]]:
    """(stage, summary) of each line a finished stage left, in order."""
    found = []
    for line in re.split(r"[\r\n]+", terminal):
        match = DONE_LINE.match(line.strip())
        if match:
            found.append((match["name"], match["summary"] or ""))
    return found


@pytest.fixture(scope="module")
def piped_build(tmp_path_factory: pytest.TempPathFactory) -> Completed:
    out = tmp_path_factory.mktemp("piped")
    return run_cli_process("build", "--data", str(evidencekg.bundled_data_dir()), "--out", str(out / "build"))


def test_build_on_a_terminal_shows_each_stage_with_its_counts(tmp_path: Path, piped_build: Completed) -> None:
    completed = _evidencekg_on_terminal("build", "--data", str(evidencekg.bundled_data_dir()), "--out",
                                        str(tmp_path / "build"))
    assert completed.returncode == 0, completed.stderr
    done = _done_lines(completed.stderr)
    assert [name for name, _ in done] == BUILD_STAGES, completed.stderr
    summaries = dict(done)
    counts = evidencekg.build_graph(evidencekg.bundled_data_dir()).counts()
    assert summaries["reading records"] == f"{counts['studies']} studies, {counts['findings']} findings"
    assert summaries["building RDF"] == f"{counts['asserted_triples']} asserted triples"
    assert summaries["inference (OWL 2 RL)"] == f"{counts['inferred_triples']} inferred triples"
    assert summaries["deriving evidence relations"] == f"{counts['derived_triples']} derived triples"
    assert summaries["writing outputs"] == "6 files"
    # The messages are still there, and stdout is what it is without a terminal.
    for message in ("records: ", "triples: ", "SHACL: conforms", "wrote: "):
        assert message in completed.stderr
    assert completed.stdout == piped_build.stdout


def test_build_without_a_terminal_writes_only_its_messages_to_stderr(piped_build: Completed) -> None:
    assert piped_build.returncode == 0, piped_build.stderr
    lines = piped_build.stderr.splitlines()
    assert [line.split(":")[0] for line in lines] == ["records", "triples", "SHACL", "wrote"], lines
    assert not any(stage in piped_build.stderr for stage in BUILD_STAGES)
    assert "\x1b" not in piped_build.stderr + piped_build.stdout


def test_quiet_build_shows_no_progress_even_on_a_terminal(tmp_path: Path) -> None:
    completed = _evidencekg_on_terminal("build", "--quiet", "--data", str(evidencekg.bundled_data_dir()),
                                        "--out", str(tmp_path / "build"))
    assert completed.returncode == 0
    assert completed.stderr == completed.stdout == ""
    assert (tmp_path / "build" / "manifest.json").is_file()


def test_building_from_python_shows_nothing_on_a_terminal() -> None:
    completed = _on_terminal(sys.executable, "-c", "import evidencekg; "
                             "evidencekg.validate(evidencekg.build_graph(evidencekg.bundled_data_dir()))")
    assert completed.returncode == 0
    assert completed.stderr == ""


def test_validate_on_a_terminal_shows_the_build_and_the_shapes() -> None:
    completed = _evidencekg_on_terminal("validate", "--data", str(evidencekg.bundled_data_dir()))
    assert completed.returncode == 0, completed.stderr
    names = [name for name, _ in _done_lines(completed.stderr)]
    assert names == BUILD_STAGES[:6], completed.stderr
    assert "\x1b" not in completed.stdout and ": conforms (0 violations" in completed.stdout.splitlines()[-1]


def test_a_stage_reports_to_a_stream_it_is_given() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    with progress.stage("outer", total=2) as outer:
        outer.advance()
        with progress.stage("inner") as inner:
            inner.done(lambda: "3 things")
        outer.advance()
        outer.done("done")
    with pytest.raises(RuntimeError), progress.stage("failing"):
        raise RuntimeError("stop")
    assert [(name, summary) for name, summary in _done_lines(stream.getvalue())] == [("inner", "3 things"),
                                                                                    ("outer", "done")]
    assert "failing" not in stream.getvalue()


def test_progress_is_off_unless_asked_for_and_on_a_terminal() -> None:
    assert not NO_PROGRESS.enabled
    assert not Progress.for_terminal(stream=io.StringIO()).enabled

    def never() -> str:
        raise AssertionError("a summary nobody sees is not computed")

    with NO_PROGRESS.stage("anything", total=1) as stage:
        stage.advance()
        stage.done(never)
    leader, follower = pty.openpty()
    try:
        with os.fdopen(os.dup(follower), "w") as terminal:
            assert Progress.for_terminal(stream=terminal).enabled
            assert not Progress.for_terminal(quiet=True, stream=terminal).enabled
    finally:
        os.close(follower)
        os.close(leader)


@pytest.fixture(scope="module")
def many_contradictions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Completed]:
    root = tmp_path_factory.mktemp("many")
    # 80 studies (seed 1) plant 43 contradictions; 60 plant exactly as many as are shown.
    synth = run_cli_process("synth", "--studies", "80", "--seed", "1", "--out", str(root / "data"))
    assert synth.returncode == 0, synth.stderr
    built = run_cli_process("build", "--data", str(root / "data"), "--out", str(root / "build"),
                            "--store", str(root / "store"))
    return root, built


def _blocks(listing: str) -> list[str]:
    return [block for block in listing.strip("\n").split("\n\n") if re.match(r"\d+\. ", block)]


def test_build_lists_the_first_contradictions_and_says_how_to_see_all(
        many_contradictions: tuple[Path, Completed]) -> None:
    root, built = many_contradictions
    assert built.returncode == 0, built.stderr
    shown = _blocks(built.stdout)
    assert [block.split(".")[0] for block in shown] == [str(n) for n in range(1, CONTRADICTIONS_SHOWN + 1)]
    (more,) = [line for line in built.stdout.splitlines() if line.startswith("… and ")]
    commands = re.findall(r"`([^`]+)`", more)
    assert commands and all(shlex.split(c)[:2] == ["evidencekg", "contradictions"] for c in commands)
    assert any(c.endswith("--format json") for c in commands)
    # The command it names lists every contradiction, and the blocks shown are its first ones, explained alike.
    every = run_cli_process(*shlex.split(commands[0])[1:], "--format", "json")
    assert every.returncode == 0, every.stderr
    total = len(json.loads(every.stdout)["contradictions"])
    assert total > CONTRADICTIONS_SHOWN
    assert more.startswith(f"… and {total - CONTRADICTIONS_SHOWN} more contradictions ({total} in all)")
    table = run_cli_process(*shlex.split(commands[0])[1:])
    assert shown == _blocks(table.stdout)[:CONTRADICTIONS_SHOWN]
    assert str(root / "store") in commands[0]


def test_build_of_few_contradictions_lists_them_all(piped_build: Completed) -> None:
    from evidencekg.analysis.contradictions import contradicting_positions

    found = len(contradicting_positions(evidencekg.build_graph(evidencekg.bundled_data_dir())))
    assert 0 < found <= CONTRADICTIONS_SHOWN
    assert len(_blocks(piped_build.stdout)) == found
    assert "… and " not in piped_build.stdout and "more contradiction" not in piped_build.stdout

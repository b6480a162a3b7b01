"""A runaway query stops: at the time limit (exit 2) or at Ctrl-C (exit 130), with nothing on stdout.

The query below joins every triple with every other four times over: on any
dataset it would run for hours, so a command that finishes at all was stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import make_dataset

from evidencekg.sparql.limits import QueryTimeout, run_stoppable, time_limit

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?s ?h . ?i ?t ?j }\n"


@pytest.fixture
def runaway(tmp_path: Path) -> tuple[Path, Path]:
    query = tmp_path / "runaway.rq"
    query.write_text(RUNAWAY, encoding="utf-8")
    return query, make_dataset(tmp_path / "data")


def _evidencekg(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "evidencekg", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# The limit covers the build's derivations too: the reference engine's take seconds on a loaded machine.
@pytest.mark.parametrize("engine, limit", [("fast", 5), ("reference", 20)])
def test_a_query_past_its_time_limit_stops_with_exit_2(runaway: tuple[Path, Path], engine: str, limit: int) -> None:
    query, data = runaway
    process = _evidencekg("--engine", engine, "query", str(query), "--data", str(data), "--timeout", str(limit))
    out, err = process.communicate(timeout=240)
    assert process.returncode == 2, err
    assert out == ""
    assert err.strip() == f"error: {query}: stopped after {limit} s, the time limit (--timeout)"


def _evaluating(pid: int) -> bool:
    """Whether the main thread waits while another thread computes: the state of a query in native code."""
    states = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/stat", encoding="ascii") as stat:
            states[int(task)] = stat.read().rsplit(")", 1)[1].split()[0]
    return states.get(pid) == "S" and any(state == "R" for task, state in states.items() if task != pid)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc to see the evaluation thread")
def test_ctrl_c_stops_a_query_in_native_code_with_exit_130(runaway: tuple[Path, Path]) -> None:
    query, data = runaway
    process = _evidencekg("query", str(query), "--data", str(data), "--timeout", "0")
    # Wait until the query itself runs: a second in which every look finds it so (derivations are brief).
    deadline, since = time.monotonic() + 120, None
    while time.monotonic() < deadline and process.poll() is None:
        if _evaluating(process.pid):
            since = since or time.monotonic()
            if time.monotonic() - since > 1:
                break
        else:
            since = None
        time.sleep(0.02)
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert out == ""
    assert "Traceback" not in err


def test_the_limit_covers_the_block_and_errors_pass_through() -> None:
    with time_limit(0.2), pytest.raises(QueryTimeout, match=r"a nap: stopped after 0\.2 s"):
        run_stoppable(lambda: time.sleep(30), "a nap")
    with time_limit(None), pytest.raises(ZeroDivisionError):
        run_stoppable(lambda: 1 / 0, "a division")
    with pytest.raises(ValueError, match="negative"), time_limit(-1):
        pass

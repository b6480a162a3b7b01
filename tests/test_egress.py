"""Nothing leaves the machine unless the user asked: SERVICE is refused on the text the engine runs.

A loopback listener records every connection. The same query reaches it when
``--allow-service`` is given (so the listener can see a request), and never when
it is not, whatever the spelling, including a ``\\u000A`` escape in a comment
that rdflib reads as a line break and oxigraph, on the raw text, would not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import Listener

from evidencekg.cli import main


@pytest.fixture()
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def _hidden_service(port: int) -> str:
    # Read with its escapes expanded (the SPARQL grammar's view), the comment ends at the escaped line
    # break and SERVICE is inside a string; read raw, the comment runs to the real line break and
    # SERVICE is a pattern. The \\u000A below is six characters in the file.
    return ("SELECT * WHERE { ?s ?p ?o # \\u000A FILTER(\"\"\"\n"
            f"SERVICE <http://127.0.0.1:{port}/sparql> {{ ?a ?b ?c }} # \"\"\")\n"
            "}\n")


SPELLINGS = {
    "plain": "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?a ?b ?c }} }}",
    "lowercase, silent": "select * where {{ service silent <http://127.0.0.1:{port}/sparql> {{ ?a ?b ?c }} }}",
    "in an EXISTS": (
        "SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <http://127.0.0.1:{port}/s> {{ ?a ?b ?c }} }} }}"
    ),
    "in a sub-select": (
        "SELECT * WHERE {{ {{ SELECT ?a WHERE {{ SERVICE <http://127.0.0.1:{port}/s> {{ ?a ?b ?c }} }} }} }}"
    ),
    "escaped keyword": "SELECT * WHERE {{ \\u0053ERVICE <http://127.0.0.1:{port}/sparql> {{ ?a ?b ?c }} }}",
}


@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_service_is_refused_without_a_connection(name: str, engine: str, listener: Listener, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "remote.rq"
    query.write_text(SPELLINGS[name].format(port=listener.port), encoding="utf-8")
    assert main(["--engine", engine, "query", str(query)]) == 2
    assert "SERVICE" in capsys.readouterr().err
    assert listener.connections == 0


def test_a_service_hidden_from_one_reader_never_runs(listener: Listener, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "hidden.rq"
    query.write_text(_hidden_service(listener.port), encoding="utf-8")
    status = main(["query", str(query), "--format", "csv"])
    capsys.readouterr()
    assert status == 0  # both readers see one FILTER over a string: a query without SERVICE
    assert listener.connections == 0


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_the_listener_sees_an_allowed_service(engine: str, listener: Listener, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The same setup with --allow-service does connect, so the tests above could fail."""
    query = tmp_path / "remote.rq"
    query.write_text(SPELLINGS["plain"].format(port=listener.port), encoding="utf-8")
    main(["--engine", engine, "query", str(query), "--allow-service"])
    capsys.readouterr()
    assert listener.connections >= 1


def test_an_escape_that_expands_into_an_escape_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "double.rq"
    query.write_text('SELECT * WHERE { ?s ?p "\\u005Cu0041" }', encoding="utf-8")
    assert main(["query", str(query)]) == 2
    assert "expands into another escape" in capsys.readouterr().err


@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize("clause", ["FROM", "FROM NAMED"])
def test_a_dataset_clause_is_never_fetched(engine: str, clause: str, listener: Listener, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """FROM names a graph of the store (fast engine) or is refused (reference engine, where rdflib would fetch it)."""
    query = tmp_path / "from.rq"
    query.write_text(f"SELECT * {clause} <http://127.0.0.1:{listener.port}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
                     encoding="utf-8")
    status = main(["--engine", engine, "query", str(query)])
    err = capsys.readouterr().err
    assert status == (0 if engine == "fast" else 2), err
    assert "internal error" not in err
    assert listener.connections == 0

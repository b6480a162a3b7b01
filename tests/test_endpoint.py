"""The graph kept in a store and served over SPARQL: real Oxigraph servers, real clients, nothing leaves 127.0.0.1.

``evidencekg serve`` runs in its own process, as a user starts it; the clients are
SPARQLWrapper and plain HTTP. A loopback listener stands for any other server a
query might name in SERVICE: it must see no connection.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import Listener, run_cli

from evidencekg.endpoint import check_request
from evidencekg.resources import bundled_data_dir, queries_dir

pytest.importorskip("SPARQLWrapper")
SERVER = Path(sys.executable).parent / "oxigraph"
pytestmark = pytest.mark.skipif(not SERVER.is_file() and shutil.which("oxigraph") is None,
                                reason="the Oxigraph server (the endpoint extra) is not installed")

TIMEOUT_S = 3
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?s ?h . ?i ?t ?j }"
COUNT = "PREFIX ekg: <https://w3id.org/evidencekg/ontology#> SELECT (COUNT(*) AS ?n) WHERE { ?d a ekg:Disagreement }"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("data") / "data"
    shutil.copytree(bundled_data_dir(), copy)
    return copy


@pytest.fixture(scope="module")
def store(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("built")
    completed = run_cli("build", "-q", "--data", str(data), "--out", str(root / "build"),
                        "--store", str(root / "store"))
    assert completed.returncode == 0, completed.stderr
    return root / "store"


@pytest.fixture(scope="module")
def endpoint(store: Path, data: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "evidencekg", "serve", "--store", str(store), "--data", str(data),
         "--bind", "127.0.0.1:0", "--timeout-s", str(TIMEOUT_S)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    line = process.stderr.readline()
    assert line.startswith("SPARQL endpoint: "), line + process.stderr.read()
    yield line.split()[2]
    process.terminate()  # stopped as by Ctrl-C: its Oxigraph servers with it
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0 and "stopped" in err, err


def _get(url: str, query: str, accept: str = "application/sparql-results+json") -> tuple[int, bytes]:
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode({'query': query})}", headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _pairs(rows: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(row["finding1"], row["finding2"]) for row in rows}


# --- the store ------------------------------------------------------------------------------------------


def test_a_query_on_the_store_answers_as_on_a_fresh_build(store: Path, data: Path) -> None:
    built = run_cli("query", "contradictions", "--data", str(data), "--format", "json")
    stored = run_cli("query", "contradictions", "--data", str(data), "--store", str(store), "--format", "json")
    assert built.returncode == stored.returncode == 0, stored.stderr
    assert json.loads(stored.stdout) == json.loads(built.stdout)
    assert json.loads(stored.stdout)["results"]["bindings"]


@pytest.mark.parametrize("command", [
    ["summary", "--format", "json"], ["controversies", "--format", "json"], ["stats", "--format", "json"],
    ["contradictions", "--format", "json"], ["query", "effect-vs-null", "--format", "csv"],
])
def test_every_reader_of_the_graph_answers_the_same_from_the_store(store: Path, data: Path, command: list[str]) -> None:
    built = run_cli(*command, "--data", str(data))
    stored = run_cli(*command, "--data", str(data), "--store", str(store))
    assert built.returncode == stored.returncode == 0, stored.stderr
    assert stored.stdout == built.stdout and built.stdout.strip()


@pytest.mark.parametrize("command, name", [(["report"], "report.html"), (["export", "ntriples"], "evidence.nt"),
                                           (["export", "graphml"], "evidence.graphml")])
def test_files_written_from_the_store_are_those_of_a_build(store: Path, data: Path, tmp_path: Path,
                                                           command: list[str], name: str) -> None:
    outputs = []
    for where, extra in (("built", ()), ("stored", ("--store", str(store)))):
        target = tmp_path / where / (name if command[0] == "export" else "")
        completed = run_cli(*command, "--data", str(data), "--out", str(target), *extra)
        assert completed.returncode == 0, completed.stderr
        outputs.append((target if command[0] == "export" else target / name).read_bytes())
    assert outputs[0] == outputs[1]


def test_a_stale_or_foreign_store_is_refused(store: Path, data: Path, tmp_path: Path) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(data, changed)
    study = next((changed / "studies").glob("*.yaml"))
    study.write_text(study.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    stale = run_cli("query", "contradictions", "--data", str(changed), "--store", str(store))
    assert stale.returncode == 2
    assert stale.stderr.strip() == (f"error: {store}: built from another state of the dataset than {changed}; "
                                    f"rebuild it with evidencekg build --store {store}")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    refused = run_cli("query", "contradictions", "--data", str(data), "--store", str(foreign))
    assert refused.returncode == 2 and "not an evidencekg store" in refused.stderr
    assert not any(foreign.iterdir())


def test_a_store_built_with_other_derivations_is_refused(store: Path, data: Path, tmp_path: Path) -> None:
    """The same version with an edited ontology or derivation query derives another graph: not answered for."""
    import json

    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["derivations_sha256"]
    manifest["derivations_sha256"] = "0" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    refused = run_cli("query", "contradictions", "--data", str(data), "--store", str(copy))
    assert refused.returncode == 2
    assert refused.stderr.strip() == (f"error: {copy}: built with another ontology or other derivation queries "
                                      f"than this evidencekg's; rebuild it with evidencekg build --store {copy}")


def test_build_never_replaces_a_directory_that_is_not_a_store(data: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    completed = run_cli("build", "-q", "--data", str(data), "--out", str(tmp_path / "b"), "--store", str(mine))
    assert completed.returncode == 2
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep me"


# --- the endpoint -----------------------------------------------------------------------------------


def test_sparqlwrapper_gets_the_contradictions_the_command_line_gets(endpoint: str, data: Path) -> None:
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(endpoint)
    client.setQuery((queries_dir() / "contradictions.rq").read_text(encoding="utf-8"))
    client.setReturnFormat(JSON)
    served = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index, call-overload]
    local = json.loads(run_cli("query", "contradictions", "--data", str(data), "--format", "json").stdout)
    assert _pairs([{k: v["value"] for k, v in row.items()} for row in served]) == _pairs(
        [{k: v["value"] for k, v in row.items()} for row in local["results"]["bindings"]])
    assert served


def test_named_queries_run_on_the_endpoint_with_the_same_rows_and_bindings(endpoint: str, data: Path) -> None:
    local = json.loads(run_cli("query", "contradictions", "--data", str(data), "--format", "json").stdout)
    remote = run_cli("query", "contradictions", "--endpoint", endpoint, "--format", "json")
    assert remote.returncode == 0, remote.stderr
    assert json.loads(remote.stdout) == local
    first = local["results"]["bindings"][0]["finding1"]["value"]
    bound = [run_cli("query", "contradictions", *where, "-p", f"finding1=<{first}>", "--format", "csv")
             for where in (("--data", str(data)), ("--endpoint", endpoint))]
    assert bound[0].returncode == bound[1].returncode == 0, bound[1].stderr
    assert bound[0].stdout == bound[1].stdout and bound[0].stdout.count("\n") == 2


def test_an_endpoint_that_cannot_answer_is_a_clear_error(endpoint: str) -> None:
    closed = run_cli("query", "contradictions", "--endpoint", "http://127.0.0.1:9/sparql")
    assert closed.returncode == 2
    assert closed.stderr.startswith("error: queries/contradictions.rq: cannot reach http://127.0.0.1:9/sparql")
    refused = run_cli("query", "contradictions", "--endpoint", endpoint.removesuffix("sparql") + "update")
    assert refused.returncode == 2
    assert "update answered 403 Forbidden: this endpoint is read-only" in refused.stderr


@pytest.mark.parametrize("accept, expected", [
    ("application/sparql-results+json", b'"value":"9"'),
    ("application/sparql-results+xml", b"<literal datatype=\"http://www.w3.org/2001/XMLSchema#integer\">9<"),
    ("text/csv", b"n\r\n9\r\n"),
    ("text/tab-separated-values", b"?n\n9\n"),
])
def test_each_results_format_is_negotiated(endpoint: str, accept: str, expected: bytes) -> None:
    status, body = _get(endpoint, COUNT, accept)
    assert status == 200 and expected in body, body


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    "PREFIX remote: <{base}> SELECT * WHERE {{ SERVICE remote:sparql {{ ?s ?p ?o }} }}",
    "ASK {{ FILTER EXISTS {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ SERVICE <\\u0068ttp://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_before_it_reaches_the_server(endpoint: str, template: str) -> None:
    listener = Listener()
    try:
        base = f"http://127.0.0.1:{listener.port}/"
        query = template.format(url=base + "sparql", base=base, port=listener.port)
        for method in ("GET", "POST"):
            if method == "GET":
                status, body = _get(endpoint, query)
            else:
                request = urllib.request.Request(endpoint, data=query.encode(), method="POST",
                                                 headers={"Content-Type": "application/sparql-query"})
                try:
                    status, body = urllib.request.urlopen(request, timeout=60).status, b""
                except urllib.error.HTTPError as error:
                    status, body = error.code, error.read()
            assert status == 403 and b"SERVICE" in body, (method, status, body)
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.close()


@pytest.mark.parametrize("method, path, content_type, body", [
    ("POST", "/update", "application/sparql-update", b"CLEAR ALL"),
    ("POST", "/sparql", "application/x-www-form-urlencoded", b"update=CLEAR%20ALL"),
    ("POST", "/sparql", "application/sparql-query", b"LOAD <http://127.0.0.1:9/x.ttl>"),
    ("PUT", "/store?default", "text/turtle", b"<urn:a> <urn:b> <urn:c> ."),
    ("DELETE", "/store?default", "", b""),
])
def test_writes_are_refused(endpoint: str, method: str, path: str, content_type: str, body: bytes) -> None:
    request = urllib.request.Request(endpoint.removesuffix("/sparql") + path, data=body or None, method=method,
                                     headers={"Content-Type": content_type} if content_type else {})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code in (400, 403, 405)
    status, answer = _get(endpoint, COUNT, "text/csv")
    assert (status, answer) == (200, b"n\r\n9\r\n")  # the graph is as it was


def test_runaway_queries_end_at_the_time_limit_while_simple_ones_are_answered(endpoint: str) -> None:
    outcomes: list[tuple[int, float]] = []

    def runaway() -> None:
        started = time.monotonic()
        status, _ = _get(endpoint, RUNAWAY)
        outcomes.append((status, time.monotonic() - started))

    clients = [threading.Thread(target=runaway) for _ in range(8)]
    for client in clients:
        client.start()
    time.sleep(0.5)
    started = time.monotonic()
    status, body = _get(endpoint, COUNT, "text/csv")
    simple_took = time.monotonic() - started
    for client in clients:
        client.join(timeout=120)
    assert (status, body) == (200, b"n\r\n9\r\n")
    assert simple_took < TIMEOUT_S + 5
    assert [s for s, _ in outcomes] == [503] * 8
    assert max(took for _, took in outcomes) < TIMEOUT_S + 5
    assert _get(endpoint, COUNT, "text/csv") == (200, b"n\r\n9\r\n")  # the replaced servers answer


def test_the_gate_forwards_what_it_checked() -> None:
    decision = check_request("GET", "/sparql", urllib.parse.urlencode({"query": "ASK { <urn:\\u0061> ?p ?o }"}),
                             "", b"")
    assert decision.status == 200 and decision.query == "ASK { <urn:a> ?p ?o }"
    assert check_request("GET", "/elsewhere", "", "", b"").status == 404
    assert check_request("POST", "/sparql", "", "text/plain", b"ASK {}").status == 415


def test_the_query_page_runs_a_named_query_in_a_browser(browser: Any, endpoint: str, data: Path) -> None:
    """The page at / opens with a tab per named query; run from it, contradictions shows the pair."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(endpoint.removesuffix("sparql"))
    wait = WebDriverWait(browser, 60)
    wait.until(lambda driver: driver.execute_script("return !!window.evidencekgQueries"))
    tabs = {tab.text.splitlines()[0]: tab for tab in browser.find_elements(By.CSS_SELECTOR, ".tabsList .tab")}
    assert {"contradictions", "effect-vs-null", "explanations"} <= set(tabs), list(tabs)
    tabs["contradictions"].click()
    button = wait.until(expected_conditions.element_to_be_clickable(
        (By.CSS_SELECTOR, ".tabPanel.active .yasqe_queryButton")))
    button.click()
    local = json.loads(run_cli("query", "contradictions", "--data", str(data), "--format", "json").stdout)
    first = local["results"]["bindings"][0]
    wait.until(lambda driver: first["study2"]["value"] in driver.find_element(
        By.CSS_SELECTOR, ".tabPanel.active .yasr").text)
    shown = browser.find_element(By.CSS_SELECTOR, ".tabPanel.active .yasr").text
    assert first["study1"]["value"] in shown and first["study2"]["value"] in shown
    # Only 127.0.0.1 was asked for anything: the page and YASGUI are served by the endpoint.
    hosts = browser.execute_script("return performance.getEntriesByType('resource').map(e => new URL(e.name).host)")
    assert {host.split(":")[0] for host in hosts} <= {"127.0.0.1"}, hosts

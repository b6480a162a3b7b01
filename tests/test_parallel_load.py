"""Reading records in worker processes gives exactly what reading them in one process gives.

The parallel path is forced by lowering the file threshold and setting ``EVIDENCEKG_WORKERS``;
the pool is real, started with 'fork' and with 'spawn' (the method every platform has).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import evidencekg
from evidencekg.errors import EvidenceKGError, InputError, InputErrors
from evidencekg.rdf.build import to_rdf
from evidencekg.records import parallel, reader
from evidencekg.records.checks import validate_records
from evidencekg.records.reader import DatasetFiles, read_records
from evidencekg.synth import generate

HAS_FORK = sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()
START_METHODS = [pytest.param("fork", marks=pytest.mark.skipif(not HAS_FORK, reason="fork: Linux only")), "spawn"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic") / "data"
    generate(200, 11, root)
    return root


@pytest.fixture()
def broken(synthetic: Path, tmp_path: Path) -> Path:
    """The synthetic dataset with broken files near the start, the middle and the end (so in different chunks)."""
    root = tmp_path / "data"
    shutil.copytree(synthetic, root)
    studies = sorted((root / "studies").iterdir())
    first, middle, last = studies[0], studies[len(studies) // 2], studies[-1]
    first.write_text(first.read_text(encoding="utf-8") + "extra: [unclosed\n", encoding="utf-8")  # YAML syntax
    text = middle.read_text(encoding="utf-8")
    middle.write_text(text.replace("\nyear: ", "\nyear: [1999]\nold_year: ", 1), encoding="utf-8")  # wrong type
    last.write_bytes(last.read_bytes() + b"title2: caf\xe9\n")  # not UTF-8
    (root / "studies" / "notes.txt").write_text("not a record\n", encoding="utf-8")  # a layout error
    return root


@pytest.fixture()
def forced(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], list[int]]]:
    """Make every read parallel with two workers and the given start method; returns the chunk counts seen."""
    seen: list[int] = []
    real = reader.map_chunks

    def counting(work: Any, chunks: Any, workers: int, method: str | None = None) -> Iterator[Any]:
        seen.append(len(chunks))
        assert method == forced_method[0]
        return real(work, chunks, workers, method)

    forced_method: list[str] = []

    def force(method: str) -> list[int]:
        forced_method.append(method)
        monkeypatch.setattr(reader, "PARALLEL_MIN_FILES", {"fork": 1, "spawn": 1})
        monkeypatch.setattr(reader, "map_chunks", counting)
        monkeypatch.setattr(reader, "start_method", lambda: method)
        monkeypatch.setenv(parallel.WORKERS_ENV, "2")
        return seen

    yield force


def _serial(monkeypatch: pytest.MonkeyPatch, root: Path) -> DatasetFiles:
    with monkeypatch.context() as patch:
        patch.setenv(parallel.WORKERS_ENV, "1")
        return read_records(root)


def _errors(errors: Any) -> list[tuple[str, str, str, Any]]:
    return [(str(e), e.rule, e.field, e.location) for e in errors]


def _files(files: DatasetFiles) -> tuple[Any, ...]:
    return (files.root, files.vocabulary, files.studies, files.metadata, _errors(files.errors), files.unread_studies)


def _validated(files: DatasetFiles) -> Any:
    """The Dataset and its triples, or every error in the order reported."""
    try:
        dataset = validate_records(files)
    except InputErrors as exc:
        return _errors(exc.errors)
    built = to_rdf(dataset)
    return dataset, built.triples, built.source_map, built.namespaces


@pytest.mark.parametrize("method", START_METHODS)
@pytest.mark.parametrize("which", ["bundled", "synthetic"])
def test_parallel_read_is_the_serial_read(which: str, method: str, synthetic: Path, forced: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root = evidencekg.bundled_data_dir() if which == "bundled" else synthetic
    serial = _serial(monkeypatch, root)
    chunks = forced(method)
    files = read_records(root)
    assert chunks and chunks[0] > 1, "the parallel path was not taken"
    assert len(files.studies) == len(list((root / "studies").glob("*.yaml"))) == len(serial.studies)
    assert _files(files) == _files(serial)
    dataset, triples, sources, namespaces = _validated(files)
    assert (dataset, triples, sources, namespaces) == _validated(serial)
    assert len(triples) > 20 * len(dataset.studies)


@pytest.mark.parametrize("method", START_METHODS)
def test_broken_files_give_the_same_errors_in_one_pass(broken: Path, method: str, forced: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    serial = _serial(monkeypatch, broken)
    forced(method)
    files = read_records(broken)
    assert _files(files) == _files(serial)
    assert files.unread_studies == 2  # the syntax error and the file that is not UTF-8
    reported = _validated(files)
    assert reported == _validated(serial)
    shown = [text for text, *_ in reported]
    assert any(": YAML syntax error:" in text and text.startswith(f"data/studies/{_name(broken, 0)}:")
               for text in shown)
    assert any(text.startswith(f"data/studies/{_name(broken, -1)}:") and "not valid UTF-8" in text for text in shown)
    wrong = [text for text in shown if text.startswith(f"data/studies/{_name(broken, 100)}:")]
    assert any(": year: " in text for text in wrong) and any("old_year" in text for text in wrong)
    assert all(location.line for *_, location in reported if location.path.endswith(".yaml"))
    assert any("notes.txt" in text for text in shown)


def _name(root: Path, index: int) -> str:
    return sorted(p.name for p in (root / "studies").iterdir() if p.suffix == ".yaml")[index]


@pytest.mark.skipif(not HAS_FORK, reason="the failure is planted in the worker by forking this process")
@pytest.mark.parametrize(("failing_at", "first"), [((3, -2), 3), ((-2,), -2), ((3,), 3)])
def test_the_first_exception_in_file_order_is_raised(failing_at: tuple[int, ...], first: int, synthetic: Path,
                                                     forced: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker reads from the start, this process from the end: a failure on either side, or both."""
    studies = sorted((synthetic / "studies").iterdir())
    targets = {studies[index] for index in failing_at}
    real = reader.read_record

    def failing(path: Path, shown: str | None = None) -> reader.Record:
        if path in targets:
            raise RuntimeError(f"cannot parse {path.name}")
        return real(path, shown)

    monkeypatch.setattr(reader, "read_record", failing)
    with pytest.raises(RuntimeError) as serial:
        _serial(monkeypatch, synthetic)
    forced("fork")
    with pytest.raises(RuntimeError) as parallel_run:
        read_records(synthetic)
    assert str(parallel_run.value) == str(serial.value) == f"cannot parse {studies[first].name}"


@pytest.mark.skipif(not HAS_FORK, reason="the failure is planted in the worker by forking this process")
def test_a_worker_that_dies_drops_no_record(synthetic: Path, forced: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = _serial(monkeypatch, synthetic)
    parent = os.getpid()
    real = reader.read_record

    def dying(path: Path, shown: str | None = None) -> reader.Record:
        if os.getpid() != parent:
            os._exit(3)  # as a worker killed by the out-of-memory killer would end
        return real(path, shown)

    monkeypatch.setattr(reader, "read_record", dying)
    forced("fork")
    files = read_records(synthetic)
    assert len(files.studies) == 200
    assert _files(files) == _files(serial)


def _pid(_chunk: object) -> int:
    return os.getpid()


@pytest.mark.parametrize("method", START_METHODS)
def test_chunks_run_in_other_processes_and_come_back_in_order(method: str) -> None:
    chunks = parallel.chunked(list(range(100)), 2)
    assert [item for chunk in chunks for item in chunk] == list(range(100))
    assert len(chunks) == 50
    assert list(parallel.map_chunks(sum, chunks, 2, method)) == [sum(chunk) for chunk in chunks]
    pids = set(parallel.map_chunks(_pid, chunks, 2, method))
    assert len(pids - {os.getpid()}) >= 1


@pytest.mark.skipif(not HAS_FORK, reason="fork: Linux only")
def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert parallel.start_method() in ("spawn", None)
    finally:
        stop.set()
        thread.join()


def test_workers_knob(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    assert parallel.worker_count() == 1
    assert list(parallel.map_chunks(_pid, [[1], [2], [3]], 1)) == [os.getpid()] * 3
    monkeypatch.setenv(parallel.WORKERS_ENV, "3")
    assert parallel.worker_count() == 3
    monkeypatch.delenv(parallel.WORKERS_ENV)
    assert 1 <= parallel.worker_count() <= parallel.DEFAULT_MAX_WORKERS
    for wrong in ("0", "-2", "two", "1.5"):
        monkeypatch.setenv(parallel.WORKERS_ENV, wrong)
        with pytest.raises(EvidenceKGError, match=parallel.WORKERS_ENV):
            parallel.worker_count()


def test_small_datasets_are_read_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(reader, "map_chunks", lambda *args: calls.append(1))
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    files = read_records(evidencekg.bundled_data_dir())
    assert files.studies and not files.errors and not calls
    assert len(files.studies) < min(reader.PARALLEL_MIN_FILES.values())


@pytest.mark.parametrize(("script", "safe"), [
    ("import evidencekg\nevidencekg.build_graph('data')\n", False),
    ("import evidencekg\n\nif __name__ == '__main__':\n    evidencekg.build_graph('data')\n", True),
    (None, False),  # a script read from stdin: nothing to run again
])
def test_spawn_only_where_the_main_script_is_guarded(script: str | None, safe: bool, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    main = types.ModuleType("__main__")
    main.__file__ = str(tmp_path / "build.py") if script is not None else "<stdin>"
    if script is not None:
        (tmp_path / "build.py").write_text(script, encoding="utf-8")
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert parallel._main_reruns_safely() is safe
    monkeypatch.setattr(main, "__file__", None)
    assert parallel._main_reruns_safely()  # an interactive session, python -c


def test_input_errors_cross_processes_whole(tmp_path: Path, forced: Any) -> None:
    """A worker's InputError arrives with its location, field and rule, not just its text."""
    root = tmp_path / "data"
    shutil.copytree(evidencekg.bundled_data_dir(), root)
    bad = sorted((root / "studies").iterdir())[1]
    bad.write_text("id: x\nid: y\n", encoding="utf-8")
    forced("fork" if HAS_FORK else "spawn")
    files = read_records(root)
    [error] = files.errors
    assert isinstance(error, InputError)
    assert (error.location.path, error.location.line, error.location.column) == (f"data/studies/{bad.name}", 2, 1)
    assert error.rule == "RecordFile-yamlNotAllowed"

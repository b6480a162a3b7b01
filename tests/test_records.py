"""Stage 1: reading YAML records safely, with positions."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from evidencekg.errors import InputError, InputErrors
from evidencekg.records.reader import MAX_RECORD_BYTES, parse_record, read_dataset, read_record

# (case, file content, expected line, a fragment the message must contain)
REFUSED = [
    ("syntax error", b"id: a\ntitle: [unclosed\n", 3, "YAML syntax error"),
    ("duplicate key", b"id: a\ntitle: x\nid: b\n", 3, "duplicate key 'id' (first given on line 1)"),
    ("alias", b"a: &x [1, 2]\nb: *x\n", 1, "anchors and aliases"),
    ("python tag", b"id: !!python/object/apply:os.system ['true']\n", 1, "tags"),
    ("second document", b"id: a\n---\nid: b\n", 2, "more than one YAML document"),
    ("empty", b"", 0, "the file is empty"),
    ("only a comment", b"# nothing\n", 0, "the file is empty"),
    ("not a mapping", b"- a\n- b\n", 1, "must be a YAML mapping"),
    ("not UTF-8", b"id: a\ntitle: caf\xe9\n", 2, "not valid UTF-8"),
    ("deep nesting", b"a: " + b"[" * 200 + b"]" * 200 + b"\n", 1, "nesting deeper than"),
    ("mapping key", b"? [a]\n: b\n", 1, "mapping keys must be plain text"),
]


@pytest.mark.parametrize(("content", "line", "fragment"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_with_file_and_line(tmp_path: Path, content: bytes, line: int, fragment: str) -> None:
    path = tmp_path / "record.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_record(path, "studies/record.yaml")
    error = caught.value
    assert error.location.path == "studies/record.yaml"
    assert error.location.line == line
    assert fragment in str(error)
    assert "\n" not in str(error)


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a: &a ['x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x']"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(9)]
    started = time.perf_counter()
    with pytest.raises(InputError, match="anchors and aliases"):
        parse_record("\n".join(lines), "bomb.yaml")
    assert time.perf_counter() - started < 1.0


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(MAX_RECORD_BYTES + 1)
    with pytest.raises(InputError, match="records are limited to"):
        read_record(path)


def test_yaml_1_2_core_schema_keeps_identifiers_honest() -> None:
    record = parse_record("pmid: 012345\ncountry: NO\nversion: 1.10\nquoted: '012345'\nflag: true\n", "r.yaml")
    # Plain numbers resolve as numbers (so the model can refuse them where text is expected),
    # NO stays text, quoted scalars stay exactly as written.
    assert record.data == {"pmid": 12345, "country": "NO", "version": 1.1, "quoted": "012345", "flag": True}
    assert record.plain_text[("pmid",)] == "012345"
    assert record.plain_text[("version",)] == "1.10"


def test_byte_order_mark_and_crlf_are_accepted() -> None:
    text = "\ufeffid: a\r\ntitle: x\r\nfindings:\r\n  - id: f\r\n".encode().decode("utf-8-sig")
    record = parse_record(text, "r.yaml")
    assert record.data == {"id": "a", "title": "x", "findings": [{"id": "f"}]}
    assert record.locate(("findings", 0, "id")).line == 4


def test_positions_point_at_keys_and_items() -> None:
    record = parse_record("id: a\nfindings:\n  - id: f1\n  - id: f2\n    p_value: 2\n", "r.yaml")
    assert str(record.locate(("findings", 1, "p_value"))) == "r.yaml:5:5"
    assert str(record.locate(("findings", 1))) == "r.yaml:4:5"
    # A key that is absent is located at its nearest enclosing key.
    assert str(record.locate(("findings", 0, "quote"))) == "r.yaml:3:5"


# --- numbers keep their meaning or are refused ----------------------------------------------------


def test_digits_of_other_scripts_are_never_numbers() -> None:
    # Full-width, Arabic-Indic and Devanagari digits: int() and float() accept them all.
    text = "a: \uff12\uff10\uff12\uff10\nb: \u0664\u0660\nc: \u0968.\u0966\nd: 0x\uff11\ne: 1_000\nf: 2020\n"
    record = parse_record(text, "r.yaml")
    assert record.data == {"a": "\uff12\uff10\uff12\uff10", "b": "\u0664\u0660", "c": "\u0968.\u0966",
                           "d": "0x\uff11", "e": "1_000", "f": 2020}
    assert set(record.plain_text) == {("f",)}


@pytest.mark.parametrize(("text", "fragment"), [
    ("p: 1e-400", "the number 1e-400 is too small to store: it would become 0"),
    ("p: -2.5e-999", "too small to store"),
    ("p: 1e400", "the number 1e400 is too large to store: it would become infinity"),
])
def test_a_number_a_float_cannot_hold_is_refused(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment) as caught:
        parse_record("id: a\n" + text + "\n", "r.yaml")
    assert caught.value.location.line == 2


def test_zero_and_small_numbers_keep_their_value() -> None:
    record = parse_record("a: 0e-400\nb: 0.0\nc: 1e-300\nd: -.inf\n", "r.yaml")
    assert record.data == {"a": 0.0, "b": 0.0, "c": 1e-300, "d": float("-inf")}


# --- nothing in a dataset directory is skipped without a word ---------------------------------------


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging (opening a named pipe waits for a writer)."""
    def expired(*_: object) -> None:
        raise AssertionError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_refused_without_being_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    with _deadline(5), pytest.raises(InputError, match=r"a named pipe \(FIFO\), not a record file"):
        read_record(pipe, "studies/pipe.yaml")


def test_a_dangling_link_is_named_as_one(tmp_path: Path) -> None:
    link = tmp_path / "gone.yaml"
    link.symlink_to(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match=r"a symbolic link to .*missing\.yaml', which does not exist"):
        read_record(link)


def _dataset(root: Path) -> Path:
    (root / "studies").mkdir(parents=True)
    (root / "vocabulary.yaml").write_text("populations: []\n", encoding="utf-8")
    (root / "studies" / "a-2020.yaml").write_text("id: a-2020\n", encoding="utf-8")
    return root


def test_every_entry_of_studies_is_read_refused_or_deliberately_ignored(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "data")
    studies = root / "studies"
    (studies / "b-2021.YAML").write_text("id: b-2021\n", encoding="utf-8")
    (studies / "c-2022.Yml").write_text("id: c-2022\n", encoding="utf-8")
    (studies / ".gitkeep").write_text("", encoding="utf-8")
    (studies / ".d-2023.yaml.swp").write_text("", encoding="utf-8")
    (studies / "README.md").write_text("notes\n", encoding="utf-8")
    files = read_dataset(root)
    assert [r.path for r in files.studies] == ["data/studies/a-2020.yaml", "data/studies/b-2021.YAML",
                                              "data/studies/c-2022.Yml"]

    (studies / "notes.txt").write_text("x\n", encoding="utf-8")
    (studies / "old").mkdir()
    (studies / "gone.yml").symlink_to("missing.yml")
    (studies / "folder.yaml").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(studies / "pipe.yaml")
    with _deadline(5), pytest.raises(InputErrors) as caught:
        read_dataset(root)
    messages = {e.location.path: e.message for e in caught.value.errors}
    assert "not a study record" in messages["data/studies/notes.txt"]
    assert "a directory; studies/ holds record files only" in messages["data/studies/old"]
    assert "a symbolic link to 'missing.yml', which does not exist" in messages["data/studies/gone.yml"]
    assert messages["data/studies/folder.yaml"].startswith("a directory, not a record file")
    if hasattr(os, "mkfifo"):
        assert messages["data/studies/pipe.yaml"].startswith("a named pipe (FIFO), not a record file")


@pytest.mark.parametrize(("name", "expected"), [("dataset.yml", "dataset.yaml"), ("Dataset.yaml", "dataset.yaml"),
                                                ("vocabulary.yml", "vocabulary.yaml")])
def test_another_spelling_of_dataset_or_vocabulary_is_refused(tmp_path: Path, name: str, expected: str) -> None:
    root = _dataset(tmp_path / "data")
    if name.startswith("vocabulary"):
        (root / "vocabulary.yaml").rename(root / name)
    else:
        (root / name).write_text("title: x\n", encoding="utf-8")
    with pytest.raises(InputErrors) as caught:
        read_dataset(root)
    assert [(e.location.path, e.message) for e in caught.value.errors] == [
        (f"data/{name}", f"not read: name it {expected} (the only spelling evidencekg reads)")]


def test_a_dangling_dataset_yaml_is_refused_not_skipped(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "data")
    (root / "dataset.yaml").symlink_to("elsewhere.yaml")
    with pytest.raises(InputErrors, match=r"dataset\.yaml: a symbolic link to 'elsewhere\.yaml', which does not exist"):
        read_dataset(root)

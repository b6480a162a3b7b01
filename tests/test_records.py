"""Stage 1: reading YAML records safely, with positions."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from evidencekg.errors import InputError
from evidencekg.records.reader import MAX_RECORD_BYTES, parse_record, read_record

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

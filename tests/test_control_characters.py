"""Control characters from the input never reach the terminal raw: messages and tables show them as escapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import STUDY, edit, make_dataset, run_cli

from evidencekg.errors import printable

RAW = ("\x1b", "\r", "\x07", "\u202e")


def _assert_no_raw_controls(*texts: str) -> None:
    for text in texts:
        for char in RAW:
            assert char not in text, (char, text)


def test_a_title_with_terminal_escapes_is_shown_escaped_in_a_table(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "data", edit(STUDY, "title: A trial", 'title: "A \\x1b[2J\\rtrial\\a\\u202e"'))
    query = tmp_path / "titles.rq"
    query.write_text("PREFIX dcterms: <http://purl.org/dc/terms/>\n"
                     "SELECT ?title WHERE { ?study dcterms:title ?title FILTER(STRSTARTS(?title, 'A ')) }\n",
                     encoding="utf-8")
    result = run_cli("query", str(query), "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert "A \\x1b[2J\\rtrial\\x07\\u202e" in result.stdout
    _assert_no_raw_controls(result.stdout, result.stderr)


@pytest.mark.parametrize("field, value", [
    ("comparator: control", 'comparator: "control\\x1b]0;title\\x07"'),
    ("design: randomized-controlled-trial", 'design: "trial\\r\\u202e"'),
])
def test_a_bad_value_with_control_characters_is_escaped_in_the_error(tmp_path: Path, field: str, value: str) -> None:
    data = make_dataset(tmp_path / "data", edit(STUDY, field, value))
    result = run_cli("validate", str(data))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    _assert_no_raw_controls(result.stdout, result.stderr)


def test_printable_keeps_text_and_line_structure() -> None:
    assert printable("Gómez-Álvarez, 東京\n\t2020") == "Gómez-Álvarez, 東京\n\t2020"
    assert printable("a\x1bb\u2028c") == "a\\x1bb\\u2028c"

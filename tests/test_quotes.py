"""The bundled dataset's quotes are its sources' own words: each is found verbatim in a stored excerpt of its page.

``data/sources/*.yaml`` keeps, for every page a quote was read on, its URL, the title
it shows and the sentences that hold the quotes, nothing more. The check runs offline,
so an edit that paraphrases a quote, or points it at another page, fails here.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import evidencekg
from evidencekg.records.model import Dataset


@dataclass(frozen=True)
class Quote:
    where: str
    text: str
    source: str | None
    kind: str | None


def _quotes(dataset: Dataset) -> Iterator[Quote]:
    for study in dataset.studies:
        for part, items in (("omnibus_tests", study.omnibus_tests), ("findings", study.findings)):
            for item in items:
                if item.quote is not None:
                    yield Quote(f"{study.id}/{part}/{item.id}", item.quote, item.quote_source, item.quote_kind)


def _sources(root: Path) -> dict[str, dict[str, object]]:
    pages: dict[str, dict[str, object]] = {}
    for path in sorted((root / "sources").glob("*.yaml")):
        page = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(page) <= {"url", "title", "kind", "excerpt", "note"}, path.name
        assert page["url"] not in pages, f"{path.name}: a second excerpt of {page['url']}"
        pages[str(page["url"])] = page
    return pages


def quote_problems(root: Path) -> list[str]:
    """Every quote of the dataset at ``root`` that its stored excerpt does not hold word for word."""
    dataset = evidencekg.load_dataset(root)
    pages = _sources(root)
    problems = []
    for quote in _quotes(dataset):
        page = pages.get(quote.source or "")
        if page is None:
            problems.append(f"{quote.where}: no stored excerpt of its quote_source {quote.source}")
        elif not any(quote.text in sentence for sentence in page["excerpt"]):  # type: ignore[attr-defined]
            problems.append(f"{quote.where}: not found word for word in the excerpt of {quote.source}")
    return problems


@pytest.fixture(scope="module")
def bundled() -> Path:
    return evidencekg.bundled_data_dir()


def test_every_quote_is_in_the_excerpt_of_its_page(bundled: Path) -> None:
    assert list(_quotes(evidencekg.load_dataset(bundled))), "the bundled dataset has quotes to check"
    assert quote_problems(bundled) == []


def test_a_paraphrased_quote_fails(bundled: Path, tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(bundled, copy)
    dataset = evidencekg.load_dataset(copy)
    target = next(_quotes(dataset))
    study_id, _, _ = target.where.split("/")
    record = copy / "studies" / f"{study_id}.yaml"
    word = next(w for w in target.text.split() if len(w) > 3 and w.isalpha())
    text = record.read_text(encoding="utf-8")
    assert text.count(target.text) >= 1
    record.write_text(text.replace(target.text, target.text.replace(word, word.upper(), 1), 1), encoding="utf-8")
    assert any(p.startswith(target.where) and "word for word" in p for p in quote_problems(copy))


def test_a_quote_pointed_at_another_page_fails(bundled: Path, tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(bundled, copy)
    target = next(_quotes(evidencekg.load_dataset(copy)))
    record = copy / "studies" / f"{target.where.split('/')[0]}.yaml"
    text = record.read_text(encoding="utf-8")
    line = f'quote_source: "{target.source}"'
    assert line in text
    record.write_text(text.replace(line, 'quote_source: "https://example.org/elsewhere"', 1), encoding="utf-8")
    assert any("no stored excerpt" in p for p in quote_problems(copy))


def test_excerpts_hold_only_sentences_that_quotes_use(bundled: Path) -> None:
    pages = _sources(bundled)
    quotes = list(_quotes(evidencekg.load_dataset(bundled)))
    for url, page in pages.items():
        assert page["title"] and page["excerpt"], url
        for sentence in page["excerpt"]:  # type: ignore[attr-defined]
            assert any(q.source == url and q.text in sentence for q in quotes), f"{url}: unused sentence {sentence!r}"


def test_quotes_from_secondary_pages_say_so(bundled: Path) -> None:
    pages = _sources(bundled)
    for quote in _quotes(evidencekg.load_dataset(bundled)):
        page_kind = pages[quote.source or ""].get("kind", "primary")
        assert (quote.kind or "primary") == page_kind, quote.where

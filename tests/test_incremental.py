"""Incremental re-validation gives a full run's results while building only part of the dataset."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import run_cli_process

import evidencekg
from evidencekg.errors import InputErrors
from evidencekg.pipeline import validate as check_paths
from evidencekg.synth import generate
from evidencekg.validation import CheckedInput

Edit = Callable[[Path], None]


def validate_incremental(root: Path, cache: Path) -> tuple[CheckedInput, Any]:
    checked = evidencekg.validate(root, cache=cache)
    return checked, checked.incremental


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("incremental") / "data"
    generate(60, 11, out)
    return out


def _studies(root: Path) -> list[Path]:
    return sorted((root / "studies").glob("*.yaml"))


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _save(path: Path, record: dict) -> None:
    path.write_text(yaml.safe_dump(record, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _first(root: Path, wanted: Callable[[dict], bool]) -> Path:
    return next(p for p in _studies(root) if wanted(_load(p)))


def flip_a_direction(root: Path) -> None:
    # Two findings of one study on the same outcome and contrast with opposite directions: a violation.
    path = _first(root, lambda r: len(r.get("findings", [])) >= 2)
    record = _load(path)
    first = record["findings"][0]
    twin = {**first, "id": "twin-of-first", "direction": "decrease" if first["direction"] == "increase" else "increase"}
    record["findings"].append(twin)
    _save(path, record)


def include_from_a_primary_study(root: Path) -> None:
    path = _first(
        root, lambda r: r.get("design") not in ("systematic-review", "meta-analysis") and not r.get("includes")
    )
    other = _load(next(p for p in _studies(root) if p != path))
    record = _load(path)
    record["includes"] = [other["id"]]
    _save(path, record)


def make_a_review_cycle(root: Path) -> None:
    path = _first(root, lambda r: bool(r.get("includes")))
    review = _load(path)
    included = next(p for p in _studies(root) if _load(p)["id"] == review["includes"][0])
    record = _load(included)
    record["design"] = review["design"]
    record["includes"] = [review["id"]]
    _save(included, record)


def change_an_outcome(root: Path) -> None:
    vocabulary = _load(root / "vocabulary.yaml")
    outcomes = [t["id"] for t in vocabulary["outcomes"]]
    path = _studies(root)[len(_studies(root)) // 2]
    record = _load(path)
    current = record["findings"][0]["outcome"]
    record["findings"][0]["outcome"] = outcomes[(outcomes.index(current) + 1) % len(outcomes)]
    _save(path, record)


def add_a_study(root: Path) -> None:
    source = _studies(root)[3]
    record = _load(source)
    record["id"] = "zz-new-study"
    record.pop("includes", None)
    record["sample_size"] = 1
    _save(root / "studies" / "zz-new-study.yaml", record)


def remove_an_unincluded_study(root: Path) -> None:
    included = {i for p in _studies(root) for i in _load(p).get("includes") or []}
    _first(root, lambda r: r["id"] not in included).unlink()


EDITS = [flip_a_direction, include_from_a_primary_study, make_a_review_cycle, change_an_outcome, add_a_study,
         remove_an_unincluded_study]


@pytest.mark.parametrize("edit", EDITS, ids=[e.__name__ for e in EDITS])
def test_incremental_results_equal_a_full_run(edit: Edit, pristine: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(pristine, root)
    cache = tmp_path / "cache"
    first, run = validate_incremental(root, cache)
    assert run.full
    assert first.report.results == check_paths([root]).report.results

    edit(root)
    incremental, run = validate_incremental(root, cache)
    full = check_paths([root])
    assert not run.full and run.changed
    assert run.built < run.total, "the change should not need the whole dataset"
    assert incremental.report.results == full.report.results
    assert (incremental.files, incremental.records, incremental.findings) == (full.files, full.records, full.findings)
    assert incremental.file_names == full.file_names

    again, run = validate_incremental(root, cache)
    assert not run.changed and again.report.results == full.report.results


def test_a_change_that_breaks_a_review_is_bad_input_as_in_a_full_run(pristine: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(pristine, root)
    validate_incremental(root, tmp_path / "cache")
    review = _load(_first(root, lambda r: bool(r.get("includes"))))
    included = next(p for p in _studies(root) if _load(p)["id"] == review["includes"][0])
    record = _load(included)
    record["id"] = "renamed-study"
    _save(included, record)
    with pytest.raises(InputErrors) as incremental:
        validate_incremental(root, tmp_path / "cache")
    with pytest.raises(InputErrors) as full:
        evidencekg.build_graph(root)
    assert [str(e) for e in incremental.value.errors] == [str(e) for e in full.value.errors]


def test_vocabulary_change_makes_a_full_run(pristine: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(pristine, root)
    validate_incremental(root, tmp_path / "cache")
    with open(root / "vocabulary.yaml", "a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    _, run = validate_incremental(root, tmp_path / "cache")
    assert run.full


def test_cli_cache_option(pristine: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(pristine, root)
    # Relative paths, as a user in the repository would type them.
    first = run_cli_process("validate", "data", "--cache", "cache", "--format", "json", cwd=tmp_path)
    flip_a_direction(root)
    second = run_cli_process("validate", "data", "--cache", "cache", "--format", "json", cwd=tmp_path)
    full = run_cli_process("validate", "data", "--format", "json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "full validation" in first.stderr
    assert "incremental: 1 changed file" in second.stderr
    assert second.returncode == full.returncode == 1
    assert second.stdout == full.stdout


def test_an_edited_cache_never_turns_a_failure_into_a_pass(pristine: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(pristine, root)
    flip_a_direction(root)  # the planted opposite directions in one study: a violation
    cache = tmp_path / "cache"
    first, _ = validate_incremental(root, cache)
    assert not first.report.conforms
    document = json.loads((cache / "validation.json").read_text(encoding="utf-8"))
    document["results"] = []
    (cache / "validation.json").write_text(json.dumps(document), encoding="utf-8")
    again, run = validate_incremental(root, cache)
    assert run.full, "an edited cache must not be trusted"
    assert again.report.results == first.report.results
    (cache / "validation.json").write_text('{"key": 1, "studies": []}', encoding="utf-8")
    third, run = validate_incremental(root, cache)
    assert run.full and third.report.results == first.report.results

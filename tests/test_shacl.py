"""Stage 5: the shapes are valid SHACL, the bundled data conforms, and each broken fixture fails its rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import evidencekg
from conftest import BROKEN
from evidencekg.cli import main

BROKEN_CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir()) if BROKEN.is_dir() else []


def test_shapes_graph_is_valid_shacl() -> None:
    """Validate the shapes against the W3C SHACL-for-SHACL shapes that pySHACL ships."""
    import pyshacl
    from pyshacl.shapes_graph import ShapesGraph  # noqa: F401 - only to be sure pySHACL is importable

    conforms, _, text = pyshacl.validate(evidencekg.load_shapes(), meta_shacl=True, inference="none")
    assert conforms, text


def test_bundled_data_conforms(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    report = evidencekg.check(bundled_kg)
    assert report.conforms, "\n".join(str(r) for r in report.violations)


def test_second_dataset_conforms(second_kg: evidencekg.KnowledgeGraph) -> None:
    report = evidencekg.check(second_kg)
    assert report.conforms, "\n".join(str(r) for r in report.violations)


def test_results_are_sorted_and_traced(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    report = evidencekg.check(bundled_kg)
    assert list(report.results) == sorted(report.results, key=lambda r: r.sort_key())
    assert all(r.origin is not None and r.origin.location.line > 0 for r in report.results)


def test_broken_cases_exist() -> None:
    assert len(BROKEN_CASES) >= 10


@pytest.mark.parametrize("case", BROKEN_CASES)
def test_each_broken_fixture_violates_its_rule(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = BROKEN / case
    expected = yaml.safe_load((root / "expected.yaml").read_text(encoding="utf-8"))
    report = evidencekg.check(evidencekg.build_graph(root))
    assert not report.conforms
    shapes = {r.source_shape.removeprefix("ekgsh:") for r in report.violations}
    assert shapes == {expected["shape"]}, [str(r) for r in report.violations]
    where = {(r.origin.location.path, r.origin.location.line) for r in report.violations if r.origin}
    assert (f"{case}/{expected['file']}", expected["line"]) in where

    assert main(["validate", "--data", str(root)]) == 1
    out = capsys.readouterr().out
    assert f"{case}/{expected['file']}:{expected['line']}:" in out
    assert expected["shape"] in out


def test_user_shapes_are_added_to_ours(tmp_path: Path, bundled_kg: evidencekg.KnowledgeGraph) -> None:
    extra = tmp_path / "mine.ttl"
    extra.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ekg: <https://w3id.org/evidencekg/ontology#> .\n"
        "<urn:x:NeedsTimepoint> a sh:NodeShape ; sh:targetClass ekg:Finding ;\n"
        "  sh:property [ sh:path ekg:timepoint ; sh:minCount 1 ; sh:message \"every finding needs a timepoint\" ] .\n",
        encoding="utf-8",
    )
    report = evidencekg.validate(bundled_kg.asserted, bundled_kg.inferred, shapes=evidencekg.load_shapes([extra]))
    untimed = sum(1 for s in bundled_kg.dataset.studies for f in s.findings if f.timepoint is None)
    assert sum(1 for r in report.violations if r.message == "every finding needs a timepoint") == untimed

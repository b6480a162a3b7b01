"""The synthetic dataset generator: deterministic, valid, and its planted disagreements are exactly what is derived."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rdflib import RDF

import evidencekg
from evidencekg.namespaces import EKG
from evidencekg.synth import BASE_IRI, PLANTED_FILE, SynthManifest, generate, planted_pairs

Built = tuple[SynthManifest, evidencekg.KnowledgeGraph]

# The bundled pipeline (rdflib + owlrl) takes ~10-20 s for these sizes: keep them small.
PIPELINE_CASES = [(60, 1), (80, 2)]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _path(node: object) -> str:
    text = str(node)
    assert text.startswith(BASE_IRI + "study/"), text
    return text[len(BASE_IRI + "study/"):]


def _derived(kg: evidencekg.KnowledgeGraph) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(opposite-direction pairs, (effect, null) pairs) in the derived graph."""
    graph = kg.derived
    opposite: set[tuple[str, str]] = set()
    effect_null: set[tuple[str, str]] = set()
    for relation in graph.subjects(RDF.type, EKG.Disagreement):
        kinds = set(graph.objects(relation, EKG.relationKind))
        findings = sorted(_path(f) for f in graph.objects(relation, EKG.relatesFinding))
        assert len(findings) == 2
        if EKG.OppositeDirections in kinds:
            opposite.add((findings[0], findings[1]))
        if EKG.EffectVersusNull in kinds:
            effect = _path(graph.value(relation, EKG.effectFinding))
            effect_null.add((effect, _path(graph.value(relation, EKG.nullFinding))))
    return opposite, effect_null


def _planted(directory: Path) -> dict:
    return json.loads((directory / PLANTED_FILE).read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=PIPELINE_CASES, ids=lambda case: f"{case[0]}-studies-seed-{case[1]}")
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    studies, seed = request.param
    manifest = generate(studies, seed, tmp_path_factory.mktemp("synth") / "dataset")
    return manifest, evidencekg.build_graph(manifest.out_dir)


# --- determinism ------------------------------------------------------------------------------


def test_the_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    first = generate(45, 11, tmp_path / "a")
    second = generate(45, 11, tmp_path / "b")
    assert first.files == len(_tree(tmp_path / "a")) == 45 + 3
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert first.opposite_directions == second.opposite_directions and first.effect_vs_null == second.effect_vs_null
    assert _tree(generate(45, 12, tmp_path / "c").out_dir) != _tree(tmp_path / "a")


def test_regenerating_replaces_an_earlier_output_as_a_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(30, 1, out)
    generate(12, 1, out)
    assert len(list((out / "studies").iterdir())) == 12
    assert _tree(out) == _tree(generate(12, 1, tmp_path / "fresh").out_dir)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging directory is left behind"


def test_a_directory_that_is_not_a_synthetic_dataset_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError):
        generate(5, 1, tmp_path)
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("studies", [0, -3, True, 2.5])
def test_the_number_of_studies_is_a_positive_whole_number(studies: object, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(studies, 1, tmp_path / "x")  # type: ignore[arg-type]


def test_the_yaml_is_what_yaml_safe_dump_writes(tmp_path: Path) -> None:
    manifest = generate(25, 4, tmp_path / "d")
    for path in sorted(manifest.out_dir.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        header, _, body = text.partition("\n")
        assert header.startswith("# SYNTHETIC")
        assert yaml.safe_dump(yaml.safe_load(body), sort_keys=False, allow_unicode=True, width=120) == body


# --- shape ------------------------------------------------------------------------------------


@pytest.mark.parametrize("studies", [1, 7, 60, 333])
def test_counts_match_the_manifest_and_planted_json(studies: int, tmp_path: Path) -> None:
    manifest = generate(studies, 5, tmp_path / "d")
    dataset = evidencekg.load_dataset(manifest.out_dir)
    counts = dataset.counts()
    assert counts == {"studies": studies, "groups": manifest.groups, "interventions": manifest.interventions,
                      "findings": manifest.findings, "terms": manifest.terms}
    planted = _planted(manifest.out_dir)
    assert planted["studies"] == studies and planted["seed"] == 5
    assert {k: planted["counts"][k] for k in counts} == counts
    for kind in ("opposite_directions", "effect_vs_null"):
        assert planted["counts"][kind] == len(planted[kind]) == len(getattr(manifest, kind))
    assert planted["counts"]["disagreements"] == manifest.disagreements
    assert planted["opposite_directions"] == sorted(planted["opposite_directions"])
    assert planted["effect_vs_null"] == sorted(planted["effect_vs_null"])
    assert all(a < b for a, b in planted["opposite_directions"])
    assert dict(manifest.designs) == planted["designs"] == dict(Counter(s.design for s in dataset.studies))


def test_the_records_look_like_a_literature(tmp_path: Path) -> None:
    manifest = generate(1000, 3, tmp_path / "d")
    dataset = evidencekg.load_dataset(manifest.out_dir)
    designs = Counter(s.design for s in dataset.studies)
    reviews = designs["systematic-review"] + designs["meta-analysis"]
    assert reviews == 30
    assert designs["case-control"] > designs["randomized-controlled-trial"] > designs["non-randomized-trial"]
    assert designs["cross-sectional"] > 150 and designs["cohort"] > 150
    assert designs["case-report"] + designs["case-series"] > 100
    assert 2.7 <= manifest.findings / 1000 <= 3.5
    assert "synthetic" in (dataset.metadata.description or "").lower()
    ids = {s.id for s in dataset.studies}
    terms = dataset.terms()
    for study in dataset.studies:
        assert re.fullmatch(r"s\d{6}-(19|20)\d\d", study.id) and study.id.endswith(str(study.year))
        assert study.citation_verified is False and study.doi is None and study.pmid is None
        assert study.title and study.title.startswith("SYNTHETIC")
        sizes = [g.size for g in study.groups if g.size is not None]
        assert study.sample_size is not None and sum(sizes) <= study.sample_size
        if study.design in ("systematic-review", "meta-analysis"):
            assert study.includes and set(study.includes) <= ids and study.id not in study.includes
            assert study.included_study_count is not None and study.included_study_count >= len(study.includes)
            assert all(int(i.rsplit("-", 1)[1]) <= study.year for i in study.includes)
        else:
            assert not study.includes
        for si in study.interventions:
            assert si.dose or si.intervention == "placebo" or si.intervention == "usual-care" or \
                study.design in ("systematic-review", "meta-analysis")
        keys = set()
        for finding in study.findings:
            assert finding.quote and finding.quote.startswith("SYNTHETIC")
            assert (finding.comparator is None) != (finding.exposure is None)
            if finding.significant is True:
                assert finding.p_value == "<0.001" or finding.p_value < 0.05
            elif finding.significant is False:
                assert finding.p_value is None or finding.p_value == ">0.05" or finding.p_value >= 0.05
            else:
                assert finding.p_value is None
            key = (finding.outcome, finding.group, finding.comparator, finding.intervention, finding.exposure,
                   finding.timepoint)
            assert key not in keys, "one statement per outcome and contrast in a study"
            keys.add(key)

    def depth(term: str) -> int:
        broader = terms[term][1].broader
        return 1 + (depth(broader[0]) if broader else 0)

    for kind in ("populations", "conditions", "outcomes", "interventions"):
        assert max(depth(t.id) for t in getattr(dataset.vocabulary, kind)) in (3, 4), kind
    assert max(depth(t.id) for t in dataset.vocabulary.outcomes) == 4
    assert max(depth(t.id) for t in dataset.vocabulary.interventions) == 4


def test_every_kind_of_disagreement_and_trap_is_planted(tmp_path: Path) -> None:
    for seed in (1, 2, 3):
        planted = _planted(generate(300, seed, tmp_path / f"d{seed}").out_dir)
        counts = planted["counts"]
        assert counts["opposite_directions"] > 20 and counts["effect_vs_null"] > 20
        # A significant change against a non-significant opposite one is both kinds at once.
        opposite = {tuple(p) for p in planted["opposite_directions"]}
        assert {tuple(sorted(p)) for p in planted["effect_vs_null"]} & opposite
        for category in ("same-study", "sibling-outcomes", "different-contrast-kinds", "sibling-interventions",
                         "unrelated-exposures", "unrelated-conditions", "comparator-has-condition"):
            assert counts["traps"][category] > 0, (seed, category)
        disagreeing = opposite | {tuple(sorted(p)) for p in planted["effect_vs_null"]}
        for pairs in planted["traps"].values():
            assert not disagreeing & {tuple(p) for p in pairs}


def test_generation_scales(tmp_path: Path) -> None:
    import time

    start = time.perf_counter()
    manifest = generate(3000, 9, tmp_path / "big")
    assert time.perf_counter() - start < 20
    assert (manifest.out_dir / "vocabulary.yaml").stat().st_size < 1024 * 1024
    assert manifest.findings > 8000


# --- the pipeline derives exactly what was planted ---------------------------------------------


def test_the_generated_dataset_conforms(built: Built) -> None:
    manifest, kg = built
    report = evidencekg.validate(kg).report
    assert report.conforms, [str(v) for v in report.violations[:5]]
    assert not report.warnings, [str(w) for w in report.warnings[:5]]
    counts = kg.counts()
    assert (counts["studies_out"], counts["findings_out"], counts["groups_out"]) == (
        manifest.studies, manifest.findings, manifest.groups)


def test_the_derived_disagreements_are_exactly_the_planted_ones(built: Built) -> None:
    manifest, kg = built
    planted = _planted(manifest.out_dir)
    opposite, effect_null = _derived(kg)
    expected_opposite, expected_effect_null = planted_pairs(manifest.out_dir / PLANTED_FILE)
    assert expected_opposite == set(manifest.opposite_directions)
    assert expected_effect_null == set(manifest.effect_vs_null)
    assert expected_opposite and expected_effect_null
    assert sorted(expected_opposite - opposite) == [], "missed opposite-direction disagreements"
    assert sorted(opposite - expected_opposite) == [], "false opposite-direction disagreements"
    assert sorted(expected_effect_null - effect_null) == [], "missed effect-vs-null disagreements"
    assert sorted(effect_null - expected_effect_null) == [], "false effect-vs-null disagreements"
    relations = sum(1 for _ in kg.derived.subjects(RDF.type, EKG.EvidenceRelation))
    agreements = sum(1 for _ in kg.derived.subjects(RDF.type, EKG.Agreement))
    assert (relations, agreements) == (manifest.comparable_pairs, manifest.agreements)
    for pairs in planted["traps"].values():
        for a, b in pairs:
            assert (a, b) not in opposite and (a, b) not in effect_null and (b, a) not in effect_null

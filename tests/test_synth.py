"""The synthetic dataset generator: deterministic, valid, and its planted disagreements are exactly what is derived."""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from helpers import run_cli
from rdflib import RDF

import evidencekg
from evidencekg.namespaces import EKG
from evidencekg.synth import BASE_IRI, PLANTED_FILE, SynthManifest, generate, planted_pairs
from evidencekg.synth.hot import MAX_HOT_EXAMPLES

Built = tuple[SynthManifest, evidencekg.KnowledgeGraph]

# The bundled pipeline (rdflib + owlrl) takes ~10-20 s for these sizes: keep them small.
# (studies, seed, hot question studies); the last one's other 20 studies have both kinds of disagreement.
PIPELINE_CASES = [(60, 1, 0), (80, 2, 0), (20, 1, 30)]


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


HotFinding = tuple[str, str, str, bool | None]
"""(study id, intervention term, direction, significant)"""


def _hot_findings(directory: Path, outcome: str) -> dict[str, HotFinding]:
    """The findings on the hot question's outcome, by path, read from the records (not from planted.json)."""
    found: dict[str, HotFinding] = {}
    for study in evidencekg.load_dataset(directory).studies:
        terms = {si.id: si.intervention for si in study.interventions}
        for f in study.findings:
            if f.outcome == outcome:
                found[f"{study.id}/finding/{f.id}"] = (study.id, terms.get(f.intervention or "", ""), f.direction,
                                                       f.significant)
    return found


def _is_effect(direction: str, significant: bool | None) -> bool:
    return direction != "no-change" and significant is not False


@pytest.fixture(scope="module", params=PIPELINE_CASES,
                ids=lambda case: f"{case[0]}-studies-seed-{case[1]}" + (f"-hot-{case[2]}" if case[2] else ""))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    studies, seed, hot = request.param
    manifest = generate(studies, seed, tmp_path_factory.mktemp("synth") / "dataset", hot_question=hot)
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
    all_opposite, all_effect_null = _derived(kg)
    hot_question = planted["hot_question"]
    hot = set(_hot_findings(manifest.out_dir, hot_question["outcome"])) if hot_question else set()
    assert bool(hot) == (manifest.hot_question is not None)
    # Pairs of the hot question are only counted in planted.json; every other pair is listed.
    opposite = {p for p in all_opposite if not hot & set(p)}
    effect_null = {p for p in all_effect_null if not hot & set(p)}
    hot_opposite = all_opposite - opposite
    hot_effect_null = all_effect_null - effect_null
    assert all(set(p) <= hot for p in hot_opposite | hot_effect_null), "a hot finding disagrees with another question"

    expected_opposite, expected_effect_null = planted_pairs(manifest.out_dir / PLANTED_FILE)
    assert expected_opposite == set(manifest.opposite_directions)
    assert expected_effect_null == set(manifest.effect_vs_null)
    assert expected_opposite and expected_effect_null
    assert sorted(expected_opposite - opposite) == [], "missed opposite-direction disagreements"
    assert sorted(opposite - expected_opposite) == [], "false opposite-direction disagreements"
    assert sorted(expected_effect_null - effect_null) == [], "missed effect-vs-null disagreements"
    assert sorted(effect_null - expected_effect_null) == [], "false effect-vs-null disagreements"
    if hot_question:
        counts = hot_question["counts"]
        assert counts["opposite_directions"] > 0
        assert (len(hot_opposite), len(hot_effect_null)) == (counts["opposite_directions"], counts["effect_vs_null"])
        assert len(hot_opposite | {tuple(sorted(p)) for p in hot_effect_null}) == counts["disagreements"]
        assert {tuple(p) for p in hot_question["opposite_directions"]} <= hot_opposite
        assert {tuple(p) for p in hot_question["effect_vs_null"]} <= hot_effect_null
    else:
        assert not hot_opposite and not hot_effect_null
    # One node per disagreeing pair; agreements are not derived, but paired on demand by the agreements query.
    disagreements = sum(1 for _ in kg.derived.subjects(RDF.type, EKG.Disagreement))
    assert disagreements == planted["counts"]["disagreements"] == manifest.disagreements
    assert not set(kg.derived.subjects(RDF.type, EKG.Agreement))
    agreements = {(str(row["first"]), str(row["second"])) for row in kg.query("agreements").records()}
    assert len(agreements) == planted["counts"]["agreements"] == kg.counts()["agreements"]
    assert not agreements & {tuple(sorted(str(f) for f in kg.derived.objects(r, EKG.relatesFinding)))
                             for r in kg.derived.subjects(RDF.type, EKG.Disagreement)}
    for pairs in planted["traps"].values():
        for a, b in pairs:
            assert (a, b) not in all_opposite and (a, b) not in all_effect_null and (b, a) not in all_effect_null


# --- the hot question ---------------------------------------------------------------------------


def test_the_hot_question_counts_are_those_of_its_records(tmp_path: Path) -> None:
    """Every pair of hot findings of two studies, classified one by one from the records, against the counts."""
    manifest = generate(20, 3, tmp_path / "d", hot_question=30)
    planted = _planted(manifest.out_dir)
    hot = planted["hot_question"]
    findings = _hot_findings(manifest.out_dir, hot["outcome"])
    assert len(findings) == hot["findings"] and {term for _, term, _, _ in findings.values()} == {hot["intervention"]}
    studies = {study for study, _, _, _ in findings.values()}
    assert len(studies) == hot["studies"] == 30
    sides = {study: direction for study, _, direction, _ in findings.values()}
    assert all(sides[study] == direction for study, _, direction, _ in findings.values()), "one direction a study"
    assert Counter(sides.values()) == {"increase": 15, "decrease": 15}
    assert {side: v["studies"] for side, v in hot["sides"].items()} == {"increase": 15, "decrease": 15}
    assert all(significant is not False for _, _, _, significant in findings.values())

    counted = Counter()
    opposite_pairs, effect_null_pairs = set(), set()
    paths = sorted(findings)
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            (sa, _, da, ga), (sb, _, db, gb) = findings[a], findings[b]
            if sa == sb:
                continue
            counted["comparable_pairs"] += 1
            opposite = {da, db} == {"increase", "decrease"}
            effect_null = _is_effect(da, ga) != _is_effect(db, gb)
            counted["opposite_directions"] += opposite
            counted["effect_vs_null"] += effect_null
            counted["disagreements"] += opposite or effect_null
            counted["agreements"] += da == db != "no-change" and ga is not False and gb is not False
            if opposite:
                opposite_pairs.add((a, b))
            if effect_null:
                effect_null_pairs.add((a, b) if _is_effect(da, ga) else (b, a))
    assert hot["counts"] == dict(counted)
    assert {tuple(p) for p in hot["opposite_directions"]} == opposite_pairs  # fewer than the cap: all of them
    assert {tuple(p) for p in hot["effect_vs_null"]} == effect_null_pairs
    # The whole dataset's counts add the hot question's to the listed pairs.
    counts = planted["counts"]
    assert counts["opposite_directions"] == len(planted["opposite_directions"]) + counted["opposite_directions"]
    assert counts["effect_vs_null"] == len(planted["effect_vs_null"]) + counted["effect_vs_null"]
    assert counts["studies"] == manifest.studies == 50 and manifest.files == 53
    assert manifest.opposite_direction_count == counts["opposite_directions"]
    assert manifest.disagreements == counts["disagreements"]


def test_the_two_sides_of_the_hot_question_differ(tmp_path: Path) -> None:
    manifest = generate(5, 8, tmp_path / "d", hot_question=400)
    hot = _planted(manifest.out_dir)["hot_question"]
    dataset = evidencekg.load_dataset(manifest.out_dir)
    side: dict[str, str] = {}
    for study in dataset.studies:
        directions = {f.direction for f in study.findings if f.outcome == hot["outcome"]}
        if directions:
            assert len(directions) == 1
            side[study.id] = directions.pop()
    on = [s for s in dataset.studies if s.id in side]
    assert len(on) == 400

    def share(direction: str, test: object) -> float:
        of_side = [s for s in on if side[s.id] == direction]
        return sum(1 for s in of_side if test(s)) / len(of_side)  # type: ignore[operator]

    def rct(s: object) -> bool:
        return s.design == "randomized-controlled-trial"  # type: ignore[attr-defined]

    assert share("increase", rct) > share("decrease", rct) + 0.2
    sizes = {d: sorted(s.sample_size for s in on if side[s.id] == d and s.design == "randomized-controlled-trial")
             for d in ("increase", "decrease")}
    assert sizes["increase"][len(sizes["increase"]) // 2] > 2 * sizes["decrease"][len(sizes["decrease"]) // 2]
    populations = {d: Counter(g.population for s in on if side[s.id] == d for g in s.groups).most_common(1)[0][0]
                   for d in ("increase", "decrease")}
    assert populations["increase"] != populations["decrease"]
    reviews = [s for s in on if s.design in ("systematic-review", "meta-analysis")]
    assert reviews and all(set(s.includes) <= set(side) for s in reviews)
    assert len({s.design for s in on}) == 6


def test_the_hot_question_is_deterministic_and_leaves_the_other_studies_alone(tmp_path: Path) -> None:
    generate(20, 3, tmp_path / "a", hot_question=30)
    generate(20, 3, tmp_path / "b", hot_question=30)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert _tree(generate(20, 4, tmp_path / "c", hot_question=30).out_dir) != _tree(tmp_path / "a")
    plain = _tree(generate(20, 3, tmp_path / "plain").out_dir)
    with_hot = _tree(tmp_path / "a")
    plain_studies = {k: v for k, v in plain.items() if k.startswith("studies/")}
    assert len(plain_studies) == 20
    assert {k: with_hot[k] for k in plain_studies} == plain_studies
    assert len([k for k in with_hot if k.startswith("studies/")]) == 50
    assert _planted(tmp_path / "plain")["hot_question"] is None


@pytest.mark.parametrize("hot_question", [1, -2, True, 2.0])
def test_the_hot_question_needs_two_studies(hot_question: object, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(5, 1, tmp_path / "x", hot_question=hot_question)  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()


def test_a_large_hot_question_is_counted_not_listed(tmp_path: Path) -> None:
    start = time.perf_counter()
    manifest = generate(20, 1, tmp_path / "big", hot_question=2000)
    seconds = time.perf_counter() - start
    assert seconds < 20, seconds
    planted_file = manifest.out_dir / PLANTED_FILE
    plain = generate(20, 1, tmp_path / "plain").out_dir / PLANTED_FILE
    # The hot question adds at most the examples (~100 bytes a pair) and a few lines, not its ~10^6 pairs.
    assert planted_file.stat().st_size - plain.stat().st_size < 2 * MAX_HOT_EXAMPLES * 110 + 2000
    hot = _planted(manifest.out_dir)["hot_question"]
    sides = hot["sides"]
    assert sides["increase"]["studies"] == sides["decrease"]["studies"] == 1000
    # Each study reports one direction, so every increase and every decrease make an opposite pair.
    assert hot["counts"]["opposite_directions"] == sides["increase"]["findings"] * sides["decrease"]["findings"]
    assert hot["counts"]["opposite_directions"] > 10**6
    n = hot["findings"]
    assert hot["counts"]["agreements"] + hot["counts"]["opposite_directions"] == hot["counts"]["comparable_pairs"]
    assert hot["counts"]["comparable_pairs"] > math.comb(n, 2) - 2 * n  # only pairs inside one study are left out
    examples = hot["opposite_directions"]
    assert len(examples) == MAX_HOT_EXAMPLES and examples == sorted(examples) and all(a < b for a, b in examples)
    assert len({a.split("/")[0] for a, _ in examples}) > 100, "examples spread over the question, not one study's"
    assert manifest.files == len(list((manifest.out_dir / "studies").iterdir())) + 3 == 2023


def test_the_command_line_takes_a_hot_question(tmp_path: Path) -> None:
    completed = run_cli("synth", "--studies", "6", "--hot-question", "8", "--seed", "2", "--out", str(tmp_path / "d"))
    assert completed.returncode == 0, completed.stderr
    assert "of the hot question" in completed.stderr
    assert _planted(tmp_path / "d")["hot_question"]["studies"] == 8
    assert _tree(tmp_path / "d") == _tree(generate(6, 2, tmp_path / "e", hot_question=8).out_dir)
    refused = run_cli("synth", "--studies", "6", "--hot-question", "1", "--out", str(tmp_path / "f"))
    assert refused.returncode == 2 and "at least 2" in refused.stderr


def test_disagreement_in_aggregate_gives_a_hot_question_one_row(built: Built) -> None:
    """disagreeing-positions counts every disagreeing pair under its positions; a hot question is one row."""
    manifest, kg = built
    rows = kg.query("disagreeing-positions").records()
    disagreements = sum(1 for _ in kg.derived.subjects(RDF.type, EKG.Disagreement))
    assert sum(int(str(row["pairs"])) for row in rows) >= disagreements > 0
    hot = _planted(manifest.out_dir)["hot_question"]
    if hot is None:
        return
    sides = {(int(str(row["studies1"])), int(str(row["studies2"]))): int(str(row["pairs"])) for row in rows}
    by_side = (hot["sides"]["decrease"]["studies"], hot["sides"]["increase"]["studies"])
    assert sides.get(by_side, sides.get(by_side[::-1])) == hot["counts"]["opposite_directions"]


def test_contradictions_in_aggregate_give_a_hot_question_one_block(built: Built) -> None:
    """One contradiction per pair of positions: its pairs add up to the pairwise query's rows, and the hot
    question's block has the planted studies on each side and names design among what separates them
    exactly when the planted designs of the two sides are that far apart."""
    from evidencekg.analysis.contradictions import SEPARATION_SHOWN, contradicting_positions

    manifest, kg = built
    found = contradicting_positions(kg)
    assert sum(c.pairs for c in found) == len(kg.query("contradictions"))
    for contradiction in found:
        for side in contradiction.sides:
            strengths = [(s.level_rank is None, s.level_rank or 0, -(s.sample_size or 0)) for s in side.strongest]
            assert strengths == sorted(strengths) and len(side.strongest) == min(3, side.studies)
    hot = _planted(manifest.out_dir)["hot_question"]
    if hot is None:
        return
    block = next(c for c in found if c.pairs == hot["counts"]["opposite_directions"])
    assert block is found[0], "the block with the most studies comes first"
    assert {side.direction: side.studies for side in block.sides} == {
        direction: side["studies"] for direction, side in hot["sides"].items()}
    designs = [Counter(hot["designs"][side.direction]) for side in block.sides]
    shares = [{design: count / sum(c.values()) for design, count in c.items()} for c in designs]
    distance = sum(abs(shares[0].get(d, 0) - shares[1].get(d, 0)) for d in designs[0].keys() | designs[1].keys()) / 2
    separating = {s.facet: s.strength for s in block.separating}
    assert ("design" in separating) == (distance >= SEPARATION_SHOWN)
    if "design" in separating:
        assert separating["design"] == round(distance, 2)

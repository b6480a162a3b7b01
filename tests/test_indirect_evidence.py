"""Tests across more than two groups, assumed values and secondary quotes: recorded, carried, checked, shown, weighed.

A small dataset made here holds each case: a three-arm trial whose arm-versus-placebo
findings are read from tests across the three groups, a trial whose null finding rests
on an assumed outcome and quotes a secondary page, and a trial whose significant
effect is its own.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import edit, run_cli
from rdflib import Literal, URIRef

import evidencekg
from evidencekg.analysis import evidence_summary
from evidencekg.namespaces import EKG
from evidencekg.outputs.report import write_report

BASE = "https://example.org/evidencekg-test/"

VOCABULARY = """\
populations:
  - {id: people, label: people}
conditions:
  - {id: insomnia, label: insomnia}
outcomes:
  - {id: sleep-score, label: sleep score}
interventions:
  - {id: drug, label: drug}
  - {id: placebo, label: placebo}
"""

DATASET = f'title: "SYNTHETIC TEST DATA"\nbase_iri: "{BASE}"\n'

def _arm(group: str, label: str, role: str = "intervention", received: str = "drug") -> str:
    return (f"  - {{id: {group}, label: {label}, population: people, condition: insomnia, role: {role}, "
            f"interventions: [{received}]}}\n")


def _trial(header: str, groups: str, rest: str) -> str:
    """A randomized trial of the drug against placebo in insomnia: its own lines, the shared ones around them."""
    return (f"{header}citation_verified: false\ndesign: randomized-controlled-trial\ngroups:\n{groups}"
            "interventions:\n  - {id: drug, intervention: drug}\n  - {id: placebo, intervention: placebo}\n" + rest)


THREE_ARMS = _trial("id: three-arms-2020\nauthors: [Arm A]\nyear: 2020\nsample_size: 90\n",
                    _arm("low", "Low dose arm") + _arm("high", "High dose arm") + _arm("sham", "Placebo arm",
                                                                                       "placebo", "placebo"), """\
omnibus_tests:
  - id: arms-differ
    outcome: sleep-score
    groups: [low, high, sham]
    method: ANOVA
    significant: true
    p_value: 0.002
    quote: "SYNTHETIC: the sleep score differed across the three arms (P = 0.002)."
findings:
  - id: low-vs-sham
    outcome: sleep-score
    group: low
    comparator: sham
    intervention: drug
    direction: decrease
    from_test: arms-differ
""")

ASSUMED_NULL = _trial("id: assumed-null-2021\nauthors: [Null N]\nyear: 2021\nsample_size: 40\n", """\
  - id: treated
    label: Treated arm
    population: people
    condition: insomnia
    role: intervention
    interventions: [drug]
    assumed:
      condition: "SYNTHETIC: the summary does not say which patients were enrolled"
""" + _arm("control", "Control arm", "placebo", "placebo"), """\
findings:
  - id: no-effect
    outcome: sleep-score
    group: treated
    comparator: control
    intervention: drug
    direction: no-change
    significant: false
    quote: "SYNTHETIC: the trial found no effect."
    quote_source: "https://example.org/summary"
    quote_kind: secondary
    assumed:
      outcome: "SYNTHETIC: the summary does not name the measure"
""")

OWN_EFFECT = _trial("id: own-effect-2022\nauthors: [Own O]\nyear: 2022\nsample_size: 50\n",
                    _arm("treated", "Treated") + _arm("control", "Control", "placebo", "placebo"), """\
findings:
  - id: effect
    outcome: sleep-score
    group: treated
    comparator: control
    intervention: drug
    direction: decrease
    significant: true
    p_value: 0.01
""")


def _dataset(root: Path, three_arms: str = THREE_ARMS, assumed_null: str = ASSUMED_NULL,
             own_effect: str = OWN_EFFECT) -> Path:
    (root / "studies").mkdir(parents=True)
    (root / "vocabulary.yaml").write_text(VOCABULARY, encoding="utf-8")
    (root / "dataset.yaml").write_text(DATASET, encoding="utf-8")
    for text in (three_arms, assumed_null, own_effect):
        study_id = text.split("\n", 1)[0].removeprefix("id: ")
        (root / "studies" / f"{study_id}.yaml").write_text(text, encoding="utf-8")
    return root


def _finding(study: str, finding: str) -> str:
    return f"{BASE}study/{study}/finding/{finding}"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _dataset(tmp_path_factory.mktemp("indirect") / "data")


@pytest.fixture(scope="module")
def kg(data: Path) -> evidencekg.KnowledgeGraph:
    return evidencekg.build_graph(data)


def _effect_vs_null(kg: evidencekg.KnowledgeGraph) -> dict[tuple[str, str], dict[str, str]]:
    rows = evidencekg.query(kg, "effect-vs-null").records()
    return {(str(r["effectFinding"]), str(r["nullFinding"])): {k: str(v) for k, v in r.items()} for r in rows}


def test_a_test_across_groups_is_carried_and_the_pairwise_finding_has_no_significance(
        kg: evidencekg.KnowledgeGraph) -> None:
    test = URIRef(f"{BASE}study/three-arms-2020/test/arms-differ")
    pairwise = URIRef(_finding("three-arms-2020", "low-vs-sham"))
    assert (pairwise, EKG.fromTest, test) in kg.asserted
    assert len(set(kg.asserted.objects(test, EKG.testedGroup))) == 3
    assert (test, EKG.significant, Literal(True)) in kg.asserted
    assert not set(kg.asserted.objects(pairwise, EKG.significant))


def test_effect_vs_null_does_not_call_a_pairwise_effect_from_a_test_across_groups_significant(
        kg: evidencekg.KnowledgeGraph) -> None:
    rows = _effect_vs_null(kg)
    row = rows[(_finding("three-arms-2020", "low-vs-sham"), _finding("assumed-null-2021", "no-effect"))]
    assert "effectSignificant" not in row and "effectP" not in row
    assert row["effectTest"] == "ANOVA across 3 groups: significant, p = 0.002"
    own = rows[(_finding("own-effect-2022", "effect"), _finding("assumed-null-2021", "no-effect"))]
    assert own["effectSignificant"] == "true" and "effectTest" not in own


def test_every_disagreement_resting_on_an_assumption_says_so(kg: evidencekg.KnowledgeGraph) -> None:
    rows = _effect_vs_null(kg)
    assert rows
    for (_, null), row in rows.items():
        assert null == _finding("assumed-null-2021", "no-effect")
        assumed = row["nullAssumed"].split("; ")
        assert assumed == sorted(assumed)
        assert "outcome assumed: SYNTHETIC: the summary does not name the measure" in assumed
        assert "condition of Treated arm assumed: SYNTHETIC: the summary does not say which patients were enrolled" \
            in assumed
        assert row["nullQuoteKind"] == "a secondary page" and "effectAssumed" not in row
    counted = {str(r["relation"]): str(r["assumptions"]) for r in evidencekg.query(kg, "disagreements").records()}
    assert set(counted.values()) == {"2"}
    facets = [r for r in evidencekg.query(kg, "explanations").records()
              if r["facetType"] == EKG.AssumptionFacet]
    assert {str(r["relation"]) for r in facets} == set(counted)


def test_a_pairwise_change_from_a_test_that_found_no_difference_is_a_null(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "data", three_arms=edit(THREE_ARMS, "significant: true\n    p_value: 0.002",
                                                       "significant: false"))
    rows = _effect_vs_null(evidencekg.build_graph(root))
    assert (_finding("own-effect-2022", "effect"), _finding("three-arms-2020", "low-vs-sham")) in rows
    assert not any(effect == _finding("three-arms-2020", "low-vs-sham") for effect, _ in rows)


def test_shacl_notes_assumed_values_and_secondary_quotes(kg: evidencekg.KnowledgeGraph) -> None:
    report = evidencekg.validate(kg).report
    assert report.conforms
    notes = {(r.source_shape, r.origin.field if r.origin else None) for r in report.results if r.severity == "Info"}
    assert ("ekgsh:IndirectNoteShape-assumed", "findings[0].outcome") in notes
    assert ("ekgsh:IndirectNoteShape-assumed", "groups[0].condition") in notes
    assert ("ekgsh:IndirectNoteShape-secondaryQuote", "findings[0].quote_kind") in notes


def test_shacl_refuses_significance_on_a_finding_read_from_a_test_in_rdf_made_elsewhere(
        kg: evidencekg.KnowledgeGraph, tmp_path: Path) -> None:
    graph = kg.asserted
    graph.add((URIRef(_finding("three-arms-2020", "low-vs-sham")), EKG.significant, Literal(True)))
    path = tmp_path / "elsewhere.ttl"
    path.write_bytes(graph.serialize(format="turtle", encoding="utf-8"))
    report = evidencekg.validate([path]).report
    assert {r.source_shape for r in report.violations} == {"ekgsh:FindingShape-fromTest"}


@pytest.mark.parametrize(("study", "old", "new", "field", "says"), [
    ("three-arms", "    from_test: arms-differ\n", "    from_test: arms-differ\n    significant: true\n",
     "findings[0].from_test", "no significance of its own"),
    ("three-arms", "from_test: arms-differ", "from_test: arms-dfifer", "findings[0].from_test", "no omnibus test"),
    ("three-arms", "groups: [low, high, sham]", "groups: [low, high, high]", "omnibus_tests[0].groups[2]",
     "listed twice"),
    ("three-arms", "groups: [low, high, sham]", "groups: [low, sham]", "omnibus_tests[0].groups", "at least 3"),
    ("assumed-null", "outcome: \"SYNTHETIC: the summary", "timepoint: \"SYNTHETIC: the summary",
     "findings[0].assumed", "not set"),
    ("assumed-null", "outcome: \"SYNTHETIC: the summary", "dose: \"SYNTHETIC: the summary",
     "findings[0].assumed", "cannot be marked as assumed"),
])
def test_the_loader_refuses_what_the_format_forbids(tmp_path: Path, study: str, old: str, new: str, field: str,
                                                    says: str) -> None:
    texts = {"three-arms": THREE_ARMS, "assumed-null": ASSUMED_NULL}
    texts[study] = edit(texts[study], old, new)
    root = _dataset(tmp_path / "data", texts["three-arms"], texts["assumed-null"])
    result = run_cli("validate", "--data", str(root))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert any(f"{field}" in line and says in line for line in lines), result.stderr


def test_a_finding_read_from_a_test_compares_two_of_its_groups(tmp_path: Path) -> None:
    extra = edit(THREE_ARMS, "  - {id: sham,", "  - {id: other, label: Other, population: people}\n  - {id: sham,")
    extra = edit(extra, "    comparator: sham\n", "    comparator: other\n")
    root = _dataset(tmp_path / "data", three_arms=extra)
    result = run_cli("validate", "--data", str(root))
    assert result.returncode == 2 and "findings[0].comparator" in result.stderr
    assert "compares two of its groups" in result.stderr


def test_the_summary_downgrades_for_indirectness(kg: evidencekg.KnowledgeGraph, tmp_path: Path) -> None:
    def steps(graph: evidencekg.KnowledgeGraph) -> dict[str, list[str]]:
        return {f"{q.factor} × {q.outcome}": [s.step for s in q.rating] for q in evidence_summary(graph)}  # noqa: RUF001

    rated = {q.factor: q for q in evidence_summary(kg)}
    assert rated["drug"].indirect == 1 and rated["drug"].significance_from_group_test == 1
    assert "indirectness" in steps(kg)["drug × sleep score"]  # noqa: RUF001
    direct = _dataset(tmp_path / "data", assumed_null=edit(edit(ASSUMED_NULL, "    quote_kind: secondary\n", ""),
                                                           "    assumed:\n      outcome: \"SYNTHETIC: the summary "
                                                           "does not name the measure\"\n", ""))
    direct_kg = evidencekg.build_graph(direct)
    assert "indirectness" in steps(direct_kg)["drug × sleep score"], "the treated arm's condition is still assumed"  # noqa: RUF001
    plain = _dataset(tmp_path / "plain", assumed_null=edit(edit(edit(
        ASSUMED_NULL, "    quote_kind: secondary\n", ""),
        "    assumed:\n      outcome: \"SYNTHETIC: the summary does not name the measure\"\n", ""),
        "    assumed:\n      condition: \"SYNTHETIC: the summary does not say which patients were enrolled\"\n", ""))
    assert "indirectness" not in steps(evidencekg.build_graph(plain))["drug × sleep score"]  # noqa: RUF001


def test_summary_and_contradictions_show_it_on_the_command_line(data: Path, tmp_path: Path) -> None:
    summary = run_cli("summary", "--data", str(data))
    assert summary.returncode == 0
    assert "1 only from a test across groups" in summary.stdout and "indirectness" in summary.stdout
    opposite = _dataset(tmp_path / "data", assumed_null=edit(edit(ASSUMED_NULL, "direction: no-change",
                                                                  "direction: increase"),
                                                             "    significant: false\n", ""))
    blocks = run_cli("contradictions", "--pairs", "--data", str(opposite))
    assert blocks.returncode == 0
    assert "rests on assumed values" in blocks.stdout and "a secondary page" in blocks.stdout
    assert "across 3 groups" in blocks.stdout
    as_json = json.loads(run_cli("contradictions", "--pairs", "--data", str(opposite), "--format", "json").stdout)
    assert all("assumed2" in b or "assumed1" in b for b in as_json["results"]["bindings"])


def test_the_report_says_which_disagreements_rest_on_assumptions(kg: evidencekg.KnowledgeGraph,
                                                                 tmp_path: Path) -> None:
    write_report(kg, tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "effect vs no significant" in line]
    assert rows and all("rests on assumed values" in line for line in rows)
    assert "no pairwise test; significant across groups" in markdown
    assert "rests on assumed values" in html and "a secondary page" in html


def test_both_engines_agree_on_it(data: Path) -> None:
    fast = evidencekg.build_graph(data, engine="fast")
    reference = evidencekg.build_graph(data, engine="reference")
    for layer in ("asserted", "inferred", "derived"):
        assert set(getattr(fast, layer)) == set(getattr(reference, layer)), layer
    for name in ("effect-vs-null", "contradictions", "disagreements", "explanations", "evidence-summary"):
        assert Counter(evidencekg.query(fast, name).rows) == Counter(evidencekg.query(reference, name).rows), name
    assert evidencekg.validate(fast).report.results == evidencekg.validate(reference).report.results

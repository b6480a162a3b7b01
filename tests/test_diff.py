"""``evidencekg diff``: what a change does to the evidence, between revisions of a real git repository.

Each scenario commits a dataset (the bundled one, or the second test dataset) into a temporary
repository, changes it in a second commit, and compares the two revisions as a pull request's CI
would, reading the revisions from git.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import SECOND_DATASET, run_cli

import evidencekg
from evidencekg.analysis.diff import EvidenceDiff
from evidencekg.pipeline import diff

REPOSITORY = Path(__file__).resolve().parent.parent
WORKFLOW = REPOSITORY / "docs" / "examples" / "github-actions-validate.yml"
_GIT_IDENTITY = {"GIT_AUTHOR_NAME": "curator", "GIT_AUTHOR_EMAIL": "curator@example.org",
                 "GIT_COMMITTER_NAME": "curator", "GIT_COMMITTER_EMAIL": "curator@example.org",
                 "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    completed = subprocess.run(["git", "-C", str(repo), *args], env={**os.environ, **_GIT_IDENTITY},
                               capture_output=True, text=True, check=True)
    return completed.stdout


def repository(tmp_path: Path, dataset: Path) -> Path:
    """A repository whose first commit holds ``dataset`` as ``data/``."""
    repo = tmp_path / "repo"
    shutil.copytree(dataset, repo / "data", ignore=shutil.ignore_patterns("expected.yaml"))
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    commit(repo, "base")
    return repo


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def study(repo: Path, study_id: str) -> Path:
    return repo / "data" / "studies" / f"{study_id}.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def copy_study(repo: Path, source: str, new_id: str, *replacements: tuple[str, str]) -> None:
    text = study(repo, source).read_text(encoding="utf-8").replace(f"id: {source}", f"id: {new_id}", 1)
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    study(repo, new_id).write_text(text, encoding="utf-8")


def revisions(repo: Path) -> EvidenceDiff:
    return diff("HEAD~1", "HEAD", repo / "data")


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def pairs(changes: object, status: str) -> set[tuple[str, str]]:
    return {(c.first.name, c.second.name) for c in changes if c.status == status}  # type: ignore[attr-defined]


@pytest.fixture()
def second(tmp_path: Path) -> Path:
    return repository(tmp_path, SECOND_DATASET)


@pytest.fixture()
def bundled(tmp_path: Path) -> Path:
    return repository(tmp_path, evidencekg.bundled_data_dir())


def test_a_new_study_that_creates_a_disagreement(second: Path) -> None:
    # A second aerobic trial lowering systolic pressure: it agrees with gamma-2005 and, like gamma-2005,
    # disagrees with delta-2008's walking trial (higher ambulatory systolic pressure).
    copy_study(second, "gamma-2005", "kappa-2022", ("year: 2005", "year: 2022"))
    commit(second, "a new trial")
    found = revisions(second)
    assert [(r.record, r.status) for r in found.records] == [("kappa-2022", "added")]
    assert [(f.finding.name, f.status) for f in found.findings] == [("kappa-2022/sbp-lower-with-aerobic", "added")]
    assert pairs(found.disagreements, "appeared") >= {
        ("delta-2008/ambulatory-sbp-higher-with-walking", "kappa-2022/sbp-lower-with-aerobic")}
    assert not pairs(found.disagreements, "disappeared")
    opposite = next(c for c in found.disagreements if c.first.study == "delta-2008")
    assert opposite.after is not None and opposite.after.kinds == ("opposite-directions",)
    assert {f.facet for f in opposite.after.facets} >= {"intervention form", "publication year"}
    assert [(a.name, b.name) for a, b in found.agreements_appeared] == [
        ("gamma-2005/sbp-lower-with-aerobic", "kappa-2022/sbp-lower-with-aerobic")]
    assert found.holds("new-disagreements") and not found.holds("certainty-drop")
    assert opposite.second.location.path == "data/studies/kappa-2022.yaml"
    assert opposite.second.location.line == line_of(study(second, "kappa-2022"), "- id: sbp-lower-with-aerobic")

    data = str(second / "data")
    gated = run_cli("diff", "HEAD~1", "HEAD", "--data", data, "--fail-on", "new-disagreements")
    assert gated.returncode == 1, gated.stderr
    assert "fails because of --fail-on new-disagreements" in gated.stderr
    assert "1 study added" in gated.stdout and "Disagreements" in gated.stdout
    passing = run_cli("diff", "HEAD~1", "HEAD", "--data", data, "--fail-on", "certainty-drop", "--format", "json")
    assert passing.returncode == 0, passing.stderr
    document = json.loads(passing.stdout)
    assert (document["format"], document["version"]) == ("evidencekg-diff", 1)
    assert document["fail_conditions"] == {"new-violations": False, "new-disagreements": True,
                                           "certainty-drop": False}
    assert document["base"]["counts"]["studies"] + 1 == document["head"]["counts"]["studies"]
    # The revisions were read from git: the working tree, the index and the branch are as they were.
    assert git(second, "status", "--porcelain") == ""
    assert git(second, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_a_corrected_p_value_turns_an_agreement_into_effect_vs_null_and_lowers_certainty(second: Path) -> None:
    # Base: a trial agreeing with iota-2020's review on resting heart rate; together they reach the
    # participants GRADE asks for, so certainty on aerobic training x resting heart rate is high.
    copy_study(second, "gamma-2005", "kappa-2022", ("systolic-blood-pressure", "resting-heart-rate"),
               ("sbp-lower-with-aerobic", "rhr-lower-with-aerobic"))
    commit(second, "a trial on resting heart rate")
    path = study(second, "kappa-2022")
    edit(path, "    significant: true\n    p_value: 0.004", "    significant: false\n    p_value: 0.34")
    commit(second, "the p-value corrected from the paper's table")
    found = revisions(second)

    [finding] = found.findings
    assert (finding.finding.name, finding.status) == ("kappa-2022/rhr-lower-with-aerobic", "changed")
    assert [(f.field, f.before, f.after) for f in finding.fields] == [("significant", True, False),
                                                                       ("p_value", 0.004, 0.34)]
    assert [f.location.line for f in finding.fields] == [line_of(path, "significant: false"),
                                                         line_of(path, "p_value: 0.34")]
    pair = ("iota-2020/resting-hr-lower-with-aerobic", "kappa-2022/rhr-lower-with-aerobic")
    assert pairs(found.disagreements, "appeared") == {pair}
    appeared = found.disagreements[0]
    assert appeared.before is not None and appeared.before.kinds == ("same-direction",)
    assert appeared.after is not None and appeared.after.kinds == ("effect-vs-null",)
    assert [(a.name, b.name) for a, b in found.agreements_disappeared] == [pair]
    question = next(q for q in found.questions if (q.factor, q.outcome) == ("aerobic exercise training",
                                                                             "resting heart rate"))
    assert question.before is not None and question.after is not None
    assert (question.before.certainty, question.after.certainty) == ("high", "moderate")
    assert question.certainty_dropped and found.holds("certainty-drop")
    assert [(s.step, s.before, s.after is not None) for s in question.steps] == [("inconsistency", None, True)]

    data = str(second / "data")
    gated = run_cli("diff", "HEAD~1", "HEAD", "--data", data, "--fail-on", "new-violations",
                    "--fail-on", "certainty-drop", "--format", "markdown")
    assert gated.returncode == 1
    assert gated.stderr.strip().splitlines() == ["fails because of --fail-on certainty-drop"]
    assert "**certainty drop**" in gated.stdout and "<details>" in gated.stdout


def test_a_removed_review_counts_the_studies_it_included_as_independent_again(second: Path) -> None:
    # Base: a review including gamma-2005 and delta-2008, with a pooled finding on their question.
    copy_study(second, "iota-2020", "lambda-2021", ("resting-heart-rate", "systolic-blood-pressure"),
               ("resting-hr-lower-with-aerobic", "sbp-lower-with-aerobic"), ("year: 2020", "year: 2021"))
    commit(second, "a review")
    study(second, "lambda-2021").unlink()
    commit(second, "the review withdrawn")
    found = revisions(second)

    assert [(r.record, r.status) for r in found.records] == [("lambda-2021", "removed")]
    assert [(f.finding.name, f.status) for f in found.findings] == [("lambda-2021/sbp-lower-with-aerobic",
                                                                      "removed")]
    question = next(q for q in found.questions if (q.factor, q.outcome) == ("aerobic exercise training",
                                                                             "systolic blood pressure"))
    assert question.before is not None and question.after is not None
    assert "independent_studies" in question.fields
    assert question.after.independent_studies > question.before.independent_studies
    assert question.after.studies == question.before.studies - 1
    assert not pairs(found.disagreements, "appeared")
    assert all("lambda-2021" in (c.first.study, c.second.study) for c in found.disagreements)
    assert pairs(found.disagreements, "disappeared")


def test_renamed_labels_and_edited_quotes_change_no_relation(bundled: Path) -> None:
    vocabulary = bundled / "data" / "vocabulary.yaml"
    terms = yaml.safe_load(vocabulary.read_text(encoding="utf-8"))
    outcome = terms["outcomes"][0]
    edit(vocabulary, f"label: {outcome['label']}", "label: A renamed outcome")
    relations = evidencekg.query(evidencekg.build_graph(bundled / "data"), "disagreements").records()
    finding_iri = str(relations[0]["finding1"])
    study_id, finding_id = finding_iri.split("/study/")[1].split("/finding/")
    record = yaml.safe_load(study(bundled, study_id).read_text(encoding="utf-8"))
    old_quote = next(f["quote"] for f in record["findings"] if f["id"] == finding_id)
    edit(study(bundled, study_id), old_quote, old_quote + " (corrected transcription)")
    commit(bundled, "labels and quotes")
    found = revisions(bundled)

    assert not found.disagreements and not found.agreements_appeared and not found.agreements_disappeared
    assert not found.questions
    assert not found.results.new and not found.results.fixed
    [vocabulary_change] = [r for r in found.records if r.kind == "vocabulary"]
    assert [(f.field, f.after) for f in vocabulary_change.fields] == [
        (f"outcomes[{outcome['id']}].label", "A renamed outcome")]
    [finding] = found.findings
    assert finding.finding.name == f"{study_id}/{finding_id}"
    assert [f.field for f in finding.fields] == ["quote"]


def test_a_moved_file_is_a_move(bundled: Path) -> None:
    moved = sorted((bundled / "data" / "studies").glob("*.yaml"))[0]
    study_id = yaml.safe_load(moved.read_text(encoding="utf-8"))["id"]
    git(bundled, "mv", str(moved), str(moved.with_name(f"{study_id}-moved.yaml")))
    commit(bundled, "a file renamed")
    found = revisions(bundled)

    [record] = found.records
    assert (record.record, record.status, record.fields) == (study_id, "moved", ())
    assert record.previous_path == f"data/studies/{moved.name}"
    assert record.location.path == f"data/studies/{study_id}-moved.yaml"
    assert not found.findings and not found.disagreements and not found.questions
    assert not found.results.new and not found.results.fixed and found.results.unchanged
    assert not found.agreements_appeared and not found.agreements_disappeared


def test_a_broken_record_on_head_is_exit_2_naming_the_line_and_nothing_else(bundled: Path) -> None:
    path = sorted((bundled / "data" / "studies").glob("*.yaml"))[-1]
    edit(path, "\nyear:", "\nyeer:")
    commit(bundled, "a typo")
    for fmt in ("text", "markdown", "json"):
        broken = run_cli("diff", "HEAD~1", "HEAD", "--data", str(bundled / "data"), "--format", fmt)
        assert broken.returncode == 2
        assert broken.stdout == ""
        line = line_of(path, "yeer:")
        assert broken.stderr.startswith(f"error: HEAD:data/studies/{path.name}:{line}:1: yeer: unknown key 'yeer'")
        assert "removed" not in broken.stderr and "Traceback" not in broken.stderr


def test_bad_sides_are_one_line_and_exit_2(bundled: Path, tmp_path: Path) -> None:
    refused = run_cli("diff", "no-such-branch", "HEAD", "--data", str(bundled / "data"))
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (f"error: no-such-branch: neither a directory nor a git revision of the repository at "
                              f"{bundled}\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    refused = run_cli("diff", "main", "HEAD", "--data", str(outside))
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1


def test_a_directory_and_its_revision_give_the_same_byte_identical_diff(second: Path) -> None:
    edit(study(second, "zeta-2012"), "p_value: 0.01", "p_value: 0.012")
    data = str(second / "data")
    working_tree = run_cli("diff", "HEAD", data, "--data", data, "--format", "json")
    commit(second, "a p-value refined")
    first = run_cli("diff", "HEAD~1", "HEAD", "--data", data, "--format", "json")
    again = run_cli("diff", "HEAD~1", "HEAD", "--data", data, "--format", "json")
    assert first.returncode == 0 and first.stdout == again.stdout
    as_committed, as_edited = json.loads(first.stdout), json.loads(working_tree.stdout)
    for document in (as_committed, as_edited):
        document.pop("base"), document.pop("head")
    assert as_committed == as_edited
    assert [f["fields"][0]["field"] for f in as_committed["findings"]] == ["p_value"]


def _workflow_commands() -> tuple[dict[str, str], list[str]]:
    job = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["diff"]
    runs = [step["run"] for step in job["steps"] if "run" in step and "pip install" not in step["run"]]
    return job["env"], [run for run in runs if "gh pr" not in run]


def test_the_example_workflow_comments_the_diff_and_uploads_only_new_results(second: Path, tmp_path: Path) -> None:
    base = git(second, "rev-parse", "HEAD").strip()
    git(second, "checkout", "-q", "-b", "pull-request")
    edit(study(second, "zeta-2012"), "p_value: 0.01", "p_value: 0.2")  # still marked significant: a violation
    copy_study(second, "gamma-2005", "kappa-2022")
    commit(second, "a pull request")
    head = git(second, "rev-parse", "HEAD").strip()
    environment, commands = _workflow_commands()
    assert any("evidencekg diff" in command for command in commands)
    summary = tmp_path / "summary.md"
    values = {"HEAD_SHA": head, "BASE_SHA": base, "LINK_BASE": "https://example.org/blob/" + head,
              "GITHUB_STEP_SUMMARY": str(summary)}
    assert set(environment) <= set(values)
    env = {**os.environ, **_GIT_IDENTITY, **values,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    codes = [subprocess.run(["bash", "-e", "-c", command], cwd=second, env=env, capture_output=True, text=True,
                            timeout=600).returncode for command in commands]
    assert codes[0] == 1  # the gate: the pull request brings a new violation

    comment = (second / "evidencekg-diff.md").read_text(encoding="utf-8")
    assert comment.startswith("### Evidence diff:") and "<details>" in comment
    assert f"https://example.org/blob/{head}/data/studies/zeta-2012.yaml#L" in comment
    assert summary.read_text(encoding="utf-8") == comment
    sarif = json.loads((second / "evidencekg-new.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results if r["level"] == "error"} == {"FindingShape-significantButLargeP"}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        "data/studies/zeta-2012.yaml", "data/studies/kappa-2022.yaml"}

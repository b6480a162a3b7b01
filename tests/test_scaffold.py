"""Starting a dataset: ``evidencekg init``, ``evidencekg new study`` and the record format's JSON Schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import TESTS, make_dataset, run_cli, run_cli_process

from evidencekg.records.schema import json_schema
from evidencekg.scaffold import init_dataset, new_study, template

REPOSITORY = TESTS.parent


def test_init_writes_a_dataset_that_validates_clean(tmp_path: Path) -> None:
    completed = run_cli_process("init", "mine", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    root = tmp_path / "mine"
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert written == [".github/workflows/evidencekg.yml", ".pre-commit-config.yaml", "dataset.yaml",
                       "schema/dataset.json", "schema/study.json", "schema/vocabulary.json",
                       "studies/example-2024.yaml", "vocabulary.yaml"]
    assert "mine: conforms (0 violations, 0 warnings" in completed.stderr
    strict = run_cli_process("validate", "--strict", "mine", cwd=tmp_path)
    assert strict.returncode == 0, strict.stdout + strict.stderr


def test_init_and_new_never_overwrite(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    root.mkdir()
    (root / "vocabulary.yaml").write_text("mine\n", encoding="utf-8")
    refused = run_cli("init", str(root))
    assert refused.returncode == 2 and "vocabulary.yaml: already exists" in refused.stderr
    assert [p.name for p in root.iterdir()] == ["vocabulary.yaml"]  # nothing written at all
    assert (root / "vocabulary.yaml").read_text(encoding="utf-8") == "mine\n"

    dataset = make_dataset(tmp_path / "data")
    assert run_cli("new", "study", "doe-2020", "--data", str(dataset)).returncode == 2  # make_dataset's own study
    bad_id = run_cli("new", "study", "Doe 2021", "--data", str(dataset))
    assert bad_id.returncode == 2 and "is not a valid id" in bad_id.stderr
    outside = run_cli("new", "study", "doe-2021", "--data", str(tmp_path))
    assert outside.returncode == 2 and "not a dataset directory" in outside.stderr


def test_new_study_writes_a_skeleton_that_loads(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    init_dataset(root)
    path = new_study(root, "roe-2025")
    assert path == root / "studies" / "roe-2025.yaml"
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["id"] == "roe-2025"
    completed = run_cli("validate", str(root))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "(0 violations" in completed.stdout


@pytest.mark.parametrize("kind", ["study", "vocabulary", "dataset"])
def test_the_schema_is_json_schema_with_plain_descriptions(kind: str, tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    completed = run_cli("schema", kind)
    schema = json.loads(completed.stdout)
    assert schema == json_schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://w3id.org/evidencekg/schema/{kind}.json"
    Draft202012Validator.check_schema(schema)
    text = json.dumps(schema)
    assert "``" not in text and ":class:" not in text

    # What init writes validates against the schema, and the schema refuses a misspelt key.
    init_dataset(tmp_path)
    record = {"study": "studies/example-2024.yaml", "vocabulary": "vocabulary.yaml", "dataset": "dataset.yaml"}[kind]
    document = yaml.safe_load((tmp_path / record).read_text(encoding="utf-8"))
    validator = Draft202012Validator(json.loads((tmp_path / "schema" / f"{kind}.json").read_text(encoding="utf-8")))
    assert not list(validator.iter_errors(document))
    assert list(validator.iter_errors({**document, "titel": "x"}))


def test_the_documented_workflow_is_the_one_init_writes() -> None:
    documented = (REPOSITORY / "docs" / "examples" / "github-actions-validate.yml").read_text(encoding="utf-8")
    written = template("github-actions-validate.yml")
    assert written.count("--data .") == 3
    assert documented == written.replace("--data .", "--data data").replace(
        "The dataset is the repository's top level (vocabulary.yaml, studies/); for one in a folder,\n"
        "# change --data.",
        "The dataset is in data/ (vocabulary.yaml, studies/); for one elsewhere, change --data.")


def test_the_hook_init_writes_runs_under_pre_commit(tmp_path: Path) -> None:
    """pre-commit runs the generated hook (a system hook: nothing installed, nothing fetched) on the records."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    hooks = yaml.safe_load((REPOSITORY / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    root = tmp_path / "repo"
    init_dataset(root)
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (hook,) = config["repos"][0]["hooks"]
    assert hook["files"] == hooks[0]["files"] and hook["entry"] == hooks[0]["entry"]

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PRE_COMMIT_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    git = ["git", "-c", "user.email=test@example.org", "-c", "user.name=test"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True, env=env)
    subprocess.run([*git, "add", "."], cwd=root, check=True, env=env)
    run = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    passed = subprocess.run(run, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    study = root / "studies" / "example-2024.yaml"
    study.write_text(study.read_text(encoding="utf-8").replace("    outcome:", "    outcom:"), encoding="utf-8")
    subprocess.run([*git, "add", "."], cwd=root, check=True, env=env)
    failed = subprocess.run(run, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1
    assert "studies/example-2024.yaml:32:5: findings[0].outcom: unknown key 'outcom'" in failed.stdout

"""The pre-commit hook, run by pre-commit itself against a fixture repository.

pre-commit installs the hook into an environment of its own with pip. Tests never
reach the network, so pip is pointed at the wheelhouse that the README's test
command builds next to the test environment (``.venv/wheelhouse``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import BROKEN

REPOSITORY = Path(__file__).resolve().parent.parent
WHEELHOUSE = Path(sys.prefix) / "wheelhouse"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=test@example.org", "-c", "user.name=test", *args], cwd=cwd,
                   check=True, capture_output=True)


@pytest.fixture
def hook_env(tmp_path: Path) -> dict[str, str]:
    if not WHEELHOUSE.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"no wheelhouse at {WHEELHOUSE}: run the README's test command, which builds it")
        pytest.skip(f"no wheelhouse at {WHEELHOUSE} (the README's test command builds it)")
    return {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE),
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}


def test_pre_commit_try_repo_fails_on_a_violation_and_passes_once_fixed(
    tmp_path: Path, hook_env: dict[str, str]
) -> None:
    fixture = tmp_path / "their-repository"
    shutil.copytree(BROKEN / "p-value-above-one", fixture / "data")
    _git(fixture, "init", "-q")
    _git(fixture, "add", "-A")
    _git(fixture, "commit", "-qm", "records")

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPOSITORY), "evidencekg-validate",
                               "--all-files"], cwd=fixture, env=hook_env, capture_output=True, text=True, timeout=600)

    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "data/studies/omega-2010.yaml:38:5: findings[0].p_value: violation" in failed.stdout

    record = fixture / "data" / "studies" / "omega-2010.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("p_value: 1.3", "p_value: 0.13"), encoding="utf-8")
    _git(fixture, "commit", "-qam", "fix the p-value")
    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr

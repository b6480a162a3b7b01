"""The code passes the linters pyproject.toml configures: ruff (``[tool.ruff]``) and mypy --strict (``[tool.mypy]``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing() -> None:
    completed = _run("ruff", "check", "src", "tests")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_mypy_strict_finds_nothing() -> None:
    completed = _run("mypy", "src")
    assert completed.returncode == 0, completed.stdout + completed.stderr

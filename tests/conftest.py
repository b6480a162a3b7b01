"""Shared fixtures. Paths come from this file, never from the working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import evidencekg

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
SECOND_DATASET = FIXTURES / "second-dataset"
BROKEN = FIXTURES / "broken"


@pytest.fixture(scope="session")
def bundled_kg() -> evidencekg.KnowledgeGraph:
    return evidencekg.build_graph(evidencekg.bundled_data_dir())


@pytest.fixture(scope="session")
def second_kg() -> evidencekg.KnowledgeGraph:
    return evidencekg.build_graph(SECOND_DATASET)


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed command line in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "evidencekg", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )

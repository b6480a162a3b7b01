"""Fixtures shared by the test modules; shared helpers and paths live in helpers.py."""

from __future__ import annotations

import pytest
from helpers import SECOND_DATASET

import evidencekg


@pytest.fixture(scope="session")
def bundled_kg() -> evidencekg.KnowledgeGraph:
    return evidencekg.build_graph(evidencekg.bundled_data_dir())


@pytest.fixture(scope="session")
def second_kg() -> evidencekg.KnowledgeGraph:
    return evidencekg.build_graph(SECOND_DATASET)

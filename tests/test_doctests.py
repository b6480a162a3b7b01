"""The examples in the docstrings of the installed package run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import evidencekg

MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(evidencekg.__path__, "evidencekg.") if not name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0

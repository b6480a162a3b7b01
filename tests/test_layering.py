"""The package's folders are layers of the pipeline, and imports only go down.

Every import in ``src/evidencekg`` (at the top of a module, inside a function, or
for type checking alone) is read from the syntax tree and must point to a lower
layer, or stay inside its own subpackage. Nothing imports the package's
``__init__``, whose lazy names are for users, not for the package itself. See
docs/architecture.md for what each layer holds.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "evidencekg"

LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"errors", "namespaces", "resources"}),
    frozenset({"offline", "atomic", "progress"}),
    frozenset({"records"}),
    frozenset({"rdf"}),
    frozenset({"sparql"}),
    frozenset({"validation"}),
    frozenset({"engines"}),
    frozenset({"knowledge_graph"}),
    frozenset({"synth", "scaffold"}),
    frozenset({"analysis"}),
    frozenset({"outputs", "endpoint"}),
    frozenset({"pipeline"}),
    frozenset({"cli"}),
    frozenset({"__main__"}),
)
LAYER_OF = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def _module_name(path: Path) -> tuple[str, ...]:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imports(path: Path) -> list[tuple[int, tuple[str, ...]]]:
    """(line, target module as parts below evidencekg) of every import of the package in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = path.relative_to(PACKAGE).parts[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                if node.level - 1 > len(here):
                    raise AssertionError(f"{path}:{node.lineno}: relative import above the package")
                module = (*base, *(node.module.split(".") if node.module else ()))
            elif node.module and node.module.split(".")[0] == "evidencekg":
                module = tuple(node.module.split(".")[1:])
            else:
                continue
            if not module:  # "from . import x" at the top: x is a submodule, or a name of __init__
                for alias in node.names:
                    target = PACKAGE / alias.name
                    module_of_name = (alias.name,) if target.is_dir() or target.with_suffix(".py").is_file() else ()
                    found.append((node.lineno, module_of_name))
                continue
            found.append((node.lineno, module))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "evidencekg":
                    found.append((node.lineno, tuple(parts[1:])))
    return found


def _arrows() -> list[tuple[str, str, int, int]]:
    """(module, imported, its layer, the imported layer) for every import that crosses subpackages."""
    arrows = []
    for path in _modules():
        source = _module_name(path)
        for line, target in _imports(path):
            where = f"{path.relative_to(PACKAGE.parent)}:{line}"
            if not target:
                arrows.append((where, "evidencekg/__init__", LAYER_OF[source[0]], len(LAYERS)))
                continue
            if target[0] == source[0]:
                continue
            arrows.append((where, ".".join(target), LAYER_OF[source[0]], LAYER_OF[target[0]]))
    return arrows


def test_every_module_belongs_to_a_layer() -> None:
    tops = {_module_name(p)[0] for p in _modules()}
    assert tops <= set(LAYER_OF), f"add these to LAYERS and docs/architecture.md: {sorted(tops - set(LAYER_OF))}"


def test_imports_only_go_down() -> None:
    upward = [f"{where} imports {target}" for where, target, mine, theirs in _arrows() if theirs >= mine]
    assert not upward, "imports that point up or sideways:\n" + "\n".join(upward)


def test_the_rule_catches_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself can fail: a records module importing the pipeline is reported."""
    fake = tmp_path / "evidencekg"
    (fake / "records").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "pipeline.py").write_text("")
    (fake / "records" / "reader.py").write_text("from ..pipeline import build_graph\nfrom .. import __version__\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    upward = [(target, mine, theirs) for _, target, mine, theirs in _arrows() if theirs >= mine]
    assert ("pipeline", LAYER_OF["records"], LAYER_OF["pipeline"]) in upward
    assert ("evidencekg/__init__", LAYER_OF["records"], len(LAYERS)) in upward

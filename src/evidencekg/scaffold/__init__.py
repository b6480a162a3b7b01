"""Starting a dataset: the files of a new dataset repository, and a skeleton for each new study.

:func:`init_dataset` writes a dataset that validates as it is (an example study, its
vocabulary and metadata), the JSON Schemas the records' editor modelines point at, a
pre-commit configuration and a GitHub Actions workflow; :func:`new_study` writes a commented
record skeleton. The files are copies of ``templates/``. Nothing is ever overwritten: a file
that is already there is refused before anything is written.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> [p.relative_to(root).as_posix() for p in init_dataset(root)][:3]
['dataset.yaml', 'vocabulary.yaml', 'studies/example-2024.yaml']
>>> new_study(root, "doe-2025").relative_to(root).as_posix()
'studies/doe-2025.yaml'
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from ..errors import InputError
from ..records.model import check_id
from ..records.reader import STUDIES_DIR, VOCABULARY_FILE
from ..records.schema import RECORD_MODELS, json_schema

TEMPLATES = Path(__file__).resolve().parent / "templates"
SCHEMA_DIR = "schema"
"""Where :func:`init_dataset` writes the JSON Schemas, beside the records whose modelines name them."""

_COPIED = {
    "dataset.yaml": "dataset.yaml",
    "vocabulary.yaml": "vocabulary.yaml",
    f"{STUDIES_DIR}/example-2024.yaml": "studies/example-2024.yaml",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
    ".github/workflows/evidencekg.yml": "github-actions-validate.yml",
}
"""File of a new dataset → the template it is a copy of."""


def template(name: str) -> str:
    """The text of a template in ``templates/``."""
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _write_new(root: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` (path below ``root`` → text); refuse, writing nothing, if any of them exists.

    A failure halfway removes what this call wrote, so no partial set is left behind.
    """
    targets = [root / name for name in files]
    existing = [t for t in targets if os.path.lexists(t)]
    if existing:
        raise InputError(str(existing[0]), "already exists; evidencekg never overwrites a file here "
                                           "(move it away, or start in an empty directory)")
    written: list[Path] = []
    try:
        for target, text in zip(targets, files.values(), strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "x", encoding="utf-8", newline="\n") as handle:
                written.append(target)
                handle.write(text)
    except OSError as exc:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        raise InputError(str(exc.filename or root), f"cannot write: {exc.strerror or exc}") from None
    return written


def init_dataset(directory: Path | str) -> list[Path]:
    """Start a dataset repository in ``directory`` (made if missing); the paths written, in order."""
    files = {name: template(source) for name, source in _COPIED.items()}
    for kind in sorted(RECORD_MODELS):
        files[f"{SCHEMA_DIR}/{kind}.json"] = json.dumps(json_schema(kind), indent=2, sort_keys=True) + "\n"
    return _write_new(Path(directory), files)


def new_study(dataset_dir: Path | str, study_id: str) -> Path:
    """Write the skeleton of study ``study_id`` to ``studies/<id>.yaml`` of a dataset; its path."""
    root = Path(dataset_dir)
    if not (root / VOCABULARY_FILE).is_file():
        raise InputError(str(root), f"not a dataset directory (no {VOCABULARY_FILE}); "
                                    "start one with evidencekg init DIR")
    try:
        check_id(study_id)
    except ValueError as exc:
        raise InputError(str(root / STUDIES_DIR / f"{study_id}.yaml"), str(exc), rule="Record-invalidValue") from None
    (path,) = _write_new(root, {f"{STUDIES_DIR}/{study_id}.yaml": template("study.yaml").replace("@ID@", study_id)})
    return path

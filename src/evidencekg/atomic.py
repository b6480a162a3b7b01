"""Files written all or nothing: staged in a temporary directory beside the target, then moved into place.

A failed or interrupted run never leaves a half-written file and never damages
the previous outputs.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> [p.name for p in write_files({"a.txt": b"A"}, out)]
['a.txt']
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .errors import InputError


def write_files(files: Mapping[str, bytes], out_dir: Path | str) -> list[Path]:
    """Write every file of ``files`` (name → content) into ``out_dir``, all or nothing."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".evidencekg-", dir=out))
    except OSError as exc:
        raise InputError(str(out), f"cannot write the output directory: {exc.strerror or exc}") from None
    try:
        for name, content in files.items():
            with open(staging / name, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        written = []
        for name in files:
            os.replace(staging / name, out / name)
            written.append(out / name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)

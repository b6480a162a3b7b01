"""A directory written all or nothing: built in a staging directory beside the target, then renamed into place.

The target may be new, an empty directory, or an earlier export of the same kind (recognised by its
manifest, which lists every file the export wrote); only then is it replaced. Anything else in it makes the
export refuse, so a user's files are never deleted. While the new directory is renamed in, the old one is
moved aside and removed only after the new one is in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..atomic import STAGING_PREFIX, locked
from ..errors import InputError

MANIFEST = "manifest.json"


def earlier_export(directory: Path, fmt: str) -> bool:
    """Whether ``directory`` holds exactly the files of an earlier ``fmt`` export, as its manifest lists them."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        present = {entry.name for entry in os.scandir(directory)}
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        return False
    listed = set(manifest.get("contents", []))
    return present == listed | {MANIFEST}


def _check_target(target: Path, fmt: str) -> bool:
    """Whether there is an earlier export to replace; ``InputError`` if the target may not be written."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise InputError(str(target), f"cannot inspect the output path: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(mode):
        raise InputError(str(target), "the output path exists and is not a directory; give a new or empty directory")
    if not any(os.scandir(target)):
        return False
    if earlier_export(target, fmt):
        return True
    raise InputError(str(target), f"the directory holds files that are not an earlier {fmt} export; give a new or "
                                  "empty directory (nothing was deleted)")


def publish_directory(target: Path, fmt: str, build: Callable[[Path], None]) -> Path:
    """Run ``build`` on a staging directory beside ``target``, then rename it into place; return ``target``."""
    target = Path(target)
    parent = target.parent
    _check_target(target, fmt)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(parent), f"cannot write the output directory: {exc.strerror or exc}") from None
    with locked(parent):
        replace = _check_target(target, fmt)  # again, now that no other writer of ours can change it
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
        staging.chmod(0o755)  # mkdtemp's 0700 is for the staging only, not for the directory it becomes
        old: Path | None = None
        try:
            build(staging)
            if replace:
                old = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
                os.replace(target, old / "previous")
            if target.exists():  # an empty directory
                target.rmdir()
            os.replace(staging, target)
        except BaseException:
            if old is not None and (old / "previous").exists() and not target.exists():
                os.replace(old / "previous", target)
            raise
        finally:
            for leftover in (staging, old):
                if leftover is not None:
                    with contextlib.suppress(OSError):
                        shutil.rmtree(leftover)
    return target

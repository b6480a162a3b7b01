"""Files written all or nothing: staged in a temporary directory beside the target, then moved into place.

A failed or interrupted run never leaves a half-written file and never damages
the previous outputs. Writers to the same directory take turns: each holds an
exclusive lock (``fcntl.flock`` on ``DIR/.evidencekg.lock``, removed when the
write is done) while it stages and moves its files, so two runs at once never
leave a mix of their files. The last file of a set (a build's manifest) is moved
into place last, so a reader that finds it matching the others has a complete
set. Only regular files are ever replaced: a target that is a directory,
symbolic link, FIFO, socket or device is refused before anything is written.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> [p.name for p in write_files({"a.txt": b"A"}, out)]
['a.txt']
>>> sorted(p.name for p in out.iterdir())
['a.txt']
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import ModuleType

from .errors import InputError

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - platforms without fcntl (Windows) write without a lock
    fcntl = None

LOCK_FILE = ".evidencekg.lock"
"""The lock file a writer holds in the output directory; removed by the writer when it is done."""
STAGING_PREFIX = ".evidencekg-"
_STAGING_NAME = re.compile(re.escape(STAGING_PREFIX) + r"[A-Za-z0-9_]{8}")
"""What :func:`tempfile.mkdtemp` names a staging directory of :func:`write_files`."""

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def check_target(path: Path | str) -> None:
    """``InputError`` unless ``path`` does not exist or is a regular file (a symbolic link is refused too)."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise InputError(str(path), f"cannot inspect the output path: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise InputError(str(path), f"the output path is {kind}; only a regular file or a new path is replaced")


@contextlib.contextmanager
def locked(directory: Path | str) -> Iterator[bool]:
    """Hold an exclusive lock on ``directory`` (which must exist) for the ``with`` block; blocks until free.

    Yields whether a lock is really held (``False`` where ``fcntl`` is missing). The lock file is
    removed before the lock is released; a waiter that locked a removed file tries again.
    """
    if fcntl is None:  # pragma: no cover - platforms without fcntl
        yield False
        return
    path = Path(directory) / LOCK_FILE
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as exc:
            raise InputError(str(path), f"cannot lock the output directory: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.lstat(path)
            except FileNotFoundError:
                current = None
        except BaseException:
            os.close(fd)
            raise
        if current is not None and os.path.samestat(os.fstat(fd), current):
            break
        os.close(fd)  # the holder before us removed this file: lock the new one
    try:
        yield True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _remove_stale_staging(out: Path) -> None:
    """Staging directories of writers that were killed (only called while holding the lock)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(out):
            if _STAGING_NAME.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)


def _fsync_directory(path: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_files(files: Mapping[str, bytes | Iterable[bytes]], out_dir: Path | str) -> list[Path]:
    """Write every file of ``files`` (name → content) into ``out_dir``, all or nothing, the last one last.

    A content may be given in pieces (an iterable of bytes, read once), so that a large file is never
    held in memory whole; if producing a piece raises, nothing is replaced.

    Raises ``InputError`` (nothing written) if a target exists and is not a regular file, or the
    directory cannot be written.
    """
    out = Path(out_dir)
    targets = [out / name for name in files]
    for target in targets:
        check_target(target)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(out), f"cannot write the output directory: {exc.strerror or exc}") from None
    with locked(out) as exclusive:
        for target in targets:  # again, now that no other writer of ours can change them
            check_target(target)
        if exclusive:
            _remove_stale_staging(out)
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
        except OSError as exc:
            raise InputError(str(out), f"cannot write the output directory: {exc.strerror or exc}") from None
        try:
            for name, target in zip(files, targets, strict=True):
                try:
                    with open(staging / name, "wb") as handle:
                        content = files[name]
                        if isinstance(content, bytes):
                            handle.write(content)
                        else:
                            for piece in content:
                                handle.write(piece)
                        handle.flush()
                        os.fsync(handle.fileno())
                except OSError as exc:  # a full disk or a quota, most likely
                    raise InputError(str(target), f"cannot write: {exc.strerror or exc}; no output was "
                                                  "replaced") from None
            for name, target in zip(files, targets, strict=True):
                os.replace(staging / name, target)
            _fsync_directory(out)
            return targets
        finally:
            shutil.rmtree(staging, ignore_errors=True)

"""A dataset as it is in a directory, or as it was at a git revision of the repository it lives in.

:func:`dataset_at` gives a directory to read either way. A revision's files are read from git's
object store (``git ls-tree`` and ``git cat-file``) into a temporary directory that is removed
afterwards, so the user's working tree, index and checked-out branch are never touched. Files
keep their paths below the repository's top level, so record paths in messages read as they do
in a checkout (``data/studies/doe-2020.yaml``); errors found in a revision's records name the
revision too (``main:data/studies/doe-2020.yaml:12:5``), git's own way of naming a file at a
revision.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from ..errors import InputError, InputErrors

_GIT_TIMEOUT_S = 120
_SYMLINK_MODE = "120000"


@dataclass(frozen=True)
class DatasetSide:
    """One side of a comparison: where its dataset directory is now, and what the user called it."""

    root: Path
    """The dataset directory to read (a temporary one for a revision)."""
    name: str
    """As the user gave it: a directory or a revision (``main``, ``HEAD~1``)."""
    commit: str | None
    """The commit a revision resolved to; None for a directory."""
    dataset_path: str | None
    """The dataset directory's path below the repository's top level (``"data/"``, ``""`` at the top); None
    outside a repository."""

    def in_repository(self, record_path: str) -> str | None:
        """A record path as messages give it (relative to the dataset's parent) → its path in the repository.

        What a link to a record line needs; None outside a repository.
        """
        return repository_file(self.dataset_path, record_path)


def repository_file(dataset_path: str | None, record_path: str) -> str | None:
    """A record path as messages give it → its path in the repository whose top level holds the dataset at
    ``dataset_path`` (see :attr:`DatasetSide.dataset_path`); None outside a repository."""
    if dataset_path is None:
        return None
    below = PurePosixPath(record_path).parts[1:]  # the first part is the dataset directory's name
    return str(PurePosixPath(dataset_path, *below))


def _git(repository: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(repository), *args], input=stdin, capture_output=True,
                              timeout=_GIT_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise InputError(str(repository), "git is not installed, so a revision cannot be read") from None
    except subprocess.TimeoutExpired:
        raise InputError(str(repository), f"git did not answer within {_GIT_TIMEOUT_S} s") from None


def _repository_of(directory: Path) -> tuple[Path, str] | None:
    """The top level of the git work tree holding ``directory``, and ``directory``'s path below it; None outside."""
    probe = directory if directory.is_dir() else directory.parent
    found = _git(probe, "rev-parse", "--show-toplevel", "--show-prefix") if probe.is_dir() else None
    if found is None or found.returncode != 0:
        return None
    top, _, prefix = found.stdout.decode("utf-8", "surrogateescape").partition("\n")
    return Path(top.strip()), prefix.strip()


def _resolve_commit(repository: Path, revision: str) -> str | None:
    if revision.startswith("-"):  # never let a side be read as one of git's options
        return None
    found = _git(repository, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    return found.stdout.decode("ascii").strip() if found.returncode == 0 else None


def _extract(repository: Path, commit: str, prefix: str, target: Path) -> int:
    """Write the files below ``prefix`` at ``commit`` into ``target`` (same relative paths); how many there were."""
    listed = _git(repository, "ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix or ".")
    if listed.returncode != 0:
        raise InputError(f"{commit}:{prefix}", "cannot list the revision's files: "
                         + listed.stderr.decode("utf-8", "replace").strip())
    entries = []
    for line in listed.stdout.split(b"\0"):
        if not line:
            continue
        meta, _, name = line.partition(b"\t")
        mode, kind, blob = meta.decode("ascii").split()
        if kind == "blob":  # submodules (commits) have no files here to read
            entries.append((mode, blob, os.fsdecode(name)))
    if not entries:
        return 0
    request = b"".join(f"{blob}\n".encode("ascii") for _, blob, _ in entries)
    contents = _git(repository, "cat-file", "--batch", stdin=request).stdout
    offset = 0
    for mode, _, file_name in entries:
        header_end = contents.index(b"\n", offset)
        size = int(contents[offset:header_end].split()[2])
        data = contents[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1
        path = target.joinpath(*PurePosixPath(file_name).parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        if mode == _SYMLINK_MODE:
            # Kept a link, so that the reader refuses it as it would in a checkout.
            os.symlink(os.fsdecode(data), path)
        else:
            path.write_bytes(data)
    return len(entries)


def _naming_revision(error: InputError, side: DatasetSide) -> InputError:
    location = replace(error.location, path=f"{side.name}:{side.in_repository(error.location.path)}")
    return InputError(location, error.message, field=error.field, rule=error.rule)


@contextmanager
def dataset_at(side: str | Path, data_dir: Path) -> Iterator[DatasetSide]:
    """The dataset of one side: ``side`` itself if it is a directory, else ``data_dir`` at the git revision ``side``.

    A name that is both a directory and a revision is taken as the directory. Input errors raised
    inside the block about a revision's records name the revision (``HEAD:data/studies/x.yaml:3:1``).
    """
    as_path = Path(side)
    if as_path.is_dir():
        found = _repository_of(as_path)
        yield DatasetSide(as_path, str(side), None, found[1] if found else None)
        return
    revision = str(side)
    found = _repository_of(data_dir)
    if found is None:
        raise InputError(revision, f"neither a directory nor a git revision: {data_dir} is not in a git repository")
    repository, prefix = found
    commit = _resolve_commit(repository, revision)
    if commit is None:
        raise InputError(revision, f"neither a directory nor a git revision of the repository at {repository}")
    staging = Path(tempfile.mkdtemp(prefix="evidencekg-revision-"))
    try:
        # A dataset at the top level gets the repository's name as its directory, as a checkout would have.
        target = staging if prefix else staging / repository.name
        if not _extract(repository, commit, prefix, target):
            raise InputError(f"{revision}:{prefix}", "no dataset here at this revision", rule="Dataset-layout")
        root = staging.joinpath(*PurePosixPath(prefix).parts) if prefix else target
        revision_side = DatasetSide(root, revision, commit, prefix)
        try:
            yield revision_side
        except InputErrors as exc:
            raise InputErrors([_naming_revision(e, revision_side) for e in exc.errors]) from None
        except InputError as exc:
            raise _naming_revision(exc, revision_side) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


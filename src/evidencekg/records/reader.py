"""Stage 1, records: read the YAML files of a dataset into plain Python values.

Every value keeps the line and column it came from, so that later stages can
point a curator at the place to fix. YAML is read conservatively:

* only the YAML 1.2 core schema: ``NO`` stays a string, ``012345`` is the
  number 12345 (and the model refuses it where a string is expected, rather
  than changing an identifier);
* no anchors, aliases, tags, or second documents (records need none, and
  aliases are how a few bytes expand into gigabytes);
* duplicate keys in a mapping are an error, not "last one wins";
* numbers are ASCII digits only, and a number a float cannot hold (``1e-400``, ``1e400``) is
  refused rather than turned into 0 or infinity;
* every entry of ``studies/`` is read as a record, refused, or (hidden and README files)
  deliberately ignored, and special files are never opened;
* files above a size limit and nesting deeper than a limit are refused
  before they cost memory.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, InputErrors, InputRule, SourceLocation
from .parallel import chunked, map_chunks, start_method, worker_count

MAX_RECORD_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 24
MAX_NODES = 100_000
"""Values per record: far above any real study, far below what would exhaust memory."""
MAX_NUMBER_DIGITS = 40
PARALLEL_MIN_FILES = {"fork": 1_000, "spawn": 4_000}
"""Study files from which reading is spread over worker processes, by how they start (``EVIDENCEKG_WORKERS``,
see :mod:`evidencekg.records.parallel`): below it, starting the workers costs more than they save. A spawned
worker starts a Python and imports the model, about 0.5 s on a 2-core machine; a forked one, next to nothing."""

VOCABULARY_FILE = "vocabulary.yaml"
DATASET_FILE = "dataset.yaml"
STUDIES_DIR = "studies"
RECORD_SUFFIXES = (".yaml", ".yml")
"""Suffixes of record files, compared case-insensitively (``.YAML`` and ``.Yml`` are records too)."""

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Record:
    """One YAML file's content, with the position of every key and item.

    ``positions`` maps a path such as ``("findings", 2, "p_value")`` to the
    (line, column) of that key; ``plain_text`` keeps the source text of plain
    scalars that YAML turned into numbers, booleans or null, for messages.
    """

    path: str
    data: dict[str, Any]
    positions: dict[Path_, tuple[int, int]] = field(repr=False)
    plain_text: dict[Path_, str] = field(repr=False)

    def locate(self, at: Path_) -> SourceLocation:
        """The location of ``at``, or of its nearest enclosing key that has one."""
        for end in range(len(at), -1, -1):
            position = self.positions.get(tuple(at[:end]))
            if position:
                return SourceLocation(self.path, *position)
        return SourceLocation(self.path, 1, 1)

    def error(self, at: Path_, message: str, rule: InputRule = "Record-invalidValue") -> InputError:
        return InputError(self.locate(at), message, field=format_path(at), rule=rule)

    def value_at(self, at: Path_) -> Any:
        """The value at ``at`` (None where the path leads nowhere)."""
        value: Any = self.data
        for part in at:
            if isinstance(part, int) and isinstance(value, list) and 0 <= part < len(value):
                value = value[part]
            elif isinstance(part, str) and isinstance(value, dict):
                value = value.get(part)
            else:
                return None
        return value

    def as_written(self, at: Path_) -> str | None:
        """The scalar at ``at`` as the file spells it (``1.30``, not 1.3), or None for a mapping or a list."""
        value = self.value_at(at)
        if isinstance(value, (dict, list)):
            return None
        return self.plain_text.get(tuple(at), None if value is None else str(value))

    def key(self, at: Path_) -> tuple[str, str]:
        """The record (its id, or its file when it has none) and the field, with list items named by their ids.

        ``findings[bp].p_value`` rather than ``findings[2].p_value``: a baseline that matches results by this
        key still holds when a finding is added above, or the file is reformatted.
        """
        record_id = self.data.get("id")
        name = record_id if isinstance(record_id, str) else self.path
        text = ""
        for end, part in enumerate(at, start=1):
            if isinstance(part, int):
                item = self.value_at(at[:end])
                item_id = item.get("id") if isinstance(item, dict) else None
                text += f"[{item_id}]" if isinstance(item_id, str) else f"[{part}]"
            else:
                text += f".{part}" if text else part
        return name, text


@dataclass(frozen=True)
class DatasetFiles:
    """The record files of one dataset directory, read but not yet validated.

    ``errors`` holds what could not be read (from :func:`read_records`); a record that is missing or
    unreadable is None (the vocabulary) or absent (a study, counted in ``unread_studies``).
    """

    root: Path
    vocabulary: Record | None
    studies: tuple[Record, ...]
    metadata: Record | None = None
    errors: tuple[InputError, ...] = ()
    unread_studies: int = 0


def format_path(at: Path_) -> str:
    """``("findings", 2, "p_value")`` → ``findings[2].p_value``."""
    text = ""
    for part in at:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def exact_float(text: str) -> float:
    """``text`` (ASCII digits, already checked) as a float, refusing a number that a float cannot hold.

    A decimal that overflows would become infinity and one that underflows would become 0: either
    changes what the source reported, so it is refused rather than stored.

    >>> exact_float("0.003")
    0.003
    >>> exact_float("1e-400")
    Traceback (most recent call last):
    ...
    ValueError: the number 1e-400 is too small to store: it would become 0
    """
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text} is too large to store: it would become infinity")
    if value == 0 and any(digit in "123456789" for digit in re.split("[eE]", text)[0]):
        raise ValueError(f"the number {text} is too small to store: it would become 0")
    return value


def _resolve_plain(text: str) -> Any:
    # fullmatch, not match: ``$`` would also accept a trailing newline. Every pattern spells its digits
    # [0-9], so digits of other scripts (full-width, Arabic-Indic...) never make a number.
    if len(text) > MAX_NUMBER_DIGITS and (_INT10.fullmatch(text) or _INT8.fullmatch(text)
                                          or _INT16.fullmatch(text) or _FLOAT.fullmatch(text)):
        raise ValueError(f"a number of {len(text)} digits is too long; quote it if it is an identifier")
    if _NULL.fullmatch(text):
        return None
    if _TRUE.fullmatch(text):
        return True
    if _FALSE.fullmatch(text):
        return False
    if _INT10.fullmatch(text):
        return int(text, 10)
    if _INT8.fullmatch(text):
        return int(text[2:], 8)
    if _INT16.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return exact_float(text)
    if _INF.fullmatch(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.fullmatch(text):
        return float("nan")
    return text


def _line_of_offset(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    return line, offset - (before.rfind(b"\n") + 1) + 1


def _decode(data: bytes, path: str) -> str:
    try:
        # utf-8-sig accepts and drops a byte-order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _line_of_offset(data, exc.start)
        raise InputError(
            SourceLocation(path, line, column),
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            rule="RecordFile-unreadable",
        ) from None


class _Builder:
    """Turns a stream of YAML events into values, positions and checks."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.plain_text: dict[Path_, str] = {}
        self.nodes = 0

    @staticmethod
    def position(mark: Any) -> tuple[int, int]:
        """The 1-based line and column of a YAML mark (the parser always sets an event's marks)."""
        return mark.line + 1, mark.column + 1

    def fail(self, mark: Any, message: str, at: Path_ = (),
             rule: InputRule = "RecordFile-yamlNotAllowed") -> InputError:
        return InputError(SourceLocation(self.path, mark.line + 1, mark.column + 1), message, field=format_path(at),
                          rule=rule)

    def check_node(self, event: Any, depth: int) -> None:
        if getattr(event, "anchor", None):
            raise self.fail(event.start_mark, "YAML anchors and aliases are not allowed in records")
        tag = getattr(event, "tag", None)
        if tag and not (isinstance(event, yaml.ScalarEvent) and event.implicit[0] is False and tag == "!"):
            raise self.fail(event.start_mark, f"YAML tags such as {tag!r} are not allowed in records")
        if depth > MAX_DEPTH:
            raise self.fail(event.start_mark, f"nesting deeper than {MAX_DEPTH} levels is not allowed")

    def value(self, events: Iterator[Any], event: Any, at: Path_, depth: int) -> Any:
        if isinstance(event, yaml.AliasEvent):
            raise self.fail(event.start_mark, "YAML anchors and aliases are not allowed in records")
        self.check_node(event, depth)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(event.start_mark, f"more than {MAX_NODES:,} values in one record")
        if isinstance(event, yaml.ScalarEvent):
            if not event.style:
                try:
                    resolved = _resolve_plain(event.value)
                except ValueError as exc:
                    raise self.fail(event.start_mark, str(exc), at, rule="Record-invalidValue") from None
                if not isinstance(resolved, str):
                    self.plain_text[at] = event.value
                return resolved
            return event.value
        if isinstance(event, yaml.SequenceStartEvent):
            items: list[Any] = []
            for child in events:
                if isinstance(child, yaml.SequenceEndEvent):
                    return items
                here = (*at, len(items))
                self.positions[here] = self.position(child.start_mark)
                items.append(self.value(events, child, here, depth + 1))
        if isinstance(event, yaml.MappingStartEvent):
            mapping: dict[str, Any] = {}
            for key_event in events:
                if isinstance(key_event, yaml.MappingEndEvent):
                    return mapping
                if not isinstance(key_event, yaml.ScalarEvent):
                    raise self.fail(key_event.start_mark, "mapping keys must be plain text")
                self.check_node(key_event, depth + 1)
                key = key_event.value
                here = (*at, key)
                if key in mapping:
                    first = self.positions[here]
                    raise self.fail(key_event.start_mark, f"duplicate key {key!r} (first given on line {first[0]})")
                self.positions[here] = self.position(key_event.start_mark)
                mapping[key] = self.value(events, next(events), here, depth + 1)
        raise self.fail(event.start_mark, f"unexpected YAML event {type(event).__name__}")


def parse_record(text: str, path: str) -> Record:
    """Parse one record's text. ``path`` is used in messages only."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    builder = _Builder(path)
    try:
        events = iter(yaml.parse(text, Loader=loader))
        data: Any = None
        documents = 0
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise builder.fail(event.start_mark, "more than one YAML document; put one record per file")
                data = builder.value(events, next(events), (), 0)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        shown = f" (U+{exc.character:04X})" if isinstance(exc.character, int) else ""
        raise InputError(SourceLocation(path, line, column), f"YAML error: {exc.reason}{shown}",
                         rule="RecordFile-yamlSyntax") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"YAML syntax error: {exc.problem or exc.context}"
        raise InputError(SourceLocation(path, mark.line + 1, mark.column + 1) if mark else path, message,
                         rule="RecordFile-yamlSyntax") from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"YAML error: {exc}", rule="RecordFile-yamlSyntax") from None
    if documents == 0 or data is None:
        raise InputError(path, "the file is empty; a record is a YAML mapping of keys to values",
                         rule="RecordFile-yamlSyntax")
    if not isinstance(data, dict):
        raise InputError(SourceLocation(path, 1, 1), f"a record must be a YAML mapping, not a {type(data).__name__}",
                         rule="RecordFile-yamlSyntax")
    return Record(path, data, builder.positions, builder.plain_text)


def is_record_name(name: str) -> bool:
    """Whether a file name looks like a record: it ends in ``.yaml`` or ``.yml``, in any case."""
    return Path(name).suffix.lower() in RECORD_SUFFIXES


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _entry_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a record file (None: it is a regular file, or a link to one).

    Nothing is opened: opening a named pipe would wait for a writer forever.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if path.is_symlink():
            return f"a symbolic link to {os.readlink(path)!r}, which does not exist"
        return "does not exist"
    except OSError as exc:
        if path.is_symlink():
            return f"a symbolic link that cannot be followed ({exc.strerror or exc})"
        return f"cannot read: {exc.strerror or exc}"
    return None if stat.S_ISREG(mode) else f"{_not_regular(mode)}, not a record file"


def read_record(path: Path, display_path: str | None = None) -> Record:
    """Read and parse one record file; anything but a regular file (or a link to one) is refused unopened."""
    shown = display_path or str(path)
    problem = _entry_problem(path)
    if problem:
        raise InputError(shown, problem, rule="RecordFile-unreadable")
    try:
        # O_NONBLOCK: should the file have been replaced by a named pipe since, opening it does not hang.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise InputError(shown, f"{_not_regular(status.st_mode)}, not a record file",
                                 rule="RecordFile-unreadable")
            if status.st_size > MAX_RECORD_BYTES:
                raise InputError(shown, f"file is {status.st_size:,} bytes; records are limited to "
                                        f"{MAX_RECORD_BYTES:,} bytes", rule="RecordFile-unreadable")
            data = handle.read(MAX_RECORD_BYTES + 1)
    except OSError as exc:
        raise InputError(shown, f"cannot read: {exc.strerror or exc}", rule="RecordFile-unreadable") from None
    if len(data) > MAX_RECORD_BYTES:
        raise InputError(shown, f"file grew past {MAX_RECORD_BYTES:,} bytes while being read; records are limited "
                                f"to {MAX_RECORD_BYTES:,} bytes", rule="RecordFile-unreadable")
    return parse_record(_decode(data, shown), shown)


def _is_ignored_in_studies(name: str) -> bool:
    """Hidden entries (``.gitkeep``, ``.DS_Store``, an editor's ``.x.yaml.swp``) and README files."""
    return name.startswith(".") or name.split(".", 1)[0].upper() == "README"


def scan_studies(root: Path) -> tuple[list[Path], list[InputError]]:
    """The study record files of a dataset directory, sorted, and what in ``studies/`` cannot be one.

    Every entry whose name ends in ``.yaml``/``.yml`` (any case) is a record and must be a regular
    file (or a link to one); every other entry is refused, except hidden entries and README files
    (see :func:`_is_ignored_in_studies`). Nothing is opened here.
    """
    studies_dir = root / STUDIES_DIR
    shown_dir = display_path(root, studies_dir)
    if not os.path.lexists(studies_dir):
        return [], []
    if not studies_dir.is_dir():
        return [], [InputError(shown_dir, "not a directory; study records go in a directory named studies/",
                               rule="Dataset-layout")]
    try:
        entries = sorted(studies_dir.iterdir())
    except OSError as exc:
        return [], [InputError(shown_dir, f"cannot list: {exc.strerror or exc}", rule="Dataset-layout")]
    records: list[Path] = []
    errors: list[InputError] = []
    for path in entries:
        shown = display_path(root, path)
        if is_record_name(path.name) and not path.name.startswith("."):
            problem = _entry_problem(path)
            if problem:
                errors.append(InputError(shown, f"{problem}; studies/ holds one record file per study",
                                         rule="Dataset-layout"))
            else:
                records.append(path)
        elif _is_ignored_in_studies(path.name):
            continue
        elif path.is_dir() and not path.is_symlink():
            errors.append(InputError(shown, "a directory; studies/ holds record files only, no subdirectories",
                                     rule="Dataset-layout"))
        else:
            errors.append(InputError(shown, "not a study record: files in studies/ end in .yaml or .yml "
                                            "(hidden files and README files are ignored); move it elsewhere",
                                     rule="Dataset-layout"))
    return records, errors


def study_files(root: Path) -> list[Path]:
    """The study record files of a dataset directory, sorted; :class:`InputErrors` for any entry that cannot be one."""
    records, errors = scan_studies(root)
    if errors:
        raise InputErrors(errors)
    return records


def _misnamed_top_level(root: Path) -> list[InputError]:
    """``dataset.yml``, ``Vocabulary.yaml`` and the like, which would otherwise be skipped without a word."""
    errors: list[InputError] = []
    try:
        names = sorted(os.listdir(root))
    except OSError as exc:
        return [InputError(str(root), f"cannot list: {exc.strerror or exc}", rule="Dataset-layout")]
    for name in names:
        for expected in (VOCABULARY_FILE, DATASET_FILE):
            stem = expected.rsplit(".", 1)[0]
            if name != expected and is_record_name(name) and name.rsplit(".", 1)[0].lower() == stem:
                errors.append(InputError(display_path(root, root / name),
                                         f"not read: name it {expected} (the only spelling evidencekg reads)",
                                         rule="Dataset-layout"))
    return errors


def read_records(root: Path, only: Collection[Path] | None = None) -> DatasetFiles:
    """Read every record of a dataset directory that can be read, and say why each other one cannot.

    The directory holds ``vocabulary.yaml``, optionally ``dataset.yaml``, and
    ``studies/*.yaml`` (or ``.yml``, any case); with ``only``, the vocabulary and those study files.
    Files are read in sorted order so that output does not depend on the file system's listing
    order. A file that cannot be read or parsed is left out and its error kept in
    ``DatasetFiles.errors``, so the other files are still checked in the same pass. Nothing that
    looks like a record is skipped: a misspelt ``dataset.yml``, or an entry of ``studies/`` that is
    not a record file, is an error. Only a data directory that is not there stops at once.

    From :data:`PARALLEL_MIN_FILES` study files on (1,000 where workers can be forked), they are parsed in
    worker processes (``EVIDENCEKG_WORKERS=1`` keeps everything in this one); records and errors are the
    same, in the same order, either way.
    """
    root = Path(root)
    if not root.exists():
        raise InputError(str(root), "data directory does not exist", rule="Dataset-layout")
    if not root.is_dir():
        raise InputError(str(root), "not a directory; pass the dataset directory that holds vocabulary.yaml",
                         rule="Dataset-layout")
    errors = _misnamed_top_level(root)
    vocabulary_path = root / VOCABULARY_FILE
    has_vocabulary = os.path.lexists(vocabulary_path)
    if not has_vocabulary and not errors:  # a misspelt vocabulary.yml already says what to do
        errors.append(InputError(display_path(root, root), f"no {VOCABULARY_FILE} in the data directory",
                                 rule="Dataset-layout"))
    if only is None:
        study_paths, scan_errors = scan_studies(root)
        errors += scan_errors
        if not study_paths and not errors:
            errors.append(InputError(display_path(root, root / STUDIES_DIR), "no study records (*.yaml) found",
                                     rule="Dataset-layout"))
    else:
        study_paths = sorted(only)

    def attempt(path: Path) -> Record | None:
        try:
            return read_record(path, display_path(root, path))
        except InputError as exc:
            errors.append(exc)
            return None

    vocabulary = attempt(vocabulary_path) if has_vocabulary else None
    metadata_path = root / DATASET_FILE
    metadata = attempt(metadata_path) if os.path.lexists(metadata_path) else None
    studies: list[Record] = []
    for outcome in _read_studies(root, study_paths):
        if isinstance(outcome, Record):
            studies.append(outcome)
        else:
            errors.append(InputError(*outcome))
    return DatasetFiles(root, vocabulary, tuple(studies), metadata, tuple(errors), len(study_paths) - len(studies))


_Failure = tuple[SourceLocation, str, str, InputRule]
"""An :class:`InputError`'s arguments: the error itself does not survive pickling (its ``args`` is its text)."""


def _read_chunk(chunk: tuple[Path, list[Path]]) -> list[Record | _Failure]:
    """Read some study files of a dataset: each a record, or why it cannot be one (in a worker, or in this process)."""
    root, paths = chunk
    outcomes: list[Record | _Failure] = []
    for path in paths:
        try:
            outcomes.append(read_record(path, display_path(root, path)))
        except InputError as exc:
            outcomes.append((exc.location, exc.message, exc.field, exc.rule))
    return outcomes


def _read_studies(root: Path, paths: list[Path]) -> Iterator[Record | _Failure]:
    """Each study file read, in the order given; in worker processes from :data:`PARALLEL_MIN_FILES` files on."""
    method = start_method() if len(paths) >= min(PARALLEL_MIN_FILES.values()) else None
    workers = worker_count() if method and len(paths) >= PARALLEL_MIN_FILES[method] else 1
    if workers <= 1:
        yield from _read_chunk((root, paths))
        return
    chunks = [(root, chunk) for chunk in chunked(paths, workers)]
    for outcomes in map_chunks(_read_chunk, chunks, workers, method):
        yield from outcomes


def read_dataset(root: Path, only: Collection[Path] | None = None) -> DatasetFiles:
    """Every record of a dataset directory (see :func:`read_records`); :class:`InputErrors` if any cannot be read."""
    files = read_records(root, only)
    if files.errors:
        raise InputErrors(list(files.errors))
    return files


def display_path(root: Path, path: Path) -> str:
    """How a record file is named in messages and provenance: relative to the dataset's parent."""
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return path.as_posix()

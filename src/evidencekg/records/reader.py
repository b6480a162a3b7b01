"""Stage 1, records: read the YAML files of a dataset into plain Python values.

Every value keeps the line and column it came from, so that later stages can
point a curator at the place to fix. YAML is read conservatively:

* only the YAML 1.2 core schema: ``NO`` stays a string, ``012345`` is the
  number 12345 (and the model refuses it where a string is expected, rather
  than changing an identifier);
* no anchors, aliases, tags, or second documents (records need none, and
  aliases are how a few bytes expand into gigabytes);
* duplicate keys in a mapping are an error, not "last one wins";
* files above a size limit and nesting deeper than a limit are refused
  before they cost memory.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, InputErrors, SourceLocation

MAX_RECORD_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 24
MAX_NODES = 100_000
"""Values per record: far above any real study, far below what would exhaust memory."""
MAX_NUMBER_DIGITS = 40

VOCABULARY_FILE = "vocabulary.yaml"
DATASET_FILE = "dataset.yaml"
STUDIES_DIR = "studies"
RECORD_SUFFIXES = (".yaml", ".yml")

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

    def error(self, at: Path_, message: str) -> InputError:
        return InputError(self.locate(at), message, field=format_path(at))


@dataclass(frozen=True)
class DatasetFiles:
    """The record files of one dataset directory, read but not yet validated."""

    root: Path
    vocabulary: Record
    studies: tuple[Record, ...]
    metadata: Record | None = None


def format_path(at: Path_) -> str:
    """``("findings", 2, "p_value")`` → ``findings[2].p_value``."""
    text = ""
    for part in at:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _resolve_plain(text: str) -> Any:
    if len(text) > MAX_NUMBER_DIGITS and (_INT10.match(text) or _INT8.match(text) or _INT16.match(text)
                                          or _FLOAT.match(text)):
        raise ValueError(f"a number of {len(text)} digits is too long; quote it if it is an identifier")
    if _NULL.match(text):
        return None
    if _TRUE.match(text):
        return True
    if _FALSE.match(text):
        return False
    if _INT10.match(text):
        return int(text, 10)
    if _INT8.match(text):
        return int(text[2:], 8)
    if _INT16.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
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

    def fail(self, mark: Any, message: str, at: Path_ = ()) -> InputError:
        return InputError(SourceLocation(self.path, mark.line + 1, mark.column + 1), message, field=format_path(at))

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
                    raise self.fail(event.start_mark, str(exc), at) from None
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
        raise InputError(SourceLocation(path, line, column), f"YAML error: {exc.reason}{shown}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"YAML syntax error: {exc.problem or exc.context}"
        raise InputError(SourceLocation(path, mark.line + 1, mark.column + 1) if mark else path, message) from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"YAML error: {exc}") from None
    if documents == 0 or data is None:
        raise InputError(path, "the file is empty; a record is a YAML mapping of keys to values")
    if not isinstance(data, dict):
        raise InputError(SourceLocation(path, 1, 1), f"a record must be a YAML mapping, not a {type(data).__name__}")
    return Record(path, data, builder.positions, builder.plain_text)


def read_record(path: Path, display_path: str | None = None) -> Record:
    """Read and parse one record file."""
    shown = display_path or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_RECORD_BYTES:
            raise InputError(shown, f"file is {size:,} bytes; records are limited to {MAX_RECORD_BYTES:,} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(shown, f"cannot read: {exc.strerror or exc}") from None
    return parse_record(_decode(data, shown), shown)


def study_files(root: Path) -> list[Path]:
    """The study record files of a dataset directory, sorted."""
    studies_dir = root / STUDIES_DIR
    return (
        sorted(p for p in studies_dir.iterdir() if p.suffix in RECORD_SUFFIXES and p.is_file())
        if studies_dir.is_dir()
        else []
    )


def read_dataset(root: Path, only: Collection[Path] | None = None) -> DatasetFiles:
    """Read every record of a dataset directory (or, with ``only``, the vocabulary and those study files).

    The directory holds ``vocabulary.yaml``, optionally ``dataset.yaml``, and
    ``studies/*.yaml``. Files are read in sorted order so that output does
    not depend on the file system's listing order; every readable error of
    every file is reported together.
    """
    root = Path(root)
    if not root.exists():
        raise InputError(str(root), "data directory does not exist")
    if not root.is_dir():
        raise InputError(str(root), "not a directory; pass the dataset directory that holds vocabulary.yaml")
    vocabulary_path = root / VOCABULARY_FILE
    if not vocabulary_path.is_file():
        raise InputError(str(root), f"no {VOCABULARY_FILE} in the data directory")
    study_paths = study_files(root) if only is None else sorted(only)
    if not study_paths and only is None:
        raise InputError(str(root / STUDIES_DIR), "no study records (*.yaml) found")

    errors: list[InputError] = []

    def attempt(path: Path) -> Record | None:
        try:
            return read_record(path, display_path(root, path))
        except InputError as exc:
            errors.append(exc)
            return None

    vocabulary = attempt(vocabulary_path)
    metadata_path = root / DATASET_FILE
    metadata = attempt(metadata_path) if metadata_path.is_file() else None
    studies = [attempt(p) for p in study_paths]
    if errors:
        raise InputErrors(errors)
    assert vocabulary is not None
    return DatasetFiles(root, vocabulary, tuple(s for s in studies if s is not None), metadata)


def display_path(root: Path, path: Path) -> str:
    """How a record file is named in messages and provenance: relative to the dataset's parent."""
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return path.as_posix()

"""Errors every stage raises, each able to say where in the input it comes from.

Library code only raises these; the command line maps them to exit codes
(2 for input that cannot be read or is structurally invalid).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

_KEPT_CONTROLS = frozenset("\n\t")


def printable(text: str) -> str:
    r"""``text`` with control and format characters written as escapes, for a terminal or a log.

    Input quoted in a message must not move the cursor, recolour the terminal or
    reorder the line (bidirectional overrides): ESC, CR, BEL and their kind become
    ``\x1b``-style escapes; newlines and tabs stay.

    >>> printable("ok\x1b[31m red\r\u202e")
    'ok\\x1b[31m red\\r\\u202e'
    """
    if text.isprintable():
        return text
    return "".join(char if char in _KEPT_CONTROLS or unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp")
                   else repr(char)[1:-1] for char in text)


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in an input file: 1-based line and column, either may be unknown."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.path
        if not self.column:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


class EvidenceKGError(Exception):
    """Base class of the errors evidencekg raises on purpose."""


InputRule = Literal[
    "Dataset-layout", "RecordFile-unreadable", "RecordFile-yamlSyntax", "RecordFile-yamlNotAllowed",
    "Record-unknownKey", "Record-missingKey", "Record-wrongType", "Record-invalidValue", "Record-duplicateId",
    "Record-danglingReference", "Vocabulary-unknownTerm", "Vocabulary-hierarchy", "Vocabulary-prefix",
    "RdfFile-unreadable", "Input-refused",
]
"""The rule an input error breaks; reports name it as they name a SHACL shape (docs/shapes.md lists them)."""

INPUT_RULES: dict[str, str] = {
    "Dataset-layout": "the dataset directory holds vocabulary.yaml, dataset.yaml and studies/*.yaml, named so",
    "RecordFile-unreadable": "a record file is a readable regular UTF-8 file of at most 4 MiB",
    "RecordFile-yamlSyntax": "a record is one YAML mapping that parses",
    "RecordFile-yamlNotAllowed": "records use no anchors, aliases, tags, duplicate keys, second documents, "
                                 "deep nesting or overlong numbers",
    "Record-unknownKey": "every key is one the record format has",
    "Record-missingKey": "every required key is given",
    "Record-wrongType": "every value has the type its key needs",
    "Record-invalidValue": "every value is one its key allows",
    "Record-duplicateId": "ids are unique where the format says so",
    "Record-danglingReference": "a reference names a group, intervention or study that exists",
    "Vocabulary-unknownTerm": "a term reference names a vocabulary term of the right kind",
    "Vocabulary-hierarchy": "a broader term is of the same kind, without cycles",
    "Vocabulary-prefix": "prefixes and cross-references are well-formed and declared",
    "RdfFile-unreadable": "an RDF or shapes file given on the command line reads as RDF",
    "Input-refused": "the input is something evidencekg can check",
}


class InputError(EvidenceKGError):
    """Input that cannot be read, parsed or turned into the model.

    ``field`` is the dotted path inside the record (``findings[2].p_value``); ``rule`` is the kind of error.
    """

    def __init__(self, location: SourceLocation | str | Path, message: str, field: str = "",
                 rule: InputRule = "Input-refused") -> None:
        if not isinstance(location, SourceLocation):
            location = SourceLocation(str(location))
        self.location = location
        self.message = message
        self.field = field
        self.rule = rule
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.location}: {self.field}: " if self.field else f"{self.location}: "
        return where + self.message


class InputErrors(EvidenceKGError):
    """Several input errors found in one pass, so a curator can fix them all at once."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.location, e.field, e.message))
        super().__init__("\n".join(str(e) for e in self.errors))


class QueryError(EvidenceKGError):
    """A query that cannot be found, parsed or run."""


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 study``, ``2 studies``: a count and its noun, for messages.

    >>> plural(1, "study", "studies"), plural(0, "finding"), plural(2, "row")
    ('1 study', '0 findings', '2 rows')
    """
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"

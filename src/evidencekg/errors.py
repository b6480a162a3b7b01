"""Errors every stage raises, each able to say where in the input it comes from.

Library code only raises these; the command line maps them to exit codes
(2 for input that cannot be read or is structurally invalid).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


class InputError(EvidenceKGError):
    """Input that cannot be read, parsed or turned into the model.

    ``field`` is the dotted path inside the record (``findings[2].p_value``).
    """

    def __init__(self, location: SourceLocation | str | Path, message: str, field: str = "") -> None:
        if not isinstance(location, SourceLocation):
            location = SourceLocation(str(location))
        self.location = location
        self.message = message
        self.field = field
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

"""The validated form of a dataset: the single source of truth of the record format.

Each record file has a pydantic model here; :mod:`evidencekg.records.checks`
validates records into a :class:`Dataset`, refusing anything the later stages
could not represent faithfully: wrong types, unknown keys (with a did-you-mean),
invalid ids, references to groups, interventions, terms or studies that do not
exist, duplicate ids and cycles in a hierarchy.

What is well-formed but doubtful (a p-value of 1.3, a year in the future, a
significant finding with p = 0.2) is left to the SHACL shapes, so that the same
checks apply to RDF produced elsewhere and every problem is reported at once.

>>> import evidencekg
>>> dataset = evidencekg.load_dataset(evidencekg.bundled_data_dir())
>>> dataset.counts()["studies"] > 0
True
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from .reader import Record, exact_float

BASELINE = "baseline"
"""The comparator value of a before/after finding: the group compared with itself at baseline."""

# Characters no IRI may hold (RFC 3987 and the Turtle IRIREF rule): controls, space and <>"{}|\^`.
_NOT_IN_IRI = "\x00-\x20\x7f-\x9f<>\"{}|\\^`"
IRI_SHAPE = re.compile(f"^[A-Za-z][A-Za-z0-9+.-]*:[^{_NOT_IN_IRI}]*$")
CURIE_LOCAL_SHAPE = re.compile(f"^[^{_NOT_IN_IRI}]+$")
PREFIX_NAME_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_SLUG_FIRST = set("abcdefghijklmnopqrstuvwxyz0123456789")
_SLUG_REST = _SLUG_FIRST | {"-"}
MAX_ID_LENGTH = 80


def _describe_char(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"{char!r} (U+{ord(char):04X}{' ' + name if name else ''})"


def check_id(value: str) -> str:
    """An id: lowercase ASCII letters, digits and hyphens, starting with a letter or digit.

    Ids become parts of IRIs and file-like names, so anything else (spaces,
    quotes, path separators, look-alike or invisible characters) is refused
    rather than escaped: two ids that differ only by case or by Unicode
    normalisation can then never collide.

    >>> check_id("smith-2020")
    'smith-2020'
    >>> check_id("smith 2020")
    Traceback (most recent call last):
    ...
    ValueError: 'smith 2020' is not a valid id: it contains ' ' (U+0020 SPACE); ids use lowercase ASCII letters, digits and hyphens
    """  # noqa: E501 - a doctest's expected output is one line
    if not value:
        raise ValueError("an id cannot be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"an id is at most {MAX_ID_LENGTH} characters long")
    for position, char in enumerate(value):
        allowed = _SLUG_REST if position else _SLUG_FIRST
        if char not in allowed:
            reason = "starts with" if position == 0 and char in _SLUG_REST else "contains"
            raise ValueError(
                f"{value!r} is not a valid id: it {reason} {_describe_char(char)}; "
                "ids use lowercase ASCII letters, digits and hyphens"
            )
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("cannot be blank")
    return value


def _finite(value: float) -> float:
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{value} is not a number a source can report")
    return value


_P_BOUND = re.compile(r"(<=|>=|<|>|≤|≥) *((?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)", re.ASCII)
"""A bound as a source writes it: an operator, optional spaces, an unsigned decimal of ASCII digits.

Deliberately not :func:`float`'s grammar, which also takes ``0_001``, ``inf``, ``nan`` and the digits of
every script (full-width, Arabic-Indic...): what the format accepts is what it documents (docs/record-format.md).
"""


def _p_value(value: Any) -> float | str:
    """A p-value: a number, or a bound as the source writes it (``<0.001``, ``> 0.05``).

    >>> _p_value("<0.001")
    '<0.001'
    >>> _p_value("<0_001")
    Traceback (most recent call last):
    ...
    ValueError: '<0_001' is not a p-value: write a number (0.003) or a bound ('<0.001'): an operator (<, <=, >, >=, ≤, ≥) and a number of ASCII digits
    """  # noqa: E501 - a doctest's expected output is one line
    if isinstance(value, bool):
        raise ValueError("expected a number or a bound such as '<0.001', not true/false")
    if isinstance(value, (int, float)):
        try:
            return _finite(float(value))
        except OverflowError:
            raise ValueError(f"{value} is too large to store as a p-value") from None
    if isinstance(value, str):
        text = value.strip()
        bound = _P_BOUND.fullmatch(text)
        if bound:
            exact_float(bound.group(2))  # refuses a bound that would become 0 or infinity
            return text
        raise ValueError(f"{value!r} is not a p-value: write a number (0.003) or a bound ('<0.001'): "
                         "an operator (<, <=, >, >=, ≤, ≥) and a number of ASCII digits")
    raise ValueError("expected a number or a bound such as '<0.001'")


def _url(value: str) -> str:
    if not value.startswith(("https://", "http://")) or not IRI_SHAPE.match(value):
        raise ValueError(f"{value!r} is not a web address (http:// or https://, no spaces or control characters)")
    return value


_SPDX_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*", re.ASCII)
_LANGUAGE_TAG = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _license(value: str) -> str:
    if value.startswith(("https://", "http://")):
        return _url(value)
    if not _SPDX_ID.fullmatch(value):
        raise ValueError(f"{value!r} is neither a web address nor an SPDX licence identifier (CC-BY-4.0, MIT)")
    return value


def _language(value: str) -> str:
    if not _LANGUAGE_TAG.fullmatch(value):
        raise ValueError(f"{value!r} is not a language tag such as en, de or pt-BR")
    return value


def _date(value: str) -> str:
    try:
        if _ISO_DATE.fullmatch(value):
            date.fromisoformat(value)
            return value
    except ValueError:
        pass
    raise ValueError(f"{value!r} is not a date written YYYY-MM-DD")


def _text_identifier(value: Any) -> Any:
    # Volumes and issues are often written as bare numbers; they are labels, not quantities.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Id = Annotated[str, AfterValidator(check_id)]
Text = Annotated[str, AfterValidator(_text)]
# A single id stands for a list of one, in the JSON Schema too.
IdList = Annotated[list[Id], BeforeValidator(_as_list, json_schema_input_type=str | list[str])]
Count = Annotated[int, Field(strict=True)]
PValue = Annotated[Any, AfterValidator(_p_value)]
Url = Annotated[str, AfterValidator(_url)]
Label = Annotated[str, BeforeValidator(_text_identifier), AfterValidator(_text)]
License = Annotated[str, AfterValidator(_license)]
Language = Annotated[str, AfterValidator(_language)]
IsoDate = Annotated[str, AfterValidator(_date)]

Design = Literal[
    "systematic-review",
    "meta-analysis",
    "randomized-controlled-trial",
    "non-randomized-trial",
    "cohort",
    "case-control",
    "cross-sectional",
    "case-series",
    "case-report",
    "expert-opinion",
]
EVIDENCE_SYNTHESIS_DESIGNS = frozenset({"systematic-review", "meta-analysis"})
Direction = Literal["increase", "decrease", "no-change"]
Role = Literal["case", "control", "intervention", "placebo", "active-comparator", "all-participants"]
QuoteKind = Literal["primary", "secondary"]


def _check_assumed(assumed: dict[str, str], info: ValidationInfo, fields: tuple[str, ...]) -> dict[str, str]:
    """``assumed`` names fields of the same record that are set; the reason says why each is an assumption.

    Declared after the fields it names, so that ``info.data`` already holds them.
    """
    for name in assumed:
        if name not in fields:
            raise ValueError(f"{name!r} cannot be marked as assumed; the fields that can: {', '.join(fields)}")
        if info.data.get(name) in (None, []):
            raise ValueError(f"{name!r} is marked as assumed but not set: give the assumed value or drop the mark")
    return assumed


Reasons = dict[str, Text]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Suppression(_Strict):
    """One rule a node is exempt from, and why; the result is still shown in every report, marked suppressed."""

    rule: Text
    reason: Text


class _Node(_Strict):
    """A record part that becomes a node of the graph, and so can suppress a rule's results about it."""

    suppress: list[Suppression] = []


class CrossReference(_Strict):
    """A mapping of a vocabulary term to a standard identifier, with where it was verified."""

    curie: Text
    source: Url | None = None


class Term(_Node):
    """A vocabulary term: a population, condition, outcome or intervention."""

    id: Id
    label: Text
    definition: Text | None = None
    broader: IdList = []
    xrefs: list[CrossReference] = []


class Vocabulary(_Strict):
    """``vocabulary.yaml``: the shared terms of a dataset, one list per kind."""

    prefixes: dict[str, Text] = {}
    populations: list[Term] = []
    conditions: list[Term] = []
    outcomes: list[Term] = []
    interventions: list[Term] = []


TERM_KINDS = ("populations", "conditions", "outcomes", "interventions")


class Group(_Node):
    """A group of participants that findings describe or compare against."""

    id: Id
    label: Text
    population: Id
    condition: Id | None = None
    size: Count | None = None
    role: Role | None = None
    interventions: IdList = []
    assumed: Reasons = {}

    @field_validator("assumed")
    @classmethod
    def _assumed(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        return _check_assumed(value, info, GROUP_ASSUMABLE)


GROUP_ASSUMABLE = ("population", "condition", "size", "role", "interventions")
"""The fields of a group that ``assumed`` can mark."""


class StudyIntervention(_Node):
    """A vocabulary intervention as this study used it."""

    id: Id
    intervention: Id
    dose: Text | None = None


class _Result(_Node):
    """What a finding and a test across groups both report: the result, the quote that states it, when, a note."""

    significant: bool | None = None
    p_value: PValue | None = None
    quote: Text | None = None
    quote_source: Url | None = None
    quote_kind: QuoteKind | None = None
    timepoint: Text | None = None
    note: Text | None = None


class Finding(_Result):
    """A claim of the study about an outcome.

    Either a contrast (``comparator`` is a group of the study, or ``baseline``)
    or an association with an ``exposure`` within the group.
    """

    id: Id
    outcome: Id
    group: Id
    comparator: Id | None = None
    intervention: Id | None = None
    exposure: Id | None = None
    direction: Direction
    from_test: Id | None = None
    assumed: Reasons = {}

    @field_validator("from_test")
    @classmethod
    def _no_significance_of_its_own(cls, value: str | None, info: ValidationInfo) -> str | None:
        own = [name for name in ("significant", "p_value") if info.data.get(name) is not None]
        if value is not None and own:
            raise ValueError(f"a finding read from the test {value!r} across groups has no significance of its own: "
                             f"remove {' and '.join(own)} (the test carries them)")
        return value

    @field_validator("assumed")
    @classmethod
    def _assumed(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        return _check_assumed(value, info, FINDING_ASSUMABLE)


FINDING_ASSUMABLE = ("outcome", "group", "comparator", "intervention", "exposure", "direction", "timepoint")
"""The fields of a finding that ``assumed`` can mark."""


class OmnibusTest(_Result):
    """One test of whether an outcome differs across more than two groups at once (an ANOVA, say).

    It says that the groups differ, not which pairs do: findings read from it
    (``from_test``) keep a direction but carry no significance of their own.
    """

    id: Id
    outcome: Id
    groups: Annotated[IdList, Field(min_length=3)]
    method: Text | None = None


class Study(_Node):
    """One study record, ``studies/<id>.yaml``."""

    id: Id
    title: Text | None = None
    authors: list[Text] = []
    year: Count | None = None
    journal: Text | None = None
    volume: Label | None = None
    issue: Label | None = None
    pages: Label | None = None
    doi: Text | None = None
    pmid: Text | None = None
    citation_verified: bool = True
    citation_sources: list[Url] = []
    design: Design | None = None
    sample_size: Count | None = None
    included_study_count: Count | None = None
    includes: IdList = []
    notes: Text | None = None
    groups: list[Group] = []
    interventions: list[StudyIntervention] = []
    omnibus_tests: list[OmnibusTest] = []
    findings: list[Finding] = []


class DatasetMetadata(_Strict):
    """``dataset.yaml``: what the dataset is about and the base of its IRIs."""

    title: Text | None = None
    description: Text | None = None
    question: Text | None = None
    base_iri: Url | None = None
    license: License | None = None
    language: Language | None = None
    publisher: Text | None = None
    publisher_url: Url | None = None
    issued: IsoDate | None = None
    modified: IsoDate | None = None
    sources: list[Url] = []


class Dataset(BaseModel):
    """A validated dataset: vocabulary, studies and where each came from."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    root: Path
    metadata: DatasetMetadata
    vocabulary: Vocabulary
    studies: tuple[Study, ...]
    study_records: dict[str, Record]
    """Study id → the record it came from, with the position of every value."""
    vocabulary_record: Record
    metadata_record: Record | None = None
    """The dataset.yaml the metadata came from, if the dataset has one."""

    def dataset_files(self) -> list[str]:
        """The files of the dataset directory itself that were read (vocabulary, metadata), as messages name them."""
        return [record.path for record in (self.vocabulary_record, self.metadata_record) if record is not None]

    def terms(self) -> dict[str, tuple[str, Term]]:
        """Term id → (kind, term)."""
        return {term.id: (kind, term) for kind in TERM_KINDS for term in getattr(self.vocabulary, kind)}

    def counts(self) -> dict[str, int]:
        """How many records of each kind the dataset holds."""
        return {
            "studies": len(self.studies),
            "groups": sum(len(s.groups) for s in self.studies),
            "interventions": sum(len(s.interventions) for s in self.studies),
            "findings": sum(len(s.findings) for s in self.studies),
            "terms": len(self.terms()),
        }


# --- turning pydantic errors into messages for curators ------------------------------------

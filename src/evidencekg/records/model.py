"""Stage 2, model: the validated form of a dataset, and the single source of truth of the record format.

``load_dataset`` turns the records of stage 1 into a :class:`Dataset`, refusing
anything the later stages could not represent faithfully: wrong types, unknown
keys (with a did-you-mean), invalid ids, references to groups, interventions,
terms or studies that do not exist, duplicate ids and cycles in a hierarchy.

What is well-formed but doubtful (a p-value of 1.3, a year in the future, a
significant finding with p = 0.2) is left to the SHACL shapes, so that the same
checks apply to RDF produced elsewhere and every problem is reported at once.

>>> import evidencekg
>>> dataset = evidencekg.load_dataset(evidencekg.bundled_data_dir())
>>> dataset.counts()["studies"] > 0
True
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from ..errors import InputError, InputErrors
from .reader import DatasetFiles, Path_, Record, format_path, read_dataset

BASELINE = "baseline"
"""The comparator value of a before/after finding: the group compared with itself at baseline."""

_PREFIX_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
# Characters no IRI may hold (RFC 3987 and the Turtle IRIREF rule): controls, space and <>"{}|\^`.
_NOT_IN_IRI = "\x00-\x20\x7f-\x9f<>\"{}|\\^`"
_IRI = re.compile(f"^[A-Za-z][A-Za-z0-9+.-]*:[^{_NOT_IN_IRI}]*$")
_CURIE_LOCAL = re.compile(f"^[^{_NOT_IN_IRI}]+$")
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


def _p_value(value: Any) -> float | str:
    """A p-value: a number, or a bound as the source writes it (``<0.001``, ``> 0.05``)."""
    if isinstance(value, bool):
        raise ValueError("expected a number or a bound such as '<0.001', not true/false")
    if isinstance(value, (int, float)):
        try:
            return _finite(float(value))
        except OverflowError:
            raise ValueError(f"{value} is not a number a source can report") from None
    if isinstance(value, str):
        text = value.strip()
        for op in ("<=", ">=", "<", ">", "≤", "≥"):
            if text.startswith(op):
                number = text[len(op):].strip()
                try:
                    _finite(float(number))
                except ValueError:
                    break
                return text
        raise ValueError(f"{value!r} is not a p-value: write a number (0.003) or a bound ('<0.001')")
    raise ValueError("expected a number or a bound such as '<0.001'")


def _url(value: str) -> str:
    if not value.startswith(("https://", "http://")) or not _IRI.match(value):
        raise ValueError(f"{value!r} is not a web address (http:// or https://, no spaces or control characters)")
    return value


def _text_identifier(value: Any) -> Any:
    # Volumes and issues are often written as bare numbers; they are labels, not quantities.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Id = Annotated[str, AfterValidator(check_id)]
Text = Annotated[str, AfterValidator(_text)]
IdList = Annotated[list[Id], BeforeValidator(_as_list)]
Count = Annotated[int, Field(strict=True)]
PValue = Annotated[Any, AfterValidator(_p_value)]
Url = Annotated[str, AfterValidator(_url)]
Label = Annotated[str, BeforeValidator(_text_identifier), AfterValidator(_text)]

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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CrossReference(_Strict):
    """A mapping of a vocabulary term to a standard identifier, with where it was verified."""

    curie: Text
    source: Url | None = None


class Term(_Strict):
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


class Group(_Strict):
    """A group of participants that findings describe or compare against."""

    id: Id
    label: Text
    population: Id
    condition: Id | None = None
    size: Count | None = None
    role: Role | None = None
    interventions: IdList = []


class StudyIntervention(_Strict):
    """A vocabulary intervention as this study used it."""

    id: Id
    intervention: Id
    dose: Text | None = None


class Finding(_Strict):
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
    significant: bool | None = None
    p_value: PValue | None = None
    quote: Text | None = None
    quote_source: Url | None = None
    timepoint: Text | None = None
    note: Text | None = None


class Study(_Strict):
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
    findings: list[Finding] = []


class DatasetMetadata(_Strict):
    """``dataset.yaml``: what the dataset is about and the base of its IRIs."""

    title: Text | None = None
    description: Text | None = None
    question: Text | None = None
    base_iri: Url | None = None
    license: Text | None = None
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


def _model_at(model: type[BaseModel], at: Path_) -> type[BaseModel] | None:
    """The model class that holds the last key of ``at``."""
    current: Any = model
    for part in at[:-1]:
        if isinstance(part, int):
            continue
        is_model = isinstance(current, type) and issubclass(current, BaseModel)
        field = current.model_fields.get(part) if is_model else None
        if field is None:
            return None
        annotation = field.annotation
        while (get_origin(annotation) in (list, tuple, Union, Annotated)
               or str(get_origin(annotation)) == "types.UnionType"):
            candidates = [a for a in get_args(annotation) if a is not type(None)]
            models = (a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel))
            annotation = next(models, candidates[0])
        current = annotation
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _message(error: ErrorDetails, record: Record, model: type[BaseModel]) -> tuple[Path_, str]:
    at: Path_ = tuple(error["loc"])
    kind = error["type"]
    raw = record.plain_text.get(at)
    given = error.get("input")
    if kind == "extra_forbidden":
        holder = _model_at(model, at)
        allowed = sorted(holder.model_fields) if holder else []
        close = difflib.get_close_matches(str(at[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; allowed keys: {', '.join(allowed)}"
        return at, f"unknown key {at[-1]!r}{hint}"
    if kind == "missing":
        return at, "required key is missing"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        choices = [e.strip(" '") for e in expected.replace(" or ", ", ").split(",")]
        close = difflib.get_close_matches(str(given), choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return at, f"{given!r} is not allowed; expected one of {expected}{hint}"
    if kind in ("value_error", "assertion_error"):
        return at, str(error["ctx"]["error"])
    if kind == "string_type" and raw is not None:
        return at, (f"expected text, but YAML read {raw} as {type(given).__name__} {given!r}; "
                    f"put it in quotes: \"{raw}\"")
    shown = raw if raw is not None else repr(given)
    if isinstance(given, (dict, list)):
        shown = f"a {'mapping' if isinstance(given, dict) else 'list'}"
    return at, f"{error['msg'].rstrip('.').lower()}, got {shown}"


def _validate(model: type[BaseModel], record: Record, errors: list[InputError]) -> Any:
    try:
        return model.model_validate(record.data)
    except ValidationError as exc:
        seen: set[Path_] = set()
        for error in exc.errors(include_url=False):
            at, message = _message(error, record, model)
            # pydantic appends the union branch to the location; one message per place is enough.
            at = tuple(p for p in at
                       if not (isinstance(p, str) and ("[" in p or p in ("function-after", "int", "float", "str"))))
            if at in seen:
                continue
            seen.add(at)
            errors.append(record.error(at, message))
        return None


# --- cross-record checks --------------------------------------------------------------------


def _duplicates(items: Iterable[Any], record: Record, at: Path_, what: str,
                errors: list[InputError]) -> dict[str, int]:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.id in first:
            errors.append(record.error((*at, index, "id"), f"duplicate {what} id {item.id!r} "
                                       f"(first at {format_path((*at, first[item.id]))})"))
        else:
            first[item.id] = index
    return first


def _suggest(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, sorted(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _check_vocabulary(vocabulary: Vocabulary, record: Record, errors: list[InputError]) -> None:
    for prefix, namespace in sorted(vocabulary.prefixes.items()):
        if not _PREFIX_NAME.match(prefix):
            errors.append(record.error(("prefixes", prefix), f"{prefix!r} is not a usable prefix name: "
                                       "a letter, then letters, digits, '_' or '-'"))
        if not _IRI.match(namespace):
            errors.append(record.error(("prefixes", prefix), f"{namespace!r} is not an IRI namespace"))
    kind_of: dict[str, str] = {}
    for kind in TERM_KINDS:
        for index, term in enumerate(getattr(vocabulary, kind)):
            if term.id in kind_of:
                errors.append(record.error((kind, index, "id"),
                                           f"duplicate term id {term.id!r} (already a term of {kind_of[term.id]})"))
            kind_of.setdefault(term.id, kind)
        for index, term in enumerate(getattr(vocabulary, kind)):
            for position, parent in enumerate(term.broader):
                if kind_of.get(parent) != kind:
                    found = f" (it is one of the {kind_of[parent]})" if parent in kind_of else ""
                    suggestion = "" if found else _suggest(parent, [t for t, k in kind_of.items() if k == kind])
                    errors.append(record.error((kind, index, "broader", position),
                                               f"broader term {parent!r} is not one of the {kind}{found}{suggestion}"))
            for position, xref in enumerate(term.xrefs):
                prefix = xref.curie.partition(":")[0]
                if ":" not in xref.curie or prefix not in vocabulary.prefixes:
                    errors.append(record.error((kind, index, "xrefs", position, "curie"),
                                               f"{xref.curie!r} needs a prefix declared under 'prefixes'"))
                elif not _CURIE_LOCAL.match(xref.curie.partition(":")[2]):
                    errors.append(record.error((kind, index, "xrefs", position, "curie"),
                                               f"{xref.curie!r}: the part after the prefix cannot be empty or contain "
                                               "spaces or any of <>\"{}|^`\\"))
    for kind in TERM_KINDS:
        _check_cycles(getattr(vocabulary, kind), kind, record, errors)


def _check_cycles(terms: list[Term], kind: str, record: Record, errors: list[InputError]) -> None:
    parents = {t.id: t.broader for t in terms}
    index_of = {t.id: i for i, t in enumerate(terms)}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(term: str, path: list[str]) -> None:
        state[term] = 1
        for parent in parents.get(term, []):
            if state.get(parent) == 1:
                cycle = [*path[path.index(parent):], term, parent] if parent in path else [term, parent]
                shown = " → ".join(dict.fromkeys(cycle)) + " → " + parent
                errors.append(record.error((kind, index_of[parent], "broader"),
                                           f"cycle in the broader hierarchy: {shown}"))
            elif parent in parents and not state.get(parent):
                visit(parent, [*path, term])
        state[term] = 2

    for term in sorted(parents):
        if not state.get(term):
            visit(term, [])


def _check_study(study: Study, record: Record, terms: dict[str, tuple[str, Term]], study_ids: set[str],
                 errors: list[InputError]) -> None:
    def need_term(value: str | None, kind: str, at: Path_) -> None:
        if value is None:
            return
        if value not in terms:
            suggestion = _suggest(value, [t for t, (k, _) in terms.items() if k == kind])
            errors.append(record.error(at, f"unknown term {value!r}{suggestion}"))
        elif terms[value][0] != kind:
            errors.append(record.error(at, f"{value!r} is one of the {terms[value][0]}, not of the {kind}"))

    groups = _duplicates(study.groups, record, ("groups",), "group", errors)
    interventions = _duplicates(study.interventions, record, ("interventions",), "intervention", errors)
    _duplicates(study.findings, record, ("findings",), "finding", errors)

    def need(value: str | None, known: dict[str, int], what: str, at: Path_) -> None:
        if value is not None and value not in known:
            listed = ", ".join(sorted(known)) or "none"
            errors.append(record.error(at, f"no {what} {value!r} in this study{_suggest(value, known)} "
                                           f"(its {what}s: {listed})"))

    for index, group in enumerate(study.groups):
        if group.id == BASELINE:
            errors.append(record.error(("groups", index, "id"), f"{BASELINE!r} is reserved for before/after "
                                       "comparisons; name the group otherwise"))
        need_term(group.population, "populations", ("groups", index, "population"))
        need_term(group.condition, "conditions", ("groups", index, "condition"))
        for position, used in enumerate(group.interventions):
            need(used, interventions, "intervention", ("groups", index, "interventions", position))
    for index, entry in enumerate(study.interventions):
        need_term(entry.intervention, "interventions", ("interventions", index, "intervention"))
    for index, finding in enumerate(study.findings):
        at: Path_ = ("findings", index)
        need_term(finding.outcome, "outcomes", (*at, "outcome"))
        need(finding.group, groups, "group", (*at, "group"))
        if finding.comparator is None:
            if finding.exposure is None:
                errors.append(record.error(at, f"a finding needs a comparator (a group id or {BASELINE!r}) "
                                           "or an exposure"))
        elif finding.comparator != BASELINE:
            need(finding.comparator, groups, "group", (*at, "comparator"))
        need(finding.intervention, interventions, "intervention", (*at, "intervention"))
        if finding.exposure is not None and finding.exposure not in terms:
            errors.append(record.error((*at, "exposure"),
                                       f"unknown term {finding.exposure!r}{_suggest(finding.exposure, terms)}"))
    for position, included in enumerate(study.includes):
        if included == study.id:
            errors.append(record.error(("includes", position), "a study cannot include itself"))
        elif included not in study_ids:
            errors.append(record.error(("includes", position),
                                       f"no study {included!r} in the dataset{_suggest(included, study_ids)}"))


def validate_records(files: DatasetFiles, elsewhere: Collection[str] = ()) -> Dataset:
    """Validate records read by :func:`evidencekg.records.read_dataset` into a :class:`Dataset`.

    Every error of every file is collected; if there is any, :class:`InputErrors` is raised.
    ``elsewhere`` names studies of the dataset that were not read (incremental validation):
    they count as present when a review includes them.
    """
    errors: list[InputError] = []
    vocabulary = _validate(Vocabulary, files.vocabulary, errors)
    metadata = _validate(DatasetMetadata, files.metadata, errors) if files.metadata else DatasetMetadata()
    if files.metadata and metadata and metadata.base_iri and not metadata.base_iri.endswith(("/", "#")):
        errors.append(files.metadata.error(("base_iri",), f"{metadata.base_iri!r} must end with '/' or '#'"))
    studies: list[tuple[Study, Record]] = []
    # Ids of records that failed validation still count as present, so that one broken record
    # does not cause "no study ..." errors in the reviews that include it.
    claimed_ids: set[str] = set()
    for record in files.studies:
        study = _validate(Study, record, errors)
        if study is not None:
            studies.append((study, record))
        elif isinstance(record.data.get("id"), str):
            claimed_ids.add(record.data["id"])
    if vocabulary is not None:
        _check_vocabulary(vocabulary, files.vocabulary, errors)
    first_file: dict[str, str] = {}
    for study, record in studies:
        if study.id in first_file:
            errors.append(record.error(("id",),
                                       f"duplicate study id {study.id!r}, also used by {first_file[study.id]}"))
        first_file.setdefault(study.id, record.path)
    if vocabulary is not None:
        terms = {term.id: (kind, term) for kind in TERM_KINDS for term in getattr(vocabulary, kind)}
        known_ids = set(first_file) | claimed_ids | set(elsewhere)
        for study, record in studies:
            _check_study(study, record, terms, known_ids, errors)
    if errors:
        raise InputErrors(errors)
    if len(studies) != len(files.studies):  # pragma: no cover - every failure above appends an error
        raise AssertionError("a study record was dropped without an error")
    ordered = sorted(studies, key=lambda pair: pair[0].id)
    return Dataset(
        root=files.root,
        metadata=metadata,
        vocabulary=vocabulary,
        studies=tuple(s for s, _ in ordered),
        study_records={s.id: r for s, r in ordered},
        vocabulary_record=files.vocabulary,
    )


def load_dataset(root: Path | str) -> Dataset:
    """Read and validate a dataset directory (stages 1 and 2)."""
    return validate_records(read_dataset(Path(root)))

"""Records → the validated :class:`~evidencekg.records.model.Dataset`: every error of every file, found in one pass.

Each record is validated by its pydantic model, and errors are told in the
record's terms (the file, line and column of the value, the field path, a
did-you-mean); then what no single record can check: unique ids, references
to groups, interventions, terms and studies that exist, term hierarchies
without cycles.

>>> import evidencekg
>>> load_dataset(evidencekg.bundled_data_dir()).counts()["findings"] > 0
True
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import InputError, InputErrors
from .model import (
    BASELINE,
    CURIE_LOCAL_SHAPE,
    IRI_SHAPE,
    PREFIX_NAME_SHAPE,
    TERM_KINDS,
    Dataset,
    DatasetMetadata,
    Study,
    Term,
    Vocabulary,
)
from .reader import DatasetFiles, Path_, Record, format_path, read_dataset


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
        if not PREFIX_NAME_SHAPE.match(prefix):
            errors.append(record.error(("prefixes", prefix), f"{prefix!r} is not a usable prefix name: "
                                       "a letter, then letters, digits, '_' or '-'"))
        if not IRI_SHAPE.match(namespace):
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
                elif not CURIE_LOCAL_SHAPE.match(xref.curie.partition(":")[2]):
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

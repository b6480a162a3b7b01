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
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import InputError, InputErrors, InputRule
from .model import (
    BASELINE,
    CURIE_LOCAL_SHAPE,
    IRI_SHAPE,
    PREFIX_NAME_SHAPE,
    TERM_KINDS,
    Dataset,
    DatasetMetadata,
    Finding,
    Study,
    Term,
    Vocabulary,
)
from .reader import DatasetFiles, Path_, Record, format_path, read_records


def _inner(annotation: Any) -> Any:
    """``Annotated[X, …]`` and ``X | None`` → ``X``; a union of a model and other types → the model."""
    while (get_origin(annotation) in (Union, Annotated) or str(get_origin(annotation)) == "types.UnionType"):
        candidates = [a for a in get_args(annotation) if a is not type(None)]
        if get_origin(annotation) is Annotated:
            candidates = candidates[:1]
        models = (a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel))
        annotation = next(models, candidates[0])
    return annotation


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
        annotation = _inner(field.annotation)
        while get_origin(annotation) in (list, tuple):
            annotation = _inner(get_args(annotation)[0])
        current = annotation
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _message(error: ErrorDetails, record: Record, model: type[BaseModel]) -> tuple[Path_, str, InputRule]:
    at: Path_ = tuple(error["loc"])
    kind = error["type"]
    raw = record.plain_text.get(at)
    given = error.get("input")
    if kind == "extra_forbidden":
        holder = _model_at(model, at)
        allowed = sorted(holder.model_fields) if holder else []
        close = difflib.get_close_matches(str(at[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; allowed keys: {', '.join(allowed)}"
        return at, f"unknown key {at[-1]!r}{hint}", "Record-unknownKey"
    if kind == "missing":
        return at, "required key is missing", "Record-missingKey"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        choices = [e.strip(" '") for e in expected.replace(" or ", ", ").split(",")]
        close = difflib.get_close_matches(str(given), choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return at, f"{given!r} is not allowed; expected one of {expected}{hint}", "Record-invalidValue"
    if kind in ("value_error", "assertion_error"):
        return at, str(error["ctx"]["error"]), "Record-invalidValue"
    if kind == "string_type" and raw is not None:
        return at, (f"expected text, but YAML read {raw} as {type(given).__name__} {given!r}; "
                    f"put it in quotes: \"{raw}\""), "Record-wrongType"
    shown = raw if raw is not None else repr(given)
    if isinstance(given, (dict, list)):
        shown = f"a {'mapping' if isinstance(given, dict) else 'list'}"
    rule: InputRule = "Record-wrongType" if kind.endswith(("_type", "_parsing")) else "Record-invalidValue"
    return at, f"{error['msg'].rstrip('.').lower()}, got {shown}", rule


def _validate(model: type[BaseModel], record: Record, errors: list[InputError]) -> Any:
    try:
        return model.model_validate(record.data)
    except ValidationError as exc:
        found: dict[Path_, tuple[str, InputRule]] = {}
        for error in exc.errors(include_url=False):
            at, message, rule = _message(error, record, model)
            # pydantic appends the union branch to the location; one message per place is enough.
            at = tuple(p for p in at
                       if not (isinstance(p, str) and ("[" in p or p in ("function-after", "int", "float", "str"))))
            found.setdefault(at, (message, rule))
        for at, (message, rule) in found.items():
            if rule == "Record-missingKey" and _misspelt_beside(at, found):
                continue  # "unknown key 'outcom'; did you mean 'outcome'?" already says it
            errors.append(record.error(at, message, rule))
        return None


def _misspelt_beside(missing: Path_, found: dict[Path_, tuple[str, InputRule]]) -> bool:
    """Whether an unknown key beside the missing one is a misspelling of it (its did-you-mean names it)."""
    hint = f"did you mean {missing[-1]!r}?"
    return any(at[:-1] == missing[:-1] and rule == "Record-unknownKey" and message.endswith(hint)
               for at, (message, rule) in found.items())


def _lenient(model: type[BaseModel], data: Any) -> Any:
    """What the cross-record checks can use of a record that failed validation, as an unvalidated model.

    A value of the wrong type becomes None (or an empty list or mapping), so that it is neither checked
    again nor the cause of follow-on errors; items of a list of models keep their positions.
    """
    mapping = data if isinstance(data, dict) else {}
    return model.model_construct(**{name: _lenient_value(field.annotation, mapping.get(name))
                                    for name, field in model.model_fields.items()})


def _lenient_value(annotation: Any, value: Any) -> Any:
    annotation = _inner(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _lenient(annotation, value)
    if origin is list:
        item = _inner(get_args(annotation)[0])
        if isinstance(item, type) and issubclass(item, BaseModel):
            return [_lenient(item, entry) for entry in value] if isinstance(value, list) else []
        items = [value] if isinstance(value, str) else value  # a single id stands for a list of one
        return items if isinstance(items, list) and all(isinstance(v, str) for v in items) else []
    if origin is dict:
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)} \
            if isinstance(value, dict) else {}
    if annotation is str or origin is Literal:
        return value if isinstance(value, str) else None
    return None


# --- cross-record checks --------------------------------------------------------------------


def _duplicates(items: Iterable[Any], record: Record, at: Path_, what: str,
                errors: list[InputError]) -> dict[str, int]:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.id is None:  # a record that failed validation: its id is reported already
            continue
        if item.id in first:
            errors.append(record.error((*at, index, "id"), f"duplicate {what} id {item.id!r} "
                                       f"(first at {format_path((*at, first[item.id]))})", "Record-duplicateId"))
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
                                       "a letter, then letters, digits, '_' or '-'", "Vocabulary-prefix"))
        if not IRI_SHAPE.match(namespace):
            errors.append(record.error(("prefixes", prefix), f"{namespace!r} is not an IRI namespace",
                                       "Vocabulary-prefix"))
    kind_of: dict[str, str] = {}
    for kind in TERM_KINDS:
        for index, term in enumerate(getattr(vocabulary, kind)):
            if term.id is None:
                continue
            if term.id in kind_of:
                errors.append(record.error((kind, index, "id"),
                                           f"duplicate term id {term.id!r} (already a term of {kind_of[term.id]})",
                                           "Record-duplicateId"))
            kind_of.setdefault(term.id, kind)
        for index, term in enumerate(getattr(vocabulary, kind)):
            for position, parent in enumerate(term.broader):
                if kind_of.get(parent) != kind:
                    found = f" (it is one of the {kind_of[parent]})" if parent in kind_of else ""
                    suggestion = "" if found else _suggest(parent, [t for t, k in kind_of.items() if k == kind])
                    errors.append(record.error((kind, index, "broader", position),
                                               f"broader term {parent!r} is not one of the {kind}{found}{suggestion}",
                                               "Vocabulary-hierarchy"))
            for position, xref in enumerate(term.xrefs):
                if xref.curie is None:
                    continue
                prefix = xref.curie.partition(":")[0]
                if ":" not in xref.curie or prefix not in vocabulary.prefixes:
                    errors.append(record.error((kind, index, "xrefs", position, "curie"),
                                               f"{xref.curie!r} needs a prefix declared under 'prefixes'",
                                               "Vocabulary-prefix"))
                elif not CURIE_LOCAL_SHAPE.match(xref.curie.partition(":")[2]):
                    errors.append(record.error((kind, index, "xrefs", position, "curie"),
                                               f"{xref.curie!r}: the part after the prefix cannot be empty or contain "
                                               "spaces or any of <>\"{}|^`\\", "Vocabulary-prefix"))
    for kind in TERM_KINDS:
        _check_cycles(getattr(vocabulary, kind), kind, record, errors)


def _check_cycles(terms: list[Term], kind: str, record: Record, errors: list[InputError]) -> None:
    parents = {t.id: t.broader for t in terms if t.id is not None}
    index_of = {t.id: i for i, t in enumerate(terms)}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(term: str, path: list[str]) -> None:
        state[term] = 1
        for parent in parents.get(term, []):
            if state.get(parent) == 1:
                cycle = [*path[path.index(parent):], term, parent] if parent in path else [term, parent]
                shown = " → ".join(dict.fromkeys(cycle)) + " → " + parent
                errors.append(record.error((kind, index_of[parent], "broader"),
                                           f"cycle in the broader hierarchy: {shown}", "Vocabulary-hierarchy"))
            elif parent in parents and not state.get(parent):
                visit(parent, [*path, term])
        state[term] = 2

    for term in sorted(parents):
        if not state.get(term):
            visit(term, [])


_Need = Callable[[str | None, dict[str, int], str, Path_], None]
_NeedTerm = Callable[[str | None, str, Path_], None]


def _check_tests(study: Study, record: Record, groups: dict[str, int], need_term: _NeedTerm, need: _Need,
                 errors: list[InputError]) -> dict[str, int]:
    """The study's tests across groups: unique ids, an outcome term, groups of the study, each once."""
    tests = _duplicates(study.omnibus_tests, record, ("omnibus_tests",), "omnibus test", errors)
    for index, test in enumerate(study.omnibus_tests):
        at: Path_ = ("omnibus_tests", index)
        need_term(test.outcome, "outcomes", (*at, "outcome"))
        for position, group in enumerate(test.groups):
            need(group, groups, "group", (*at, "groups", position))
            if group in test.groups[:position]:
                errors.append(record.error((*at, "groups", position), f"group {group!r} is listed twice"))
    return tests


def _check_read_from_test(study: Study, finding: Finding, tests: dict[str, int], record: Record, at: Path_,
                          need: _Need, errors: list[InputError]) -> None:
    """A finding read from a test across groups compares two of the test's groups on the test's outcome."""
    if finding.from_test is None:
        return
    need(finding.from_test, tests, "omnibus test", (*at, "from_test"))
    if finding.from_test not in tests:
        return
    test = study.omnibus_tests[tests[finding.from_test]]
    if finding.outcome != test.outcome:
        errors.append(record.error((*at, "outcome"), f"the test {test.id!r} is about {test.outcome!r}, not "
                                   f"{finding.outcome!r}: a finding read from it has the test's outcome"))
    for name in ("group", "comparator"):
        value = getattr(finding, name)
        if value not in test.groups:
            errors.append(record.error((*at, name), f"a finding read from the test {test.id!r} compares two of its "
                                       f"groups ({', '.join(test.groups)}), not {value!r}"))


def _check_study(study: Study, record: Record, terms: dict[str, tuple[str, Term]] | None,
                 study_ids: set[str] | None, errors: list[InputError]) -> None:
    """References within the study, to the vocabulary and to other studies.

    ``terms`` is None when the vocabulary could not be read, ``study_ids`` when a study file could
    not be: references there are then left unchecked rather than reported as missing.
    """
    def need_term(value: str | None, kind: str, at: Path_) -> None:
        if value is None or terms is None:
            return
        if value not in terms:
            suggestion = _suggest(value, [t for t, (k, _) in terms.items() if k == kind])
            errors.append(record.error(at, f"unknown term {value!r}{suggestion}", "Vocabulary-unknownTerm"))
        elif terms[value][0] != kind:
            errors.append(record.error(at, f"{value!r} is one of the {terms[value][0]}, not of the {kind}",
                                       "Vocabulary-unknownTerm"))

    groups = _duplicates(study.groups, record, ("groups",), "group", errors)
    interventions = _duplicates(study.interventions, record, ("interventions",), "intervention", errors)
    _duplicates(study.findings, record, ("findings",), "finding", errors)

    def need(value: str | None, known: dict[str, int], what: str, at: Path_) -> None:
        if value is not None and value not in known:
            listed = ", ".join(sorted(known)) or "none"
            errors.append(record.error(at, f"no {what} {value!r} in this study{_suggest(value, known)} "
                                           f"(its {what}s: {listed})", "Record-danglingReference"))

    for index, group in enumerate(study.groups):
        if group.id == BASELINE:
            errors.append(record.error(("groups", index, "id"), f"{BASELINE!r} is reserved for before/after "
                                       "comparisons; name the group otherwise", "Record-invalidValue"))
        need_term(group.population, "populations", ("groups", index, "population"))
        need_term(group.condition, "conditions", ("groups", index, "condition"))
        for position, used in enumerate(group.interventions):
            need(used, interventions, "intervention", ("groups", index, "interventions", position))
    for index, entry in enumerate(study.interventions):
        need_term(entry.intervention, "interventions", ("interventions", index, "intervention"))
    tests = _check_tests(study, record, groups, need_term, need, errors)
    for index, finding in enumerate(study.findings):
        at: Path_ = ("findings", index)
        need_term(finding.outcome, "outcomes", (*at, "outcome"))
        _check_read_from_test(study, finding, tests, record, at, need, errors)
        need(finding.group, groups, "group", (*at, "group"))
        if finding.comparator is None:
            if finding.exposure is None:
                errors.append(record.error(at, f"a finding needs a comparator (a group id or {BASELINE!r}) "
                                           "or an exposure", "Record-missingKey"))
        elif finding.comparator != BASELINE:
            need(finding.comparator, groups, "group", (*at, "comparator"))
        need(finding.intervention, interventions, "intervention", (*at, "intervention"))
        if finding.exposure is not None and terms is not None and finding.exposure not in terms:
            errors.append(record.error((*at, "exposure"),
                                       f"unknown term {finding.exposure!r}{_suggest(finding.exposure, terms)}",
                                       "Vocabulary-unknownTerm"))
    for position, included in enumerate(study.includes):
        if included == study.id:
            errors.append(record.error(("includes", position), "a study cannot include itself",
                                       "Record-danglingReference"))
        elif study_ids is not None and included not in study_ids:
            errors.append(record.error(("includes", position),
                                       f"no study {included!r} in the dataset{_suggest(included, study_ids)}",
                                       "Record-danglingReference"))


def validate_records(files: DatasetFiles, elsewhere: Collection[str] = ()) -> Dataset:
    """Validate records read by :func:`evidencekg.records.read_records` into a :class:`Dataset`.

    Every error of every file is collected in one pass, the files that could not be read
    (``files.errors``) included; if there is any, :class:`InputErrors` is raised. A record that
    fails its model is still checked against the others, as far as its values allow, and a value
    the model refused is not reported a second time. ``elsewhere`` names studies of the dataset
    that were not read (incremental validation): they count as present when a review includes them.
    """
    errors: list[InputError] = list(files.errors)
    vocabulary = _validate(Vocabulary, files.vocabulary, errors) if files.vocabulary else None
    metadata = _validate(DatasetMetadata, files.metadata, errors) if files.metadata else DatasetMetadata()
    if files.metadata and metadata and metadata.base_iri and not metadata.base_iri.endswith(("/", "#")):
        errors.append(files.metadata.error(("base_iri",), f"{metadata.base_iri!r} must end with '/' or '#'",
                                           "Record-invalidValue"))
    studies: list[tuple[Study, Record]] = []
    checked: list[tuple[Study, Record]] = []
    for record in files.studies:
        study = _validate(Study, record, errors)
        if study is not None:
            studies.append((study, record))
        checked.append((study if study is not None else _lenient(Study, record.data), record))
    refused = {(e.location.path, e.field) for e in errors}
    across: list[InputError] = []
    checked_vocabulary = vocabulary
    if files.vocabulary is not None:
        checked_vocabulary = vocabulary or _lenient(Vocabulary, files.vocabulary.data)
        _check_vocabulary(checked_vocabulary, files.vocabulary, across)
    first_file: dict[str, str] = {}
    for study, record in checked:
        if study.id is None:
            continue
        if study.id in first_file:
            across.append(record.error(("id",), f"duplicate study id {study.id!r}, also used by "
                                                f"{first_file[study.id]}", "Record-duplicateId"))
        first_file.setdefault(study.id, record.path)
    terms = None if checked_vocabulary is None else {
        term.id: (kind, term) for kind in TERM_KINDS for term in getattr(checked_vocabulary, kind)
        if term.id is not None}
    known_ids = None if files.unread_studies else set(first_file) | set(elsewhere)
    for study, record in checked:
        _check_study(study, record, terms, known_ids, across)
    errors += [e for e in across if not _follows_from(e, refused, files.vocabulary)]
    if errors:
        raise InputErrors(errors)
    if len(studies) != len(files.studies) or vocabulary is None:  # pragma: no cover - each failure is an error
        raise AssertionError("a record was dropped without an error")
    ordered = sorted(studies, key=lambda pair: pair[0].id)
    return Dataset(
        root=files.root,
        metadata=metadata,
        vocabulary=vocabulary,
        studies=tuple(s for s, _ in ordered),
        study_records={s.id: r for s, r in ordered},
        vocabulary_record=files.vocabulary,
        metadata_record=files.metadata,
    )


def _follows_from(error: InputError, refused: set[tuple[str, str]], vocabulary: Record | None) -> bool:
    """Whether a cross-record error only repeats, or follows from, a value the model refused.

    A refused value is reported once, by the model. A refused id may be the one a reference means
    (``id: "treat\\ned"`` beside ``group: treated``): references into its record, or into the
    vocabulary for a refused term id, are then not reported as missing.
    """
    if (error.location.path, error.field) in refused:
        return True
    refused_ids = {path for path, field in refused if field == "id" or field.endswith(".id")}
    if error.rule == "Record-danglingReference":
        return error.location.path in refused_ids
    if error.rule in ("Vocabulary-unknownTerm", "Vocabulary-hierarchy"):
        return vocabulary is not None and vocabulary.path in refused_ids
    return False


def load_dataset(root: Path | str) -> Dataset:
    """Read and validate a dataset directory (stages 1 and 2)."""
    return validate_records(read_records(Path(root)))

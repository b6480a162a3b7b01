"""Stage 2: the validated model refuses what later stages could not represent faithfully."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import STUDY, VOCABULARY, edit, make_dataset

from evidencekg import InputErrors, load_dataset
from evidencekg.rdf import design_class
from evidencekg.records.model import Design, Study


def test_valid_dataset_loads(tmp_path: Path) -> None:
    dataset = load_dataset(make_dataset(tmp_path / "data"))
    assert dataset.counts() == {"studies": 1, "groups": 2, "interventions": 1, "findings": 1, "terms": 5}


# (case, edit of the study record, expected "file:line", message fragment)
STUDY_ERRORS = [
    ("typo in a key", ("findings:", "finidngs:"), ":19:", "unknown key 'finidngs'; did you mean 'findings'?"),
    ("missing required key", ("    direction: decrease\n", ""), ":20:", "direction: required key is missing"),
    ("year is text", ("year: 2020", "year: abc"), ":4:", "year:"),
    ("pmid read as a number", ("sample_size: 40", "sample_size: 40\npmid: 012345"), ":7:",
     'YAML read 012345 as int 12345; put it in quotes: "012345"'),
    ("NaN p-value", ("p_value: 0.01", "p_value: .nan"), ":27:", "not a number a source can report"),
    ("p-value text", ("p_value: 0.01", "p_value: small"), ":27:", "is not a p-value"),
    # float() would read all of these; the format does not.
    ("p-value bound with an underscore", ("p_value: 0.01", 'p_value: "<0_001"'), ":27:", "is not a p-value"),
    ("p-value bound in full-width digits", ("p_value: 0.01", 'p_value: "<\uff10.\uff10\uff11"'), ":27:",
     "is not a p-value"),
    ("p-value bound in Arabic-Indic digits", ("p_value: 0.01", 'p_value: "<\u0660.\u0660\u0661"'), ":27:",
     "is not a p-value"),
    ("p-value bound of infinity", ("p_value: 0.01", 'p_value: "<inf"'), ":27:", "is not a p-value"),
    ("p-value bound that underflows", ("p_value: 0.01", 'p_value: "<1e-400"'), ":27:",
     "the number 1e-400 is too small to store: it would become 0"),
    ("p-value that underflows", ("p_value: 0.01", "p_value: 1e-400"), ":27:", "too small to store"),
    ("p-value that overflows", ("p_value: 0.01", "p_value: 1e400"), ":27:", "too large to store"),
    ("year in full-width digits", ("year: 2020", "year: \uff12\uff10\uff12\uff10"), ":4:",
     "year: input should be a valid integer"),
    ("sample size in Arabic-Indic digits", ("sample_size: 40", "sample_size: \u0664\u0660"), ":6:",
     "sample_size: input should be a valid integer"),
    ("group size in Devanagari digits", ("    label: Treated\n", "    label: Treated\n    size: \u0968\u0966\n"),
     ":10:", "groups[0].size: input should be a valid integer"),
    ("design typo", ("design: randomized-controlled-trial", "design: randomised-controlled-trial"), ":5:",
     "did you mean 'randomized-controlled-trial'?"),
    ("id with a space", ("id: doe-2020", "id: doe 2020"), ":1:", "contains ' ' (U+0020 SPACE)"),
    ("id with a zero-width space", ("id: doe-2020", "id: doe\u200b2020"), ":1:", "U+200B ZERO WIDTH SPACE"),
    ("id with a Cyrillic look-alike", ("id: doe-2020", "id: d\u043ee-2020"), ":1:", "CYRILLIC SMALL LETTER O"),
    ("id with a path separator", ("id: doe-2020", "id: ../doe"), ":1:", "contains '.' (U+002E FULL STOP)"),
    ("upper-case id", ("id: doe-2020", "id: Doe-2020"), ":1:", "'D' (U+0044"),
    ("dangling group", ("    group: treated", "    group: treatd"), ":22:",
     "no group 'treatd' in this study; did you mean 'treated'?"),
    ("dangling comparator", ("comparator: control", "comparator: placebo"), ":23:", "no group 'placebo'"),
    ("dangling intervention", ("    intervention: walk", "    intervention: run"), ":24:", "no intervention 'run'"),
    ("unknown term", ("outcome: blood-pressure", "outcome: blood-presure"), ":21:", "did you mean 'blood-pressure'?"),
    ("term of the wrong kind", ("outcome: blood-pressure", "outcome: exercise"), ":21:", "is one of the interventions"),
    ("duplicate finding id", ("    p_value: 0.01\n", "    p_value: 0.01\n  - id: bp\n    outcome: blood-pressure\n"
                              "    group: treated\n    comparator: baseline\n    direction: decrease\n"), ":28:",
     "duplicate finding id 'bp'"),
    ("no comparator and no exposure", ("    comparator: control\n", ""), ":20:", "needs a comparator"),
    ("includes an absent study", ("sample_size: 40", "sample_size: 40\nincludes: [nobody-1999]"), ":7:",
     "no study 'nobody-1999' in the dataset"),
    ("a list where text is expected", ("title: A trial", "title: [A, trial]"), ":2:", "title:"),
]


@pytest.mark.parametrize(
    ("change", "where", "fragment"), [c[1:] for c in STUDY_ERRORS], ids=[c[0] for c in STUDY_ERRORS]
)
def test_study_errors_name_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], where: str, fragment: str
) -> None:
    root = make_dataset(tmp_path / "data", study=edit(STUDY, *change))
    with pytest.raises(InputErrors) as caught:
        load_dataset(root)
    messages = [str(e) for e in caught.value.errors]
    assert any(m.startswith("data/studies/doe-2020.yaml" + where) and fragment in m for m in messages), messages


@pytest.mark.parametrize("bound", ["<0.001", "< 0.001", "<=0.05", ">= 0.05", ">0.05", "\u22640.01", "\u22650.5",
                                   "<.001", "<1e-10", "<2.2E-16"])
def test_documented_p_value_bounds_are_accepted(bound: str) -> None:
    finding = {"id": "f", "outcome": "o", "group": "g", "comparator": "baseline", "direction": "increase",
               "p_value": bound}
    assert Study.model_validate({"id": "s", "findings": [finding]}).findings[0].p_value == bound


def test_duplicate_study_ids_across_files(tmp_path: Path) -> None:
    root = make_dataset(tmp_path / "data", extra={"zz-copy.yaml": STUDY})
    with pytest.raises(
        InputErrors,
        match=r"zz-copy.yaml:1:1: id: duplicate study id 'doe-2020', also used by data/studies/doe-2020.yaml",
    ):
        load_dataset(root)


def test_cycle_in_broader_hierarchy(tmp_path: Path) -> None:
    vocabulary = edit(
        VOCABULARY,
        "  - id: adults\n    label: Adults\n",
        "  - id: adults\n    label: Adults\n    broader: older-adults\n",
    )
    with pytest.raises(InputErrors, match="cycle in the broader hierarchy"):
        load_dataset(make_dataset(tmp_path / "data", vocabulary=vocabulary))


def test_every_error_of_every_file_is_reported(tmp_path: Path) -> None:
    broken = edit(edit(STUDY, "year: 2020", "year: abc"), "outcome: blood-pressure", "outcome: nothing")
    root = make_dataset(tmp_path / "data", study=broken, extra={"other.yaml": "id: other-2021\nfinidngs: []\n"})
    with pytest.raises(InputErrors) as caught:
        load_dataset(root)
    files = {e.location.path for e in caught.value.errors}
    assert files == {"data/studies/doe-2020.yaml", "data/studies/other.yaml"}


@pytest.mark.parametrize(("setup", "fragment"), [
    (lambda root: None, "data directory does not exist"),
    (lambda root: root.mkdir(), "no vocabulary.yaml"),
    (lambda root: (root.mkdir(), (root / "vocabulary.yaml").write_text("populations: []\n")), "no study records"),
], ids=["missing directory", "empty directory", "no studies"])
def test_unusable_directories(tmp_path: Path, setup, fragment: str) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "data"
    setup(root)
    with pytest.raises(Exception, match=fragment):
        load_dataset(root)


def test_every_design_has_an_ontology_class() -> None:
    for design in Design.__args__:  # type: ignore[attr-defined]
        assert design_class(design).startswith("https://w3id.org/evidencekg/ontology#")


def test_bundled_records_keep_the_format() -> None:
    """Every bundled study parses with the model as plain YAML too (no loader-specific features)."""
    from evidencekg import bundled_data_dir

    for path in sorted((bundled_data_dir() / "studies").glob("*.yaml")):
        Study.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))

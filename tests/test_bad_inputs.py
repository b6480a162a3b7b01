"""The bad-input corpus, at the command line, as a curator meets it.

Every case is a small dataset directory under ``tests/bad_inputs/<case>/``: a
copy of ``tests/bad_inputs/_base/`` (a valid, conforming dataset) with one
defect. Cases that need bytes a checked-in text file cannot hold (non-UTF-8, a
byte-order mark with CRLF, a raw NUL, a 50 MB file), directories git cannot
hold (an empty one, a missing one) or entries it should not (a dangling link,
a named pipe) are built here by a small generator from ``_base``; their
expectations live in the same table as the others.

For each case, in a fresh process and from the directory that holds the copy
(so paths print as ``<case>/studies/doe-2020.yaml``):

* ``evidencekg validate --data <case>`` exits with the expected code; the
  expected message appears on one output line together with ``FILE:LINE``
  (stderr for errors; stdout for SHACL results, which are the command's result);
  no traceback; nothing on stdout when the input is refused (exit 2);
* ``evidencekg build --data <case> --out DIR``, run at the same time, exits the
  same way; when the input is refused it writes nothing into DIR and leaves a
  file already there intact; when it is accepted the outputs parse back.

A case whose behaviour today differs from what a careful user would expect
keeps the careful user's expectation and is marked ``xfail(strict=True)`` with
the defect in ``bug``: fixing ``src/`` turns it into an XPASS failure, which
is the signal to drop the mark.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
BASE = CORPUS / "_base"
STUDY = "studies/doe-2020.yaml"
VOCABULARY = "vocabulary.yaml"
EKG_QUOTE = URIRef("https://w3id.org/evidencekg/ontology#quote")
OUTPUTS = ("asserted.ttl", "inferred.ttl", "evidence.trig", "manifest.json")
SIDE_EFFECT = "evidencekg-pwned"  # what the !!python/object case would create if the tag were honoured


# --- generators: cases whose bytes or directories a checked-in file cannot hold ---------------


def _study_text(root: Path) -> str:
    return (root / STUDY).read_text(encoding="utf-8")


def non_utf8(root: Path) -> None:
    """A Latin-1 'é' on line 3."""
    (root / STUDY).write_bytes(_study_text(root).replace("title: A trial", "title: caf\u00e9 trial").encode("latin-1"))


def bom_and_crlf(root: Path) -> None:
    """Every file saved by a Windows editor: UTF-8 with a byte-order mark, CRLF line endings."""
    for name in (VOCABULARY, "dataset.yaml", STUDY):
        text = (root / name).read_text(encoding="utf-8")
        (root / name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))


def raw_nul(root: Path) -> None:
    """A raw NUL byte inside the study id on line 2 (YAML forbids it unescaped)."""
    (root / STUDY).write_bytes(_study_text(root).replace("id: doe-2020", "id: doe\x002020").encode("utf-8"))


def fifty_megabytes(root: Path) -> None:
    """A 50 MiB record: a valid study whose notes are one huge string."""
    with open(root / STUDY, "ab") as handle:
        handle.write(b'notes: "')
        chunk = b"x" * (1 << 20)
        for _ in range(50):
            handle.write(chunk)
        handle.write(b'"\n')


def many_unknown_keys(root: Path) -> None:
    """20,000 unknown keys (about 200 KB, far below the size limit), from line 34 on."""
    with open(root / STUDY, "a", encoding="utf-8") as handle:
        handle.writelines(f"k{i}: 1\n" for i in range(20_000))


def dangling_symlink(root: Path) -> None:
    """studies/gone.yaml links to a file that does not exist."""
    (root / "studies" / "gone.yaml").symlink_to("missing.yaml")


def fifo(root: Path) -> None:
    """studies/pipe.yaml is a named pipe: opening it would wait for a writer forever."""
    os.mkfifo(root / "studies" / "pipe.yaml")


def empty_directory(root: Path) -> None:
    shutil.rmtree(root)
    root.mkdir()


def missing_directory(root: Path) -> None:
    shutil.rmtree(root)


# --- the expectations --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    exit: int
    file: str | None
    """The file the message names, inside the case directory; None: the data directory itself."""
    line: int | None
    """The line the message names; None for a message about a whole file or directory."""
    fragment: str
    """Must appear on the same output line as ``FILE:LINE``; ``{case}`` is replaced by the case name."""
    make: Callable[[Path], None] | None = None
    """Builds the case from a copy of ``_base``; None: the case is the checked-in directory."""
    max_seconds: float = 60.0
    """CPU time (wall-clock where it cannot be measured) of validate, interpreter start-up included."""
    max_rss_mb: int | None = None
    max_error_lines: int | None = None
    quote: str | None = None
    """Accepted cases: the finding's quote as it must come out of build/asserted.ttl."""
    bug: str | None = None
    """A defect in src/ that makes the case fail today (see the module docstring)."""


QUOTE = (
    "NUL\x00 SOH\x01 ESC\x1b[31m DEL\x7f TAB\t CRLF\r\nnext line \"\"\"triple\"\"\" '''single''' "
    'back\\slash """""five and a trailing quote"'
)

CASES = [
    # Reading: YAML that cannot be read, or is read conservatively.
    Case("yaml-syntax-error", 2, STUDY, 4, "YAML syntax error"),
    Case("tab-indentation", 2, STUDY, 11, "YAML syntax error"),
    Case("duplicate-key", 2, STUDY, 8, "duplicate key 'year' (first given on line 5)"),
    Case("pmid-unquoted-leading-zero", 2, STUDY, 7, 'pmid: expected text, but YAML read 012345 as int 12345; '
         'put it in quotes: "012345"'),
    Case("significant-no", 2, STUDY, 31, "findings[0].significant: input should be a valid boolean, got 'NO'"),
    Case("version-like-number-in-text", 2, STUDY, 10, 'volume: expected text, but YAML read 1.10 as float 1.1; '
         'put it in quotes: "1.10"'),
    Case("multi-document", 2, STUDY, 34, "more than one YAML document"),
    Case("empty-file", 2, STUDY, None, "the file is empty"),
    Case("not-a-mapping", 2, STUDY, 1, "a record must be a YAML mapping, not a list"),
    Case("non-utf8", 2, STUDY, 3, "not valid UTF-8 (byte 0xe9)", make=non_utf8),
    Case("bom-and-crlf-accepted", 0, None, None, "", make=bom_and_crlf),
    Case("raw-nul-byte", 2, STUDY, 2, "control characters are not allowed", make=raw_nul),
    Case("alias-bomb", 2, STUDY, 3, "YAML anchors and aliases are not allowed", max_seconds=2.0),
    Case("deep-nesting", 2, STUDY, 9, "nesting deeper than 24 levels", max_seconds=2.0),
    Case("python-object-tag", 2, STUDY, 3, "YAML tags such as 'tag:yaml.org,2002:python/object/apply:os.system'"),
    Case("file-of-50-mb", 2, STUDY, None, "records are limited to 4,194,304 bytes", make=fifty_megabytes,
         max_seconds=2.0, max_rss_mb=100),
    Case("integer-with-5000-digits", 2, STUDY, 9, "sample_size"),
    Case("many-unknown-keys", 2, STUDY, 34, "unknown key 'k0'", make=many_unknown_keys, max_error_lines=101),
    # The model: types, keys, ids, references.
    Case("year-not-a-number", 2, STUDY, 5, "year: input should be a valid integer, got 'abc'"),
    Case("p-value-nan", 2, STUDY, 32, "findings[0].p_value: nan is not a number a source can report"),
    Case("p-value-integer-overflows-float", 2, STUDY, 32, "findings[0].p_value"),
    # Numbers keep their meaning or are refused: no float() spellings (0_001), no digits of other scripts,
    # nothing that would become 0 or infinity.
    Case("p-value-bound-with-underscore", 2, STUDY, 32, "findings[0].p_value: '<0_001' is not a p-value"),
    Case("p-value-bound-full-width-digits", 2, STUDY, 32, "is not a p-value: write a number (0.003) or a bound"),
    Case("p-value-underflows-to-zero", 2, STUDY, 32, "findings[0].p_value: the number 1e-400 is too small to store: "
         "it would become 0"),
    Case("p-value-bound-underflows-to-zero", 2, STUDY, 32, "findings[0].p_value: the number 1e-400 is too small"),
    Case("p-value-overflows-to-infinity", 2, STUDY, 32, "findings[0].p_value: the number 1e400 is too large to store"),
    Case("year-full-width-digits", 2, STUDY, 5, "year: input should be a valid integer"),
    Case("sample-size-arabic-indic-digits", 2, STUDY, 9, "sample_size: input should be a valid integer"),
    Case("missing-required-key", 2, STUDY, 25, "findings[0].direction: required key is missing"),
    Case("key-typo-finidngs", 2, STUDY, 24, "finidngs: unknown key 'finidngs'; did you mean 'findings'?"),
    Case("direction-typo", 2, STUDY, 30, "'decreese' is not allowed; expected one of 'increase', 'decrease' or "
         "'no-change'; did you mean 'decrease'?"),
    Case("duplicate-study-id-across-files", 2, "studies/zz-copy.yaml", 2,
         "id: duplicate study id 'doe-2020', also used by {case}/studies/doe-2020.yaml"),
    Case("duplicate-finding-id", 2, STUDY, 34, "findings[1].id: duplicate finding id 'bp' (first at findings[0])"),
    Case("finding-missing-group", 2, STUDY, 27, "no group 'treatd' in this study; did you mean 'treated'?"),
    Case("finding-missing-comparator", 2, STUDY, 28, "findings[0].comparator: no group 'placebo' in this study"),
    Case("finding-missing-intervention", 2, STUDY, 29, "findings[0].intervention: no intervention 'run' in this study"),
    Case("unknown-term-suggestion", 2, STUDY, 26, "unknown term 'blood-presure'; did you mean 'blood-pressure'?"),
    Case("broader-cycle", 2, VOCABULARY, 5, "cycle in the broader hierarchy: adults → older-adults → adults"),
    Case("id-with-space", 2, STUDY, 2, "'doe 2020' is not a valid id: it contains ' ' (U+0020 SPACE)"),
    Case("id-with-greater-than", 2, STUDY, 11, "groups[0].id: 'treated>x' is not a valid id: it contains '>' (U+003E"),
    Case("id-with-quote", 2, STUDY, 11, "groups[0].id: 'treat\"ed' is not a valid id: it contains '\"' (U+0022"),
    Case("id-with-newline", 2, STUDY, 11, "groups[0].id: 'treat\\ned' is not a valid id: it contains '\\n' (U+000A)"),
    Case("id-with-tab", 2, STUDY, 11, "groups[0].id: 'treat\\ted' is not a valid id: it contains '\\t' (U+0009)"),
    Case("id-with-nul-escape", 2, STUDY, 11, "it contains '\\x00' (U+0000)"),
    Case("id-with-cyrillic-lookalike", 2, STUDY, 2, "(U+043E CYRILLIC SMALL LETTER O)"),
    Case("id-with-bidi-override", 2, STUDY, 25, "findings[0].id: 'bp\\u202e' is not a valid id: it contains '\\u202e' "
         "(U+202E RIGHT-TO-LEFT OVERRIDE)"),
    Case("id-with-zero-width-space", 2, STUDY, 2, "(U+200B ZERO WIDTH SPACE)"),
    Case("id-with-slash", 2, STUDY, 2, "it contains '/' (U+002F SOLIDUS)"),
    Case("id-with-backslash", 2, STUDY, 2, "it contains '\\\\' (U+005C REVERSE SOLIDUS)"),
    Case("ids-differing-only-by-case", 2, "studies/doe-2020-copy.yaml", 2, "'Doe-2020' is not a valid id: it contains "
         "'D' (U+0044 LATIN CAPITAL LETTER D)"),
    Case("base-iri-without-separator", 2, "dataset.yaml", 3, "base_iri: 'https://example.org/evidencekg-bad-inputs' "
         "must end with '/' or '#'"),
    Case("url-with-control-char", 2, STUDY, 34, "is not a web address"),
    Case("xref-curie-with-space", 2, VOCABULARY, 20, "interventions[0].xrefs[0].curie: 'MESH:D01 5444': the part "
         "after the prefix cannot be empty or contain spaces"),
    Case("xref-curie-with-control-char", 2, VOCABULARY, 20, "interventions[0].xrefs[0].curie"),
    Case("prefix-not-a-turtle-name", 2, VOCABULARY, 3, "prefixes.1x: '1x' is not a usable prefix name"),
    Case("prefix-with-space", 2, VOCABULARY, 3, "prefixes.MY MESH: 'MY MESH' is not a usable prefix name"),
    # SHACL: well-formed but doubtful values are violations, exit 1, traced to the line.
    Case("sample-size-negative", 1, STUDY, 9, "a sample size is a whole number of participants, at least 1"),
    Case("p-value-above-one", 1, STUDY, 32, "a p-value is a probability, between 0 and 1 (value: 1.7)"),
    Case("doi-wrong-shape", 1, STUDY, 6, "not a DOI"),
    Case("year-in-future", 1, STUDY, 5, "publication year 2999 is not plausible"),
    # Accepted: text is text, whatever it holds.
    Case("quote-with-control-chars-and-triple-quotes", 0, None, None, "", quote=QUOTE),
    # Directories: nothing that looks like a record is skipped without a word.
    Case("dataset-yml-spelling", 2, "dataset.yml", None, "not read: name it dataset.yaml"),
    Case("study-suffixes-in-other-case", 2, "studies/zz-copy.Yml", 2,
         "duplicate study id 'doe-2020', also used by {case}/studies/doe-2020.YAML"),
    Case("stray-file-in-studies", 2, "studies/notes.txt", None, "not a study record: files in studies/ end in .yaml"),
    Case("subdirectory-in-studies", 2, "studies/old", None, "a directory; studies/ holds record files only"),
    Case("dangling-symlink-in-studies", 2, "studies/gone.yaml", None,
         "a symbolic link to 'missing.yaml', which does not exist", make=dangling_symlink),
    Case("fifo-in-studies", 2, "studies/pipe.yaml", None, "a named pipe (FIFO), not a record file", make=fifo,
         max_seconds=10.0),
    Case("hidden-and-readme-files-in-studies-accepted", 0, None, None, ""),
    Case("no-study-records", 2, "studies", None, "no study records (*.yaml) found"),
    Case("empty-data-directory", 2, None, None, "no vocabulary.yaml in the data directory", make=empty_directory),
    Case("data-directory-missing", 2, None, None, "data directory does not exist", make=missing_directory),
]


# --- running -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    """Wall-clock time."""
    cpu_seconds: float
    """User + system CPU time of the process: what a slow refusal costs, whatever else the machine runs."""
    rss_mb: float | None


# `python -m evidencekg ARGS` is started by a tiny launcher that forks, execs it and writes down its resource
# usage. Measured directly, a child of this (large) pytest process would report pytest's peak memory as its
# own: Linux carries the pre-exec high-water mark over to the exec'd program.
_LAUNCHER = """\
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "evidencekg", *sys.argv[2:]])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as handle:
    handle.write(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
sys.exit(os.waitstatus_to_exitcode(status))
"""
_MEASURED = hasattr(os, "fork") and hasattr(os, "wait4")


def _start(args: list[str], cwd: Path, log: Path) -> tuple[subprocess.Popen[bytes], float]:
    command = [sys.executable, "-m", "evidencekg", *args]
    if _MEASURED:
        command = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(log.with_suffix(".usage")), *args]
    with open(log.with_suffix(".out"), "wb") as out, open(log.with_suffix(".err"), "wb") as err:
        started = time.perf_counter()
        return subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, start_new_session=True), started


def _finish(process: subprocess.Popen[bytes], started: float, log: Path, timeout: float = 120) -> Run:
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the launcher and the command it started
        process.wait()
    seconds = time.perf_counter() - started
    rss = cpu = None
    usage = log.with_suffix(".usage")
    if usage.is_file():
        maxrss, cpu_text = usage.read_text().split()
        rss = int(maxrss) / (2**20 if sys.platform == "darwin" else 1024)
        cpu = float(cpu_text)
    read = lambda suffix: log.with_suffix(suffix).read_bytes().decode("utf-8", "replace")  # noqa: E731
    return Run(process.returncode, read(".out"), read(".err"), seconds, seconds if cpu is None else cpu, rss)


def prepare(case: Case, where: Path) -> Path:
    """The case's data directory, copied (or generated) under ``where``."""
    root = where / case.name
    source = BASE if case.make else CORPUS / case.name
    shutil.copytree(source, root)
    if case.make:
        case.make(root)
    return root


def _location(case: Case) -> re.Pattern[str]:
    shown = case.name if case.file is None else f"{case.name}/{case.file}"
    line = f":{case.line}(?::\\d+)?" if case.line is not None else ""
    return re.compile(rf"(?:^|\s){re.escape(shown)}{line}: ")


def _assert_message(case: Case, text: str, stream: str) -> None:
    location = _location(case)
    fragment = case.fragment.format(case=case.name)
    matching = [line for line in text.splitlines() if location.search(line) and fragment in line]
    assert matching, f"no {stream} line with {location.pattern!r} and {fragment!r}:\n{text[:3000]}"


def _parse_outputs(out: Path) -> Graph:
    asserted = Graph().parse(out / "asserted.ttl", format="turtle")
    Graph().parse(out / "inferred.ttl", format="turtle")
    Dataset().parse(out / "evidence.trig", format="trig")
    return asserted


def _params() -> list[object]:
    marks = lambda case: [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []  # noqa: E731
    return [pytest.param(case, id=case.name, marks=marks(case)) for case in CASES]


@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    prepare(case, work)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("an earlier output\n", encoding="utf-8")

    # validate and build run at the same time: the corpus stays fast.
    validating = _start(["validate", "--data", case.name], work, tmp_path / "validate")
    building = _start(["build", "--data", case.name, "--out", str(out)], work, tmp_path / "build")
    validate = _finish(*validating, tmp_path / "validate")
    build = _finish(*building, tmp_path / "build")

    for run in (validate, build):
        assert "Traceback" not in run.stderr + run.stdout
    assert validate.code == case.exit, (
        f"exit {validate.code}\nstderr: {validate.stderr[:3000]}\nstdout: {validate.stdout[:3000]}")
    assert validate.cpu_seconds < case.max_seconds, (
        f"took {validate.cpu_seconds:.2f} s of CPU ({validate.seconds:.2f} s wall-clock)")
    if case.max_rss_mb is not None and validate.rss_mb is not None:
        assert validate.rss_mb < case.max_rss_mb, f"peak memory {validate.rss_mb:.0f} MB"
    assert not (work / SIDE_EFFECT).exists()
    assert build.code == case.exit, f"build exit {build.code}\nstderr: {build.stderr[:3000]}"
    assert (out / "keep.txt").read_text(encoding="utf-8") == "an earlier output\n"
    assert not [p.name for p in out.iterdir() if p.name.startswith(".evidencekg-")], "staging directory left behind"

    if case.exit >= 2:
        for run in (validate, build):
            assert run.stdout == ""
            _assert_message(case, run.stderr, "stderr")
            for line in run.stderr.splitlines():
                if line.startswith("error: … and "):
                    continue  # the count of the errors not shown
                # One line per error, each naming where.
                assert re.match(r"error: [^\s:][^:]*(:\d+)*: \S", line), f"not a one-line located error: {line!r}"
        if case.max_error_lines is not None:
            assert len(validate.stderr.splitlines()) <= case.max_error_lines
        assert sorted(p.name for p in out.iterdir()) == ["keep.txt"], "a refused input wrote outputs"
        return

    # Accepted (0) or accepted with SHACL violations (1): the report is the result, on stdout.
    if case.exit == 1:
        _assert_message(case, validate.stdout, "stdout")
        _assert_message(case, build.stderr, "build stderr")
    else:
        assert "conforms (0 violations" in validate.stdout, validate.stdout
    assert all((out / name).is_file() for name in OUTPUTS)
    asserted = _parse_outputs(out)
    if case.quote is not None:
        quotes = list(asserted.objects(None, EKG_QUOTE))
        assert quotes == [Literal(case.quote)], quotes
        assert str(quotes[0]) == case.quote


def test_the_base_of_every_case_is_valid_and_clean(tmp_path: Path) -> None:
    """Each case differs from a dataset that conforms with no warning, so its one defect is what fails."""
    shutil.copytree(BASE, tmp_path / "base")
    completed = subprocess.run([sys.executable, "-m", "evidencekg", "validate", "--strict", "--data", "base"],
                               cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "conforms (0 violations, 0 warnings, 0 notes)" in completed.stdout


def test_the_table_and_the_corpus_agree() -> None:
    checked_in = {p.name for p in CORPUS.iterdir() if p.is_dir() and p.name != "_base"}
    expected = {c.name for c in CASES if c.make is None}
    assert checked_in == expected
    assert len({c.name for c in CASES}) == len(CASES)
    assert len(CASES) >= 30


def test_the_quote_survives_in_the_trig_output_too() -> None:
    """evidence.trig once indented the lines inside a multi-line literal along with the graph's statements."""
    import evidencekg
    from evidencekg.outputs.files import DATASET_FILE, render_outputs

    kg = evidencekg.build_graph(CORPUS / "quote-with-control-chars-and-triple-quotes")
    trig = Dataset().parse(data=render_outputs(kg)[DATASET_FILE], format="trig")
    assert {str(o) for _, _, o, _ in trig.quads((None, EKG_QUOTE, None, None))} == {QUOTE}


@pytest.mark.parametrize(("name", "fragment"), [
    ("stray.yaml", "not a record file of the dataset, so it would not be read: study records live in studies/"),
    ("dataset.yml", "not a record file of the dataset, so it would not be read: name it dataset.yaml"),
    ("Vocabulary.YAML", "name it vocabulary.yaml"),
])
def test_validating_a_file_beside_the_vocabulary_that_is_not_read_is_refused(tmp_path: Path, name: str,
                                                                             fragment: str) -> None:
    """``validate DATASET/stray.yaml`` once said "conforms" without reading the file."""
    from helpers import run_cli

    shutil.copytree(BASE, tmp_path / "base")
    stray = tmp_path / "base" / name
    stray.write_text("id: not-read\nyear: [unreadable\n", encoding="utf-8")
    completed = run_cli("validate", str(stray))
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert completed.stdout == ""
    assert "Traceback" not in completed.stderr
    assert [line for line in completed.stderr.splitlines() if f"{stray}: " in line and fragment in line], (
        completed.stderr)


def test_the_counts_line_counts_the_files_read(tmp_path: Path) -> None:
    """Study files in another case are read and counted; hidden and README files are neither."""
    from helpers import run_cli

    root = tmp_path / "base"
    shutil.copytree(BASE, root)
    (root / STUDY).rename(root / "studies" / "doe-2020.YAML")
    (root / "studies" / "other-2021.yml").write_text(
        _study_text(BASE.parent / "_base").replace("id: doe-2020", "id: other-2021"), encoding="utf-8")
    (root / "studies" / ".gitkeep").write_text("", encoding="utf-8")
    (root / "studies" / "README.md").write_text("SYNTHETIC TEST DATA\n", encoding="utf-8")
    assert (root / "dataset.yaml").is_file()  # read, so counted with vocabulary.yaml and the two studies
    for cache in (None, tmp_path / "cache", tmp_path / "cache"):  # a full run, then one from the cache
        completed = run_cli("validate", "--data", str(root), *(("--cache", str(cache)) if cache else ()))
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert "4 files, 2 records, 2 findings: conforms" in completed.stdout, completed.stdout
    (root / "dataset.yaml").unlink()
    completed = run_cli("validate", "--data", str(root))
    assert "3 files, 2 records, 2 findings: conforms" in completed.stdout, completed.stdout

"""The researcher-facing report: content, escaping, determinism, self-containment, and a real browser.

The content tests run on the bundled dataset and the second (synthetic)
dataset, and on a small generated dataset whose text is hostile to HTML and
Markdown. Expected values come from the named queries and the records, never
from hard-coded study names. The browser test drives Debian's Chromium through
chromedriver (Selenium); it fails when Chromium is missing and ``CI`` is set,
and is skipped otherwise.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree as ET

import pytest
from helpers import CHROMEDRIVER, CHROMIUM
from rdflib import URIRef

import evidencekg
from evidencekg.knowledge_graph import KnowledgeGraph
from evidencekg.offline import offline
from evidencekg.outputs.report import HTML_FILE, MARKDOWN_FILE, render_report, write_report
from evidencekg.outputs.report.collect import FindingView, StudyView
from evidencekg.outputs.report.svg import evidence_map_svg
from evidencekg.pipeline import query

SCREENSHOTS = Path(os.environ.get("EVIDENCEKG_SCREENSHOT_DIR", "/tmp"))
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ALLOWED_PREFIXES = ("https://doi.org/", "https://pubmed.ncbi.nlm.nih.gov/")

HOSTILE_QUOTE = 'Levels were <b>lower</b> & "odd" </td><script>alert(1)</script> | *not* [x](y) p < 0.05'


# --- fixtures -------------------------------------------------------------------------------------


def _hostile_dataset(root: Path) -> Path:
    """Two studies that disagree, with text full of HTML and Markdown syntax, a DOI and a PMID."""
    (root / "studies").mkdir(parents=True)
    (root / "dataset.yaml").write_text(textwrap.dedent("""\
        title: "Tests <i>of</i> escaping & \\"quoting\\""
        question: "Does <b>x</b> change y & z?"
        description: "A generated dataset | with *Markdown* and <HTML> in its text."
        base_iri: "https://example.org/report-test/"
        """), encoding="utf-8")
    (root / "vocabulary.yaml").write_text(textwrap.dedent("""\
        populations:
          - id: adults
            label: adults <18+>
        conditions:
          - id: illness
            label: illness & co
        outcomes:
          - id: level
            label: level of <thing>
        interventions:
          - id: drug
            label: drug "D"
        """), encoding="utf-8")
    for study, year, direction, doi, pmid in (("one-2001", 2001, "increase", "10.1234/a<b>&c", "123456"),
                                               ("two-2002", 2002, "decrease", "10.5678/x(y)z", "")):
        text = textwrap.dedent(f"""\
            id: {study}
            title: "Title with <em>markup</em> & ampersands"
            authors: ["O'Brien A", "Smith & Sons B"]
            year: {year}
            journal: "Journal of <Tests>"
            volume: 3
            issue: 2
            pages: "10-20"
            doi: "{doi}"
            design: randomized-controlled-trial
            sample_size: 40
            groups:
              - id: treated
                label: Treated <group>
                population: adults
                condition: illness
                role: intervention
                interventions: [drug]
              - id: placebo
                label: Placebo & co
                population: adults
                condition: illness
                role: placebo
            interventions:
              - id: drug
                intervention: drug
                dose: "<5 mg & more"
            findings:
              - id: level-change
                outcome: level
                group: treated
                comparator: placebo
                intervention: drug
                direction: {direction}
                significant: true
                p_value: "<0.01"
                quote: '{HOSTILE_QUOTE.replace("'", "''")}'
                quote_source: "https://example.org/source?a=1&b=2"
            """)
        if pmid:
            text += f'pmid: "{pmid}"\n'
        (root / "studies" / f"{study}.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def hostile_kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    return evidencekg.build_graph(_hostile_dataset(tmp_path_factory.mktemp("hostile")))


@pytest.fixture(scope="module", params=["bundled", "second", "hostile"])
def case(request: pytest.FixtureRequest) -> tuple[KnowledgeGraph, dict[str, bytes]]:
    kg = request.getfixturevalue(f"{request.param}_kg")
    with offline():
        return kg, render_report(kg)


# --- helpers --------------------------------------------------------------------------------------


class StrictHTML(HTMLParser):
    """html.parser with the checks it does not make itself: balanced tags, unique ids, every link and resource."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.errors: list[str] = []
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: set[str] = set()
        self.text: list[str] = []
        self.pairs: list[list[str]] = []  # the text of each disagreement block
        self._pair_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(values["id"] or "")
        for name, value in attrs:
            if name in ("href", "src", "srcset", "xlink:href", "action", "formaction", "poster", "data") and value:
                self.urls.append((tag, name, value))
            if name == "style" and value and "url(" in value:
                self.errors.append(f"inline style with url(): {value}")
            if name.startswith("on"):
                self.errors.append(f"event handler attribute {name} on <{tag}>")
        if tag == "article" and "pair" in (values.get("class") or "").split():
            self.pairs.append([])
            self._pair_depth = len(self.stack)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1] == tag:
            self.stack.pop()  # a self-closed SVG element

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}> at {self.getpos()}")
            return
        self.stack.pop()
        if self._pair_depth is not None and len(self.stack) == self._pair_depth:
            self._pair_depth = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._pair_depth is not None:
            self.pairs[-1].append(data)


def parse(html: str) -> StrictHTML:
    parser = StrictHTML()
    parser.feed(html)
    parser.close()
    if parser.stack:
        parser.errors.append(f"unclosed elements: {parser.stack}")
    return parser


def md_unescape(text: str) -> str:
    return re.sub(r"\\([\\`*_\[\]<>|&~])", r"\1", text)


def md_sections(markdown: str) -> list[str]:
    """The text of each disagreement section (### n. …) of the Markdown report."""
    body = markdown.split("\n## Disagreements\n", 1)[1].split("\n## ", 1)[0]
    return [md_unescape(part) for part in re.split(r"\n### \d+\. ", body)[1:]]


def expected_pairs(kg: KnowledgeGraph) -> list[tuple[str, str]]:
    """(study label, study label) of every disagreement the two disagreement queries return."""
    pairs = [(str(r["study1"]), str(r["study2"])) for r in query(kg, "contradictions").records()]
    pairs += [(str(r["effectStudy"]), str(r["nullStudy"])) for r in query(kg, "effect-vs-null").records()]
    return pairs


# --- content --------------------------------------------------------------------------------------


def test_render_report_gives_exactly_the_two_files(case: tuple[KnowledgeGraph, dict[str, bytes]]) -> None:
    _, files = case
    assert sorted(files) == [HTML_FILE, MARKDOWN_FILE]
    for content in files.values():
        assert content.decode("utf-8")


def test_every_disagreement_of_the_queries_is_in_both_reports(case: tuple[KnowledgeGraph, dict[str, bytes]]) -> None:
    kg, files = case
    pairs = expected_pairs(kg)
    assert pairs, "each test dataset has disagreements"
    html = parse(files[HTML_FILE].decode())
    html_blocks = ["".join(block) for block in html.pairs]
    md_blocks = md_sections(files[MARKDOWN_FILE].decode())
    for first, second in pairs:
        assert any(first in block and second in block for block in html_blocks), (first, second)
        assert any(first in block and second in block for block in md_blocks), (first, second)
    # Every derived disagreement is shown once, including any the named queries do not return.
    relations = {r["relation"] for r in query(kg, "contradictions").records()}
    relations |= {r["relation"] for r in query(kg, "effect-vs-null").records()}
    assert len(html_blocks) == len(md_blocks) == kg.counts()["disagreements"] >= len(relations)


def test_explanation_facets_are_shown_under_their_category(case: tuple[KnowledgeGraph, dict[str, bytes]]) -> None:
    kg, files = case
    html = parse(files[HTML_FILE].decode())
    text = "".join(html.text)
    markdown = md_unescape(files[MARKDOWN_FILE].decode())
    for row in query(kg, "explanations").records():
        for value in (str(row["categoryLabel"]), str(row["facetLabel"])):
            assert value in text and value in markdown


def test_study_cards_link_the_dois_and_pmids_of_the_records(case: tuple[KnowledgeGraph, dict[str, bytes]]) -> None:
    kg, files = case
    links = {unquote(value) for tag, name, value in parse(files[HTML_FILE].decode()).urls if tag == "a"}
    markdown = files[MARKDOWN_FILE].decode()
    md_links = {unquote(url) for url in re.findall(r"\]\(<([^>]*)>\)", markdown)}
    doi_shape = re.compile(r"^10\.\d{4,9}/\S+$")
    for study in kg.dataset.studies:
        if study.doi and doi_shape.match(study.doi):
            assert f"https://doi.org/{study.doi}" in links, study.id
            assert f"https://doi.org/{study.doi}" in md_links, study.id
        if study.pmid:
            assert f"https://pubmed.ncbi.nlm.nih.gov/{study.pmid}/" in links, study.id
            assert f"https://pubmed.ncbi.nlm.nih.gov/{study.pmid}/" in md_links, study.id


def test_study_cards_show_citations_designs_and_unverified_badges(
    case: tuple[KnowledgeGraph, dict[str, bytes]],
) -> None:
    kg, files = case
    text = "".join(parse(files[HTML_FILE].decode()).text)
    markdown = md_unescape(files[MARKDOWN_FILE].decode())
    for study in kg.dataset.studies:
        if study.authors:
            assert ", ".join(study.authors) in text and ", ".join(study.authors) in markdown, study.id
        if study.title:
            assert study.title in text and study.title in markdown
        for finding in study.findings:
            if finding.quote:
                assert " ".join(finding.quote.split()) in " ".join(text.split())
    unverified = sum(1 for s in kg.dataset.studies if not s.citation_verified)
    assert text.count("citation not verified") == unverified
    assert markdown.count("citation not verified") == unverified


def test_overview_lists_every_question_of_evidence_by_design(case: tuple[KnowledgeGraph, dict[str, bytes]]) -> None:
    kg, files = case
    text = "".join(parse(files[HTML_FILE].decode()).text)
    markdown = md_unescape(files[MARKDOWN_FILE].decode())
    overview = markdown.split("\n## Evidence by question\n", 1)[1].split("\n## ", 1)[0]
    for row in query(kg, "evidence-by-design").records():
        assert str(row["factor"]) in text and str(row["outcome"]) in text
        assert any(str(row["factor"]) in line and str(row["outcome"]) in line for line in overview.splitlines())


def test_html_is_well_formed_and_self_contained(case: tuple[KnowledgeGraph, dict[str, bytes]]) -> None:
    kg, files = case
    html_text = files[HTML_FILE].decode()
    html = parse(html_text)
    assert html.errors == []
    assert len(html.ids) == len(set(html.ids)), "duplicate ids"
    assert not html.tags & {"script", "link", "img", "iframe", "object", "embed", "video", "audio", "base", "form"}
    assert "@import" not in html_text and "url(" not in html_text
    quote_sources = {f.quote_source for s in kg.dataset.studies for f in s.findings if f.quote_source}
    for tag, name, value in html.urls:
        if value.startswith("#"):
            assert value[1:] in html.ids, f"dangling internal link {value}"
            continue
        assert tag == "a" and name == "href", (tag, name, value)
        assert value.startswith(ALLOWED_PREFIXES) or value in quote_sources, value
    # The figure is well-formed XML in its own right.
    svg = html_text[html_text.index("<svg"): html_text.index("</svg>") + len("</svg>")]
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}title") is not None


def test_data_is_escaped(hostile_kg: KnowledgeGraph) -> None:
    files = render_report(hostile_kg)
    html_text = files[HTML_FILE].decode()
    markdown = files[MARKDOWN_FILE].decode()
    assert "<script" not in html_text and "<b>lower</b>" not in html_text and "<em>markup" not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert "&amp; &quot;odd&quot;" in html_text
    assert 'href="https://example.org/source?a=1&amp;b=2"' in html_text
    assert parse(html_text).errors == []
    text = "".join(parse(html_text).text)
    assert HOSTILE_QUOTE in text
    # Markdown: no raw tag, no table-breaking pipe, the text comes back once unescaped.
    assert "<script>" not in markdown and "<b>" not in markdown
    assert "\\<script\\>" in markdown and "\\|" in markdown
    assert HOSTILE_QUOTE in md_unescape(markdown)
    # Every row of a Markdown table has as many cells as its header: no pipe in the data breaks one.
    widths: list[int] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            widths.append(len(re.findall(r"(?<!\\)\|", line)))
        elif widths:
            assert len(set(widths)) == 1, widths
            widths = []


def test_output_is_deterministic(case: tuple[KnowledgeGraph, dict[str, bytes]]) -> None:
    kg, files = case
    assert render_report(kg) == files


def test_output_does_not_depend_on_hash_seed_or_process() -> None:
    script = (
        "import hashlib, evidencekg, sys\n"
        "from evidencekg.outputs.report import render_report\n"
        "files = render_report(evidencekg.build_graph(evidencekg.bundled_data_dir()))\n"
        "print({k: hashlib.sha256(v).hexdigest() for k, v in sorted(files.items())})\n"
    )
    digests = set()
    for seed in ("1", "2"):
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                                env={**os.environ, "PYTHONHASHSEED": seed}, check=True)
        digests.add(result.stdout)
    assert len(digests) == 1


def test_no_timestamps(case: tuple[KnowledgeGraph, dict[str, bytes]]) -> None:
    _, files = case
    for content in files.values():
        assert not re.search(rb"20\d\d-\d\d-\d\d[T ]\d\d:\d\d", content)


def test_write_report_writes_the_two_files_atomically(bundled_kg: KnowledgeGraph, tmp_path: Path) -> None:
    out = tmp_path / "report"
    written = write_report(bundled_kg, out)
    assert sorted(p.name for p in written) == [HTML_FILE, MARKDOWN_FILE]
    assert sorted(p.name for p in out.iterdir()) == [HTML_FILE, MARKDOWN_FILE]  # no staging directory left
    files = render_report(bundled_kg)
    for path in written:
        assert path.read_bytes() == files[path.name]


# --- the evidence map at scale --------------------------------------------------------------------


Outcomes = list[tuple[URIRef, str, int]]


def _synthetic_studies(count: int, per_study: int, outcomes: int) -> tuple[list[StudyView], Outcomes]:
    terms = [(URIRef(f"https://example.org/term/o{i}"), f"outcome {i} with a long label of many words", i % 3 and 1)
             for i in range(outcomes)]
    studies = []
    for s in range(count):
        iri = URIRef(f"https://example.org/study/s{s}")
        findings = tuple(
            FindingView(
                iri=URIRef(f"{iri}/finding/f{f}"), anchor=f"finding-s{s}.f{f}", study=iri,
                study_label=f"Author{s} et al. 2001",
                study_anchor=f"study-s{s}", identifier=f"f{f}", outcome=terms[(s * 7 + f * 3) % outcomes][1],
                outcome_iri=terms[(s * 7 + f * 3) % outcomes][0],
                direction=("increase", "decrease", "no change")[(s + f) % 3],
                direction_code=("increase", "decrease", "no-change")[(s + f) % 3],
                significant=(True, False, None)[f % 3], p_value="<0.05", contrast="a <b> vs c & d", intervention="",
                exposure="", population="", condition="", design="", level="", level_rank=1 + s % 5, sample_size="",
                timepoint="", quote="",
                quote_source="", note="",
            )
            for f in range(per_study)
        )
        studies.append(StudyView(
            iri=iri, anchor=f"study-s{s}", identifier=f"s{s}", label=f"Author{s} et al. 2001", title="", authors=(),
            year="2001", journal="", volume="", issue="", pages="", doi="", doi_url="", pmid="", pmid_url="",
            verified=True, design="cohort study", level="level 3", level_rank=1 + s % 5, sample_size="", notes="",
            includes=(), findings=findings,
        ))
    return sorted(studies, key=lambda s: s.sort_key), terms


@pytest.mark.parametrize(("count", "per_study"), [(10, 4), (100, 4)])
def test_evidence_map_renders_at_scale(count: int, per_study: int) -> None:
    studies, outcomes = _synthetic_studies(count, per_study, outcomes=30)
    findings = [f for s in studies for f in s.findings]
    agreements = [(findings[i].iri, findings[i + 5].iri) for i in range(0, len(findings) - 5, 7)]
    svg = evidence_map_svg(studies, outcomes, (), agreements)
    root = ET.fromstring(svg)
    width, height = float(root.get("width", "0")), float(root.get("height", "0"))
    assert 0 < width < 40 * count + 1200 and 0 < height < 30 * len(outcomes) + 600
    assert svg.count('<a href="#finding-') == len(findings)
    assert all(math.isfinite(float(n)) for n in re.findall(r"-?\d+(?:\.\d+)?", root.get("viewBox", "")))
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    assert evidence_map_svg(studies, outcomes, (), agreements) == svg


# --- a real browser -------------------------------------------------------------------------------


def test_report_in_a_real_browser(browser: Any, bundled_kg: KnowledgeGraph, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    out = tmp_path / "out"
    write_report(bundled_kg, out)
    browser.get((out / HTML_FILE).resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"

    severe = [entry for entry in browser.get_log("browser") if entry.get("level") == "SEVERE"]
    assert severe == [], severe
    # Nothing was fetched: the page is self-contained.
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    svg = browser.find_element(By.CSS_SELECTOR, "svg.evidence-map")
    assert svg.is_displayed()
    box = browser.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", svg)
    assert box[0] > 100 and box[1] > 100, box
    markers = browser.find_elements(By.CSS_SELECTOR, "svg.evidence-map .findings a")
    assert len(markers) == bundled_kg.counts()["findings"]

    # The disagreement table comes first and lists the pair of studies whose serum-level findings disagree.
    contradictions = query(bundled_kg, "contradictions").records()
    serum = [r for r in contradictions if "serum" in str(r["outcome1"]).lower()]
    assert serum, "the bundled dataset has a contradiction on a serum level"
    first_table = browser.find_element(By.CSS_SELECTOR, "main table")
    assert "summary" in first_table.get_attribute("class")
    rows = [row.text for row in first_table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    for record in serum:
        study1, study2 = str(record["study1"]), str(record["study2"])
        assert any(study1 in row and study2 in row and str(record["outcome1"]) in row for row in rows), rows
    assert first_table.is_displayed()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(height, 1000), 2400))
    assert browser.save_screenshot(str(SCREENSHOTS / "report.png"))
    browser.execute_script("arguments[0].scrollIntoView()", svg)
    figure = browser.find_element(By.CSS_SELECTOR, "#map figure")
    assert figure.screenshot(str(SCREENSHOTS / "report-map.png"))
    assert (SCREENSHOTS / "report.png").stat().st_size > 10_000
    assert (SCREENSHOTS / "report-map.png").stat().st_size > 10_000


def test_second_dataset_in_a_real_browser(browser: Any, second_kg: KnowledgeGraph, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    out = tmp_path / "out"
    write_report(second_kg, out)
    browser.get((out / HTML_FILE).resolve().as_uri())
    assert [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"] == []
    rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "table.summary tbody tr")]
    for first, second in expected_pairs(second_kg):
        assert any(first in row and second in row for row in rows), (first, second)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.find_element(By.CSS_SELECTOR, "#map figure").screenshot(str(SCREENSHOTS / "report-second-map.png"))


def test_chromium_is_installed_under_ci() -> None:
    if not os.environ.get("CI"):
        pytest.skip("checked under CI only")
    assert CHROMIUM.exists() and CHROMEDRIVER.exists() and shutil.which(str(CHROMIUM))



# --- a dataset larger than the page ---------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_kg(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    from evidencekg.synth import generate

    root = tmp_path_factory.mktemp("synth") / "data"
    generate(60, 7, root)
    return evidencekg.build_graph(root)


def test_a_larger_dataset_shows_its_first_items_and_says_how_many_more(synthetic_kg: KnowledgeGraph) -> None:
    limit = 10
    files = render_report(synthetic_kg, limit=limit)
    html_text = files[HTML_FILE].decode()
    html = parse(html_text)
    assert html.errors == []
    counts = synthetic_kg.counts()
    studies, disagreements = counts["studies"], counts["disagreements"]
    assert studies > limit and disagreements > limit, "the dataset must be larger than the limit"
    # Only the first items are shown in full: disagreement blocks and study cards.
    assert len(html.pairs) == limit
    assert html_text.count('<article class="card"') == limit
    text = " ".join("".join(html.text).split())
    assert "Not everything is shown." in text
    assert f"Showing the first {limit} of {disagreements:,} disagreements; {disagreements - limit:,} more" in text
    assert f"Showing {limit} of {studies:,} studies" in text
    assert "evidencekg query disagreements --format json" in text and "evidencekg report --limit 0" in text
    # Nothing on the page links to a card or block it left out.
    for _, _, value in html.urls:
        if value.startswith("#"):
            assert value[1:] in html.ids, f"dangling internal link {value}"
    markdown = md_unescape(files[MARKDOWN_FILE].decode())
    assert len(md_sections(markdown)) == limit
    assert f"Showing the first {limit} of {disagreements:,} disagreements" in markdown
    assert "`evidencekg report --limit 0`" in markdown


def test_no_limit_shows_everything_and_says_nothing_is_left_out(synthetic_kg: KnowledgeGraph) -> None:
    files = render_report(synthetic_kg, limit=0)
    html = parse(files[HTML_FILE].decode())
    assert len(html.pairs) == synthetic_kg.counts()["disagreements"]
    assert "limit-note" not in files[HTML_FILE].decode()
    assert "Not everything is shown" not in files[MARKDOWN_FILE].decode()


def test_the_bundled_dataset_fits_on_the_page(case: tuple[KnowledgeGraph, dict[str, bytes]]) -> None:
    kg, files = case
    assert "limit-note" not in files[HTML_FILE].decode()
    assert "Not everything is shown" not in files[MARKDOWN_FILE].decode()
    assert render_report(kg, limit=0) == files


def test_report_command_takes_a_limit(synthetic_kg: KnowledgeGraph, tmp_path: Path) -> None:
    from evidencekg.cli import main

    out = tmp_path / "report"
    assert main(["report", "--data", str(synthetic_kg.root), "--out", str(out), "--limit", "5"]) == 0
    text = (out / HTML_FILE).read_text(encoding="utf-8")
    assert "Showing the first 5 of" in text and text.count('<article class="card"') == 5

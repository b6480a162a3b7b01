"""What the HTML page and the Markdown version both say, as plain text: each format only marks it up.

The phrases of a finding (its details, its p-value), a study's citation, identifiers
and facts, the rows of a disagreement's side-by-side table, and the grouping of the
overview are decided here once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from urllib.parse import urlsplit

from rdflib import URIRef

from .model import DisagreementView, FacetView, FindingView, ReportData, StudyView

ARROWS = {"increase": "▲", "decrease": "▼", "no-change": "●"}

DEPENDENT = "dependent evidence: one study is a review that includes the other"
ASSUMED = "rests on assumed values: a field the disagreement uses is not stated by a cited source"
NO_DISAGREEMENT = "No disagreement was found between the findings of different studies."
NO_QUESTION = "No finding has a question (intervention, exposure or condition) to group by."

SIDE_ROWS: tuple[tuple[str, str], ...] = (
    ("design", "design"), ("population", "population"), ("condition", "condition"), ("groups", "contrast"),
    ("intervention", "intervention"), ("exposure", "exposure"), ("sample size", "sample_size"),
    ("outcome", "outcome"), ("direction", "direction"), ("significance", "significance"), ("p-value", "p_value"),
    ("test across groups", "test"), ("time point", "timepoint"), ("assumed", "assumed_text"),
    ("quoted from", "quote_kind"),
)
"""(row label, FindingView attribute) of the side-by-side table of a disagreement."""

ConflictIndex = Mapping[URIRef, list[tuple[DisagreementView, FindingView]]]
"""Finding → (disagreement, the other finding) of every disagreement it is part of."""


def arrow(code: str) -> str:
    return ARROWS.get(code, "◆")


def p_text(p: str) -> str:
    """A reported p-value as it follows "p": "< 0.05", "= 0.3"."""
    p = p.strip()
    if p[:1] in "<>≤≥=":
        return f"{p[0]} {p[1:].lstrip('= ').strip()}" if p[:2] not in ("<=", ">=") else f"{p[:2]} {p[2:].strip()}"
    return f"= {p}"


def finding_details(finding: FindingView) -> str:
    """The contrast, intervention, time point and p-value of a finding, as short phrases joined by "; "."""
    detail = [finding.contrast]
    if finding.intervention:
        detail.append(f"intervention: {finding.intervention}")
    if finding.timepoint:
        detail.append(f"at {finding.timepoint}")
    if finding.p_value:
        detail.append(f"p {p_text(finding.p_value)}")
    if finding.test:
        detail.append(f"read from a {finding.test}; no pairwise test")
    detail += list(finding.assumed)
    if finding.secondary:
        detail.append(f"quoted from {finding.quote_kind}")
    return "; ".join(detail)


def host(url: str) -> str:
    return urlsplit(url).hostname or "source"


def citation(study: StudyView) -> list[tuple[str, str]]:
    """(part, text) of a citation: ``authors`` "A, B (year)", ``title``, ``source`` "Journal, 3(2), 10-20"."""
    head = " ".join(part for part in (", ".join(study.authors), f"({study.year})" if study.year else "") if part)
    source = study.journal
    volume = study.volume + (f"({study.issue})" if study.issue else "")
    if volume:
        source += (", " if source else "") + volume
    if study.pages:
        source += (", " if source else "") + study.pages
    parts = [("authors", head), ("title", study.title), ("source", source)]
    return [(part, text) for part, text in parts if text]


def identifiers(study: StudyView) -> list[tuple[str, str, str]]:
    """(scheme, identifier, URL or "") of a study's DOI and PMID."""
    ids = [("DOI", study.doi, study.doi_url), ("PMID", study.pmid, study.pmid_url)]
    return [(scheme, value, url) for scheme, value, url in ids if value]


def study_facts(study: StudyView) -> list[tuple[str, str]]:
    """(name, value) of what a study card lists under its citation."""
    facts = [("design", study.design or "not stated"), ("evidence level", study.level or "not known"),
             ("sample size", study.sample_size or "not reported")]
    if study.includes:
        facts.append(("includes", ", ".join(study.includes)))
    return facts


def side_rows(d: DisagreementView) -> list[tuple[str, str, str, str, bool]]:
    """(label, attribute, left value, right value, differs) of the rows of a disagreement's side-by-side table."""
    rows = []
    for label, attribute in SIDE_ROWS:
        a, b = getattr(d.left, attribute), getattr(d.right, attribute)
        if a or b:
            rows.append((label, attribute, a, b, a != b and attribute != "contrast"))
    return rows


def sides(d: DisagreementView) -> list[tuple[FindingView, str]]:
    """(finding, role) of the left and right side of a disagreement."""
    return [(d.left, d.roles[0]), (d.right, d.roles[1])]


def facet_groups(d: DisagreementView) -> list[tuple[str, list[FacetView]]]:
    """The facets of a disagreement by context category, categories in the order the query gives them."""
    groups: dict[str, list[FacetView]] = {}
    for facet in d.facets:
        groups.setdefault(facet.category, []).append(facet)
    return list(groups.items())


def disagreement_index(data: ReportData) -> dict[URIRef, list[tuple[DisagreementView, FindingView]]]:
    """Finding → (disagreement, the other finding) of every disagreement it is part of."""
    index: dict[URIRef, list[tuple[DisagreementView, FindingView]]] = defaultdict(list)
    for d in data.disagreements:
        index[d.left.iri].append((d, d.right))
        index[d.right.iri].append((d, d.left))
    return index


def overview_groups(data: ReportData) -> list[tuple[str, list[tuple[str, list[Mapping[str, str]]]]]]:
    """The overview rows grouped by what was varied, then by outcome, in query order."""
    groups: dict[str, dict[str, list[Mapping[str, str]]]] = {}
    for row in data.overview:
        groups.setdefault(row.get("factor", ""), {}).setdefault(row.get("outcome", ""), []).append(row)
    return [(factor, list(outcomes.items())) for factor, outcomes in groups.items()]


def levels(data: ReportData) -> list[tuple[str, str]]:
    """(rank, label) of every evidence level the overview or the studies mention, strongest first."""
    found = {(r.get("levelRank", ""), r.get("evidenceLevel", "")) for r in data.overview if r.get("levelRank")}
    found |= {(str(s.level_rank), s.level) for s in data.studies if s.level}
    return sorted(found, key=lambda item: (int(item[0]) if item[0].isdigit() else 99, item[1]))


def stats(data: ReportData) -> list[tuple[str, int, str]]:
    """(name, count, CSS class) of the headline counts."""
    c = data.counts
    return [("studies", c["studies"], ""), ("findings", c["findings"], ""),
            ("disagreements", c["disagreements"], "hot"), ("agreements", c["agreements"], ""),
            ("questions", c["questions"], ""), ("citations not verified", c["unverified"], "")]


Note = list[tuple[str, str]]
"""A note as (kind, text) segments: ``text`` to show as it is, ``code`` a command to show as code."""


def omissions(data: ReportData) -> dict[str, Note]:
    """Section → the note that says what the page leaves out there and how to list it all; empty when it shows all.

    Sections: ``page`` (under the headline counts), ``disagreements``, ``map``, ``questions``, ``studies``.
    """
    omitted = data.omitted
    if omitted is None:
        return {}
    notes: dict[str, Note] = {"page": [
        ("strong", "Not everything is shown."),
        ("text", f" This dataset is larger than one page shows in full: each section shows at most {omitted.limit:,} "
                 "items and says how many more there are. A report of everything: "),
        ("code", "evidencekg report --limit 0"), ("text", " (a page too large for most browsers).")]}
    shown, total = omitted.disagreements
    if shown < total:
        notes["disagreements"] = [
            ("text", f"Showing the first {shown:,} of {total:,} disagreements; {total - shown:,} more are not shown. "
                     "Every one of them: "), ("code", "evidencekg query disagreements --format json"),
            ("text", "; the opposite-direction ones with the facets that may explain them: "),
            ("code", "evidencekg contradictions --format json"), ("text", ".")]
    shown, total = omitted.studies
    notes["map"] = [("text", f"The map draws the {shown:,} studies shown under Studies below"
                             + (f", not all {total:,}" if shown < total else "")
                             + f", and none of the {omitted.agreements:,} agreements. The agreeing pairs: "),
                    ("code", "evidencekg query agreements --format json"), ("text", ".")]
    if shown < total:
        notes["studies"] = [
            ("text", f"Showing {shown:,} of {total:,} studies, the strongest evidence first; {total - shown:,} more "
                     "are not shown. Every study with its findings: "), ("code", "evidencekg report --limit 0"),
            ("text", ".")]
    shown, total = omitted.questions
    if shown < total:
        notes["questions"] = [
            ("text", f"Showing the first {shown:,} of {total:,} questions; {total - shown:,} more are not shown. "
                     "Every question: "), ("code", "evidencekg query evidence-by-design --format csv"),
            ("text", ", or with a certainty rating: "), ("code", "evidencekg summary --all-levels"), ("text", ".")]
    return notes

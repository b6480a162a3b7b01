"""The report's view model: what it shows of studies, findings and disagreements, in display order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rdflib import URIRef


@dataclass(frozen=True)
class FindingView:
    """One finding as the report shows it."""

    iri: URIRef
    anchor: str
    study: URIRef
    study_label: str
    study_anchor: str
    identifier: str
    outcome: str
    outcome_iri: URIRef | None
    direction: str
    direction_code: str
    significant: bool | None
    p_value: str
    contrast: str
    intervention: str
    exposure: str
    population: str
    condition: str
    design: str
    level: str
    level_rank: int
    sample_size: str
    timepoint: str
    quote: str
    quote_source: str
    note: str
    quote_kind: str = ""
    """Whose words the quote is, as the ontology labels it; empty without a quote."""
    secondary: bool = False
    test: str = ""
    """The test across groups the finding is read from, as the graph labels it."""
    test_significant: bool | None = None
    assumed: tuple[str, ...] = ()
    """The assumed values the finding rests on: its own, its group's and its comparator's."""

    @property
    def significance(self) -> str:
        if self.significant is None and self.test:
            across = {True: "significant", False: "not significant", None: "significance not reported"}
            return f"no pairwise test; {across[self.test_significant]} across groups"
        return {True: "significant", False: "not significant", None: "not reported"}[self.significant]

    @property
    def assumed_text(self) -> str:
        return "; ".join(self.assumed)

    @property
    def indirect(self) -> bool:
        return bool(self.assumed) or self.secondary


@dataclass(frozen=True)
class StudyView:
    """One study card."""

    iri: URIRef
    anchor: str
    identifier: str
    label: str
    title: str
    authors: tuple[str, ...]
    year: str
    journal: str
    volume: str
    issue: str
    pages: str
    doi: str
    doi_url: str
    pmid: str
    pmid_url: str
    verified: bool
    design: str
    level: str
    level_rank: int
    sample_size: str
    notes: str
    includes: tuple[str, ...]
    findings: tuple[FindingView, ...]

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (self.level_rank, self.year or "9999", self.label.casefold(), str(self.iri))


@dataclass(frozen=True)
class FacetView:
    """One respect in which the two findings of a disagreement differ, oriented left/right."""

    category: str
    label: str
    left: str
    right: str
    note: str


@dataclass(frozen=True)
class DisagreementView:
    """A disagreement between two findings, left and right as the report shows them."""

    number: int
    relation: URIRef
    kinds: tuple[str, ...]
    contrast: str
    dependent: bool
    left: FindingView
    right: FindingView
    facets: tuple[FacetView, ...]
    roles: tuple[str, str] = ("", "")
    source: str = ""

    @property
    def anchor(self) -> str:
        return f"disagreement-{self.number}"

    @property
    def outcome(self) -> str:
        if self.left.outcome == self.right.outcome:
            return self.left.outcome
        return f"{self.left.outcome} / {self.right.outcome}"

    @property
    def title(self) -> str:
        return f"{self.outcome}: {claim(self.left)} vs {claim(self.right)}"

    @property
    def rests_on_assumptions(self) -> bool:
        return bool(self.left.assumed or self.right.assumed)


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, in display order."""

    title: str
    question: str
    description: str
    license: str
    counts: Mapping[str, int]
    disagreements: tuple[DisagreementView, ...]
    agreements: tuple[tuple[URIRef, URIRef], ...]
    studies: tuple[StudyView, ...]
    overview: tuple[Mapping[str, str], ...]
    outcomes: tuple[tuple[URIRef, str, int], ...]
    """(outcome, label, depth in the outcome hierarchy) of every outcome a finding reports, hierarchy order."""
    findings: Mapping[URIRef, FindingView] = field(default_factory=dict)
    omitted: Omitted | None = None
    """What the page leaves out of a dataset larger than its limit; None when it shows everything."""


@dataclass(frozen=True)
class Omitted:
    """How much of each list a report shows when the dataset is larger than one page can hold, of how many."""

    limit: int
    disagreements: tuple[int, int]
    """(shown, in all)."""
    studies: tuple[int, int]
    questions: tuple[int, int]
    agreements: int
    """Agreeing pairs in all; a page with a limit draws none of them."""


def claim(finding: FindingView) -> str:
    """A finding's direction, and "(not significant)" when its source says so."""
    if finding.significant is False:
        return f"{finding.direction} (not significant)"
    return finding.direction

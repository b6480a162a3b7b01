"""Contradictions in aggregate: one per pair of positions with opposite directions, each side summed up.

Where two thousand studies answer one question, half one way and half the other, their pairwise
contradictions number a million: no reader goes through them. A position
(``queries/derive/1-positions.rq``) is what a set of findings says on one comparison; a contradiction
here is two comparable positions with opposite directions, and each side is told by the count of its
studies and participants, its strongest studies (by evidence level, then size), and the facets on
which the two sides share no value, which is where an explanation of the disagreement is most
likely to lie. The pairs stay one query away (``evidencekg query contradictions``).

Read with two queries of ``queries/analysis/``, whose rows grow with the findings that take part,
not with their pairs.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median
from typing import TYPE_CHECKING, Any

from rdflib import RDFS, SKOS, Literal, URIRef
from rdflib.term import Node

from ..errors import plural
from ..sparql.named import NamedQuery, internal_query
from ..sparql.results import QueryResult, display

if TYPE_CHECKING:
    from ..knowledge_graph import KnowledgeGraph

STRONGEST_SHOWN = 3
"""Studies named for each side: enough to see what stands behind it, few enough to read."""
RANGED_FACETS = ("publication year", "sample size")
SEPARATION_SHOWN = 0.4
"""How far apart two sides' values must be (see :func:`_separations`) for the facet to be named. Below it,
facets with many rare values (doses written out in full) differ by chance between two samples of studies."""
Facets = dict[str, dict[str, set[str]]]
"""Facet label → the finding or study it is stated for → its values."""
"""Facets whose values are ordered: the sides are separated when their ranges do not overlap."""
_YEAR = re.compile(r"^(\d{4})-")
"""A date's year: a publication year is a year, or a date when the source gives one."""


@dataclass(frozen=True, order=True)
class SideStudy:
    """A study on one side of a contradiction, with what its strength is judged by."""

    label: str
    iri: str
    design: str | None
    level_rank: int | None
    """The rank of its evidence level: 1 is the strongest."""
    sample_size: int | None


@dataclass(frozen=True)
class Side:
    """One position of a contradiction and the evidence behind it."""

    position: str
    term: str
    outcome: str
    direction: str
    findings: int
    studies: int
    participants: int | None
    """Summed over the studies that state a sample size; None when none does."""
    studies_without_size: int
    strongest: tuple[SideStudy, ...]


@dataclass(frozen=True)
class Separation:
    """A facet on which the two sides differ: each side's most common values (with their shares), or its numbers."""

    facet: str
    first: tuple[str, ...]
    second: tuple[str, ...]
    strength: float
    """0 (the same distribution of values on both sides) to 1 (no value shared; every number of one side larger)."""


@dataclass(frozen=True)
class Contradiction:
    """Two comparable positions with opposite directions, and the pairs of findings across them."""

    contrast: str
    sides: tuple[Side, Side]
    pairs: int
    dependent_pairs: int
    """Pairs in which one study is a review that includes the other: not independent evidence."""
    separating: tuple[Separation, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for JSON."""
        return {
            "contrast": self.contrast,
            "pairs": self.pairs,
            "dependent_pairs": self.dependent_pairs,
            "sides": [{
                "position": side.position, "term": side.term, "outcome": side.outcome, "direction": side.direction,
                "findings": side.findings, "studies": side.studies, "participants": side.participants,
                "studies_without_sample_size": side.studies_without_size,
                "strongest": [{"study": s.iri, "label": s.label, "design": s.design, "level_rank": s.level_rank,
                               "sample_size": s.sample_size} for s in side.strongest],
            } for side in self.sides],
            "separating": [{"facet": s.facet, "first": list(s.first), "second": list(s.second), "strength": s.strength}
                           for s in self.separating],
        }


def _analysis_query(name: str) -> NamedQuery:
    return internal_query("analysis", name)


def _integer(value: Node | None) -> int | None:
    if isinstance(value, Literal):
        number = value.toPython()
        if isinstance(number, int) and not isinstance(number, bool):
            return number
    return None


def contradicting_positions(kg: KnowledgeGraph, strongest: int = STRONGEST_SHOWN) -> list[Contradiction]:
    """Every contradiction between two positions, the most studies first.

    Each side lists at most ``strongest`` studies: the lowest evidence-level rank first, then the largest,
    then by label.
    """
    sides: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    finding_sides: dict[str, set[tuple[tuple[str, str], int]]] = {}
    side_rows = kg.query(_analysis_query("contradiction-sides")).records()
    positions = {str(row["position"]): row for row in kg.query(_analysis_query("positions")).records()}
    study_rows = {str(row["study"]): row for row in kg.query(_analysis_query("studies")).records()}
    for row in side_rows:
        key = (str(row["position1"]), str(row["position2"]))
        number = _integer(row["side"]) or 0
        position = str(row["position1" if number == 1 else "position2"])
        if number not in sides.setdefault(key, {}):
            # A position whose term lacks a label (a SHACL violation) is still shown, with the label empty.
            said = positions.get(position, {})
            sides[key][number] = {
                "position": position, "contrast": display(said.get("contrast")), "term": display(said.get("term")),
                "outcome": display(said.get("outcome")), "direction": display(said.get("direction")),
                "findings": set(), "studies": {}, "pairs": 0, "dependent": 0}
        side = sides[key][number]
        finding = str(row["finding"])
        if finding not in side["findings"]:
            side["findings"].add(finding)
            side["pairs"] += _integer(row["pairs"]) or 0
            side["dependent"] += _integer(row.get("dependentPairs")) or 0
            finding_sides.setdefault(finding, set()).add((key, number))
        study = str(row["study"])
        weighed = study_rows.get(study, {})
        side["studies"][study] = SideStudy(
            display(weighed["studyLabel"]) if "studyLabel" in weighed else study, study,
            display(weighed["design"]) if "design" in weighed else None, _integer(weighed.get("levelRank")),
            _integer(weighed.get("sampleSize")))

    values: dict[tuple[tuple[str, str], int], Facets] = {}
    context = kg.query(_analysis_query("contradiction-context")).records()
    labels = _labels(kg, {row[name] for row in context for name in ("value", "facetType")})
    for row in context:
        finding = str(row["finding"])
        for place in finding_sides.get(finding, ()):
            shown = labels.get(row["value"]) or display(row["value"])
            facet_type = labels.get(row["facetType"]) or display(row["facetType"])
            facet = values.setdefault(place, {}).setdefault(facet_type, {})
            facet.setdefault(finding, set()).add(shown)

    contradictions = []
    for key, by_number in sides.items():
        if set(by_number) != {1, 2}:  # every pair has a finding on each side; kept safe against a partial read
            continue
        first, second = by_number[1], by_number[2]
        studies = [{**by_number[n]["studies"]} for n in (1, 2)]
        study_facets = [_study_facets(s.values()) for s in studies]
        facets = [{**study_facets[i], **values.get((key, i + 1), {})} for i in (0, 1)]
        contradictions.append(Contradiction(
            contrast=first["contrast"],
            sides=(_side(first, strongest), _side(second, strongest)),
            pairs=first["pairs"], dependent_pairs=first["dependent"],
            separating=tuple(_separations(facets[0], facets[1]))))
    contradictions.sort(key=lambda c: (-(c.sides[0].studies + c.sides[1].studies), -c.pairs, c.sides[0].outcome,
                                       c.sides[0].term, c.sides[1].term, c.sides[0].position, c.sides[1].position))
    return contradictions


def _labels(kg: KnowledgeGraph, terms: Iterable[Node]) -> dict[Node, str]:
    """Each IRI's smallest preferred label, else its smallest rdfs:label (as ``report/labels.rq`` reads them).

    Looked up for the few hundred terms a context names, not read for the whole graph: on an on-disk
    store reading every label took 8 s at 12,500 studies.
    """
    labels: dict[Node, str] = {}
    for term in terms:
        if isinstance(term, URIRef):
            found = kg.engine.objects(term, SKOS.prefLabel) or kg.engine.objects(term, RDFS.label)
            if found:
                labels[term] = min(str(label) for label in found)
    return labels


def _study_facets(studies: Iterable[SideStudy]) -> Facets:
    """The per-study facets of a side: design and sample size (evidence level follows the design)."""
    facets: Facets = {}
    for study in studies:
        if study.design is not None:
            facets.setdefault("design", {})[study.iri] = {study.design}
        if study.sample_size is not None:
            facets.setdefault("sample size", {})[study.iri] = {str(study.sample_size)}
    return facets


def _side(entry: dict[str, Any], strongest: int) -> Side:
    studies: Sequence[SideStudy] = sorted(entry["studies"].values(), key=_strength)
    sizes = [s.sample_size for s in studies if s.sample_size is not None]
    return Side(position=entry["position"], term=entry["term"], outcome=entry["outcome"], direction=entry["direction"],
                findings=len(entry["findings"]), studies=len(studies), participants=sum(sizes) if sizes else None,
                studies_without_size=len(studies) - len(sizes), strongest=tuple(studies[:strongest]))


def _strength(study: SideStudy) -> tuple[int, int, int, str, str]:
    """Sorts the strongest first: a known level before an unknown one, a lower rank, then more participants."""
    return (study.level_rank is None, study.level_rank or 0, -(study.sample_size or 0), study.label, study.iri)


def _separations(first: Facets, second: Facets) -> list[Separation]:
    """The facets both sides state whose values are distributed differently enough to tell the sides apart.

    Each side's findings (or studies, for design and sample size) are compared as distributions: for
    values in no order, by the total variation distance between the two sides' shares of each value (1:
    the sides share no value); for numbers, by how far the probability that a value of the first side
    exceeds one of the second (ties counted half) is from even, doubled (1: every value of one side is
    larger). The facets at :data:`SEPARATION_SHOWN` or more are kept, the most separating first.
    """
    separations = []
    for facet in sorted(first.keys() & second.keys()):
        a, b = first[facet], second[facet]
        shown_a: tuple[str, ...]
        shown_b: tuple[str, ...]
        if facet in RANGED_FACETS:
            numbers_a, numbers_b = _numbers(a), _numbers(b)
            if not numbers_a or not numbers_b:
                continue
            strength = abs(2 * _superiority(numbers_a, numbers_b) - 1)
            shown_a, shown_b = (_spread(numbers_a),), (_spread(numbers_b),)
        else:
            shares_a, shares_b = _shares(a), _shares(b)
            strength = sum(abs(shares_a.get(v, 0.0) - shares_b.get(v, 0.0))
                           for v in shares_a.keys() | shares_b.keys()) / 2
            shown_a, shown_b = _most_common(shares_a, len(a)), _most_common(shares_b, len(b))
        if strength >= SEPARATION_SHOWN - 1e-9:
            separations.append(Separation(facet, shown_a, shown_b, round(strength, 2)))
    separations.sort(key=lambda s: (-s.strength, s.facet))
    return separations


def _shares(items: dict[str, set[str]]) -> dict[str, float]:
    """Each value's share of the items; an item with several values shares its weight among them."""
    shares: dict[str, float] = {}
    for values in items.values():
        for value in values:
            shares[value] = shares.get(value, 0.0) + 1 / (len(values) * len(items))
    return shares


def _most_common(shares: dict[str, float], items: int, most: int = 3) -> tuple[str, ...]:
    ranked = sorted(shares.items(), key=lambda entry: (-entry[1], entry[0]))
    if items == 1:
        return tuple(value for value, _ in ranked)
    shown = tuple(f"{value} ({share:.0%})" for value, share in ranked[:most])
    return shown + ((f"{len(ranked) - most} more",) if len(ranked) > most else ())


def _superiority(a: list[float], b: list[float]) -> float:
    """The probability that a value drawn from ``a`` exceeds one drawn from ``b``, ties counted half."""
    ordered = sorted(b)
    wins = sum(bisect_left(ordered, x) + (bisect_right(ordered, x) - bisect_left(ordered, x)) / 2 for x in a)
    return wins / (len(a) * len(ordered))


def _numbers(items: dict[str, set[str]]) -> list[float]:
    """One number per item that has one: the values that are numbers, or years that begin a date."""
    numbers = []
    for values in items.values():
        found = [n for n in map(_number, values) if n is not None]
        if found:
            numbers.append(min(found))
    return numbers


def _number(value: str) -> float | None:
    year = _YEAR.match(value)
    try:
        return float(year.group(1)) if year else float(value)
    except ValueError:
        return None


def _spread(numbers: list[float]) -> str:
    """A single value as itself; several as their median and range."""
    low, high = min(numbers), max(numbers)
    if low == high:
        return f"{low:g}"
    return f"median {median(numbers):g}, {low:g}–{high:g}"  # noqa: RUF001 - a range takes an en dash


TABLE_COLUMNS = ("contradiction", "contrast", "side", "direction", "term", "outcome", "findings", "studies",
                 "participants", "strongest", "separating", "pairs", "dependentPairs")


def as_table(contradictions: Sequence[Contradiction]) -> QueryResult:
    """One row per side of each contradiction (numbered as in :func:`as_text`), for CSV and TSV.

    ``strongest`` names the side's strongest studies and ``separating`` the facets that separate the
    sides with this side's values, one per line.
    """
    rows = []
    for number, contradiction in enumerate(contradictions, start=1):
        for index, side in enumerate(contradiction.sides):
            separating = "\n".join(f"{s.facet}: {', '.join(s.first if index == 0 else s.second)}"
                                   for s in contradiction.separating)
            values: tuple[object, ...] = (
                number, contradiction.contrast, index + 1, side.direction, side.term, side.outcome, side.findings,
                side.studies, side.participants, "\n".join(_study_line(s) for s in side.strongest), separating,
                contradiction.pairs, contradiction.dependent_pairs)
            rows.append(tuple(None if value is None else Literal(value) for value in values))
    return QueryResult(TABLE_COLUMNS, tuple(rows))


def _study_line(study: SideStudy) -> str:
    details = [detail for detail in (study.design, None if study.level_rank is None else f"level {study.level_rank}",
                                     None if study.sample_size is None else f"n={study.sample_size}") if detail]
    return f"{study.label} ({', '.join(details)})" if details else study.label


def _side_summary(side: Side) -> str:
    studies = plural(side.studies, "study", "studies")
    if side.participants is None:
        return f"{studies}, no sample size stated"
    unknown = f" (not stated for {side.studies_without_size})" if side.studies_without_size else ""
    return f"{studies}, {plural(side.participants, 'participant')}{unknown}"


def as_text(contradictions: Sequence[Contradiction], pairs_command: str) -> str:
    """Each contradiction as a block: the outcome and contrast, then each side, what separates them, its pairs."""
    if not contradictions:
        return "No contradictions found.\n"
    blocks = []
    for number, contradiction in enumerate(contradictions, start=1):
        first, second = contradiction.sides
        outcome = first.outcome if first.outcome == second.outcome else f"{first.outcome} / {second.outcome}"
        lines = [f"{number}. {outcome}: {first.direction} vs {second.direction} (contrast: {contradiction.contrast})"]
        width = max(len(first.direction), len(second.direction), len("separated by")) + 2
        for side in contradiction.sides:
            term = side.term if first.outcome == second.outcome else f"{side.term} on {side.outcome}"
            lines.append(f"   {side.direction:<{width}}{term}: {_side_summary(side)}")
            lines.append(f"   {'':<{width}}strongest: " + "; ".join(_study_line(s) for s in side.strongest))
        label = "separated by"
        for separation in contradiction.separating:
            lines.append(f"   {label:<{width}}{separation.facet} ({separation.strength:.2f}): "
                         f"{', '.join(separation.first)} | "
                         f"{', '.join(separation.second)}")
            label = ""
        if not contradiction.separating:
            lines.append(f"   {label:<{width}}no facet: the sides' values are much alike on every one both state")
        dependent = (f", {contradiction.dependent_pairs} between a review and a study it includes"
                     if contradiction.dependent_pairs else "")
        lines.append(f"   {'pairs':<{width}}{plural(contradiction.pairs, 'pair')} of findings{dependent}: "
                     f"`{pairs_command}` lists them")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"

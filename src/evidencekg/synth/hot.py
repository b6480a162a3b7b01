"""The hot question: one question that many studies report on, half of them one way and half the other.

Real evidence bases have such questions (one supplement and one outcome, thousands of trials and case
reports), and their disagreements grow with the square of the studies: 2,000 studies on one question make
about 10^6 disagreeing pairs. ``generate(..., hot_question=M)`` adds M studies on one intervention term and
one outcome term: half report an increase, half a decrease, both significant (or, for case reports, without
statistics). The sides differ in the facets a reader weighs: designs (so evidence levels), sample sizes,
populations and how many participants have a condition; a few reviews pool some of the studies.

The question gets an outcome instance of its own (a fresh copy of an outcome template), so none of its
findings is comparable with a finding of the rest of the dataset, while every two of its findings from
different studies are comparable: the same outcome and the same intervention term. Its pairs are therefore
counted from how many findings of each (direction, significance) each study has, without visiting them, and
``planted.json`` lists only a sample of them (at most :data:`MAX_HOT_EXAMPLES` per kind).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..records.model import Design, Direction
from .planting import ClusterContext, Question, RuleFinding, classify
from .planting import _effect as is_effect
from .studies import StudyWriter, Tally, new_header
from .vocabulary import (
    FIRST_YEAR,
    HOT_QUESTION_DESIGNS,
    LAST_YEAR,
    POPULATION_FOCUS,
    REVIEW_SHARE,
    Family,
    OutcomeInstance,
    Terms,
    weighted,
)

MAX_HOT_EXAMPLES = 500
"""At most this many example pairs per kind of disagreement of the hot question (its counts are complete)."""

SIDES: tuple[Direction, Direction] = ("increase", "decrease")
# Participants per trial arm, drawn log-uniformly: the increase rests on larger trials.
_ARM_SIZES: dict[str, tuple[int, int]] = {"increase": (30, 600), "decrease": (12, 150)}
# How often the participants of a study have the question's condition, by side.
_WITH_CONDITION: dict[str, float] = {"increase": 0.6, "decrease": 0.25}


@dataclass(frozen=True)
class HotPlanted:
    """The hot question of a dataset: what it is, and its pairs counted exactly with a sample of examples."""

    studies: int
    intervention: str
    outcome: str
    findings: int
    sides: tuple[tuple[str, int, int], ...]
    """(direction, studies, findings) of each side."""
    designs: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    """direction → (design, studies) of that side, sorted."""
    comparable_pairs: int
    opposite_directions: int
    effect_vs_null: int
    disagreements: int
    agreements: int
    opposite_examples: tuple[tuple[str, str], ...]
    """Unordered pairs, each and the list sorted; a sample of at most :data:`MAX_HOT_EXAMPLES`."""
    effect_vs_null_examples: tuple[tuple[str, str], ...]
    """(effect finding, null finding) pairs, sorted; a sample of at most :data:`MAX_HOT_EXAMPLES`."""

    def record(self) -> dict[str, Any]:
        """The ``hot_question`` entry of ``planted.json``."""
        return {
            "studies": self.studies,
            "intervention": self.intervention,
            "outcome": self.outcome,
            "findings": self.findings,
            "sides": {side: {"studies": studies, "findings": findings} for side, studies, findings in self.sides},
            "designs": {side: dict(designs) for side, designs in self.designs},
            "counts": {
                "comparable_pairs": self.comparable_pairs,
                "agreements": self.agreements,
                "opposite_directions": self.opposite_directions,
                "effect_vs_null": self.effect_vs_null,
                "disagreements": self.disagreements,
            },
            "opposite_directions": [list(p) for p in self.opposite_examples],
            "effect_vs_null": [list(p) for p in self.effect_vs_null_examples],
        }


class HotQuestion:
    """Writes the studies of the hot question, drawn from a random generator of their own."""

    def __init__(self, rng: random.Random, vocab: Terms, families: dict[str, list[Family]],
                 instance: OutcomeInstance, tally: Tally, cluster: int) -> None:
        self.rng = rng
        self.vocab = vocab
        self.tally = tally
        self.family = families["I"][rng.randrange(len(families["I"]))]
        self.condition_family = families["C"][rng.randrange(len(families["C"]))]
        self.intervention = self.family.term
        self.outcome = rng.choice([t for branch in range(len(instance.branches)) for t in instance.terms(branch)])
        # Each side draws most of its participants from a population focus of its own.
        foci = rng.sample(POPULATION_FOCUS, 2)
        self.foci: dict[str, tuple[str, tuple[str, str]]] = dict(zip(SIDES, foci, strict=True))
        focus, subgroups = foci[0]
        self.cluster = ClusterContext(cluster, instance, focus, subgroups, None)
        # Only its family (for doses) is used: every finding's direction is the side's.
        self.question = Question(rng, "I", self.family, None, instance, 1)
        self.designs: dict[str, Counter[str]] = {side: Counter() for side in SIDES}
        self.studies_of: dict[str, int] = dict.fromkeys(SIDES, 0)

    def write(self, studies: int, first_number: int) -> HotPlanted:
        """Write ``studies`` studies numbered from ``first_number`` on, then count their pairs."""
        rng = self.rng
        numbers = list(range(first_number, first_number + studies))
        rng.shuffle(numbers)
        sides: list[Direction] = [SIDES[0]] * ((studies + 1) // 2) + [SIDES[1]] * (studies // 2)
        rng.shuffle(sides)
        reviews = min(max(round(REVIEW_SHARE * studies), 1 if studies >= 20 else 0), studies - 2)
        primaries: list[tuple[str, int]] = []
        for number, side in zip(numbers[:studies - reviews], sides[:studies - reviews], strict=True):
            primaries.append(self._primary(number, side))
        for number, side in zip(numbers[studies - reviews:], sides[studies - reviews:], strict=True):
            self._review(number, side, primaries)
        return self._planted(studies)

    # -- the facets of a study

    def _population(self, side: str) -> str:
        rng = self.rng
        other = SIDES[1] if side == SIDES[0] else SIDES[0]
        focus, subgroups = self.foci[side if rng.random() < 0.75 else other]
        return focus if rng.random() < 0.5 else rng.choice(subgroups)

    def _condition(self, side: str) -> str | None:
        rng = self.rng
        if rng.random() >= _WITH_CONDITION[side]:
            return None
        return rng.choice([self.condition_family.term, *self.condition_family.narrower()])

    def _arm_size(self, side: str) -> int:
        low, high = _ARM_SIZES[side]
        return round(math.exp(self.rng.uniform(math.log(low), math.log(high))))

    # -- studies

    def _writer(self, number: int, side: str, design: Design, year: int) -> StudyWriter:
        self.designs[side][design] += 1
        self.studies_of[side] += 1
        header = new_header(self.rng, number, design, year)
        return StudyWriter(self.rng, self.vocab, self.tally, self.cluster, self.question, header)

    def _primary(self, number: int, side: Direction) -> tuple[str, int]:
        rng = self.rng
        design = weighted(rng, HOT_QUESTION_DESIGNS[side])
        year = rng.randint(FIRST_YEAR, LAST_YEAR - 3)
        w = self._writer(number, side, design, year)
        population, condition = self._population(side), self._condition(side)
        term, outcome, vocab = self.intervention, self.outcome, self.vocab
        timepoint = f"{rng.choice((4, 8, 12, 24, 52))} weeks"
        topic = f"{vocab.label[term]} and {vocab.label[outcome]}"
        if design in ("case-report", "case-series"):
            n = 1 if design == "case-report" else rng.randint(5, 40)
            si = w.intervention("treatment", term, w.dose(term))
            label = "The patient" if n == 1 else "Patients of the series"
            patients = w.group("patients", label, population, condition, n, "intervention", [si])
            significant = True if design == "case-series" and rng.random() < 0.6 else None
            w.finding(outcome, patients, side, significant, comparator="baseline", intervention=si,
                      timepoint=timepoint)
            w.header.title = f"SYNTHETIC: {topic}: a {design.replace('-', ' ')}"
        else:
            # A third arm is a second dose of the same term: two findings of one study, never compared.
            arms = 3 if rng.random() < 0.15 else 2
            per_arm = self._arm_size(side)
            made: list[tuple[str, str]] = []
            for arm in range(1, arms):
                si = w.intervention(f"active-{arm}", term, w.dose(term))
                label = f"{vocab.label[term].capitalize()} arm" + (f" {arm}" if arms == 3 else "")
                made.append((w.group(f"arm-{arm}", label, population, condition, per_arm + rng.randint(-3, 3),
                                     "intervention", [si]), si))
            placebo = rng.random() < 0.7
            ci = w.intervention("control", "placebo" if placebo else "usual-care", None)
            control = w.group("control-arm", "Placebo arm" if placebo else "Usual care arm", population, condition,
                              per_arm + rng.randint(-3, 3), "placebo" if placebo else "control", [ci])
            for gid, si in made:
                w.finding(outcome, gid, side, True, comparator=control, intervention=si, timepoint=timepoint)
            if rng.random() < 0.25:  # change from baseline in the first arm, the same way
                gid, si = made[0]
                w.finding(outcome, gid, side, True, comparator="baseline", intervention=si, timepoint=timepoint)
            kind = "randomized controlled trial" if design == "randomized-controlled-trial" else "non-randomized trial"
            w.header.title = f"SYNTHETIC: {topic}, versus {'placebo' if placebo else 'usual care'}: a {kind}"
            n = sum(g.size or 0 for g in w.groups) + rng.randint(0, 12)
        w.header.sample_size = n
        w.finish()
        return w.header.id, n

    def _review(self, number: int, side: Direction, primaries: list[tuple[str, int]]) -> None:
        rng = self.rng
        included = rng.sample(primaries, min(len(primaries), rng.randint(3, 25)))
        year = min(LAST_YEAR, max(int(s.rsplit("-", 1)[1]) for s, _ in included) + rng.randint(1, 3))
        design: Design = "systematic-review" if rng.random() < 0.6 else "meta-analysis"
        w = self._writer(number, side, design, year)
        term, vocab = self.intervention, self.vocab
        population = self.foci[side][0]
        condition = self._condition(side)
        si = w.intervention("pooled-intervention", term, None)
        ci = w.intervention("pooled-control", "placebo", None)
        arm = w.group("pooled-intervention-arms", f"Pooled {vocab.label[term]} arms", population, condition, None,
                      "intervention", [si])
        control = w.group("pooled-control-arms", "Pooled placebo arms", population, condition, None, "placebo", [ci])
        w.finding(self.outcome, arm, side, True, comparator=control, intervention=si)
        header = w.header
        header.sample_size = sum(size for _, size in included)
        header.includes = sorted(s for s, _ in included)
        header.included_study_count = len(included) + rng.randint(0, 8)
        what = "systematic review" if design == "systematic-review" else "meta-analysis"
        header.title = f"SYNTHETIC: {vocab.label[term]} and {vocab.label[self.outcome]}: a {what}"
        w.finish()

    # -- the pairs

    def _planted(self, studies: int) -> HotPlanted:
        findings = self.tally.findings
        for f in findings:  # what makes every two findings of different studies comparable
            if (f.kind, f.contrast, f.outcome) != ("I", self.intervention, self.outcome):  # pragma: no cover
                raise AssertionError(f"{f.path} is not on the hot question")
        counts = count_pairs(findings)
        by_direction: dict[str, list[RuleFinding]] = {}
        for f in findings:
            by_direction.setdefault(f.direction, []).append(f)
        effects = [f for f in findings if is_effect(f)]
        nulls = [f for f in findings if not is_effect(f)]
        opposite = self._examples(by_direction.get("increase", []), by_direction.get("decrease", []), ordered=False)
        effect_null = self._examples(effects, nulls, ordered=True)
        return HotPlanted(
            studies=studies, intervention=self.intervention, outcome=self.outcome, findings=len(findings),
            sides=tuple((side, self.studies_of[side], len(by_direction.get(side, []))) for side in SIDES),
            designs=tuple((side, tuple(sorted(self.designs[side].items()))) for side in SIDES),
            comparable_pairs=counts["comparable"], opposite_directions=counts["opposite"],
            effect_vs_null=counts["effect_vs_null"], disagreements=counts["disagreements"],
            agreements=counts["agreements"], opposite_examples=opposite, effect_vs_null_examples=effect_null)

    def _examples(self, first: list[RuleFinding], second: list[RuleFinding], *, ordered: bool) -> tuple[
            tuple[str, str], ...]:
        """A sample of the pairs (one of ``first``, one of ``second``) of different studies, drawn without
        listing them all; (first, second) when ``ordered``, else each pair sorted."""
        total = len(first) * len(second)
        picked = self.rng.sample(range(total), min(total, MAX_HOT_EXAMPLES))
        pairs = []
        for index in picked:
            a, b = first[index // len(second)], second[index % len(second)]
            if a.study != b.study:
                pairs.append((a.path, b.path) if ordered or a.path < b.path else (b.path, a.path))
        return tuple(sorted(pairs))


def count_pairs(findings: list[RuleFinding]) -> dict[str, int]:
    """The pairs of findings of different studies, counted by what they are, when every such pair is comparable.

    Two findings' relation depends only on their (direction, significance), so the pairs are counted per two
    such categories: all pairs of the two, less those inside one study. Linear in the findings.
    """
    overall: Counter[tuple[str, bool | None]] = Counter()
    by_study: dict[str, Counter[tuple[str, bool | None]]] = {}
    sample: dict[tuple[str, bool | None], RuleFinding] = {}
    for f in findings:
        category = (f.direction, f.significant)
        overall[category] += 1
        by_study.setdefault(f.study, Counter())[category] += 1
        sample.setdefault(category, f)
    categories = sorted(overall, key=repr)
    counts = dict.fromkeys(("comparable", "opposite", "effect_vs_null", "disagreements", "agreements"), 0)
    for i, c1 in enumerate(categories):
        for c2 in categories[i:]:
            if c1 == c2:
                n = overall[c1] * (overall[c1] - 1) // 2 - sum(s[c1] * (s[c1] - 1) // 2 for s in by_study.values())
            else:
                n = overall[c1] * overall[c2] - sum(s[c1] * s[c2] for s in by_study.values())
            opposite, effect_null, agree = classify(sample[c1], sample[c2])
            counts["comparable"] += n
            counts["opposite"] += n * opposite
            counts["effect_vs_null"] += n * (effect_null is not None)
            counts["disagreements"] += n * (opposite or effect_null is not None)
            counts["agreements"] += n * agree
    return counts

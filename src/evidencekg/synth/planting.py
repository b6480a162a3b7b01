"""Which findings disagree: the questions of a cluster, and the rules of ``queries/derive``.

How disagreements are planted
-----------------------------

Studies come in *topic clusters* (1 to 10 studies, plus now and then a review
that includes them). Each cluster works on one *outcome instance*: a subtree of
the outcome vocabulary (``blood pressure`` > ``systolic`` > ``office systolic``,
and a sibling branch ``diastolic``) that no other cluster's findings share,
unless the two clusters use different contrast families. Inside an outcome
instance every contrast family (an intervention such as ``magnesium
supplementation`` and its forms, a condition such as ``restless legs syndrome``
and its subtypes, an exposure such as ``smoking``) is given to one cluster at
most. The ancestors of those subtrees (vocabulary categories such as
``dietary supplementation`` or ``cardiovascular measures``) are never used by a
finding. Two findings of different clusters therefore never have related
outcomes *and* related contrasts, so they are never comparable, and every
disagreement stays inside the cluster where it was planted.

Inside a cluster each contrast kind is one *question* with a true direction and
a scenario: consensus (agreements only), opposite (a study reports the other
direction, significantly), null (a study reports no change, or a change it
calls not significant) or mixed (a non-significant opposite change), and for
interventions form-specific (two sibling forms in opposite directions: a trap).
Traps are planted on purpose: same-study subgroups in opposite directions,
sibling outcome branches in opposite directions, sibling intervention forms,
case groups with an unrelated condition, comparators that have the condition,
and different contrast kinds on the same outcome.

``planted.json`` is then computed from the generated records by the rules of
``queries/derive/`` (positions, comparable positions, disagreements),
re-implemented here pair by pair over the generator's own structures (not by running the
queries), once over the whole dataset through an index and once cluster by
cluster; the two must agree, which checks the isolation of the clusters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..records.model import Direction
from .vocabulary import SCENARIOS, Family, OutcomeInstance, Terms, weighted

OPPOSITE: dict[Direction, Direction] = {"increase": "decrease", "decrease": "increase"}
_BASES: tuple[Direction, Direction] = ("increase", "decrease")


@dataclass(slots=True)
class RuleFinding:
    """What the rules need to know about a finding, kept while its study is written."""

    path: str
    study: str
    cluster: int
    outcome: str
    kind: str  # I, E, C
    contrast: str | None  # intervention term, exposure term, or None (condition: see group_condition)
    group_condition: str | None
    comparator_group: bool
    comparator_condition: str | None
    direction: str
    significant: bool | None


# --- the questions of a cluster ----------------------------------------------------------------


@dataclass
class ClusterContext:
    """A topic cluster: its outcome instance, the population it focuses on, its participants' condition."""

    index: int
    instance: OutcomeInstance
    focus: str
    subgroups: tuple[str, str]
    context_condition: str | None


class Question:
    """One contrast kind inside a cluster: its family, true directions, scenario and roles."""

    def __init__(self, rng: random.Random, kind: str, family: Family, trap_family: Family | None,
                 instance: OutcomeInstance, studies: int) -> None:
        self.rng = rng
        self.kind = kind
        self.family = family
        self.trap_family = trap_family
        self.base = rng.choice(_BASES)
        self.scenario = weighted(rng, SCENARIOS[kind]) if studies >= 2 else "consensus"
        # Sibling outcome branches in opposite directions (a trap): the root, comparable with both, is then not used.
        self.sibling_outcomes = rng.random() < 0.3
        self.branch_base = [self.base, OPPOSITE[self.base] if self.sibling_outcomes else self.base]
        self.outcomes: list[tuple[str, int]] = [] if self.sibling_outcomes else [(instance.root, 0)]
        for branch in range(len(instance.branches)):
            self.outcomes += [(t, branch) for t in instance.terms(branch)]
        roles = ["agree"] * studies
        if self.scenario in ("opposite", "null", "mixed") and studies >= 2:
            dissenters = 1 if studies < 5 else 2
            special = {"opposite": "oppose", "null": "null", "mixed": "oppose-not-significant"}[self.scenario]
            for position in rng.sample(range(1, studies), dissenters):
                roles[position] = special
        self.roles = roles
        self.next = 0
        if self.scenario == "form-specific":
            self.forms = rng.sample(family.children, 2)

    def next_role(self) -> str:
        role = self.roles[self.next]
        self.next += 1
        return role

    def direction(self, role: str, branch: int) -> tuple[Direction, bool | None]:
        """Direction and significance of a finding of a study with this role, on an outcome branch."""
        base = self.branch_base[branch]
        if role == "agree":
            return base, True
        if role == "oppose":
            return OPPOSITE[base], True
        if role == "oppose-not-significant":
            return OPPOSITE[base], False
        if self.rng.random() < 0.6:  # null
            return "no-change", False
        return base, False


# --- the rules of queries/derive, over the generated structures ---------------------------------


def are_comparable(a: RuleFinding, b: RuleFinding, anc: dict[str, frozenset[str]]) -> bool:
    """As 2-comparable-positions.rq and 3-contradictions.rq: different studies, related outcomes and contrast."""
    if a.study == b.study or a.kind != b.kind:
        return False
    if a.outcome not in anc[b.outcome] and b.outcome not in anc[a.outcome]:
        return False
    if a.kind in ("I", "E"):
        return a.contrast in anc[b.contrast] or b.contrast in anc[a.contrast]  # type: ignore[index]
    if not (a.comparator_group and b.comparator_group):
        return False
    return _condition_contrast(a, b, anc) or _condition_contrast(b, a, anc)


def _condition_contrast(a: RuleFinding, b: RuleFinding, anc: dict[str, frozenset[str]]) -> bool:
    c = a.group_condition
    if c is None or b.group_condition is None or c not in anc[b.group_condition]:
        return False
    return all(k is None or c not in anc[k] for k in (a.comparator_condition, b.comparator_condition))


def _effect(f: RuleFinding) -> bool:
    return f.direction != "no-change" and f.significant is not False


def classify(a: RuleFinding, b: RuleFinding) -> tuple[bool, tuple[str, str] | None, bool]:
    """2-disagreements.rq and 3-agreements.rq: (opposite, (effect, null) or None, agreement)."""
    opposite = {a.direction, b.direction} == {"increase", "decrease"}
    ea, eb = _effect(a), _effect(b)
    evn = ((a.path, b.path) if ea else (b.path, a.path)) if ea != eb else None
    agree = a.direction == b.direction != "no-change" and a.significant is not False and b.significant is not False
    return opposite, evn, agree


def _contrast_root(f: RuleFinding, roots: dict[str, str]) -> str | None:
    if f.kind == "C":
        return roots[f.group_condition] if f.group_condition and f.comparator_group else None
    return roots[f.contrast]  # type: ignore[index]


def derive_indexed(findings: list[RuleFinding], vocab: Terms) -> tuple[
        set[tuple[str, str]], set[tuple[str, str]], int, int]:
    """Every comparable pair of the dataset, found through an index on (outcome, kind, contrast root)."""
    anc, roots = vocab.anc, vocab.root
    index: dict[tuple[str, str, str], list[RuleFinding]] = {}
    for f in findings:
        root = _contrast_root(f, roots)
        if root is not None:
            index.setdefault((f.outcome, f.kind, root), []).append(f)
    opposite: set[tuple[str, str]] = set()
    effect_null: set[tuple[str, str]] = set()
    comparable = agreements = 0
    for f in findings:
        root = _contrast_root(f, roots)
        if root is None:
            continue
        for outcome in anc[f.outcome]:
            for g in index.get((outcome, f.kind, root), ()):
                # Each unordered pair once: equal outcomes by path order, otherwise from the narrower side.
                if outcome == f.outcome and g.path <= f.path:
                    continue
                if not are_comparable(f, g, anc):
                    continue
                comparable += 1
                opp, evn, agree = classify(f, g)
                if opp:
                    opposite.add((f.path, g.path) if f.path < g.path else (g.path, f.path))
                if evn:
                    effect_null.add(evn)
                agreements += agree
    return opposite, effect_null, comparable, agreements


TRAP_CATEGORIES = ("same-study", "sibling-outcomes", "different-contrast-kinds", "sibling-interventions",
                    "unrelated-exposures", "unrelated-conditions", "comparator-has-condition", "no-comparator-group")


def _trap_reason(a: RuleFinding, b: RuleFinding, anc: dict[str, frozenset[str]]) -> str | None:
    """The one rule that keeps a look-alike pair from being compared, or None if more than one does."""
    reasons = []
    if a.study == b.study:
        reasons.append("same-study")
    if a.outcome not in anc[b.outcome] and b.outcome not in anc[a.outcome]:
        reasons.append("sibling-outcomes")
    if a.kind != b.kind:
        reasons.append("different-contrast-kinds")
    elif a.kind in ("I", "E"):
        if a.contrast not in anc[b.contrast] and b.contrast not in anc[a.contrast]:  # type: ignore[index]
            reasons.append("sibling-interventions" if a.kind == "I" else "unrelated-exposures")
    else:
        ca, cb = a.group_condition, b.group_condition
        if ca is None or cb is None or (ca not in anc[cb] and cb not in anc[ca]):
            reasons.append("unrelated-conditions")
        elif not (a.comparator_group and b.comparator_group):
            reasons.append("no-comparator-group")
        elif not (_condition_contrast(a, b, anc) or _condition_contrast(b, a, anc)):
            reasons.append("comparator-has-condition")
    return reasons[0] if len(reasons) == 1 else None


def derive_by_cluster(clusters: list[list[RuleFinding]], vocab: Terms) -> tuple[
        set[tuple[str, str]], set[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """The same rules, pair by pair inside each cluster; with the look-alike pairs that are not comparable."""
    anc = vocab.anc
    opposite: set[tuple[str, str]] = set()
    effect_null: set[tuple[str, str]] = set()
    traps: dict[str, list[tuple[str, str]]] = {c: [] for c in TRAP_CATEGORIES}
    for findings in clusters:
        for i, a in enumerate(findings):
            for b in findings[i + 1:]:
                opp, evn, _ = classify(a, b)
                if not (opp or evn):
                    continue
                if are_comparable(a, b, anc):
                    if opp:
                        opposite.add((a.path, b.path) if a.path < b.path else (b.path, a.path))
                    if evn:
                        effect_null.add(evn)
                else:
                    reason = _trap_reason(a, b, anc)
                    if reason is not None:
                        traps[reason].append((a.path, b.path) if a.path < b.path else (b.path, a.path))
    return opposite, effect_null, traps

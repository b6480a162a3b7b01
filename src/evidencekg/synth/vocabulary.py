"""The fixed vocabulary of the synthetic datasets, and the tables the generator draws from.

The tables live in ``vocabulary.yaml`` next to this module (shipped in the
package), read once with :mod:`importlib.resources`. Their order matters: the
generator draws from them with a seeded random generator.

Categories (top-level terms) are never used by a finding, so that two contrast
families under one category never become comparable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, TypeVar

import yaml

from ..records.model import Design, Term, Vocabulary

TABLES_FILE = "vocabulary.yaml"

T = TypeVar("T")
Weighted = list[tuple[T, int]]
Leaf = tuple[str, str]
"""(id, label) of a term without narrower terms."""


@cache
def _tables() -> dict[str, Any]:
    """The parsed ``vocabulary.yaml`` of this package (read once)."""
    text = files(__package__ or "evidencekg.synth").joinpath(TABLES_FILE).read_text(encoding="utf-8")
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(data, dict):  # pragma: no cover - guards the shipped file
        raise ValueError(f"evidencekg.synth/{TABLES_FILE} is not a mapping")
    return data


def _leaves(entries: list[dict[str, Any]] | None) -> list[Leaf]:
    return [(e["id"], e["label"]) for e in entries or []]


def _weights(table: dict[Any, int]) -> Weighted[Any]:
    return list(table.items())


_DATA = _tables()

# (id, label, broader or None, definition)
POPULATIONS: list[tuple[str, str, str | None, str]] = [
    (e["id"], e["label"], e.get("broader"), e["definition"]) for e in _DATA["populations"]]
# Populations a cluster may focus on, with the two subgroups a study of it may split into.
POPULATION_FOCUS: list[tuple[str, tuple[str, str]]] = [
    (e["population"], (e["subgroups"][0], e["subgroups"][1])) for e in _DATA["population_focus"]]
# category -> [(family, [(subtype, [sub-subtypes])])]
CONDITIONS: list[tuple[str, str, list[tuple[str, str, list[tuple[str, str, list[Leaf]]]]]]] = [
    (cat["id"], cat["label"], [
        (fam["id"], fam["label"], [(sub["id"], sub["label"], _leaves(sub.get("subtypes"))) for sub in fam["subtypes"]])
        for fam in cat["families"]])
    for cat in _DATA["conditions"]]
# category -> [(family, dose kind, [(form, [sub-forms])])]
INTERVENTIONS: list[tuple[str, str, list[tuple[str, str, str, list[tuple[str, str, list[Leaf]]]]]]] = [
    (cat["id"], cat["label"], [
        (fam["id"], fam["label"], fam["dose"],
         [(form["id"], form["label"], _leaves(form.get("forms"))) for form in fam["forms"]])
        for fam in cat["families"]])
    for cat in _DATA["interventions"]]
CONTROL_INTERVENTIONS: list[tuple[str, str, str]] = [
    (e["id"], e["label"], e["definition"]) for e in _DATA["control_interventions"]]
# Exposures are terms of the outcomes list, under their own category that no finding uses as an outcome.
EXPOSURE_CATEGORY: tuple[str, str, str] = (
    _DATA["exposure_category"]["id"], _DATA["exposure_category"]["label"], _DATA["exposure_category"]["definition"])
EXPOSURES: list[tuple[str, str, list[Leaf]]] = [
    (e["id"], e["label"], _leaves(e["kinds"])) for e in _DATA["exposures"]]
OUTCOME_DOMAINS: list[Leaf] = _leaves(_DATA["outcome_domains"])
# (domain, root slug, root label, meaning of higher, [(branch slug, label, [(leaf slug, label)])]);
# the first branch is "A", the second its sibling "B".
OUTCOME_TEMPLATES: list[tuple[str, str, str, str, list[tuple[str, str, list[Leaf]]]]] = [
    (e["domain"], e["id"], e["label"], e["higher"],
     [(b["id"], b["label"], _leaves(b.get("leaves"))) for b in e["branches"]])
    for e in _DATA["outcome_templates"]]

# Designs of primary studies in plausible proportions; reviews are REVIEW_SHARE on top.
PRIMARY_DESIGNS: Weighted[Design] = _weights(_DATA["primary_designs"])
REVIEW_SHARE: float = _DATA["review_share"]
CLUSTER_SIZES: Weighted[int] = _weights(_DATA["cluster_sizes"])
FINDING_COUNTS: Weighted[int] = _weights(_DATA["finding_counts"])
SCENARIOS: dict[str, Weighted[str]] = {kind: _weights(table) for kind, table in _DATA["scenarios"].items()}
HOT_QUESTION_DESIGNS: dict[str, Weighted[Design]] = {
    side: _weights(table) for side, table in _DATA["hot_question_designs"].items()}
FIRST_YEAR: int = _DATA["years"]["first"]
LAST_YEAR: int = _DATA["years"]["last"]
JOURNALS: list[str] = _DATA["journals"]
SYLLABLES: list[str] = _DATA["syllables"]
INITIALS: str = _DATA["initials"]

KINDS = ("populations", "conditions", "outcomes", "interventions")


def weighted(rng: random.Random, table: Weighted[T]) -> T:
    """One value of ``table``, drawn with the weights of the table."""
    total = sum(w for _, w in table)
    pick = rng.randrange(total)
    for value, weight in table:
        if pick < weight:
            return value
        pick -= weight
    raise AssertionError("unreachable")  # pragma: no cover


def quota(total: int, table: Weighted[T]) -> list[T]:
    """``total`` items split by weight, largest remainder first (ties in table order)."""
    weight_sum = sum(w for _, w in table)
    exact = [(name, total * w / weight_sum) for name, w in table]
    counts = {name: int(x) for name, x in exact}
    left = total - sum(counts.values())
    for name, _ in sorted(exact, key=lambda nx: -(nx[1] - int(nx[1])))[:left]:
        counts[name] += 1
    return [name for name, _ in table for _ in range(counts[name])]


class Terms:
    """The terms as written, plus the ancestors-or-self of every term, for the rules."""

    def __init__(self) -> None:
        self.lists: dict[str, list[Term]] = {k: [] for k in KINDS}
        self.parent: dict[str, str | None] = {}
        self.label: dict[str, str] = {}
        self.anc: dict[str, frozenset[str]] = {}
        self.root: dict[str, str] = {}

    def add(self, kind: str, term_id: str, label: str, broader: str | None, definition: str | None = None) -> str:
        if term_id in self.parent:
            raise AssertionError(f"duplicate synthetic term id {term_id!r}")
        self.lists[kind].append(Term(id=term_id, label=label, definition=definition or None,
                                     broader=[broader] if broader else []))
        self.parent[term_id] = broader
        self.label[term_id] = label
        self.anc[term_id] = frozenset({term_id}) | (self.anc[broader] if broader else frozenset())
        self.root[term_id] = self.root[broader] if broader else term_id
        return term_id

    def count(self) -> int:
        return len(self.parent)

    def record(self) -> dict[str, Any]:
        """``vocabulary.yaml`` as the record format writes it, through the model."""
        model = Vocabulary(populations=self.lists["populations"], conditions=self.lists["conditions"],
                           outcomes=self.lists["outcomes"], interventions=self.lists["interventions"])
        return model.model_dump(exclude_none=True, exclude_defaults=True)


@dataclass
class Family:
    """A contrast family: a top term used by findings and the narrower terms under it."""

    kind: str  # "I", "C" or "E"
    term: str
    children: list[str]  # level below the family
    grandchildren: dict[str, list[str]]
    dose: str = ""

    def narrower(self) -> list[str]:
        return self.children + [g for c in self.children for g in self.grandchildren.get(c, [])]


def _family(vocab: Terms, kind: str, code: str, category: str, term: str, label: str, children: Any,
            relation: str, dose: str = "") -> Family:
    """A family term under its category, its children and their children, each defined by ``relation``."""
    vocab.add(kind, term, label, category)
    family = Family(code, term, [], {}, dose)
    for child, child_label, grandchildren in children:
        vocab.add(kind, child, child_label, term, f"{relation} {label}.")
        family.children.append(child)
        for grandchild, grandchild_label in grandchildren:
            vocab.add(kind, grandchild, grandchild_label, child, f"{relation} {child_label}.")
            family.grandchildren.setdefault(child, []).append(grandchild)
    return family


def fixed_vocabulary() -> tuple[Terms, dict[str, list[Family]]]:
    """The terms every dataset has (outcome instances are added later), and the contrast families by kind."""
    vocab = Terms()
    for term_id, label, broader, definition in POPULATIONS:
        vocab.add("populations", term_id, label, broader, definition)
    families: dict[str, list[Family]] = {"I": [], "C": [], "E": []}
    for cat, cat_label, fams in CONDITIONS:
        vocab.add("conditions", cat, cat_label, None, f"A category of the synthetic vocabulary: {cat_label}.")
        for fam, fam_label, subtypes in fams:
            families["C"].append(_family(vocab, "conditions", "C", cat, fam, fam_label, subtypes, "A subtype of"))
    for cat, cat_label, intervention_families in INTERVENTIONS:
        vocab.add("interventions", cat, cat_label, None, f"A category of the synthetic vocabulary: {cat_label}.")
        for fam, fam_label, dose, forms in intervention_families:
            families["I"].append(_family(vocab, "interventions", "I", cat, fam, fam_label, forms, "A form of", dose))
    for term_id, label, definition in CONTROL_INTERVENTIONS:
        vocab.add("interventions", term_id, label, None, definition)
    for domain, label in OUTCOME_DOMAINS:
        vocab.add("outcomes", domain, label, None,
                  f"A category of the synthetic vocabulary: {label}; never a finding's outcome.")
    cat, cat_label, cat_definition = EXPOSURE_CATEGORY
    vocab.add("outcomes", cat, cat_label, None, cat_definition)
    for fam, fam_label, narrower in EXPOSURES:
        vocab.add("outcomes", fam, fam_label, cat, f"An exposure: {fam_label}; more means more exposure.")
        family = Family("E", fam, [], {})
        for sub, sub_label in narrower:
            vocab.add("outcomes", sub, sub_label, fam, f"A kind of {fam_label}.")
            family.children.append(sub)
        families["E"].append(family)
    return vocab, families


@dataclass
class OutcomeInstance:
    """One copy of an outcome template: its own terms, and the contrast families still free in it."""

    root: str
    branches: list[tuple[str, list[str]]]  # (branch term, leaf terms)
    free: dict[str, list[int]]  # kind -> indexes of families not yet given to a cluster

    def terms(self, branch: int) -> list[str]:
        term, leaves = self.branches[branch]
        return [term, *leaves]

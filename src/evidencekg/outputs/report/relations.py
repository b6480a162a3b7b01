"""The disagreements and agreements the report shows, read from the named queries and ``report/relations.rq``.

The disagreements come first as the named queries ``contradictions`` and
``effect-vs-null`` return them, then any other derived ``ekg:Disagreement``; the
facets of each come from ``explanations``, oriented to the side the report shows
on the left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rdflib import URIRef
from rdflib.term import Node

from ...namespaces import EKG
from ...sparql.results import display
from .model import DisagreementView, FacetView, FindingView
from .queries import Labels, is_true, query_rows

if TYPE_CHECKING:
    from ...knowledge_graph import KnowledgeGraph


def _term_relation_note(label: Labels, text: str, first: FindingView, second: FindingView) -> str:
    """Where the query's "first is narrower/broader" label points, named by study."""
    if text == label.plain(EKG.NarrowerTerm):
        return f"narrower in {first.study_label}"
    if text == label.plain(EKG.BroaderTerm):
        return f"narrower in {second.study_label}"
    return text


def _explanations(kg: KnowledgeGraph, label: Labels, findings: Mapping[URIRef, FindingView],
                  only: Sequence[Node] | None = None) -> dict[Node, list[dict[str, Any]]]:
    """Relation → its facets as the ``explanations`` query gives them (values relative to its first finding).

    With ``only``, the facets of those relations alone, asked for one relation at a time: a page that
    shows a few hundred of 20,000 disagreements needs a few hundred of their 100,000 facets.
    """
    facets: dict[Node, list[dict[str, Any]]] = defaultdict(list)
    rows = (kg.query("explanations").records() if only is None
            else [row for relation in only for row in kg.query("explanations", {"relation": relation}).records()])
    for row in rows:
        relation, first, second = row["relation"], row["finding1"], row["finding2"]
        if first not in findings or second not in findings:
            continue
        note = ""
        if "termRelationLabel" in row:
            note = _term_relation_note(label, str(row["termRelationLabel"]), findings[first], findings[second])  # type: ignore[index]
        if "largerFinding" in row and row["largerFinding"] in findings:
            note = f"larger: {findings[row['largerFinding']].study_label}"  # type: ignore[index]
        facets[relation].append({
            "first": first, "category": display(row["categoryLabel"]), "label": display(row["facetLabel"]),
            "value1": display(row["value1"]), "value2": display(row["value2"]), "note": note,
        })
    return facets


def _oriented(rows: Sequence[dict[str, Any]], left: URIRef) -> tuple[FacetView, ...]:
    out = []
    for row in rows:
        swap = row["first"] != left
        a, b = (row["value2"], row["value1"]) if swap else (row["value1"], row["value2"])
        out.append(FacetView(row["category"], row["label"], a, b, row["note"]))
    return tuple(out)


def relations(kg: KnowledgeGraph) -> dict[Node, dict[str, set[Node]]]:
    """Relation → column → its values, from the rows of ``queries/report/relations.rq``."""
    relations: dict[Node, dict[str, set[Node]]] = defaultdict(lambda: defaultdict(set))
    for row in query_rows(kg, "relations"):
        for column, value in row.items():
            relations[row["relation"]][column].add(value)
    return relations


def _first(values: Iterable[Node]) -> Node | None:
    return min(values, key=str, default=None)


_DERIVED_ONLY = "queries/derive only (no named query returns it)"


def disagreements(kg: KnowledgeGraph, label: Labels, relations: Mapping[Node, Mapping[str, set[Node]]],
                  findings: Mapping[URIRef, FindingView],
                  limit: int | None = None) -> tuple[tuple[DisagreementView, ...], int]:
    """The first ``limit`` disagreements (all of them with None) in the order the report lists them, and how
    many there are in all."""
    entries: dict[Node, dict[str, Any]] = {}

    def add(relation: Node, left: Node | None, right: Node | None, kind: str, contrast: str, dependent: bool,
            roles: tuple[str, str], source: str) -> None:
        if left not in findings or right not in findings:
            return
        entry = entries.setdefault(relation, {"left": left, "right": right, "kinds": [], "contrast": contrast,
                                              "dependent": dependent, "roles": roles, "sources": []})
        if kind not in entry["kinds"]:
            entry["kinds"].append(kind)
        if source not in entry["sources"]:
            entry["sources"].append(source)

    for row in kg.query("contradictions").records():
        add(row["relation"], row["finding1"], row["finding2"], label(EKG.OppositeDirections),
            display(row.get("contrast")), is_true(row.get("dependent")), ("", ""), "contradictions.rq")
    for row in kg.query("effect-vs-null").records():
        contrast = label(_first(relations.get(row["relation"], {}).get("contrastKind", ())))
        add(row["relation"], row["effectFinding"], row["nullFinding"], label(EKG.EffectVersusNull), contrast,
            is_true(row.get("dependent")), ("effect", "no effect"), "effect-vs-null.rq")
    # Disagreements the named queries do not return (e.g. effect vs null between exposures): still disagreements.
    for relation in sorted(relations, key=str):
        values = relations[relation]
        if relation in entries or EKG.Disagreement not in values["type"]:
            continue
        effect, null = _first(values["effectFinding"]), _first(values["nullFinding"])
        opposite = EKG.OppositeDirections in values["kind"]
        left, right = ((_first(values["firstFinding"]), _first(values["secondFinding"])) if opposite or effect is None
                       else (effect, null))
        roles = ("", "") if opposite or effect is None else ("effect", "no effect")
        contrast = label(_first(values["contrastKind"]))
        dependent = is_true(_first(values["dependent"]))
        for kind in sorted(label(k) for k in values["kind"]) or ["disagreement"]:
            add(relation, left, right, kind, contrast, dependent, roles, _DERIVED_ONLY)

    shown = list(entries.items()) if limit is None else list(entries.items())[:limit]
    explanations = _explanations(kg, label, findings, None if len(shown) == len(entries) else [r for r, _ in shown])
    views = []
    for number, (relation, entry) in enumerate(shown, start=1):
        shown_left, shown_right = findings[entry["left"]], findings[entry["right"]]
        views.append(DisagreementView(
            number=number, relation=URIRef(str(relation)), kinds=tuple(entry["kinds"]), contrast=entry["contrast"],
            dependent=entry["dependent"], left=shown_left, right=shown_right,
            facets=_oriented(explanations.get(relation, []), shown_left.iri), roles=entry["roles"],
            source=", ".join(entry["sources"]),
        ))
    return tuple(views), len(entries)


def agreements(kg: KnowledgeGraph, findings: Mapping[URIRef, FindingView]) -> tuple[tuple[URIRef, URIRef], ...]:
    """The agreeing pairs of shown findings, paired on demand by the ``agreements`` query."""
    pairs = {(URIRef(str(row["first"])), URIRef(str(row["second"])))
             for row in kg.query("agreements").records()
             if row["first"] in findings and row["second"] in findings}
    return tuple(sorted(pairs, key=lambda p: (str(p[0]), str(p[1]))))

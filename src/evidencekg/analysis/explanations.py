"""Why the findings of each disagreement may differ, as lines of text: the facets ``explanations.rq`` reads.

``contradictions`` prints them under each pair, and adds them to its JSON, CSV and TSV rows as the
column ``differences`` (one line per facet), so every format carries what the table shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rdflib import Literal, URIRef

from ..sparql.results import QueryResult, display

if TYPE_CHECKING:
    from ..knowledge_graph import KnowledgeGraph

DIFFERENCES = "differences"


def explanations(kg: KnowledgeGraph, relations: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Disagreement IRI → one line per facet on which its findings differ; of ``relations`` only, if given."""
    if relations is None:
        rows = kg.query("explanations").records()
    else:  # a few disagreements of many: each asked for alone rather than all of them explained
        rows = [row for relation in dict.fromkeys(relations)
                for row in kg.query("explanations", {"relation": URIRef(relation)}).records()]
    lines: dict[str, list[str]] = {}
    for row in rows:
        relation = str(row["relation"])
        detail = f"{display(row['value1'])} | {display(row['value2'])}"
        if "termRelationLabel" in row:
            detail += f" ({display(row['termRelationLabel'])})"
        if "largerFinding" in row:
            detail += f" (larger: {'first' if row['largerFinding'] == row['finding1'] else 'second'})"
        facet = f"{display(row['facetLabel'])} [{display(row['categoryLabel'])}]"
        lines.setdefault(relation, []).append(f"{facet}: {detail}")
    return lines


def with_differences(result: QueryResult, lines: dict[str, list[str]]) -> QueryResult:
    """``result`` with a last column ``differences``: the lines of each row's ``relation``, one per line."""
    at = result.variables.index("relation")
    rows = tuple((*row, Literal("\n".join(lines[str(row[at])])) if str(row[at]) in lines else None)
                 for row in result.rows)
    return QueryResult((*result.variables, DIFFERENCES), rows)

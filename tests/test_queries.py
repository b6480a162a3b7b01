"""Stage 6: the named queries parse, state their intent, and find what the data says."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

import evidencekg
from evidencekg.errors import QueryError
from evidencekg.rdf import study_label
from evidencekg.sparql import available_queries, load_query, parse_binding, read_query

QUERY_NAMES = sorted(available_queries())


def test_the_required_queries_ship() -> None:
    assert {"contradictions", "effect-vs-null", "evidence-by-design"} <= set(QUERY_NAMES)


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_every_query_parses_and_has_a_summary(name: str) -> None:
    query = load_query(name)
    assert query.summary, f"{name}.rq needs a '#+ summary:' header"


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_every_query_runs_on_both_datasets(name: str, bundled_kg: evidencekg.KnowledgeGraph) -> None:
    result = evidencekg.query(bundled_kg, name)
    assert result.variables


def test_a_syntax_error_is_reported_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.rq"
    path.write_text("SELECT ?x WHERE { ?x ?y }", encoding="utf-8")
    with pytest.raises(QueryError, match=r"broken.rq:\d+:\d+: SPARQL syntax error"):
        read_query(path)


def test_unknown_query_name_lists_the_shipped_ones() -> None:
    with pytest.raises(QueryError, match=r"shipped queries are: .*contradictions"):
        load_query("contradiction")


def test_service_is_refused_unless_allowed(tmp_path: Path, bundled_kg: evidencekg.KnowledgeGraph) -> None:
    path = tmp_path / "remote.rq"
    path.write_text("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", encoding="utf-8")
    with pytest.raises(QueryError, match="SERVICE"):
        evidencekg.query(bundled_kg, read_query(path))


def test_parameters_are_bound_not_formatted(bundled_kg: evidencekg.KnowledgeGraph, tmp_path: Path) -> None:
    path = tmp_path / "by-label.rq"
    path.write_text("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                    "SELECT ?study WHERE { ?study rdfs:label ?label }", encoding="utf-8")
    label = Literal(study_label(bundled_kg.dataset.studies[0]), lang="en")  # curators' text carries the language
    rows = evidencekg.query(bundled_kg, read_query(path), {"label": label}).rows
    assert len(rows) == 1
    hostile = Literal('x" } ?s ?p ?o { "')
    assert evidencekg.query(bundled_kg, read_query(path), {"label": hostile}).rows == ()


def test_parse_binding() -> None:
    assert parse_binding("x=<https://example.org/a>") == ("x", URIRef("https://example.org/a"))
    assert parse_binding("?n=3") == ("n", Literal(3))
    assert parse_binding("o=ekg:Increase")[1] == URIRef("https://w3id.org/evidencekg/ontology#Increase")
    assert parse_binding("t=plain text") == ("t", Literal("plain text"))


def test_json_is_sparql_results_json(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    result = evidencekg.query(bundled_kg, "contradictions")
    document = json.loads(result.to_json())
    assert document["head"]["vars"] == list(result.variables)
    for binding in document["results"]["bindings"]:
        for term in binding.values():
            assert term["type"] in {"uri", "literal", "bnode"}
            assert isinstance(term["value"], str)


def _finding_pairs(result: evidencekg.QueryResult, first: str, second: str, ordered: bool = False) -> set:
    pairs = set()
    for record in result.records():
        a, b = (str(record[first]).split("/study/", 1)[1], str(record[second]).split("/study/", 1)[1])
        pairs.add((a, b) if ordered else frozenset((a, b)))
    return pairs


def _findings(kg: evidencekg.KnowledgeGraph, study_id: str, outcome: str, direction: str) -> set[str]:
    """Findings of a study selected from the records themselves."""
    study = next(s for s in kg.dataset.studies if s.id == study_id)
    return {f"{study.id}/finding/{f.id}" for f in study.findings if (f.outcome, f.direction) == (outcome, direction)}


def test_bundled_contradiction_pregnancy_vs_idiopathic(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    """The serum-level disagreement between the two case-control studies the literature notes describe.

    The expected findings are selected from the records by their content (the study's serum-level
    finding with a direction), not copied from the query output.
    """
    result = evidencekg.query(bundled_kg, "contradictions")
    pairs = _finding_pairs(result, "finding1", "finding2")
    lower = _findings(bundled_kg, "yildirim-2020", "serum-magnesium", "decrease")
    higher = _findings(bundled_kg, "jimenez-jimenez-2022", "serum-magnesium", "increase")
    assert len(lower) == len(higher) == 1
    assert frozenset(lower | higher) in pairs
    for pair in pairs:
        studies = {p.split("/finding/")[0] for p in pair}
        assert len(studies) == 2, "a contradiction is always between two studies"


def test_second_dataset_matches_its_construction(second_kg: evidencekg.KnowledgeGraph) -> None:
    import yaml
    from conftest import SECOND_DATASET

    expected = yaml.safe_load((SECOND_DATASET / "expected.yaml").read_text(encoding="utf-8"))
    contradictions = _finding_pairs(evidencekg.query(second_kg, "contradictions"), "finding1", "finding2")
    assert contradictions == {frozenset(pair) for pair in expected["contradictions"]}
    effects = _finding_pairs(
        evidencekg.query(second_kg, "effect-vs-null"), "effectFinding", "nullFinding", ordered=True
    )
    assert effects == {tuple(pair) for pair in expected["effect_vs_null"]}


def test_derived_relations_are_order_independent_and_symmetric(second_kg: evidencekg.KnowledgeGraph) -> None:
    from rdflib import RDF

    from evidencekg.namespaces import EKG

    derived = second_kg.derived
    relations = set(derived.subjects(RDF.type, EKG.EvidenceRelation))
    assert relations
    for relation in relations:
        findings = sorted(str(f).split("/study/", 1)[1] for f in derived.objects(relation, EKG.relatesFinding))
        assert len(findings) == 2
        assert str(relation).endswith("/relation/" + "/vs/".join(findings))
    for a, b in derived.subject_objects(EKG.disagreesWith):
        assert (b, EKG.disagreesWith, a) in derived


def test_disagreements_cover_both_pair_queries(second_kg: evidencekg.KnowledgeGraph) -> None:
    from rdflib import RDF

    from evidencekg.namespaces import EKG

    disagreements = set(second_kg.derived.subjects(RDF.type, EKG.Disagreement))
    listed = {r["relation"] for r in evidencekg.query(second_kg, "contradictions").records()}
    listed |= {r["relation"] for r in evidencekg.query(second_kg, "effect-vs-null").records()}
    assert listed <= disagreements
    report = evidencekg.validate(second_kg).report
    assert report.conforms, [str(r) for r in report.violations]


def _facets(kg: evidencekg.KnowledgeGraph) -> dict[frozenset, dict[str, dict[str, str]]]:
    by_pair: dict[frozenset, dict[str, dict[str, str]]] = {}
    for row in evidencekg.query(kg, "explanations").records():
        pair = frozenset(str(row[k]).split("/study/", 1)[1] for k in ("finding1", "finding2"))
        facet = str(row["facetType"]).rsplit("#", 1)[1]
        by_pair.setdefault(pair, {})[facet] = {k: str(v) for k, v in row.items()}
    return by_pair


def test_bundled_disagreement_is_explained_by_population_and_condition(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    lower = _findings(bundled_kg, "yildirim-2020", "serum-magnesium", "decrease")
    higher = _findings(bundled_kg, "jimenez-jimenez-2022", "serum-magnesium", "increase")
    facets = _facets(bundled_kg)[frozenset(lower | higher)]
    studies = {s.id: s for s in bundled_kg.dataset.studies}
    groups = {sid: {g.id: g for g in studies[sid].groups} for sid in ("yildirim-2020", "jimenez-jimenez-2022")}
    findings = {sid: next(f for f in studies[sid].findings if f.outcome == "serum-magnesium")
                for sid in ("yildirim-2020", "jimenez-jimenez-2022")}
    populations = {groups[sid][findings[sid].group].population for sid in findings}
    conditions = {groups[sid][findings[sid].group].condition for sid in findings}
    # Both facets exist because the records differ there, and each says which term is narrower.
    assert len(populations) == 2 and "PopulationFacet" in facets
    assert len(conditions) == 2 and "ConditionFacet" in facets
    assert facets["PopulationFacet"]["categoryLabel"] == facets["ConditionFacet"]["categoryLabel"]
    assert facets["PopulationFacet"]["termRelationLabel"] in {"first is narrower", "first is broader"}
    assert facets["ConditionFacet"]["termRelationLabel"] in {"first is narrower", "first is broader"}
    designs = {studies[sid].design for sid in findings}
    assert ("DesignFacet" in facets) == (len(designs) == 2)


def test_facets_appear_only_where_findings_differ(second_kg: evidencekg.KnowledgeGraph) -> None:
    studies = {s.id: s for s in second_kg.dataset.studies}
    for pair, facets in _facets(second_kg).items():
        (a_study, _), (b_study, _) = (p.split("/finding/") for p in sorted(pair))
        assert ("DesignFacet" in facets) == (studies[a_study].design != studies[b_study].design)
        assert ("PublicationYearFacet" in facets) == (studies[a_study].year != studies[b_study].year)
        if "SampleSizeFacet" in facets:
            sizes = {studies[a_study].sample_size, studies[b_study].sample_size}
            assert len(sizes) == 2


def test_disagreements_query_lists_every_derived_disagreement(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    from rdflib import RDF

    from evidencekg.namespaces import EKG

    rows = evidencekg.query(bundled_kg, "disagreements").records()
    assert {r["relation"] for r in rows} == set(bundled_kg.derived.subjects(RDF.type, EKG.Disagreement))
    kinds = sum(1 for _ in bundled_kg.derived.subject_objects(EKG.relationKind)
                if (_[0], RDF.type, EKG.Disagreement) in bundled_kg.derived)
    assert len(rows) == kinds


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_both_engines_bind_refuse_and_order_alike(engine: str, tmp_path: Path) -> None:
    from evidencekg.sparql import parse_bindings

    kg = evidencekg.build_graph(evidencekg.bundled_data_dir(), engine=engine)
    study = kg.dataset.studies[0]
    label = Literal(study_label(study), lang="en")
    lower = tmp_path / "lower.rq"
    lower.write_text("prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                     "select ?study where { ?study rdfs:label ?label }", encoding="utf-8")
    assert len(evidencekg.query(kg, read_query(lower), {"label": label})) == 1
    inner = tmp_path / "inner.rq"
    inner.write_text("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                     "SELECT ?study WHERE { { SELECT ?study WHERE { ?study rdfs:label ?label } } }", encoding="utf-8")
    with pytest.raises(QueryError, match="only inside a sub-query"):
        evidencekg.query(kg, read_query(inner), {"label": label})
    with pytest.raises(QueryError, match="already bound"):
        parse_bindings(["n=1", "n=2"])
    star = tmp_path / "star.rq"
    star.write_text("PREFIX ekg: <https://w3id.org/evidencekg/ontology#>\n"
                    "SELECT * WHERE { ?finding ekg:direction ?direction ; ekg:outcome ?outcome } LIMIT 1",
                    encoding="utf-8")
    assert evidencekg.query(kg, read_query(star)).variables == ("direction", "finding", "outcome")


def test_bundled_disagreements_show_tests_across_groups_and_assumptions(
        bundled_kg: evidencekg.KnowledgeGraph) -> None:
    findings = {f"{s.id}/finding/{f.id}": (s, f) for s in bundled_kg.dataset.studies for f in s.findings}

    def rests_on_assumption(key: str) -> bool:
        study, finding = findings[key]
        groups = {g.id: g for g in study.groups}
        mine = [groups[g] for g in (finding.group, finding.comparator) if g in groups]
        return bool(finding.assumed) or any(g.assumed for g in mine)

    rows = evidencekg.query(bundled_kg, "effect-vs-null").records()
    assert any("effectTest" in r for r in rows), "the bundled data has an effect read from a test across groups"
    assert any("nullAssumed" in r for r in rows), "the bundled data has a null that rests on an assumed value"
    for row in rows:
        for side in ("effect", "null"):
            key = str(row[f"{side}Finding"]).split("/study/", 1)[1]
            read_from_test = findings[key][1].from_test is not None
            assert (f"{side}Test" in row) == read_from_test, key
            if read_from_test:
                assert f"{side}Significant" not in row and f"{side}P" not in row, key
            assert (f"{side}Assumed" in row) == rests_on_assumption(key), key


def test_opposite_findings_meet_as_sides_of_one_contradiction(bundled_kg: evidencekg.KnowledgeGraph) -> None:
    """Serum magnesium lower in one study and higher in another: one contradiction, a finding on each side."""
    from evidencekg.namespaces import EKG

    def ids(nodes: Iterable[object]) -> set[str]:  # study/finding ids, as _findings gives them
        return {str(n).split("/study/", 1)[1] for n in nodes}

    lower = _findings(bundled_kg, "yildirim-2020", "serum-magnesium", "decrease")
    higher = _findings(bundled_kg, "jimenez-jimenez-2022", "serum-magnesium", "increase")
    engine = bundled_kg.engine
    sides = {c: (ids(engine.objects(c, EKG.firstSide)), ids(engine.objects(c, EKG.secondSide)))
             for c in engine.instances(EKG.Contradiction, "derived")}
    holding = [c for c, (first, second) in sides.items()
               if (lower <= first and higher <= second) or (higher <= first and lower <= second)]
    assert len(holding) == 1
    assert EKG.OppositeDirections in set(engine.objects(holding[0], EKG.relationKind))
    # The disagreements are exactly the pairs of a contradiction's two sides from different studies.
    disagreements = {frozenset(ids((r["finding1"], r["finding2"])))
                     for r in evidencekg.query(bundled_kg, "disagreements").records()}
    paired = {frozenset((a, b)) for first, second in sides.values() for a in first for b in second
              if a.split("/finding/")[0] != b.split("/finding/")[0]}
    assert disagreements == paired

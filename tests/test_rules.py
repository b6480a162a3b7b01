"""Stage 4, fast path: the compiled rules give exactly owlrl's closure, or refuse."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import owlrl
import pytest
from helpers import SECOND_DATASET
from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef
from rdflib.term import Node

import evidencekg
from evidencekg.engines.entailment import informative
from evidencekg.engines.fast.rules import UnsupportedOntology, infer_rules
from evidencekg.engines.fast.rules.schema import _schema_closure
from evidencekg.engines.reference import reasoner as reason
from evidencekg.synth import generate

Triple = tuple[Node, Node, Node]
RULES_PACKAGE = Path(evidencekg.__file__).parent / "engines" / "fast" / "rules"
EX = Namespace("http://example.org/")
PREFIXES = """\
@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

# One axiom or more for every rule the compiler supports, including the schema closure.
ONTOLOGY = """
ex:Person owl:equivalentClass ex:Human .
ex:Teacher rdfs:subClassOf ex:Person .
ex:Professor a owl:Class ; rdfs:subClassOf ex:Teacher .
ex:teaches rdfs:domain ex:Teacher ; rdfs:range ex:Course .
ex:lectures rdfs:subPropertyOf ex:teaches .

ex:ancestorOf a owl:TransitiveProperty ; owl:inverseOf ex:descendantOf .
ex:parentOf rdfs:subPropertyOf ex:ancestorOf ; owl:inverseOf ex:childOf .
ex:greatGrandparentOf owl:propertyChainAxiom ( ex:parentOf ex:parentOf ex:parentOf ) .
ex:auntOf owl:propertyChainAxiom ( ex:sisterOf ex:parentOf ) .
ex:coParentOf owl:propertyChainAxiom ( ex:parentOf [ owl:inverseOf ex:parentOf ] ) .

ex:marriedTo a owl:SymmetricProperty .
ex:wifeOf rdfs:subPropertyOf ex:marriedTo .
ex:knows owl:equivalentProperty ex:acquaintedWith .

ex:Vegan owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:diet ; owl:hasValue ex:Plants ] .
ex:Trial rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ex:level ; owl:hasValue ex:Level2 ] .
ex:level a owl:ObjectProperty .
ex:rank rdfs:subPropertyOf ex:level .
ex:LevelTwo a owl:Restriction ; owl:onProperty ex:level ; owl:hasValue ex:Level2 .
ex:RankTwo a owl:Restriction ; owl:onProperty ex:rank ; owl:hasValue ex:Level2 .

ex:Colour owl:equivalentClass [ a owl:Class ; owl:oneOf ( ex:Red ex:Green ) ] .
ex:Red ex:opposite ex:Green .

ex:opposite a owl:SymmetricProperty , owl:IrreflexiveProperty .
ex:before a owl:AsymmetricProperty .
ex:age a owl:DatatypeProperty ; rdfs:range ex:Quantity .
"""

DATA = """
ex:ann a ex:Professor ; ex:lectures ex:logic ; ex:wifeOf ex:bob ; ex:parentOf ex:cat ;
    ex:knows ex:zed ; ex:age 52 .
ex:cat ex:parentOf ex:dan . ex:eve ex:childOf ex:dan .
ex:bob ex:parentOf ex:cat .
ex:flo ex:sisterOf ex:ann .
ex:gil ex:childOf ex:ian ; ex:ancestorOf ex:jo .
ex:kim ex:lectures ex:art .
ex:zed a ex:Human ; ex:acquaintedWith ex:gus .
ex:gus a ex:Vegan .
ex:hal ex:diet ex:Plants .
ex:t1 a ex:Trial .
ex:t2 ex:level ex:Level2 .
ex:t3 ex:rank ex:Level2 .
ex:Left ex:opposite ex:Left .
ex:a ex:before ex:b . ex:b ex:before ex:a .
"""

# The data brings schema statements of its own, list included.
DATA_WITH_SCHEMA = """
ex:Kitten rdfs:subClassOf ex:Cat . ex:Cat rdfs:subClassOf ex:Animal .
ex:owns owl:inverseOf ex:ownedBy .
ex:grandOwnerOf owl:propertyChainAxiom ( ex:owns ex:owns ) .
ex:tom a ex:Kitten ; ex:owns ex:mouse . ex:mouse ex:owns ex:flea .
ex:sam ex:owns ex:tom .
"""


def turtle(text: str) -> Graph:
    return Graph().parse(data=PREFIXES + text, format="turtle")


def owlrl_closure(asserted: Iterable[Triple], ontology: Graph | None = None) -> set[Triple]:
    graph = asserted if isinstance(asserted, Graph) else Graph()
    if graph is not asserted:
        for triple in asserted:
            graph.add(triple)
    return set(reason.infer(graph, ontology))


def difference(expected: set[Triple], actual: set[Triple], shown: int = 5) -> str:
    def lines(sign: str, triples: set[Triple]) -> list[str]:
        ordered = sorted(" ".join(term.n3() for term in triple) for triple in triples)
        return [f"  {sign} {line}" for line in ordered[:shown]] + ([f"  {sign} ..."] if len(ordered) > shown else [])

    missing, extra = expected - actual, actual - expected
    summary = f"{len(missing)} triples only owlrl infers, {len(extra)} only the rules infer:"
    return "\n".join([summary, *lines("-", missing), *lines("+", extra)])


def assert_same_as_owlrl(asserted: Iterable[Triple], ontology: Graph | None = None) -> set[Triple]:
    triples = list(asserted)
    expected = owlrl_closure(triples, ontology)
    actual = infer_rules(triples, ontology)
    assert actual == expected, difference(expected, actual)
    return actual


def built(data_dir: Path) -> evidencekg.BuiltGraph:
    return evidencekg.to_rdf(evidencekg.load_dataset(data_dir))


@pytest.mark.parametrize("data_dir", [evidencekg.bundled_data_dir(), SECOND_DATASET], ids=["bundled", "second"])
def test_same_closure_as_owlrl_on_the_datasets(data_dir: Path) -> None:
    graph = built(data_dir)
    expected = set(reason.infer(graph.graph))
    assert len(expected) > 100
    for asserted in (graph.triples, graph.graph):
        actual = infer_rules(asserted)
        assert actual == expected, difference(expected, actual)


@pytest.mark.parametrize(("studies", "seed"), [(30, 3), (80, 5)])
def test_same_closure_as_owlrl_on_synthetic_datasets(tmp_path: Path, studies: int, seed: int) -> None:
    generate(studies, seed, tmp_path / "synth")
    assert_same_as_owlrl(built(tmp_path / "synth").triples)


def test_every_supported_rule_against_owlrl() -> None:
    inferred = assert_same_as_owlrl(turtle(DATA), turtle(ONTOLOGY))
    expected_samples: set[Triple] = {
        (EX.ann, EX.greatGrandparentOf, EX.eve),  # chain of three, completed by an inferred last link
        (EX.flo, EX.auntOf, EX.cat),  # chain through a plain and a subproperty
        (EX.ann, EX.coParentOf, EX.bob),  # chain through an anonymous inverse
        (EX.eve, EX.descendantOf, EX.ann),  # inverse of a transitive property
        (EX.ann, EX.ancestorOf, EX.eve),  # transitivity over a subproperty
        (EX.ian, EX.ancestorOf, EX.jo),  # transitivity from an inferred first link
        (EX.bob, EX.marriedTo, EX.ann),  # subproperty of a symmetric property
        (EX.Green, EX.opposite, EX.Red),  # symmetry in the ontology's own individuals
        (EX.ann, EX.acquaintedWith, EX.zed),  # equivalent properties, both ways
        (EX.zed, EX.knows, EX.gus),
        (EX.ann, RDF.type, EX.Human),  # equivalent classes, both ways
        (EX.zed, RDF.type, EX.Person),
        (EX.ann, EX.teaches, EX.logic),  # domain and range through a subproperty
        (EX.logic, RDF.type, EX.Course),
        (EX.kim, RDF.type, EX.Human),  # domain, then its superclasses
        (EX.gus, EX.diet, EX.Plants),  # hasValue, class to value
        (EX.hal, RDF.type, EX.Vegan),  # hasValue, value to class
        (EX.t1, EX.level, EX.Level2),
        (EX.t3, RDF.type, EX.LevelTwo),
        (EX.RankTwo, RDFS.subClassOf, EX.LevelTwo),  # scm-hv
        (EX.Professor, RDFS.subClassOf, EX.Human),  # schema closure
        (EX.Red, RDF.type, EX.Colour),  # oneOf
    }
    assert expected_samples <= inferred, difference(expected_samples, inferred & expected_samples)
    assert (EX.t2, RDF.type, EX.Trial) not in inferred  # a subclass restriction only goes one way


# One case per OWL 2 RL rule: (rule id, ontology, data, a triple that rule entails). Each case needs
# no other rule, except where the rule's own conclusion is filtered out of the result (reflexive or
# about the OWL vocabulary): then the triple is one step further, or checked in the schema closure.
RULE_CASES = [
    ("cax-sco", "ex:A rdfs:subClassOf ex:B .", "ex:x a ex:A .", (EX.x, RDF.type, EX.B)),
    ("cax-eqc1", "ex:A owl:equivalentClass ex:B .", "ex:x a ex:A .", (EX.x, RDF.type, EX.B)),
    ("cax-eqc2", "ex:A owl:equivalentClass ex:B .", "ex:x a ex:B .", (EX.x, RDF.type, EX.A)),
    ("prp-dom", "ex:p rdfs:domain ex:A .", "ex:x ex:p ex:y .", (EX.x, RDF.type, EX.A)),
    ("prp-rng", "ex:p rdfs:range ex:A .", "ex:x ex:p ex:y .", (EX.y, RDF.type, EX.A)),
    ("prp-spo1", "ex:p rdfs:subPropertyOf ex:q .", "ex:x ex:p ex:y .", (EX.x, EX.q, EX.y)),
    (
        "prp-spo2",
        "ex:r owl:propertyChainAxiom ( ex:p ex:q ex:p ) .",
        "ex:x ex:p ex:y . ex:y ex:q ex:z . ex:z ex:p ex:w .",
        (EX.x, EX.r, EX.w),
    ),
    ("prp-eqp1", "ex:p owl:equivalentProperty ex:q .", "ex:x ex:p ex:y .", (EX.x, EX.q, EX.y)),
    ("prp-eqp2", "ex:p owl:equivalentProperty ex:q .", "ex:x ex:q ex:y .", (EX.x, EX.p, EX.y)),
    ("prp-inv1", "ex:p owl:inverseOf ex:q .", "ex:x ex:p ex:y .", (EX.y, EX.q, EX.x)),
    ("prp-inv2", "ex:p owl:inverseOf ex:q .", "ex:x ex:q ex:y .", (EX.y, EX.p, EX.x)),
    ("prp-symp", "ex:p a owl:SymmetricProperty .", "ex:x ex:p ex:y .", (EX.y, EX.p, EX.x)),
    ("prp-trp", "ex:p a owl:TransitiveProperty .", "ex:x ex:p ex:y . ex:y ex:p ex:z .", (EX.x, EX.p, EX.z)),
    (
        "cls-hv1",
        "ex:R a owl:Restriction ; owl:onProperty ex:p ; owl:hasValue ex:v .",
        "ex:x a ex:R .",
        (EX.x, EX.p, EX.v),
    ),
    (
        "cls-hv2",
        "ex:R a owl:Restriction ; owl:onProperty ex:p ; owl:hasValue ex:v .",
        "ex:x ex:p ex:v .",
        (EX.x, RDF.type, EX.R),
    ),
    ("cls-oo", "ex:C owl:oneOf ( ex:a ex:b ) .", "", (EX.b, RDF.type, EX.C)),
    ("cls-thing", "", "", (OWL.Thing, RDF.type, OWL.Class)),  # in the schema closure only
    ("cls-nothing1", "", "", (OWL.Nothing, RDF.type, OWL.Class)),  # in the schema closure only
    # scm-cls: owl:Nothing rdfs:subClassOf ex:C, seen through a member of owl:Nothing
    ("scm-cls", "ex:C a owl:Class .", "ex:x a owl:Nothing .", (EX.x, RDF.type, EX.C)),
    ("scm-sco", "ex:A rdfs:subClassOf ex:B . ex:B rdfs:subClassOf ex:C .", "", (EX.A, RDFS.subClassOf, EX.C)),
    ("scm-eqc1", "ex:A owl:equivalentClass ex:B .", "", (EX.B, RDFS.subClassOf, EX.A)),
    ("scm-eqc2", "ex:A rdfs:subClassOf ex:B . ex:B rdfs:subClassOf ex:A .", "", (EX.A, OWL.equivalentClass, EX.B)),
    # scm-op and scm-dp: p rdfs:subPropertyOf p, seen through scm-hv between two restrictions on p
    (
        "scm-op",
        "ex:p a owl:ObjectProperty . ex:R1 owl:onProperty ex:p ; owl:hasValue ex:v . "
        "ex:R2 owl:onProperty ex:p ; owl:hasValue ex:v .",
        "",
        (EX.R1, RDFS.subClassOf, EX.R2),
    ),
    (
        "scm-dp",
        "ex:p a owl:DatatypeProperty . ex:R1 owl:onProperty ex:p ; owl:hasValue 1 . "
        "ex:R2 owl:onProperty ex:p ; owl:hasValue 1 .",
        "",
        (EX.R2, RDFS.subClassOf, EX.R1),
    ),
    (
        "scm-spo",
        "ex:p rdfs:subPropertyOf ex:q . ex:q rdfs:subPropertyOf ex:r .",
        "",
        (EX.p, RDFS.subPropertyOf, EX.r),
    ),
    ("scm-eqp1", "ex:p owl:equivalentProperty ex:q .", "", (EX.q, RDFS.subPropertyOf, EX.p)),
    (
        "scm-eqp2",
        "ex:p rdfs:subPropertyOf ex:q . ex:q rdfs:subPropertyOf ex:p .",
        "",
        (EX.p, OWL.equivalentProperty, EX.q),
    ),
    ("scm-dom1", "ex:p rdfs:domain ex:A . ex:A rdfs:subClassOf ex:B .", "", (EX.p, RDFS.domain, EX.B)),
    ("scm-dom2", "ex:q rdfs:domain ex:A . ex:p rdfs:subPropertyOf ex:q .", "", (EX.p, RDFS.domain, EX.A)),
    ("scm-rng1", "ex:p rdfs:range ex:A . ex:A rdfs:subClassOf ex:B .", "", (EX.p, RDFS.range, EX.B)),
    ("scm-rng2", "ex:q rdfs:range ex:A . ex:p rdfs:subPropertyOf ex:q .", "", (EX.p, RDFS.range, EX.A)),
    (
        "scm-hv",
        "ex:p rdfs:subPropertyOf ex:q . ex:R1 owl:onProperty ex:p ; owl:hasValue ex:v . "
        "ex:R2 owl:onProperty ex:q ; owl:hasValue ex:v .",
        "",
        (EX.R1, RDFS.subClassOf, EX.R2),
    ),
]


@pytest.mark.parametrize(("ontology", "data", "entailed"), [pytest.param(*case[1:], id=case[0]) for case in RULE_CASES])
def test_each_rule_against_owlrl(ontology: str, data: str, entailed: Triple) -> None:
    ontology_graph = turtle(ontology)
    inferred = assert_same_as_owlrl(turtle(data), ontology_graph)
    if informative(entailed):
        assert entailed in inferred, difference({entailed}, inferred)
    else:  # owlrl's conclusion never reaches the result: compare the closures before filtering
        assert entailed in _schema_closure(ontology_graph)
        closed = turtle(data) + ontology_graph
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closed)
        assert entailed in closed


def test_every_rule_has_a_case() -> None:
    implemented = {
        line.split("# RULE ", 1)[1].split()[0].rstrip(":")
        for module in RULES_PACKAGE.glob("*.py")
        for line in module.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith("# RULE ")
    }
    assert implemented == {case[0] for case in RULE_CASES}


def test_schema_statements_in_the_data_are_reasoned_with() -> None:
    inferred = assert_same_as_owlrl(turtle(DATA_WITH_SCHEMA), turtle(ONTOLOGY))
    assert {
        (EX.tom, RDF.type, EX.Animal),
        (EX.Kitten, RDFS.subClassOf, EX.Animal),
        (EX.flea, EX.ownedBy, EX.mouse),
        (EX.sam, EX.grandOwnerOf, EX.mouse),
    } <= inferred


def test_data_mixed_into_evidencekg_ontology() -> None:
    data = turtle(DATA + DATA_WITH_SCHEMA) + turtle(ONTOLOGY)
    assert_same_as_owlrl(data)


def test_violated_irreflexive_and_asymmetric_properties_add_nothing() -> None:
    # owlrl reports them as blank-node error messages, which the inferred graph never keeps.
    ontology = turtle(ONTOLOGY)
    violations = turtle("ex:Left ex:opposite ex:Left . ex:a ex:before ex:b . ex:b ex:before ex:a .")
    expected = owlrl_closure(violations, ontology)
    assert expected == owlrl_closure([], ontology)
    actual = infer_rules(violations, ontology)
    assert actual == expected, difference(expected, actual)


def test_result_does_not_depend_on_input_order() -> None:
    triples = list(turtle(DATA + DATA_WITH_SCHEMA))
    ontology = turtle(ONTOLOGY)
    reference = infer_rules(triples, ontology)
    shuffled = triples[:]
    random.Random(1).shuffle(shuffled)
    assert infer_rules(shuffled, ontology) == reference
    assert infer_rules(iter(reversed(triples)), ontology) == reference


def test_result_does_not_depend_on_hash_seed(tmp_path: Path) -> None:
    (tmp_path / "ontology.ttl").write_text(PREFIXES + ONTOLOGY, encoding="utf-8")
    (tmp_path / "data.ttl").write_text(PREFIXES + DATA + DATA_WITH_SCHEMA, encoding="utf-8")
    script = (
        "import sys; from rdflib import Graph; from evidencekg.engines.fast.rules import infer_rules; "
        "g = lambda name: Graph().parse(sys.argv[1] + '/' + name); "
        "print(sorted(' '.join(t.n3() for t in triple) for triple in infer_rules(g('data.ttl'), g('ontology.ttl'))))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1 and len(outputs.pop()) > 1000


@pytest.mark.parametrize(
    ("ontology", "data", "construct"),
    [
        ("ex:hasMother a owl:FunctionalProperty .", "", OWL.FunctionalProperty),
        ("ex:email a owl:InverseFunctionalProperty .", "", OWL.InverseFunctionalProperty),
        (
            "ex:Parent owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:parentOf ; "
            "owl:someValuesFrom ex:Person ] .",
            "",
            OWL.someValuesFrom,
        ),
        ("ex:Cat owl:disjointWith ex:Dog .", "", OWL.disjointWith),
        ("ex:Pet owl:unionOf ( ex:Cat ex:Dog ) .", "", OWL.unionOf),
        ("", "ex:ann owl:sameAs ex:anne .", OWL.sameAs),
        ("", "ex:hasMother a owl:FunctionalProperty .", OWL.FunctionalProperty),
        ("ex:kind rdfs:range owl:Class .", "", OWL.Class),  # data would grow the schema
        ("ex:p rdfs:subPropertyOf rdfs:subClassOf .", "", RDFS.subClassOf),
        # owlrl types literals by their datatype outside its rules
        ("xsd:integer rdfs:subClassOf ex:Number .", "", URIRef("http://www.w3.org/2001/XMLSchema#integer")),
    ],
)
def test_unsupported_constructs_are_refused(ontology: str, data: str, construct: Node) -> None:
    with pytest.raises(UnsupportedOntology) as refused:
        infer_rules(turtle(data), turtle(ONTOLOGY + ontology) if ontology else None)
    assert isinstance(refused.value, ValueError)
    assert refused.value.construct == construct
    assert construct.n3() in str(refused.value)

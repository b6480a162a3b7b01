"""The namespaces evidencekg uses, with the ontology's own as a closed namespace.

``EKG`` is a :class:`rdflib.namespace.DefinedNamespace`: a misspelt term raises
instead of silently minting a new IRI. A test keeps it in step with
``ontology/evidence.ttl``.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

ONTOLOGY_IRI = URIRef("https://w3id.org/evidencekg/ontology")
DEFAULT_BASE_IRI = "https://w3id.org/evidencekg/id/"
DEFAULT_LANGUAGE = "en"

BIBO = Namespace("http://purl.org/ontology/bibo/")
DC = Namespace("http://purl.org/dc/elements/1.1/")
VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VANN = Namespace("http://purl.org/vocab/vann/")


class EKG(DefinedNamespace):
    """Terms of the evidencekg ontology."""

    _NS = Namespace("https://w3id.org/evidencekg/ontology#")
    _fail = True

    ActiveComparatorArmRole: URIRef
    Agreement: URIRef
    AllParticipantsRole: URIRef
    Association: URIRef
    Assumption: URIRef
    AssumptionFacet: URIRef
    BeforeAfterComparison: URIRef
    BetweenGroupComparison: URIRef
    BroaderTerm: URIRef
    CaseControlStudy: URIRef
    CaseReport: URIRef
    CaseRole: URIRef
    CaseSeries: URIRef
    CohortStudy: URIRef
    ComparatorFacet: URIRef
    Comparison: URIRef
    Condition: URIRef
    ConditionContrast: URIRef
    ConditionFacet: URIRef
    Contradiction: URIRef
    ContrastKind: URIRef
    ControlRole: URIRef
    CrossSectionalStudy: URIRef
    Decrease: URIRef
    DescriptiveStudy: URIRef
    DesignContext: URIRef
    DesignFacet: URIRef
    Direction: URIRef
    Disagreement: URIRef
    DoseFacet: URIRef
    EffectVersusNull: URIRef
    EvidenceLevel: URIRef
    EvidenceLevel1: URIRef
    EvidenceLevel2: URIRef
    EvidenceLevel3: URIRef
    EvidenceLevel4: URIRef
    EvidenceLevel5: URIRef
    EvidenceLevelFacet: URIRef
    EvidenceRelation: URIRef
    EvidenceSynthesis: URIRef
    ExperimentalStudy: URIRef
    ExpertOpinion: URIRef
    ExposureContrast: URIRef
    ExternalContext: URIRef
    Facet: URIRef
    FacetType: URIRef
    FacetTypes: URIRef
    Finding: URIRef
    Group: URIRef
    GroupRole: URIRef
    Increase: URIRef
    Intervention: URIRef
    InterventionArmRole: URIRef
    InterventionContrast: URIRef
    InterventionFacet: URIRef
    MeasurementContext: URIRef
    MetaAnalysis: URIRef
    NarrowerTerm: URIRef
    NoChange: URIRef
    NonRandomizedTrial: URIRef
    ObservationalStudy: URIRef
    OmnibusTest: URIRef
    OppositeDirections: URIRef
    Outcome: URIRef
    OutcomeFacet: URIRef
    PatientContext: URIRef
    PlaceboArmRole: URIRef
    Population: URIRef
    PopulationFacet: URIRef
    Position: URIRef
    PrimaryQuote: URIRef
    PublicationYearFacet: URIRef
    Question: URIRef
    QuoteKind: URIRef
    QuoteKindFacet: URIRef
    RandomizedControlledTrial: URIRef
    RelationKind: URIRef
    SameDirection: URIRef
    SampleSizeFacet: URIRef
    SecondaryQuote: URIRef
    SignificanceFacet: URIRef
    Study: URIRef
    StudyIntervention: URIRef
    SystematicReview: URIRef
    Term: URIRef
    TermRelation: URIRef
    TimepointFacet: URIRef
    UnrelatedTerm: URIRef
    addressesQuestion: URIRef
    agreesWith: URIRef
    assumedProperty: URIRef
    citationVerified: URIRef
    comparablePosition: URIRef
    comparatorGroup: URIRef
    comparatorRestsOnAssumption: URIRef
    comparison: URIRef
    condition: URIRef
    conditionOrBroader: URIRef
    contrastKind: URIRef
    declaredIncludedStudyCount: URIRef
    dependentEvidence: URIRef
    designCode: URIRef
    direction: URIRef
    directionCode: URIRef
    disagreesWith: URIRef
    dose: URIRef
    effectFinding: URIRef
    effectPosition: URIRef
    evidenceLevel: URIRef
    exposure: URIRef
    exposureOrBroader: URIRef
    facetType: URIRef
    factor: URIRef
    firstFinding: URIRef
    firstPosition: URIRef
    firstSide: URIRef
    firstValue: URIRef
    fromTest: URIRef
    group: URIRef
    groupOf: URIRef
    groupRestsOnAssumption: URIRef
    groupSize: URIRef
    hasAssumption: URIRef
    hasFacet: URIRef
    hasGroup: URIRef
    hasIntervention: URIRef
    includedIn: URIRef
    includesStudy: URIRef
    intervention: URIRef
    interventionOf: URIRef
    interventionOrBroader: URIRef
    interventionTerm: URIRef
    interventionTermOrBroader: URIRef
    largerFinding: URIRef
    levelRank: URIRef
    nullFinding: URIRef
    nullPosition: URIRef
    oppositeOf: URIRef
    outcome: URIRef
    outcomeOrBroader: URIRef
    pValue: URIRef
    pValueLowerBound: URIRef
    pValueUpperBound: URIRef
    population: URIRef
    populationOrBroader: URIRef
    positionDirection: URIRef
    positionOutcome: URIRef
    positionTerm: URIRef
    publishedIn: URIRef
    questionOutcome: URIRef
    quote: URIRef
    quoteKind: URIRef
    quoteKindCode: URIRef
    quoteSource: URIRef
    reason: URIRef
    receivedIntervention: URIRef
    relatesFinding: URIRef
    relatesPosition: URIRef
    relationKind: URIRef
    reportedIn: URIRef
    reportedPValue: URIRef
    reportsEffect: URIRef
    reportsFinding: URIRef
    reportsTest: URIRef
    researchQuestion: URIRef
    restsOnAssumption: URIRef
    role: URIRef
    roleCode: URIRef
    sampleSize: URIRef
    secondFinding: URIRef
    secondPosition: URIRef
    secondSide: URIRef
    secondValue: URIRef
    significant: URIRef
    sourceRecord: URIRef
    synthesizesEvidenceFrom: URIRef
    takesPosition: URIRef
    termRelation: URIRef
    testMethod: URIRef
    testedGroup: URIRef
    timepoint: URIRef

PREFIXES: dict[str, str] = {
    "ekg": str(EKG._NS),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "dc": str(DC),
    "prov": "http://www.w3.org/ns/prov#",
    "bibo": str(BIBO),
    "sh": "http://www.w3.org/ns/shacl#",
    "schema": "https://schema.org/",
    "dcat": "http://www.w3.org/ns/dcat#",
}
"""Prefixes bound in every graph evidencekg writes and every query it prepares."""

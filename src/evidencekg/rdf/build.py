"""Stage 3, RDF: a validated dataset becomes the asserted graph.

IRI minting lives here and only here. Every IRI is derived from record ids,
which the model has already restricted to ``[a-z0-9][a-z0-9-]*``, so IRIs are
readable, stable across runs and never broken by odd input characters:

==============  ===============================================
study           ``{base}study/{study}``
group           ``{base}study/{study}/group/{group}``
intervention    ``{base}study/{study}/intervention/{intervention}``
finding         ``{base}study/{study}/finding/{finding}``
omnibus test    ``{base}study/{study}/test/{test}``
assumption      ``{finding or group}/assumption/{field}``
publication     ``{base}study/{study}/publication`` (the article that reports the study)
journal         ``{base}journal/{name, as lowercase letters, digits and hyphens}``
term            ``{base}term/{term}``
concept scheme  ``{base}scheme/{populations|conditions|...}``
==============  ===============================================

While building, a source map records which file, line and field produced
each (subject, predicate), so that SHACL results can point a curator at the
line to fix.

>>> import evidencekg
>>> built = evidencekg.to_rdf(evidencekg.load_dataset(evidencekg.bundled_data_dir()))
>>> len(built.graph) > 100
True
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, cached_property
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from rdflib import RDF, RDFS, SKOS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS

from ..errors import InputError, SourceLocation
from ..namespaces import BIBO, DC, DEFAULT_BASE_IRI, DEFAULT_LANGUAGE, EKG, PREFIXES
from ..records.model import BASELINE, TERM_KINDS, Dataset, Finding, OmnibusTest, Study
from ..records.reader import Path_, Record, format_path
from ..resources import ontology_path
from .graphs import new_graph

_TERM_CLASS = {
    "populations": EKG.Population,
    "conditions": EKG.Condition,
    "outcomes": EKG.Outcome,
    "interventions": EKG.Intervention,
}
_ASSUMABLE = {
    "outcome": EKG.outcome, "group": EKG.group, "comparator": EKG.comparatorGroup, "intervention": EKG.intervention,
    "exposure": EKG.exposure, "direction": EKG.direction, "timepoint": EKG.timepoint,
    "population": EKG.population, "condition": EKG.condition, "size": EKG.groupSize, "role": EKG.role,
    "interventions": EKG.receivedIntervention,
}
"""Record field → the property whose value ``assumed`` marks (findings' and groups' fields)."""
_DOI_IRI = "https://doi.org/"
_PUBMED_IRI = "https://pubmed.ncbi.nlm.nih.gov/"
_SPDX_LICENSES = "http://spdx.org/licenses/"
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
_PMID_SHAPE = re.compile(r"^[1-9][0-9]{0,8}$")

Node = URIRef
Triple = tuple[URIRef | BNode, URIRef, URIRef | BNode | Literal]
SourceKey = tuple[URIRef, URIRef | None]


@dataclass(frozen=True)
class Origin:
    """Where in the records a node or statement came from: the file position and the field path."""

    location: SourceLocation
    field: str
    record: str = ""
    """The record's id, or its file when it has none (the vocabulary)."""
    stable_field: str = ""
    """``field`` with list items named by their ids (``findings[bp].p_value``): what baselines match on."""

    def __str__(self) -> str:
        return f"{self.location}: {self.field}" if self.field else str(self.location)


@dataclass(frozen=True)
class BuiltGraph:
    """The asserted triples of a dataset and where each of its statements came from."""

    triples: tuple[Triple, ...] = field(repr=False)
    """Every asserted triple once, in the order the records produced them."""
    source_map: dict[SourceKey, tuple[Record, Path_]] = field(repr=False)
    """(subject, predicate) → the record and field that produced it; (subject, None) for the node itself.

    Positions are resolved by :meth:`locate` only for the few statements a report names.
    """
    namespaces: tuple[tuple[str, str], ...] = ()
    """Prefixes the vocabulary declares, beyond evidencekg's own."""

    @cached_property
    def graph(self) -> Graph:
        """The triples as an rdflib graph, built on first use (the fast engine never needs it)."""
        graph = new_graph()
        for prefix, namespace in self.namespaces:
            graph.bind(prefix, namespace)
        graph.addN((s, p, o, graph) for s, p, o in self.triples)
        return graph

    def source_of(self, subject: Any, predicate: Any = None) -> tuple[Record, Path_] | None:
        """The record and field that wrote a node's property, or else the node itself."""
        if not isinstance(subject, URIRef):
            return None
        return self.source_map.get((subject, predicate)) or self.source_map.get((subject, None))

    def locate(self, subject: Any, predicate: Any = None) -> Origin | None:
        """Where a node, or one of its properties, was written in the records."""
        found = self.source_of(subject, predicate)
        if found is None:
            return None
        record, at = found
        return Origin(record.locate(at), format_path(at), *record.key(at))


@cache
def _codes(annotation: URIRef) -> dict[str, URIRef]:
    """Record-format codes → ontology individuals or classes, read from the ontology's annotations."""
    ontology = Graph().parse(ontology_path(), format="turtle")
    return {str(code): subject for subject, code in ontology.subject_objects(annotation) if isinstance(subject, URIRef)}


def design_class(design: str) -> URIRef:
    """The ontology class of a record's ``design`` value (via ``ekg:designCode``)."""
    return _codes(EKG.designCode)[design]


class _Minter:
    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, *parts: str) -> URIRef:
        return URIRef(self.base + "/".join(map(_quote_segment, parts)))


@cache
def _quote_segment(part: str) -> str:
    # Ids and kinds repeat across thousands of IRIs; quoting each distinct one once keeps minting cheap.
    return quote(part, safe="-")


def base_iri(dataset: Dataset) -> str:
    """The base of the dataset's IRIs: ``base_iri`` of ``dataset.yaml``, or the default."""
    base = dataset.metadata.base_iri or DEFAULT_BASE_IRI
    if not base.endswith(("/", "#")):
        location = SourceLocation(str(dataset.root / "dataset.yaml"))
        raise InputError(location, f"{base!r} must end with '/' or '#'", field="base_iri")
    return base


class _Builder:
    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.mint = _Minter(base_iri(dataset))
        self.triples: dict[Triple, None] = {}
        self.namespaces: dict[str, str] = {}
        self.sources: dict[SourceKey, tuple[Record, Path_]] = {}
        self.terms = dataset.terms()
        self.language = dataset.metadata.language or DEFAULT_LANGUAGE

    def add(self, subject: URIRef, predicate: URIRef, obj: Any, record: Record | None = None, at: Path_ = ()) -> None:
        if obj is None:
            return
        node = obj if isinstance(obj, (URIRef, Literal, BNode)) else Literal(obj)
        self.triples[subject, predicate, node] = None
        if record is not None:
            self.sources.setdefault((subject, predicate), (record, at))

    def node(self, subject: URIRef, record: Record, at: Path_) -> URIRef:
        self.sources.setdefault((subject, None), (record, at))
        return subject

    def text(self, value: str | None) -> Literal | None:
        """Text the curators wrote (labels, definitions, notes), tagged with the dataset's language."""
        return None if value is None else Literal(value, lang=self.language)

    def term(self, term_id: str) -> URIRef:
        return self.mint("term", term_id)

    def build(self) -> BuiltGraph:
        self.dataset_node()
        self.vocabulary()
        for study in self.dataset.studies:
            self.study(study, self.dataset.study_records[study.id])
        return BuiltGraph(tuple(self.triples), self.sources, tuple(sorted(self.namespaces.items())))

    def dataset_node(self) -> None:
        meta = self.dataset.metadata
        node = self.mint("dataset")
        self.add(node, RDF.type, DCAT.Dataset)
        self.add(node, DCTERMS.title, self.text(meta.title))
        self.add(node, DCTERMS.description, self.text(meta.description))
        self.add(node, EKG.researchQuestion, meta.question)
        if meta.license:
            self.add(node, DCTERMS.license, license_iri(meta.license))
        for url in meta.sources:
            self.add(node, DCTERMS.source, URIRef(url))

    def vocabulary(self) -> None:
        record = self.dataset.vocabulary_record
        prefixes = self.dataset.vocabulary.prefixes
        for prefix, namespace in sorted(prefixes.items()):
            label = prefix.lower()
            if label not in PREFIXES:
                self.namespaces[label] = namespace
        for kind in TERM_KINDS:
            scheme = self.mint("scheme", kind)
            self.add(scheme, RDF.type, SKOS.ConceptScheme)
            self.add(scheme, RDFS.label, self.text(kind))
            for index, term in enumerate(getattr(self.dataset.vocabulary, kind)):
                at: Path_ = (kind, index)
                iri = self.node(self.term(term.id), record, at)
                self.add(iri, RDF.type, _TERM_CLASS[kind], record, at)
                self.add(iri, RDF.type, SKOS.Concept)
                self.add(iri, SKOS.inScheme, scheme)
                self.add(iri, DCTERMS.identifier, term.id, record, (*at, "id"))
                self.add(iri, SKOS.prefLabel, self.text(term.label), record, (*at, "label"))
                self.add(iri, RDFS.label, self.text(term.label), record, (*at, "label"))
                self.add(iri, SKOS.definition, self.text(term.definition), record, (*at, "definition"))
                for position, parent in enumerate(term.broader):
                    self.add(iri, SKOS.broader, self.term(parent), record, (*at, "broader", position))
                for position, xref in enumerate(term.xrefs):
                    prefix, _, local = xref.curie.partition(":")
                    self.add(iri, SKOS.exactMatch, URIRef(prefixes[prefix] + local), record, (*at, "xrefs", position))

    def study(self, study: Study, record: Record) -> None:
        iri = self.node(self.mint("study", study.id), record, ())
        add = self.add
        if study.design:
            # Registered first, so rdf:type points a curator at the design line.
            add(iri, RDF.type, design_class(study.design), record, ("design",))
        add(iri, RDF.type, EKG.Study, record, ())
        add(iri, DCTERMS.identifier, study.id, record, ("id",))
        add(iri, RDFS.label, self.text(study_label(study)), record, ("id",))
        add(iri, DCTERMS.isPartOf, self.mint("dataset"))
        self.publication(study, iri, record)
        add(iri, EKG.citationVerified, study.citation_verified, record, ("citation_verified",))
        for position, url in enumerate(study.citation_sources):
            add(iri, DCTERMS.source, URIRef(url), record, ("citation_sources", position))
        add(iri, EKG.sampleSize, _count(study.sample_size), record, ("sample_size",))
        add(iri, EKG.declaredIncludedStudyCount, _count(study.included_study_count), record, ("included_study_count",))
        for position, included in enumerate(study.includes):
            add(iri, EKG.includesStudy, self.mint("study", included), record, ("includes", position))
        add(iri, RDFS.comment, self.text(study.notes), record, ("notes",))
        add(iri, EKG.sourceRecord, _relative_record_path(record, self.dataset), record, ())
        self.study_parts(study, iri, record)

    def publication(self, study: Study, study_iri: URIRef, record: Record) -> None:
        """The article that reports the study, a node of its own, and the journal it appeared in, another.

        Only what the record states: no article node for a study without bibliographic fields.
        """
        fields = (study.title, study.authors, study.year, study.journal, study.volume, study.issue, study.pages,
                  study.doi, study.pmid)
        if not any(fields):
            return
        add = self.add
        iri = self.node(self.mint("study", study.id, "publication"), record, ())
        add(study_iri, EKG.publishedIn, iri, record, ())
        add(iri, RDF.type, BIBO.AcademicArticle, record, ())
        add(iri, DCTERMS.title, study.title, record, ("title",))
        for position, author in enumerate(study.authors):
            add(iri, DC.creator, author, record, ("authors", position))
        if study.authors:
            # dc:creator values have no order; the list keeps the first author first. A labelled
            # blank node keeps N-Triples output deterministic.
            cells = [BNode(f"authors-{study.id}" + (f"-{i}" if i else "")) for i in range(len(study.authors))]
            rests: list[URIRef | BNode] = [*cells[1:], RDF.nil]
            for cell, author, rest in zip(cells, study.authors, rests, strict=True):
                # Blank nodes have no place in the source map: straight into the triples.
                self.triples[cell, RDF.first, Literal(author)] = None
                self.triples[cell, RDF.rest, rest] = None
            add(iri, BIBO.authorList, cells[0], record, ("authors",))
        if study.year is not None:
            add(iri, DCTERMS.issued, Literal(f"{study.year:04d}", datatype=XSD.gYear), record, ("year",))
        if study.journal:
            journal = self.node(self.mint("journal", _slug(study.journal)), record, ("journal",))
            add(iri, DCTERMS.isPartOf, journal, record, ("journal",))
            add(journal, RDF.type, BIBO.Journal, record, ("journal",))
            add(journal, DCTERMS.title, study.journal, record, ("journal",))
        add(iri, BIBO.volume, study.volume, record, ("volume",))
        add(iri, BIBO.issue, study.issue, record, ("issue",))
        add(iri, BIBO.pages, study.pages, record, ("pages",))
        add(iri, BIBO.doi, study.doi, record, ("doi",))
        if study.doi and _DOI_SHAPE.match(study.doi):
            add(iri, RDFS.seeAlso, URIRef(_DOI_IRI + quote(study.doi, safe="/:;()._-")))
        add(iri, BIBO.pmid, study.pmid, record, ("pmid",))
        if study.pmid and _PMID_SHAPE.match(study.pmid):
            add(iri, RDFS.seeAlso, URIRef(f"{_PUBMED_IRI}{study.pmid}/"))

    def study_parts(self, study: Study, iri: URIRef, record: Record) -> None:
        add = self.add
        for index, group in enumerate(study.groups):
            at: Path_ = ("groups", index)
            node = self.node(self.mint("study", study.id, "group", group.id), record, at)
            add(iri, EKG.hasGroup, node, record, at)
            add(node, RDF.type, EKG.Group, record, at)
            add(node, DCTERMS.identifier, group.id, record, (*at, "id"))
            add(node, RDFS.label, self.text(group.label), record, (*at, "label"))
            add(node, EKG.population, self.term(group.population), record, (*at, "population"))
            if group.condition:
                add(node, EKG.condition, self.term(group.condition), record, (*at, "condition"))
            add(node, EKG.groupSize, _count(group.size), record, (*at, "size"))
            if group.role:
                add(node, EKG.role, _codes(EKG.roleCode)[group.role], record, (*at, "role"))
            for position, used in enumerate(group.interventions):
                target = self.mint("study", study.id, "intervention", used)
                add(node, EKG.receivedIntervention, target, record, (*at, "interventions", position))
            self.assumptions(node, group.assumed, group.label, record, at)

        for index, entry in enumerate(study.interventions):
            at = ("interventions", index)
            node = self.node(self.mint("study", study.id, "intervention", entry.id), record, at)
            add(iri, EKG.hasIntervention, node, record, at)
            add(node, RDF.type, EKG.StudyIntervention, record, at)
            add(node, DCTERMS.identifier, entry.id, record, (*at, "id"))
            label = self.terms[entry.intervention][1].label
            add(node, RDFS.label, self.text(f"{label} ({entry.dose})" if entry.dose else label), record, at)
            add(node, EKG.interventionTerm, self.term(entry.intervention), record, (*at, "intervention"))
            add(node, EKG.dose, entry.dose, record, (*at, "dose"))

        for index, test in enumerate(study.omnibus_tests):
            self.omnibus_test(study, iri, test, record, ("omnibus_tests", index))
        for index, finding in enumerate(study.findings):
            self.finding(study, iri, finding, record, ("findings", index))

    def omnibus_test(self, study: Study, study_iri: URIRef, test: OmnibusTest, record: Record, at: Path_) -> None:
        add = self.add
        node = self.node(self.mint("study", study.id, "test", test.id), record, at)
        add(study_iri, EKG.reportsTest, node, record, at)
        add(node, RDF.type, EKG.OmnibusTest, record, at)
        add(node, DCTERMS.identifier, test.id, record, (*at, "id"))
        add(node, RDFS.label, self.text(test_label(test)), record, at)
        add(node, EKG.outcome, self.term(test.outcome), record, (*at, "outcome"))
        for position, group in enumerate(test.groups):
            add(node, EKG.testedGroup, self.mint("study", study.id, "group", group), record, (*at, "groups", position))
        add(node, EKG.testMethod, test.method, record, (*at, "method"))
        add(node, EKG.significant, test.significant, record, (*at, "significant"))
        self.p_value(node, test.p_value, record, (*at, "p_value"))
        self.quote(node, test.quote, test.quote_source, test.quote_kind, record, at)
        add(node, EKG.timepoint, test.timepoint, record, (*at, "timepoint"))
        add(node, RDFS.comment, self.text(test.note), record, (*at, "note"))

    def quote(self, node: URIRef, quote: str | None, source: str | None, kind: str | None, record: Record,
              at: Path_) -> None:
        self.add(node, EKG.quote, quote, record, (*at, "quote"))
        if source:
            self.add(node, EKG.quoteSource, URIRef(source), record, (*at, "quote_source"))
        if quote is not None:
            self.add(node, EKG.quoteKind, _codes(EKG.quoteKindCode)[kind or "primary"], record,
                     (*at, "quote_kind") if kind else (*at, "quote"))

    def assumptions(self, node: URIRef, assumed: dict[str, str], owner: str | None, record: Record,
                    at: Path_) -> None:
        """Each assumed field as an ekg:Assumption of the finding or group: the property it marks and why.

        ``owner`` is the group's label, so that a finding resting on its group's assumption says whose it is.
        """
        for field_name, reason in sorted(assumed.items()):
            where: Path_ = (*at, "assumed", field_name)
            assumption = self.node(URIRef(f"{node}/assumption/{_quote_segment(field_name)}"), record, where)
            self.add(node, EKG.hasAssumption, assumption, record, where)
            self.add(assumption, RDF.type, EKG.Assumption, record, where)
            self.add(assumption, EKG.assumedProperty, _ASSUMABLE[field_name], record, where)
            self.add(assumption, EKG.reason, reason, record, where)
            subject = f"{field_name} of {owner}" if owner else field_name
            self.add(assumption, RDFS.label, self.text(f"{subject} assumed: {reason}"), record, where)

    def finding(self, study: Study, study_iri: URIRef, finding: Finding, record: Record, at: Path_) -> None:
        add = self.add
        node = self.node(self.mint("study", study.id, "finding", finding.id), record, at)
        group = self.mint("study", study.id, "group", finding.group)
        add(study_iri, EKG.reportsFinding, node, record, at)
        add(node, RDF.type, EKG.Finding, record, at)
        add(node, DCTERMS.identifier, finding.id, record, (*at, "id"))
        add(node, RDFS.label, self.text(self.finding_label(study, finding)), record, at)
        add(node, EKG.outcome, self.term(finding.outcome), record, (*at, "outcome"))
        add(node, EKG.group, group, record, (*at, "group"))
        if finding.comparator == BASELINE:
            add(node, EKG.comparison, EKG.BeforeAfterComparison, record, (*at, "comparator"))
        elif finding.comparator is not None:
            add(node, EKG.comparison, EKG.BetweenGroupComparison, record, (*at, "comparator"))
            comparator = self.mint("study", study.id, "group", finding.comparator)
            add(node, EKG.comparatorGroup, comparator, record, (*at, "comparator"))
        else:
            add(node, EKG.comparison, EKG.Association, record, (*at, "exposure"))
        if finding.intervention:
            used = self.mint("study", study.id, "intervention", finding.intervention)
            add(node, EKG.intervention, used, record, (*at, "intervention"))
        if finding.exposure:
            add(node, EKG.exposure, self.term(finding.exposure), record, (*at, "exposure"))
        add(node, EKG.direction, _codes(EKG.directionCode)[finding.direction], record, (*at, "direction"))
        add(node, EKG.significant, finding.significant, record, (*at, "significant"))
        self.p_value(node, finding.p_value, record, (*at, "p_value"))
        self.quote(node, finding.quote, finding.quote_source, finding.quote_kind, record, at)
        add(node, EKG.timepoint, finding.timepoint, record, (*at, "timepoint"))
        add(node, RDFS.comment, self.text(finding.note), record, (*at, "note"))
        if finding.from_test:
            add(node, EKG.fromTest, self.mint("study", study.id, "test", finding.from_test), record,
                (*at, "from_test"))
        self.assumptions(node, finding.assumed, None, record, at)

    def p_value(self, node: URIRef, value: float | str | None, record: Record, at: Path_) -> None:
        if value is None:
            return
        if isinstance(value, float):
            self.add(node, EKG.pValue, _decimal(value), record, at)
            return
        self.add(node, EKG.reportedPValue, value, record, at)
        operator = value[0]
        bound = _decimal(float(value.lstrip("<>=≤≥ ")))
        predicate = EKG.pValueUpperBound if operator in "<≤" else EKG.pValueLowerBound
        self.add(node, predicate, bound, record, at)

    def finding_label(self, study: Study, finding: Finding) -> str:
        groups = {g.id: g.label for g in study.groups}
        outcome = self.terms[finding.outcome][1].label
        direction = finding.direction.replace("-", " ")
        if finding.comparator == BASELINE:
            contrast = f"in {groups[finding.group]} after vs before"
        elif finding.comparator is not None:
            contrast = f"in {groups[finding.group]} vs {groups[finding.comparator]}"
        else:
            exposure = self.terms[finding.exposure or ""][1].label
            contrast = f"with {exposure} in {groups[finding.group]}"
        return f"{study_label(study)}: {outcome}, {direction} {contrast}"


_MINTED_RELATION = re.compile(r"/relation/([a-z0-9-]+)/finding/([a-z0-9-]+)/vs/([a-z0-9-]+)/finding/([a-z0-9-]+)$")
_MINTED_STUDY_PART = re.compile(r"/study/([a-z0-9-]+)/(finding|group|intervention|test)/([a-z0-9-]+)$")


def short_name(iri: str) -> str | None:
    """A minted finding or relation IRI as its study and finding ids, or None for any other IRI.

    A finding's id is unique only within its study, and a relation's last segment is its second finding's id,
    so a table names them by the ids that make them unique:

    >>> short_name("https://w3id.org/evidencekg/id/study/smith-2020/finding/bp-lower")
    'smith-2020/bp-lower'
    >>> short_name("https://w3id.org/evidencekg/id/relation/a-2020/finding/x/vs/b-2021/finding/y")
    'a-2020/x vs b-2021/y'
    """
    relation = _MINTED_RELATION.search(iri)
    if relation:
        return "{}/{} vs {}/{}".format(*relation.groups())
    part = _MINTED_STUDY_PART.search(iri)
    if part:
        study, kind, node = part.groups()
        return f"{study}/{node}" if kind == "finding" else f"{study}/{kind}/{node}"
    return None


def study_label(study: Study) -> str:
    """A short human label: first author and year, or the id when the citation is unknown."""
    if study.authors and study.year:
        family = study.authors[0].split()[0]
        suffix = " et al." if len(study.authors) > 2 else ""
        if len(study.authors) == 2:
            suffix = f" & {study.authors[1].split()[0]}"
        return f"{family}{suffix} {study.year}"
    return study.id


def test_label(test: OmnibusTest) -> str:
    """What a test across groups found, short enough for a table cell.

    "ANOVA across 3 groups: significant, p = 0.001", or "test across 4 groups: not significant" without a method.
    """
    verdict = {True: "significant", False: "not significant", None: "significance not reported"}[test.significant]
    if isinstance(test.p_value, float):
        verdict += f", p = {test.p_value:g}"
    elif test.p_value is not None:
        verdict += f", p {test.p_value}"
    return f"{test.method or 'test'} across {len(test.groups)} groups: {verdict}"


def license_iri(license: str) -> URIRef:
    """The licence as an IRI: as written when it is one, else an SPDX identifier's IRI (``CC-BY-4.0``)."""
    if license.startswith(("http://", "https://")):
        return URIRef(license)
    return URIRef(_SPDX_LICENSES + quote(license, safe=""))


def _slug(name: str) -> str:
    """A journal's name as an IRI segment: ASCII letters and digits, lowercased, runs of others a hyphen."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    # Names that fold to nothing (another script) keep their letters, percent-encoded.
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or name


def _count(value: int | None) -> Literal | None:
    # xsd:integer, with the lower bound left to SHACL's sh:minInclusive: RDF stores such as oxigraph
    # keep derived integer types only as xsd:integer, so a narrower datatype would not survive a load.
    return None if value is None else Literal(str(value), datatype=XSD.integer)


def _decimal(value: float) -> Literal:
    # repr gives the shortest text that round-trips, so 0.07 stays 0.07; written without an exponent
    # (1e-07 is not an xsd:decimal) and with a fractional digit (1.0), as rdflib's Turtle reads it back.
    text = format(Decimal(repr(value)), "f")
    return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)


def _relative_record_path(record: Record, dataset: Dataset) -> str:
    path = PurePosixPath(record.path)
    parts = path.parts
    return PurePosixPath(*parts[1:]).as_posix() if len(parts) > 1 and parts[0] == dataset.root.name else path.as_posix()


def to_rdf(dataset: Dataset) -> BuiltGraph:
    """Build the asserted graph of a validated dataset, with its source map."""
    return _Builder(dataset).build()

"""Properties of records → RDF, over generated valid datasets (Hypothesis).

Each example is a random valid dataset (random ids; Unicode text with control
characters, quotes, backslashes, triple quotes, emoji and bidi controls; random
numbers of terms, studies, groups, interventions and findings, every reference
pointing at something that exists), written as YAML files and loaded the way
a user's records are. Then:

* it builds;
* the Turtle and N-Triples serializations parse back to an isomorphic graph;
* every IRI is a valid absolute IRI: no whitespace, controls or ``<>"{}|^`\\``,
  and rdflib warns about none;
* distinct records never share an IRI;
* every text and number comes out exactly as it went in.
"""

from __future__ import annotations

import logging
import tempfile
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DC, DCTERMS

import evidencekg
from evidencekg.records.model import TERM_KINDS

EKG = "https://w3id.org/evidencekg/ontology#"
BASE_IRI = "https://example.org/property/"
BIBO = "http://purl.org/ontology/bibo/"
XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")

# --- a YAML writer that cannot be the reason a value changes ------------------------------------


def _yaml_printable_raw(char: str) -> bool:
    """Characters that may stand unescaped inside a YAML double-quoted scalar without being folded."""
    code = ord(char)
    if 0x20 <= code <= 0x7E:
        return char not in '"\\'
    if code in (0x2028, 0x2029, 0xFEFF):
        return False
    return 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def quoted(text: str, raw_unicode: bool) -> str:
    """A YAML double-quoted scalar for ``text``: every character outside plain ASCII escaped
    (or, with ``raw_unicode``, written as UTF-8 where YAML allows), so any change is evidencekg's."""
    out = []
    for char in text:
        code = ord(char)
        if (code < 0x80 or raw_unicode) and _yaml_printable_raw(char):
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def to_yaml(value: Any, raw_unicode: bool, indent: int = 0) -> str:
    """Block YAML; every string double-quoted, so nothing is read as a number, boolean or null."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:\n{to_yaml(item, raw_unicode, indent + 1)}")
            else:
                lines.append(f"{pad}{key}: {to_yaml(item, raw_unicode)}")
        return "\n".join(lines)
    if isinstance(value, list):
        if not value:
            return "[]"
        lines = []
        for item in value:
            text = to_yaml(item, raw_unicode, indent + 1).lstrip(" ")
            lines.append(f"{pad}- {text}")
        return "\n".join(lines)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    assert isinstance(value, str)
    return quoted(value, raw_unicode)


# --- strategies ---------------------------------------------------------------------------------

ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,24}", fullmatch=True) | st.from_regex(
    r"[a-z0-9][a-z0-9-]{79}", fullmatch=True  # the longest id allowed
)
SPECIALS = ['"', '"""', "'''", "\\", "\\n", "\x00", "\x01", "\x1b", "\x7f", "\t", "\r\n", "\r", "\n", "\x85",
            "\u2028", "\u202e", "\u200b", "\ufeff", "🧪", "👩🏽‍🔬", "é", "e\u0301", "Ω", "<>", "{}", "|^`", "@en", "^^",
            "%20", "&amp;", "\ufffd", "\U0010fffd"]
_unicode = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)
texts = (
    st.lists(st.one_of(_unicode, st.sampled_from(SPECIALS)), min_size=1, max_size=5)
    .map("".join)
    .filter(lambda s: s.strip())
)
optional_texts = st.none() | texts
p_values = st.floats(min_value=0, max_value=1, allow_nan=False) | st.sampled_from(
    ["<0.001", "<=0.05", "> 0.05", "≥0.1"]
)
doi_suffix = st.text(st.characters(exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=8)
_URL_CHARS = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in '<>"{}|\\^`']
urls = st.builds(lambda path: "https://example.org/" + path, st.text(st.sampled_from(_URL_CHARS), max_size=10))


def _drop_none(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None and v != []}


@st.composite
def datasets(draw: st.DrawFn) -> dict[str, Any]:
    sizes = {"populations": draw(st.integers(1, 3)), "conditions": draw(st.integers(0, 2)),
             "outcomes": draw(st.integers(1, 3)), "interventions": draw(st.integers(0, 2))}
    n_studies = draw(st.integers(1, 3))
    term_ids = draw(st.lists(ids, min_size=sum(sizes.values()), max_size=sum(sizes.values()), unique=True))
    vocabulary: dict[str, Any] = {}
    taken = 0
    for kind in TERM_KINDS:
        terms = []
        for index in range(sizes[kind]):
            term_id = term_ids[taken + index]
            earlier = [t["id"] for t in terms]
            broader = draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if earlier else []
            terms.append(_drop_none({"id": term_id, "label": draw(texts), "definition": draw(optional_texts),
                                     "broader": broader}))
        taken += sizes[kind]
        vocabulary[kind] = terms
    pick = lambda kind: st.sampled_from([t["id"] for t in vocabulary[kind]])  # noqa: E731

    studies = []
    for study_id in draw(st.lists(ids, min_size=n_studies, max_size=n_studies, unique=True)):
        group_ids = draw(st.lists(ids.filter(lambda i: i != "baseline"), min_size=1, max_size=3, unique=True))
        used_ids = draw(st.lists(ids, max_size=2, unique=True)) if vocabulary["interventions"] else []
        interventions = [
            _drop_none({"id": i, "intervention": draw(pick("interventions")), "dose": draw(optional_texts)})
            for i in used_ids
        ]
        groups = [
            _drop_none({
                "id": g, "label": draw(texts), "population": draw(pick("populations")),
                "condition": draw(st.none() | pick("conditions")) if vocabulary["conditions"] else None,
                "size": draw(st.none() | st.integers(1, 10**6)),
                "interventions": draw(st.lists(st.sampled_from(used_ids), unique=True)) if used_ids else [],
            })
            for g in group_ids
        ]
        findings = []
        for finding_id in draw(st.lists(ids, max_size=4, unique=True)):
            group = draw(st.sampled_from(group_ids))
            comparator = draw(st.sampled_from([*group_ids, "baseline", None]))
            all_terms = [t["id"] for kind in TERM_KINDS for t in vocabulary[kind]]
            findings.append(_drop_none({
                "id": finding_id, "outcome": draw(pick("outcomes")), "group": group, "comparator": comparator,
                "exposure": draw(st.sampled_from(all_terms)) if comparator is None else None,
                "intervention": draw(st.none() | st.sampled_from(used_ids)) if used_ids else None,
                "direction": draw(st.sampled_from(["increase", "decrease", "no-change"])),
                "significant": draw(st.none() | st.booleans()), "p_value": draw(st.none() | p_values),
                "quote": draw(optional_texts), "quote_source": draw(st.none() | urls),
                "timepoint": draw(optional_texts), "note": draw(optional_texts),
            }))
        studies.append(_drop_none({
            "id": study_id, "title": draw(optional_texts), "authors": draw(st.lists(texts, max_size=3)),
            "year": draw(st.none() | st.integers(1800, 2024)), "journal": draw(optional_texts),
            "doi": draw(st.none() | st.builds(lambda r, s: f"10.{r}/{s}", st.integers(1000, 99999), doi_suffix)),
            "citation_sources": draw(st.lists(urls, max_size=2)),
            "sample_size": draw(st.none() | st.integers(1, 10**6)), "notes": draw(optional_texts),
            "groups": groups, "interventions": interventions, "findings": findings,
        }))
    return {"vocabulary": vocabulary, "studies": studies, "raw_unicode": draw(st.booleans())}


def write(dataset: dict[str, Any], root: Path) -> Path:
    raw = dataset["raw_unicode"]
    (root / "studies").mkdir(parents=True)
    (root / "dataset.yaml").write_text(to_yaml({"base_iri": BASE_IRI}, raw) + "\n", encoding="utf-8")
    (root / "vocabulary.yaml").write_text(to_yaml(dataset["vocabulary"], raw) + "\n", encoding="utf-8")
    for study in dataset["studies"]:
        (root / "studies" / f"{study['id']}.yaml").write_text(to_yaml(study, raw) + "\n", encoding="utf-8")
    return root


# --- checks -------------------------------------------------------------------------------------

_FORBIDDEN_IN_IRI = set('<>"{}|^`\\')


def assert_valid_iri(iri: URIRef) -> None:
    text = str(iri)
    bad = [c for c in text if c in _FORBIDDEN_IN_IRI or c.isspace() or unicodedata.category(c) == "Cc"]
    assert not bad, f"{text!r} contains {bad!r}"
    scheme, colon, _ = text.partition(":")
    assert colon and scheme and scheme[0].isascii() and scheme[0].isalpha(), f"{text!r} is not absolute"


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def record_nodes(dataset: dict[str, Any]) -> dict[tuple[str, ...], str]:
    """Every record that becomes a node, keyed by what makes it distinct."""
    nodes: dict[tuple[str, ...], str] = {}
    for kind in TERM_KINDS:
        for term in dataset["vocabulary"][kind]:
            nodes[("term", term["id"])] = EKG + {"populations": "Population", "conditions": "Condition",
                                                 "outcomes": "Outcome", "interventions": "Intervention"}[kind]
    for study in dataset["studies"]:
        nodes[("study", study["id"])] = EKG + "Study"
        for key, cls in (("groups", "Group"), ("interventions", "StudyIntervention"), ("findings", "Finding")):
            for item in study.get(key, []):
                nodes[(key, study["id"], item["id"])] = EKG + cls
    return nodes


# Ids that are prefixes of one another in every kind of record (a substring lookup once hid a shared IRI
# here), and text made only of awkward characters.
PREFIX_IDS: dict[str, Any] = {
    "vocabulary": {
        "populations": [{"id": "0", "label": '"""'}, {"id": "00", "label": "\\", "broader": ["0"]}],
        "conditions": [],
        "outcomes": [{"id": "0-0", "label": "\r\n\x00"}],
        "interventions": [{"id": "a", "label": "\u202e\u200b"}, {"id": "a-", "label": "🧪"}],
    },
    "studies": [
        {
            "id": study,
            "title": "'''\n\"",
            "groups": [{"id": "0", "label": "\t.", "population": "0"}, {"id": "00", "label": "x", "population": "00"}],
            "interventions": [{"id": "a", "intervention": "a"}, {"id": "a-", "intervention": "a-"}],
            "findings": [
                {"id": "0", "outcome": "0-0", "group": "0", "comparator": "00", "intervention": "a",
                 "direction": "increase", "p_value": 5e-324, "quote": '""""'},
                {"id": "00", "outcome": "0-0", "group": "00", "exposure": "00", "direction": "no-change",
                 "p_value": "<0.001", "quote": '\\"'},
            ],
        }
        for study in ("0", "00", "0-0")
    ],
    "raw_unicode": True,
}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(datasets())
@example(PREFIX_IDS)
def test_generated_records_round_trip(dataset: dict[str, Any]) -> None:
    handler = _Warnings()
    logging.getLogger("rdflib").addHandler(handler)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            loaded = evidencekg.load_dataset(write(dataset, Path(tmp) / "data"))
            built = evidencekg.to_rdf(loaded)
            graph = built.graph
            turtle = graph.serialize(format="turtle", encoding="utf-8")
            ntriples = graph.serialize(format="nt", encoding="utf-8")
    finally:
        logging.getLogger("rdflib").removeHandler(handler)
    assert not handler.messages, handler.messages

    # Serializations parse back to the same graph.
    assert isomorphic(graph, Graph().parse(data=turtle, format="turtle"))
    assert isomorphic(graph, Graph().parse(data=ntriples, format="nt"))

    # Every IRI is valid.
    for triple in graph:
        for term in triple:
            if isinstance(term, URIRef):
                assert_valid_iri(term)

    # Distinct records, distinct IRIs: one typed node per record, reached through its study, none shared.
    links = {"groups": "hasGroup", "interventions": "hasIntervention", "findings": "reportsFinding"}
    nodes = record_nodes(dataset)
    typed = {}
    for key, cls in nodes.items():
        if key[0] in ("term", "study"):
            candidates = set(graph.subjects(RDF.type, URIRef(cls)))
        else:
            candidates = set(graph.objects(typed[("study", key[1])], URIRef(EKG + links[key[0]])))
        found = [s for s in candidates
                 if (s, RDF.type, URIRef(cls)) in graph and (s, DCTERMS.identifier, Literal(key[-1])) in graph]
        assert len(found) == 1, (key, found)
        typed[key] = found[0]
    assert len(set(typed.values())) == len(nodes)

    # Text and numbers come out exactly as they went in.
    def values(subject: URIRef, predicate: URIRef) -> set[Any]:
        return {o.toPython() if o.datatype else str(o) for o in graph.objects(subject, predicate)}

    for kind in TERM_KINDS:
        for term in dataset["vocabulary"][kind]:
            node = typed[("term", term["id"])]
            assert values(node, SKOS.prefLabel) == {term["label"]}
            assert values(node, SKOS.definition) == ({term["definition"]} if "definition" in term else set())
    for study in dataset["studies"]:
        node = typed[("study", study["id"])]
        # The bibliographic fields are the article's, a node of its own; the journal another.
        article = graph.value(node, URIRef(EKG + "publishedIn")) or URIRef("urn:none")
        assert values(article, DCTERMS.title) == ({study["title"]} if "title" in study else set())
        assert values(article, DC.creator) == set(study.get("authors", []))
        journals = set(graph.objects(article, DCTERMS.isPartOf))
        assert {str(graph.value(j, DCTERMS.title)) for j in journals} == (
            {study["journal"]} if "journal" in study else set())
        assert values(node, RDFS.comment) == ({study["notes"]} if "notes" in study else set())
        assert values(article, URIRef(BIBO + "doi")) == ({study["doi"]} if "doi" in study else set())
        assert values(node, URIRef(EKG + "sampleSize")) == ({study["sample_size"]} if "sample_size" in study else set())
        for group in study.get("groups", []):
            assert values(typed[("groups", study["id"], group["id"])], URIRef(EKG + "groupSize")) == (
                {group["size"]} if "size" in group else set())
        for finding in study.get("findings", []):
            f = typed[("findings", study["id"], finding["id"])]
            for key, predicate in (("quote", "quote"), ("timepoint", "timepoint")):
                assert values(f, URIRef(EKG + predicate)) == ({finding[key]} if key in finding else set())
            p = finding.get("p_value")
            if isinstance(p, float):
                expected = Literal(Decimal(repr(p)), datatype=XSD_DECIMAL)
                assert set(graph.objects(f, URIRef(EKG + "pValue"))) == {expected}
                assert float(next(graph.objects(f, URIRef(EKG + "pValue"))).toPython()) == p
            elif isinstance(p, str):
                assert values(f, URIRef(EKG + "reportedPValue")) == {p}

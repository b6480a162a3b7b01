"""String-based constraints, SHACL §4.4: ``sh:minLength``, ``sh:maxLength``, ``sh:pattern``, ``sh:languageIn``,
``sh:uniqueLang`` (pySHACL's string_based_constraints).

Patterns are Python regular expressions, matched as pySHACL matches them;
``sh:languageIn`` matches a language or its primary subtag, as pySHACL does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

from .base import Check, Component, ShapeParameters, Test, each, stringify

_WHOLE_INTEGERS = frozenset(XSD[name] for name in (
    "integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long", "int",
    "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
))


def _as_string(value: Node) -> str:
    if isinstance(value, Literal) and value.value is not None and value.datatype in (None, RDF.langString, XSD.string):
        return str(value.value)
    return str(value)


def _long_enough(length: int) -> Callable[[Node], bool]:
    return lambda v: length == 0 or (not isinstance(v, BNode) and len(_as_string(v)) >= length)


def _short_enough(length: int) -> Callable[[Node], bool]:
    return lambda v: not isinstance(v, BNode) and len(_as_string(v)) <= length


def _matches(source: str, flags: int) -> Callable[[Node], bool]:
    matcher = re.compile(source, flags)

    def ok(value: Node) -> bool:
        if isinstance(value, BNode):
            return False
        text = _as_string(value)
        return bool(matcher.match(text) or matcher.search(text))

    return ok


def _in_languages(wanted: frozenset[str]) -> Callable[[Node], bool]:
    def ok(value: Node) -> bool:
        language = value.language if isinstance(value, Literal) else None
        if not language:
            return False
        return "*" in wanted or language.lower() in wanted or language.split("-")[0].lower() in wanted

    return ok


def _unique_languages(values: set[Node]) -> Iterator[Node | None]:
    seen: set[str] = set()
    duplicates: set[str] = set()
    for value in values:
        if isinstance(value, Literal) and value.language:
            language = value.language.lower()
            (duplicates if language in seen else seen).add(language)
    for _ in duplicates:
        yield None


_LENGTHS: tuple[tuple[URIRef, URIRef, str, Callable[[int], Callable[[Node], bool]]], ...] = (
    (SH.minLength, SH.MinLengthConstraintComponent, ">=", _long_enough),
    (SH.maxLength, SH.MaxLengthConstraintComponent, "<=", _short_enough),
)


def compile_string_based(p: ShapeParameters) -> Iterator[Component | Check]:
    if SH.pattern in p:
        yield from _patterns(p)
    for parameter, component, word, ok in _LENGTHS:
        if parameter not in p:
            continue
        length = p.one(parameter)
        if not (isinstance(length, Literal) and not getattr(length, "ill_typed", False)
                and length.datatype in _WHOLE_INTEGERS
                and length.datatype not in (XSD.negativeInteger, XSD.nonPositiveInteger) and length.value >= 0):
            raise p.refuse(f"{p.name(parameter)} that is not a whole number")
        generic = f"String length not {word} {stringify(Graph(), length)}"
        yield Component(component, each(ok(length.value)), generic)
    if SH.languageIn in p:
        languages = p.one(SH.languageIn)
        wanted: set[str] = set()
        for item in p.shapes.items(languages):
            if not (isinstance(item, Literal) and isinstance(item.value, str)):
                raise p.refuse("sh:languageIn with an item that is not a string")
            wanted.add(str(item.value).lower())
        yield Component(SH.LanguageInConstraintComponent, each(_in_languages(frozenset(wanted))),
                        f"String language is not in {p.name(languages)}")
    if SH.uniqueLang in p:
        unique = p.one(SH.uniqueLang)
        if not p.is_property or not (isinstance(unique, Literal) and isinstance(unique.value, bool)):
            raise p.refuse("sh:uniqueLang that is not a boolean on a property shape")
        if unique.value:
            test: Test = _unique_languages
            yield Component(SH.UniqueLangConstraintComponent, test, "More than one String shares the same Language")


def _patterns(p: ShapeParameters) -> Iterator[Component]:
    found = p.all(SH.pattern)
    patterns = [pattern for pattern in found if isinstance(pattern, Literal)]
    if len(patterns) != len(found):
        raise p.refuse("sh:pattern that is not a literal")
    flags_found = set(p.all(SH.flags))
    flags = 0
    if flags_found:
        first = next(iter(flags_found))
        if not isinstance(first, Literal):
            raise p.refuse("sh:flags that is not a literal")
        text = str(first.value).lower()
        flags = (re.I if "i" in text else 0) | (re.M if "m" in text else 0)
    listed = "', '".join(str(pattern.value) for pattern in patterns)
    generic = (f"Value does not match pattern '{listed}'" if len(patterns) < 2
               else f"Value does not match every pattern in ('{listed}')")
    for pattern in patterns:
        source = str(pattern.value) if pattern.value is not None and len(pattern.value) > 1 else str(pattern)
        try:
            re.compile(source, flags)
        except re.error as exc:
            raise p.refuse(f"sh:pattern {source!r}, not a Python regular expression ({exc})") from None
        yield Component(SH.PatternConstraintComponent, each(_matches(source, flags)), generic)

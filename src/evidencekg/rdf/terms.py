"""RDF terms between rdflib and pyoxigraph, so that both engines hold the same terms.

>>> from rdflib import Literal, URIRef
>>> convert = TermConverter()
>>> from_oxigraph(convert(URIRef("https://example.org/a"))) == URIRef("https://example.org/a")
True
>>> from_oxigraph(convert(Literal("x", lang="en"))) == Literal("x", lang="en")
True
"""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node


class TermConverter:
    """rdflib terms → pyoxigraph terms, converting each distinct IRI once (they repeat across thousands of triples)."""

    def __init__(self) -> None:
        import pyoxigraph

        self._ox = pyoxigraph
        self._iris: dict[str, Any] = {}

    def __call__(self, term: Node) -> Any:
        ox = self._ox
        if isinstance(term, URIRef):
            node = self._iris.get(term)
            if node is None:
                node = self._iris[term] = ox.NamedNode(str(term))
            return node
        if isinstance(term, BNode):
            return ox.BlankNode(str(term))
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is not None:
                datatype = self._iris.get(term.datatype)
                if datatype is None:
                    datatype = self._iris[term.datatype] = ox.NamedNode(str(term.datatype))
                return ox.Literal(str(term), datatype=datatype)
            return ox.Literal(str(term))
        raise TypeError(f"not an RDF term: {term!r}")


_XSD_STRING = str(XSD.string)
_LANG_STRING = str(RDF.langString)


def from_oxigraph(term: Any) -> Node:
    """A pyoxigraph term as the rdflib term the reference engine would hold."""
    import pyoxigraph

    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        # rdflib keeps a plain literal apart from an xsd:string one; records only make plain ones.
        if datatype in (_XSD_STRING, _LANG_STRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"not an RDF term: {term!r}")

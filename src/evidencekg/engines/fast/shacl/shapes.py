"""The shape compiler: a shapes graph into the checks of each shape use, on the focus nodes of its targets.

:func:`compile_shapes` is pure, so callers can cache the result; it finds
the shapes as pySHACL does (``pyshacl/shapes_graph.py``,
``_build_node_shape_cache``), and hands the parameters of each to the
constraint families of :mod:`.constraints`.

Focus nodes are one sub-select, ``{ SELECT DISTINCT ?this WHERE { ... } }``,
the union of the shape's targets (``sh:targetClass`` through
``rdf:type/rdfs:subClassOf*``, ``sh:targetNode``, ``sh:targetSubjectsOf``,
``sh:targetObjectsOf``). A property shape listed by ``sh:property`` gets the
focus nodes of its node shape, as pySHACL does (once per listing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from .constraints import COMPILERS, Check, Component, CoreChecks, ShapeParameters, ShapeUse, SparqlConstraint
from .results import RawResult, UnsupportedShapes, display
from .run import Run
from .terms import TYPE_PATH, sort_key, sparql_term

if TYPE_CHECKING:
    import pyoxigraph

    from .literals import LiteralOrigins


@dataclass(frozen=True)
class CompiledShapes:
    """A shapes graph as queries: run it on any number of stores."""

    checks: tuple[Check, ...]
    namespaces: tuple[tuple[str, str], ...]
    """The shapes graph's prefixes, which pySHACL copies into its report."""
    shape_descriptions: tuple[tuple[BNode, tuple[tuple[Node, Node, Node], ...]], ...]
    """What pySHACL's report copies for the blank nodes of the shapes graph a result names."""

    def queries(self) -> tuple[str, ...]:
        """Every query :meth:`run` sends (a per-focus-node query once), for inspection."""
        return tuple(q for check in self.checks for q in check.queries())

    def per_focus_constraints(self) -> tuple[Node, ...]:
        """The SPARQL constraints run once per focus node, because their queries break the whole-graph rule."""
        return tuple(dict.fromkeys(check.node for check in self.checks
                                   if isinstance(check, SparqlConstraint) and not check.whole_graph))

    def run(self, store: pyoxigraph.Store, origins: LiteralOrigins | None = None) -> list[RawResult]:
        """The results of validating the union of ``store``'s graphs, as pySHACL reports them.

        ``origins`` gives back the literals the store rewrote (see :class:`LiteralOrigins`). Raises
        :class:`UnsupportedShapes` when a query counts duplicates and a triple is in two of the store's graphs.
        """
        run = Run(store, origins)
        return [result for check in self.checks for result in check.run(run)]


_UNSUPPORTED_PARAMETERS: dict[Node, str] = {
    SH.node: "sh:node", SH["and"]: "sh:and", SH["or"]: "sh:or", SH.xone: "sh:xone", SH["not"]: "sh:not",
    SH.qualifiedValueShape: "qualified value shapes", SH.closed: "sh:closed", SH.equals: "sh:equals",
    SH.disjoint: "sh:disjoint", SH.lessThan: "sh:lessThan", SH.lessThanOrEquals: "sh:lessThanOrEquals",
    SH.expression: "sh:expression", SH.js: "JavaScript constraints", SH.target: "custom targets (sh:target)",
    SH.rule: "SHACL rules (sh:rule)",
}


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Compile a shapes graph; raises :class:`UnsupportedShapes` for SHACL outside the supported subset.

    Pure: the result depends only on the graph, so it can be cached and reused on many stores.
    """
    return _Compiler(shapes).compile()


class _Compiler:
    def __init__(self, shapes: Graph) -> None:
        self.sg = shapes
        # pySHACL names shapes-graph nodes with the shapes graph's prefixes, after binding sh: if it can.
        self.names = Graph(bind_namespaces="none")
        for prefix, namespace in shapes.namespace_manager.namespaces():
            self.names.namespace_manager.bind(prefix, namespace, override=True, replace=True)
        self.names.namespace_manager.bind("sh", SH, override=False, replace=False)
        self.checks: list[Check] = []
        self.shape_bnodes: set[BNode] = set()

    def compile(self) -> CompiledShapes:
        sg = self.sg
        self._refuse_globally_unsupported()
        node_shapes, property_shapes = self._shapes()
        for shape in sorted(node_shapes | property_shapes, key=sort_key):
            focus = self._focus(shape)
            if focus is None or self._deactivated(shape):
                continue
            is_property = shape in property_shapes
            self._constraints(self._use(shape, focus, is_property), is_property)
            for listed in sorted(sg.objects(shape, SH.property), key=sort_key):
                if is_property:
                    raise UnsupportedShapes("a property shape inside a property shape (sh:property)", shape)
                if listed not in property_shapes:
                    raise UnsupportedShapes(f"sh:property {display(listed)} is not a property shape", shape)
                if self._deactivated(listed):
                    continue
                if any(True for _ in sg.objects(listed, SH.property)):
                    raise UnsupportedShapes("a property shape inside a property shape (sh:property)", listed)
                self._constraints(self._use(listed, focus, True), True)
        from pyshacl.rdfutil.clone import clone_blank_node

        descriptions = []
        for bnode in sorted(self.shape_bnodes, key=str):
            scratch = Graph()
            clone_blank_node(sg, bnode, scratch, keepid=True)
            descriptions.append((bnode, tuple(sorted(scratch, key=lambda t: tuple(map(str, t))))))
        namespaces = tuple((p, str(n)) for p, n in sg.namespace_manager.namespaces())
        compiled = CompiledShapes(tuple(self.checks), namespaces, tuple(descriptions))
        _check_queries_parse(compiled)
        return compiled

    def _refuse_globally_unsupported(self) -> None:
        sg = self.sg
        for component in sg.subjects(RDF.type, SH.ConstraintComponent):
            raise UnsupportedShapes("custom constraint components (sh:ConstraintComponent)", component)
        for component, _ in sg.subject_objects(SH.parameter):
            raise UnsupportedShapes("custom constraint components (sh:parameter)", component)

    def _shapes(self) -> tuple[set[Node], set[Node]]:
        sg = self.sg
        declared_nodes = set(sg.subjects(RDF.type, SH.NodeShape))
        declared_properties = set(sg.subjects(RDF.type, SH.PropertyShape))
        for shape in declared_nodes:
            if any(True for _ in sg.objects(shape, SH.path)):
                raise UnsupportedShapes("a sh:NodeShape with sh:path", shape)
        for shape in declared_properties:
            if shape in declared_nodes:
                raise UnsupportedShapes("a shape both sh:NodeShape and sh:PropertyShape", shape)
            if len(set(sg.objects(shape, SH.path))) != 1:
                raise UnsupportedShapes("a sh:PropertyShape without exactly one sh:path", shape)
        implied = {s for p in (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.property,
                               SH.node) for s in sg.subjects(p, None)}
        implied |= {o for p in (SH.property, SH.node, SH["not"], SH.qualifiedValueShape) for o in sg.objects(None, p)}
        implied |= {item for p in (SH["and"], SH["or"], SH.xone)
                    for members in sg.objects(None, p) for item in sg.items(members)}
        nodes, properties = set(declared_nodes), set(declared_properties)
        for shape in implied - declared_nodes - declared_properties:
            paths = set(sg.objects(shape, SH.path))
            if len(paths) > 1:
                raise UnsupportedShapes("a property shape with more than one sh:path", shape)
            (properties if paths else nodes).add(shape)
        return nodes, properties

    def _focus(self, shape: Node) -> str | None:
        """The focus group of a shape with targets, or None when it has none."""
        sg = self.sg
        class_kinds = set(sg.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}
        if any(t in class_kinds for t in sg.objects(shape, RDF.type)):
            raise UnsupportedShapes("implicit class targets (a shape that is also an rdfs:Class)", shape)
        parts = []
        nodes = sorted(sg.objects(shape, SH.targetNode), key=sort_key)
        if nodes:
            parts.append("VALUES ?this { " + " ".join(sparql_term(n, shape) for n in nodes) + " }")
        for cls in sorted(sg.objects(shape, SH.targetClass), key=sort_key):
            parts.append(f"?this {TYPE_PATH} {sparql_term(cls, shape)} .")
        for predicate in sorted(sg.objects(shape, SH.targetSubjectsOf), key=sort_key):
            parts.append(f"?this {sparql_term(predicate, shape)} ?_evidencekg_object .")
        for predicate in sorted(sg.objects(shape, SH.targetObjectsOf), key=sort_key):
            parts.append(f"?_evidencekg_subject {sparql_term(predicate, shape)} ?this .")
        if not parts:
            return None
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join("{ " + p + " }" for p in parts) + " } }"

    def _deactivated(self, shape: Node) -> bool:
        values = set(self.sg.objects(shape, SH.deactivated))
        if len(values) > 1:
            raise UnsupportedShapes("more than one sh:deactivated", shape)
        if not values:
            return False
        value = next(iter(values))
        if not isinstance(value, Literal):
            raise UnsupportedShapes("sh:deactivated that is not a literal", shape)
        return bool(value.value)

    def _use(self, shape: Node, focus: str, is_property: bool) -> ShapeUse:
        sg = self.sg
        severities = set(sg.objects(shape, SH.severity))
        severity = next(iter(severities)) if severities else SH.Violation
        messages = tuple(m for m in set(sg.objects(shape, SH.message)) if isinstance(m, Literal))
        if len(messages) != len(set(sg.objects(shape, SH.message))):
            raise UnsupportedShapes("sh:message that is not a literal", shape)
        if isinstance(shape, BNode):
            self.shape_bnodes.add(shape)
        if not is_property:
            return ShapeUse(shape, severity, messages, None, None, None, focus)
        path = next(iter(sg.objects(shape, SH.path)))
        if isinstance(path, URIRef):
            return ShapeUse(shape, severity, messages, path, sparql_term(path, shape), path, focus)
        if isinstance(path, BNode):
            described = set(sg.predicate_objects(path))
            if len(described) == 1:
                predicate, inverted = next(iter(described))
                if predicate == SH.inversePath and isinstance(inverted, URIRef):
                    self.shape_bnodes.add(path)
                    return ShapeUse(shape, severity, messages, path, "^" + sparql_term(inverted, shape), None, focus)
        raise UnsupportedShapes("a property path other than an IRI or sh:inversePath of one", shape)

    def _constraints(self, use: ShapeUse, is_property: bool) -> None:
        """The checks of one shape use: its core components in one fetch, then the checks with their own queries."""
        parameters = ShapeParameters(self.sg, self.names, use.shape, use, is_property, self.shape_bnodes)
        for parameter in sorted(parameters.present & set(_UNSUPPORTED_PARAMETERS), key=str):
            raise UnsupportedShapes(_UNSUPPORTED_PARAMETERS[parameter], use.shape)
        components: list[Component] = []
        checks: list[Check] = []
        for compile_family in COMPILERS:
            for compiled in compile_family(parameters):
                if isinstance(compiled, Component):
                    components.append(compiled)
                else:
                    checks.append(compiled)
        if components:
            self.checks.append(CoreChecks(use, tuple(components)))
        self.checks.extend(checks)


def _check_queries_parse(compiled: CompiledShapes) -> None:
    """Every query must be one the store accepts (rdflib, which planned them, accepts more)."""
    import pyoxigraph

    empty = pyoxigraph.Store()
    this = pyoxigraph.Variable("this")
    for check in compiled.checks:
        for query in check.queries():
            substitutions: dict[Any, Any] | None = None
            if isinstance(check, SparqlConstraint) and not check.whole_graph:
                substitutions = {this: pyoxigraph.NamedNode("urn:evidencekg:focus")}
            try:
                Run(empty, None).select(query, substitutions)
            except (SyntaxError, ValueError, OSError, RuntimeError) as exc:
                raise UnsupportedShapes(f"a query the store refuses ({exc}): {query}", check.use.shape) from None

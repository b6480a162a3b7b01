"""Where a SPARQL-based constraint can be run once for all focus nodes: the scope of ``$this`` in its algebra.

pySHACL pre-binds ``$this`` in the whole query; standard SPARQL evaluates
nested groups bottom-up, so injecting the focus sub-select at the start of
the outermost WHERE group equals the pre-binding only where ``$this`` is
bound in every scope that uses it. The rule, checked on the algebra of the
query with the focus injected by :class:`ScopeAnalysis`: a FILTER, BIND or
OPTIONAL condition that mentions ``$this`` (directly or in an EXISTS) must be
evaluated over a pattern that certainly binds ``$this`` (inside an EXISTS the
outer solution counts, as EXISTS substitutes it); a sub-select that mentions
``$this`` must project it, certainly bind it, group by it if it aggregates,
and have no LIMIT/OFFSET; the outer query likewise. A query that breaks the
rule is run once per focus node instead (:attr:`ScopeAnalysis.this_problems`).

Two forms where rdflib's scoping departs from the standard's are refused
(:attr:`ScopeAnalysis.unsupported`), as pySHACL, on rdflib, would read them
differently: a sub-select using a variable bound outside it without
projecting it (rdflib pushes the outer binding in), and an expression below
the top FILTER of an EXISTS reading a variable of the enclosing solution
(rdflib hides it there). So are the constructs pySHACL rejects (MINUS,
VALUES, SERVICE, a nested SELECT without ``$this``, ``AS ?this``), GRAPH and
FROM.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from rdflib.term import Variable

THIS = Variable("this")
_DUPLICATE_COUNTING = frozenset({"Aggregate_Count", "Aggregate_Sum", "Aggregate_Avg", "Aggregate_GroupConcat"})


class ScopeAnalysis:
    """Whether a query with the focus sub-select injected binds ``$this`` wherever it uses it (see the module notes)."""

    def __init__(self, algebra: Any) -> None:
        self.this_problems: list[str] = []
        """Why the query must be run once per focus node; empty when it can run once for all."""
        self.unsupported: str | None = None
        """Why the query cannot be compiled at all."""
        self.counts_duplicates = False
        """Whether an aggregate counts repeated matches (which the store's union graph can add)."""
        self._certain: dict[int, frozenset[Variable]] = {}
        self._possible: dict[int, frozenset[Variable]] = {}
        try:
            if algebra.name != "SelectQuery":
                raise _Refused("not a SELECT query")
            if algebra.datasetClause:
                raise _Refused("FROM or FROM NAMED")
            self._all_occurrences = _occurrences(algebra.p)
            self._top(algebra.p)
        except _Refused as refused:
            self.unsupported = str(refused)

    def _top(self, node: Any) -> None:
        while node.name in ("Slice", "Distinct", "Reduced", "OrderBy"):
            if node.name == "Slice":
                self.this_problems.append("LIMIT or OFFSET")
            node = node.p
        if node.name != "Project":
            raise _Refused(f"unexpected query form {node.name}")
        self._walk(node.p, frozenset(), None)

    # certain: bound in every solution; possible: bound in some solution.

    def certain(self, node: Any) -> frozenset[Variable]:
        key = id(node)
        if key not in self._certain:
            self._certain[key] = self._bound(node, certain=True)
        return self._certain[key]

    def possible(self, node: Any) -> frozenset[Variable]:
        key = id(node)
        if key not in self._possible:
            self._possible[key] = self._bound(node, certain=False)
        return self._possible[key]

    def _bound(self, node: Any, certain: bool) -> frozenset[Variable]:
        of = self.certain if certain else self.possible
        name = node.name
        if name == "BGP":
            return frozenset(t for triple in node.triples for t in triple if isinstance(t, Variable))
        if name == "Join":
            return of(node.p1) | of(node.p2)
        if name == "LeftJoin":
            return of(node.p1) if certain else of(node.p1) | of(node.p2)
        if name == "Union":
            return of(node.p1) & of(node.p2) if certain else of(node.p1) | of(node.p2)
        if name in ("Filter", "ToMultiSet", "Distinct", "Reduced", "OrderBy", "Slice"):
            return of(node.p)
        if name == "Extend":
            return of(node.p) if certain else of(node.p) | {node.var}
        if name == "Project":
            return of(node.p) & frozenset(node.PV)
        if name == "Group":
            return of(node.p) & frozenset(v for v in (node.expr or []) if isinstance(v, Variable))
        if name == "AggregateJoin":
            return of(node.p) if certain else of(node.p) | {a.res for a in node.A}
        raise _Refused(_construct_name(name))

    def _walk(self, node: Any, context: frozenset[Variable], exists_top: Any) -> None:
        """Check a pattern; ``context`` holds what an enclosing EXISTS substitutes, ``exists_top`` its top filter."""
        name = node.name
        if name == "BGP":
            return
        if name in ("Join", "Union"):
            self._walk(node.p1, context, None)
            self._walk(node.p2, context, None)
        elif name == "LeftJoin":
            self._walk(node.p1, context, None)
            self._walk(node.p2, context, None)
            if node.expr is not None and getattr(node.expr, "name", None) != "TrueFilter":
                self._check(node.expr, self.certain(node.p1) | self.certain(node.p2), context, False)
        elif name == "Filter":
            self._walk(node.p, context, None)
            self._check(node.expr, self.certain(node.p), context, node is exists_top)
        elif name == "Extend":
            # rdflib binds a grouped variable back from its aggregate sample: that is no rebinding
            if node.var == THIS and not (isinstance(node.expr, Variable) and node.expr.startswith("__agg_")):
                raise _Refused("$this rebound with AS")
            self._walk(node.p, context, None)
            self._check(node.expr, self.certain(node.p), context, False)
        elif name == "ToMultiSet":
            self._subselect(node.p, context)
        elif name in ("Distinct", "Reduced", "OrderBy"):
            self._walk(node.p, context, None)
        elif name == "AggregateJoin":
            group = node.p
            self._walk(group.p, context, None)
            keys = {v for v in (group.expr or []) if isinstance(v, Variable)}
            given = self.certain(group.p) | context
            if THIS not in context and (THIS not in keys or THIS not in given):
                self.this_problems.append("an aggregate not grouped by $this")
            for expression in group.expr or []:
                self._check(expression, self.certain(group.p), context, False)
            for aggregate in node.A:
                if aggregate.name in _DUPLICATE_COUNTING and not aggregate.distinct and not _distinct_rows(group.p):
                    self.counts_duplicates = True
                self._check(aggregate.vars, self.certain(group.p), context, False)
        else:
            raise _Refused(_construct_name(name))

    def _subselect(self, node: Any, context: frozenset[Variable]) -> None:
        sliced = False
        while node.name in ("Slice", "Distinct", "Reduced", "OrderBy"):
            sliced = sliced or node.name == "Slice"
            node = node.p
        if node.name == "values" or getattr(node, "name", None) != "Project":
            raise _Refused(_construct_name(node.name))
        projected = frozenset(node.PV)
        inside = _occurrences(node)
        if THIS not in projected:
            raise _Refused("a nested SELECT that does not project $this")
        if THIS not in context:
            if THIS not in self.certain(node.p):
                self.this_problems.append("a nested SELECT that may leave $this unbound")
            if sliced:
                self.this_problems.append("LIMIT or OFFSET in a nested SELECT")
        leaked = {v for v, count in inside.items()
                  if v not in projected and v != THIS and self._all_occurrences.get(v, 0) > count}
        if leaked:
            names = ", ".join(sorted(f"?{v}" for v in leaked))
            raise _Refused(f"a nested SELECT uses {names}, bound outside it, without projecting it")
        self._walk(node.p, context, None)

    def _check(self, expression: Any, certain: frozenset[Variable], context: frozenset[Variable],
               exists_top: bool) -> None:
        used, patterns = _expression_parts(expression)
        given = certain | context
        if THIS in used and THIS not in given:
            self.this_problems.append("an expression uses $this where it is not bound")
        # rdflib hides an enclosing EXISTS's solution from expressions below its top filter; SPARQL substitutes it.
        hidden = (used & context) - certain - {THIS}
        if hidden and not exists_top:
            names = ", ".join(sorted(f"?{v}" for v in hidden))
            raise _Refused(f"an expression inside EXISTS uses {names} from outside it")
        for pattern in patterns:
            if THIS in _occurrences(pattern) and THIS not in given:
                self.this_problems.append("an EXISTS uses $this where it is not bound")
            self._walk(pattern, context | certain, pattern if pattern.name == "Filter" else None)


class _Refused(Exception):
    pass


def _construct_name(name: str) -> str:
    return {"Minus": "MINUS", "values": "VALUES", "Graph": "GRAPH", "ServiceGraphPattern": "SERVICE"}.get(
        name, f"the SPARQL construct {name}")


def _distinct_rows(node: Any) -> bool:
    """Whether a pattern is a SELECT DISTINCT, so that repeated matches cannot reach an aggregate over it."""
    name = node.name
    if name == "ToMultiSet":
        return _distinct_rows(node.p)
    if name == "Join":
        empty = [part for part in (node.p1, node.p2) if part.name == "BGP" and not part.triples]
        return len(empty) == 1 and _distinct_rows(node.p2 if empty[0] is node.p1 else node.p1)
    return bool(name == "Distinct")


def _children(node: Any) -> Iterator[Any]:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            yield node.graph  # translated by rdflib into an attribute, not the item
            return
        for key, value in node.items():
            if key != "_vars":
                yield value
    elif isinstance(node, (list, tuple)):
        yield from node


def _occurrences(node: Any) -> dict[Variable, int]:
    counts: dict[Variable, int] = defaultdict(int)
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, Variable):
            counts[current] += 1
        else:
            todo.extend(_children(current))
    return counts


def _expression_parts(expression: Any) -> tuple[set[Variable], list[Any]]:
    """The variables an expression reads directly, and the patterns of its EXISTS."""
    from rdflib.plugins.sparql.parserutils import CompValue

    used: set[Variable] = set()
    patterns: list[Any] = []
    todo = [expression]
    while todo:
        current = todo.pop()
        if isinstance(current, Variable):
            used.add(current)
        elif isinstance(current, CompValue) and current.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
            patterns.append(current.graph)
        else:
            todo.extend(_children(current))
    return used, patterns

"""SHACL constraint components, one module per section of the spec, as pySHACL's ``constraints/core`` is laid out.

Each family module gives a compiler from a shape's parameters
(:class:`~.base.ShapeParameters`) to components and checks; the shape
compiler walks :data:`COMPILERS` for every shape use. Core components are
tested in Python with pySHACL's own tests (its datatype rules for ill-typed
literals, rdf:langString and xsd:string, Python regular expressions for
``sh:pattern``, its ``sh:languageIn`` matching, its literal comparison for
the range constraints, its messages when a shape has none), so they agree by
construction.
"""

from __future__ import annotations

from .base import Check, Component, ConstraintCompiler, CoreChecks, ShapeParameters, ShapeUse
from .cardinality import compile_cardinality
from .other import compile_other
from .sparql_based import SparqlConstraint, compile_sparql_based
from .string_based import compile_string_based
from .value_range import compile_value_range
from .value_type import compile_value_type

COMPILERS: tuple[ConstraintCompiler, ...] = (
    compile_cardinality,
    compile_value_type,
    compile_other,
    compile_string_based,
    compile_value_range,
    compile_sparql_based,
)
"""Every constraint family, in the order its checks are listed."""

__all__ = ["COMPILERS", "Check", "Component", "CoreChecks", "ShapeParameters", "ShapeUse", "SparqlConstraint"]

"""OWL 2 RL for the fast engine: rules compiled from the ontology's axioms, run to a fixpoint.

:func:`infer_rules` returns exactly the triples :func:`evidencekg.engines.reference.reasoner.infer` (owlrl) returns
for the same asserted data and ontology, in a fraction of the time: owlrl applies every OWL 2 RL
rule to every triple, cycle after cycle; here only the rules the ontology's axioms instantiate
are run, once per new triple (semi-naive evaluation over per-property indexes), until nothing
new follows. owlrl stays the reference implementation: whatever this package cannot reproduce
exactly, it refuses with :class:`UnsupportedOntology` rather than returning another closure.

Entailments computed, with the names of the OWL 2 RL rule tables (each rule is implemented
under a ``# RULE <id>`` comment, where its axioms are compiled and where it fires):

* the schema closure, run once per ontology and cached (it mirrors owlrl's ``scm-*`` rules,
  including their treatment of reflexive statements): ``scm-cls``, ``scm-sco``, ``scm-eqc1``,
  ``scm-eqc2``, ``scm-op``, ``scm-dp`` (owlrl also counts ``rdf:Property``), ``scm-spo``,
  ``scm-eqp1``, ``scm-eqp2``, ``scm-dom1``, ``scm-dom2``, ``scm-rng1``, ``scm-rng2``, ``scm-hv``,
  with ``cls-thing`` and ``cls-nothing1``;
* on the data, and on the ontology's own individuals: ``cax-sco``, ``cax-eqc1``, ``cax-eqc2``,
  ``prp-dom``, ``prp-rng``, ``prp-spo1``, ``prp-spo2`` (chains of any length), ``prp-eqp1``,
  ``prp-eqp2``, ``prp-inv1``, ``prp-inv2``, ``prp-symp``, ``prp-trp``, ``cls-hv1``, ``cls-hv2``
  and ``cls-oo``.

Terms are never special-cased: every rule comes from an axiom, so another ontology gets its own rules.

Modules, in the order the work is done:

* :mod:`.support`: what is supported and what is refused (:class:`UnsupportedOntology`);
* :mod:`.infer`: :func:`infer_rules`, the bucketing of the data and its schema statements;
* :mod:`.schema`: the ``scm-*`` schema closure;
* :mod:`.compile`: the program compiled from the axioms, a plan per property and per class;
* :mod:`.saturate`: the semi-naive evaluation of that program.
"""

from __future__ import annotations

from .infer import infer_rules
from .support import UnsupportedOntology

__all__ = ["UnsupportedOntology", "infer_rules"]

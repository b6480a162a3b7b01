"""The SPARQL endpoint: a read-only gate in front of Oxigraph's server (``evidencekg serve``)."""

from .gate import Decision, check_request
from .server import DEFAULT_BIND, running_endpoint

__all__ = ["DEFAULT_BIND", "Decision", "check_request", "running_endpoint"]

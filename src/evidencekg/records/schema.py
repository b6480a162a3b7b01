"""The record format as JSON Schema, for editors' YAML language servers and other validators.

The schemas are made from the pydantic model (:mod:`evidencekg.records.model`), the format's
single source of truth, with a ``$schema`` dialect, a stable ``$id`` and descriptions in plain
text (the model's docstrings without their reStructuredText markup).

>>> schema = json_schema("study")
>>> schema["$id"], "findings" in schema["properties"]
('https://w3id.org/evidencekg/schema/study.json', True)
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from .model import DatasetMetadata, Study, Vocabulary

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE = "https://w3id.org/evidencekg/schema/"
RECORD_MODELS: dict[str, type[BaseModel]] = {"study": Study, "vocabulary": Vocabulary, "dataset": DatasetMetadata}
"""Each kind of record file and its model."""

_LITERAL = re.compile(r"``([^`]+)``")
_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def plain_text(docstring: str) -> str:
    """A docstring as plain text: ``code`` in quotes, roles by their name, paragraphs on one line each.

    >>> plain_text("Either ``comparator`` or\\nan :class:`~x.Exposure`.\\n\\nSecond.")
    "Either 'comparator' or an Exposure.\\n\\nSecond."
    """
    text = _ROLE.sub(lambda match: match.group(1).rsplit(".", 1)[-1], docstring)
    text = _LITERAL.sub(r"'\1'", text)
    paragraphs = (" ".join(line.strip() for line in paragraph.splitlines()) for paragraph in text.split("\n\n"))
    return "\n\n".join(paragraphs).strip()


def _plain_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: plain_text(value) if key == "description" and isinstance(value, str)
                else _plain_descriptions(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain_descriptions(item) for item in node]
    return node


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a record file: ``study``, ``vocabulary`` or ``dataset``."""
    schema = _plain_descriptions(RECORD_MODELS[kind].model_json_schema())
    return {"$schema": DIALECT, "$id": f"{SCHEMA_BASE}{kind}.json", **schema}

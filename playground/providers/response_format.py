"""``response_format`` in OpenAI's shape, checked once and translated for the Messages API.

Accepted (what ``create_async_generator(..., response_format=...)`` takes on both providers):

* ``{"type": "text"}`` or None: prose, nothing is sent;
* ``{"type": "json_object"}``: any JSON object. OpenAI-compatible endpoints take it as is; the
  Messages API has **no equivalent**: its structured outputs need a schema, and every object in
  one must set ``additionalProperties: false`` (reference §3.3), so "any object" cannot be said.
  :func:`anthropic_output_format` refuses it with the fix instead of sending something else;
* ``{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}, "strict"?: bool}}``:
  OpenAI endpoints get it as is; Anthropic gets ``output_config.format = {"type": "json_schema",
  "schema": ...}`` (the API checks the schema itself).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from ..errors import ParameterError

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_EXAMPLE = "{'type': 'json_schema', 'json_schema': {'name': 'answer', 'schema': {'type': 'object', ...}}}"


def normalize_response_format(value: Any) -> dict[str, Any] | None:
    """A checked copy of ``value`` (None for plain text). Raises ParameterError naming ``response_format``."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or value.get("type") not in ("text", "json_object", "json_schema"):
        raise ParameterError("response_format", f"expected {{'type': 'text'}}, {{'type': 'json_object'}} or "
                             f"{_EXAMPLE}, got {value!r:.120}.")
    kind = value["type"]
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    spec = value.get("json_schema")
    if not isinstance(spec, Mapping):
        raise ParameterError("response_format", f"json_schema needs its details: {_EXAMPLE}.")
    name = spec.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ParameterError("response_format", f"json_schema.name must be 1-64 letters, digits, _ or -, got {name!r}.")
    schema = spec.get("schema")
    if not isinstance(schema, Mapping):
        raise ParameterError("response_format", "json_schema.schema must be a JSON schema object (a dict).")
    return copy.deepcopy(dict(value))


def anthropic_output_format(value: Any) -> dict[str, Any] | None:
    """The Messages API's ``output_config.format`` for ``value`` (None for plain text)."""
    checked = normalize_response_format(value)
    if checked is None:
        return None
    if checked["type"] == "json_object":
        raise ParameterError("response_format", "{'type': 'json_object'} has no Anthropic equivalent: structured "
                             "outputs need a JSON schema whose objects all set additionalProperties: false, so "
                             f"'any object' cannot be expressed. Give a schema instead: {_EXAMPLE}.")
    return {"type": "json_schema", "schema": checked["json_schema"]["schema"]}

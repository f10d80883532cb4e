"""Is a reply the JSON its response format asked for? One place for parsing a reply as JSON and
checking it against a JSON Schema, used by the chat renderer's badge and the evals' assertions.

    check = check_reply('{"name": "Ada"}', {"type": "json_schema", "json_schema": {"name": "person", ...}})
    check.badge   # 'JSON ✓ valid against schema person'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_FENCE = re.compile(r"^\s*```[\w-]*\s*\n(.*?)\n\s*```\s*$", re.DOTALL)
_MISSING = object()


def parse_json(text: str) -> tuple[Any, str | None]:
    """The reply as JSON (a single fenced code block around it is allowed); ``(value, None)`` or
    ``(None, why not)``."""
    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text
    try:
        return json.loads(body), None
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"


def json_path(parts: Any) -> str:
    """A jsonschema error path as ``$.a.b[0]`` (``$`` is the whole reply)."""
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if re.fullmatch(r"[A-Za-z_]\w*", str(p))
                                                      else f"[{json.dumps(str(p))}]")
    return out


def schema_problem(schema: Any) -> str | None:
    """Why ``schema`` is not a usable JSON Schema, or None."""
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        return exc.message
    return None


def first_error(data: Any, schema: Any) -> tuple[tuple[Any, ...], str] | None:
    """``(path, message)`` of the most relevant way ``data`` breaks ``schema`` (jsonschema's best
    match; the path as keys and indexes), or None when it is valid. ``schema`` must be a valid schema
    (see :func:`schema_problem`)."""
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return None
    return tuple(error.absolute_path), error.message


@dataclass(frozen=True)
class JsonCheck:
    """What a reply is against its response format: ``state`` is ``valid``, ``invalid`` or ``not_json``."""

    state: str
    badge: str
    data: Any = None

    @property
    def is_json(self) -> bool:
        return self.state != "not_json"


def wants_json(response_format: Mapping[str, Any] | None) -> bool:
    """Whether ``response_format`` (OpenAI's shape, as in ``RunSettings``) asks for JSON."""
    return isinstance(response_format, Mapping) and response_format.get("type") in ("json_object", "json_schema")


def check_reply(text: str, response_format: Mapping[str, Any]) -> JsonCheck:
    """``text`` checked against ``response_format`` (``json_object``: any JSON object; ``json_schema``:
    valid against its schema). The badge says the outcome in words."""
    if not text.strip():
        return JsonCheck("not_json", "not JSON: the reply is empty")
    data, problem = parse_json(text)
    if problem:
        return JsonCheck("not_json", f"not JSON: {problem}")
    if response_format.get("type") != "json_schema":
        if not isinstance(data, dict):
            return JsonCheck("invalid", f"JSON ✗ invalid: $ is a JSON {_kind(data)}, not the object json_object asks for",
                             data)
        return JsonCheck("valid", "JSON ✓ valid (a JSON object)", data)
    details = response_format.get("json_schema") or {}
    name = str(details.get("name") or "(unnamed)")
    schema = details.get("schema", {})
    if (why := schema_problem(schema)) is not None:
        return JsonCheck("invalid", f"JSON ✗ cannot check: schema {name} is not a valid JSON Schema: {why}", data)
    error = first_error(data, schema)
    if error is None:
        return JsonCheck("valid", f"JSON ✓ valid against schema {name}", data)
    path, message = error
    return JsonCheck("invalid", f"JSON ✗ invalid: at {json_path(path)}: {message}", data)


def _kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")

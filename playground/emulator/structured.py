"""Structured outputs offline: check a JSON schema the way the API does, then sample a value valid for it.

Used for ``output_config.format`` (the reply's text is the JSON), ``strict: true`` tools (the
``tool_use.input``) and the OpenAI-compatible ``response_format``.

**Checked** (reference §3.3): the basic types, ``enum``, ``const``, ``anyOf``, ``allOf``, local
``$ref`` into ``$defs``/``definitions``, ``required``, ``additionalProperties`` (``false`` only),
``items``, ``minItems`` 0 or 1, and the string formats in :data:`FORMATS`. Anything else is a 400
naming the keyword and its place in the body: numeric bounds, length limits, other array
constraints, ``pattern`` (which the emulator cannot honour), recursive definitions (the API's
``Too many recursive definitions in schema``) and schemas whose expansion passes
:data:`MAX_NODES` nodes (``Schema is too complex``).

**Sampled**: every choice goes through the request's RNG and sampling parameters, so seeds and
``temperature`` change the value: enum members, ``anyOf`` branches, optional properties, array
lengths, numbers, and string words, which come from the n-gram sampler continuing the prompt.
At ``temperature: 0`` every choice is the first/smallest one, so the value is fixed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

from .apierror import invalid
from .sampler import NGramModel, SamplingParams

TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")
FORMATS = ("date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid")
MAX_NODES = 5000
# Keywords that only describe: accepted anywhere, ignored when sampling.
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "$schema", "$id",
                          "deprecated", "readOnly", "writeOnly"})
_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties", "items", "enum", "const",
                       "anyOf", "allOf", "$ref", "$defs", "definitions", "format", "minItems"}) | _ANNOTATIONS
_UNSUPPORTED = {
    **dict.fromkeys(("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
                    "numeric bounds are not supported in structured output schemas"),
    **dict.fromkeys(("minLength", "maxLength"), "string length limits are not supported in structured output schemas"),
    **dict.fromkeys(("maxItems", "uniqueItems", "contains", "minContains", "maxContains", "prefixItems",
                     "unevaluatedItems"),
                    "array constraints other than minItems 0 or 1 are not supported in structured output schemas"),
    **dict.fromkeys(("minProperties", "maxProperties", "patternProperties", "propertyNames",
                     "unevaluatedProperties", "dependentRequired", "dependentSchemas"),
                    "object constraints other than properties, required and additionalProperties: false are not "
                    "supported in structured output schemas"),
    "pattern": "regular expression patterns are not supported by the offline emulator; remove `pattern` and "
               "check the value in your code",
    "oneOf": "`oneOf` is not supported in structured output schemas; use `anyOf`",
    "not": "`not` is not supported in structured output schemas",
    **dict.fromkeys(("if", "then", "else"), "conditional schemas are not supported in structured output schemas"),
}
RECURSIVE = "Too many recursive definitions in schema"
TOO_COMPLEX = "Schema is too complex"


def check(schema: Any, path: str) -> None:
    """Raise a 400 (:func:`invalid`, message ``"<path>: <problem>"``) for what the API would refuse.

    ``path`` is where the schema sits in the request body, e.g. ``output_config.format.schema``."""
    if not isinstance(schema, dict):
        raise invalid(f"{path}: Input should be a valid dictionary (a JSON schema)", path)
    _Checker(schema, path).node(schema, path, ())


class _Checker:
    def __init__(self, root: dict, root_path: str) -> None:
        self.root = root
        self.root_path = root_path
        self.nodes = 0

    def node(self, schema: Any, path: str, refs: tuple[str, ...]) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise invalid(f"{self.root_path}: {TOO_COMPLEX}", self.root_path)
        if isinstance(schema, bool):
            return  # true/false subschemas (e.g. items: true)
        if not isinstance(schema, dict):
            raise invalid(f"{path}: Input should be a valid dictionary (a JSON schema)", path)
        for key in schema:
            if key in _UNSUPPORTED:
                raise invalid(f"{path}.{key}: {_UNSUPPORTED[key]}", f"{path}.{key}")
            if key not in _KEYWORDS:
                raise invalid(f"{path}.{key}: `{key}` is not a supported JSON schema keyword in structured outputs",
                              f"{path}.{key}")
        if "$ref" in schema:
            ref = schema["$ref"]
            if ref in refs:
                raise invalid(f"{self.root_path}: {RECURSIVE}", self.root_path)
            self.node(resolve(self.root, ref, f"{path}.$ref"), f"{path}.$ref", (*refs, ref))
        kinds = schema.get("type")
        if kinds is not None:
            listed = kinds if isinstance(kinds, list) else [kinds]
            if not listed or any(k not in TYPES for k in listed):
                raise invalid(f"{path}.type: expected one of {', '.join(TYPES)} (or a list of them), got {kinds!r}",
                              f"{path}.type")
        if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
            raise invalid(f"{path}.enum: expected a non-empty list of values", f"{path}.enum")
        if "format" in schema and schema["format"] not in FORMATS:
            raise invalid(f"{path}.format: string format {schema['format']!r} is not supported; use one of "
                          f"{', '.join(FORMATS)}", f"{path}.format")
        if "minItems" in schema and schema["minItems"] not in (0, 1):
            raise invalid(f"{path}.minItems: minItems above 1 is not supported in structured output schemas "
                          f"(got {schema['minItems']!r}); use 0 or 1", f"{path}.minItems")
        extra = schema.get("additionalProperties", False)
        if extra is not False:
            raise invalid(f"{path}.additionalProperties: only `false` is supported in structured output schemas",
                          f"{path}.additionalProperties")
        props = schema.get("properties", {})
        if not isinstance(props, dict):
            raise invalid(f"{path}.properties: Input should be a valid dictionary", f"{path}.properties")
        required = schema.get("required", [])
        if not isinstance(required, list) or any(not isinstance(r, str) for r in required):
            raise invalid(f"{path}.required: expected a list of property names", f"{path}.required")
        # Checked only where properties are listed: an allOf branch may require what another defines.
        missing = [r for r in required if r not in props] if "properties" in schema else []
        if missing:
            raise invalid(f"{path}.required: {missing[0]!r} is required but not defined in `properties`",
                          f"{path}.required")
        for name, sub in props.items():
            self.node(sub, f"{path}.properties.{name}", refs)
        if "items" in schema:
            self.node(schema["items"], f"{path}.items", refs)
        for key in ("anyOf", "allOf"):
            if key in schema:
                branches = schema[key]
                if not isinstance(branches, list) or not branches:
                    raise invalid(f"{path}.{key}: expected a non-empty list of schemas", f"{path}.{key}")
                for i, sub in enumerate(branches):
                    self.node(sub, f"{path}.{key}.{i}", refs)
        for key in ("$defs", "definitions"):
            defs = schema.get(key)
            if defs is not None and not isinstance(defs, dict):
                raise invalid(f"{path}.{key}: Input should be a valid dictionary", f"{path}.{key}")


def resolve(root: dict, ref: Any, path: str) -> Any:
    """The schema a local ``$ref`` (``#/$defs/Name``, ``#/definitions/Name``, ``#``) points at, else a 400."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise invalid(f"{path}: only local references ('#/$defs/...') are supported, got {ref!r}", path)
    node: Any = root
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise invalid(f"{path}: reference {ref!r} points at nothing in the schema", path)
        node = node[part]
    return node


# ----------------------------------------------------------------------------- sampling

class ValueSampler:
    """Draws values for a checked schema. ``words`` continue ``prompt`` through the n-gram model."""

    def __init__(self, model: NGramModel, prompt: str, params: SamplingParams, rng: random.Random) -> None:
        self.rng = rng
        self.greedy = params.temperature <= 0
        self._words = _words(model.tokens(prompt, params, rng, endless=True))

    def choose(self, n: int) -> int:
        """An index below ``n``: 0 at temperature 0, else drawn by the RNG."""
        return 0 if self.greedy or n <= 1 else self.rng.randrange(n)

    def words(self, low: int, high: int) -> str:
        """``low``..``high`` sampled words joined by spaces (``low`` at temperature 0)."""
        return " ".join(next(self._words) for _ in range(low + self.choose(high - low + 1)))

    def word(self) -> str:
        """One lower-case ASCII word (for emails, hosts, URLs)."""
        for w in self._words:
            ascii_word = "".join(c for c in w.lower() if "a" <= c <= "z")
            if ascii_word:
                return ascii_word
        raise AssertionError("the word stream is endless")  # pragma: no cover

    def number(self, low: int, high: int) -> int:
        return low if self.greedy else self.rng.randint(low, high)


def _words(tokens: Iterator[str]) -> Iterator[str]:
    for tok in tokens:
        w = tok.strip()
        if w[:1].isalpha():
            yield w


def generate(schema: dict, sampler: ValueSampler) -> Any:
    """A value valid for ``schema`` (already passed :func:`check`)."""
    return _Generator(schema, sampler).value(schema)


class _Generator:
    def __init__(self, root: dict, sampler: ValueSampler) -> None:
        self.root = root
        self.s = sampler

    def value(self, schema: Any) -> Any:
        s = self.s
        if schema is True or schema == {}:
            return s.words(1, 3)
        while "$ref" in schema:
            schema = {**resolve(self.root, schema["$ref"], "$ref"),
                      **{k: v for k, v in schema.items() if k != "$ref"}}
        if "allOf" in schema:
            return self.value(self._merge(schema))
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][s.choose(len(schema["enum"]))]
        if "anyOf" in schema:
            branches = schema["anyOf"]
            return self.value(branches[s.choose(len(branches))])
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = kind[s.choose(len(kind))]
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        return getattr(self, "_" + kind)(schema)

    def _merge(self, schema: dict) -> dict:
        """``allOf`` as one schema: properties and required united, other keywords from the last branch."""
        merged: dict = {k: v for k, v in schema.items() if k != "allOf"}
        for branch in schema["allOf"]:
            while isinstance(branch, dict) and "$ref" in branch:
                branch = {**resolve(self.root, branch["$ref"], "$ref"),
                          **{k: v for k, v in branch.items() if k != "$ref"}}
            if not isinstance(branch, dict):
                continue
            if "allOf" in branch:
                branch = self._merge(branch)
            for key, val in branch.items():
                if key == "properties":
                    merged["properties"] = {**merged.get("properties", {}), **val}
                elif key == "required":
                    merged["required"] = list(dict.fromkeys([*merged.get("required", []), *val]))
                else:
                    merged[key] = val
        return merged

    def _object(self, schema: dict) -> dict:
        props = schema.get("properties", {})
        if not props and "additionalProperties" not in schema:
            # A free-form object (e.g. OpenAI's json_object): a few sampled keys with text values.
            return {self.s.word(): self.s.words(1, 4) for _ in range(1 + self.s.choose(3))}
        required = set(schema.get("required", []))
        out = {}
        for name, sub in props.items():
            if name in required or self.s.greedy or self.s.rng.random() < 0.5:
                out[name] = self.value(sub)
        return out

    def _array(self, schema: dict) -> list:
        low = schema.get("minItems", 0)
        length = max(low, 1) if self.s.greedy else low + self.s.rng.randint(0 if low else 1, 3)
        return [self.value(schema.get("items", {})) for _ in range(length)]

    def _string(self, schema: dict) -> str:
        fmt = schema.get("format")
        return _FORMATTERS[fmt](self.s) if fmt else self.s.words(1, 5)

    def _integer(self, schema: dict) -> int:
        return self.s.number(1, 100)

    def _number(self, schema: dict) -> float:
        return 1.5 if self.s.greedy else round(self.s.rng.uniform(0, 100), 2)

    def _boolean(self, schema: dict) -> bool:
        return self.s.choose(2) == 0

    def _null(self, schema: dict) -> None:
        return None


def _date(s: ValueSampler) -> str:
    return f"{s.number(2000, 2030):04d}-{s.number(1, 12):02d}-{s.number(1, 28):02d}"


def _time(s: ValueSampler) -> str:
    return f"{s.number(0, 23):02d}:{s.number(0, 59):02d}:{s.number(0, 59):02d}Z"


_FORMATTERS = {
    "date": _date,
    "time": _time,
    "date-time": lambda s: f"{_date(s)}T{_time(s)}",
    "duration": lambda s: f"P{s.number(1, 30)}DT{s.number(0, 23)}H{s.number(0, 59)}M",
    "email": lambda s: f"{s.word()}@example.com",
    "hostname": lambda s: f"{s.word()}.example.com",
    "uri": lambda s: f"https://example.com/{s.word()}",
    "ipv4": lambda s: f"192.0.2.{s.number(1, 254)}",
    "ipv6": lambda s: f"2001:db8::{s.number(1, 0xFFFF):x}",
    "uuid": lambda s: str(uuid.UUID(int=s.number(0, 2**128 - 1), version=4)),
}

"""How deep JSON may nest: one limit, checked before any recursive JSON work (``json.loads``,
``json.dumps``, schema walks), so a pathological value gets a message naming its field instead of
a ``RecursionError``.

    >>> check_depth({"a": [1, 2]}, "tools")
    >>> loads_checked("[[[1]]]", "tools", limit=2)
    Traceback (most recent call last):
    ...
    playground.errors.ParameterError: tools: nests deeper than 2 levels; ...

Everything here is iterative: measuring a value 100,000 levels deep costs no stack.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ParameterError

# Real tool schemas and messages nest a few dozen levels at most; Python's json gives up near 1,000.
MAX_JSON_DEPTH = 64
ELIDED = "<nested deeper than {limit} levels: not kept>"


def depth(value: Any) -> int:
    """How many dict/list/tuple levels ``value`` nests (a scalar is 0, ``[]`` is 1)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in item)
    return deepest


def text_depth(text: str) -> int:
    """The bracket nesting of JSON ``text`` (brackets inside strings do not count), without parsing it."""
    deepest = level = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            level += 1
            deepest = max(deepest, level)
        elif char in "]}":
            level -= 1
    return deepest


def _refusal(field: str, limit: int) -> ParameterError:
    return ParameterError(field, f"nests deeper than {limit} levels; flatten it (real schemas and messages "
                          "need far fewer levels).")


def check_depth(value: Any, field: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise ParameterError naming ``field`` when ``value`` nests deeper than ``limit``."""
    if depth(value) > limit:
        raise _refusal(field, limit)


def check_text_depth(text: str, field: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise ParameterError naming ``field`` when JSON ``text`` nests deeper than ``limit`` (checked
    without parsing, so call it before ``json.loads``)."""
    if text_depth(text) > limit:
        raise _refusal(field, limit)


def loads_checked(text: str, field: str, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads(text)`` for a user-typed ``field``: too deep or invalid JSON is a ParameterError naming it."""
    check_text_depth(text, field, limit)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ParameterError(field, f"is not valid JSON ({exc}).") from None


def elide_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> Any:
    """A copy of ``value`` in which anything nested deeper than ``limit`` levels is replaced by a
    short marker string, so it can always be serialised and stored (the run is kept, its
    pathological part is not). Returns ``value`` itself when it is shallow enough."""
    if depth(value) <= limit:
        return value
    marker = ELIDED.format(limit=limit)
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 1)]
    while stack:
        item, parent, key, level = stack.pop()
        if isinstance(item, dict | list | tuple) and level > limit:
            parent[key] = marker
        elif isinstance(item, dict):
            copy: dict[Any, Any] = {}
            parent[key] = copy
            for k, v in item.items():
                copy[k] = None
                stack.append((v, copy, k, level + 1))
        elif isinstance(item, list | tuple):
            items: list[Any] = [None] * len(item)
            parent[key] = items
            stack.extend((v, items, i, level + 1) for i, v in enumerate(item))
        else:
            parent[key] = item
    return root[0]

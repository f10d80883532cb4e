"""Settings <-> a URL query string, so a link reopens the playground with the same settings.

    query = to_query(settings, prompt="Write a haiku", include_prompt=True)
    link = f"https://host/?{query}"
    settings, prompt, problems = from_query({"model": "tiny", "temperature": "0.3"})

Beside the RunSettings fields a link carries the Playground's own settings that are not sampling
parameters (adaptive thinking, tools, tool_choice, prompt caching: ``EXTRA_KEYS``), as the Playground's
controls hold them, each checked on the way in by :func:`check_extras`.

A link never carries an API key (there is no field for one, and key-looking query parameters are
ignored on the way in); the prompt goes in only when the user opts in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

from .. import catalog
from ..secrets import redactor
from .settings import RunSettings

_FLOATS = ("temperature", "top_p")
_INTS = ("top_k", "max_tokens", "thinking_budget")
SHARE_KEYS = ("model", "system", *_FLOATS, *_INTS, "stop", "effort", "prompt")
MAX_FIELD_CHARS = 20_000  # a shared link is not a file transfer
EXTRA_KEYS = ("thinking", "tools", "tool_choice", "cache", "cache_ttl")
_EXTRA_CHOICES = {"thinking": ("adaptive",), "cache": ("system", "auto"), "cache_ttl": ("5m", "1h")}
_TOOL_CHOICE = re.compile(r"^(auto|any|none|tool:[A-Za-z0-9_-]{1,128})$")


def to_query(settings: RunSettings, *, prompt: str = "", include_prompt: bool = False,
             extras: Mapping[str, str] | None = None) -> str:
    """The query string (without ``?``) for ``settings`` and the Playground ``extras`` (see
    :func:`check_extras`); ``prompt`` is included only if ``include_prompt``. Raises ValueError naming
    an extra the link cannot carry (too long, or a value it would refuse when opened), rather than
    making a link that silently lacks it."""
    extra_pairs, problems = check_extras(extras or {})
    if problems:
        raise ValueError("the link cannot carry " + " ".join(problems))
    pairs: list[tuple[str, str]] = [("model", settings.model)]
    if settings.system:
        pairs.append(("system", settings.system))
    for name in (*_FLOATS, *_INTS):
        value = getattr(settings, name)
        if value is not None:
            pairs.append((name, f"{value:g}" if isinstance(value, float) else str(value)))
    if settings.stop:
        pairs.append(("stop", json.dumps(list(settings.stop), ensure_ascii=False)))
    if settings.effort:
        pairs.append(("effort", settings.effort))
    pairs.extend(extra_pairs.items())
    if include_prompt and prompt:
        pairs.append(("prompt", prompt))
    mask = redactor()  # a key pasted into a prompt or system text must not travel in a link
    return urlencode([(name, mask.text(value)) for name, value in pairs])


def from_query(params: Mapping[str, str]) -> tuple[RunSettings, str, list[str]]:
    """Settings, prompt ('' if absent) and a list of problems (bad values are skipped, not fatal).

    Unknown parameters — including anything like ``api_key`` — are ignored.
    """
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, raw in _given(params, SHARE_KEYS, MAX_FIELD_CHARS, problems):
        try:
            if name in _FLOATS:
                value: Any = float(raw)
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"{value:g} is outside 0..1")
            elif name in _INTS:
                value = int(raw)
                if value < (0 if name == "top_k" else 1):
                    raise ValueError(f"{value} is too small")
            elif name == "stop":
                value = json.loads(raw)
                if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                    raise ValueError("expected a JSON list of strings")
                value = tuple(value)
            elif name == "model":
                value = catalog.resolve(raw.strip())
            else:
                value = raw
        except (ValueError, json.JSONDecodeError) as exc:
            problems.append(f"{name}: {exc}; ignored.")
            continue
        values[name] = value
    prompt = values.pop("prompt", "")
    return RunSettings(**values), prompt, problems


def check_extras(extras: Mapping[str, object], *, max_chars: int | None = MAX_FIELD_CHARS
                 ) -> tuple[dict[str, str], list[str]]:
    """The valid Playground extras in ``extras`` (a link's query or a preset), and a problem for each
    value refused. Unknown names are ignored; blank values mean "the Playground's default".
    ``max_chars``: the longest value taken (None: no limit, for a preset file)."""
    valid: dict[str, str] = {}
    problems: list[str] = []
    for name, raw in _given(extras, EXTRA_KEYS, max_chars, problems):
        if name in _EXTRA_CHOICES and raw not in _EXTRA_CHOICES[name]:
            problems.append(f"{name}: expected {' or '.join(_EXTRA_CHOICES[name])}, got {raw[:40]!r}; ignored.")
        elif name == "tool_choice" and not _TOOL_CHOICE.match(raw):
            problems.append(f"tool_choice: expected auto, any, none or tool:NAME, got {raw[:40]!r}; ignored.")
        elif name == "tools" and not _is_tool_list(raw):
            problems.append("tools: expected a JSON list of tool objects; ignored.")
        else:
            valid[name] = raw
    return valid, problems


def _given(params: Mapping[str, object], names: tuple[str, ...], max_chars: int | None,
           problems: list[str]) -> Iterator[tuple[str, str]]:
    """``(name, text)`` of each of ``names`` that ``params`` sets (blank = not set); a value longer
    than ``max_chars`` is skipped with a problem added."""
    for name in names:
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        raw = str(raw)
        if max_chars is not None and len(raw) > max_chars:
            problems.append(f"{name}: longer than {max_chars} characters, ignored.")
            continue
        yield name, raw


def _is_tool_list(text: str) -> bool:
    try:
        tools = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(tools, list) and all(isinstance(t, dict) for t in tools)

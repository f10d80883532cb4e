"""Settings <-> a URL query string, so a link reopens the playground with the same settings.

    query = to_query(settings, prompt="Write a haiku", include_prompt=True)
    link = f"https://host/?{query}"
    settings, prompt, problems = from_query({"model": "tiny", "temperature": "0.3"})

A link never carries an API key (there is no field for one, and key-looking query parameters are
ignored on the way in); the prompt goes in only when the user opts in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from .. import catalog
from .settings import RunSettings

_FLOATS = ("temperature", "top_p")
_INTS = ("top_k", "max_tokens", "thinking_budget")
SHARE_KEYS = ("model", "system", *_FLOATS, *_INTS, "stop", "effort", "prompt")
MAX_FIELD_CHARS = 20_000  # a shared link is not a file transfer


def to_query(settings: RunSettings, *, prompt: str = "", include_prompt: bool = False) -> str:
    """The query string (without ``?``) for ``settings``; ``prompt`` is included only if ``include_prompt``."""
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
    if include_prompt and prompt:
        pairs.append(("prompt", prompt))
    return urlencode(pairs)


def from_query(params: Mapping[str, str]) -> tuple[RunSettings, str, list[str]]:
    """Settings, prompt ('' if absent) and a list of problems (bad values are skipped, not fatal).

    Unknown parameters — including anything like ``api_key`` — are ignored.
    """
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name in SHARE_KEYS:
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        raw = str(raw)
        if len(raw) > MAX_FIELD_CHARS:
            problems.append(f"{name}: longer than {MAX_FIELD_CHARS} characters, ignored.")
            continue
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

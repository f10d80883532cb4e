"""Settings <-> a URL query string, so a link reopens the playground with the same settings.

    query = to_query(settings, prompt="Write a haiku", include_prompt=True)
    link = f"https://host/?{query}"
    settings, prompt, problems = from_query({"model": "tiny", "temperature": "0.3"})

A link carries the fields of :class:`~playground.settings.RunSettings` that differ from the defaults,
by their own names (lists and objects as JSON), checked on the way in by the same rules as every other
way settings arrive (:meth:`RunSettings.parse_json`): a bad value is skipped and named, in words.

A link never carries an API key (there is no field for one, and unknown query parameters are ignored),
nor where requests go (backend, base URL) or the offline test switches: opening a link must not
point the visitor's key at someone else's server. The prompt goes in only when the user opts in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from ..secrets import redactor
from ..settings import FIELDS, OFFLINE_ONLY, RunSettings, upgrade_json

MAX_FIELD_CHARS = 20_000  # a shared link is not a file transfer
NOT_SHARED = ("backend", "base_url", *OFFLINE_ONLY)
SHARE_KEYS: tuple[str, ...] = (*(f for f in FIELDS if f not in NOT_SHARED), "stop", "prompt")
_JSON_FIELDS = ("stop_sequences", "tools", "response_format")


def to_query(settings: RunSettings, *, prompt: str = "", include_prompt: bool = False) -> str:
    """The query string (without ``?``) for ``settings``; ``prompt`` is included only if ``include_prompt``.
    Raises ValueError naming a field the link cannot carry (longer than ``MAX_FIELD_CHARS``), rather
    than making a link that silently lacks it."""
    mask = redactor().text  # a link is meant to be passed around: no key the server knows goes in it
    pairs: list[tuple[str, str]] = [("model", settings.model)]
    for name, value in settings.changed().items():
        if name in NOT_SHARED or name == "model":
            continue
        text = json.dumps(value, ensure_ascii=False) if name in _JSON_FIELDS else (
            ("true" if value else "false") if isinstance(value, bool) else
            (f"{value:g}" if isinstance(value, float) else str(value)))
        if len(text) > MAX_FIELD_CHARS:
            raise ValueError(f"the link cannot carry {name}: it is longer than {MAX_FIELD_CHARS:,} characters "
                             "(save a preset instead).")
        pairs.append((name, mask(text)))
    if include_prompt and prompt:
        pairs.append(("prompt", mask(prompt)))
    mask = redactor()  # a key pasted into a prompt or system text must not travel in a link
    return urlencode([(name, mask.text(value)) for name, value in pairs])


def from_query(params: Mapping[str, str]) -> tuple[RunSettings, str, list[str], set[str]]:
    """Settings, the prompt ('' if absent), a sentence for each value refused (skipped, not fatal),
    and the names of the fields the link set (so a page restores only those).

    Unknown parameters — including anything like ``api_key`` — are ignored.
    """
    data: dict[str, Any] = {}
    problems: list[str] = []
    for name in SHARE_KEYS:
        raw = params.get(name)
        if raw is None or raw == "" or name == "prompt":
            continue
        raw = str(raw)
        if len(raw) > MAX_FIELD_CHARS:
            problems.append(f"{name}: longer than {MAX_FIELD_CHARS:,} characters; ignored.")
            continue
        if name in (*_JSON_FIELDS, "stop"):
            try:
                data[name] = json.loads(raw)
            except (json.JSONDecodeError, RecursionError):
                problems.append(f"{name}: not valid JSON; ignored.")
                continue
        else:
            data[name] = raw
    settings, refused = RunSettings.parse_json(upgrade_json(data))
    problems += [f"{field}: {text.rstrip('.')}; ignored." for field, text in refused]
    given = set(upgrade_json(data)) - {field for field, _ in refused}
    if "thinking_budget" in given:
        given.add("thinking")
    return settings, str(params.get("prompt") or ""), problems, given

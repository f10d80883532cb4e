"""The settings panel's values as one dict, and that dict -> provider keyword arguments.

Pure functions, shared with the tuning tabs: they collect the same components (see
:class:`playground.ui.context.UIContext`) and call :func:`to_provider_kwargs`.

Stop sequences are typed one per line; inside a line ``\\n``, ``\\t`` and ``\\\\`` stand for a
newline, a tab and a backslash, so a sequence may hold newlines. Spaces are kept exactly.
"""

from __future__ import annotations

import json
import math
from typing import Any

from playground.errors import ParameterError
from playground.jsondepth import check_text_depth

# The keys of a settings dict, in the order the UI collects them.
SETTING_KEYS: tuple[str, ...] = (
    "backend", "base_url", "model", "system", "temperature", "top_p", "top_k", "max_tokens",
    "stop_sequences", "thinking", "thinking_budget", "effort", "stream", "tools", "tool_choice", "fault",
    "endless", "cache", "cache_ttl", "redact_thinking",
)

THINKING_MODES = ("off", "budget", "adaptive")
# Prompt caching: a breakpoint on the system prompt, or the API's automatic one (top-level
# ``cache_control``: on the last cacheable block, so each turn reads what the previous one wrote).
CACHE_MODES = ("off", "system", "auto")
CACHE_TTLS = ("5m", "1h")
DEFAULTS: dict[str, Any] = {
    "backend": "offline", "base_url": "", "model": "", "system": "", "temperature": None, "top_p": None,
    "top_k": None, "max_tokens": 1024, "stop_sequences": "", "thinking": "off", "thinking_budget": 2048,
    "effort": "", "stream": True, "tools": "", "tool_choice": "auto", "fault": "",
    "endless": False, "cache": "off", "cache_ttl": "5m", "redact_thinking": False,
}
# Offline emulator controls (sent to the offline backend only): fault injection, running to
# max_tokens instead of ending naturally after a few sentences (long streams for demos/benchmarks),
# and answering thinking as redacted_thinking (to see how an opaque block looks and goes back).
FAULT_HEADER = "x-emulator-fault"
ENDLESS_HEADER = "x-emulator-no-eos"
REDACT_THINKING_HEADER = "x-emulator-redact-thinking"

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}


def parse_stop_sequences(text: str | None) -> list[str]:
    """One sequence per non-empty line, with ``\\n``/``\\t``/``\\\\`` escapes.

    >>> parse_stop_sequences("END\\n\\\\n\\\\nQ:")
    ['END', '\\n\\nQ:']
    """
    out: list[str] = []
    for line in (text or "").split("\n"):
        line = line.removesuffix("\r")
        if not line:
            continue
        chars: list[str] = []
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "\\" and i + 1 < len(line) and line[i + 1] in _ESCAPES:
                chars.append(_ESCAPES[line[i + 1]])
                i += 2
                continue
            chars.append(ch)
            i += 1
        out.append("".join(chars))
    return out


def _number(name: str, value: Any, *, integer: bool = False) -> float | int | None:
    """A UI number: blank -> None (the model's default); non-finite -> ParameterError."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(name, f"expected a number, got {value!r}.") from None
    if not math.isfinite(number):
        raise ParameterError(name, "must be a finite number.")
    if integer:
        if number != int(number):
            raise ParameterError(name, f"must be a whole number, got {value!r}.")
        return int(number)
    return number


def parse_tools(text: str | None) -> list[dict[str, Any]] | None:
    """The tools box: blank -> None; else a JSON list (or one object) of Anthropic tool dicts."""
    if not text or not text.strip():
        return None
    check_text_depth(text, "tools")  # before json.loads, which would overflow the stack on deep input
    try:
        tools = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParameterError("tools", f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    if isinstance(tools, dict):
        tools = [tools]
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        raise ParameterError("tools", "expected a JSON list of tool objects like "
                                      '[{"name": "get_weather", "input_schema": {"type": "object"}}].')
    for i, tool in enumerate(tools):
        if "name" not in tool:
            raise ParameterError("tools", f"tool {i} has no \"name\".")
    return tools


def parse_tool_choice(value: str | None, has_tools: bool) -> dict[str, Any] | None:
    """``auto`` / ``any`` / ``none`` / ``tool:NAME`` -> the API's tool_choice (None without tools or for auto)."""
    choice = (value or "auto").strip()
    if not has_tools or choice in ("", "auto"):
        return None
    if choice in ("any", "none"):
        return {"type": choice}
    if choice.startswith("tool:") and choice[5:].strip():
        return {"type": "tool", "name": choice[5:].strip()}
    raise ParameterError("tool_choice", f"expected auto, any, none or tool:NAME, got {choice!r}.")


def to_provider_kwargs(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings dict -> keyword arguments for ``create_async_generator`` (model and messages excluded).

    Raises ParameterError (naming the setting) for values that cannot be sent at all; per-model rules
    are checked separately by ``playground.params``.

    >>> to_provider_kwargs({"max_tokens": 64, "stop_sequences": "END"})["stop"]
    ['END']
    """
    s = {**DEFAULTS, **settings}
    max_tokens = _number("max_tokens", s["max_tokens"], integer=True)
    if max_tokens is None or max_tokens < 1:
        raise ParameterError("max_tokens", "must be a whole number of at least 1.")
    tools = parse_tools(s["tools"])
    kwargs: dict[str, Any] = {
        "system": s["system"] if (s["system"] or "").strip() else None,
        "temperature": _number("temperature", s["temperature"]),
        "top_p": _number("top_p", s["top_p"]),
        "top_k": _number("top_k", s["top_k"], integer=True),
        "max_tokens": max_tokens,
        "stop": parse_stop_sequences(s["stop_sequences"]) or None,
        "stream": bool(s["stream"]),
        "tools": tools,
        "tool_choice": parse_tool_choice(s["tool_choice"], tools is not None),
        "thinking": None,
        "effort": (s["effort"] or None),
        "headers": None,
    }
    if s["backend"] == "offline":  # never send test headers to a real backend
        headers = {FAULT_HEADER: str(s["fault"])} if s["fault"] else {}
        if s["endless"]:
            headers[ENDLESS_HEADER] = "1"
        if s["redact_thinking"]:
            headers[REDACT_THINKING_HEADER] = "1"
        kwargs["headers"] = headers or None
    mode = s["thinking"] or "off"
    if mode not in THINKING_MODES:
        raise ParameterError("thinking", f"expected one of {', '.join(THINKING_MODES)}, got {mode!r}.")
    if mode == "budget":
        budget = _number("thinking_budget", s["thinking_budget"], integer=True)
        if budget is None:
            raise ParameterError("thinking_budget", "give a token budget (at least 1024) or turn thinking off.")
        kwargs["thinking"] = budget
    elif mode == "adaptive":
        kwargs["thinking"] = {"type": "adaptive"}
    if s["backend"] != "openai":  # cache_control is a Messages API field
        _apply_cache(kwargs, s["cache"] or "off", s["cache_ttl"] or "5m")
    return kwargs


def _apply_cache(kwargs: dict[str, Any], mode: str, ttl: str) -> None:
    if mode not in CACHE_MODES:
        raise ParameterError("cache", f"expected one of {', '.join(CACHE_MODES)}, got {mode!r}.")
    if ttl not in CACHE_TTLS:
        raise ParameterError("cache_ttl", f"expected 5m or 1h, got {ttl!r}.")
    control = {"type": "ephemeral"} if ttl == "5m" else {"type": "ephemeral", "ttl": ttl}
    if mode == "system":
        if kwargs["system"] is None:
            raise ParameterError("cache", "there is no system prompt to cache: write one, or cache the whole prompt.")
        kwargs["system"] = [{"type": "text", "text": kwargs["system"], "cache_control": control}]
    elif mode == "auto":
        kwargs["extra_data"] = {"cache_control": control}


def validation_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The subset of provider kwargs that ``playground.params.validate_params``/``problems`` take."""
    keys = ("temperature", "top_p", "top_k", "max_tokens", "stop", "thinking", "tool_choice", "effort")
    return {k: kwargs.get(k) for k in keys}


def __getattr__(name: str) -> Any:
    # The per-run streaming function lives in runner.py (it needs asyncio and the providers);
    # re-exported here lazily so the tuning tabs find everything settings-related in one place.
    if name in ("stream_run", "RunControl", "RunRequest"):
        from playground.ui import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Parameter checks before any request: ranges, and each model's rules from the catalog.

Every problem names the parameter and says the fix, so a UI can show it next to the control.

    >>> problems("claude-opus-4-7", temperature=0.5)
    ['temperature: Claude Opus 4.7 does not accept temperature, top_p or top_k; leave it unset.']
"""

from __future__ import annotations

import math
import re
from typing import Any

from . import apiversion, catalog
from .catalog import SamplingPolicy
from .errors import ParameterError

MIN_THINKING_BUDGET = 1024
_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TOOL_CHOICES = ("auto", "any", "tool", "none")
_DEFAULTS = {"temperature": 1.0, "top_p": 1.0}  # what "the default" means for defaults-only models


def normalize_thinking(thinking: Any) -> dict[str, Any] | None:
    """``thinking`` as the API's object: an int budget -> ``enabled``; ``"adaptive"``/``"disabled"``
    -> that type; a dict unchanged (copied); None/0/False -> None. Raises ParameterError otherwise."""
    if thinking is None or thinking is False or (isinstance(thinking, int) and not isinstance(thinking, bool)
                                                 and thinking == 0):
        return None
    if isinstance(thinking, bool):
        raise ParameterError("thinking", "give a token budget (an int), 'adaptive', or a thinking object, not True.")
    if isinstance(thinking, int):
        return {"type": "enabled", "budget_tokens": thinking}
    if isinstance(thinking, str) and thinking in ("adaptive", "disabled", "enabled"):
        if thinking == "enabled":
            raise ParameterError("thinking", "'enabled' needs a budget: pass an int such as 2048.")
        return {"type": thinking}
    if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive", "disabled"):
        return dict(thinking)
    raise ParameterError("thinking", f"expected a budget (int), 'adaptive', or {{'type': 'enabled'|'adaptive'|"
                         f"'disabled', ...}}, got {thinking!r}.")


def normalize_tool_choice(tool_choice: Any) -> dict[str, Any] | None:
    """``"auto"`` -> ``{"type": "auto"}``; a dict is checked and copied. Raises ParameterError."""
    if tool_choice is None:
        return None
    if isinstance(tool_choice, str):
        tool_choice = {"type": tool_choice}
    if not isinstance(tool_choice, dict) or tool_choice.get("type") not in TOOL_CHOICES:
        raise ParameterError("tool_choice", f"expected auto, any, none or {{'type': 'tool', 'name': ...}}, "
                             f"got {tool_choice!r}.")
    if tool_choice["type"] == "tool" and not tool_choice.get("name"):
        raise ParameterError("tool_choice", "type 'tool' needs the tool's name: {'type': 'tool', 'name': 'get_weather'}.")
    flag = tool_choice.get("disable_parallel_tool_use")
    if flag is not None and not isinstance(flag, bool):
        raise ParameterError("tool_choice", f"disable_parallel_tool_use must be True or False, got {flag!r}.")
    return dict(tool_choice)


def prefill_problem(model: str | None, messages: Any) -> str | None:
    """Why ``model`` would refuse ``messages`` (Anthropic-shaped, as sent) for ending in an assistant
    turn (a prefill), or None. Only models the catalog knows are checked (reference §1.3)."""
    info = catalog.get(model)
    if info is None or info.accepts_prefill:
        return None
    if not isinstance(messages, (list, tuple)) or not messages:
        return None
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "assistant":
        return None
    allowing = next((m.display_name for m in catalog.MODELS if m.accepts_prefill), None)
    return (f"{info.display_name} does not accept a prefill (a final assistant message); remove the trailing "
            "assistant turn or pick a model that allows prefill" + (f", such as {allowing}." if allowing else "."))


def check_prefill(model: str | None, messages: Any) -> None:
    """Raise ParameterError (``param == "messages"``) when :func:`prefill_problem` finds one."""
    problem = prefill_problem(model, messages)
    if problem:
        raise ParameterError("messages", problem)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _ranges(temperature: Any, top_p: Any, top_k: Any, max_tokens: Any, stop: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name, value in (("temperature", temperature), ("top_p", top_p)):
        if value is not None and not (_is_number(value) and 0 <= value <= 1):
            found.append((name, f"must be a number from 0 to 1, got {value!r}."))
    if top_k is not None and not (isinstance(top_k, int) and not isinstance(top_k, bool) and top_k >= 1):
        found.append(("top_k", f"must be a whole number of at least 1, got {top_k!r}."))
    if not (isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens >= 1):
        found.append(("max_tokens", f"must be a whole number of at least 1, got {max_tokens!r}."))
    if stop is not None:
        if isinstance(stop, str) or not isinstance(stop, (list, tuple)):
            found.append(("stop", f"give a list of strings, like ['END'], got {stop!r}."))
        else:
            for i, seq in enumerate(stop):
                if not isinstance(seq, str) or not seq.strip():
                    found.append(("stop", f"stop sequence {i + 1} is empty or whitespace ({seq!r}); remove it."))
    return found


def _sampling(info: catalog.ModelInfo, temperature: Any, top_p: Any, top_k: Any) -> list[tuple[str, str]]:
    given = {k: v for k, v in (("temperature", temperature), ("top_p", top_p), ("top_k", top_k)) if v is not None}
    if info.sampling is SamplingPolicy.NONE:
        return [(k, f"{info.display_name} does not accept temperature, top_p or top_k; leave it unset.") for k in given]
    if info.sampling is SamplingPolicy.DEFAULTS_ONLY:
        return [(k, f"{info.display_name} only accepts the default value here; leave it unset.")
                for k, v in given.items() if k not in _DEFAULTS or v != _DEFAULTS[k]]
    if info.sampling is SamplingPolicy.EITHER_ONE and "temperature" in given and "top_p" in given:
        return [("top_p", f"{info.display_name} rejects temperature and top_p together; set only one of them.")]
    return []


def _thinking(info: catalog.ModelInfo | None, thinking: dict[str, Any] | None, max_tokens: Any, temperature: Any,
              top_p: Any, top_k: Any, tool_choice: dict[str, Any] | None) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    kind = thinking["type"] if thinking else None
    if info is not None:
        if kind == "disabled" and info.always_thinks:
            found.append(("thinking", f"{info.display_name} always thinks; leave thinking unset instead of disabling it."))
        elif kind in ("enabled", "adaptive") and kind not in info.thinking_modes:
            modes = " or ".join(info.thinking_modes) or "no thinking"
            found.append(("thinking", f"{info.display_name} does not take {kind} thinking; use {modes}."))
    if kind == "enabled":
        budget = thinking.get("budget_tokens") if thinking else None
        if not (isinstance(budget, int) and not isinstance(budget, bool)):
            found.append(("thinking", f"budget_tokens must be a whole number, got {budget!r}."))
        elif budget < MIN_THINKING_BUDGET:
            found.append(("thinking", f"the budget must be at least {MIN_THINKING_BUDGET} tokens, got {budget}."))
        elif isinstance(max_tokens, int) and budget >= max_tokens:
            found.append(("thinking", f"the budget ({budget}) must be below max_tokens ({max_tokens}); "
                          f"raise max_tokens above {budget} or lower the budget."))
    thinks = kind in ("enabled", "adaptive") or (info is not None and info.always_thinks and kind != "disabled")
    if kind in ("enabled", "adaptive"):
        if temperature is not None and temperature != 1:
            found.append(("temperature", "with thinking on, temperature must be 1; leave it unset."))
        if top_k is not None:
            found.append(("top_k", "top_k cannot be used with thinking; leave it unset."))
        if top_p is not None and _is_number(top_p) and not 0.95 <= top_p <= 1:
            found.append(("top_p", "with thinking on, top_p must be between 0.95 and 1; leave it unset."))
    if thinks and tool_choice and tool_choice["type"] in ("any", "tool"):
        found.append(("tool_choice", "forced tool use (any/tool) cannot be combined with thinking; use auto or none."))
    return found


def _version(api_version: Any, temperature: Any, top_p: Any, top_k: Any) -> list[tuple[str, str]]:
    """The ``anthropic-version`` value, and the sampling parameters it no longer has."""
    if api_version is None:
        return []
    if not isinstance(api_version, str) or not _VERSION_RE.match(api_version) \
            or api_version < apiversion.DEFAULT_API_VERSION:
        known = " or ".join(apiversion.API_VERSIONS)
        return [("api_version", f"give an anthropic-version date such as {known}, got {api_version!r}.")]
    if not apiversion.removes_sampling(api_version):
        return []
    return [(name, apiversion.sampling_removed_reason(name, api_version))
            for name, value in (("temperature", temperature), ("top_p", top_p), ("top_k", top_k)) if value is not None]


def _collect(model: str | None, temperature: Any, top_p: Any, top_k: Any, max_tokens: Any, stop: Any,
             thinking: Any, tool_choice: Any, effort: Any, api_version: Any = None) -> list[tuple[str, str]]:
    found = _version(api_version, temperature, top_p, top_k)
    if any(param in apiversion.SAMPLING_PARAMS for param, _ in found):
        temperature = top_p = top_k = None  # they cannot be sent at all: their model rules do not matter
    found += _ranges(temperature, top_p, top_k, max_tokens, stop)
    info = catalog.get(model)
    try:
        thinking_obj = normalize_thinking(thinking)
    except ParameterError as exc:
        found.append((exc.param, str(exc).split(": ", 1)[1]))
        thinking_obj = None
    try:
        choice = normalize_tool_choice(tool_choice)
    except ParameterError as exc:
        found.append((exc.param, str(exc).split(": ", 1)[1]))
        choice = None
    if info is not None:
        found += _sampling(info, temperature, top_p, top_k)
        if isinstance(max_tokens, int) and max_tokens > info.max_output:
            found.append(("max_tokens", f"{info.display_name} writes at most {info.max_output:,} tokens; "
                          f"lower max_tokens to {info.max_output:,} or less."))
        if effort is not None and effort not in info.efforts:
            allowed = ", ".join(info.efforts) if info.efforts else "none (leave it unset)"
            found.append(("effort", f"{info.display_name} takes effort values: {allowed}; got {effort!r}."))
    found += _thinking(info, thinking_obj, max_tokens, temperature, top_p, top_k, choice)
    seen: set[tuple[str, str]] = set()
    return [p for p in found if not (p in seen or seen.add(p))]


def problems(model: str | None, *, temperature: Any = None, top_p: Any = None, top_k: Any = None,
             max_tokens: Any = 4096, stop: Any = None, thinking: Any = None, tool_choice: Any = None,
             effort: Any = None, api_version: Any = None) -> list[str]:
    """Every problem with these parameters for ``model`` (alias or id), as ``"param: fix"`` lines.

    ``api_version`` is the ``anthropic-version`` the request will carry (None: the default,
    2023-06-01); under 2026-10-21 any temperature, top_p or top_k is a problem (the version removed them)."""
    return [f"{param}: {text}" for param, text in _collect(model, temperature, top_p, top_k, max_tokens, stop,
                                                           thinking, tool_choice, effort, api_version)]


def validate_params(model: str | None, *, temperature: Any = None, top_p: Any = None, top_k: Any = None,
                    max_tokens: Any = 4096, stop: Any = None, thinking: Any = None, tool_choice: Any = None,
                    effort: Any = None, api_version: Any = None) -> None:
    """Raise ParameterError for the first problem (``.param`` names it); return None when all is fine."""
    found = _collect(model, temperature, top_p, top_k, max_tokens, stop, thinking, tool_choice, effort, api_version)
    if found:
        raise ParameterError(*found[0])


# A problem's parameter name -> the settings field it belongs to (playground.settings.RunSettings).
_FIELD_OF = {"stop": "stop_sequences"}


def collect_problems(model: str | None, *, temperature: Any = None, top_p: Any = None, top_k: Any = None,
                     max_tokens: Any = 4096, stop: Any = None, thinking: Any = None, tool_choice: Any = None,
                     effort: Any = None, api_version: Any = None) -> list[tuple[str, str]]:
    """Like :func:`problems`, as ``(settings field, fix)`` pairs (for a UI that shows each at its field)."""
    return [(_FIELD_OF.get(param, param), text) for param, text in _collect(
        model, temperature, top_p, top_k, max_tokens, stop, thinking, tool_choice, effort, api_version)]

"""Parse and validate a ``/v1/messages`` (or ``count_tokens``) body into a :class:`MessagesRequest`.

Checks run in the real API's spirit and with its error texts (reference §1, §4.3): required
fields, unknown fields, types and ranges, the model (404 if unknown), the conversation, then
the model's documented rules from :mod:`playground.catalog` (sampling policy, thinking modes,
effort, max output, prefill) — so the playground can show every rule offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from playground import apiversion, catalog
from playground.catalog import ModelInfo, SamplingPolicy

from . import structured
from .apierror import ApiError, invalid
from .caching import Layout, layout
from .conversation import Conversation, check_tools, system_tokens, walk
from .extras import Extras, parse_extras
from .sampler import SamplingParams

MESSAGES_FIELDS = frozenset({
    "model", "messages", "max_tokens", "system", "temperature", "top_p", "top_k", "stop_sequences",
    "stream", "tools", "tool_choice", "thinking", "metadata", "service_tier", "cache_control",
    "output_config", "inference_geo", "container", "context_management", "mcp_servers",
    "thread", "fallbacks", "speed", "diagnostics", "output_format",
})
COUNT_TOKENS_FIELDS = frozenset({
    "model", "messages", "system", "tools", "tool_choice", "thinking", "output_config",
    "cache_control", "context_management", "mcp_servers", "output_format",
})
OUTPUT_CONFIG_FIELDS = frozenset({"effort", "format", "task_budget"})
EFFORTS = ("low", "medium", "high", "xhigh", "max")


@dataclass
class MessagesRequest:
    """A validated request. ``thinking`` is ``None``, ``"enabled"`` or ``"adaptive"``."""

    model: str
    info: ModelInfo
    conversation: Conversation
    input_tokens: int
    max_tokens: int = 0
    params: SamplingParams = field(default_factory=SamplingParams)
    stop_sequences: list[str] = field(default_factory=list)
    stream: bool = False
    tools: list[dict] = field(default_factory=list)
    tool_choice: dict = field(default_factory=lambda: {"type": "auto"})
    thinking: str | None = None
    budget_tokens: int | None = None
    thinking_display: str = "summarized"
    effort: str | None = None
    cache: Layout = field(default_factory=Layout)  # blocks in cache order and the breakpoints
    output_schema: dict | None = None  # output_config.format's JSON schema: the reply is JSON valid for it
    extras: Extras = field(default_factory=Extras)


def lookup_model(model: Any) -> tuple[str, ModelInfo]:
    """Canonical id and catalog row for ``model`` (an id or alias), else a 404."""
    if not isinstance(model, str) or not model:
        raise invalid("model: Input should be a valid string", "model")
    info = catalog.get(model)
    if info is None:
        raise ApiError(404, f"model: {model}", param="model")
    return info.id, info


def _number(body: dict, name: str, lo: float, hi: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(f"{name}: Input should be a valid number", name)
    if value < lo:
        raise invalid(f"{name}: Input should be greater than or equal to {lo:g}", name)
    if value > hi:
        raise invalid(f"{name}: Input should be less than or equal to {hi:g}", name)
    return float(value)


def _integer(body: dict, name: str, lo: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"{name}: Input should be a valid integer", name)
    if value < lo:
        raise invalid(f"{name}: Input should be greater than or equal to {lo}", name)
    return value


def _reject_unknown(body: dict, allowed: frozenset[str]) -> None:
    for key in body:
        if key not in allowed:
            raise invalid(f"{key}: Extra inputs are not permitted", key)


def parse_messages(body: Any, *, count_only: bool = False, api_version: str | None = None) -> MessagesRequest:
    """Validate a Messages (or, with ``count_only``, a count_tokens) body sent with ``anthropic-version:
    api_version`` (None: the default, 2023-06-01)."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    for name in ("model", "messages") if count_only else ("model", "max_tokens", "messages"):
        if name not in body:
            raise invalid(f"{name}: Field required", name)
    _reject_unknown(body, COUNT_TOKENS_FIELDS if count_only else MESSAGES_FIELDS)
    model, info = lookup_model(body["model"])

    custom_tools, tool_tokens = check_tools(body.get("tools"))
    conversation = walk(body["messages"])
    sys_tokens = system_tokens(body.get("system"))
    input_tokens = conversation.input_tokens + sys_tokens + tool_tokens
    req = MessagesRequest(model, info, conversation, input_tokens, tools=custom_tools,
                          cache=layout(body, model, conversation, tool_tokens, sys_tokens))
    req.tool_choice = _tool_choice(body.get("tool_choice"), custom_tools)
    _thinking(body.get("thinking"), req)
    _effort(body.get("output_config"), req)
    _strict_tools(custom_tools, body.get("tools") or [])
    req.output_schema = _output_format(body)
    req.extras = parse_extras(body)
    if count_only:
        return req

    max_tokens = _integer(body, "max_tokens", 0)  # 0 is allowed: it pre-warms the cache
    if max_tokens is None:
        raise invalid("max_tokens: Input should be a valid integer", "max_tokens")
    req.max_tokens = max_tokens
    if req.max_tokens > info.max_output:
        raise invalid(f"max_tokens: {req.max_tokens} > {info.max_output}, which is the maximum allowed number of "
                      f"output tokens for {model}", "max_tokens")
    if req.input_tokens + req.max_tokens > info.context_window:
        raise invalid(f"prompt is too long: {req.input_tokens + req.max_tokens} tokens > {info.context_window} "
                      "maximum (input tokens plus max_tokens)", "messages")
    if apiversion.removes_sampling(api_version):
        for name in apiversion.SAMPLING_PARAMS:
            if name in body:
                raise invalid(f"{name}: Extra inputs are not permitted (anthropic-version {api_version} removed "
                              f"temperature, top_p and top_k; use anthropic-version {apiversion.DEFAULT_API_VERSION} "
                              "to send them)", name)
    temperature = _number(body, "temperature", 0, 1)
    top_p = _number(body, "top_p", 0, 1)
    top_k = _integer(body, "top_k", 0)
    req.stop_sequences = _stop_sequences(body.get("stop_sequences"))
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise invalid("stream: Input should be a valid boolean", "stream")
    req.stream = bool(stream)
    metadata = body.get("metadata")
    if metadata is not None and (not isinstance(metadata, dict) or set(metadata) - {"user_id"}):
        raise invalid("metadata: only `user_id` is permitted", "metadata")

    if req.thinking == "enabled" and req.budget_tokens is not None and req.max_tokens <= req.budget_tokens:
        raise invalid("`max_tokens` must be greater than `thinking.budget_tokens`.", "max_tokens")
    if info.id != catalog.EMULATOR_MODEL:
        _policy(info, temperature, top_p, top_k, req)
    req.params = SamplingParams(
        temperature=1.0 if temperature is None else temperature,
        top_k=top_k or None,
        top_p=top_p,
    )
    if conversation.ends_with_assistant and not info.accepts_prefill:
        raise invalid(f"Prefilling assistant messages is not supported for {info.id}: the last message must use "
                      "the \"user\" role. Remove the final assistant message, or use a model that allows "
                      "prefill.", "messages")
    if conversation.prefill and req.thinking and not conversation.prefill_starts_with_thinking:
        raise invalid("Expected `thinking` or `redacted_thinking`, but found `text`. When `thinking` is enabled, "
                      "a final `assistant` message must start with a thinking block.", "messages")
    return req


def _stop_sequences(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("stop_sequences: Input should be a valid list", "stop_sequences")
    for i, seq in enumerate(value):
        if not isinstance(seq, str):
            raise invalid(f"stop_sequences.{i}: Input should be a valid string", "stop_sequences")
        if not seq.strip():
            raise invalid("stop_sequences: each stop sequence must contain non-whitespace", "stop_sequences")
    return list(value)


def _tool_choice(value: Any, tools: list[dict]) -> dict:
    if value is None:
        return {"type": "auto"}
    if not isinstance(value, dict) or value.get("type") not in ("auto", "any", "tool", "none"):
        raise invalid("tool_choice.type: Input tag found using 'type' does not match any of the expected tags: "
                      "'auto', 'any', 'tool', 'none'", "tool_choice")
    kind = value["type"]
    if "disable_parallel_tool_use" in value:
        flag = value["disable_parallel_tool_use"]
        if kind == "none":
            raise invalid("tool_choice.none.disable_parallel_tool_use: Extra inputs are not permitted",
                          "tool_choice.disable_parallel_tool_use")
        if not isinstance(flag, bool):  # pydantic-strict like the API: 1 or "true" are not booleans
            raise invalid(f"tool_choice.{kind}.disable_parallel_tool_use: Input should be a valid boolean",
                          "tool_choice.disable_parallel_tool_use")
    if kind in ("any", "tool") and not tools:
        raise invalid(f"tool_choice: `{kind}` requires `tools` to be provided", "tool_choice")
    if kind == "tool":
        name = value.get("name")
        if not isinstance(name, str) or name not in {t["name"] for t in tools}:
            raise invalid(f"tool_choice.tool.name: no tool named {name!r} in `tools`", "tool_choice.name")
    return value


def _thinking(value: Any, req: MessagesRequest) -> None:
    info = req.info
    if value is None:
        if info.always_thinks:  # such models think even when not asked to (reference §1.8)
            req.thinking = "adaptive"
        return
    if not isinstance(value, dict) or value.get("type") not in ("enabled", "adaptive", "disabled"):
        raise invalid("thinking.type: Input tag found using 'type' does not match any of the expected tags: "
                      "'enabled', 'adaptive', 'disabled'", "thinking")
    kind = value["type"]
    if kind == "disabled":
        if info.always_thinks:
            raise invalid(f"thinking.type: `disabled` is not supported for {info.id}: this model always thinks. "
                          "Omit `thinking` or use {\"type\": \"adaptive\"}.", "thinking.type")
        return
    if kind not in info.thinking_modes:
        modes = " or ".join(f'{{"type": "{m}"}}' for m in info.thinking_modes)
        raise invalid(f"thinking.type: `{kind}` is not supported for {info.id}. Use {modes} instead.", "thinking.type")
    display = value.get("display", "summarized")
    if display not in ("summarized", "omitted"):
        raise invalid("thinking.display: Input should be 'summarized' or 'omitted'", "thinking.display")
    req.thinking_display = display
    req.thinking = kind
    if kind == "enabled":
        budget = value.get("budget_tokens")
        if budget is None:
            raise invalid("thinking.enabled.budget_tokens: Field required", "thinking.budget_tokens")
        if isinstance(budget, bool) or not isinstance(budget, int):
            raise invalid("thinking.enabled.budget_tokens: Input should be a valid integer", "thinking.budget_tokens")
        if budget < 1024:
            raise invalid("thinking.budget_tokens: Input should be greater than or equal to 1024",
                          "thinking.budget_tokens")
        req.budget_tokens = budget


def _effort(value: Any, req: MessagesRequest) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise invalid("output_config: Input should be a valid dictionary", "output_config")
    for key in value:
        if key not in OUTPUT_CONFIG_FIELDS:
            raise invalid(f"output_config.{key}: Extra inputs are not permitted", f"output_config.{key}")
    effort = value.get("effort")
    if effort is None:
        return
    if effort not in EFFORTS:
        raise invalid("output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'",
                      "output_config.effort")
    if effort not in req.info.efforts:
        raise invalid(f"output_config.effort: effort is not supported for {req.info.id}", "output_config.effort")
    req.effort = effort


def _strict_tools(custom: list[dict], tools: list) -> None:
    """``strict`` must be a boolean; a strict tool's ``input_schema`` must be one structured outputs accept."""
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool not in custom or "strict" not in tool:
            continue
        if not isinstance(tool["strict"], bool):
            raise invalid(f"tools.{i}.custom.strict: Input should be a valid boolean", f"tools.{i}.strict")
        if tool["strict"]:
            structured.check(tool["input_schema"], f"tools.{i}.custom.input_schema")


def _output_format(body: dict) -> dict | None:
    """The JSON schema of ``output_config.format`` (or the legacy top-level ``output_format``), checked."""
    config = body.get("output_config")
    fmt, path = (config.get("format"), "output_config.format") if isinstance(config, dict) else (None, "")
    if fmt is None and body.get("output_format") is not None:
        fmt, path = body["output_format"], "output_format"
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        raise invalid(f"{path}.type: Input tag found using 'type' does not match any of the expected tags: "
                      "'json_schema'", f"{path}.type")
    for key in fmt:
        if key not in ("type", "schema"):
            raise invalid(f"{path}.{key}: Extra inputs are not permitted", f"{path}.{key}")
    if "schema" not in fmt:
        raise invalid(f"{path}.schema: Field required", f"{path}.schema")
    structured.check(fmt["schema"], f"{path}.schema")
    if _cites(body.get("messages")):
        raise invalid("Citations are not supported together with structured outputs (output_config.format): "
                      "turn off citations on the documents, or drop the format.", path)
    return fmt["schema"]


def _cites(messages: Any) -> bool:
    """Whether any document block asks for citations."""
    for msg in messages if isinstance(messages, list) else ():
        content = msg.get("content") if isinstance(msg, dict) else None
        for block in content if isinstance(content, list) else ():
            citations = block.get("citations") if isinstance(block, dict) else None
            if block.get("type") == "document" and isinstance(citations, dict) and citations.get("enabled"):
                return True
    return False


def _policy(info: ModelInfo, temperature: float | None, top_p: float | None, top_k: int | None,
            req: MessagesRequest) -> None:
    """The model's documented parameter rules (reference §1.6, §1.8), real error texts where known."""
    given = {name: v for name, v in (("temperature", temperature), ("top_p", top_p), ("top_k", top_k))
             if v is not None}
    if info.sampling is SamplingPolicy.NONE and given:
        name = next(iter(given))
        raise invalid(f"`{name}` is not supported for {info.id}: this model does not accept sampling parameters "
                      "(temperature, top_p, top_k). Remove it.", name)
    if info.sampling is SamplingPolicy.DEFAULTS_ONLY:
        if temperature is not None and temperature != 1.0:
            raise invalid(f"`temperature` may only be left at its default (1.0) for {info.id}.", "temperature")
        if top_p is not None and top_p != 1.0:
            raise invalid(f"`top_p` may only be left at its default (1.0) for {info.id}.", "top_p")
        if top_k is not None:
            raise invalid(f"`top_k` is not supported for {info.id}: leave it unset.", "top_k")
    if info.sampling is SamplingPolicy.EITHER_ONE and temperature is not None and top_p is not None:
        raise invalid("temperature and top_p cannot both be specified for this model. Please use only one.",
                      "temperature")
    if req.thinking:
        if temperature is not None and temperature != 1.0:
            raise invalid("`temperature` may only be set to 1 when thinking is enabled or in adaptive mode",
                          "temperature")
        if top_k is not None:
            raise invalid("`top_k` is not supported when thinking is enabled or in adaptive mode", "top_k")
        if top_p is not None and not 0.95 <= top_p <= 1.0:
            raise invalid("`top_p` must be between 0.95 and 1 when thinking is enabled or in adaptive mode", "top_p")
        if req.tool_choice.get("type") in ("any", "tool"):
            raise invalid("Thinking may not be enabled when tool_choice forces tool use.", "tool_choice")

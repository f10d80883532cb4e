"""Pure functions: messages, tools and media -> an OpenAI-compatible ``/chat/completions`` body.

Anthropic-native history (e.g. built with TurnAccumulator) is converted to the chat format;
OpenAI-style messages pass through as copies. Nothing the caller passed is mutated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ParameterError
from ..media import Media


def _openai_content(blocks: list[Any]) -> tuple[list[Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Anthropic-native blocks -> (OpenAI content parts, tool_calls, tool messages). Thinking is
    dropped (other endpoints cannot verify it); OpenAI-style parts pass through."""
    parts: list[Any] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for block in blocks:
        kind = block.get("type") if isinstance(block, Mapping) else None
        source = block.get("source") or {} if isinstance(block, Mapping) else {}
        if kind == "text":
            parts.append({"type": "text", "text": block.get("text", "")})
        elif kind == "image" and source.get("type") == "base64":
            parts.append({"type": "image_url", "image_url": {
                "url": f"data:{source.get('media_type')};base64,{source.get('data')}"}})
        elif kind == "image" and source.get("type") == "url":
            parts.append({"type": "image_url", "image_url": {"url": source.get("url")}})
        elif kind == "tool_use":
            calls.append({"id": block.get("id"), "type": "function", "function": {
                "name": block.get("name"), "arguments": json.dumps(block.get("input") or {})}})
        elif kind == "tool_result":
            content = block.get("content")
            if not isinstance(content, str):
                content = "".join(b.get("text", "") for b in content or () if isinstance(b, Mapping))
            results.append({"role": "tool", "tool_call_id": block.get("tool_use_id"), "content": content})
        elif kind in ("thinking", "redacted_thinking"):
            continue
        else:
            parts.append(block)
    return parts, calls, results


def to_openai_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``messages`` with Anthropic-native content (e.g. a history built with
    TurnAccumulator) turned into the chat format; OpenAI-style messages pass through."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, Mapping):
            raise ParameterError("messages", f"expected dicts with role and content, got {type(message).__name__}.")
        copied = dict(message)
        content = copied.get("content")
        if isinstance(content, list):
            parts, calls, results = _openai_content(content)
            out += results  # tool results answer the previous assistant turn, so they come first
            if calls:
                copied["tool_calls"] = [*copied.get("tool_calls", ()), *calls]
            if parts or not (calls or results):
                only_text = all(isinstance(p, Mapping) and p.get("type") == "text" for p in parts)
                copied["content"] = "".join(p["text"] for p in parts) if only_text and parts else parts
            elif calls:
                copied["content"] = None
            else:
                continue
        out.append(copied)
    return out


def openai_tools(tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Anthropic tool definitions -> ``{"type": "function", ...}`` (``strict`` kept); OpenAI ones pass through."""
    out = []
    for tool in tools:
        if tool.get("type") == "function":
            out.append(dict(tool))
        else:  # an Anthropic tool definition
            fn = {"name": tool.get("name"), "parameters": tool.get("input_schema") or {"type": "object"}}
            if tool.get("description"):
                fn["description"] = tool["description"]
            if tool.get("strict") is not None:
                fn["strict"] = tool["strict"]
            out.append({"type": "function", "function": fn})
    return out


def openai_tool_choice(choice: dict[str, Any] | None) -> Any:
    """A normalized Anthropic tool_choice -> the chat API's (``any`` is ``required`` there)."""
    if choice is None:
        return None
    kind = choice["type"]
    if kind == "tool":
        return {"type": "function", "function": {"name": choice["name"]}}
    return {"any": "required"}.get(kind, kind)


def media_part(m: Media) -> dict[str, Any]:
    """An image as an ``image_url`` data URI part; a PDF as a ``file`` part."""
    if m.kind == "image":
        return {"type": "image_url", "image_url": {"url": m.to_data_uri()}}
    return {"type": "file", "file": {"filename": m.filename or "document.pdf", "file_data": m.to_data_uri()}}

"""Pure functions: messages, tools, media and parameters -> the Messages API request body.

Accepts OpenAI-style messages (``system``/``user``/``assistant``/``tool`` roles, string or parts
content, ``tool_calls``) and Anthropic-native content blocks, which pass through unchanged so an
assistant turn with thinking and its signature goes back exactly as received. Consecutive
same-role turns are merged. Nothing the caller passed is mutated: new lists and dicts are built.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ParameterError
from ..params import normalize_thinking, normalize_tool_choice

# Anthropic-native block types pass through untouched (the API checks them; we must not alter them).
_OPENAI_PART_TYPES = frozenset({"text", "image_url", "input_text"})


def _text_block(text: str) -> dict[str, Any] | None:
    # The API refuses empty or whitespace-only text blocks, and an empty turn carries nothing.
    return {"type": "text", "text": text} if text.strip() else None


def _image_from_url(url: str, where: str) -> dict[str, Any]:
    if url.startswith("data:"):
        header, sep, data = url.partition(",")
        if not sep or ";base64" not in header:
            raise ParameterError("messages", f"{where}: image data URIs must be base64 (data:image/png;base64,...).")
        media_type = header[5:].split(";", 1)[0]
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    if url.startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    raise ParameterError("messages", f"{where}: image_url must be a data: URI or an http(s) URL.")


def _part_to_block(part: Any, where: str) -> dict[str, Any] | None:
    if isinstance(part, str):
        return _text_block(part)
    if not isinstance(part, Mapping) or not isinstance(part.get("type"), str):
        raise ParameterError("messages", f"{where}: each content part must be a dict with a 'type', got {part!r:.80}.")
    kind = part["type"]
    if kind not in _OPENAI_PART_TYPES:
        return part  # type: ignore[return-value]  # Anthropic-native block: unchanged
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        if not isinstance(url, str):
            raise ParameterError("messages", f"{where}: image_url needs a url.")
        return _image_from_url(url, where)
    text = part.get("text")
    if not isinstance(text, str):
        raise ParameterError("messages", f"{where}: a text part needs a 'text' string.")
    if kind == "text" and len(part) > 2:  # keeps cache_control / citations on an Anthropic text block
        return part if text.strip() else None  # type: ignore[return-value]
    return _text_block(text)


def _blocks(content: Any, where: str) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        block = _text_block(content)
        return [block] if block else []
    if isinstance(content, Sequence):
        return [b for i, part in enumerate(content) if (b := _part_to_block(part, f"{where}.content.{i}")) is not None]
    raise ParameterError("messages", f"{where}: content must be a string or a list of parts.")


def _tool_uses(tool_calls: Any, where: str) -> list[dict[str, Any]]:
    out = []
    for i, call in enumerate(tool_calls or ()):
        fn = call.get("function") or {}
        args = fn.get("arguments") or "{}"
        try:
            parsed = json.loads(args) if isinstance(args, str) else dict(args)
        except (ValueError, TypeError):
            raise ParameterError("messages", f"{where}.tool_calls.{i}: arguments are not valid JSON.") from None
        out.append({"type": "tool_use", "id": call.get("id"), "name": fn.get("name"), "input": parsed})
    return out


def _system_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", "") for p in content or () if isinstance(p, Mapping))


def convert_messages(messages: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """OpenAI-style or native messages -> (system texts found in them, Anthropic messages).

    Consecutive same-role turns are merged; in a merged user turn ``tool_result`` blocks are
    moved first, as the API requires.
    """
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise ParameterError("messages", "give a list of {'role': ..., 'content': ...} dicts.")
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        where = f"messages.{i}"
        if not isinstance(message, Mapping):
            raise ParameterError("messages", f"{where}: expected a dict with role and content, got {type(message).__name__}.")
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            text = _system_text(content)
            if text.strip():
                system.append(text)
            continue
        if role == "tool":
            result: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.get("tool_call_id")}
            result["content"] = content if isinstance(content, str) else _blocks(content, where)
            role, content = "user", [result]
        elif role == "assistant" and message.get("tool_calls"):
            content = _blocks(content, where) + _tool_uses(message["tool_calls"], where)
        elif role not in ("user", "assistant"):
            raise ParameterError("messages", f"{where}: unknown role {role!r}; use user, assistant, system or tool.")
        if isinstance(content, str):
            if not content.strip():
                continue
        else:
            content = _blocks(content, where)
            if not content:
                continue
        if out and out[-1]["role"] == role:
            prev = out[-1]["content"]
            merged = (_blocks(prev, where) if isinstance(prev, str) else prev) + (
                _blocks(content, where) if isinstance(content, str) else content)
            out[-1] = {"role": role, "content": merged}
        else:
            out.append({"role": role, "content": content})
    for message in out:
        content = message["content"]
        if message["role"] == "user" and isinstance(content, list) and len(content) > 1:
            message["content"] = sorted(content, key=lambda b: b.get("type") != "tool_result")  # stable
    return system, out


def attach_media(messages: list[dict[str, Any]], blocks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A new message list with ``blocks`` placed before the text of the last user message
    (images before text work best), or in a new user message when there is none."""
    if not blocks:
        return messages
    out = list(messages)
    for i in range(len(out) - 1, -1, -1):
        if out[i]["role"] == "user":
            content = out[i]["content"]
            existing = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
            results = [b for b in existing if b.get("type") == "tool_result"]
            rest = [b for b in existing if b.get("type") != "tool_result"]
            out[i] = {"role": "user", "content": results + list(blocks) + rest}
            return out
    out.append({"role": "user", "content": list(blocks)})
    return out


def _ends_with_user(messages: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the caller's last conversational message (system turns skipped) is a user or tool turn."""
    for message in reversed(messages):
        role = message.get("role") if isinstance(message, Mapping) else None
        if role not in ("system", "developer"):
            return role in ("user", "tool")
    return False


def convert_tools(tools: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Anthropic tool dicts pass through (``strict`` included); OpenAI ``{"type": "function", "function": ...}``
    ones are converted, keeping ``function.strict``."""
    if tools is None:
        return None
    out = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping) or not (tool.get("name") or tool.get("function")):
            raise ParameterError("tools", f"tools.{i}: expected a tool dict with a name (and input_schema).")
        if tool.get("type") == "function" and isinstance(tool.get("function"), Mapping):
            fn = tool["function"]
            converted = {"name": fn.get("name"), "input_schema": fn.get("parameters") or {"type": "object"}}
            if fn.get("description"):
                converted["description"] = fn["description"]
            if fn.get("strict") is not None:
                converted["strict"] = fn["strict"]
            out.append(converted)
        else:
            out.append(dict(tool))
    return out


def merge_into(body: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` merged into ``body`` last: nested dicts merge key by key, anything else replaces."""
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(body.get(key), dict):
            body[key] = merge_into(dict(body[key]), value)
        else:
            body[key] = value
    return body


def build_body(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    max_tokens: int = 4096,
    system: str | Sequence[Mapping[str, Any]] | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    stop: Sequence[str] | None = None,
    stream: bool = False,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: Any = None,
    thinking: Any = None,
    effort: str | None = None,
    media_blocks: Sequence[dict[str, Any]] = (),
    extra_data: Mapping[str, Any] | None = None,
    output_format: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body for ``POST /v1/messages``. Only what the caller set is included.

    ``effort`` and ``output_format`` (``{"type": "json_schema", "schema": ...}``) both live in
    ``output_config``; an ``output_config`` in ``extra_data`` merges into it key by key."""
    found_system, converted = convert_messages(messages)
    if media_blocks and converted and converted[-1]["role"] == "assistant" and _ends_with_user(messages):
        # The caller's last turn was a user turn with no text (files only), dropped as empty: the media
        # are that turn. Attaching them to an earlier user turn would leave a trailing assistant
        # message, which the API reads as a prefill (and Opus/Sonnet 4.6+ refuse).
        converted = [*converted, {"role": "user", "content": list(media_blocks)}]
    else:
        converted = attach_media(converted, media_blocks)
    if not converted:
        raise ParameterError("messages", "there is no message with content to send; add a user message.")
    body: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": converted}
    if system is not None and not isinstance(system, str):
        body["system"] = list(system) + [{"type": "text", "text": t} for t in found_system]
    else:
        texts = ([system] if system and system.strip() else []) + found_system
        if texts:
            body["system"] = "\n\n".join(texts)
    for name, value in (("temperature", temperature), ("top_p", top_p), ("top_k", top_k)):
        if value is not None:
            body[name] = value
    if stop is not None:
        body["stop_sequences"] = list(stop)
    if stream:
        body["stream"] = True
    if tools is not None:
        body["tools"] = convert_tools(tools)
    choice = normalize_tool_choice(tool_choice)
    if choice is not None:
        body["tool_choice"] = choice
    thinking_obj = normalize_thinking(thinking)
    if thinking_obj is not None:
        body["thinking"] = thinking_obj
    output_config: dict[str, Any] = {}
    if effort is not None:
        output_config["effort"] = effort
    if output_format is not None:
        output_config["format"] = dict(output_format)
    if output_config:
        body["output_config"] = output_config
    if extra_data:
        merge_into(body, extra_data)
    return body


def count_tokens_body(model: str, messages: Sequence[Mapping[str, Any]], *, system: Any = None,
                      tools: Sequence[Mapping[str, Any]] | None = None,
                      media_blocks: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The body for ``POST /v1/messages/count_tokens`` (no max_tokens, sampling or stream)."""
    body = build_body(model, messages, system=system, tools=tools, media_blocks=media_blocks)
    body.pop("max_tokens")
    return body

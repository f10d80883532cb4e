"""Walk a request's ``system`` / ``messages`` / ``tools``: validate them like the real API,
count input tokens, and pick out what the reply needs (prompt, media, tool results).

Input-token rule (shared by ``/v1/messages`` usage and ``/v1/messages/count_tokens``):

* 3 tokens per request, plus 3 per message (role framing);
* text (system, messages, tool results, text documents): the emulator tokenizer's count;
* ``tool_use`` blocks: tokens of the name plus of the compact JSON input;
* ``tools``: tokens of their compact JSON definitions;
* images and PDFs: see :mod:`playground.emulator.media_checks`;
* ``thinking`` / ``redacted_thinking`` from earlier turns: 0 (the real API drops them from context).

This is the TOTAL input (what ``count_tokens`` returns). With ``cache_control`` breakpoints,
``/v1/messages`` splits it into ``input_tokens`` (uncached) + ``cache_creation_input_tokens``
+ ``cache_read_input_tokens`` by the rule in :mod:`playground.emulator.caching` (the prefix of
a block is counted in the order tools -> system -> messages, from :attr:`Conversation.block_ends`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import media_checks, thinking
from .apierror import invalid
from .tokenizer import count

REQUEST_OVERHEAD = 3
MESSAGE_OVERHEAD = 3
_TOOL_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_USER_BLOCKS = ("text", "image", "document", "tool_result", "search_result")
_ASSISTANT_BLOCKS = ("text", "thinking", "redacted_thinking", "tool_use", "server_tool_use",
                     "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result")


@dataclass(frozen=True, slots=True)
class ToolResult:
    tool_use_id: str
    name: str
    text: str
    is_error: bool


@dataclass
class Conversation:
    """What the reply is built from. ``prompt`` is the text of the last user turn;
    ``user_text`` its text blocks only (no tool results);
    ``prefill`` the trailing assistant text the reply continues (``""`` if none);
    ``ends_with_assistant`` whether the last message is an assistant turn (a prefill, even empty)."""

    input_tokens: int = REQUEST_OVERHEAD
    prompt: str = ""
    user_text: str = ""
    prefill: str = ""
    media: list[media_checks.MediaInfo] = field(default_factory=list)
    tool_results: list[ToolResult] = field(default_factory=list)
    prefill_starts_with_thinking: bool = False
    ends_with_assistant: bool = False
    all_media: list[tuple[str, media_checks.MediaInfo]] = field(default_factory=list)  # (path, info), whole request
    # (message index, block index, input tokens so far) after every content block, in order:
    # where each block's prefix ends, for prompt caching (:mod:`.caching`).
    block_ends: list[tuple[int, int, int]] = field(default_factory=list)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _text_of(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise invalid(f"{path}: Input should be a valid string", path)
    return value


def system_tokens(system: Any) -> int:
    """Validate ``system`` (string or list of text blocks) and count its tokens."""
    if system is None:
        return 0
    if isinstance(system, str):
        return count(system)
    if not isinstance(system, list):
        raise invalid("system: Input should be a valid string or a list of text blocks", "system")
    total = 0
    for i, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise invalid(f"system.{i}: only text blocks are allowed in system", f"system.{i}")
        total += count(_text_of(block.get("text"), f"system.{i}.text"))
    return total


def check_tools(tools: Any) -> tuple[list[dict], int]:
    """Validate ``tools``; return the client (custom) tools and the tokens of all definitions."""
    if tools is None:
        return [], 0
    if not isinstance(tools, list):
        raise invalid("tools: Input should be a valid list", "tools")
    custom = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise invalid(f"tools.{i}: Input should be a valid dictionary", f"tools.{i}")
        kind = tool.get("type", "custom")
        if kind not in (None, "custom"):
            continue  # a server tool (web_search_..., bash_...): accepted, never called here
        name = tool.get("name")
        if not isinstance(name, str) or not _TOOL_NAME_RE.match(name):
            raise invalid(f"tools.{i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'",
                          f"tools.{i}.name")
        schema = tool.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise invalid(f"tools.{i}.custom.input_schema: Input should be a JSON Schema object with \"type\": \"object\"",
                          f"tools.{i}.input_schema")
        custom.append(tool)
    names = [t["name"] for t in custom]
    if len(set(names)) != len(names):
        raise invalid("tools: Tool names must be unique.", "tools")
    return custom, count(_compact(tools))


def walk(messages: Any) -> Conversation:
    """Validate ``messages`` and gather what the reply needs. Raises :class:`ApiError` (400)."""
    if not isinstance(messages, list):
        raise invalid("messages: Input should be a valid list", "messages")
    if not messages:
        raise invalid("messages: at least one message is required", "messages")
    conv = Conversation()
    pending_tool_uses: dict[str, str] = {}  # id -> name, from the previous assistant turn
    last = len(messages) - 1
    for i, msg in enumerate(messages):
        path = f"messages.{i}"
        if not isinstance(msg, dict):
            raise invalid(f"{path}: Input should be a valid dictionary", path)
        role = msg.get("role")
        if role not in ("user", "assistant"):
            raise invalid(f"{path}.role: Input should be 'user' or 'assistant'", f"{path}.role")
        if i == 0 and role != "user":
            raise invalid('messages: first message must use the "user" role', "messages")
        blocks = _blocks(msg.get("content"), path, final_assistant=(i == last and role == "assistant"))
        conv.input_tokens += MESSAGE_OVERHEAD
        if role == "user":
            results = _walk_user(blocks, path, conv, pending_tool_uses, i)
            if pending_tool_uses:
                missing = [t for t in pending_tool_uses if t not in results]
                if missing:
                    raise invalid(
                        f"messages.{i - 1}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                        f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` block "
                        "in the next message.", f"messages.{i - 1}")
            pending_tool_uses = {}
        else:
            if pending_tool_uses:
                raise invalid(
                    f"messages.{i - 1}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(pending_tool_uses)}. Each `tool_use` block must have a corresponding `tool_result` "
                    "block in the next message.", f"messages.{i - 1}")
            pending_tool_uses = _walk_assistant(blocks, path, conv, i, is_last=(i == last))
    media_checks.check_request_limits(conv.all_media)
    return conv


def _blocks(content: Any, path: str, *, final_assistant: bool) -> list[dict]:
    if isinstance(content, str):
        if not content and not final_assistant:
            raise invalid(f"{path}: all messages must have non-empty content except for the optional final "
                          "assistant message", path)
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        raise invalid(f"{path}.content: Input should be a valid string or a list of content blocks", f"{path}.content")
    if not content and not final_assistant:
        raise invalid(f"{path}: all messages must have non-empty content except for the optional final "
                      "assistant message", path)
    for j, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise invalid(f"{path}.content.{j}: Input should be a content block with a 'type'", f"{path}.content.{j}")
    return content


def _check_text(block: dict, bpath: str, *, allow_empty: bool = False) -> str:
    text = _text_of(block.get("text"), f"{bpath}.text")
    if not allow_empty:
        if not text:
            raise invalid("messages: text content blocks must be non-empty", bpath)
        if not text.strip():
            raise invalid("messages: text content blocks must contain non-whitespace text", bpath)
    return text


def _media(block: dict, bpath: str, conv: Conversation) -> media_checks.MediaInfo | None:
    """Validate an image/document block; None for a text document (counted as text)."""
    kind = block["type"]
    source = block.get("source")
    if not isinstance(source, dict):
        raise invalid(f"{bpath}.{kind}.source: Field required", f"{bpath}.source")
    stype = source.get("type")
    if stype == "base64":
        spath = f"{bpath}.{kind}.source.base64"
        info = media_checks.check_image(source, spath) if kind == "image" else media_checks.check_pdf(source, spath)
        conv.all_media.append((spath, info))
        return info
    if kind == "document" and stype in ("text", "content"):
        return None
    if stype in ("url", "file"):
        raise invalid(f"{bpath}.{kind}.source.{stype}: the offline emulator cannot fetch {stype} sources; "
                      "send the bytes as a base64 source instead", f"{bpath}.source")
    raise invalid(f"{bpath}.{kind}.source.type: Input tag '{stype}' found using 'type' does not match any of the "
                  "expected tags: 'base64', 'url', 'file'" + (", 'text', 'content'" if kind == "document" else ""),
                  f"{bpath}.source.type")


def _document_text_tokens(source: dict, bpath: str) -> int:
    if source.get("type") == "text":
        return count(_text_of(source.get("data"), f"{bpath}.document.source.text.data"))
    inner = source.get("content")
    if isinstance(inner, str):
        return count(inner)
    if isinstance(inner, list):
        return sum(count(b.get("text", "")) for b in inner if isinstance(b, dict))
    raise invalid(f"{bpath}.document.source.content: Input should be a string or a list of blocks", bpath)


def _walk_user(blocks: list[dict], path: str, conv: Conversation, pending: dict[str, str], index: int) -> set[str]:
    texts: list[str] = []
    seen_results: set[str] = set()
    media: list[media_checks.MediaInfo] = []
    results: list[ToolResult] = []
    seen_other = False
    for j, block in enumerate(blocks):
        bpath = f"{path}.content.{j}"
        kind = block["type"]
        if kind not in _USER_BLOCKS:
            raise invalid(f"{bpath}: `{kind}` blocks are not allowed in user messages", bpath)
        if kind == "text":
            text = _check_text(block, bpath)
            texts.append(text)
            conv.input_tokens += count(text)
            seen_other = True
        elif kind in ("image", "document"):
            info = _media(block, bpath, conv)
            if info is None:
                conv.input_tokens += _document_text_tokens(block["source"], bpath)
            else:
                media.append(info)
                conv.input_tokens += info.tokens
            seen_other = True
        elif kind == "search_result":
            conv.input_tokens += count(_compact(block))
            seen_other = True
        else:  # tool_result
            tid = block.get("tool_use_id")
            if not isinstance(tid, str) or not tid:
                raise invalid(f"{bpath}.tool_result.tool_use_id: Field required", f"{bpath}.tool_use_id")
            if tid not in pending:
                raise invalid(f"{bpath}: unexpected `tool_use_id` found in `tool_result` blocks: {tid}. Each "
                              "`tool_result` block must have a corresponding `tool_use` block in the previous message.",
                              bpath)
            if seen_other:
                raise invalid(f"{bpath}: `tool_result` blocks must come first in the user message, before any "
                              "other content", bpath)
            text, tokens = _tool_result_content(block.get("content"), bpath, media, conv)
            conv.input_tokens += tokens
            seen_results.add(tid)
            results.append(ToolResult(tid, pending.get(tid, ""), text, bool(block.get("is_error"))))
        conv.block_ends.append((index, j, conv.input_tokens))
    # Overwritten by every user turn, so what remains describes the last one.
    conv.user_text = " ".join(texts)
    conv.prompt = conv.user_text or " ".join(r.text for r in results)
    conv.media = media
    conv.tool_results = results
    return seen_results


def _tool_result_content(content: Any, bpath: str, media: list[media_checks.MediaInfo],
                         conv: Conversation) -> tuple[str, int]:
    if content is None:
        return "", 0
    if isinstance(content, str):
        return content, count(content)
    if not isinstance(content, list):
        raise invalid(f"{bpath}.tool_result.content: Input should be a string or a list of blocks", bpath)
    texts, tokens = [], 0
    for k, inner in enumerate(content):
        ipath = f"{bpath}.content.{k}"
        kind = inner.get("type") if isinstance(inner, dict) else None
        if kind == "text":
            text = _check_text(inner, ipath)
            texts.append(text)
            tokens += count(text)
        elif kind in ("image", "document"):
            info = _media(inner, ipath, conv)
            if info is None:
                tokens += _document_text_tokens(inner["source"], ipath)
            else:
                media.append(info)
                tokens += info.tokens
        elif kind == "search_result":
            tokens += count(_compact(inner))
        else:
            raise invalid(f"{ipath}: tool_result content blocks must be text, image, document or search_result", ipath)
    return " ".join(texts), tokens


def _walk_assistant(blocks: list[dict], path: str, conv: Conversation, index: int, *,
                    is_last: bool) -> dict[str, str]:
    tool_uses: dict[str, str] = {}
    texts: list[str] = []
    for j, block in enumerate(blocks):
        bpath = f"{path}.content.{j}"
        kind = block["type"]
        if kind not in _ASSISTANT_BLOCKS:
            raise invalid(f"{bpath}: `{kind}` blocks are not allowed in assistant messages", bpath)
        if kind == "text":
            text = _check_text(block, bpath, allow_empty=is_last)
            texts.append(text)
            conv.input_tokens += count(text)
        elif kind == "thinking":
            if not thinking.verify(block.get("thinking"), block.get("signature")):
                raise invalid(f"{bpath}: Invalid `signature` in `thinking` block", bpath)
            if is_last and j == 0:
                conv.prefill_starts_with_thinking = True
        elif kind == "redacted_thinking":
            _text_of(block.get("data"), f"{bpath}.redacted_thinking.data")
            if not thinking.verify_redacted(block["data"]):
                raise invalid(f"{bpath}: Invalid `data` in `redacted_thinking` block", bpath)
            if is_last and j == 0:
                conv.prefill_starts_with_thinking = True
        elif kind == "tool_use":
            tid, name, args = block.get("id"), block.get("name"), block.get("input")
            if not isinstance(tid, str) or not tid:
                raise invalid(f"{bpath}.tool_use.id: Field required", f"{bpath}.id")
            if not isinstance(name, str) or not name:
                raise invalid(f"{bpath}.tool_use.name: Field required", f"{bpath}.name")
            if not isinstance(args, dict):
                raise invalid(f"{bpath}.tool_use.input: Input should be a valid dictionary", f"{bpath}.input")
            if tid in tool_uses:
                raise invalid(f"{bpath}: `tool_use` ids must be unique: {tid}", bpath)
            tool_uses[tid] = name
            conv.input_tokens += count(name) + count(_compact(args))
        else:  # server tool blocks, echoed back from an earlier response
            conv.input_tokens += count(_compact(block))
        conv.block_ends.append((index, j, conv.input_tokens))
    if is_last:
        conv.ends_with_assistant = True
        if texts and texts[-1] != texts[-1].rstrip():
            raise invalid("messages: final assistant content cannot end with trailing whitespace", path)
        conv.prefill = "".join(texts)
    return tool_uses

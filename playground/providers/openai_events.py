"""Pure mapping from OpenAI-compatible chat output to typed parts: ``chat.completion.chunk`` SSE
data (ending with ``[DONE]``) and the non-streamed ``chat.completion`` body. No I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import StreamError
from ..responses import FinishReason, Part, Reasoning, ToolCall, ToolCalls, Usage

_loads = json.loads
_NONE: tuple[Part, ...] = ()
FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "function_call": "tool_calls",
          "content_filter": "content_filter"}


def openai_usage(raw: Mapping[str, Any]) -> Usage:
    """OpenAI usage -> :class:`Usage` (cached prompt tokens count as cache reads)."""
    prompt = raw.get("prompt_tokens") or 0
    cached = (raw.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    extra = {k: v for k, v in raw.items() if k not in ("prompt_tokens", "completion_tokens", "total_tokens")}
    return Usage(prompt - cached, raw.get("completion_tokens") or 0, 0, cached, extra)


class ChatStreamMapper:
    """``data:`` chunks of a chat.completion.chunk stream -> parts; ``[DONE]`` ends it."""

    __slots__ = ("done", "request_id", "_calls", "_finish", "_usage", "_deferred")

    def __init__(self, request_id: str | None = None) -> None:
        self.done = False
        self.request_id = request_id
        self._calls: dict[int, list[Any]] = {}  # index -> [id, name, [argument fragments]]
        self._finish: str | None = None
        self._usage: dict[str, Any] = {}
        self._deferred: StreamError | None = None

    def feed(self, name: str, data: str) -> tuple[Part, ...]:
        if data == "[DONE]":
            self.done = True
            return self._final()
        try:
            chunk = _loads(data)
            if chunk.get("error"):
                error = chunk["error"]
                message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
                kind = error.get("type") if isinstance(error, dict) else None
                raise StreamError(str(message), kind, self.request_id)
            if chunk.get("usage"):
                self._usage = chunk["usage"]
            choices = chunk.get("choices")
            if not choices:
                return _NONE
            choice = choices[0]
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if content and (len(delta) == 1 or (len(delta) == 2 and "role" in delta)) and not choice.get("finish_reason"):
                return (content,)  # the common case: a plain text delta (content, maybe role)
            out: list[Part] = []
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning:
                out.append(Reasoning(reasoning))
            if content:
                out.append(content)
            for call in delta.get("tool_calls") or ():
                slot = self._calls.setdefault(call.get("index", 0), ["", "", []])
                fn = call.get("function") or {}
                slot[0] = call.get("id") or slot[0]
                slot[1] = fn.get("name") or slot[1]
                if fn.get("arguments"):
                    slot[2].append(fn["arguments"])
            if choice.get("finish_reason"):
                self._finish = choice["finish_reason"]
            return tuple(out)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StreamError(f"malformed chunk data: {data[:120]!r}", "malformed_event", self.request_id) from None

    def feed_many(self, events: list[tuple[str, str]]) -> list[Part]:
        """:meth:`feed` for each event of a chunk, concatenated."""
        out: list[Part] = []
        try:
            for name, data in events:
                out += self.feed(name, data)
        except StreamError as exc:
            if not out:
                raise
            self._deferred, self.done = exc, True  # hand on what came before the error first
        return out

    def finish(self) -> tuple[Part, ...]:
        """Servers that forget ``[DONE]`` but sent a finish_reason are accepted; otherwise the stream was cut."""
        if self._deferred is not None:
            raise self._deferred
        if self.done:
            return _NONE
        if self._finish is None:
            raise StreamError("the stream ended before [DONE]", "incomplete_stream", self.request_id)
        self.done = True
        return self._final()

    def _final(self) -> tuple[Part, ...]:
        out: list[Part] = []
        for index in sorted(self._calls):
            call_id, name, fragments = self._calls[index]
            raw = "".join(fragments)
            try:
                args = _loads(raw) if raw.strip() else {}
            except ValueError:
                args = {}
            out.append(ToolCalls([ToolCall(call_id, name, args if isinstance(args, dict) else {}, raw)]))
        raw_finish = self._finish or "stop"
        out.append(FinishReason(FINISH.get(raw_finish, raw_finish), raw_finish))
        out.append(openai_usage(self._usage))
        return tuple(out)


def parts_from_completion(body: Mapping[str, Any]) -> list[Part]:
    """A non-streamed chat.completion -> the same parts a stream yields."""
    mapper = ChatStreamMapper()
    choice = (body.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    out: list[Part] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if reasoning:
        out.append(Reasoning(reasoning))
    if message.get("content"):
        out.append(message["content"])
    for i, call in enumerate(message.get("tool_calls") or ()):
        mapper._calls[i] = [call.get("id", ""), (call.get("function") or {}).get("name", ""),
                            [(call.get("function") or {}).get("arguments") or ""]]
    mapper._finish = choice.get("finish_reason")
    mapper._usage = body.get("usage") or {}
    return out + list(mapper._final())

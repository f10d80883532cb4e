"""Pure mapping from Messages API output to typed parts: SSE events (incrementally) and the
non-streamed JSON body. No I/O here, so recorded streams test it in milliseconds.

Text deltas become ``str``; thinking deltas :class:`Reasoning` (the signature comes as its own
``Reasoning(signature=...)`` when the block ends; ``redacted_thinking`` as opaque data); a
finished ``tool_use`` block one :class:`ToolCalls`; every other block (server tools, results,
compaction, fallback, unknown future types) a :class:`ContentBlock` when it ends, so it can be
shown and sent back unchanged. ``message_stop`` yields :class:`FinishReason` and :class:`Usage`.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import StreamError
from ..responses import (
    ContentBlock,
    Part,
    Reasoning,
    ToolCall,
    ToolCalls,
    Usage,
    finish_reason,
)

_loads = json.loads
_NONE: tuple[Part, ...] = ()
# The compact form of a text delta's tail: {"type":"content_block_delta","index":N,"delta":<this>"...text..."}}
_TEXT_DELTA = '"delta":{"type":"text_delta","text":'
_TEXT_DELTA_LEN = len(_TEXT_DELTA)
_USAGE_COUNTS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def make_usage(raw: dict[str, Any]) -> Usage:
    """A :class:`Usage` from the API's usage object (unknown fields kept in ``extra``)."""
    counts = [raw.get(k) or 0 for k in _USAGE_COUNTS]
    extra = {k: v for k, v in raw.items() if k not in _USAGE_COUNTS and v is not None}
    return Usage(*counts, extra=extra)


def tool_call(block_id: str, name: str, raw: str, parsed: Any = None) -> ToolCalls:
    """One finished tool call; ``raw`` JSON that does not parse (cut by max_tokens) gives ``{}``."""
    if parsed is None:
        try:
            parsed = _loads(raw) if raw.strip() else {}
        except ValueError:
            parsed = {}
    if not isinstance(parsed, dict):
        parsed = {}
    return ToolCalls([ToolCall(block_id, name, parsed, raw)])


def _merge_delta(block: dict[str, Any], delta: dict[str, Any]) -> None:
    # Unknown delta types (e.g. compaction_delta): strings append, anything else replaces.
    for key, value in delta.items():
        if key == "type":
            continue
        old = block.get(key)
        block[key] = old + value if isinstance(old, str) and isinstance(value, str) else value


class StreamMapper:
    """Feed ``(event_name, data)`` pairs from the SSE decoder; each call returns the parts it
    completes. Raises StreamError on an ``error`` event or malformed data; call :meth:`finish`
    at end of stream to catch a stream that stopped before ``message_stop``."""

    __slots__ = ("done", "request_id", "_block", "_kind", "_text", "_json", "_signature",
                 "_usage", "_stop", "message", "_deferred")

    def __init__(self, request_id: str | None = None) -> None:
        self.done = False
        self.request_id = request_id
        self.message: dict[str, Any] = {}
        self._block: dict[str, Any] = {}
        self._kind = ""
        self._text: list[str] = []
        self._json: list[str] = []
        self._signature: str | None = None
        self._usage: dict[str, Any] = {}
        self._stop: dict[str, Any] = {}
        self._deferred: StreamError | None = None

    def feed(self, name: str, data: str) -> tuple[Part, ...]:
        """The parts this event completes (often one ``str``)."""
        try:
            if name == "content_block_delta":
                delta = _loads(data)["delta"]
                kind = delta["type"]
                if kind == "text_delta":
                    text = delta["text"]
                    if type(text) is not str:
                        raise TypeError("text_delta.text is not a string")
                    self._text.append(text)
                    return (text,)
                return self._delta(kind, delta)
            if name == "ping":
                return _NONE
            if name == "message":  # a data-only event: the JSON type names it
                event = _loads(data)
                name = event.get("type", "") if isinstance(event, dict) else ""
                if name in ("", "message"):
                    return _NONE
                return self.feed(name, data)
            if name == "content_block_start":
                return self._start(_loads(data)["content_block"])
            if name == "content_block_stop":
                return self._end()
            if name == "message_start":
                self.message = _loads(data)["message"]
                self._usage = dict(self.message.get("usage") or {})
                return _NONE
            if name == "message_delta":
                event = _loads(data)
                self._stop.update({k: v for k, v in (event.get("delta") or {}).items() if v is not None})
                # Counts in message_delta are cumulative: overwrite, never add.
                self._usage.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
                return _NONE
            if name == "message_stop":
                self.done = True
                return self._final()
            if name == "error":
                self._error(data)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StreamError(f"malformed {name} event data: {data[:120]!r}", "malformed_event",
                              self.request_id) from None
        return _NONE  # unknown events are skipped (the API may add new ones)

    def feed_many(self, events: list[tuple[str, str]]) -> list[Part]:
        """:meth:`feed` for every event of a network chunk, concatenated.

        Text deltas (nearly every event of a reply) take a shortcut: only the text's JSON string is
        decoded, not the whole event. Anything that does not look exactly like the compact form the
        API sends falls back to :meth:`feed`, so unusual formatting is still handled correctly.
        """
        out: list[Part] = []
        try:
            self._feed_into(events, out)
        except StreamError as exc:
            if not out:
                raise
            # Parts decoded before the error in this chunk are still handed on; the error follows.
            self._deferred, self.done = exc, True
        return out

    def _feed_into(self, events: list[tuple[str, str]], out: list[Part]) -> None:
        append = out.append
        text_parts = self._text
        for name, data in events:
            if name == "content_block_delta":
                at = data.find(_TEXT_DELTA)
                if at > 0 and data.endswith("}}"):
                    try:
                        text = _loads(data[at + _TEXT_DELTA_LEN : -2])
                    except ValueError:
                        text = None
                    if type(text) is str:
                        text_parts.append(text)
                        append(text)
                        continue
            out += self.feed(name, data)

    def finish(self) -> None:
        """End of stream: raise StreamError unless ``message_stop`` arrived."""
        if self._deferred is not None:
            raise self._deferred
        if not self.done:
            raise StreamError("the stream ended before message_stop", "incomplete_stream", self.request_id)

    # -- blocks ------------------------------------------------------------------------------
    def _start(self, block: dict[str, Any]) -> tuple[Part, ...]:
        kind = block["type"]
        self._block, self._kind = dict(block), kind
        # Cleared in place: feed_many holds a reference to the text list across a whole chunk.
        self._text.clear()
        self._json.clear()
        self._signature = None
        if kind == "text":
            text = block.get("text") or ""
            if text:
                self._text.append(text)
                return (text,)
        elif kind == "thinking":
            text = block.get("thinking") or ""
            self._signature = block.get("signature") or None
            if text:
                return (Reasoning(text),)
        elif kind == "redacted_thinking":
            return (Reasoning(redacted_data=block.get("data", "")),)
        return _NONE

    def _delta(self, kind: str, delta: dict[str, Any]) -> tuple[Part, ...]:
        if kind == "input_json_delta":
            self._json.append(delta["partial_json"])
        elif kind == "thinking_delta":
            return (Reasoning(delta["thinking"]),)
        elif kind == "signature_delta":
            self._signature = delta["signature"]
        elif kind == "citations_delta":
            self._block.setdefault("citations", [])
            self._block["citations"] = [*(self._block["citations"] or []), delta["citation"]]
        else:
            _merge_delta(self._block, delta)
        return _NONE

    def _end(self) -> tuple[Part, ...]:
        kind, block = self._kind, self._block
        self._kind, self._block = "", {}
        if kind == "text":
            if block.get("citations"):
                block["text"] = "".join(self._text)
                return (ContentBlock("text", block),)
            return _NONE
        if kind == "thinking":
            return (Reasoning(signature=self._signature or ""),)
        if kind == "redacted_thinking" or not kind:
            return _NONE
        if kind == "tool_use":
            raw = "".join(self._json)
            if not raw and block.get("input"):
                return (tool_call(block.get("id", ""), block.get("name", ""), json.dumps(block["input"]), block["input"]),)
            return (tool_call(block.get("id", ""), block.get("name", ""), raw),)
        if self._json:  # server_tool_use and the like stream their input as JSON too
            raw = "".join(self._json)
            try:
                block["input"] = _loads(raw) if raw.strip() else {}
            except ValueError:
                block["input"] = {}
        return (ContentBlock(kind, block),)

    # -- message end -------------------------------------------------------------------------
    def _final(self) -> tuple[Part, ...]:
        # A block cut by max_tokens may never get its content_block_stop (seen in a real
        # capture): close it here so its tool call is not lost.
        unclosed = self._end() if self._kind else _NONE
        stop = self._stop
        details = stop.get("stop_details")
        return (*unclosed, finish_reason(stop.get("stop_reason"), stop.get("stop_sequence"), details), make_usage(self._usage))

    def _error(self, data: str) -> None:
        try:
            error = _loads(data).get("error") or {}
            error_type, message = error.get("type"), error.get("message") or "unknown error"
        except (ValueError, AttributeError):
            error_type, message = None, data[:200] or "unknown error"
        raise StreamError(str(message), error_type, self.request_id)


def parts_from_message(message: dict[str, Any]) -> list[Part]:
    """The parts of a non-streamed response body, in the same shapes a stream yields."""
    parts: list[Part] = []
    for block in message.get("content") or ():
        kind = block.get("type")
        if kind == "text":
            if block.get("text"):
                parts.append(block["text"])
            if block.get("citations"):
                parts.append(ContentBlock("text", dict(block)))
        elif kind == "thinking":
            if block.get("thinking"):
                parts.append(Reasoning(block["thinking"]))
            parts.append(Reasoning(signature=block.get("signature") or ""))
        elif kind == "redacted_thinking":
            parts.append(Reasoning(redacted_data=block.get("data", "")))
        elif kind == "tool_use":
            inp = block.get("input")
            parts.append(tool_call(block.get("id", ""), block.get("name", ""), json.dumps(inp or {}), inp or {}))
        elif isinstance(kind, str):
            parts.append(ContentBlock(kind, dict(block)))
    parts.append(finish_reason(message.get("stop_reason"), message.get("stop_sequence"), message.get("stop_details")))
    parts.append(make_usage(message.get("usage") or {}))
    return parts

"""Provider parts -> what the chat shows, plus the throttle that keeps long streams cheap.

:class:`TurnView` folds the parts of one assistant turn into display segments *in the order
they arrived* (thinking, text, tool calls, ...), and turns them into ``gr.Chatbot`` message
dicts on demand. Rendering is pure string work: no Gradio import, so it is unit-tested fast.

The history sent back to the API is *not* built here: that is ``TurnAccumulator.to_message()``;
this module only decides what a person sees.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playground.responses import (
    ContentBlock,
    FinishReason,
    HeadersResponse,
    RawEvent,
    Reasoning,
    RequestRecord,
    RetryNotice,
    ToolCalls,
    Usage,
)
from playground.ui.messages import describe_error, escape_markdown, fence

RENDER_INTERVAL = 0.05  # seconds: at most ~20 renders/s; each costs ~2 ms end to end in Gradio
# The browser re-renders a growing message's whole Markdown on every update (about 1-2 µs per
# character measured in Chromium), so long answers are rendered less often: the interval grows to
# RENDER_COST_PER_CHAR x characters, keeping the browser mostly idle and ready for the final render.
RENDER_COST_PER_CHAR = 3e-6
EVENTS_CAP = 400  # Events log lines kept for the inspector (first N; the counts keep going)
# Parts that only restate a wire event: left out of the Events log once raw events arrive.
_RESTATED = (str, Reasoning, ToolCalls, ContentBlock, FinishReason, Usage)
THINKING_TITLE = "Thinking"


class Throttle:
    """Says when enough time passed since the last render.

    ``due()`` is true at most once per ``interval``; the caller renders then. The final
    state must be rendered regardless (callers do that after the stream ends).
    """

    def __init__(self, interval: float = RENDER_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last = float("-inf")

    def due(self) -> bool:
        """True (and restart the interval) if ``interval`` has passed since the last true."""
        now = self._clock()
        if now - self._last >= self.interval:
            self._last = now
            return True
        return False

    def remaining(self) -> float:
        """Seconds until the next render may happen (0 when one is due)."""
        return max(0.0, self.interval - (self._clock() - self._last))


@dataclass
class Segment:
    """One displayed piece of the turn. ``chunks`` are joined lazily (cheap appends on the hot path)."""

    kind: str  # "text" | "thinking" | "redacted" | "tool" | "block"
    chunks: list[str] = field(default_factory=list)
    closed: bool = False  # thinking: the signature arrived
    title: str = ""
    started: float = 0.0
    ended: float | None = None

    @property
    def content(self) -> str:
        if len(self.chunks) > 1:  # collapse so later joins stay O(new text)
            self.chunks[:] = ["".join(self.chunks)]
        return self.chunks[0] if self.chunks else ""


def _summarize(part: Any) -> tuple[str, str]:
    """(kind, short text) for the Events log."""
    if isinstance(part, str):
        return "text", part
    if isinstance(part, Reasoning):
        if part.is_redacted:
            return "redacted_thinking", f"{len(part.redacted_data or '')} bytes"
        if part.signature:
            return "signature", f"{len(part.signature)} chars"
        return "thinking", part.text
    if isinstance(part, ToolCalls):
        return "tool_calls", ", ".join(c.name for c in part.calls)
    if isinstance(part, RequestRecord):
        return "request", f"{part.method} {part.url} (attempt {part.attempt})"
    if isinstance(part, HeadersResponse):
        return "headers", f"HTTP {part.status}"
    if isinstance(part, FinishReason):
        return "finish", f"{part.raw or part.reason}"
    if isinstance(part, Usage):
        return "usage", f"in {part.input_tokens} / out {part.output_tokens}"
    if isinstance(part, RetryNotice):
        return "retry", str(part)
    if isinstance(part, ContentBlock):
        return "block", part.type
    return type(part).__name__, repr(part)[:200]


class TurnView:
    """Everything a person sees about one assistant turn, built from provider parts.

    >>> view = TurnView(); view.add("Hel"); view.add("lo"); view.text
    'Hello'
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self.segments: list[Segment] = []
        self.requests: list[RequestRecord] = []
        self.headers: HeadersResponse | None = None
        self.finish: FinishReason | None = None
        self.usage: Usage | None = None
        self.retries: list[RetryNotice] = []
        self.error: BaseException | None = None
        self.error_text: str | None = None
        self.status = "running"  # running | done | stopped | error
        self.first_token_at: float | None = None
        self.last_event_at: float | None = None
        self.last_event_wall: float | None = None  # time.time() of the last part (for cross-process timing)
        self.ended_at: float | None = None
        self.event_count = 0
        self.wire_events = 0  # RawEvent parts seen (the provider sends the first EVENTS_CAP)
        self.chars = 0  # text + thinking characters so far (sizes the render interval)
        self.events: list[tuple[float, str, str]] = []
        self.dirty = True  # something changed since the last render

    # -- folding parts -------------------------------------------------------------------
    def add(self, part: Any) -> None:
        """Fold one provider part in. Unknown part types are only logged."""
        now = self._clock()
        if isinstance(part, RawEvent):
            self.wire_events += 1
            if len(self.events) < EVENTS_CAP:
                self.events.append((now - self.started, f"event: {part.event}", part.data))
            return
        self.event_count += 1
        self.last_event_at = now
        self.last_event_wall = time.time()
        self.dirty = True
        if len(self.events) < EVENTS_CAP and not (self.wire_events and isinstance(part, _RESTATED)):
            kind, text = _summarize(part)
            self.events.append((now - self.started, kind, text))
        if isinstance(part, str):
            if part:
                self.chars += len(part)
                self._content_started(now)
                self._segment("text", now).chunks.append(part)
        elif isinstance(part, Reasoning):
            self._add_reasoning(part, now)
        elif isinstance(part, ToolCalls):
            self._content_started(now)
            self._close_thinking(now)
            for call in part.calls:
                args = call.arguments if call.arguments or not call.raw_arguments else call.raw_arguments
                body = json.dumps(args, indent=2, ensure_ascii=False) if not isinstance(args, str) else args
                self.segments.append(
                    Segment("tool", [fence(body)], True, f"Tool call: {call.name} ({call.id})", now, now)
                )
        elif isinstance(part, ContentBlock):
            self._close_thinking(now)
            body = json.dumps(part.data, indent=2, ensure_ascii=False, default=str)
            self.segments.append(Segment("block", [fence(body)], True, f"Block: {part.type}", now, now))
        elif isinstance(part, RequestRecord):
            self.requests.append(part)
        elif isinstance(part, HeadersResponse):
            self.headers = part
        elif isinstance(part, FinishReason):
            self.finish = part
        elif isinstance(part, Usage):
            self.usage = part
        elif isinstance(part, RetryNotice):
            self.retries.append(part)

    def _content_started(self, now: float) -> None:
        if self.first_token_at is None:
            self.first_token_at = now

    def _segment(self, kind: str, now: float) -> Segment:
        if not self.segments or self.segments[-1].kind != kind or self.segments[-1].closed:
            if kind == "text":
                self._close_thinking(now)
            self.segments.append(Segment(kind, started=now))
        return self.segments[-1]

    def _add_reasoning(self, part: Reasoning, now: float) -> None:
        if part.is_redacted:
            self._close_thinking(now)
            self.segments.append(Segment("redacted", [], True, "Thinking (redacted)", now, now))
            return
        if part.text:
            self.chars += len(part.text)
            self._content_started(now)
            self._segment("thinking", now).chunks.append(part.text)
        if part.signature:
            seg = self._segment("thinking", now)
            seg.closed, seg.ended = True, now

    def _close_thinking(self, now: float) -> None:
        for seg in self.segments:
            if seg.kind == "thinking" and not seg.closed:
                seg.closed, seg.ended = True, now

    # -- end states ----------------------------------------------------------------------
    def mark_done(self) -> None:
        """The stream ended normally."""
        self._end("done")

    def mark_stopped(self) -> None:
        """The user pressed Stop: whatever arrived stays, marked as stopped."""
        self._end("stopped")

    def mark_error(self, exc: BaseException) -> None:
        """The run failed: keep the partial output and show a readable message."""
        self.error = exc
        self.error_text = describe_error(exc)
        self._end("error")

    def _end(self, status: str) -> None:
        now = self._clock()
        self._close_thinking(now)
        self.status, self.ended_at, self.dirty = status, now, True

    # -- derived values ------------------------------------------------------------------
    @property
    def text(self) -> str:
        """All answer text so far (thinking and tool calls excluded)."""
        return "".join(s.content for s in self.segments if s.kind == "text")

    @property
    def thinking(self) -> str:
        return "".join(s.content for s in self.segments if s.kind == "thinking")

    def render_interval(self, base: float = RENDER_INTERVAL) -> float:
        """Seconds between renders for a turn this long: ``base``, longer for long answers."""
        return max(base, self.chars * RENDER_COST_PER_CHAR)

    @property
    def running(self) -> bool:
        return self.status == "running"

    def footer(self) -> str | None:
        """The closing line: stop reason, stopped, or the error."""
        if self.status == "stopped":
            return "*Stopped — the answer above is partial.*"
        if self.status == "error":
            return f"**Error** · {self.error_text}"
        if self.status == "done" and self.finish is not None:
            raw = self.finish.raw or self.finish.reason
            line = f"*stop reason:* `{raw}`"
            if self.finish.stop_sequence is not None:
                line += f" *(sequence* `{json.dumps(self.finish.stop_sequence)[1:-1]}`*)*"
            return line
        return None

    def messages(self) -> list[dict[str, Any]]:
        """The turn as ``gr.Chatbot`` message dicts (assistant role), in arrival order."""
        out: list[dict[str, Any]] = []
        for notice in self.retries:
            out.append(
                {
                    "role": "assistant",
                    "content": escape_markdown(notice.reason),
                    "metadata": {"title": f"Retry {notice.attempt}/{notice.max_retries} in {notice.delay:.1f} s",
                                 "status": "done"},
                }
            )
        for seg in self.segments:
            if seg.kind == "text":
                out.append({"role": "assistant", "content": seg.content})
            elif seg.kind == "thinking":
                meta: dict[str, Any] = {"title": THINKING_TITLE, "status": "done" if seg.closed else "pending"}
                if seg.closed and seg.ended is not None:
                    meta["duration"] = round(seg.ended - seg.started, 1)
                out.append({"role": "assistant", "content": seg.content, "metadata": meta})
            elif seg.kind == "redacted":
                out.append(
                    {
                        "role": "assistant",
                        "content": "The API redacted this thinking; it is kept encrypted and sent back unchanged.",
                        "metadata": {"title": seg.title, "status": "done"},
                    }
                )
            else:
                out.append({"role": "assistant", "content": seg.content, "metadata": {"title": seg.title,
                                                                                      "status": "done"}})
        footer = self.footer()
        if footer:
            out.append({"role": "assistant", "content": footer})
        elif self.running and not any(s.kind == "text" for s in self.segments):
            out.append({"role": "assistant", "content": "…"})
        return out

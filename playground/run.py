"""One run, folded once: every part a provider yields goes into a :class:`RunRecord`, and everything
that shows, stores or sends back the run reads it from there.

    run = RunRecord()
    async for part in Anthropic.create_async_generator(..., stream=True):
        run.add(part)
    run.mark_done()
    history.append(run.to_message())   # thinking blocks keep their signatures
    run.ttft_ms, run.total_ms, run.output_tokens_per_second

The chat renderer (``playground.ui.render``), the inspector (``playground.ui.inspector``), the tuning
runner and tables (``playground.tuning.runner``) and the run history (``playground.tuning.record``)
all read this record; none of them folds parts itself.

Content blocks are kept in arrival order (thinking with its signature, redacted thinking, text, text
with citations, tool_use, and any other block kept whole), so the next request carries them unchanged.
The parts carry no block index, so a block is "the last one, still open" or a new one.

Timing: the record's clock starts when it is made (the run's start, before the request is sent) and is
monotonic. Every figure is in milliseconds from that start:

- time to first token: when the first output arrived (text, thinking, a tool call or another block);
- total: when the run ended (done, stopped or failed);
- output tokens per second: output tokens over the span from the first output to the last part, for a
  streamed run only (a non-streamed reply arrives at once, so a rate would be meaningless).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .responses import (
    ContentBlock,
    FinishReason,
    HeadersResponse,
    RawEvent,
    Reasoning,
    RequestRecord,
    RetryNotice,
    ToolCall,
    ToolCalls,
    Usage,
)

EVENTS_CAP = 400  # Events log lines kept (the first N; the counts keep going)
# Parts that only restate a wire event: left out of the Events log once raw events arrive.
_RESTATED = (str, Reasoning, ToolCalls, ContentBlock, FinishReason, Usage)


@dataclass(slots=True, eq=False)
class Block:
    """One content block of the turn. ``chunks`` (text or thinking deltas) are joined lazily, so the
    hot path is a list append. ``started``/``ended`` are clock readings; ``ended`` is None while the
    block may still grow."""

    type: str  # "text" | "thinking" | "redacted_thinking" | "tool_use" | any other API block type
    started: float
    chunks: list[str] = field(default_factory=list)
    ended: float | None = None
    signature: str | None = None  # thinking: its closing signature ("" when the endpoint gives none)
    data: dict[str, Any] | None = None  # the API's block when it came whole (citations, redacted, others)
    call: ToolCall | None = None  # tool_use

    @property
    def content(self) -> str:
        """The text (or thinking) of the block."""
        if len(self.chunks) > 1:  # collapse so later joins stay O(new text)
            self.chunks[:] = ["".join(self.chunks)]
        return self.chunks[0] if self.chunks else ""

    def to_api(self) -> dict[str, Any] | None:
        """The block as the API takes it back, or None when it cannot go back (empty text, or thinking
        without a signature: the API rejects unsigned thinking)."""
        if self.data is not None:
            return copy.deepcopy(self.data)
        if self.type == "text":
            text = self.content
            return {"type": "text", "text": text} if text.strip() else None
        if self.type == "thinking":
            return {"type": "thinking", "thinking": self.content, "signature": self.signature} if self.signature else None
        if self.call is not None:
            return {"type": "tool_use", "id": self.call.id, "name": self.call.name,
                    "input": copy.deepcopy(self.call.arguments)}
        return None


def summarize(part: Any) -> tuple[str, str]:
    """(kind, short text) of a part for the Events log."""
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


class RunRecord:
    """Feed every part with :meth:`add`, end the run with one of the ``mark_*`` methods, and read the
    turn, its metadata and its timing back from the attributes and properties.

    ``clock`` (monotonic seconds) is injectable so tests can check the timing exactly.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()  # the run's start: every time below is measured from here
        self.content_blocks: list[Block] = []
        self.requests: list[RequestRecord] = []  # one per attempt
        self.headers: HeadersResponse | None = None
        self.finish: FinishReason | None = None
        self.usage: Usage | None = None
        self.retries: list[RetryNotice] = []
        self.events: list[tuple[float, str, str]] = []  # (ms from start, kind, text): the Events log
        self.event_count = 0  # typed parts (raw wire events not included)
        self.wire_events = 0  # RawEvent parts seen
        self.chars = 0  # text + thinking characters so far
        self.status = "running"  # running | done | stopped | error
        self.error: BaseException | None = None
        self.error_text: str | None = None  # what is shown and stored for the error (key-free)
        self.dirty = True  # something changed since the consumer last looked (cleared by the consumer)
        self._first_output_at: float | None = None
        self._last_part_at: float | None = None
        self._ended_at: float | None = None

    # -- folding ---------------------------------------------------------------------------------
    def add(self, part: Any) -> None:
        """Fold one part in (unknown objects are only logged)."""
        now = self._clock()
        if isinstance(part, str):  # nearly every part of a reply: the shortest path
            self.event_count += 1
            self._last_part_at = now
            self.dirty = True
            if len(self.events) < EVENTS_CAP and not self.wire_events:
                self.events.append(((now - self.started) * 1000, "text", part))
            if part:
                self.chars += len(part)
                blocks = self.content_blocks
                last = blocks[-1] if blocks else None
                if last is not None and last.type == "text" and last.ended is None:
                    last.chunks.append(part)
                else:
                    self._new_block("text", now).chunks.append(part)
            return
        if isinstance(part, RawEvent):
            self.wire_events += 1
            if len(self.events) < EVENTS_CAP:
                self.events.append(((now - self.started) * 1000, f"event: {part.event}", part.data))
            return
        self.event_count += 1
        self._last_part_at = now
        self.dirty = True
        if len(self.events) < EVENTS_CAP and not (self.wire_events and isinstance(part, _RESTATED)):
            kind, text = summarize(part)
            self.events.append(((now - self.started) * 1000, kind, text))
        if isinstance(part, Reasoning):
            self._add_reasoning(part, now)
        elif isinstance(part, ToolCalls):
            for call in part.calls:
                self._new_block("tool_use", now, call=call).ended = now
        elif isinstance(part, ContentBlock):
            self._add_block(part, now)
        elif isinstance(part, FinishReason):
            self.finish = part
        elif isinstance(part, Usage):
            self.usage = part
        elif isinstance(part, HeadersResponse):
            self.headers = part
        elif isinstance(part, RequestRecord):
            self.requests.append(part)
        elif isinstance(part, RetryNotice):
            self.retries.append(part)

    def _open(self, kind: str) -> Block | None:
        """The last block if it is a ``kind`` block still growing."""
        blocks = self.content_blocks
        if blocks:
            last = blocks[-1]
            if last.type == kind and last.ended is None:
                return last
        return None

    def _new_block(self, kind: str, now: float, **fields: Any) -> Block:
        if self._first_output_at is None:
            self._first_output_at = now
        if self.content_blocks and self.content_blocks[-1].ended is None:
            self.content_blocks[-1].ended = now  # a new block ends the one before it
        block = Block(kind, now, **fields)
        self.content_blocks.append(block)
        return block

    def _add_reasoning(self, part: Reasoning, now: float) -> None:
        if part.redacted_data is not None:
            data = {"type": "redacted_thinking", "data": part.redacted_data}
            self._new_block("redacted_thinking", now, data=data).ended = now
            return
        block = self._open("thinking")
        if block is None and (part.text or part.signature is not None):
            block = self._new_block("thinking", now)
        if block is None:
            return
        if part.text:
            self.chars += len(part.text)
            block.chunks.append(part.text)
        if part.signature is not None:  # the block's end
            block.signature, block.ended = part.signature, now

    def _add_block(self, part: ContentBlock, now: float) -> None:
        data = copy.deepcopy({"type": part.type, **part.data})
        if part.type == "text":
            # A text block with citations repeats the text already streamed: it replaces that text,
            # keeping any earlier text (from a previous block) that preceded it.
            own = data.get("text", "")
            streamed = self._open("text")
            if streamed is not None:
                earlier = streamed.content
                self.content_blocks.pop()
                if own and earlier.endswith(own) and len(earlier) > len(own):
                    self.content_blocks.append(Block("text", streamed.started, [earlier[: -len(own)]]))
            else:
                self.chars += len(own)
            self._new_block("text", now, chunks=[own] if own else [], data=data).ended = now
            return
        self._new_block(part.type, now, data=data).ended = now

    # -- end states ------------------------------------------------------------------------------
    def mark_done(self) -> None:
        """The stream ended normally."""
        self._end("done")

    def mark_stopped(self) -> None:
        """The run was stopped (Stop, or cancelled): whatever arrived stays."""
        self._end("stopped")

    def mark_error(self, exc: BaseException, text: str | None = None) -> None:
        """The run failed: keep the partial output, the error, and ``text`` (default ``Type: message``)
        as what is shown and stored for it."""
        self.error = exc
        self.error_text = text if text is not None else f"{type(exc).__name__}: {exc}"
        self._end("error")

    def _end(self, status: str) -> None:
        now = self._clock()
        if self.content_blocks and self.content_blocks[-1].ended is None:
            self.content_blocks[-1].ended = now
        self.status, self._ended_at, self.dirty = status, now, True

    @property
    def running(self) -> bool:
        """True until one of the ``mark_*`` methods is called."""
        return self.status == "running"

    # -- the turn --------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """All answer text (thinking and tool calls excluded)."""
        return "".join(b.content for b in self.content_blocks if b.type == "text")

    @property
    def thinking(self) -> str:
        """All (non-redacted) thinking text."""
        return "".join(b.content for b in self.content_blocks if b.type == "thinking")

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls, in order."""
        return [b.call for b in self.content_blocks if b.call is not None]

    @property
    def request(self) -> RequestRecord | None:
        """The last attempt's request as sent."""
        return self.requests[-1] if self.requests else None

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The turn's content blocks in the API's shape (copies)."""
        return [api for api in (b.to_api() for b in self.content_blocks) if api is not None]

    def to_message(self) -> dict[str, Any]:
        """``{"role": "assistant", "content": [blocks...]}``, ready to append to the history."""
        return {"role": "assistant", "content": self.blocks}

    # -- timing (ms from the run's start) ----------------------------------------------------------
    def _ms(self, at: float | None) -> float | None:
        return None if at is None else (at - self.started) * 1000

    @property
    def ttft_ms(self) -> float | None:
        """Time to first token: when the first output arrived."""
        return self._ms(self._first_output_at)

    @property
    def last_part_ms(self) -> float | None:
        """When the last part arrived."""
        return self._ms(self._last_part_at)

    @property
    def total_ms(self) -> float | None:
        """When the run ended (None while it runs)."""
        return self._ms(self._ended_at)

    @property
    def streamed(self) -> bool:
        """The request asked for a stream and the server sent one (not a JSON body)."""
        request = self.request
        if request is None or request.body.get("stream") is not True:
            return False
        kind = self.headers.headers.get("content-type", "") if self.headers is not None else ""
        return not kind.startswith("application/json")

    @property
    def output_tokens_per_second(self) -> float | None:
        """Output tokens over the span from the first output to the last part; None for a run that was
        not streamed, or without output tokens or a span to measure."""
        if not self.streamed or self.usage is None or not self.usage.output_tokens:
            return None
        if self._first_output_at is None or self._last_part_at is None:
            return None
        span = self._last_part_at - self._first_output_at
        return self.usage.output_tokens / span if span > 0 else None

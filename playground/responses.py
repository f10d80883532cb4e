"""The typed parts a provider yields, besides plain ``str`` text deltas.

A run yields, in order: one :class:`RequestRecord` per attempt, :class:`RetryNotice` before
each retry, one :class:`HeadersResponse` when the response starts, then content (``str``,
:class:`Reasoning`, :class:`ToolCalls`, :class:`ContentBlock`), then :class:`FinishReason`
and :class:`Usage`. With ``raw_events=N`` the first N wire events also come through as
:class:`RawEvent`, each just before the parts it produces. Plain dataclasses: cheap to build on
the hot path, easy to compare in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """The request as sent: headers have the API key redacted to its last 4 characters."""

    method: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    body_text: str = ""  # the exact JSON bytes sent, decoded
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class HeadersResponse:
    """Status and raw response headers (``request-id``, ``anthropic-ratelimit-*``, ...)."""

    status: int
    headers: dict[str, str]

    @property
    def request_id(self) -> str | None:
        return self.headers.get("request-id") or self.headers.get("x-request-id")


@dataclass(frozen=True, slots=True)
class Reasoning:
    """A thinking delta (``text``), a block's closing ``signature``, or redacted thinking."""

    text: str = ""
    signature: str | None = None
    redacted_data: str | None = None  # opaque ``redacted_thinking.data``; send back unchanged

    @property
    def is_redacted(self) -> bool:
        return self.redacted_data is not None


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str = ""  # the assembled JSON text, kept for display when it did not parse


@dataclass(frozen=True, slots=True)
class ToolCalls:
    """Finished tool_use blocks (one part per block; a list to match the OpenAI shape)."""

    calls: list[ToolCall]


@dataclass(frozen=True, slots=True)
class ContentBlock:
    """A finished content block the provider does not turn into text (server tools,
    citations-bearing text metadata, compaction, fallback, ...): kept whole so it can be
    shown and sent back unchanged."""

    type: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FinishReason:
    """Why the model stopped. ``reason`` is normalized (``stop``, ``length``,
    ``tool_calls``, ``content_filter``, ``pause``, ``context_window``); ``raw`` is the API's
    ``stop_reason``."""

    reason: str
    raw: str | None = None
    stop_sequence: str | None = None
    details: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    @property
    def completion_tokens(self) -> int:
        return self.output_tokens

    # The TTL split of cache_creation_input_tokens, read from the API's ``cache_creation`` object
    # kept in ``extra`` (0 when absent or null).
    @property
    def cache_write_1h_tokens(self) -> int:
        """Of ``cache_creation_input_tokens``, those written with a 1-hour TTL."""
        return self._cache_creation("ephemeral_1h_input_tokens")

    @property
    def cache_write_5m_tokens(self) -> int:
        """Of ``cache_creation_input_tokens``, those written with a 5-minute TTL."""
        return self._cache_creation("ephemeral_5m_input_tokens")

    def _cache_creation(self, key: str) -> int:
        split = self.extra.get("cache_creation")
        value = split.get(key) if isinstance(split, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class RetryNotice:
    """Emitted before sleeping for a retry, so a UI can say "retrying in 2 s (529 overloaded)"."""

    attempt: int  # the retry about to happen, 1-based
    max_retries: int
    delay: float  # seconds
    reason: str  # e.g. "529 overloaded_error: Overloaded" or "connection error: ..."

    def __str__(self) -> str:
        return f"retrying in {self.delay:.1f} s ({self.reason}) [{self.attempt}/{self.max_retries}]"


@dataclass(frozen=True, slots=True)
class RawEvent:
    """One server-sent event exactly as decoded (``raw_events=N`` asks for the first N of a run);
    for a non-streamed reply, the whole response body as one event named ``"body"``."""

    event: str  # the SSE ``event:`` name ("message" when the server gave none)
    data: str


Part = (str | RequestRecord | HeadersResponse | Reasoning | ToolCalls | ContentBlock | FinishReason | Usage
        | RetryNotice | RawEvent)

# Anthropic stop_reason -> the OpenAI-style name a multi-provider UI can switch on.
FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "pause",
    "model_context_window_exceeded": "length",
}


def finish_reason(raw: str | None, stop_sequence: str | None = None, details: dict | None = None) -> FinishReason:
    """Normalize an Anthropic ``stop_reason``; unknown values pass through unchanged."""
    return FinishReason(FINISH_REASONS.get(raw or "", raw or "stop"), raw, stop_sequence, details)

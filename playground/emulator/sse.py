"""Server-sent events: encode a planned reply as the real API's event sequence, and write a
sequence of events to an aiohttp response with pacing, batching and stream faults.

Framing is exactly ``event: NAME\\ndata: <one-line JSON>\\n\\n`` for every event, with one
``ping`` after the first ``content_block_start`` (reference §3). When unpaced, many events
are joined into one transport write (up to :data:`BATCH_BYTES`), which is what lets one
process stream well over 100k events/s; when paced, every event is written and drained alone.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from aiohttp import web

from .caching import CacheUsage
from .compose import DIRECT_CALLER, Reply
from .extras import Extras
from .faults import DELTAS_BEFORE_FAULT

OTHER, DELTA, TAIL, STOP = 0, 1, 2, 3  # what kind of event a frame is (for pacing and faults)
BATCH_BYTES = 64 * 1024
PING = b'event: ping\ndata: {"type": "ping"}\n\n'


def _dumps(payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def event(name: str, payload: dict) -> bytes:
    """One framed event."""
    return f"event: {name}\ndata: {_dumps(payload)}\n\n".encode()


class _DeltaCache:
    """Encoded ``content_block_delta`` frames, memoized: replies reuse a small vocabulary, and
    building the JSON once per distinct token keeps the hot path to one dict lookup."""

    def __init__(self, limit: int = 50_000) -> None:
        self._frames: dict[tuple[int, str, str], bytes] = {}
        self._limit = limit

    def frame(self, index: int, kind: str, field_name: str, value: str) -> bytes:
        key = (index, kind, value)
        frame = self._frames.get(key)
        if frame is None:
            if len(self._frames) >= self._limit:
                self._frames.clear()
            frame = self._frames[key] = (
                'event: content_block_delta\ndata: {"type":"content_block_delta","index":' + str(index)
                + ',"delta":{"type":"' + kind + '","' + field_name + '":' + _dumps(value) + "}}\n\n"
            ).encode()
        return frame


_CACHE = _DeltaCache()
_DELTA_FIELDS = {"text": ("text_delta", "text"), "thinking": ("thinking_delta", "thinking"),
                 "tool_use": ("input_json_delta", "partial_json")}


def message_json(reply: Reply, *, message_id: str, model: str, input_tokens: int,
                 cache: CacheUsage | None = None, extras: Extras | None = None) -> dict:
    """The non-streaming ``Message`` body. ``input_tokens`` is the total input; ``cache``, when
    given, splits it into uncached, read and written tokens; ``extras`` adds what the newer
    request fields echo (``usage.speed``, ``diagnostics``, ...)."""
    return {
        "id": message_id, "type": "message", "role": "assistant", "model": model,
        "content": [b.to_json() for b in reply.blocks],
        "stop_reason": reply.stop_reason, "stop_sequence": reply.stop_sequence,
        "usage": _usage(input_tokens, reply.output_tokens, cache, extras),
        **(extras.message_fields() if extras else {}),
    }


def _usage(input_tokens: int, output_tokens: int, cache: CacheUsage | None, extras: Extras | None = None) -> dict:
    fields = (cache or CacheUsage(input_tokens)).usage_fields()
    return {**fields, "output_tokens": output_tokens, "service_tier": "standard",
            **(extras.usage_fields() if extras else {})}


def anthropic_events(reply: Reply, *, message_id: str, model: str, input_tokens: int,
                     cache: CacheUsage | None = None, extras: Extras | None = None) -> Iterator[tuple[bytes, int]]:
    """The frames of a streamed reply, each tagged OTHER / DELTA / TAIL / STOP. The input-side
    usage (``input_tokens`` total, split by ``cache``) goes in ``message_start`` (reference §3.4)."""
    start = {"id": message_id, "type": "message", "role": "assistant", "model": model, "content": [],
             "stop_reason": None, "stop_sequence": None, "usage": _usage(input_tokens, 1, cache, extras),
             **(extras.message_fields() if extras else {})}
    yield event("message_start", {"type": "message_start", "message": start}), OTHER
    if not reply.blocks:
        yield PING, OTHER
    for index, block in enumerate(reply.blocks):
        if block.type == "redacted_thinking":
            # Arrives whole in content_block_start and gets no deltas (reference §3.2).
            yield event("content_block_start", {"type": "content_block_start", "index": index,
                                                "content_block": block.to_json()}), OTHER
            if index == 0:
                yield PING, OTHER
            yield event("content_block_stop", {"type": "content_block_stop", "index": index}), OTHER
            continue
        if block.type == "thinking":
            first = {"type": "thinking", "thinking": "", "signature": ""}
        elif block.type == "tool_use":
            first = {"type": "tool_use", "id": block.tool_id, "name": block.tool_name, "caller": DIRECT_CALLER,
                     "input": {}}
        else:
            first = {"type": "text", "text": ""}
        yield event("content_block_start", {"type": "content_block_start", "index": index,
                                            "content_block": first}), OTHER
        if index == 0:
            yield PING, OTHER
        kind, field_name = _DELTA_FIELDS[block.type]
        frame = _CACHE.frame
        for piece in block.pieces:
            yield frame(index, kind, field_name, piece), DELTA
        if block.type == "thinking":
            yield frame(index, "signature_delta", "signature", block.signature), DELTA
        yield event("content_block_stop", {"type": "content_block_stop", "index": index}), OTHER
    yield event("message_delta", {"type": "message_delta",
                                  "delta": {"stop_reason": reply.stop_reason, "stop_sequence": reply.stop_sequence},
                                  "usage": {"output_tokens": reply.output_tokens}}), TAIL
    yield event("message_stop", {"type": "message_stop"}), STOP


@dataclass(frozen=True, slots=True)
class Pacing:
    """``latency_s`` before the first delta; ``interval_s`` between deltas (1 / tokens per
    second); ``pause_s`` an extra pause before every delta (the ``slow`` fault)."""

    latency_s: float = 0.0
    interval_s: float = 0.0
    pause_s: float = 0.0

    @property
    def paced(self) -> bool:
        return self.latency_s > 0 or self.interval_s > 0 or self.pause_s > 0


async def write_events(request: web.Request, resp: web.StreamResponse, frames: Iterable[tuple[bytes, int]], *,
                       pacing: Pacing, fault: str | None = None, error_frame: bytes = b"") -> None:
    """Write ``frames`` to ``resp``, applying pacing and the stream faults ``mid_stream_error``
    (write ``error_frame`` and stop), ``disconnect`` (cut the connection) and ``truncate``
    (leave out the STOP frame) after :data:`DELTAS_BEFORE_FAULT` deltas."""
    loop = asyncio.get_running_loop()
    buf: list[bytes] = []
    size = 0
    deltas = 0
    next_at = 0.0
    strike = fault in ("mid_stream_error", "disconnect")
    for data, kind in frames:
        if strike and (kind == TAIL or (kind == DELTA and deltas == DELTAS_BEFORE_FAULT)):
            if buf:
                await resp.write(b"".join(buf))
            if fault == "mid_stream_error":
                await resp.write(error_frame)
            else:
                _cut_connection(request)
            return
        if kind == STOP and fault == "truncate":
            break
        if kind == DELTA and pacing.paced:
            if buf:  # what the client should already see before we wait
                await resp.write(b"".join(buf))
                buf, size = [], 0
            now = loop.time()
            if deltas == 0:
                next_at = now + pacing.latency_s
            next_at = max(next_at, now) + pacing.pause_s
            if next_at > now:
                await asyncio.sleep(next_at - now)
            next_at += pacing.interval_s
        if kind == DELTA:
            deltas += 1
        buf.append(data)
        size += len(data)
        if size >= BATCH_BYTES or (pacing.paced and kind == DELTA):
            await resp.write(b"".join(buf))
            buf, size = [], 0
    if buf:
        await resp.write(b"".join(buf))


def _cut_connection(request: web.Request) -> None:
    """Drop the TCP connection without finishing the chunked body, like a network failure."""
    transport = request.transport
    if transport is not None:
        transport.abort()

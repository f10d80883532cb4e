"""Prompt caching (``cache_control``, reference §1.9): validate breakpoints, find the prefix
each one covers, and keep an in-memory, per-server cache of written prefixes.

The rule (documented in the README):

* a breakpoint is a ``cache_control`` (``{"type": "ephemeral"}``, optional ``"ttl": "5m" | "1h"``)
  on a tool, a system text block or a top-level message content block; the request-level
  ``cache_control`` puts one on the last block of the last message. At most 4 per request;
* blocks are laid out in the order ``tools`` -> ``system`` -> ``messages``; the prefix of a
  block is everything up to and including it, and its token count is the input-token count
  of :mod:`.conversation` up to there (the request's 3 framing tokens come first), so the
  prefix of the last block is the whole input;
* a prefix is identified by a SHA-256 of the model id and the canonical JSON of its blocks
  with ``cache_control`` removed (moving a breakpoint does not change what was cached);
* only the LAST breakpoint matters, and only if its prefix has at least the model's
  ``min_cache_tokens`` (``catalog.ModelInfo``: 128 for ``playground-tiny``; 1024 for every real
  id, an assumption: the reference gives 1024/2048/4096 "depending on model" without saying which);
  shorter prefixes silently don't cache. If that prefix is cached and unexpired, all of it
  is read (and its expiry refreshed). Otherwise the longest cached prefix among the blocks
  at or up to 20 blocks before any breakpoint (the API's lookback) is read, and the rest up to the
  last breakpoint is written: every breakpoint after the read point stores its prefix, and
  the tokens between two breakpoints count as written with the TTL of the later one;
* ``input_tokens`` = total - read - written (uncached input only, reference §2.3).

Not modelled: ``cache_control`` inside ``tool_result`` content (accepted, not a breakpoint), invalidation by ``tool_choice`` / ``thinking`` changes, per-organization caches,
the ordering rule between 1h and 5m breakpoints. The cache is per server (``Settings``),
bounded (LRU) and used from one event loop only, so it needs no lock.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .apierror import invalid
from .conversation import REQUEST_OVERHEAD, Conversation
from .tokenizer import count

MAX_BREAKPOINTS = 4
LOOKBACK_BLOCKS = 20
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


@dataclass(slots=True)
class Position:
    """One block of the request in cache order: its path (for errors), the input tokens from
    the start of the request through it, the key of that prefix (``""`` when the request has
    no breakpoint: nothing to look up), and its TTL if it carries a breakpoint (else ``None``)."""

    path: str
    tokens: int
    key: str = ""
    ttl: str | None = None


@dataclass
class Layout:
    """The request's blocks in cache order (see :func:`layout`) and which are breakpoints."""

    positions: list[Position] = field(default_factory=list)
    total_tokens: int = 0

    @property
    def breakpoints(self) -> list[int]:
        """Indices into :attr:`positions` of the blocks that carry ``cache_control``."""
        return [i for i, p in enumerate(self.positions) if p.ttl is not None]


@dataclass(frozen=True, slots=True)
class CacheUsage:
    """The input side of ``usage``: uncached, read and written tokens (written split by TTL)."""

    input_tokens: int
    cache_read_input_tokens: int = 0
    write_5m: int = 0
    write_1h: int = 0

    @property
    def cache_creation_input_tokens(self) -> int:
        return self.write_5m + self.write_1h

    def usage_fields(self) -> dict[str, Any]:
        """The ``usage`` fields of a Messages response, in the API's names."""
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation": {"ephemeral_5m_input_tokens": self.write_5m,
                               "ephemeral_1h_input_tokens": self.write_1h},
        }


def check_cache_control(value: Any, path: str) -> str:
    """Validate one ``cache_control`` object; return its TTL (``"5m"`` by default)."""
    where = f"{path}.cache_control" if path else "cache_control"
    if not isinstance(value, dict):
        raise invalid(f"{where}: Input should be a valid dictionary", where)
    if value.get("type") != "ephemeral":
        raise invalid(f"{where}: Input tag {value.get('type')!r} found using 'type' does not match any of the "
                      "expected tags: 'ephemeral'", f"{where}.type")
    for key in value:
        if key not in ("type", "ttl"):
            raise invalid(f"{where}.ephemeral.{key}: Extra inputs are not permitted", f"{where}.{key}")
    ttl = value.get("ttl", "5m")
    if ttl not in TTL_SECONDS:
        raise invalid(f"{where}.ephemeral.ttl: Input should be '5m' or '1h'", f"{where}.ttl")
    return ttl


def _strip(block: Any) -> Any:
    """``block`` without its ``cache_control``: markers do not change what a prefix holds."""
    if isinstance(block, dict) and "cache_control" in block:
        return {k: v for k, v in block.items() if k != "cache_control"}
    return block


def _compact(value: Any) -> str:  # the same form conversation.check_tools counts
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def layout(body: dict, model: str, conv: Conversation, tool_tokens: int, sys_tokens: int) -> Layout:
    """Lay out an already validated request's blocks in cache order, validate every
    ``cache_control`` and the breakpoint count. Raises :class:`ApiError` (400)."""
    # conv.input_tokens and conv.block_ends already include the request's framing tokens.
    out = Layout(total_tokens=tool_tokens + sys_tokens + conv.input_tokens)
    segments: list[list] = []
    found = 0

    def add(path: str, segment: list, tokens: int, block: Any) -> None:
        nonlocal found
        cc = block.get("cache_control") if isinstance(block, dict) else None
        ttl = None
        if cc is not None:
            ttl = check_cache_control(cc, path)
            found += 1
        segments.append(segment)
        out.positions.append(Position(path, tokens, ttl=ttl))

    tools = body.get("tools") or []
    # The tools are counted as one compact JSON list; "[", "," and "]" are one token each and
    # never merge with a neighbour, so the list's first i+1 tools count 2 + i + their own tokens.
    running = REQUEST_OVERHEAD + 1
    for i, tool in enumerate(tools):
        running += count(_compact(tool)) + (1 if i else 0)
        add(f"tools.{i}", ["tool", _strip(tool)], running + 1, tool)
    system = body.get("system")
    running = REQUEST_OVERHEAD + tool_tokens
    if isinstance(system, str) and system:
        add("system", ["system", system], running + sys_tokens, None)
    elif isinstance(system, list):
        for j, block in enumerate(system):
            running += count(block["text"])
            add(f"system.{j}", ["system", _strip(block)], running, block)
    messages = body["messages"]
    for i, j, tokens in conv.block_ends:
        msg = messages[i]
        content = msg["content"]
        block = {"type": "text", "text": content} if isinstance(content, str) else content[j]
        add(f"messages.{i}.content.{j}", ["message", i, msg["role"], _strip(block)],
            tool_tokens + sys_tokens + tokens, block)

    top = body.get("cache_control")
    if top is not None:  # the request-level form: a breakpoint on the last block
        ttl = check_cache_control(top, "")
        found += 1
        if out.positions and out.positions[-1].ttl is None:
            out.positions[-1].ttl = ttl
    if found > MAX_BREAKPOINTS:
        raise invalid(f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {found}.",
                      "cache_control")
    if found:  # hash only when there is something to cache: a running digest, one copy per block
        digest = hashlib.sha256(model.encode())
        for pos, segment in zip(out.positions, segments, strict=True):
            digest.update(b"\n" + _compact(segment).encode())
            pos.key = digest.copy().hexdigest()
    return out


@dataclass
class _Entry:
    tokens: int
    ttl_s: float
    expires_at: float


class PromptCache:
    """Written prefixes by key, with expiry from ``clock`` (seconds; inject one in tests) and
    at most ``max_entries`` kept (least recently used dropped first)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_entries: int = 1024) -> None:
        self._clock = clock
        self._max = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def _live(self, key: str, now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= now:
            del self._entries[key]
            return None
        return entry

    def _store(self, key: str, tokens: int, ttl_s: float, now: float) -> None:
        old = self._entries.get(key)
        ttl_s = max(ttl_s, old.ttl_s) if old else ttl_s
        self._entries[key] = _Entry(tokens, ttl_s, now + ttl_s)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def apply(self, lay: Layout, min_tokens: int) -> CacheUsage:
        """Read and write this request's prefixes (the rule in the module docstring)."""
        total = lay.total_tokens
        marks = lay.breakpoints
        if not marks or lay.positions[marks[-1]].tokens < min_tokens:
            return CacheUsage(total)
        now = self._clock()
        last = lay.positions[marks[-1]]
        if self._live(last.key, now) is not None:
            self._store(last.key, last.tokens, TTL_SECONDS[last.ttl or "5m"], now)
            return CacheUsage(total - last.tokens, cache_read_input_tokens=last.tokens)
        # The longest cached prefix before the last breakpoint, looking back from every breakpoint.
        read_at, read = -1, 0
        candidates = {k for m in marks for k in range(max(0, m - LOOKBACK_BLOCKS), m + 1)} - {marks[-1]}
        for k in sorted(candidates, reverse=True):
            pos = lay.positions[k]
            if pos.tokens >= min_tokens and (entry := self._live(pos.key, now)) is not None:
                read_at, read = k, pos.tokens
                self._store(pos.key, pos.tokens, entry.ttl_s, now)
                break
        written = {"5m": 0, "1h": 0}
        done = read
        for m in marks:
            pos = lay.positions[m]
            if m <= read_at or pos.tokens < min_tokens:
                continue
            written[pos.ttl or "5m"] += pos.tokens - done
            done = pos.tokens
            self._store(pos.key, pos.tokens, TTL_SECONDS[pos.ttl or "5m"], now)
        return CacheUsage(total - done, cache_read_input_tokens=read, write_5m=written["5m"], write_1h=written["1h"])

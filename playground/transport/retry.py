"""Which failures are retried, and how long to wait (the official SDK's policy, restated).

An HTTP error is retried when ``x-should-retry`` says so; ``x-should-retry: false`` vetoes
everything; otherwise 408, 409, 429 and every 5xx (529 included) are retried. The wait is the
server's ``retry-after-ms`` / ``retry-after`` (seconds or HTTP date) when it is within
``[0, max_server_delay]``, else exponential backoff with jitter.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff settings. ``base_delay * 2**n`` capped at ``max_delay``, minus up to ``jitter``
    (a fraction) at random, so many clients do not retry in lockstep."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_server_delay: float = 60.0  # a longer retry-after is not waited for; backoff instead

    def should_retry(self, status: int, headers: Mapping[str, str]) -> bool:
        """Whether an error response with ``status`` and ``headers`` is worth another attempt."""
        verdict = (headers.get("x-should-retry") or "").strip().lower()
        if verdict == "true":
            return True
        if verdict == "false":
            return False
        return status in RETRY_STATUSES or status >= 500

    def delay(self, retries_taken: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait before the next attempt; ``retries_taken`` is 0 before the first retry."""
        server = server_delay(headers) if headers else None
        if server is not None and 0 <= server <= self.max_server_delay:
            return server
        backoff = min(self.base_delay * 2.0**retries_taken, self.max_delay)
        return backoff * (1 - self.jitter * random.random())


def server_delay(headers: Mapping[str, str]) -> float | None:
    """The wait the server asked for, in seconds, or None when it did not (or said nonsense).

    ``retry-after-ms`` wins over ``retry-after``; the latter may be seconds or an HTTP date.
    An explicit 0 is honoured (retry at once), which also keeps tests against local servers fast.
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return float(raw_ms) / 1000.0
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())

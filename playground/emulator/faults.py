"""Injected failures, per request (header ``x-emulator-fault: NAME``) or for every request
(``--fault NAME`` / ``Emulator(fault=NAME)``).

=====================  =====================================================================
``rate_limit``         429 ``rate_limit_error`` with ``retry-after: 1``, ``x-should-retry: true``
                       (and, like every response, the ``anthropic-ratelimit-*`` headers)
``overloaded``         529 ``overloaded_error`` (``Overloaded``), ``retry-after: 1``, ``x-should-retry: true``
``server_error``       500 ``api_error``
``mid_stream_error``   200, some deltas, then ``event: error`` (``overloaded_error``); no
                       ``message_stop``. Non-streaming: 500 ``api_error``.
``disconnect``         200, some deltas, then the TCP connection is cut. Non-streaming: the
                       connection is cut before any response.
``truncate``           the stream ends cleanly after ``message_delta``, without ``message_stop``.
                       Non-streaming: half of the JSON body, then the connection closes.
``slow``               a long pause (default 1 s, header ``x-emulator-pause-ms``) before every
                       delta (non-streaming: before the response).
``fail_once_<name>``   ``<name>`` on the first attempt only; a retry of the same request (same
                       path, body and fault) succeeds.
=====================  =====================================================================

Status faults apply to ``/v1/messages``, ``count_tokens`` and ``/v1/chat/completions``; the
models endpoints are never failed, so a UI can still list models during a fault demo.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from .apierror import ApiError

STATUS_FAULTS = ("rate_limit", "overloaded", "server_error")
STREAM_FAULTS = ("mid_stream_error", "disconnect", "truncate", "slow")
FAULTS = STATUS_FAULTS + STREAM_FAULTS
ONCE_PREFIX = "fail_once_"
DELTAS_BEFORE_FAULT = 3  # mid_stream_error / disconnect strike after this many content deltas


@dataclass(frozen=True, slots=True)
class Fault:
    name: str  # one of FAULTS
    once: bool = False


def parse(name: str | None) -> Fault | None:
    """``"fail_once_overloaded"`` -> ``Fault("overloaded", once=True)``; None/"" -> None.

    Raises ValueError naming the valid choices for anything else."""
    if not name:
        return None
    name = name.strip().lower()
    once = name.startswith(ONCE_PREFIX)
    base = name[len(ONCE_PREFIX):] if once else name
    if base not in FAULTS:
        choices = ", ".join(FAULTS)
        raise ValueError(f"unknown fault {name!r}: expected one of {choices}, or fail_once_<one of them>")
    return Fault(base, once)


def all_names() -> list[str]:
    """Every accepted fault name (for ``--fault`` choices and docs)."""
    return [*FAULTS, *(ONCE_PREFIX + f for f in FAULTS)]


def status_error(name: str) -> ApiError:
    """The error response of a status fault."""
    if name == "rate_limit":
        return ApiError(429, "Number of request tokens has exceeded your per-minute rate limit "
                             "(injected by the emulator: x-emulator-fault rate_limit). See "
                             "https://docs.anthropic.com/en/api/rate-limits.",
                        # The exhausted limits say 0 (these override the counters' headers).
                        headers={"retry-after": "1", "x-should-retry": "true",
                                 "anthropic-ratelimit-tokens-remaining": "0",
                                 "anthropic-ratelimit-input-tokens-remaining": "0"})
    if name == "overloaded":
        # The SDK honours both: retry, after this many seconds (reference §5.2-5.3).
        return ApiError(529, "Overloaded", headers={"retry-after": "1", "x-should-retry": "true"})
    return ApiError(500, "Internal server error (injected by the emulator: x-emulator-fault server_error)")


class FailOnce:
    """Remembers which (path, body, fault) combinations already failed once. Thread-safe:
    the same emulator may be shared by a threaded server handle and the test thread."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def first_time(self, path: str, body: bytes, fault: Fault) -> bool:
        """True the first time this request is seen with this fault, False afterwards."""
        key = hashlib.sha256(path.encode() + b"\0" + fault.name.encode() + b"\0" + body).hexdigest()
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

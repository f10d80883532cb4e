"""Plausible ``anthropic-ratelimit-*`` headers that count down within a one-minute window.

Nothing is enforced (use the ``rate_limit`` fault for 429s); the numbers only move the way
the real ones do: each request takes one request and ``input + max_tokens`` tokens (the API
estimates output from ``max_tokens`` up front), and the window refills after 60 s.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

WINDOW_S = 60.0


class RateLimits:
    """Per-emulator counters. ``headers()`` is called once per request."""

    def __init__(self, requests_limit: int = 4000, input_limit: int = 2_000_000,
                 output_limit: int = 400_000) -> None:
        self.requests_limit = requests_limit
        self.input_limit = input_limit
        self.output_limit = output_limit
        self._lock = threading.Lock()
        self._reset_at = 0.0
        self._requests = self._input = self._output = 0

    def headers(self, input_tokens: int = 0, output_tokens: int = 0) -> dict[str, str]:
        """Take one request and the given tokens; return the headers describing what is left."""
        now = time.time()
        with self._lock:
            if now >= self._reset_at:
                self._reset_at = now + WINDOW_S
                self._requests = self._input = self._output = 0
            self._requests += 1
            self._input += input_tokens
            self._output += output_tokens
            reset = datetime.fromtimestamp(self._reset_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            req_left = max(0, self.requests_limit - self._requests)
            in_left = max(0, self.input_limit - self._input)
            out_left = max(0, self.output_limit - self._output)
        tokens_limit = self.input_limit + self.output_limit
        return {
            "anthropic-ratelimit-requests-limit": str(self.requests_limit),
            "anthropic-ratelimit-requests-remaining": str(req_left),
            "anthropic-ratelimit-requests-reset": reset,
            "anthropic-ratelimit-tokens-limit": str(tokens_limit),
            "anthropic-ratelimit-tokens-remaining": str(in_left + out_left),
            "anthropic-ratelimit-tokens-reset": reset,
            "anthropic-ratelimit-input-tokens-limit": str(self.input_limit),
            "anthropic-ratelimit-input-tokens-remaining": str(in_left),
            "anthropic-ratelimit-input-tokens-reset": reset,
            "anthropic-ratelimit-output-tokens-limit": str(self.output_limit),
            "anthropic-ratelimit-output-tokens-remaining": str(out_left),
            "anthropic-ratelimit-output-tokens-reset": reset,
        }

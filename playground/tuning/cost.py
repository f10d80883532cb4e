"""What a sweep may cost before it runs, and a per-session spend cap that refuses past it.

The estimate is an upper bound: every request is priced as if it used its whole ``max_tokens``
(thinking tokens are billed as output and are included in ``max_tokens``), with input tokens
estimated from the prompt's length. A cap checked against an upper bound can refuse a sweep
that would have fit, but never lets one through that could overrun it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import catalog
from ..config import current

CHARS_PER_TOKEN = 3.5  # conservative for English: more tokens per character than the usual ~4


class SpendCapExceeded(ValueError):
    """A sweep was refused because its estimate would take the session past its spend cap."""


def estimate_input_tokens(text: str) -> int:
    """A rough, deliberately high token count for ``text`` (system prompt + messages)."""
    return max(1, int(len(text) / CHARS_PER_TOKEN) + 1) + 8  # +8: per-message framing tokens


@dataclass
class Estimate:
    """Number of requests and their worst-case cost; ``unpriced`` lists models with no known price."""

    requests: int = 0
    cost_usd: float = 0.0
    unpriced: list[str] = field(default_factory=list)
    batch: bool = False  # priced at Message Batches prices

    def describe(self) -> str:
        """One sentence for the confirm dialog."""
        text = f"{self.requests} request{'s' * (self.requests != 1)}, estimated cost at most ${self.cost_usd:.4f}"
        if self.batch:
            text += f" at batch prices ({catalog.BATCH_PRICE_FACTOR:.0%} of list)"
        if self.unpriced:
            text += f" (no price known for {', '.join(sorted(set(self.unpriced)))}: counted as $0)"
        return text


def request_cost(model: str, input_tokens: int, max_tokens: int, *, batch: bool = False) -> float | None:
    """Upper-bound cost of one request in USD (None for a model the catalog does not price);
    ``batch``: at Message Batches prices."""
    return catalog.cost_usd(model, input_tokens, max_tokens, batch=batch)


def estimate(requests: Iterable[tuple[str, int]], input_tokens: int, *, batch: bool = False) -> Estimate:
    """Sum the upper-bound cost of ``requests`` given as ``(model, max_tokens)`` pairs (``batch``: at
    Message Batches prices)."""
    est = Estimate(batch=batch)
    for model, max_tokens in requests:
        est.requests += 1
        cost = request_cost(model, input_tokens, max_tokens, batch=batch)
        if cost is None:
            est.unpriced.append(model)
        else:
            est.cost_usd += cost
    return est


def default_cap() -> float:
    """The configured ``PLAYGROUND_SPEND_CAP_USD`` (default :data:`DEFAULT_CAP_USD`)."""
    return current().spend_cap_usd


class SpendCap:
    """Per-session budget. ``check`` refuses an estimate that would overrun it; ``add`` books real spend.

    Thread-safe, because sweep cells finish on many tasks at once.
    """

    def __init__(self, cap_usd: float | None = None) -> None:
        self.cap_usd = default_cap() if cap_usd is None else float(cap_usd)
        if self.cap_usd < 0:
            raise ValueError(f"spend cap must be >= 0, got {cap_usd}")
        self._spent = 0.0
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, Any]) -> SpendCap:
        # gr.State deep-copies its initial value per session: give each session a fresh, unlocked copy.
        new = SpendCap(self.cap_usd)
        new._spent = self._spent
        return new

    @property
    def spent_usd(self) -> float:
        """What this session has spent so far (list price)."""
        return self._spent

    @property
    def remaining_usd(self) -> float:
        """Budget left."""
        return max(0.0, self.cap_usd - self._spent)

    def check(self, est: Estimate) -> None:
        """Raise :class:`SpendCapExceeded` if ``est`` could take spending past the cap."""
        if est.cost_usd > self.remaining_usd + 1e-12:
            raise SpendCapExceeded(
                f"refused: this sweep could cost up to ${est.cost_usd:.4f}, but the session's spend cap is "
                f"${self.cap_usd:.2f} and ${self._spent:.4f} is already spent (${self.remaining_usd:.4f} left). "
                "Lower max_tokens, the number of values or repeats, or raise the cap."
            )

    def add(self, cost_usd: float | None) -> None:
        """Book the cost of a finished request."""
        if cost_usd:
            with self._lock:
                self._spent += float(cost_usd)

"""Message Batches held in memory: their lifecycle, counts, results and retention (no HTTP here).

Lifecycle (reference batches-files-structured §1.4): ``in_progress`` -> (cancel) ``canceling`` ->
``ended``. Every request counts as ``processing`` until the whole batch ends; then the counts are
the tallies of the results. ``expires_at`` is ``created_at + expiry_s`` (24 h): requests not
started by then end ``expired``. Results stay downloadable until ``created_at + retention_s``
(29 days), when the batch is archived (``archived_at`` set, results gone, the batch still
readable). A batch can be deleted only once ended. The store is bounded: past ``max_batches``
or ``max_requests`` (over all stored batches) the oldest ended batches are dropped, and when
none can be, a create is refused with 429.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .apierror import ApiError, invalid
from .compose import new_id
from .listing import rfc3339

DAY_S = 24 * 3600
EXPIRY_S = DAY_S
RETENTION_S = 29 * DAY_S
MAX_BATCHES = 1000
MAX_STORED_REQUESTS = 200_000
RESULT_TYPES = ("succeeded", "errored", "canceled", "expired")


@dataclass
class Batch:
    """One Message Batch. ``requests`` are ``(custom_id, params)`` pairs; ``lines`` the results JSONL."""

    id: str
    requests: list[tuple[str, Any]]
    created_at: float
    expires_at: float
    status: str = "in_progress"
    cancel_initiated_at: float | None = None
    ended_at: float | None = None
    archived_at: float | None = None
    tallies: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RESULT_TYPES, 0))
    lines: list[bytes] = field(default_factory=list)

    def record(self, custom_id: str, result: dict[str, Any]) -> None:
        """Store one request's result (``result["type"]`` is one of :data:`RESULT_TYPES`)."""
        self.tallies[result["type"]] += 1
        line = json.dumps({"custom_id": custom_id, "result": result}, ensure_ascii=False, separators=(",", ":"))
        self.lines.append(line.encode() + b"\n")  # LF only, no blank lines: what the SDK's decoder needs

    def to_json(self, origin: str) -> dict[str, Any]:
        """The ``MessageBatch`` object; ``results_url`` is on ``origin`` (the server as the client sees it)."""
        ended = self.status == "ended"
        counts = dict(self.tallies) if ended else {**dict.fromkeys(RESULT_TYPES, 0)}
        counts["processing"] = 0 if ended else len(self.requests)
        return {
            "id": self.id, "type": "message_batch", "processing_status": self.status,
            "request_counts": {"processing": counts["processing"], **{k: counts[k] for k in RESULT_TYPES}},
            "created_at": rfc3339(self.created_at), "expires_at": rfc3339(self.expires_at),
            "ended_at": rfc3339(self.ended_at), "cancel_initiated_at": rfc3339(self.cancel_initiated_at),
            "archived_at": rfc3339(self.archived_at),
            "results_url": f"{origin}/v1/messages/batches/{self.id}/results" if ended else None,
        }


class BatchStore:
    """Batches by id (insertion order = creation order)."""

    def __init__(self, *, expiry_s: float = EXPIRY_S, retention_s: float = RETENTION_S,
                 max_batches: int = MAX_BATCHES, max_requests: int = MAX_STORED_REQUESTS,
                 clock: Callable[[], float] = time.time) -> None:
        self.expiry_s = expiry_s
        self.retention_s = retention_s
        self.max_batches = max_batches
        self.max_requests = max_requests
        self.clock = clock
        self._batches: dict[str, Batch] = {}

    def _archive(self) -> None:
        now = self.clock()
        for batch in self._batches.values():
            due = batch.created_at + self.retention_s
            if batch.archived_at is None and batch.ended_at is not None and now >= due:
                batch.archived_at = max(due, batch.ended_at)
                batch.lines = []

    def _make_room(self, incoming: int) -> None:
        def over() -> bool:
            stored = sum(len(b.requests) for b in self._batches.values())
            return len(self._batches) + 1 > self.max_batches or stored + incoming > self.max_requests

        for batch in [b for b in self._batches.values() if b.status == "ended"]:
            if not over():
                return
            del self._batches[batch.id]
        if over():
            raise ApiError(429, f"This emulator holds at most {self.max_batches} Message Batches and "
                                f"{self.max_requests} requests in them; wait for a batch to end, or delete "
                                "ended ones.", headers={"retry-after": "1"})

    def create(self, requests: list[tuple[str, Any]]) -> Batch:
        """A new ``in_progress`` batch (its requests still to be processed)."""
        self._make_room(len(requests))
        now = self.clock()
        batch = Batch(new_id("msgbatch_"), requests, now, now + self.expiry_s)
        self._batches[batch.id] = batch
        return batch

    def get(self, batch_id: str) -> Batch:
        """The batch, else 404."""
        self._archive()
        batch = self._batches.get(batch_id)
        if batch is None:
            raise ApiError(404, f"Message Batch not found: {batch_id}")
        return batch

    def newest_first(self) -> list[Batch]:
        """Every stored batch, most recently created first."""
        self._archive()
        return list(reversed(self._batches.values()))

    def cancel(self, batch_id: str) -> Batch:
        """Ask to stop: ``canceling`` until the request in flight finishes (400 once ended)."""
        batch = self.get(batch_id)
        if batch.status == "ended":
            raise invalid(f"Message Batch {batch_id} has already ended and cannot be canceled.")
        if batch.status == "in_progress":
            batch.status = "canceling"
            batch.cancel_initiated_at = self.clock()
        return batch

    def delete(self, batch_id: str) -> None:
        """Forget an ended batch (400 while it is still processing: cancel it first)."""
        self._ended(batch_id, "it can be deleted only once processing has ended (cancel it first).")
        del self._batches[batch_id]

    def _ended(self, batch_id: str, otherwise: str) -> Batch:
        """The batch (else 404) once it has ended; before, a 400 saying its status and ``otherwise``."""
        batch = self.get(batch_id)
        if batch.status != "ended":
            raise invalid(f"Message Batch {batch_id} is still {batch.status}; {otherwise}")
        return batch

    def results(self, batch_id: str) -> list[bytes]:
        """The results JSONL lines (400 before the batch ends, 404 once archived)."""
        batch = self._ended(batch_id, 'results are available once processing_status is "ended".')
        if batch.archived_at is not None:
            raise ApiError(404, f"The results of Message Batch {batch_id} are no longer available: results are "
                                f"kept for {self.retention_s / DAY_S:g} days after the batch was created.")
        return batch.lines

    def finish(self, batch: Batch) -> None:
        """Mark ``batch`` ended (every request has a result)."""
        batch.status = "ended"
        batch.ended_at = self.clock()

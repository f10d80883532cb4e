"""A sweep's cells as one Message Batch: half price, results when the batch ends.

    sweep = BatchSweep.start_new(target, jobs, params, ledger=ledger, store=history, owner=owner)
    await sweep.create()                      # the batch id + cells are stored before any polling
    async for info in sweep.poll(): show(info)
    async for result in sweep.collect(): view.take([Update(result.key, result, True)])

Each request is the one a normal cell sends (``RunSettings.to_kwargs()`` through the provider's own
builder, via ``create_batch``), minus what applies to a whole call (streaming, headers). The batch id,
the custom_id -> cell mapping and the cells' settings are written to the run store's
:class:`~playground.store.batches.BatchLedger` before the first poll, so after a restart
:meth:`BatchSweep.resume` collects the same batch instead of paying for a new one. Results become
:class:`~playground.tuning.runner.JobResult` rows like a normal sweep's, priced at batch prices, and go to
History once each (label ``sweep cell N · batch msgbatch_...``).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict
from typing import Any

from .. import catalog
from ..errors import APIStatusError, NotFoundError
from ..providers.batches import (
    CALL_LEVEL,
    BatchCanceled,
    BatchErrored,
    BatchExpired,
    BatchInfo,
    BatchResult,
    BatchSucceeded,
)
from ..run import RunRecord
from ..secrets import scrub
from ..settings import RunSettings
from ..store import Run, RunStore
from ..store.batches import BatchLedger, PendingBatch
from .cost import SpendCap
from .record import run_fields
from .runner import Job, JobResult

KIND = "sweep"
FIRST_POLL_S = 0.5  # a small batch on the emulator ends in seconds; a real one takes minutes to hours
MAX_POLL_S = 30.0  # never wait longer than this between two looks at the batch
POLL_GROWTH = 1.5
_COLLECTING: set[str] = set()  # batch ids being collected in this process: one collector each
_COLLECTING_LOCK = threading.Lock()


class BatchBusy(RuntimeError):
    """Another session of this app is already collecting that batch."""


def custom_id(key: Any) -> str:
    """The cell's custom_id (fits ``^[a-zA-Z0-9_-]{1,64}$``: cell keys are grid indexes)."""
    return f"cell-{key}"


def batch_request(job: Job) -> dict[str, Any]:
    """The create_async_generator keywords a normal cell sends, minus the call-level ones."""
    kwargs = {k: v for k, v in job.settings.to_kwargs().items() if k not in CALL_LEVEL}
    return {"model": job.settings.model_id, "messages": job.messages, **kwargs}


def result_of(outcome: BatchResult, job: Job, batch_id: str, api_key: str | None = None) -> JobResult:
    """One batch outcome as the cell's finished :class:`JobResult` (cost at batch prices)."""
    result = JobResult(job.key, job.settings, dict(job.meta), started=True, done=True, batch_id=batch_id)
    run = result.run = RunRecord()
    if isinstance(outcome, BatchSucceeded):
        for part in outcome.parts:
            run.add(part)
        run.mark_done()
        if run.usage is not None:
            result.cost_usd = catalog.usage_cost_usd(job.settings.model_id, run.usage, batch=True)
    elif isinstance(outcome, BatchErrored):
        run.mark_error(outcome.error, scrub(f"{type(outcome.error).__name__}: {outcome.error}", api_key))
    elif isinstance(outcome, BatchCanceled):
        result.cancelled = True
        run.mark_stopped()
    elif isinstance(outcome, BatchExpired):
        run.mark_error(TimeoutError("expired"), "expired: the batch did not reach this request within 24 hours")
    return result


def missing_result(job: Job, batch_id: str) -> JobResult:
    """A cell the ended batch has no result for (said, not silently dropped)."""
    result = JobResult(job.key, job.settings, dict(job.meta), started=True, done=True, batch_id=batch_id)
    result.run.mark_error(LookupError(batch_id), f"batch {batch_id} returned no result for this cell")
    return result


def _job_json(job: Job) -> dict[str, Any]:
    return {"key": job.key, "settings": job.settings.to_json(), "messages": job.messages, "meta": job.meta}


def _job_of(data: dict[str, Any]) -> Job:
    return Job(data["key"], RunSettings.from_json(data["settings"]), data["messages"], dict(data.get("meta") or {}))


class BatchSweep:
    """One sweep run as a Message Batch: create (or adopt a stored one), poll, collect into History."""

    def __init__(self, target: Any, jobs: Sequence[Job], params: list[str], *, ledger: BatchLedger | None,
                 store: RunStore | None, owner: str | None = None, spend_cap: SpendCap | None = None,
                 group_id: str | None = None, batch_id: str | None = None, first_poll_s: float = FIRST_POLL_S,
                 started: float | None = None) -> None:
        self.target = target
        self.jobs = {custom_id(j.key): j for j in jobs}
        self.params = list(params)
        self.ledger = ledger
        self.store = store
        self.owner = owner
        self.spend_cap = spend_cap
        self.group_id = group_id or uuid.uuid4().hex[:12]
        self.batch_id = batch_id
        self.first_poll_s = first_poll_s
        self.started = time.time() if started is None else started  # wall clock: survives a restart
        self.info: BatchInfo | None = None
        self._cancel = threading.Event()
        self._canceled_sent = False
        self._detached = threading.Event()

    def __repr__(self) -> str:  # never the key
        return f"BatchSweep(batch_id={self.batch_id!r}, cells={len(self.jobs)})"

    @property
    def backend(self) -> str:
        return self.target.api_base or self.target.kind

    def _conn(self) -> dict[str, Any]:
        return self.target.provider_kwargs()

    def cancel_batch(self) -> None:
        """The user's Cancel: ask for the batch to be canceled (thread-safe; sent by the poll loop)."""
        self._cancel.set()

    def cancel(self, key: Any = None) -> None:
        """Stop following the batch in this session (its browser session ended): the batch itself
        goes on, stays stored, and is collected when the Sweep tab is opened again."""
        self._detached.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def detached(self) -> bool:
        return self._detached.is_set()

    # -- the stored record ---------------------------------------------------------------------
    def record(self) -> dict[str, Any]:
        """What rebuilds this sweep after a restart (no key: settings hold none)."""
        return {"group_id": self.group_id, "params": self.params, "backend": self.backend,
                "started": self.started, "cells": {cid: _job_json(j) for cid, j in self.jobs.items()}}

    @classmethod
    def resume(cls, pending: PendingBatch, target: Any, **options: Any) -> BatchSweep:
        """The sweep a stored pending batch belongs to (no batch is created)."""
        rec = pending.record
        jobs = [_job_of(c) for c in rec.get("cells", {}).values()]
        return cls(target, jobs, list(rec.get("params") or []), group_id=rec.get("group_id"),
                   batch_id=pending.batch_id, owner=pending.owner, started=rec.get("started"), **options)

    @staticmethod
    def settings_of(pending: PendingBatch) -> RunSettings:
        """The settings of a stored batch's first cell (its backend and base URL say where the batch is)."""
        first = next(iter(pending.record.get("cells", {}).values()))
        return RunSettings.from_json(first["settings"])

    # -- the batch ----------------------------------------------------------------------------
    async def create(self) -> BatchInfo:
        """Create the one batch and store it before anything else happens."""
        provider = self.target.provider
        self.info = await provider.create_batch([(cid, batch_request(j)) for cid, j in self.jobs.items()],
                                                **self._conn())
        self.batch_id = self.info.id
        if self.ledger is not None:
            self.ledger.save(PendingBatch(self.batch_id, KIND, self.owner, self.record()),
                             secrets=[self.target.api_key])
        return self.info

    async def poll(self) -> AsyncIterator[BatchInfo]:
        """The batch's state now and at a growing interval until it has ended (or this session stops
        following it: :meth:`cancel`); a :meth:`cancel_batch` in between is sent once (the batch then
        ends as ``canceling`` -> ``ended``)."""
        assert self.batch_id is not None, "create() or resume() first"
        provider, wait = self.target.provider, self.first_poll_s
        while not self._detached.is_set():
            if self._cancel.is_set() and not self._canceled_sent:
                self._canceled_sent = True
                self.info = await provider.cancel_batch(self.batch_id, **self._conn())
            else:
                self.info = await provider.get_batch(self.batch_id, **self._conn())
            yield self.info
            if self.info.ended:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and not self._detached.is_set() and not (
                    self._cancel.is_set() and not self._canceled_sent):
                await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))  # the poll interval
            wait = min(wait * POLL_GROWTH, MAX_POLL_S)

    async def collect(self) -> AsyncIterator[JobResult]:
        """Every cell's result (the batch must have ended), each stored in History once; then the
        stored batch is marked collected. Raises :class:`BatchBusy` when another session collects it."""
        assert self.batch_id is not None
        with _COLLECTING_LOCK:
            if self.batch_id in _COLLECTING:
                raise BatchBusy(f"batch {self.batch_id} is being collected in another window already.")
            _COLLECTING.add(self.batch_id)
        try:
            done = self.ledger.cells(self.batch_id) if self.ledger is not None else {}
            left = dict(self.jobs)
            key = self.target.api_key
            async for outcome in self.target.provider.batch_results(self.batch_id, **self._conn()):
                job = left.pop(outcome.custom_id, None)
                if job is None:
                    continue  # not one of this sweep's cells
                result = result_of(outcome, job, self.batch_id, key)
                await self._keep(outcome.custom_id, job, result, done)
                yield result
            for cid, job in left.items():
                result = missing_result(job, self.batch_id)
                await self._keep(cid, job, result, done)
                yield result
            if self.ledger is not None:
                self.ledger.mark_collected(self.batch_id)
        finally:
            with _COLLECTING_LOCK:
                _COLLECTING.discard(self.batch_id)

    def abandon(self) -> None:
        """Stop offering a stored batch the backend no longer has (it answered 404)."""
        if self.ledger is not None and self.batch_id:
            self.ledger.mark_collected(self.batch_id)

    async def _keep(self, cid: str, job: Job, result: JobResult, done: dict[str, int | None]) -> None:
        """Book the cell's cost and write it to History, unless an earlier collect already did."""
        if cid in done:
            result.run_id = done[cid]
            return
        if self.spend_cap is not None:
            self.spend_cap.add(result.cost_usd)
        if self.store is not None:
            try:
                result.run_id = await asyncio.to_thread(self.store.record, self._to_run(job, result),
                                                        secrets=[self.target.api_key])
            except Exception:  # noqa: BLE001 — history must not break a sweep
                result.run_id = None
        if self.ledger is not None:
            self.ledger.mark_cell(self.batch_id or "", cid, result.run_id)

    def _to_run(self, job: Job, result: JobResult) -> Run:
        s = job.settings
        fields = run_fields(result.run, s.model_id)
        # a batch has no per-request clock, and bills at batch prices
        fields.update(ttft_s=None, duration_s=None, tokens_per_s=None, cost_usd=result.cost_usd)
        if result.run.usage is not None:
            fields["usage"] = asdict(result.run.usage)
        label = f"{job.meta.get('label', '')} · batch {self.batch_id}".strip(" ·")
        return Run(kind=KIND, backend=self.backend, model=s.model_id, params=s.to_json(), system=s.system or None,
                   messages=job.messages, group_id=self.group_id, label=label, owner=self.owner, **fields)


def is_gone(exc: BaseException) -> bool:
    """The backend does not know the batch (404): it was deleted, or the offline emulator restarted."""
    return isinstance(exc, NotFoundError) or (isinstance(exc, APIStatusError) and exc.status == 404)

"""Run many requests at once — compare columns or sweep cells — with a concurrency limit and cancel.

    runner = Runner(api_base=emu.api_base, concurrency=4, store=store, kind="sweep", owner=session.owner)
    async for update in runner.run(jobs):
        show(update.result)            # partial while streaming; final when update.done

Each job streams through the provider, which retries per its own policy (``max_retries``). A job that
fails is captured in its result's ``error`` and never stops the others. ``cancel()`` (from any thread)
stops every job or one job by key; cancelled jobs report ``cancelled=True``. Finished jobs are stored
in the run history, and their cost is booked on the session's :class:`~playground.tuning.cost.SpendCap`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import catalog
from ..responses import ToolCall, Usage
from ..run import RunRecord
from ..secrets import scrub
from ..settings import RunSettings
from ..store import Run, RunStore
from .cost import SpendCap
from .record import run_fields


def user_messages(prompt: str) -> list[dict[str, Any]]:
    """A one-turn conversation from a prompt."""
    return [{"role": "user", "content": prompt}]


@dataclass
class Job:
    """One request: ``key`` names it (column or cell index); ``meta`` rides along (swept values...)."""

    key: Any
    settings: RunSettings
    messages: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class JobResult:
    """What one job produced so far (partial while running): its settings, and a view of its
    :class:`~playground.run.RunRecord` (``run``, made fresh when the job starts) in the units the tuning
    tables show (seconds)."""

    key: Any
    settings: RunSettings
    meta: dict[str, Any] = field(default_factory=dict)
    run: RunRecord = field(default_factory=RunRecord)
    cost_usd: float | None = None
    cancelled: bool = False
    started: bool = False
    done: bool = False
    run_id: int | None = None
    batch_id: str | None = None  # collected from this Message Batch: no per-request timing exists

    @property
    def text(self) -> str:
        return self.run.text

    @property
    def thinking(self) -> str:
        return self.run.thinking

    @property
    def tool_calls(self) -> list[ToolCall]:
        return self.run.tool_calls

    @property
    def stop_reason(self) -> str | None:
        finish = self.run.finish
        return None if finish is None else finish.raw or finish.reason

    @property
    def stop_sequence(self) -> str | None:
        return None if self.run.finish is None else self.run.finish.stop_sequence

    @property
    def usage(self) -> Usage | None:
        return self.run.usage

    @property
    def output_tokens(self) -> int:
        """Output tokens reported by the API (0 until usage arrives)."""
        return self.usage.output_tokens if self.usage else 0

    @property
    def ttft_s(self) -> float | None:
        if self.batch_id or self.run.ttft_ms is None:
            return None
        return self.run.ttft_ms / 1000

    @property
    def duration_s(self) -> float | None:
        """The run's total time (None until it ends, and for a batch result: the batch has no per-request clock)."""
        if self.batch_id or self.run.total_ms is None:
            return None
        return self.run.total_ms / 1000

    @property
    def tokens_per_s(self) -> float | None:
        return None if self.batch_id else self.run.output_tokens_per_second

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.run.headers.headers) if self.run.headers is not None else {}

    @property
    def request_body(self) -> dict[str, Any]:
        return self.run.request.body if self.run.request is not None else {}

    @property
    def retries(self) -> list[str]:
        return [str(notice) for notice in self.run.retries]

    @property
    def error(self) -> str | None:
        """The failure (key-free), or None."""
        return self.run.error_text if self.run.status == "error" else None

    def status(self) -> str:
        """queued | running | done | error | cancelled."""
        if self.cancelled:
            return "cancelled"
        if self.error:
            return "error"
        if self.done:
            return "done"
        return "running" if self.started else "queued"


@dataclass(frozen=True)
class Update:
    """A job changed: ``result`` is live (do not keep it across updates if you need a snapshot)."""

    key: Any
    result: JobResult
    done: bool


def _default_provider() -> Any:
    from ..providers import Anthropic  # lazy: importing tuning must not load aiohttp

    return Anthropic


class Runner:
    """Runs jobs concurrently (at most ``concurrency`` in flight). One Runner serves one ``run()``."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_base: str | None = None,
        concurrency: int = 4,
        max_retries: int = 2,
        timeout: float = 120,
        provider: Any = None,
        store: RunStore | None = None,
        spend_cap: SpendCap | None = None,
        kind: str = "sweep",
        group_id: str | None = None,
        backend: str = "",
        extra_kwargs: dict[str, Any] | None = None,
        owner: str | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self._api_key = api_key
        self.api_base = api_base
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.timeout = timeout
        self.provider = provider
        self.store = store
        self.spend_cap = spend_cap
        self.kind = kind
        self.group_id = group_id or uuid.uuid4().hex[:12]
        self.backend = backend or api_base or "anthropic"
        self.extra_kwargs = dict(extra_kwargs or {})
        self.owner = owner  # the browser session the stored runs belong to (playground.store.history_scope)
        self.results: dict[Any, JobResult] = {}
        self._tasks: dict[Any, asyncio.Task[None]] = {}
        self._cancelled: set[Any] = set()
        self._cancel_all = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never show the key
        return f"Runner(api_base={self.api_base!r}, concurrency={self.concurrency}, kind={self.kind!r})"

    def cancel(self, key: Any = None) -> None:
        """Stop one job (by key) or all of them. Safe to call from any thread, before or during ``run``."""
        with self._lock:
            if key is None:
                self._cancel_all.set()
                targets = list(self._tasks.values())
            else:
                self._cancelled.add(key)
                targets = [self._tasks[key]] if key in self._tasks else []
        loop = self._loop
        if loop is not None and not loop.is_closed():
            for task in targets:
                loop.call_soon_threadsafe(task.cancel)

    def _is_cancelled(self, key: Any) -> bool:
        return self._cancel_all.is_set() or key in self._cancelled

    async def run(self, jobs: Iterable[Job]) -> AsyncIterator[Update]:
        """Start every job and yield an :class:`Update` whenever one makes progress or finishes."""
        jobs = list(jobs)
        if len({j.key for j in jobs}) != len(jobs):
            raise ValueError("every job needs a distinct key")
        self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Update] = asyncio.Queue()
        semaphore = asyncio.Semaphore(self.concurrency)
        provider = self.provider or _default_provider()
        for job in jobs:
            self.results[job.key] = JobResult(job.key, job.settings, dict(job.meta))
        with self._lock:
            for job in jobs:
                task = asyncio.create_task(self._run_one(job, provider, semaphore, queue))
                task.add_done_callback(lambda _t, key=job.key: self._settle(key, queue))
                self._tasks[job.key] = task
        remaining = len(jobs)
        try:
            while remaining:
                update = await queue.get()
                if update.done:
                    remaining -= 1
                yield update
        finally:
            # The consumer went away (or was cancelled): stop whatever is still running.
            for task in self._tasks.values():
                task.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def _settle(self, key: Any, queue: asyncio.Queue[Update]) -> None:
        # A task cancelled before its first step never runs its own bookkeeping: report it here.
        result = self.results[key]
        if not result.done:
            result.cancelled = True
            result.run.mark_stopped()
            result.done = True
            queue.put_nowait(Update(key, result, True))

    async def _run_one(self, job: Job, provider: Any, semaphore: asyncio.Semaphore,
                       queue: asyncio.Queue[Update]) -> None:
        result = self.results[job.key]
        try:
            async with semaphore:
                if self._is_cancelled(job.key):
                    raise asyncio.CancelledError
                result.started = True
                result.run = RunRecord()  # the clock starts now, not while the job was queued
                queue.put_nowait(Update(job.key, result, False))
                gen = provider.create_async_generator(
                    job.settings.model_id, job.messages, api_key=self._api_key, api_base=self.api_base,
                    max_retries=self.max_retries, timeout=self.timeout,
                    **job.settings.to_kwargs(), **self.extra_kwargs,
                )
                add = result.run.add
                async with contextlib.aclosing(gen):
                    async for part in gen:
                        add(part)
                        queue.put_nowait(Update(job.key, result, False))
            result.run.mark_done()
        except asyncio.CancelledError:
            result.cancelled = True
            result.run.mark_stopped()
        except Exception as exc:  # noqa: BLE001 — one cell's failure must never abort the sweep
            result.run.mark_error(exc, scrub(f"{type(exc).__name__}: {exc}", self._api_key))
        if result.started:
            if result.usage is not None:
                result.cost_usd = catalog.usage_cost_usd(job.settings.model_id, result.usage)
                if self.spend_cap is not None:
                    self.spend_cap.add(result.cost_usd)
            if self.store is not None:
                try:
                    result.run_id = await asyncio.to_thread(self.store.record, self._to_run(job, result),
                                                            secrets=[self._api_key])
                except Exception:  # noqa: BLE001 — history must not break a sweep
                    result.run_id = None
        result.done = True
        queue.put_nowait(Update(job.key, result, True))

    def _to_run(self, job: Job, result: JobResult) -> Run:
        s = job.settings
        return Run(
            kind=self.kind, backend=self.backend, model=s.model_id, params=s.to_json(), system=s.system or None,
            messages=job.messages, media=list(job.meta.get("media", [])), group_id=self.group_id,
            parent_id=job.meta.get("parent_id"), label=str(job.meta.get("label", "")), owner=self.owner,
            **run_fields(result.run, s.model_id),
        )


async def paced(updates: AsyncIterator[Update], interval: float, *, flush_on_done: bool = False
                ) -> AsyncIterator[list[Update]]:
    """Batch ``updates`` for rendering: a batch at most every ``interval`` seconds, and a change never
    waits longer than that (a quiet stream still shows its last words); ``flush_on_done`` also hands
    out a batch as soon as a job finishes. The final batch always comes.
    """
    source = updates.__aiter__()
    loop = asyncio.get_running_loop()
    pending: list[Update] = []
    last = float("-inf")
    step: asyncio.Future[Update] | None = None
    try:
        while True:
            if step is None:
                step = asyncio.ensure_future(source.__anext__())
            timeout = max(0.0, last + interval - loop.time()) if pending else None
            done, _ = await asyncio.wait({step}, timeout=timeout)
            if step in done:
                finished, step = step, None
                try:
                    update = finished.result()
                except StopAsyncIteration:
                    break
                pending.append(update)
                if not ((flush_on_done and update.done) or loop.time() - last >= interval):
                    continue
            yield pending
            pending, last = [], loop.time()
        if pending:
            yield pending
    finally:
        if step is not None and not step.done():
            step.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await step
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()

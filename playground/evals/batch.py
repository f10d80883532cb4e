"""``--batch``: an eval's model calls as one Message Batch (half price, no rate-limit fight).

    run = EvalRun(spec, target, run_dir=..., cache=cache, batch=True)   # priced at batch prices
    async for attempt in run_batch(run, poll_s=30, on_progress=print):
        ...

Attempts the response cache answers are scored first, without going into the batch. The rest are
sent as one batch, built from the very requests a normal run sends (minus streaming). The batch id
and the custom_id -> slot mapping are written to ``batch.json`` in the run directory *before* any
polling, so ``--resume RUN_DIR --batch`` collects that batch instead of paying for a new one.
Each result goes through :meth:`EvalRun.score_reply` and :meth:`EvalRun.record`, like a normal
attempt. Grader calls (``llm_rubric``, ``ideal_match``) stay normal calls, made while scoring.
:meth:`EvalRun.stop` cancels the batch: requests it already processed keep their results, the
canceled ones are recorded as errors (a resume asks them again, in a new batch).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from .. import catalog
from ..backends import Backend
from ..errors import APIStatusError
from ..providers.batches import (
    CALL_LEVEL,
    BatchCanceled,
    BatchErrored,
    BatchExpired,
    BatchResult,
    BatchSucceeded,
)
from ..secrets import scrub
from .client import Reply, complete
from .plan import PlannedAttempt
from .runner import Attempt, EvalRun

BATCH_FILE = "batch.json"
DEFAULT_POLL_S = 30.0
MAX_POLL_S = 300.0  # never wait longer than this between two looks at the batch
_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]+")


class BatchUnsupported(ValueError):
    """The backend does not speak the Messages API, so it has no Message Batches."""


def check_batch_backend(backend: Backend) -> None:
    """Raise :class:`BatchUnsupported` unless ``backend`` has Message Batches (the Messages API ones)."""
    if not backend.supports_batches:
        raise BatchUnsupported(f"--batch: the {backend.kind} backend has no Message Batches (only the Messages "
                               "API backends do); use --backend offline or --backend anthropic")


def custom_ids(planned: list[PlannedAttempt]) -> dict[str, PlannedAttempt]:
    """A custom_id for each attempt, from its slot, made to fit ``^[a-zA-Z0-9_-]{1,64}$`` and unique."""
    out: dict[str, PlannedAttempt] = {}
    for n, p in enumerate(planned):
        base = _UNSAFE.sub("_", f"{p.variant}-{p.case}-{p.repeat}").strip("_") or "a"
        cid = base[:64]
        if cid in out:  # two slots collapse to one safe name, or were cut to the same 64 characters
            suffix = f"-{n}"
            cid = base[:64 - len(suffix)] + suffix
        out[cid] = p
    return out


def batch_request(p: PlannedAttempt) -> dict[str, Any]:
    """The create_async_generator keywords a normal run sends for ``p``, minus the call-level ones
    (stream, headers: the offline seed header cannot vary per request inside one batch)."""
    kwargs = {k: v for k, v in p.request.kwargs.items() if k not in CALL_LEVEL}
    return {"model": p.request.model, "messages": p.request.messages, **kwargs}


def reply_of(result: BatchResult, model: str, api_key: str) -> Reply:
    """One batch result as a :class:`Reply`: succeeded at batch prices; the others as errors."""
    if isinstance(result, BatchSucceeded):
        from ..turn import TurnAccumulator

        acc = TurnAccumulator()
        for part in result.parts:
            acc.add(part)
        usage = acc.usage
        return Reply(text=acc.text, stop_reason=(acc.finish.raw or acc.finish.reason) if acc.finish else None,
                     input_tokens=usage.input_tokens if usage else 0,
                     output_tokens=usage.output_tokens if usage else 0,
                     cost_usd=catalog.usage_cost_usd(model, usage, batch=True) if usage is not None else None)
    if isinstance(result, BatchErrored):
        return Reply(error=scrub(f"batch request errored: {type(result.error).__name__}: {result.error}", api_key))
    if isinstance(result, BatchCanceled):
        return Reply(error="batch request canceled: the batch was canceled before it ran")
    if isinstance(result, BatchExpired):
        return Reply(error="batch request expired: the batch did not reach it within 24 hours")
    return Reply(error=f"batch request: unknown result {type(result).__name__}")


def read_batch_file(run_dir: Path | None) -> dict[str, Any] | None:
    """The run's ``batch.json`` (``{"id", "custom_ids": {cid: [variant, case, repeat, key]}, "collected"}``)."""
    if run_dir is None:
        return None
    try:
        data = json.loads((run_dir / BATCH_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("id"), str) else None


def _write_batch_file(run_dir: Path | None, data: dict[str, Any]) -> None:
    if run_dir is None:
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / (BATCH_FILE + ".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    tmp.replace(run_dir / BATCH_FILE)  # never a half-written id


async def _pause(run: EvalRun, poll_s: float) -> None:
    """The poll interval itself (not a race workaround), cut short by Stop so it cancels at once."""
    loop = asyncio.get_running_loop()
    until = loop.time() + poll_s
    while not run.stop_requested and (left := until - loop.time()) > 0:
        await asyncio.sleep(min(left, 0.1))


async def run_batch(run: EvalRun, *, poll_s: float = DEFAULT_POLL_S,
                    on_progress: Callable[[str], None] | None = None) -> AsyncIterator[Attempt]:
    """Finish ``run``'s remaining attempts through the cache and one Message Batch, yielding each
    attempt as it is recorded. Resumes an uncollected batch named in the run directory."""
    check_batch_backend(run.target.backend)
    say = on_progress or (lambda _line: None)
    poll_s = min(max(poll_s, 0.01), MAX_POLL_S)
    run.open_record()
    provider, conn = run.target.provider, run.target.provider_kwargs()

    for p in run.remaining:  # the cache first: those never go into a batch
        if run.cache is not None and p.key in run.cache:
            reply = await complete(run.target, p.request, p.repeat, run.cache)
            attempt = await run.score_reply(p, reply)
            run.record(attempt)
            yield attempt

    remaining = {p.slot: p for p in run.remaining}
    saved = read_batch_file(run.run_dir)
    if saved is not None and not saved.get("collected"):
        ids = {cid: remaining[tuple(v[:3])] for cid, v in (saved.get("custom_ids") or {}).items()
               if tuple(v[:3]) in remaining and remaining[tuple(v[:3])].key == v[3]}
        say(f"resuming batch {saved['id']} ({len(ids)} of its requests still to collect)")
        batch_id = saved["id"]
    else:
        if not remaining:
            return
        ids = custom_ids(list(remaining.values()))
        info = await provider.create_batch([(cid, batch_request(p)) for cid, p in ids.items()], **conn)
        batch_id = info.id
        _write_batch_file(run.run_dir, {"id": batch_id, "collected": False, "custom_ids": {
            cid: [p.variant, p.case, p.repeat, p.key] for cid, p in ids.items()}})
        say(f"created batch {batch_id} with {len(ids)} requests (batch price: "
            f"{catalog.BATCH_PRICE_FACTOR:.0%} of list)")

    canceled = False
    while True:
        if run.stop_requested and not canceled:  # Stop: cancel the batch; what finished keeps its result
            canceled = True
            try:
                await provider.cancel_batch(batch_id, **conn)
                say(f"canceling batch {batch_id}: requests already processed keep their results")
            except APIStatusError as exc:  # it ended meanwhile: nothing left to cancel, collect it
                say(f"batch {batch_id} could not be canceled ({exc}); collecting it")
        info = await provider.get_batch(batch_id, **conn)
        say(f"batch {info.id}: {info.describe()}")
        if info.ended:
            break
        await _pause(run, poll_s)

    async for result in provider.batch_results(batch_id, **conn):
        p = ids.pop(result.custom_id, None)
        if p is None:
            continue  # a request of this batch already recorded, or not planned any more
        reply = reply_of(result, p.request.model or provider.get_model(""), run.target.api_key)
        if reply.error is None:
            if reply.cost_usd:
                run.book(reply.cost_usd)
            if run.cache is not None:
                run.cache.put(p.key, reply.to_json())
        attempt = await run.score_reply(p, reply)
        run.record(attempt)
        yield attempt
    for p in ids.values():  # in the batch but absent from its results: an error, asked again on resume
        attempt = await run.score_reply(p, Reply(error=f"batch {batch_id} returned no result for this request"))
        run.record(attempt)
        yield attempt
    saved = read_batch_file(run.run_dir) or {"id": batch_id, "custom_ids": {}}
    _write_batch_file(run.run_dir, {**saved, "collected": True})

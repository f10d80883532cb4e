"""The Evaluate tab's "Run as a batch (50% price)": the checkbox's state for a backend, and a run's
attempts and batch progress lines as one stream (the batch itself is ``playground.evals.batch``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr

from playground.backends import get_backend
from playground.evals import EvalRun
from playground.evals.batch import DEFAULT_POLL_S, run_batch
from playground.evals.runner import Attempt

LABEL = "Run as a batch (50% price)"
AS_BATCH = " as a batch (50% price)"
OFFLINE_POLL_S = 0.25  # the emulator is local: look often so progress shows; the API is asked every 30 s


def unsupported(kind: str) -> str:
    return (f"Run as a batch: the {kind} backend has no Message Batches (only the Messages API backends do: "
            "offline, Anthropic API). Untick it, or pick one of those in the Playground tab.")


def batch_control(kind: str) -> tuple[Any, str]:
    """The checkbox for backend ``kind``: enabled for a Messages API backend, else off with the reason."""
    try:
        ok = get_backend(kind).supports_batches
    except (KeyError, ValueError):
        ok = False
    if ok:
        return gr.update(interactive=True), ""
    return gr.update(value=False, interactive=False), unsupported(kind)


async def events(run: EvalRun) -> AsyncIterator[tuple[str | None, Attempt | None]]:
    """``(progress line, None)`` for each look at the batch and ``(None, attempt)`` for each recorded
    attempt, as they happen (the polling runs in a task; its errors are raised here)."""
    poll_s = OFFLINE_POLL_S if run.target.backend.is_offline else DEFAULT_POLL_S
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for attempt in run_batch(run, poll_s=poll_s,
                                           on_progress=lambda line: queue.put_nowait(("line", line))):
                queue.put_nowait(("attempt", attempt))
        except Exception as exc:  # noqa: BLE001 - handed to the consumer below
            queue.put_nowait(("error", exc))
        finally:
            queue.put_nowait(("end", None))

    task = asyncio.create_task(pump())
    try:
        while True:
            kind, item = await queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield (item, None) if kind == "line" else (None, item)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

"""One run, streamed: provider parts in, throttled :class:`RunProgress` snapshots out.

The provider is consumed by a background task that only folds parts (cheap appends); the
generator here wakes at most every ``RENDER_INTERVAL`` to hand out a snapshot, so a 10,000-delta
stream costs a few dozen renders, and the final state is always handed out. Stop is a
per-session :class:`RunControl`: setting it cancels the task, which cancels the HTTP request
inside the provider; what already arrived is kept and marked as stopped.

Reused by the tuning tabs: build a :class:`RunRequest`, then ``async for p in stream_run(req)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from playground.errors import PlaygroundError
from playground.run import RunRecord
from playground.ui.messages import describe_error
from playground.ui.render import RENDER_INTERVAL, Throttle, render_interval

log = logging.getLogger(__name__)


@dataclass
class RunRequest:
    """Everything one run needs. ``kwargs`` go to ``create_async_generator`` unchanged
    (they hold the API key: this class's repr leaves them out)."""

    provider: Any  # playground.providers.Anthropic or OpenaiAPI (a class with create_async_generator)
    model: str
    messages: list[dict[str, Any]]
    kwargs: dict[str, Any] = field(default_factory=dict, repr=False)


class RunControl:
    """Per-session run guard: one run at a time, and a Stop button that reaches it.

    Lives in the session's ``gr.State``; the Stop handler runs on the same event loop
    (it is ``async``), so a plain ``asyncio.Event`` is enough.
    """

    def __init__(self) -> None:
        self._stop: asyncio.Event | None = None
        self.running = False

    def __deepcopy__(self, memo: dict) -> RunControl:
        # gr.State deep-copies initial values; a control is per session, never shared.
        return RunControl()

    def begin(self) -> asyncio.Event:
        """Mark a run as started; returns its stop event. Raises RuntimeError if one is running."""
        if self.running:
            raise RuntimeError("a run is already in progress in this session")
        self.running = True
        self._stop = asyncio.Event()
        return self._stop

    def end(self) -> None:
        self.running = False
        self._stop = None

    def request_stop(self) -> bool:
        """Ask the current run to stop; False if nothing is running."""
        if self._stop is None:
            return False
        self._stop.set()
        return True


@dataclass
class RunProgress:
    """The run so far. The same object is yielded each time (mutated in between); ``final`` on the last."""

    run: RunRecord  # everything about the run: what the chat shows, the inspector, the history message
    final: bool = False


async def stream_run(request: RunRequest, control: RunControl | None = None, *, interval: float = RENDER_INTERVAL,
                     announce: bool = False) -> AsyncIterator[RunProgress]:
    """Run ``request`` and yield progress at most every ``interval`` seconds, then once with ``final=True``.
    ``announce``: also yield once at the start, the request just sent off (the consumer's first update then
    overlaps the request instead of delaying it).

    Errors never escape: they end the run with ``run.status == "error"`` and the partial output kept.
    """
    control = control or RunControl()
    stop = control.begin()
    run = RunRecord()
    progress = RunProgress(run)

    text_seen = asyncio.Event()

    async def pump() -> None:
        parts = request.provider.create_async_generator(request.model, request.messages, **request.kwargs)
        add = run.add
        try:
            async for part in parts:
                add(part)
                if run.chars:  # the first words: shown at once (then the loop below folds the rest)
                    text_seen.set()
                    break
            async for part in parts:  # the same stream, on from where the loop above stopped
                add(part)
        finally:
            await parts.aclose()

    task = asyncio.create_task(pump())
    stop_wait = asyncio.create_task(stop.wait())
    first_words = asyncio.create_task(text_seen.wait())
    throttle = Throttle(interval)
    # Until the first words, a render waits one interval (a reply that opens with a tool call shows its
    # progress then); the first words are rendered as they arrive, like a plain chatbot's first update.
    # After a render, the interval grows with the answer: a fast stream that is nearly done by then is
    # rendered once more only at its end, not also a moment before it (a long render the final one
    # would wait behind).
    throttle.due()
    words_shown = False
    try:
        if announce:
            yield progress
        while not task.done():
            throttle.interval = render_interval(run, interval)
            timeout = throttle.remaining() if run.dirty else throttle.interval
            waits = {task, stop_wait} if first_words.done() else {task, stop_wait, first_words}
            await asyncio.wait(waits, timeout=max(timeout, 0.001), return_when=asyncio.FIRST_COMPLETED)
            if first_words.done() and not words_shown:
                words_shown = True
                throttle.restart()  # due now
            if stop.is_set() and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                break
            if not task.done() and run.dirty and throttle.due():
                run.dirty = False
                yield progress
        # Stopped: cancelled by Stop (or by Gradio), or failed while being cancelled.
        if task.cancelled() or (stop.is_set() and task.exception() is not None):
            run.mark_stopped()
        elif (exc := task.exception()) is not None:
            if not isinstance(exc, PlaygroundError):  # a bug, not an API answer: leave a trace (type only)
                log.warning("run failed with an unexpected %s", type(exc).__name__)
            run.mark_error(exc, describe_error(exc))
        else:
            run.mark_done()
        progress.final = True
        run.dirty = False
        control.end()  # before the last yield: a consumer that stops iterating here sees the run as over
        yield progress
    finally:
        stop_wait.cancel()
        first_words.cancel()
        if not task.done():  # the consumer went away (page closed, Gradio cancelled the event)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        control.end()

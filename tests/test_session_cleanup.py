"""A closed page's session is released: its live sweep is cancelled and forgotten, its chat reply asked to
stop, Gradio's per-session state deleted; a session used again within the grace period is kept. The unload
handler is driven directly, through Gradio's own StateHolder."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import gradio as gr
import pytest
from gradio.state_holder import StateHolder

from playground.settings import RunSettings
from playground.tuning.runner import Job, Runner, user_messages
from playground.ui import session_cleanup
from playground.ui.session import Session
from playground.ui.tuning.common import RUNNERS


def app_with_session(grace_s: float) -> tuple[gr.Blocks, gr.State, StateHolder]:
    with gr.Blocks() as demo:
        state = gr.State(Session())
        session_cleanup.wire(demo, grace_s=grace_s)
    holder = StateHolder()
    holder.set_blocks(demo)
    return demo, state, holder


def unload_handler(demo: gr.Blocks) -> Any:
    [fn] = [dep.fn for dep in demo.fns.values() if any(t[1] == "unload" for t in dep.targets)]
    return fn


async def until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@pytest.fixture
async def slow_emu() -> Any:
    from playground.emulator import Emulator

    async with Emulator(tokens_per_second=20) as emulator:  # a run lasts long enough to be closed mid-way
        yield emulator


async def test_unload_cancels_the_sessions_sweep_and_drops_its_state(slow_emu):
    emu = slow_emu
    demo, state, holder = app_with_session(grace_s=0)
    session: Session = holder["page-1"][state._id]  # what Gradio hands this browser session
    other: Session = holder["page-2"][state._id]
    assert session is not other
    runner = Runner(api_base=emu.api_base, api_key="k", concurrency=1, owner=session.owner)
    jobs = [Job(i, RunSettings(model="playground-tiny", max_tokens=2000, endless=True), user_messages("go"))
            for i in range(3)]
    RUNNERS[(session.owner, "sweep")] = runner
    RUNNERS[(other.owner, "sweep")] = other_runner = Runner(api_base=emu.api_base, owner=other.owner)
    updates = []

    async def consume() -> None:
        async for update in runner.run(jobs):
            updates.append(update)

    task = asyncio.create_task(consume())
    await until(lambda: any(r.started for r in runner.results.values()))

    await unload_handler(demo)(gr.Request(session_hash="page-1"))
    await until(lambda: "page-1" not in holder.session_data)
    await asyncio.wait_for(task, 10)
    assert all(r.cancelled for r in runner.results.values())  # nothing ran on after the page closed
    assert (session.owner, "sweep") not in RUNNERS
    assert RUNNERS[(other.owner, "sweep")] is other_runner  # another page's run is untouched
    assert "page-1" not in holder.time_last_used and "page-2" in holder.session_data
    RUNNERS.pop((other.owner, "sweep"))


async def test_a_session_used_again_within_the_grace_period_is_kept():
    demo, state, holder = app_with_session(grace_s=0.2)
    session = holder["page-1"][state._id]
    await unload_handler(demo)(gr.Request(session_hash="page-1"))
    holder["page-1"]  # the page came back and sent an event before the grace period ran out
    closed_then_idle = "page-2"
    holder[closed_then_idle]
    await unload_handler(demo)(gr.Request(session_hash=closed_then_idle))
    await until(lambda: closed_then_idle not in holder.session_data)
    assert holder.session_data["page-1"][state._id] is session


def test_end_session_stops_a_running_chat_reply():
    session = Session()
    stop = session.control.begin()
    assert session_cleanup.end_session(session) == 0 and stop.is_set()


def test_release_of_an_unknown_session_is_a_no_op():
    _, _, holder = app_with_session(grace_s=0)
    assert session_cleanup.release(holder, "never-seen") is False


async def test_releases_are_followed_by_one_reclaim(monkeypatch):
    calls = []
    monkeypatch.setattr(session_cleanup, "RECLAIM_AFTER_S", 0.3)
    # an earlier test's release scheduled a reclaim on its own event loop, closed before it ran
    monkeypatch.setattr(session_cleanup, "_reclaim_pending", False)
    monkeypatch.setattr(session_cleanup, "reclaim", lambda: calls.append(1) or setattr(
        session_cleanup, "_reclaim_pending", False))
    demo, _, holder = app_with_session(grace_s=0)
    for page in ("page-1", "page-2", "page-3"):
        holder[page]
        await unload_handler(demo)(gr.Request(session_hash=page))
    await until(lambda: not holder.session_data and calls)
    assert calls == [1]  # three pages closed together: one collection


def test_reclaim_runs_a_collection():
    import gc

    before = gc.get_count()
    session_cleanup.reclaim()
    assert sum(gc.get_count()) <= sum(before) + 10 and session_cleanup._reclaim_pending is False


async def test_release_drops_the_sessions_message_queue_unless_an_event_is_pending():
    from gradio.queueing import Queue

    demo, _, holder = app_with_session(grace_s=0)
    queue = Queue(live_updates=False, concurrency_count=1, update_intervals=1, max_size=None, blocks=demo)
    for page in ("page-1", "page-2"):
        holder[page]
        queue.pending_messages_per_session[page] = asyncio.Queue()  # what joining the queue leaves behind
    queue.pending_event_ids_session["page-2"] = {"event-1"}  # page-2 still waits for an event
    assert session_cleanup.release(holder, "page-1", queue=queue)
    assert session_cleanup.release(holder, "page-2", queue=queue)
    assert "page-1" not in queue.pending_messages_per_session  # Gradio would keep it for 2,000 sessions
    assert "page-2" in queue.pending_messages_per_session

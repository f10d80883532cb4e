"""The Sweep tab's batch handlers in process, against the emulator over HTTP: Confirm with "Run as a
batch" fills the same table from one batch, a stored batch is picked up when the tab opens, and the
Batches view lists, cancels and summarises, with errors in words."""

from __future__ import annotations

import asyncio
from typing import Any

import gradio as gr
import pytest

from playground.settings import FIELDS, RunSettings
from playground.store.batches import BatchLedger
from playground.tuning import cost
from playground.tuning.batch import BatchSweep
from playground.ui.tuning import common, sweep
from playground.ui.tuning.sweep_batch import BatchesHandlers, batch_control

MODEL = "claude-haiku-4-5"


def _values(**changes: Any) -> list[Any]:
    ui = {**RunSettings().to_ui(), "model": MODEL, "max_tokens": 24, **changes}
    return [ui[k] for k in FIELDS]


@pytest.fixture
def ctx():
    from playground.backends import Backends
    from playground.config import Config
    from playground.emulator import start_in_thread
    from playground.ui.context import UIContext

    emu = start_in_thread(seed=7, batch_delay_ms=40)
    backends = Backends(Config(), start_offline=lambda **_: emu)
    try:
        yield UIContext(backends=backends, backend=None, api_key=None, model=None)
    finally:
        backends.close()


async def _batches(ctx) -> list:
    target = ctx.backends.target("offline")
    return [b async for b in target.provider.list_batches(**target.provider_kwargs())]


async def test_confirm_as_a_batch_fills_the_table_and_says_the_batch_price(ctx, monkeypatch) -> None:
    from playground.ui.session import Session

    monkeypatch.setattr("playground.tuning.batch.FIRST_POLL_S", 0.02)
    handlers = sweep.SweepHandlers(ctx)
    chat = Session()
    plan, *_ = handlers.estimate_as("temperature", "0, 1", "(none)", "", 2, "Tell me about rivers.", True,
                                    cost.SpendCap(), *_values())
    assert "4 requests" in plan and "at batch prices (50% of list)" in plan
    outs = [o async for o in handlers.start("temperature", "0, 1", "(none)", "", 2, "Tell me about rivers.", 2, True,
                                            cost.SpendCap(), chat, "", *_values())]
    assert outs[0][0].startswith("Creating a batch of 4 requests")
    assert any("in_progress" in str(o[1]) for o in outs)  # progress seen while it processed
    head, progress, table = outs[-1][:3]
    batch_id = (await _batches(ctx))[0].id
    assert head.startswith(f"Batch `{batch_id}` ended. Done: 4/4 runs") and "Cost at batch prices" in head
    assert "4 succeeded" in progress
    assert len(table) == 4 and list(table["status"]) == ["done"] * 4 and all(table["output"])
    rows = common.history_store().search(group_id=head.split("group `")[1].split("`")[0])
    assert len(rows) == 4 and all(f"batch {batch_id}" in r.label for r in rows)
    assert len(await _batches(ctx)) == 1
    assert common.session_key(chat, "sweep") not in common.RUNNERS


async def test_opening_the_tab_collects_a_stored_batch_once(ctx, monkeypatch) -> None:
    from playground.ui.session import Session

    monkeypatch.setattr("playground.tuning.batch.FIRST_POLL_S", 0.02)
    settings = RunSettings(model=MODEL, max_tokens=24)
    jobs, params, _, _ = sweep.sweep_plan("temperature", "0, 0.5", "(none)", "", 1, "Tell me about lakes.", settings)
    book = BatchLedger(common.history_store())
    started = BatchSweep(ctx.backends.target("offline"), jobs, params, ledger=book, store=common.history_store())
    await started.create()  # ... and the app stopped before polling
    before = len(await _batches(ctx))

    view = BatchesHandlers(ctx, sweep.N_OUTPUTS)
    outs = [o async for o in view.resume(Session(), "")]
    assert outs[0][0].startswith(f"Resuming batch `{started.batch_id}` (2 requests)")
    assert len(outs[-1][2]) == 2 and outs[-1][0].startswith(f"Batch `{started.batch_id}` ended. Done: 2/2")
    assert len(await _batches(ctx)) == before  # collected, not created again
    assert book.get(started.batch_id).collected
    again = [o async for o in view.resume(Session(), "")]
    assert again == [[gr.skip()] * sweep.N_OUTPUTS]  # nothing pending: every output left as it is

    table, note = await view.refresh(Session(), "", *_values())
    mine = table[table["id"] == started.batch_id].iloc[0]
    assert mine["status"] == "ended" and mine["succeeded"] == 2 and mine["sweep"] == "collected"
    assert note.endswith("on Offline emulator (no key needed).")


async def test_the_batches_view_says_what_went_wrong_in_words(ctx) -> None:
    from playground.ui.session import Session

    view = BatchesHandlers(ctx, sweep.N_OUTPUTS)
    chat = Session()
    assert await view.cancel("", chat, "", *_values()) == "⚠️ Pick a batch in the table (or paste its id) first."
    missing = await view.cancel("msgbatch_nope", chat, "", *_values())
    assert missing == "⚠️ Could not cancel `msgbatch_nope`: no such batch on this backend (404)."
    _, note = await view.refresh(chat, "", *_values(backend="openai", base_url="http://127.0.0.1:9/v1"))
    assert note.startswith("⚠️ Could not list batches: the OpenAI-compatible endpoint has no Message Batches")

    # a batch that is not a sweep of ours: a summary of its outcomes
    target = ctx.backends.target("offline")
    other = await target.provider.create_batch(
        [("a", {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}),
         ("b", {"model": "claude-no-such-model", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8})],
        **target.provider_kwargs())
    early = [o async for o in view.results(other.id, chat, "", *_values())]
    if not early[0][0].startswith("⏳"):  # the emulator may already be done with two short requests
        assert early[0][0].startswith(f"Batch `{other.id}` (not a sweep of this app)")
    for _ in range(500):  # two requests of 40 ms each: ended well within this bound
        if (await target.provider.get_batch(other.id, **target.provider_kwargs())).ended:
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the batch did not end within 5 s")
    final = [o async for o in view.results(other.id, chat, "", *_values())]
    text = final[-1][0]
    assert text.startswith(f"Batch `{other.id}` (not a sweep of this app): 1 errored, 1 succeeded.")
    assert "`b`: NotFoundError" in text and "claude-no-such-model" in text


async def test_cancel_on_the_tab_cancels_the_batch_and_keeps_what_ran(ctx, monkeypatch) -> None:
    from playground.ui.session import Session

    monkeypatch.setattr("playground.tuning.batch.FIRST_POLL_S", 0.05)
    handlers = sweep.SweepHandlers(ctx)
    chat = Session()
    outs = []
    async for out in handlers.start("temperature", "0:1:0.25", "(none)", "", 2, "Tell me about rivers.", 2, True,
                                    cost.SpendCap(), chat, "", *_values()):
        outs.append(out)
        if "in_progress" in str(out[1]) and len(outs) == 2:
            sweep.SweepHandlers.cancel(chat)  # the Cancel button
    head, progress, table = outs[-1][:3]
    assert "Cancel asked" in " ".join(str(o[0]) for o in outs)
    assert head.startswith("Batch ") and " ended. Cancelled: 10/10 runs" in head, head
    assert 1 <= list(table["status"]).count("cancelled") <= 9 and "done" in list(table["status"])
    assert "canceled" in progress


async def test_a_stored_batch_the_backend_lost_is_said_and_not_offered_again(ctx) -> None:
    from playground.store.batches import PendingBatch
    from playground.ui.session import Session

    settings = RunSettings(model=MODEL, max_tokens=24)
    jobs, params, _, _ = sweep.sweep_plan("temperature", "0", "(none)", "", 1, "hi", settings)
    lost = BatchSweep(ctx.backends.target("offline"), jobs, params, ledger=None, store=None)
    book = BatchLedger(common.history_store())
    # stored by an app whose in-process emulator is gone (a restart of the offline backend)
    book.save(PendingBatch("msgbatch_01LostLostLostLostLost", "sweep", None, lost.record()))
    outs = [o async for o in BatchesHandlers(ctx, sweep.N_OUTPUTS).resume(Session(), "")]
    assert outs[-1][0] == ("⚠️ Batch `msgbatch_01LostLostLostLostLost` is not on this backend any more (404: "
                           "deleted, or the offline emulator restarted since); it is no longer offered to resume.")
    assert book.get("msgbatch_01LostLostLostLostLost").collected


async def test_a_closed_session_stops_following_but_never_cancels_the_batch(ctx, monkeypatch) -> None:
    from playground.ui.session import Session
    from playground.ui.session_cleanup import end_session

    monkeypatch.setattr("playground.tuning.batch.FIRST_POLL_S", 0.05)
    handlers = sweep.SweepHandlers(ctx)
    chat = Session()
    outs = []
    async for out in handlers.start("temperature", "0:1:0.25", "(none)", "", 2, "Tell me about rivers.", 2, True,
                                    cost.SpendCap(), chat, "", *_values()):
        outs.append(out)
        if "in_progress" in str(out[1]) and len(outs) == 2:
            assert end_session(chat) == 1  # the browser tab closed
    batch_id = outs[1][0].split("`")[1]
    assert "in_progress" in str(outs[-1][1]) and "Done" not in outs[-1][0]  # it stopped following
    target = ctx.backends.target("offline")
    info = await target.provider.get_batch(batch_id, **target.provider_kwargs())
    assert info.cancel_initiated_at is None and info.request_counts.canceled == 0
    assert batch_id in [p.batch_id for p in BatchLedger(common.history_store()).pending()]  # offered next visit
    await target.provider.cancel_batch(batch_id, **target.provider_kwargs())  # tidy: not for the next test
    book = BatchLedger(common.history_store())
    book.mark_collected(batch_id)


def test_the_checkbox_follows_the_backend() -> None:
    assert batch_control("offline")["interactive"] is True
    assert batch_control("anthropic")["interactive"] is True
    off = batch_control("openai")
    assert off["interactive"] is False and off["value"] is False
    assert off["info"] == ("The OpenAI-compatible endpoint has no Message Batches: only the offline emulator and "
                           "the Anthropic API do.")


def test_a_change_racing_the_estimate_keeps_confirm_and_a_real_change_hides_it(ctx) -> None:
    from playground.ui.session import Session

    handlers, chat = sweep.SweepHandlers(ctx), Session()
    form = ("temperature", "0, 1", "(none)", "", 2, "Tell me about rivers.", False)
    _, confirm, _ = handlers.estimate_noted(chat, *form, cost.SpendCap(), *_values())
    assert confirm["visible"] is True
    # the blur of the last field, arriving after the Estimate that already used its value: Confirm stays
    assert isinstance(sweep.invalidate(chat, *form), type(gr.skip()))
    # an edit made after the estimate: hidden, the user must estimate again
    assert sweep.invalidate(chat, *form[:4], 3, *form[5:])["visible"] is False
    assert sweep.invalidate(Session(), *form)["visible"] is False  # no estimate shown in that session

"""A sweep run as one Message Batch, against the real emulator over HTTP: the same table rows as a
normal sweep (same seed and settings), History rows marked with the batch id and priced at half,
the stored batch surviving a new store object, a resume collecting the same batch (one create on the
emulator), typed errors in the table, and a cancel."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.backends import OFFLINE, OFFLINE_KEY, Target
from playground.emulator import Emulator
from playground.providers import Anthropic
from playground.settings import RunSettings
from playground.store import RunStore
from playground.store.batches import BatchLedger
from playground.tuning import cost, report
from playground.tuning.batch import KIND, BatchBusy, BatchSweep, batch_request, custom_id
from playground.tuning.runner import Runner
from playground.ui.tuning.sweep import sweep_plan

MODEL = "claude-haiku-4-5"  # lists at $1 / $5 per million tokens


def haiku_batch_cost(input_tokens: int, output_tokens: int) -> float:
    return (input_tokens * 1.0 + output_tokens * 5.0) / 1_000_000 / 2  # a batch bills half


def plan(api_base: str, values: str = "0, 1", repeats: int = 2):
    settings = RunSettings(model=MODEL, max_tokens=24)
    jobs, params, _, _ = sweep_plan("temperature", values, "(none)", "", repeats, "Tell me about rivers.", settings)
    return jobs, params, Target(OFFLINE, api_base, OFFLINE_KEY)


async def created(emu) -> list:
    return [b async for b in Anthropic.list_batches(api_key=OFFLINE_KEY, api_base=emu.api_base)]


def comparable(row: dict) -> dict:
    return {k: row[k] for k in ("cell", "repeat", "temperature", "model", "status", "output_tokens", "output_chars",
                                "stop_reason", "error", "output")}


async def test_a_batch_sweep_gives_the_normal_rows_at_half_price_and_lands_in_history(tmp_path: Path) -> None:
    history = RunStore(tmp_path / "h.db")
    async with Emulator(seed=7) as emu:
        jobs, params, target = plan(emu.api_base)
        normal = Runner(api_key=OFFLINE_KEY, api_base=emu.api_base, store=None)
        normal_rows = {u.key: report.result_row(u.result, params) async for u in normal.run(jobs) if u.done}

        cap = cost.SpendCap(1.0)
        sweep = BatchSweep(target, jobs, params, ledger=BatchLedger(history), store=history, owner="o1",
                           spend_cap=cap, first_poll_s=0.02)
        info = await sweep.create()
        assert info.request_counts.processing == len(jobs) == 4
        states = [i async for i in sweep.poll()]
        assert states[-1].ended and states[-1].request_counts.succeeded == 4
        results = [r async for r in sweep.collect()]

    assert len(results) == 4
    rows = {r.key: report.result_row(r, params) for r in results}
    assert {k: comparable(v) for k, v in rows.items()} == {k: comparable(v) for k, v in normal_rows.items()}
    for r in results:
        assert r.error is None and r.text and r.usage.output_tokens > 0
        assert r.cost_usd == pytest.approx(haiku_batch_cost(r.usage.input_tokens, r.usage.output_tokens))
        assert rows[r.key]["latency_s"] is None and rows[r.key]["ttft_s"] is None  # no per-request clock
    assert cap.spent_usd == pytest.approx(sum(r.cost_usd for r in results))

    stored = history.search(group_id=sweep.group_id)
    assert len(stored) == 4 and {s.id for s in stored} == {r.run_id for r in results}
    for s in stored:
        assert s.kind == KIND and s.label.endswith(f"· batch {sweep.batch_id}") and s.label.startswith("sweep cell")
        assert s.cost_usd == pytest.approx(haiku_batch_cost(s.usage["input_tokens"], s.usage["output_tokens"]))
        assert s.owner == "o1" and s.output
    assert BatchLedger(history).pending() == []  # collected


async def test_the_stored_batch_survives_a_restart_and_resuming_collects_it_without_a_second_batch(
        tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    async with Emulator(batch_delay_ms=30) as emu:
        jobs, params, target = plan(emu.api_base, "0, 0.5, 1", 1)
        first = BatchSweep(target, jobs, params, ledger=BatchLedger(RunStore(path)), store=RunStore(path),
                           owner="o1")
        await first.create()
        assert first.batch_id.startswith("msgbatch_")
        # the app stops here (mid-batch); a new process opens the same store
        store2 = RunStore(path)
        pending = BatchLedger(store2).pending(kind=KIND)
        assert [p.batch_id for p in pending] == [first.batch_id]
        assert set(pending[0].record["cells"]) == {custom_id(j.key) for j in jobs}
        assert "offline-emulator" not in str(pending[0].record)  # no key in the record
        assert BatchSweep.settings_of(pending[0]).model_id == MODEL

        resumed = BatchSweep.resume(pending[0], target, ledger=BatchLedger(store2), store=store2, first_poll_s=0.02)
        assert resumed.group_id == first.group_id and resumed.params == ["temperature"]
        states = [i async for i in resumed.poll()]
        assert states[0].processing_status == "in_progress" and states[-1].ended
        results = [r async for r in resumed.collect()]
        assert sorted(r.key for r in results) == sorted(j.key for j in jobs)
        assert all(r.error is None and r.text for r in results)
        assert [b.id for b in await created(emu)] == [first.batch_id]  # collected, not created again
        assert len(store2.search(group_id=first.group_id)) == 3

        # collecting the same batch again (a second window, a crash after writing) writes no row twice
        again = BatchSweep.resume(pending[0], target, ledger=BatchLedger(store2), store=store2)
        assert [r.run_id async for r in again.collect()] and len(store2.search(group_id=first.group_id)) == 3
        assert BatchLedger(RunStore(path)).pending() == []


async def test_errored_and_canceled_cells_show_their_typed_reason(tmp_path: Path) -> None:
    history = RunStore(tmp_path / "h.db")
    async with Emulator(batch_delay_ms=200) as emu:
        jobs, params, target = plan(emu.api_base, "0, 1", 2)
        # the API refuses this cell when the batch processes it (asynchronously): an errored result
        jobs[0].settings = jobs[0].settings.replace(model="claude-no-such-model")
        sweep = BatchSweep(target, jobs, params, ledger=BatchLedger(history), store=history, first_poll_s=0.05)
        await sweep.create()
        states = []
        async for info in sweep.poll():
            states.append(info)
            if len(states) == 1:
                sweep.cancel_batch()  # from the Cancel button: the poll loop sends it once
        assert states[-1].ended and states[-1].request_counts.canceled >= 1
        results = {r.key: r async for r in sweep.collect()}
    rows = {k: report.result_row(r, params) for k, r in results.items()}
    # the first request is in flight when the cancel arrives: it still runs, and is refused
    bad = rows[jobs[0].key]
    assert bad["status"] == "error" and bad["error"].startswith("NotFoundError:"), bad
    assert "claude-no-such-model" in bad["error"]
    assert rows[jobs[3].key]["status"] == "cancelled" and rows[jobs[3].key]["error"] == ""
    assert len(history.search(group_id=sweep.group_id)) == 4


def test_batch_requests_are_the_normal_cells_requests_minus_call_level_keywords() -> None:
    jobs, _, _ = plan("http://127.0.0.1:1/v1")
    request = batch_request(jobs[0])
    assert request["model"] == MODEL and request["messages"] == jobs[0].messages
    assert "stream" not in request and "headers" not in request
    assert request["temperature"] == 0.0 and request["max_tokens"] == 24
    assert custom_id(jobs[0].key) == "cell-0"


def test_batch_estimate_is_half_the_normal_one() -> None:
    full = cost.estimate([(MODEL, 100)] * 4, 50)
    half = cost.estimate([(MODEL, 100)] * 4, 50, batch=True)
    # 4 x (50 in x $1 + 100 out x $5) / 1e6 = $0.0022; half: $0.0011
    assert full.cost_usd == pytest.approx(0.0022) and half.cost_usd == pytest.approx(0.0011)
    assert "at batch prices (50% of list)" in half.describe() and "batch" not in full.describe()


def test_the_stored_record_never_holds_a_key(tmp_path: Path) -> None:
    from playground.store.batches import PendingBatch

    key = "sk-ant-api03-" + "VisitorKey0123456789" * 3
    book = BatchLedger(RunStore(tmp_path / "h.db"))
    book.save(PendingBatch("msgbatch_1", KIND, None, {"cells": {"cell-0": {"messages": [
        {"role": "user", "content": f"my key is {key}"}]}}}), secrets=[key])
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert key.encode() not in raw and key[12:40].encode() not in raw
    assert "my key is" in str(book.get("msgbatch_1").record)


def test_one_collector_per_batch() -> None:
    from playground.tuning import batch

    batch._COLLECTING.add("msgbatch_x")
    try:
        sweep = BatchSweep(Target(OFFLINE, "http://127.0.0.1:1/v1", OFFLINE_KEY), [], [], ledger=None, store=None,
                           batch_id="msgbatch_x")

        async def drain() -> None:
            async for _ in sweep.collect():
                pass

        import asyncio
        with pytest.raises(BatchBusy, match="another window"):
            asyncio.run(drain())
    finally:
        batch._COLLECTING.discard("msgbatch_x")

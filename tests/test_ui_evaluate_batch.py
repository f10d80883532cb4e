"""The Evaluate tab's "Run as a batch (50% price)" without a browser, against the offline emulator over
real HTTP: the pre-run cost at batch prices, the batch's progress lines, the results and History row
of a normal run, Stop cancelling the batch, and Resume collecting a batch left pending by a restart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from playground import store
from playground.backends import Backends
from playground.config import Config
from playground.evals.batch import BATCH_FILE
from playground.evals.plan import estimate_input_tokens
from playground.providers import Anthropic
from playground.settings import FIELDS, RunSettings
from playground.tuning.cost import SpendCap
from playground.ui.context import UIContext
from playground.ui.session import Session
from playground.ui.tuning import evaluate as ev
from playground.ui.tuning import evaluate_batch as batching
from playground.ui.tuning import evaluate_runs as runs
from playground.ui.tuning import evaluate_spec as form

SPEC = form.EXAMPLE_SPEC  # claude-haiku-4-5 ($1 / $5 per million tokens), max_tokens 64, 3 cases × 2 variants × 2
MONEY = re.compile(r"typical \$([0-9.]+), at most \$([0-9.]+)")


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "history.sqlite3"))
    monkeypatch.setenv("PLAYGROUND_HISTORY_SCOPE", "session")
    backends = Backends(Config(emulator_tps=0, emulator_batch_delay_ms=60))  # 12 requests: ~0.7 s a batch
    yield UIContext(backends=backends, backend=None, api_key=None, model=None)
    backends.close()


def values(**changes: Any) -> list[Any]:
    ui = RunSettings(**changes).to_ui()
    return [ui[k] for k in FIELDS]


async def drain(gen: Any) -> list[list[Any]]:
    return [out async for out in gen]


def conn(ctx: Any) -> dict[str, Any]:
    return ctx.backends.target("offline").provider_kwargs()


def haiku_batch_usd(tokens_in: int, tokens_out: int) -> float:
    return (tokens_in * 1.0 + tokens_out * 5.0) / 1_000_000 * 0.5


def test_pre_run_cost_is_at_batch_prices(ctx: Any) -> None:
    handlers = ev.EvaluateHandlers(ctx)
    line, _ = handlers.check_ui(SPEC, True, SpendCap(5.0), "", *values())
    assert line.startswith("**capitals** as a batch (50% price): 12 attempts, 12 calls (0 cached)")
    typical, upper = map(float, MONEY.search(line).groups())
    prompts = [("Answer briefly." + f"What is the capital of {c}?", "Answer briefly."
                + f"Country: {c}\nReply with the capital city only.") for c in ("France", "Japan", "Germany")]
    hand_upper = 2 * sum(haiku_batch_usd(estimate_input_tokens(p), 64) for pair in prompts for p in pair)
    assert upper == pytest.approx(round(hand_upper, 4), abs=1e-4)
    normal, _ = handlers.check(SPEC, SpendCap(5.0), "", *values())
    n_typical, n_upper = map(float, MONEY.search(normal).groups())
    assert upper == pytest.approx(n_upper / 2, abs=1e-4) and typical == pytest.approx(n_typical / 2, abs=1e-4)


def test_the_checkbox_is_only_for_messages_api_backends(ctx: Any) -> None:
    assert batching.batch_control("offline")[0]["interactive"] is True
    update, reason = batching.batch_control("openai")
    assert update["interactive"] is False and update["value"] is False
    assert "the openai backend has no Message Batches" in reason
    line, _ = ev.EvaluateHandlers(ctx).check_ui(SPEC, True, SpendCap(5.0), "", *values(backend="openai"))
    assert line.startswith("⚠️ Run as a batch: the openai backend has no Message Batches")


async def test_a_batch_run_shows_progress_and_lands_like_a_normal_run(ctx: Any) -> None:
    handlers = ev.EvaluateHandlers(ctx)
    chat, cap = Session(), SpendCap(5.0)
    outs = await drain(handlers.run_ui(SPEC, True, cap, chat, "", *values()))
    assert outs[0][0].startswith("Running capitals as a batch (50% price) (run `")
    progress = [o[1] for o in outs if isinstance(o[1], str) and "eval_batch_progress" in o[1]]
    assert any("in_progress: 12 processing, 0 succeeded" in p for p in progress)  # watched while it ran
    assert "ended: 0 processing, 12 succeeded, 0 errored" in progress[-1]
    final, rid = outs[-1], outs[-1][7]
    assert final[0].startswith("Done: 12/12 attempts of capitals as a batch (50% price)")
    assert "Kept in History as run #" in final[0]
    run = runs.OPEN[rid]
    attempts = list(run.attempts.values())
    assert len(attempts) == 12 and all(a.error is None for a in attempts)
    hand = sum(haiku_batch_usd(a.input_tokens, a.output_tokens) for a in attempts)
    assert hand > 0 and run.spent_usd == pytest.approx(hand, rel=1e-9) and cap.spent_usd == pytest.approx(hand)
    assert f"${hand:.4f} spent" in final[0]
    assert list(final[2]["variant"]) == ["v1", "v2"]  # the same summary table
    rows = store.get_store().search("capitals", kind="eval", owner=chat.owner)
    assert len(rows) == 1 and rows[0].cost_usd == pytest.approx(hand)
    batches = [b async for b in Anthropic.list_batches(**conn(ctx))]
    assert len(batches) == 1 and batches[0].request_counts.succeeded == 12
    assert json.loads((runs.evals_dir() / "runs" / rid / BATCH_FILE).read_text())["collected"] is True


async def test_stop_cancels_the_batch_and_resume_finishes_in_a_new_one(ctx: Any) -> None:
    handlers = ev.EvaluateHandlers(ctx)
    chat, cap = Session(), SpendCap(5.0)
    gen = handlers.run_ui(SPEC, True, cap, chat, "", *values())
    rid = (await gen.__anext__())[7]
    async for out in gen:
        if isinstance(out[1], str) and "in_progress" in out[1]:
            break
    handlers.stop(chat)
    outs = await drain(gen)
    assert outs[-1][0].startswith("Stopped: ") and "Press Resume" in outs[-1][0]
    assert any("canceling batch msgbatch_" in o[1] for o in outs if isinstance(o[1], str))
    (batch,) = [b async for b in Anthropic.list_batches(**conn(ctx))]
    counts = batch.request_counts
    assert batch.processing_status == "ended" and counts.canceled > 0 and counts.succeeded + counts.canceled == 12
    recorded = list(runs.OPEN[rid].attempts.values())
    done = sum(a.error is None for a in recorded)
    assert len(recorded) == 12 and done == counts.succeeded  # the canceled ones are errors, asked again on resume
    assert {a.error for a in recorded if a.error} == {"batch request canceled: the batch was canceled before it ran"}
    outs = await drain(handlers.resume_ui(rid, True, cap, chat, "", *values()))
    assert outs[0][0].startswith(f"Running capitals as a batch (50% price) (run `{rid}`): 12 attempts, {done} "
                                 "already done")
    assert outs[-1][0].startswith("Done: 12/12 attempts")
    assert len([b async for b in Anthropic.list_batches(**conn(ctx))]) == 2  # only the rest went in


async def test_resume_after_a_restart_collects_the_pending_batch(ctx: Any) -> None:
    handlers = ev.EvaluateHandlers(ctx)
    chat, cap = Session(), SpendCap(5.0)
    gen = handlers.run_ui(SPEC, True, cap, chat, "", *values())
    rid = (await gen.__anext__())[7]
    async for out in gen:
        if isinstance(out[1], str) and "in_progress" in out[1]:
            break
    await gen.aclose()  # the app goes away mid-poll
    saved = json.loads((runs.evals_dir() / "runs" / rid / BATCH_FILE).read_text())
    assert saved["collected"] is False
    runs.OPEN.clear()
    # Resume with the box unticked still collects the batch the run created, not a new one
    outs = await drain(handlers.resume_ui(rid, False, cap, chat, "", *values()))
    assert outs[0][0].startswith("Running capitals as a batch (50% price)")
    assert any(f"resuming batch {saved['id']}" in o[1] for o in outs if isinstance(o[1], str))
    assert outs[-1][0].startswith("Done: 12/12 attempts")
    assert [b.id async for b in Anthropic.list_batches(**conn(ctx))] == [saved["id"]]

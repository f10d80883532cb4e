"""``--batch`` in process: an eval's attempts as one Message Batch on the offline emulator, over real
HTTP: custom ids that fit the API's pattern, batch prices, the cache first, and a run interrupted
after the batch was created resuming by collecting that same batch."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from playground.backends import OFFLINE, OFFLINE_KEY, OPENAI, Target
from playground.emulator import Emulator
from playground.evals import EvalRun, ResponseCache, parse_spec
from playground.evals.batch import (
    BATCH_FILE,
    BatchUnsupported,
    check_batch_backend,
    custom_ids,
    reply_of,
    run_batch,
)
from playground.evals.runner import read_attempts
from playground.providers import Anthropic
from playground.providers.base import http_error
from playground.providers.batches import BatchCanceled, BatchErrored, BatchExpired

SPEC = """
[eval]
name = "batch"
repeats = 2
seed = 5
[defaults]
model = "claude-haiku-4-5"
max_tokens = 20
[[variants]]
id = "v 1"
prompt = "Tell me about {{country}}."
[[variants]]
id = "v2"
prompt = "Describe {{country}} briefly."
[[cases]]
_id = "fr/1"
country = "France"
[[cases]]
country = "Japan"
[[asserts]]
type = "max_words"
value = 1000
"""
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class Interrupted(Exception):
    pass


def haiku_batch_cost(input_tokens: int, output_tokens: int) -> float:
    # claude-haiku-4-5 lists at $1 / $5 per million tokens; a batch bills half
    return (input_tokens * 1.0 + output_tokens * 5.0) / 1_000_000 / 2


def test_custom_ids_fit_the_pattern_and_stay_unique() -> None:
    spec = parse_spec(SPEC.replace('id = "v2"', f'id = "{"x" * 70}"').replace('"v 1"', '"v/1"'))
    target = Target(OFFLINE, "http://127.0.0.1:1/v1", OFFLINE_KEY)
    run = EvalRun(spec, target)
    ids = custom_ids(run.planned)
    assert len(ids) == len(run.planned) == 8
    assert all(CUSTOM_ID.match(cid) for cid in ids)
    assert {p.slot for p in ids.values()} == {p.slot for p in run.planned}
    assert ids["v_1-fr_1-0"].slot == ("v/1", "fr/1", 0)
    # 70 x's cut to 64 characters collide for every slot of that variant: told apart by a suffix
    long_ids = [cid for cid, p in ids.items() if p.variant.startswith("xxx")]
    assert len(long_ids) == 4 and all(len(c) <= 64 for c in long_ids)


def test_only_messages_api_backends_batch() -> None:
    check_batch_backend(OFFLINE)
    with pytest.raises(BatchUnsupported, match="the openai backend has no Message Batches"):
        check_batch_backend(OPENAI)


def test_failed_results_become_errors_with_their_reason() -> None:
    errored = reply_of(BatchErrored("a", http_error(400, {}, json.dumps(
        {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: too big"}}).encode())),
        "claude-haiku-4-5", "sk-secret")
    assert errored.error.startswith("batch request errored:") and "max_tokens: too big" in errored.error
    assert "canceled" in reply_of(BatchCanceled("a"), "m", "k").error
    assert "expired" in reply_of(BatchExpired("a"), "m", "k").error


async def test_interrupted_batch_run_resumes_by_collecting_the_same_batch(tmp_path: Path) -> None:
    spec = parse_spec(SPEC)
    run_dir = tmp_path / "run"
    async with Emulator(batch_delay_ms=50) as emu:
        target = Target(OFFLINE, emu.api_base, OFFLINE_KEY)
        cache = ResponseCache(tmp_path / "cache")
        first = EvalRun(spec, target, run_dir=run_dir, cache=cache, batch=True)
        lines: list[str] = []

        def crash_while_in_progress(line: str) -> None:
            lines.append(line)
            if "in_progress" in line:
                raise Interrupted  # the process dies mid-poll

        with pytest.raises(Interrupted):
            async for _ in run_batch(first, poll_s=0.02, on_progress=crash_while_in_progress):
                pass
        saved = json.loads((run_dir / BATCH_FILE).read_text())
        assert saved["collected"] is False and len(saved["custom_ids"]) == 8
        assert read_attempts(run_dir) == []

        resumed = EvalRun(spec, target, run_dir=run_dir, cache=cache, batch=True)
        seen: list[str] = []
        attempts = [a async for a in run_batch(resumed, poll_s=0.02, on_progress=seen.append)]
        assert seen[0].startswith(f"resuming batch {saved['id']}")
        assert seen[-1].startswith(f"batch {saved['id']}: ended") and "8 succeeded" in seen[-1]
        batches = [b async for b in Anthropic.list_batches(**target.provider_kwargs())]
        assert [b.id for b in batches] == [saved["id"]]  # collected, not created again

        assert len(attempts) == 8 and all(a.error is None and a.score == 1.0 for a in attempts)
        assert {a.slot for a in attempts} == {p.slot for p in resumed.planned}
        for a in attempts:
            assert a.output and a.output_tokens > 0
            assert a.cost_usd == pytest.approx(haiku_batch_cost(a.input_tokens, a.output_tokens))
        assert resumed.spent_usd == pytest.approx(sum(a.cost_usd for a in attempts))
        assert json.loads((run_dir / BATCH_FILE).read_text())["collected"] is True
        assert len(read_attempts(run_dir)) == 8

        # the replies went into the cache: a new batch run answers all of them from it, no new batch
        again = EvalRun(spec, target, run_dir=tmp_path / "again", cache=cache, batch=True)
        assert again.cost_check().cached == 8
        cached = [a async for a in run_batch(again, poll_s=0.02)]
        assert len(cached) == 8 and all(a.cached for a in cached)
        assert [b.id async for b in Anthropic.list_batches(**target.provider_kwargs())] == [saved["id"]]
        assert not (tmp_path / "again" / BATCH_FILE).exists()


def test_batch_plan_is_priced_at_half_the_list_price() -> None:
    spec = parse_spec(SPEC)
    target = Target(OFFLINE, "http://127.0.0.1:1/v1", OFFLINE_KEY)
    normal = EvalRun(spec, target).cost_check()
    batch = EvalRun(spec, target, batch=True).cost_check()
    assert normal.upper_usd > 0
    assert batch.upper_usd == pytest.approx(normal.upper_usd / 2)
    assert batch.typical_usd == pytest.approx(normal.typical_usd / 2)

"""Message Batches on the emulator, driven by the official ``anthropic`` SDK over real HTTP:
create -> poll until ended -> results (succeeded and errored) -> list -> cancel -> delete, plus
the envelope checks, expiry, retention and the JSONL framing the SDK's decoder needs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import anthropic
import pytest

from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator

pytestmark = pytest.mark.timeout(60)

KEY = "sk-test-batches"
POLL_S = 0.02


def params(text: str, max_tokens: int = 40, **extra: Any) -> dict[str, Any]:
    return {"model": EMULATOR_MODEL, "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": text}], **extra}


def stamp(value: Any) -> float:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() if isinstance(value, str) \
        else value.timestamp()


async def wait_ended(client: anthropic.AsyncAnthropic, batch_id: str, deadline_s: float = 20) -> Any:
    """Poll ``retrieve`` until the batch has ended (bounded), returning every status seen."""
    end = time.monotonic() + deadline_s
    while True:
        batch = await client.messages.batches.retrieve(batch_id)
        if batch.processing_status == "ended":
            return batch
        assert time.monotonic() < end, f"batch still {batch.processing_status} after {deadline_s} s"
        await asyncio.sleep(POLL_S)


@pytest.fixture
async def slow_emu() -> AsyncIterator[Emulator]:
    async with Emulator(seed=11, batch_delay_ms=150) as emulator:
        yield emulator


@pytest.fixture
async def sdk(slow_emu: Emulator) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(base_url=slow_emu.base_url, api_key=KEY, max_retries=0) as c:
        yield c


async def test_batch_lifecycle_results_match_the_messages_endpoint(slow_emu: Emulator,
                                                                   sdk: anthropic.AsyncAnthropic) -> None:
    requests = [
        {"custom_id": "rabbit", "params": params("Tell me about the White Rabbit")},
        {"custom_id": "queen", "params": params("What did the Queen say?", max_tokens=12)},
        {"custom_id": "no-max", "params": {"model": EMULATOR_MODEL,
                                           "messages": [{"role": "user", "content": "hi"}]}},
        {"custom_id": "bad-model", "params": params("hi") | {"model": "claude-nonexistent-9"}},
    ]
    created = await sdk.messages.batches.create(requests=requests)
    assert created.id.startswith("msgbatch_") and created.type == "message_batch"
    assert created.processing_status == "in_progress"
    assert created.request_counts.model_dump() == {"processing": 4, "succeeded": 0, "errored": 0,
                                                   "canceled": 0, "expired": 0}
    assert created.results_url is None and created.ended_at is None and created.archived_at is None
    assert stamp(created.expires_at) - stamp(created.created_at) == 24 * 3600

    with pytest.raises(anthropic.AnthropicError, match="No `results_url`"):
        await sdk.messages.batches.results(created.id)  # the SDK checks before fetching
    with pytest.raises(anthropic.BadRequestError, match="cancel it first"):
        await sdk.messages.batches.delete(created.id)

    ended = await wait_ended(sdk, created.id)
    assert ended.request_counts.model_dump() == {"processing": 0, "succeeded": 2, "errored": 2,
                                                 "canceled": 0, "expired": 0}
    assert ended.ended_at is not None and ended.cancel_initiated_at is None
    assert ended.results_url == f"{slow_emu.base_url}/v1/messages/batches/{created.id}/results"
    # Four requests at 150 ms each: the batch took at least 0.6 s from creation to its end.
    assert stamp(ended.ended_at) - stamp(ended.created_at) >= 0.6

    results = {r.custom_id: r.result async for r in await sdk.messages.batches.results(created.id)}
    assert set(results) == {"rabbit", "queen", "no-max", "bad-model"}
    assert results["no-max"].type == "errored"
    assert results["no-max"].error.type == "error"
    assert results["no-max"].error.error.type == "invalid_request_error"
    assert results["no-max"].error.error.message == "max_tokens: Field required"
    assert results["bad-model"].error.error.type == "not_found_error"

    # Same server seed, same params: the batch answer is exactly what /v1/messages answers.
    for custom_id, text, max_tokens in (("rabbit", "Tell me about the White Rabbit", 40),
                                        ("queen", "What did the Queen say?", 12)):
        got = results[custom_id]
        assert got.type == "succeeded"
        direct = await sdk.messages.create(**params(text, max_tokens))
        assert [b.model_dump() for b in got.message.content] == [b.model_dump() for b in direct.content]
        assert got.message.stop_reason == direct.stop_reason
        assert got.message.usage.input_tokens == direct.usage.input_tokens
        assert got.message.usage.output_tokens == direct.usage.output_tokens
        assert got.message.usage.service_tier == "batch" and direct.usage.service_tier == "standard"
    assert results["queen"].message.usage.output_tokens <= 12

    listed = [b.id async for b in sdk.messages.batches.list(limit=1)]
    assert listed == [created.id]

    deleted = await sdk.messages.batches.delete(created.id)
    assert deleted.id == created.id and deleted.type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        await sdk.messages.batches.retrieve(created.id)


async def test_cancel_mid_batch_keeps_the_finished_request_and_cancels_the_rest(
        sdk: anthropic.AsyncAnthropic) -> None:
    requests = [{"custom_id": f"r{i}", "params": params(f"Question {i} about Alice")} for i in range(5)]
    # Each request takes 1 s here, so the cancel surely lands while the first one is in flight.
    created = await sdk.messages.batches.create(requests=requests,
                                                extra_headers={"x-emulator-batch-delay-ms": "1000"})
    canceling = await sdk.messages.batches.cancel(created.id)
    assert canceling.processing_status == "canceling"
    assert canceling.cancel_initiated_at is not None
    assert canceling.request_counts.processing == 5  # everything counts as processing until the end
    ended = await wait_ended(sdk, created.id)
    counts = ended.request_counts
    # The request already in flight when the cancel came still finishes.
    assert counts.succeeded == 1 and counts.canceled == 4 and counts.processing == 0
    kinds = sorted([r.result.type async for r in await sdk.messages.batches.results(created.id)])
    assert kinds == ["canceled"] * 4 + ["succeeded"]
    with pytest.raises(anthropic.BadRequestError, match="already ended"):
        await sdk.messages.batches.cancel(created.id)


async def test_list_pages_newest_first(sdk: anthropic.AsyncAnthropic) -> None:
    ids = []
    for i in range(3):
        batch = await sdk.messages.batches.create(requests=[{"custom_id": "only", "params": params(f"q{i}")}])
        ids.append(batch.id)
    first = await sdk.messages.batches.list(limit=2)
    assert [b.id for b in first.data] == [ids[2], ids[1]] and first.has_more
    assert [b.id async for b in sdk.messages.batches.list(limit=2)] == ids[::-1]  # the SDK follows after_id
    assert [b.id for b in (await sdk.messages.batches.list(before_id=ids[0], limit=5)).data] == [ids[2], ids[1]]


@pytest.mark.parametrize(("requests", "message"), [
    ([], "requests: a batch holds 1 to 100000 requests, got 0"),
    ([{"custom_id": "a", "params": params("x")}, {"custom_id": "a", "params": params("y")}],
     "requests.1.custom_id: 'a' is used twice"),
    ([{"custom_id": "has space", "params": params("x")}], "requests.0.custom_id: must be 1 to 64 characters"),
    ([{"custom_id": "x" * 65, "params": params("x")}], "requests.0.custom_id: must be 1 to 64 characters"),
    ([{"custom_id": "a", "params": "not an object"}], "requests.0.params: Input should be a valid dictionary"),
    ([{"params": params("x")}], "requests.0.custom_id: Field required"),
    ([{"custom_id": "a", "params": params("x"), "extra": 1}], "requests.0.extra: Extra inputs are not permitted"),
])
async def test_malformed_envelopes_are_refused_at_once(sdk: anthropic.AsyncAnthropic, requests: list,
                                                       message: str) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        await sdk.messages.batches.create(requests=requests)
    assert caught.value.body["error"]["message"].startswith(message)  # type: ignore[index]
    assert caught.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]


async def test_invalid_params_and_streaming_become_errored_results(sdk: anthropic.AsyncAnthropic) -> None:
    created = await sdk.messages.batches.create(requests=[
        {"custom_id": "hot", "params": params("x", max_tokens=-1)},
        {"custom_id": "stream", "params": params("x", stream=True)},
        {"custom_id": "extra", "params": params("x", bogus=1)},
    ])
    await wait_ended(sdk, created.id)
    errors = {r.custom_id: r.result.error.error async for r in await sdk.messages.batches.results(created.id)}
    assert errors["hot"].message.startswith("max_tokens: ")
    assert errors["stream"].message.startswith("stream: batch requests cannot stream")
    assert errors["extra"].message == "bogus: Extra inputs are not permitted"
    assert {e.type for e in errors.values()} == {"invalid_request_error"}


async def test_unstarted_requests_expire() -> None:
    async with Emulator(batch_expiry_s=0) as emu, \
            anthropic.AsyncAnthropic(base_url=emu.base_url, api_key=KEY, max_retries=0) as sdk:
        created = await sdk.messages.batches.create(
            requests=[{"custom_id": f"e{i}", "params": params("x")} for i in range(3)])
        assert created.expires_at == created.created_at
        ended = await wait_ended(sdk, created.id)
        assert ended.request_counts.expired == 3 and ended.request_counts.succeeded == 0
        assert [r.result.type async for r in await sdk.messages.batches.results(created.id)] == ["expired"] * 3


async def test_results_are_archived_after_the_retention_period(slow_emu: Emulator,
                                                               sdk: anthropic.AsyncAnthropic) -> None:
    created = await sdk.messages.batches.create(requests=[{"custom_id": "a", "params": params("x")}])
    await wait_ended(sdk, created.id)
    real_clock = slow_emu.settings.batches.clock
    slow_emu.settings.batches.clock = lambda: real_clock() + 29 * 24 * 3600
    batch = await sdk.messages.batches.retrieve(created.id)  # still readable
    assert stamp(batch.archived_at) == pytest.approx(stamp(batch.created_at) + 29 * 24 * 3600, abs=1)
    with pytest.raises(anthropic.NotFoundError, match="no longer available"):
        [r async for r in await sdk.messages.batches.results(created.id)]


async def test_results_wire_format_is_lf_terminated_jsonl(slow_emu: Emulator, sdk: anthropic.AsyncAnthropic) -> None:
    created = await sdk.messages.batches.create(requests=[
        {"custom_id": "a", "params": params("Alice")}, {"custom_id": "b", "params": {"model": EMULATOR_MODEL}}])
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    async with aiohttp.ClientSession() as http:
        url = f"{slow_emu.base_url}/v1/messages/batches/{created.id}/results"
        async with http.get(url, headers=headers) as early:
            assert early.status == 400
            assert "results are available once" in (await early.json())["error"]["message"]
        await wait_ended(sdk, created.id)
        async with http.get(url, headers=headers) as resp:
            raw = await resp.read()
    lines = raw.split(b"\n")
    assert lines[-1] == b"" and len(lines) == 3  # two lines, each ending in LF, no blank line
    assert b"\r" not in raw
    parsed = [json.loads(line) for line in lines[:-1]]
    assert [p["custom_id"] for p in parsed] == ["a", "b"]
    assert parsed[1]["result"]["error"]["error"]["type"] == "invalid_request_error"


async def test_beta_namespace_and_legacy_beta_header_work(sdk: anthropic.AsyncAnthropic) -> None:
    created = await sdk.beta.messages.batches.create(
        requests=[{"custom_id": "a", "params": params("x")}], betas=["message-batches-2024-09-24"])
    assert created.processing_status == "in_progress"
    ended = await sdk.beta.messages.batches.retrieve(created.id)
    assert ended.id == created.id


async def test_batch_routes_need_a_key(slow_emu: Emulator) -> None:
    async with aiohttp.ClientSession() as http, \
            http.get(f"{slow_emu.base_url}/v1/messages/batches", headers={"anthropic-version": "2023-06-01"}) as resp:
        assert resp.status == 401
        assert (await resp.json())["error"]["type"] == "authentication_error"

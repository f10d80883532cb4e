"""The provider's Message Batches and Files calls against the emulator over real HTTP: batch
results become the same typed parts a normal non-streamed call yields, errors become the typed
errors, and the request params come from the very builder a normal call uses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator
from playground.errors import (
    AuthenticationError,
    BadRequestError,
    BlockedAddressError,
    NotFoundError,
    ParameterError,
)
from playground.providers import Anthropic
from playground.providers.api_calls import Connection
from playground.providers.batches import (
    BatchCanceled,
    BatchErrored,
    BatchExpired,
    BatchInfo,
    BatchNotEndedError,
    BatchSucceeded,
    RequestCounts,
    _results_url,
)
from playground.responses import FinishReason, HeadersResponse, RequestRecord, Usage

pytestmark = pytest.mark.timeout(60)

KEY = "sk-provider-batch-secret-4242"
ALICE = [{"role": "user", "content": "Tell me about the White Rabbit"}]


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(seed=3, batch_delay_ms=20) as emulator:
        yield emulator


def conn(emu: Emulator, **extra: Any) -> dict[str, Any]:
    return {"api_key": KEY, "api_base": emu.api_base, **extra}


async def ended(emu: Emulator, batch_id: str, deadline_s: float = 20) -> BatchInfo:
    end = time.monotonic() + deadline_s
    while not (batch := await Anthropic.get_batch(batch_id, **conn(emu))).ended:
        assert time.monotonic() < end, f"batch still {batch.processing_status}"
        await asyncio.sleep(0.02)
    return batch


async def normal_parts(emu: Emulator, request: dict[str, Any]) -> list[Any]:
    return [p async for p in Anthropic.create_async_generator(**request, **conn(emu))
            if not isinstance(p, (RequestRecord, HeadersResponse))]


async def test_batch_results_are_the_parts_of_a_normal_call(emu: Emulator) -> None:
    plain = {"model": EMULATOR_MODEL, "messages": ALICE, "max_tokens": 30}
    styled = {"model": EMULATOR_MODEL, "messages": ALICE, "max_tokens": 16, "system": "Be brief.",
              "temperature": 0.4, "stop": ["Queen"]}
    broken = {"model": EMULATOR_MODEL, "messages": ALICE, "extra_data": {"bogus": 1}}
    batch = await Anthropic.create_batch([("plain", plain), ("styled", styled), ("broken", broken)], **conn(emu))
    assert batch.processing_status == "in_progress" and batch.id.startswith("msgbatch_")
    assert batch.request_counts == RequestCounts(processing=3)
    with pytest.raises(BatchNotEndedError, match="has no results yet"):
        [r async for r in Anthropic.batch_results(batch.id, **conn(emu))]

    done = await ended(emu, batch.id)
    assert done.request_counts == RequestCounts(succeeded=2, errored=1) and done.request_counts.total == 3
    outcomes = {o.custom_id: o async for o in Anthropic.batch_results(batch.id, **conn(emu))}
    for custom_id, request in (("plain", plain), ("styled", styled)):
        got = outcomes[custom_id]
        assert isinstance(got, BatchSucceeded)
        direct = await normal_parts(emu, request)
        # Same content, finish reason and token counts; only the service tier differs.
        assert got.parts[:-1] == direct[:-1]
        assert isinstance(got.parts[-1], Usage) and isinstance(direct[-1], Usage)
        assert replace(got.parts[-1], extra={}) == replace(direct[-1], extra={})
        assert got.parts[-1].extra["service_tier"] == "batch"
        assert isinstance(got.parts[-2], FinishReason)
        assert "".join(p for p in got.parts if isinstance(p, str)) == got.message["content"][0]["text"]
    failed = outcomes["broken"]
    assert isinstance(failed, BatchErrored) and isinstance(failed.error, BadRequestError)
    assert failed.error.error_type == "invalid_request_error"
    assert failed.error.message == "bogus: Extra inputs are not permitted"


async def test_params_come_from_the_normal_request_builder(emu: Emulator) -> None:
    request = {"model": "haiku", "messages": [{"role": "system", "content": "Sys"}, *ALICE],
               "temperature": 0.2, "tools": [{"type": "function", "function": {"name": "look", "parameters": {
                   "type": "object", "properties": {}}}}], "tool_choice": "auto", "extra_data": {"metadata": {
                   "user_id": "u1"}}}
    params = await Anthropic.batch_params(request, api_key=KEY, api_base=emu.api_base)
    records = []
    async for part in Anthropic.create_async_generator(**request, **conn(emu, max_retries=0)):
        if isinstance(part, RequestRecord):
            records.append(part)
    assert params == records[0].body  # byte for byte the body a normal non-streamed call sent
    assert params["model"] == Anthropic.get_model("haiku") != "haiku" and params["system"] == "Sys" and "stream" not in params


OK = {"model": EMULATOR_MODEL, "messages": ALICE}


@pytest.mark.parametrize(("requests", "param"), [
    ([("a b", OK)], "requests[0].custom_id"),
    ([("a", OK), ("a", OK)], "requests[1].custom_id"),
    ([("a", {**OK, "api_key": "sk-other"})], "requests[0].api_key"),
    ([("a", {**OK, "stream": True})], "requests[0].stream"),
    ([("a", OK), ("b", {**OK, "temperature": 7})], "requests[1].temperature"),
    ([("a", {**OK, "colour": "red"})], "requests[0].colour"),
    ([("a", {"messages": ALICE})], "requests[0].model"),
    ([("a", OK), ("b", {**OK, "messages": "hi"})], "requests[1].messages"),
    ([], "requests"),
])
async def test_bad_requests_are_refused_before_sending(requests: list, param: str) -> None:
    # Port 9 is closed: reaching the network would be an APIConnectionError, not this.
    with pytest.raises(ParameterError) as caught:
        await Anthropic.create_batch(requests, api_key=KEY, api_base="http://127.0.0.1:9/v1")
    assert caught.value.param == param
    assert KEY not in str(caught.value)


async def test_cancel_list_delete_and_expiry(emu: Emulator) -> None:
    slow = conn(emu, headers={"x-emulator-batch-delay-ms": "1000"})
    batch = await Anthropic.create_batch({f"r{i}": {"model": EMULATOR_MODEL, "messages": ALICE} for i in range(3)},
                                         **slow)
    canceling = await Anthropic.cancel_batch(batch.id, **conn(emu))
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at
    with pytest.raises(BadRequestError, match="cancel it first"):
        await Anthropic.delete_batch(batch.id, **conn(emu))
    done = await ended(emu, batch.id)
    assert done.request_counts == RequestCounts(succeeded=1, canceled=2)
    kinds = sorted([type(o).__name__ async for o in Anthropic.batch_results(batch.id, **conn(emu))])
    assert kinds == ["BatchCanceled", "BatchCanceled", "BatchSucceeded"]

    other = await Anthropic.create_batch([("x", {"model": EMULATOR_MODEL, "messages": ALICE})], **conn(emu))
    assert [b.id async for b in Anthropic.list_batches(limit=1, **conn(emu))] == [other.id, batch.id]
    assert await Anthropic.delete_batch(batch.id, **conn(emu)) == batch.id
    with pytest.raises(NotFoundError):
        await Anthropic.get_batch(batch.id, **conn(emu))

    emu.settings.batches.expiry_s = 0
    late = await Anthropic.create_batch([("y", {"model": EMULATOR_MODEL, "messages": ALICE})], **conn(emu))
    await ended(emu, late.id)
    assert [o async for o in Anthropic.batch_results(late.id, **conn(emu))] == [BatchExpired("y")]
    assert BatchCanceled("z") != BatchExpired("z")


async def test_guard_key_and_keyword_checks(emu: Emulator) -> None:
    with pytest.raises(BlockedAddressError):
        await Anthropic.get_batch("msgbatch_x", **conn(emu, allow_private_hosts=False))
    with pytest.raises(ParameterError, match="batch_id"):
        await Anthropic.get_batch("", **conn(emu))
    with pytest.raises(ParameterError, match="colour: is not a keyword of this call"):
        await Anthropic.get_batch("msgbatch_x", colour="red", **conn(emu))
    async with Emulator(api_key="sk-the-right-one") as strict:
        with pytest.raises(AuthenticationError) as caught:
            [b async for b in Anthropic.list_batches(api_key=KEY, api_base=strict.api_base)]
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    shown = repr(Connection(Anthropic, None, emu.api_base, KEY))
    assert KEY not in shown and emu.api_base in shown


def test_results_are_fetched_only_from_the_configured_backend() -> None:
    here = Connection(Anthropic, None, "http://127.0.0.1:8765/v1", KEY)
    info = BatchInfo("msgbatch_1", "ended", RequestCounts(), "", "",
                     results_url="http://127.0.0.1:8765/v1/messages/batches/msgbatch_1/results")
    assert _results_url(here, info) == info.results_url
    elsewhere = replace(info, results_url="https://api.anthropic.com/v1/messages/batches/msgbatch_1/results")
    assert _results_url(here, elsewhere) == "http://127.0.0.1:8765/v1/messages/batches/msgbatch_1/results"


async def test_files_round_trip_and_a_message_that_uses_one(emu: Emulator, tmp_path: Any) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("The Hatter poured tea for the March Hare.")
    info = await Anthropic.upload_file(notes, **conn(emu))
    assert (info.filename, info.mime_type, info.size_bytes) == ("notes.txt", "text/plain", notes.stat().st_size)
    blob = await Anthropic.upload_file(b"\x00\x01", filename="blob.bin", expires_in_seconds=3600,
                                       headers={"x-emulator-downloadable": "1"}, **conn(emu))
    assert blob.downloadable and blob.expires_at
    assert [f.id async for f in Anthropic.list_files(limit=1, **conn(emu))] == [blob.id, info.id]
    assert [f.id async for f in Anthropic.list_files(ids=[info.id, "file_gone"], **conn(emu))] == [info.id]
    assert await Anthropic.get_file(info.id, **conn(emu)) == info
    assert await Anthropic.download_file(blob.id, **conn(emu)) == b"\x00\x01"
    with pytest.raises(BadRequestError, match="not downloadable"):
        await Anthropic.download_file(info.id, **conn(emu))

    by_file = [{"role": "user", "content": [{"type": "document", "source": {"type": "file", "file_id": info.id}},
                                            {"type": "text", "text": "Who poured?"}]}]
    inline = [{"role": "user", "content": [{"type": "document", "source": {
        "type": "text", "media_type": "text/plain", "data": notes.read_text()}}, {"type": "text", "text": "Who poured?"}]}]
    usage_file = [p for p in await normal_parts(emu, {"model": EMULATOR_MODEL, "messages": by_file}) if isinstance(p, Usage)]
    usage_inline = [p for p in await normal_parts(emu, {"model": EMULATOR_MODEL, "messages": inline})
                    if isinstance(p, Usage)]
    assert usage_file[0].input_tokens == usage_inline[0].input_tokens > 0

    assert await Anthropic.delete_file(info.id, **conn(emu)) == info.id
    with pytest.raises(NotFoundError):
        await Anthropic.get_file(info.id, **conn(emu))
    with pytest.raises(ParameterError, match="expires_in_seconds"):
        await Anthropic.upload_file(b"x", expires_in_seconds=60, **conn(emu))
    with pytest.raises(ParameterError, match="cannot read"):
        await Anthropic.upload_file(tmp_path / "missing.txt", **conn(emu))

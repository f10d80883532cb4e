"""The emulator driven by the official ``anthropic`` SDK over real HTTP (SDK 2.x: Bearer auth,
``anthropic-version: 2026-10-21``; sampling knobs through ``extra_body`` under ``2023-06-01``)."""

from __future__ import annotations

import base64
import io

import anthropic
import pytest
from PIL import Image
from samples import blank_pdf as pdf

from playground.catalog import EMULATOR_MODEL, MODELS
from playground.emulator import Emulator
from playground.emulator.tokenizer import count

pytestmark = pytest.mark.timeout(60)

HELLO = [{"role": "user", "content": "Tell me about the White Rabbit"}]
# anthropic-version 2026-10-21 (SDK 2.x's) removed temperature/top_p/top_k: tests of the knobs use the older one.
SAMPLING_VERSION = {"anthropic-version": "2023-06-01"}
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {"type": "object", "properties": {"location": {"type": "string"}, "days": {"type": "integer"}},
                     "required": ["location"]},
}


def png(width: int, height: int, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_create_returns_a_message_with_consistent_usage(client: anthropic.AsyncAnthropic) -> None:
    msg = await client.messages.create(model=EMULATOR_MODEL, max_tokens=200, messages=HELLO)
    assert msg.type == "message" and msg.role == "assistant" and msg.model == EMULATOR_MODEL
    assert msg.id.startswith("msg_")
    assert msg.stop_reason == "end_turn" and msg.stop_sequence is None
    text = msg.content[0].text
    assert text.startswith("Rabbit")  # continues the prompt's topic
    assert msg.usage.output_tokens == count(text)
    counted = await client.messages.count_tokens(model=EMULATOR_MODEL, messages=HELLO)
    assert counted.input_tokens == msg.usage.input_tokens > 0


async def test_stream_text_and_final_message(client: anthropic.AsyncAnthropic) -> None:
    async with client.messages.stream(model=EMULATOR_MODEL, max_tokens=30, messages=HELLO,
                                      extra_headers={"x-emulator-no-eos": "1"}) as stream:
        pieces = [piece async for piece in stream.text_stream]
        final = await stream.get_final_message()
    assert len(pieces) == 30
    assert "".join(pieces) == final.content[0].text
    assert final.stop_reason == "max_tokens" and final.usage.output_tokens == 30


async def test_max_tokens_is_exact_by_the_emulator_tokenizer(client: anthropic.AsyncAnthropic) -> None:
    for limit in (1, 7, 64):
        msg = await client.messages.create(model=EMULATOR_MODEL, max_tokens=limit, messages=HELLO,
                                           extra_headers={"x-emulator-no-eos": "1"})
        assert msg.stop_reason == "max_tokens"
        assert msg.usage.output_tokens == limit == count(msg.content[0].text)


async def test_stop_sequence_cuts_before_the_match(client: anthropic.AsyncAnthropic) -> None:
    msg = await client.messages.create(model=EMULATOR_MODEL, max_tokens=300, messages=HELLO,
                                       stop_sequences=[" the", "zzz"], extra_headers={"x-emulator-no-eos": "1"})
    assert msg.stop_reason == "stop_sequence" and msg.stop_sequence == " the"
    assert " the" not in msg.content[0].text
    async with client.messages.stream(model=EMULATOR_MODEL, max_tokens=300, messages=HELLO,
                                      stop_sequences=[" the"], extra_headers={"x-emulator-no-eos": "1"}) as stream:
        streamed = "".join([p async for p in stream.text_stream])
        final = await stream.get_final_message()
    assert " the" not in streamed and final.stop_sequence == " the"


async def test_sampling_knobs_through_extra_body(client: anthropic.AsyncAnthropic) -> None:
    async def texts(n: int, **body: object) -> set[str]:
        out = set()
        for seed in range(n):  # seeded, so the test is deterministic
            msg = await client.messages.create(model=EMULATOR_MODEL, max_tokens=6, messages=HELLO, extra_body=body,
                                               extra_headers={"x-emulator-seed": str(seed), **SAMPLING_VERSION})
            out.add(msg.content[0].text)
        return out

    greedy = await texts(5, temperature=0.0)
    assert len(greedy) == 1
    assert await texts(5, temperature=1.0, top_k=1) == greedy
    assert len(await texts(20, temperature=1.0)) > len(await texts(20, temperature=0.2)) >= 1


async def test_seed_header_makes_runs_reproducible(client: anthropic.AsyncAnthropic) -> None:
    async def run(seed: str) -> str:
        msg = await client.messages.create(model=EMULATOR_MODEL, max_tokens=40, messages=HELLO,
                                           extra_headers={"x-emulator-seed": seed})
        return msg.content[0].text

    assert await run("42") == await run("42")
    assert len({await run(str(s)) for s in range(5)}) > 1


async def test_server_seed_makes_stream_equal_create() -> None:
    async with Emulator(seed=7) as emu, anthropic.AsyncAnthropic(base_url=emu.base_url, api_key="k") as c:
        created = await c.messages.create(model=EMULATOR_MODEL, max_tokens=50, messages=HELLO)
        async with c.messages.stream(model=EMULATOR_MODEL, max_tokens=50, messages=HELLO) as stream:
            streamed = await stream.get_final_message()
    assert created.content[0].text == streamed.content[0].text


async def test_thinking_block_comes_first_and_round_trips(client: anthropic.AsyncAnthropic) -> None:
    kwargs = {"model": EMULATOR_MODEL, "max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024}}
    async with client.messages.stream(messages=HELLO, **kwargs) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    thinking = final.content[0]
    assert thinking.thinking and thinking.signature
    assert "thinking" in kinds and "signature" in kinds
    history = [*HELLO, {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in final.content]},
               {"role": "user", "content": "And then?"}]
    again = await client.messages.create(messages=history, **kwargs)
    assert again.content[0].type == "thinking"
    tampered = [dict(b) for b in history[1]["content"]]
    tampered[0] = {**tampered[0], "thinking": tampered[0]["thinking"] + " (edited)"}
    with pytest.raises(anthropic.BadRequestError, match="signature"):
        await client.messages.create(messages=[*HELLO, {"role": "assistant", "content": tampered},
                                               {"role": "user", "content": "And then?"}], **kwargs)


async def test_tool_use_round_trip(client: anthropic.AsyncAnthropic) -> None:
    ask = [{"role": "user", "content": "What is the weather in Paris? Use get_weather."}]
    async with client.messages.stream(model=EMULATOR_MODEL, max_tokens=300, tools=[WEATHER_TOOL],
                                      messages=ask) as stream:
        json_pieces = [e.partial_json async for e in stream if e.type == "input_json"]
        first = await stream.get_final_message()
    assert first.stop_reason == "tool_use"
    call = first.content[-1]
    assert call.type == "tool_use" and call.name == "get_weather" and call.id.startswith("toolu_")
    assert call.input == {"location": "Paris"}
    assert len(json_pieces) > 1
    history = [*ask, {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id,
                                             "content": "18 degrees and sunny"}]}]
    answer = await client.messages.create(model=EMULATOR_MODEL, max_tokens=300, tools=[WEATHER_TOOL],
                                          messages=history)
    assert answer.stop_reason == "end_turn"
    assert answer.content[0].text.startswith("The get_weather tool returned: 18 degrees and sunny.")
    with pytest.raises(anthropic.BadRequestError, match="tool_use` ids were found without `tool_result"):
        await client.messages.create(model=EMULATOR_MODEL, max_tokens=50, tools=[WEATHER_TOOL],
                                     messages=[*history[:2], {"role": "user", "content": "never mind"}])


async def test_tool_choice_variants(client: anthropic.AsyncAnthropic) -> None:
    other = {"name": "get_time", "input_schema": {"type": "object", "properties": {}}}
    plain = [{"role": "user", "content": "Hello there"}]
    auto = await client.messages.create(model=EMULATOR_MODEL, max_tokens=50, tools=[WEATHER_TOOL, other],
                                        messages=plain)
    assert auto.stop_reason != "tool_use"
    forced = await client.messages.create(model=EMULATOR_MODEL, max_tokens=50, tools=[WEATHER_TOOL, other],
                                          messages=plain, tool_choice={"type": "any"})
    assert forced.content[-1].name == "get_weather"
    named = await client.messages.create(model=EMULATOR_MODEL, max_tokens=50, tools=[WEATHER_TOOL, other],
                                         messages=plain, tool_choice={"type": "tool", "name": "get_time"})
    assert named.content[-1].name == "get_time" and named.content[-1].input == {}
    never = await client.messages.create(model=EMULATOR_MODEL, max_tokens=50, tools=[WEATHER_TOOL],
                                         messages=[{"role": "user", "content": "use get_weather"}],
                                         tool_choice={"type": "none"})
    assert never.stop_reason != "tool_use"


async def test_image_and_pdf_input_are_acknowledged_and_counted(client: anthropic.AsyncAnthropic) -> None:
    image = png(150, 100)
    doc = pdf(2)
    content = [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(image)}},
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": b64(doc)}},
        {"type": "text", "text": "What are these?"},
    ]
    msg = await client.messages.create(model=EMULATOR_MODEL, max_tokens=200, messages=[{"role": "user",
                                                                                        "content": content}])
    text = msg.content[0].text
    assert f"a PNG image (150x100 px, {len(image)} bytes)" in text
    assert f"a PDF document (2 pages, {len(doc)} bytes)" in text
    text_only = await client.messages.count_tokens(model=EMULATOR_MODEL,
                                                   messages=[{"role": "user", "content": content[2:]}])
    assert msg.usage.input_tokens == text_only.input_tokens + 20 + 2 * 1500  # ceil(150*100/750) = 20


@pytest.mark.parametrize(("media_type", "data", "message"), [
    ("image/jpeg", png(4, 4), "appears to be image/png"),
    ("image/bmp", png(4, 4), "media_type: Input should be"),
    ("image/png", "not base64!", "invalid base64"),
])
async def test_bad_images_are_refused(client: anthropic.AsyncAnthropic, media_type: str, data: bytes | str,
                                      message: str) -> None:
    encoded = data if isinstance(data, str) else b64(data)
    content = [{"type": "image", "source": {"type": "base64", "media_type": media_type, "data": encoded}},
               {"type": "text", "text": "hi"}]
    with pytest.raises(anthropic.BadRequestError, match=message):
        await client.messages.create(model=EMULATOR_MODEL, max_tokens=10, messages=[{"role": "user",
                                                                                     "content": content}])


async def test_models_list_paginates(client: anthropic.AsyncAnthropic) -> None:
    first = await client.models.list(limit=3)
    assert [m.id for m in first.data][0] == EMULATOR_MODEL and len(first.data) == 3 and first.has_more
    everything = [m.id async for m in client.models.list(limit=4)]
    assert everything == [EMULATOR_MODEL, *(m.id for m in MODELS)]
    one = await client.models.retrieve("claude-sonnet-4-5-20250929")  # an alias resolves
    assert one.id == "claude-sonnet-4-5" and one.display_name == "Claude Sonnet 4.5"
    with pytest.raises(anthropic.NotFoundError):
        await client.models.retrieve("claude-nope")


@pytest.mark.parametrize(("fault", "error"), [
    ("rate_limit", anthropic.RateLimitError),
    ("overloaded", anthropic.InternalServerError),  # 529: the SDK's OverloadedError subclass when present
    ("server_error", anthropic.InternalServerError),
])
async def test_status_faults_map_to_sdk_exceptions(client: anthropic.AsyncAnthropic, fault: str,
                                                   error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        await client.messages.create(model=EMULATOR_MODEL, max_tokens=10, messages=HELLO,
                                     extra_headers={"x-emulator-fault": fault})
    assert info.value.request_id and info.value.request_id.startswith("req_")
    if fault == "rate_limit":
        assert info.value.response.headers["retry-after"] == "1"
    if fault == "overloaded":
        assert info.value.status_code == 529 and info.value.body["error"]["type"] == "overloaded_error"


async def test_fail_once_is_retried_by_the_sdk(emu: Emulator) -> None:
    async with anthropic.AsyncAnthropic(base_url=emu.base_url, api_key="k", max_retries=2) as c:
        raw = await c.messages.with_raw_response.create(model=EMULATOR_MODEL, max_tokens=10, messages=HELLO,
                                                        extra_headers={"x-emulator-fault": "fail_once_overloaded"})
    assert raw.retries_taken == 1
    assert (await raw.parse()).stop_reason in ("end_turn", "max_tokens")


async def test_mid_stream_error_raises_from_the_iterator(client: anthropic.AsyncAnthropic) -> None:
    got: list[str] = []
    with pytest.raises(anthropic.APIStatusError, match="Overloaded"):
        async with client.messages.stream(model=EMULATOR_MODEL, max_tokens=50, messages=HELLO,
                                          extra_headers={"x-emulator-fault": "mid_stream_error",
                                                         "x-emulator-no-eos": "1"}) as stream:
            async for piece in stream.text_stream:
                got.append(piece)
    assert len(got) == 3


async def test_disconnect_cuts_the_stream(client: anthropic.AsyncAnthropic) -> None:
    # Mid-body, the SDK surfaces the transport's own error (not retried, like the real API).
    with pytest.raises(Exception, match="incomplete chunked read"):
        async with client.messages.stream(model=EMULATOR_MODEL, max_tokens=50, messages=HELLO,
                                          extra_headers={"x-emulator-fault": "disconnect"}) as stream:
            async for _ in stream.text_stream:
                pass


async def test_truncate_still_gives_a_final_message(client: anthropic.AsyncAnthropic) -> None:
    async with client.messages.stream(model=EMULATOR_MODEL, max_tokens=10, messages=HELLO,
                                      extra_headers={"x-emulator-fault": "truncate",
                                                     "x-emulator-no-eos": "1"}) as stream:
        events = [e.type async for e in stream]
        final = await stream.get_final_message()
    assert "message_stop" not in events and final.stop_reason == "max_tokens"


async def test_auth_errors() -> None:
    async with Emulator(api_key="sk-right") as emu:
        async with anthropic.AsyncAnthropic(base_url=emu.base_url, api_key="sk-wrong", max_retries=0) as c:
            with pytest.raises(anthropic.AuthenticationError, match="invalid x-api-key"):
                await c.messages.create(model=EMULATOR_MODEL, max_tokens=10, messages=HELLO)
        async with anthropic.AsyncAnthropic(base_url=emu.base_url, api_key="sk-right") as c:
            assert (await c.messages.create(model=EMULATOR_MODEL, max_tokens=5, messages=HELLO)).content


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"model": "claude-unknown-9"}, anthropic.NotFoundError, "model: claude-unknown-9"),
    ({"extra_body": {"temperature": 1.5}}, anthropic.BadRequestError, "temperature: Input should be less than"),
    ({"extra_body": {"top_p": -0.1}}, anthropic.BadRequestError, "top_p: Input should be greater than"),
    ({"extra_body": {"top_k": -1}}, anthropic.BadRequestError, "top_k: Input should be greater than"),
    ({"stop_sequences": ["  "]}, anthropic.BadRequestError, "stop_sequences"),
    ({"messages": [{"role": "assistant", "content": "hi"}]}, anthropic.BadRequestError, "first message"),
    ({"messages": []}, anthropic.BadRequestError, "at least one message"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": " "}]}]}, anthropic.BadRequestError,
     "non-whitespace"),
    ({"extra_body": {"frobnicate": 1}}, anthropic.BadRequestError, "frobnicate: Extra inputs are not permitted"),
    ({"thinking": {"type": "enabled", "budget_tokens": 500}, "max_tokens": 2000}, anthropic.BadRequestError,
     "greater than or equal to 1024"),
    ({"thinking": {"type": "enabled", "budget_tokens": 2000}, "max_tokens": 2000}, anthropic.BadRequestError,
     "must be greater than `thinking.budget_tokens`"),
])
async def test_validation_errors(client: anthropic.AsyncAnthropic, kwargs: dict, error: type[Exception],
                                 message: str) -> None:
    args = {"model": EMULATOR_MODEL, "max_tokens": 10, "messages": HELLO, "extra_headers": SAMPLING_VERSION, **kwargs}
    with pytest.raises(error, match=message):
        await client.messages.create(**args)


@pytest.mark.parametrize(("model", "body", "message"), [
    ("claude-sonnet-4-6", {"temperature": 0.5, "top_p": 0.9}, "temperature and top_p cannot both be specified"),
    ("claude-opus-4-7", {"temperature": 0.5}, "does not accept sampling parameters"),
    ("claude-sonnet-5", {"temperature": 0.5}, "default"),
    ("claude-sonnet-4-6", {"temperature": 0.5, "thinking": {"type": "adaptive"}},
     "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode"),
    ("claude-opus-4-7", {"thinking": {"type": "enabled", "budget_tokens": 2048}}, "Use {\"type\": \"adaptive\"}"),
    ("claude-fable-5", {"thinking": {"type": "disabled"}}, "always thinks"),
])
async def test_real_models_enforce_their_documented_rules(client: anthropic.AsyncAnthropic, model: str, body: dict,
                                                          message: str) -> None:
    with pytest.raises(anthropic.BadRequestError, match=message):
        await client.messages.create(model=model, max_tokens=4096, messages=HELLO, extra_body=body,
                                     extra_headers=SAMPLING_VERSION)


async def test_real_model_ids_answer_when_the_rules_are_kept(client: anthropic.AsyncAnthropic) -> None:
    msg = await client.messages.create(model="claude-sonnet-4-6", max_tokens=20, messages=HELLO,
                                       extra_body={"temperature": 0.3}, extra_headers=SAMPLING_VERSION)
    assert msg.model == "claude-sonnet-4-6" and msg.content[0].text
    msg = await client.messages.create(model="claude-opus-4-7", max_tokens=2048, messages=HELLO,
                                       thinking={"type": "adaptive"})
    assert msg.content[0].type == "thinking"


async def test_slow_fault_times_the_sdk_out(emu: Emulator) -> None:
    async with anthropic.AsyncAnthropic(base_url=emu.base_url, api_key="k", max_retries=0, timeout=0.3) as c:
        with pytest.raises(anthropic.APITimeoutError):
            await c.messages.create(model=EMULATOR_MODEL, max_tokens=5, messages=HELLO,
                                    extra_headers={"x-emulator-fault": "slow", "x-emulator-pause-ms": "2000"})


async def test_non_streaming_disconnect_is_a_connection_error(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.APIConnectionError):
        await client.messages.create(model=EMULATOR_MODEL, max_tokens=5, messages=HELLO,
                                     extra_headers={"x-emulator-fault": "disconnect"})

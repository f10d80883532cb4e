"""``/v1/chat/completions`` driven by the official ``openai`` SDK."""

from __future__ import annotations

import base64
import io
import json

import openai
import pytest
from PIL import Image

from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator, start_in_thread
from playground.emulator.tokenizer import count

pytestmark = pytest.mark.timeout(60)

HELLO = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Tell me about the Duchess"}]
TOOL = {"type": "function", "function": {"name": "lookup", "description": "Look a word up",
                                          "parameters": {"type": "object", "properties": {"word": {"type": "string"}},
                                                         "required": ["word"]}}}


@pytest.fixture
async def client():
    async with Emulator() as emu, openai.AsyncOpenAI(base_url=emu.api_base, api_key="sk-test", max_retries=0) as c:
        yield c


async def test_create(client: openai.AsyncOpenAI) -> None:
    done = await client.chat.completions.create(model=EMULATOR_MODEL, messages=HELLO, max_tokens=300)
    choice = done.choices[0]
    assert done.object == "chat.completion" and choice.finish_reason == "stop"
    assert choice.message.role == "assistant" and choice.message.content.startswith("Duchess")
    assert done.usage.completion_tokens == count(choice.message.content)
    assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens


async def test_stream_with_usage_and_done(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(model=EMULATOR_MODEL, messages=HELLO, max_tokens=12, stream=True,
                                                  stream_options={"include_usage": True},
                                                  extra_headers={"x-emulator-no-eos": "1"})
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["length"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 12 == count(text)


async def test_tool_call_round_trip(client: openai.AsyncOpenAI) -> None:
    ask = [{"role": "user", "content": "Please lookup Cheshire for me"}]
    stream = await client.chat.completions.create(model=EMULATOR_MODEL, messages=ask, tools=[TOOL], stream=True)
    args, call_id = "", None
    async for chunk in stream:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            call_id = call.id or call_id
            args += call.function.arguments or ""
    assert json.loads(args) == {"word": "Cheshire"}
    done = await client.chat.completions.create(model=EMULATOR_MODEL, messages=ask, tools=[TOOL])
    call = done.choices[0].message.tool_calls[0]
    assert done.choices[0].finish_reason == "tool_calls" and call.function.name == "lookup"
    history = [*ask, {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
               {"role": "tool", "tool_call_id": call.id, "content": "a grinning cat"}]
    answer = await client.chat.completions.create(model=EMULATOR_MODEL, messages=history, tools=[TOOL])
    assert answer.choices[0].message.content.startswith("The lookup tool returned: a grinning cat.")


async def test_image_data_url(client: openai.AsyncOpenAI) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (30, 20)).save(buf, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    done = await client.chat.completions.create(model=EMULATOR_MODEL, max_tokens=100, messages=[
        {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                     {"type": "image_url", "image_url": {"url": url}}]}])
    assert "a PNG image (30x20 px" in done.choices[0].message.content


async def test_seed_and_temperature(client: openai.AsyncOpenAI) -> None:
    async def text(**kw: object) -> str:
        done = await client.chat.completions.create(model=EMULATOR_MODEL, messages=HELLO, max_tokens=15, **kw)
        return done.choices[0].message.content

    assert await text(seed=5) == await text(seed=5)
    assert len({await text(temperature=0) for _ in range(4)}) == 1
    assert len({await text(temperature=2.0, seed=i) for i in range(6)}) > 1


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"model": "nope"}, openai.NotFoundError),
    ({"temperature": 3}, openai.BadRequestError),
    ({"extra_headers": {"x-emulator-fault": "rate_limit"}}, openai.RateLimitError),
    ({"extra_headers": {"x-emulator-fault": "overloaded"}}, openai.InternalServerError),
    ({"extra_headers": {"x-emulator-fault": "server_error"}}, openai.InternalServerError),
])
async def test_errors_map_to_openai_exceptions(client: openai.AsyncOpenAI, kwargs: dict,
                                               error: type[Exception]) -> None:
    args = {"model": EMULATOR_MODEL, "messages": HELLO, "max_tokens": 5, **kwargs}
    with pytest.raises(error) as info:
        await client.chat.completions.create(**args)
    assert info.value.body["message"]


async def test_mid_stream_error_chunk_raises(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(model=EMULATOR_MODEL, messages=HELLO, max_tokens=50, stream=True,
                                                  extra_headers={"x-emulator-fault": "mid_stream_error",
                                                                 "x-emulator-no-eos": "1"})
    with pytest.raises(openai.APIError, match="Overloaded"):
        async for _ in stream:
            pass


def test_sync_client_auth_and_models() -> None:
    with start_in_thread(api_key="sk-right") as handle:
        wrong = openai.OpenAI(base_url=handle.api_base, api_key="sk-wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.chat.completions.create(model=EMULATOR_MODEL, messages=HELLO, max_tokens=5)
        right = openai.OpenAI(base_url=handle.api_base, api_key="sk-right", max_retries=0)
        ids = [m.id for m in right.models.list()]
        assert ids[0] == EMULATOR_MODEL and "claude-opus-4-7" in ids
        assert right.chat.completions.create(model=EMULATOR_MODEL, messages=HELLO, max_tokens=5).choices
        wrong.close()
        right.close()

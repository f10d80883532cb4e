"""Reply planning (pure): budgets, stop sequences, thinking, tools, media limits, signatures."""

from __future__ import annotations

import base64
import io
import json
import random

import pytest
from PIL import Image

from playground.emulator import thinking
from playground.emulator.apierror import ApiError
from playground.emulator.compose import compose, count_output, tool_input
from playground.emulator.request import parse_messages
from playground.emulator.sampler import default_model
from playground.emulator.tokenizer import count

USER = [{"role": "user", "content": "Tell me about the Hatter and the March Hare"}]


def plan(seed: int = 0, endless: bool = True, **body):
    req = parse_messages({"model": "playground-tiny", "max_tokens": 50, "messages": USER, **body})
    return compose(req, default_model(), random.Random(seed), endless=endless)


def test_thinking_and_text_share_max_tokens() -> None:
    reply = plan(max_tokens=1100, thinking={"type": "enabled", "budget_tokens": 1024})
    assert [b.type for b in reply.blocks] == ["thinking", "text"]
    assert reply.output_tokens == 1100 == count_output(reply)
    assert reply.thinking_tokens == count(reply.blocks[0].text) > 0
    assert thinking.verify(reply.blocks[0].text, reply.blocks[0].signature)


def test_adaptive_thinking_grows_with_effort() -> None:
    sizes = [plan(max_tokens=4000, endless=False, thinking={"type": "adaptive"},
                  output_config={"effort": effort}).thinking_tokens for effort in ("low", "max")]
    assert sizes[0] < sizes[1]


def test_omitted_thinking_is_signed_but_empty() -> None:
    reply = plan(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024, "display": "omitted"})
    block = reply.blocks[0]
    assert block.text == "" and thinking.verify("", block.signature) and reply.thinking_tokens > 0


def test_stop_sequence_spanning_tokens_is_cut_exactly() -> None:
    free = plan(seed=3, max_tokens=60).blocks[0].text
    target = free[20:31]  # crosses token boundaries
    reply = plan(seed=3, max_tokens=60, stop_sequences=["@@never@@", target])
    assert reply.stop_reason == "stop_sequence" and reply.stop_sequence == target
    assert reply.blocks[0].text == free[: free.index(target)]


def test_tool_input_is_cut_by_max_tokens() -> None:
    tool = {"name": "search", "input_schema": {"type": "object", "properties": {"query": {"type": "string"},
                                                                              "limit": {"type": "integer"}}}}
    full = plan(max_tokens=100, tools=[tool], messages=[{"role": "user", "content": "search for Wonderland 5"}])
    assert full.stop_reason == "tool_use"
    call = full.blocks[-1]
    assert json.loads(call.text) == call.tool_input == {"query": "Wonderland", "limit": 5}
    assert call.pieces[0] == "" and all(len(p) <= 8 for p in call.pieces)
    short = plan(max_tokens=9, tools=[tool], messages=[{"role": "user", "content": "search for Wonderland 5"}])
    assert short.stop_reason == "max_tokens" and short.output_tokens == 9
    assert short.blocks[-1].to_json()["input"] == {}  # unparseable partial JSON


def test_tool_input_from_schema() -> None:
    schema = {"type": "object", "properties": {
        "city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer"}, "precise": {"type": "boolean"}, "tags": {"type": "array"}},
        "required": ["city", "unit", "days", "precise", "tags"]}
    args = tool_input({"name": "weather", "input_schema": schema}, "What is the weather in Lisbon for 3 days?")
    assert args == {"city": "Lisbon", "unit": "celsius", "days": 3, "precise": True, "tags": []}


def test_max_tokens_zero_gives_an_empty_reply() -> None:
    reply = plan(max_tokens=0)
    assert reply.blocks == [] and reply.stop_reason == "max_tokens" and reply.output_tokens == 0


def png_b64(side: int) -> str:
    buf = io.BytesIO()
    Image.new("L", (side, 10)).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_many_images_lower_the_size_limit() -> None:
    def images(n: int, side: int) -> list[dict]:
        return [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png_b64(side)}}
                for _ in range(n)] + [{"type": "text", "text": "hi"}]

    parse_messages({"model": "playground-tiny", "max_tokens": 5,
                    "messages": [{"role": "user", "content": images(2, 2500)}]})
    with pytest.raises(ApiError, match="many-image requests: 2000 pixels"):
        parse_messages({"model": "playground-tiny", "max_tokens": 5,
                        "messages": [{"role": "user", "content": images(21, 2500)}]})


def test_signatures_are_bound_to_the_text() -> None:
    sig = thinking.sign("abc")
    assert thinking.verify("abc", sig) and not thinking.verify("abd", sig) and not thinking.verify("abc", None)


def test_pdf_page_count_without_pypdf(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import pypdf

    from playground.media import pdf_pages

    writer = pypdf.PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=10, height=10)
    buf = io.BytesIO()
    writer.write(buf)
    assert pdf_pages(buf.getvalue()) == 3
    monkeypatch.setitem(sys.modules, "pypdf", None)  # the byte-scan fallback
    assert pdf_pages(buf.getvalue()) == 3

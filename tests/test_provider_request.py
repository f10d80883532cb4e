"""Pure request building: message conversion, merging, media placement, tools, extras."""

from __future__ import annotations

import copy

import pytest

from playground.errors import ParameterError
from playground.providers.anthropic_request import attach_media, build_body, convert_messages, convert_tools, merge_into


def test_string_content_stays_a_string_and_system_roles_are_collected() -> None:
    system, messages = convert_messages([{"role": "system", "content": "A"}, {"role": "developer", "content": [
        {"type": "text", "text": "B"}]}, {"role": "user", "content": "Hi"}])
    assert system == ["A", "B"] and messages == [{"role": "user", "content": "Hi"}]


def test_consecutive_same_role_turns_merge_and_empty_turns_drop() -> None:
    _, messages = convert_messages([
        {"role": "user", "content": "one"}, {"role": "user", "content": "  "}, {"role": "user", "content": [
            {"type": "text", "text": "two"}, {"type": "text", "text": ""}]},
        {"role": "assistant", "content": ""}, {"role": "assistant", "content": "ok"},
    ])
    assert messages == [{"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
                        {"role": "assistant", "content": "ok"}]


def test_openai_image_parts() -> None:
    _, messages = convert_messages([{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "image_url", "image_url": "https://example.com/cat.jpg"},
        {"type": "text", "text": "What?"}]}])
    assert messages[0]["content"][:2] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}]


def test_native_blocks_pass_through_untouched() -> None:
    blocks = [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}},
              {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}}]
    original = copy.deepcopy(blocks)
    _, messages = convert_messages([{"role": "user", "content": blocks}])
    assert messages[0]["content"] == original and blocks == original


@pytest.mark.parametrize("messages, fragment", [
    ("hello", "list of"), ([{"role": "robot", "content": "x"}], "unknown role 'robot'"),
    ([{"role": "user", "content": 5}], "content must be a string or a list"),
    ([{"role": "user", "content": [{"no": "type"}]}], "each content part must be a dict with a 'type'"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}], "data: URI or an http(s)"),
    ([{"role": "assistant", "content": "", "tool_calls": [{"id": "1", "function": {"name": "f", "arguments": "{"}}]}],
     "not valid JSON"),
    (["just a string"], "expected a dict"),
])
def test_bad_messages_say_where(messages: object, fragment: str) -> None:
    with pytest.raises(ParameterError, match="messages") as info:
        convert_messages(messages)  # type: ignore[arg-type]
    assert fragment in str(info.value)


def test_media_goes_to_the_last_user_turn_after_tool_results() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA"}}
    messages = [{"role": "user", "content": "first"}, {"role": "assistant", "content": "ok"},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "r"},
                                             {"type": "text", "text": "now"}]}]
    out = attach_media(messages, [image])
    assert [b["type"] for b in out[2]["content"]] == ["tool_result", "image", "text"]
    assert out[0] is messages[0] and len(messages[2]["content"]) == 2  # nothing mutated
    assert attach_media([{"role": "assistant", "content": "x"}], [image])[-1] == {"role": "user", "content": [image]}


def test_tools_and_extra_data() -> None:
    assert convert_tools([{"type": "function", "function": {"name": "f", "description": "d", "parameters": {
        "type": "object", "properties": {}}}}]) == [
        {"name": "f", "input_schema": {"type": "object", "properties": {}}, "description": "d"}]
    with pytest.raises(ParameterError, match="tools.0"):
        convert_tools([{"description": "nameless"}])
    extra = {"output_config": {"format": {"type": "json_schema"}}, "temperature": 0.1}
    body = merge_into({"output_config": {"effort": "low"}, "temperature": 1}, extra)
    assert body == {"output_config": {"effort": "low", "format": {"type": "json_schema"}}, "temperature": 0.1}
    assert extra == {"output_config": {"format": {"type": "json_schema"}}, "temperature": 0.1}


def test_system_as_blocks_and_nothing_to_send() -> None:
    body = build_body("m", [{"role": "system", "content": "extra"}, {"role": "user", "content": "hi"}],
                      system=[{"type": "text", "text": "main", "cache_control": {"type": "ephemeral"}}])
    assert body["system"] == [{"type": "text", "text": "main", "cache_control": {"type": "ephemeral"}},
                              {"type": "text", "text": "extra"}]
    with pytest.raises(ParameterError, match="no message with content"):
        build_body("m", [{"role": "user", "content": " "}])

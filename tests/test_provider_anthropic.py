"""The Anthropic provider's public surface, request building, non-streamed replies, errors,
retries, model listing, token counting and the private-address guard — over real HTTP."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
from replay import ReplayServer, fixture_stream

from playground import catalog
from playground.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BlockedAddressError,
    InternalServerError,
    MissingAuthError,
    NotFoundError,
    OverloadedError,
    ParameterError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
)
from playground.providers import Anthropic, OpenaiAPI
from playground.responses import HeadersResponse, Reasoning, RequestRecord, RetryNotice
from playground.transport.retry import RetryPolicy
from playground.turn import TurnAccumulator

KEY = "sk-ant-api03-secret-key-material-WXYZ"
MESSAGES = [{"role": "user", "content": "Hello"}]


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff in milliseconds so retry tests stay fast (the policy itself is tested in test_retry)."""
    monkeypatch.setattr(Anthropic, "retry_policy", RetryPolicy(base_delay=0.001, max_delay=0.005))


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


async def collect(server: ReplayServer | None = None, model: str = "claude-sonnet-4-6",
                  messages: Any = MESSAGES, **kwargs: Any) -> list[Any]:
    if server is not None:
        kwargs.setdefault("api_base", server.api_base)
    kwargs.setdefault("api_key", KEY)
    return [p async for p in Anthropic.create_async_generator(model, messages, **kwargs)]


def message_json(**overrides: Any) -> dict[str, Any]:
    body = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
            "content": [{"type": "text", "text": "Hi!"}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 5, "output_tokens": 2}}
    return {**body, **overrides}


# -- public surface ----------------------------------------------------------------------------------
def test_class_attributes() -> None:
    assert issubclass(Anthropic, OpenaiAPI)
    assert Anthropic.working and Anthropic.needs_auth and Anthropic.supports_stream
    assert Anthropic.supports_system_message and Anthropic.supports_message_history
    assert Anthropic.api_base == "https://api.anthropic.com/v1"
    assert Anthropic.url.startswith("https://") and Anthropic.login_url.startswith("https://")
    assert Anthropic.default_model in Anthropic.models
    assert Anthropic.models == [m.id for m in catalog.MODELS]
    assert Anthropic.models_aliases["opus"] == "claude-opus-5-5"


def test_get_headers() -> None:
    assert Anthropic.get_headers(True, KEY, {"anthropic-beta": "x", "Accept": "custom"}) == {
        "Accept": "custom", "Content-Type": "application/json", "x-api-key": KEY,
        "anthropic-version": "2023-06-01", "anthropic-beta": "x"}
    assert Anthropic.get_headers(False)["Accept"] == "application/json"
    assert "x-api-key" not in Anthropic.get_headers(False)


def test_import_playground_does_not_import_gradio_or_aiohttp() -> None:
    import subprocess
    import sys

    code = "import sys, playground; print('gradio' in sys.modules, 'aiohttp' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root).stdout
    assert out.split() == ["False", "False"]


async def test_missing_key_raises_before_any_io(replay_server: ReplayServer, no_env: None) -> None:
    with pytest.raises(MissingAuthError, match="three ways") as info:
        await collect(replay_server, api_key=None)
    assert "ANTHROPIC_API_KEY" in str(info.value) and "api_key=" in str(info.value) and ".env" in str(info.value)
    assert replay_server.requests == []


async def test_env_key_and_base_url(replay_server: ReplayServer, no_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", replay_server.base_url)  # host root: /v1 is appended
    replay_server.json(message_json())
    parts = await collect(api_key=None)
    assert parts[0].url == replay_server.api_base + "/messages"
    assert replay_server.requests[0].headers["x-api-key"] == KEY


async def test_dotenv_file_supplies_the_key(replay_server: ReplayServer, no_env: None, tmp_path: Any) -> None:
    (tmp_path / ".env").write_text(f"ANTHROPIC_API_KEY={KEY}\n")
    replay_server.json(message_json())
    await collect(replay_server, api_key=None)
    assert replay_server.requests[0].headers["x-api-key"] == KEY


@pytest.mark.parametrize("given, sent", [("sonnet", "claude-sonnet-5-5"), ("", catalog.DEFAULT_MODEL),
                                         ("claude-haiku-4-5-20251001", "claude-haiku-4-5"),
                                         ("some-future-model", "some-future-model")])
async def test_model_aliases_resolve_before_sending(replay_server: ReplayServer, given: str, sent: str) -> None:
    replay_server.json(message_json())
    await collect(replay_server, model=given)
    assert replay_server.requests[0].json["model"] == sent


# -- what is sent ------------------------------------------------------------------------------------------
async def test_request_record_then_headers_and_key_redacted(replay_server: ReplayServer) -> None:
    replay_server.json(message_json(), headers={"request-id": "req_abc", "anthropic-ratelimit-requests-remaining": "49"})
    parts = await collect(replay_server, temperature=0.5)
    record, headers = parts[0], parts[1]
    assert isinstance(record, RequestRecord) and isinstance(headers, HeadersResponse)
    assert record.method == "POST" and record.url.endswith("/v1/messages")
    assert record.headers["x-api-key"] == "…WXYZ" and KEY not in repr(record)
    assert record.body_text == replay_server.requests[0].body.decode()  # exactly what went over the wire
    assert json.loads(record.body_text) == record.body
    assert headers.status == 200 and headers.request_id == "req_abc"
    assert headers.headers["anthropic-ratelimit-requests-remaining"] == "49"


async def test_request_record_comes_before_the_request(replay_server: ReplayServer) -> None:
    replay_server.json(message_json())
    parts = Anthropic.create_async_generator("sonnet", MESSAGES, api_key=KEY, api_base=replay_server.api_base)
    try:
        assert isinstance(await parts.__anext__(), RequestRecord)
        assert replay_server.requests == []  # nothing sent yet
        assert isinstance(await parts.__anext__(), HeadersResponse)
        assert len(replay_server.requests) == 1
    finally:
        await parts.aclose()


async def test_only_set_parameters_are_sent_and_extras_merge_last(replay_server: ReplayServer) -> None:
    replay_server.json(message_json())
    replay_server.json(message_json())
    await collect(replay_server)
    assert replay_server.requests[0].json == {"model": "claude-sonnet-4-6", "max_tokens": 4096, "messages": MESSAGES}
    await collect(replay_server, system="Be brief.", stop=["END"], thinking=2048,
                  effort="low", tools=[{"name": "f", "input_schema": {"type": "object"}}], tool_choice="auto", max_tokens=4096,
                  headers={"anthropic-beta": "interleaved-thinking-2025-05-14"},
                  extra_data={"metadata": {"user_id": "u1"}, "output_config": {"format": {"type": "json_schema"}}})
    sent = replay_server.requests[1]
    assert sent.json == {
        "model": "claude-sonnet-4-6", "max_tokens": 4096, "messages": MESSAGES, "system": "Be brief.",
        "stop_sequences": ["END"], "tools": [{"name": "f", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "auto"}, "thinking": {"type": "enabled", "budget_tokens": 2048},
        "output_config": {"effort": "low", "format": {"type": "json_schema"}}, "metadata": {"user_id": "u1"},
    }
    assert sent.headers["anthropic-beta"] == "interleaved-thinking-2025-05-14"


async def test_openai_style_history_is_converted_and_never_mutated(replay_server: ReplayServer) -> None:
    png = fixture_png()
    messages = [
        {"role": "system", "content": "Sys."},
        {"role": "user", "content": "What's the weather?"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Checking."}],
         "tool_calls": [{"id": "toolu_1", "type": "function", "function": {"name": "w", "arguments": '{"c": "P"}'}}]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"},
        {"role": "user", "content": [{"type": "text", "text": "Thanks"}]},
    ]
    media = [(png, "x.png")]
    before, media_before = copy.deepcopy(messages), list(media)
    replay_server.json(message_json())
    await collect(replay_server, messages=messages, media=media)
    assert messages == before and media == media_before
    sent = replay_server.requests[0].json
    assert sent["system"] == "Sys."
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "hmm", "signature": "sig"}, {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "w", "input": {"c": "P"}}]
    last = sent["messages"][2]["content"]
    assert [b["type"] for b in last] == ["tool_result", "image", "text"]  # results first, media before text
    assert last[1]["source"]["media_type"] == "image/png"


async def test_history_round_trip_with_accumulator(replay_server: ReplayServer) -> None:
    """An assistant turn with thinking goes back to the API unchanged."""
    replay_server.json(message_json(content=[
        {"type": "thinking", "thinking": "deep", "signature": "s1"}, {"type": "redacted_thinking", "data": "r=="},
        {"type": "text", "text": "Hi"}, {"type": "tool_use", "id": "t1", "name": "f", "input": {"x": 1}}]))
    replay_server.json(message_json())
    acc = TurnAccumulator()
    for part in await collect(replay_server):
        acc.add(part)
    history = [*MESSAGES, acc.to_message(), {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]}]
    await collect(replay_server, messages=history)
    assert replay_server.requests[1].json["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "deep", "signature": "s1"}, {"type": "redacted_thinking", "data": "r=="},
        {"type": "text", "text": "Hi"}, {"type": "tool_use", "id": "t1", "name": "f", "input": {"x": 1}}]


async def test_proxy_is_used(replay_server: ReplayServer) -> None:
    # api.invalid cannot resolve: the request only arrives because it went through the proxy.
    replay_server.json(message_json())
    parts = await collect(proxy=replay_server.base_url, api_base="http://api.invalid/v1")
    assert "Hi!" in parts
    assert replay_server.requests[0].headers["Host"] == "api.invalid"


async def test_non_stream_yields_the_same_kinds_of_parts(replay_server: ReplayServer) -> None:
    replay_server.json(message_json(content=[
        {"type": "thinking", "thinking": "t", "signature": "s"}, {"type": "text", "text": "Hi"},
        {"type": "tool_use", "id": "t1", "name": "f", "input": {}},
        {"type": "web_search_tool_result", "tool_use_id": "s1", "content": []}],
        stop_reason="tool_use", usage={"input_tokens": 7, "output_tokens": 3, "cache_read_input_tokens": 2}))
    parts = await collect(replay_server, stream=False)
    kinds = [type(p).__name__ for p in parts]
    assert kinds == ["RequestRecord", "HeadersResponse", "Reasoning", "Reasoning", "str", "ToolCalls",
                     "ContentBlock", "FinishReason", "Usage"]
    assert parts[3] == Reasoning(signature="s") and parts[5].calls[0].arguments == {}
    assert parts[-2].reason == "tool_calls" and parts[-1].prompt_tokens == 9
    assert "stream" not in replay_server.requests[0].json


async def test_stream_request_answered_with_json_still_works(replay_server: ReplayServer) -> None:
    replay_server.json(message_json())  # e.g. a proxy that ignores stream: true
    parts = await collect(replay_server, stream=True)
    assert "Hi!" in parts and replay_server.requests[0].json["stream"] is True


# -- parameters and media are refused before any request ----------------------------------------------------
@pytest.mark.parametrize("kwargs, param", [
    ({"temperature": 1.5}, "temperature"), ({"top_k": 0}, "top_k"), ({"max_tokens": 0}, "max_tokens"),
    ({"stop": ["  "]}, "stop"), ({"thinking": 5000, "max_tokens": 4096}, "thinking"),
    ({"thinking": 2048, "temperature": 0.5}, "temperature"), ({"temperature": 0.5, "top_p": 0.9}, "top_p"),
    ({"tool_choice": {"type": "tool"}}, "tool_choice"), ({"bogus": 1}, "bogus"), ({"max_retries": -1}, "max_retries"),
    ({"media": [(b"not an image", "a.png")]}, "media"), ({"api_base": "localhost:8765/v1"}, "api_base"),
    ({"timeout": "soon"}, "timeout"),
])
async def test_bad_parameters_refused_before_any_request(replay_server: ReplayServer, kwargs: dict, param: str) -> None:
    with pytest.raises(ParameterError) as info:
        await collect(replay_server, **kwargs)
    assert info.value.param == param
    assert replay_server.requests == []


async def test_model_rules_from_catalog(replay_server: ReplayServer) -> None:
    with pytest.raises(ParameterError, match="does not accept temperature"):
        await collect(replay_server, model="claude-opus-4-7", temperature=0.2)
    assert replay_server.requests == []


# -- errors -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status, error_type, cls", [
    (400, "invalid_request_error", BadRequestError), (401, "authentication_error", AuthenticationError),
    (403, "permission_error", PermissionDeniedError), (404, "not_found_error", NotFoundError),
    (413, "request_too_large", RequestTooLargeError), (429, "rate_limit_error", RateLimitError),
    (500, "api_error", InternalServerError), (529, "overloaded_error", OverloadedError),
    (402, "billing_error", APIStatusError), (504, "timeout_error", InternalServerError),
])
async def test_every_error_status(replay_server: ReplayServer, status: int, error_type: str, cls: type) -> None:
    replay_server.error(status, error_type, f"message for {status}", {"x-should-retry": "false", "retry-after": "7"})
    with pytest.raises(cls) as info:
        await collect(replay_server)
    error = info.value
    assert (error.status, error.error_type, error.request_id) == (status, error_type, f"req_{status}")
    assert str(error) == f"{status} {error_type}: message for {status} (request-id req_{status})"
    assert error.retry_after == 7.0
    assert len(replay_server.requests) == 1  # x-should-retry: false vetoes the retry


async def test_non_json_error_body(replay_server: ReplayServer) -> None:
    from replay import Reply

    replay_server.reply(Reply(413, {}, b"<html>Request Entity Too Large</html>", content_type="text/html"))
    with pytest.raises(RequestTooLargeError, match="413 request_too_large: HTTP 413: <html>Request Entity"):
        await collect(replay_server)


async def test_key_never_in_error_messages(replay_server: ReplayServer) -> None:
    replay_server.error(401, "authentication_error", f"invalid x-api-key {KEY}")
    with pytest.raises(AuthenticationError) as info:
        await collect(replay_server)
    assert KEY not in str(info.value) and "…WXYZ" in str(info.value)


async def test_unreachable_host_is_a_connection_error(fast_retries: None) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    parts: list[Any] = []
    with pytest.raises(APIConnectionError, match=f"127.0.0.1:{port}"):
        async for part in Anthropic.create_async_generator("sonnet", MESSAGES, api_key=KEY,
                                                           api_base=f"http://127.0.0.1:{port}/v1", max_retries=1):
            parts.append(part)
    assert [type(p).__name__ for p in parts] == ["RequestRecord", "RetryNotice", "RequestRecord"]


async def test_no_response_within_timeout_is_retried_then_raised(replay_server: ReplayServer,
                                                                 fast_retries: None) -> None:
    from replay import Reply

    replay_server.reply(Reply(200, body=json.dumps(message_json()).encode(), delay=5))
    replay_server.json(message_json())
    parts = await collect(replay_server, timeout=0.2)
    assert any(isinstance(p, RetryNotice) and "timed out" in p.reason for p in parts) and "Hi!" in parts
    replay_server.reply(Reply(200, body=b"{}", delay=5))
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        await collect(replay_server, timeout=0.2, max_retries=0)
    assert time.monotonic() - started < 3


# -- retries --------------------------------------------------------------------------------------------------
async def test_retries_honor_retry_after_and_are_visible(replay_server: ReplayServer) -> None:
    replay_server.error(529, "overloaded_error", "Overloaded", {"retry-after": "0"})
    replay_server.error(429, "rate_limit_error", "Slow down", {"retry-after-ms": "20"})
    replay_server.sse(fixture_stream("basic_response.txt"))
    started = time.monotonic()
    parts = await collect(replay_server, stream=True)
    assert time.monotonic() - started >= 0.02
    kinds = [type(p).__name__ for p in parts[:7]]
    assert kinds == ["RequestRecord", "HeadersResponse", "RetryNotice", "RequestRecord", "HeadersResponse",
                     "RetryNotice", "RequestRecord"]
    notices = [p for p in parts if isinstance(p, RetryNotice)]
    assert [(n.attempt, n.max_retries, n.delay) for n in notices] == [(1, 2, 0.0), (2, 2, 0.02)]
    assert notices[0].reason == "529 overloaded_error: Overloaded"
    assert str(notices[1]) == "retrying in 0.0 s (429 rate_limit_error: Slow down) [2/2]"
    assert [p.attempt for p in parts if isinstance(p, RequestRecord)] == [0, 1, 2]
    assert "".join(p for p in parts if isinstance(p, str)) == "Hello there!"
    assert len(replay_server.requests) == 3
    assert replay_server.requests[0].body == replay_server.requests[2].body  # the same body is resent


async def test_retries_exhausted_raise_the_last_error(replay_server: ReplayServer, fast_retries: None) -> None:
    for _ in range(3):
        replay_server.error(500, "api_error", "boom")
    with pytest.raises(InternalServerError):
        await collect(replay_server, max_retries=2)
    assert len(replay_server.requests) == 3


async def test_x_should_retry_true_retries_a_400(replay_server: ReplayServer, fast_retries: None) -> None:
    replay_server.error(400, "invalid_request_error", "flaky", {"x-should-retry": "true"})
    replay_server.json(message_json())
    assert "Hi!" in await collect(replay_server)


async def test_client_errors_are_not_retried(replay_server: ReplayServer, fast_retries: None) -> None:
    replay_server.error(400, "invalid_request_error", "bad")
    with pytest.raises(BadRequestError):
        await collect(replay_server)
    assert len(replay_server.requests) == 1


async def test_max_retries_zero(replay_server: ReplayServer) -> None:
    replay_server.error(529, "overloaded_error", "Overloaded", {"retry-after": "0"})
    with pytest.raises(OverloadedError):
        await collect(replay_server, max_retries=0)


# -- models and token counting ---------------------------------------------------------------------------------
async def test_get_models_follows_pages_and_caches(replay_server: ReplayServer) -> None:
    replay_server.json({"data": [{"id": "a"}, {"id": "b"}], "has_more": True, "first_id": "a", "last_id": "b"})
    replay_server.json({"data": [{"id": "c"}], "has_more": False, "first_id": "c", "last_id": "c"})
    key = KEY + "-models"
    assert await Anthropic.get_models_async(api_key=key, api_base=replay_server.api_base) == ["a", "b", "c"]
    assert await Anthropic.get_models_async(api_key=key, api_base=replay_server.api_base) == ["a", "b", "c"]
    assert len(replay_server.requests) == 2  # the second call came from the cache
    assert replay_server.requests[1].query == {"limit": "1000", "after_id": "b"}
    assert replay_server.requests[0].headers["x-api-key"] == key


async def test_get_models_raises_typed_errors(replay_server: ReplayServer) -> None:
    replay_server.error(401, "authentication_error", "invalid x-api-key")
    with pytest.raises(AuthenticationError):
        await Anthropic.get_models_async(api_key="sk-bad-key-0000", api_base=replay_server.api_base)


async def test_sync_get_models_inside_a_running_loop_says_what_to_do() -> None:
    with pytest.raises(RuntimeError, match="get_models_async"):
        Anthropic.get_models(api_key=KEY)


def test_sync_get_models(replay_server_thread: str) -> None:
    assert Anthropic.get_models(api_key=KEY + "-sync", api_base=replay_server_thread) == ["m1"]


@pytest.fixture
def replay_server_thread() -> Any:
    """A replay server on its own thread, for the synchronous get_models."""
    import asyncio
    import threading

    from replay import ReplayServer as Server

    loop = asyncio.new_event_loop()
    server = Server()
    server.json({"data": [{"id": "m1"}], "has_more": False})
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(5)
    yield server.api_base
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


async def test_count_tokens(replay_server: ReplayServer) -> None:
    replay_server.json({"input_tokens": 14})
    tokens = await Anthropic.count_tokens("sonnet", MESSAGES, api_key=KEY, api_base=replay_server.api_base,
                                          system="Be brief.", tools=[{"name": "f", "input_schema": {"type": "object"}}])
    assert tokens == 14
    sent = replay_server.requests[0]
    assert sent.path == "/v1/messages/count_tokens"
    assert sent.json == {"model": "claude-sonnet-5-5", "messages": MESSAGES, "system": "Be brief.",
                         "tools": [{"name": "f", "input_schema": {"type": "object"}}]}


# -- private address guard ------------------------------------------------------------------------------------
async def test_private_hosts_refused_without_connecting(replay_server: ReplayServer) -> None:
    with pytest.raises(BlockedAddressError, match="127.0.0.1"):
        await collect(replay_server, allow_private_hosts=False)
    assert replay_server.requests == []
    replay_server.json(message_json())
    assert "Hi!" in await collect(replay_server)  # allowed by default (local emulator, Ollama, ...)


async def test_guard_also_applies_to_models_and_count_tokens(replay_server: ReplayServer) -> None:
    with pytest.raises(BlockedAddressError):
        await Anthropic.get_models_async(api_key=KEY, api_base=replay_server.api_base, allow_private_hosts=False)
    with pytest.raises(BlockedAddressError):
        await Anthropic.count_tokens("sonnet", MESSAGES, api_key=KEY, api_base=replay_server.api_base,
                                     allow_private_hosts=False)
    assert replay_server.requests == []


async def test_guard_checks_addresses_again_at_connect_time(replay_server: ReplayServer) -> None:
    """A name that passed the up-front check but resolves privately when connecting (DNS
    rebinding) is refused by the session's resolver, before any byte is sent."""
    from playground.transport.client import open_session

    port = replay_server.base_url.rsplit(":", 1)[1]
    async with open_session(5, allow_private=False) as session:
        with pytest.raises(BlockedAddressError, match="localhost"):
            await session.get(f"http://localhost:{port}/v1/models")
    assert replay_server.requests == []


def test_check_base_url() -> None:
    from playground.netguard import check_base_url

    for url in ("http://localhost:8765/v1", "http://10.1.2.3/v1", "http://[::1]/v1", "http://169.254.169.254/",
                "http://100.64.0.1/", "http://[::ffff:192.168.0.1]/"):
        with pytest.raises(BlockedAddressError):
            check_base_url(url, allow_private=False)
        check_base_url(url, allow_private=True)
    check_base_url("https://8.8.8.8/v1", allow_private=False)
    with pytest.raises(ParameterError):
        check_base_url("ftp://example.com", allow_private=False)


def fixture_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_settings_environment_wins_over_dotenv_and_hide_keys(tmp_path: Any) -> None:
    from playground.config import load_keys

    dotenv = tmp_path / ".env"
    dotenv.write_text("ANTHROPIC_API_KEY=from-dotenv-key-1111\nANTHROPIC_BASE_URL=http://dotenv.example\n")
    settings = load_keys({"ANTHROPIC_API_KEY": KEY}, dotenv)
    assert settings.anthropic_api_key == KEY and settings.anthropic_api_base == "http://dotenv.example/v1"
    assert KEY not in repr(settings) and "from-dotenv" not in repr(settings)
    assert load_keys({}, tmp_path / "missing.env").anthropic_api_base == "https://api.anthropic.com/v1"

"""Keys go only where they belong, through the app's handlers over real HTTP (below the browser).

The server has ``ANTHROPIC_API_KEY`` and ``OPENAI_API_KEY`` (and an ``OPENAI_BASE_URL`` of its own) in
its environment, is hosted (``SPACE_ID``: the private-host guard on), and a visitor points the
OpenAI-compatible backend at a server of their own that records every request. Whatever the visitor
does — the model list when the URL field loses focus, a Send streamed or not — that server never
sees a server key; it sees exactly the key the visitor typed, or none. The operator's own endpoints
still get the operator's keys.

To let a 127.0.0.1 test server count as public with the guard on, the guard's one decision point
(``netguard.is_blocked``) is wrapped for that single address.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from replay import ReplayServer

from playground import catalog, netguard
from playground.backends import Backends
from playground.config import load_config
from playground.settings import FIELDS, RunSettings
from playground.ui.handlers import Handlers
from playground.ui.session import Session

pytestmark = pytest.mark.timeout(60)
SERVER_ANTHROPIC = "sk-ant-api03-SERVERANTHROPIC-0000"
SERVER_OPENAI = "sk-proj-SERVEROPENAI-1111"
VISITOR_KEY = "sk-visitor-OWNKEY-2222"
OPERATOR_OPENAI = "https://llm.operator.example/v1"


def _chunks(text: str) -> bytes:
    lines = [{"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text},
                                                                          "finish_reason": None}]},
             {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}]
    return ("".join(f"data: {json.dumps(x)}\n\n" for x in lines) + "data: [DONE]\n\n").encode()


def _completion(text: str) -> dict[str, Any]:
    return {"id": "c2", "object": "chat.completion", "model": "visitor-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}


def _values(**overrides: object) -> list[object]:
    settings = {**RunSettings().to_ui(), **overrides}
    return [settings[k] for k in FIELDS]


@pytest.fixture
def hosted(monkeypatch: pytest.MonkeyPatch, tmp_path: Any):
    """``make(**env)``: the app's handlers on a configuration read from this server's environment."""
    made: list[Backends] = []

    def make(**env: str) -> Handlers:
        monkeypatch.chdir(tmp_path)  # no .env
        for name in ("PLAYGROUND_ALLOW_PRIVATE_HOSTS", "ANTHROPIC_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
        base_env = {"ANTHROPIC_API_KEY": SERVER_ANTHROPIC, "OPENAI_API_KEY": SERVER_OPENAI,
                    "OPENAI_BASE_URL": OPERATOR_OPENAI, "SPACE_ID": "someone/playground"}
        for name, value in {**base_env, **env}.items():
            monkeypatch.setenv(name, value)  # in os.environ too: a provider falling back to it would find it
        config = load_config()
        assert not config.allow_private_hosts  # hosted: the guard is on
        made.append(Backends(config))
        return Handlers(made[-1])

    real = netguard.is_blocked
    monkeypatch.setattr(netguard, "is_blocked", lambda address: str(address) != "127.0.0.1" and real(address))
    yield make
    for backends in made:
        backends.close()


def _assert_no_server_key(server: ReplayServer) -> None:
    for request in server.requests:
        seen = json.dumps(request.headers) + request.body.decode()
        assert SERVER_OPENAI not in seen and SERVER_ANTHROPIC not in seen, request.path


async def _send(handlers: Handlers, session: Session, key: str, **settings: object) -> None:
    async for _ in handlers.send(session, {"text": "hello", "files": []}, key, *_values(**settings)):
        pass


@pytest.mark.parametrize("visitor_key", ["", VISITOR_KEY])
async def test_a_visitors_server_never_sees_a_server_key(hosted, replay_server: ReplayServer, visitor_key: str
                                                         ) -> None:
    handlers = hosted()
    visitor = replay_server
    visitor.json({"object": "list", "data": [{"id": "visitor-model"}]})
    visitor.sse(_chunks("streamed reply"))
    visitor.json(_completion("plain reply"))

    listed = await handlers.refresh_models("openai", visitor_key, visitor.api_base, "")  # the URL field's blur
    assert listed["value"] == "visitor-model"
    session = Session()
    settings = {"backend": "openai", "base_url": visitor.api_base, "model": "visitor-model", "max_tokens": 16}
    for stream, reply in ((True, "streamed reply"), (False, "plain reply")):
        await _send(handlers, session, visitor_key, **settings, stream=stream)
        view = session.exchanges[-1].run
        assert (view.status, view.text) == ("done", reply), view.error_text

    assert [(r.method, r.path) for r in visitor.requests] == [
        ("GET", "/v1/models"), ("POST", "/v1/chat/completions"), ("POST", "/v1/chat/completions")]
    assert [r.json.get("stream") for r in visitor.requests[1:]] == [True, None]
    _assert_no_server_key(visitor)
    expected = f"Bearer {visitor_key}" if visitor_key else None  # exactly what the visitor typed, or nothing
    assert [r.headers.get("Authorization") for r in visitor.requests] == [expected] * 3


async def test_the_operators_own_endpoints_get_the_operators_keys(hosted, replay_server: ReplayServer) -> None:
    operator_openai = replay_server
    operator_anthropic, visitor = ReplayServer(), ReplayServer()
    await operator_anthropic.start()
    await visitor.start()
    try:
        handlers = hosted(OPENAI_BASE_URL=operator_openai.api_base, ANTHROPIC_BASE_URL=operator_anthropic.base_url)
        operator_openai.json({"object": "list", "data": [{"id": "operator-model"}]})
        operator_openai.sse(_chunks("from the operator"))
        listed = await handlers.refresh_models("openai", "", "", "")  # nothing typed: the operator's endpoint
        assert listed["value"] == "operator-model"
        session = Session()
        await _send(handlers, session, "", backend="openai", base_url=operator_openai.api_base,
                    model="operator-model", max_tokens=16)
        assert session.exchanges[-1].run.text == "from the operator"
        assert [r.headers.get("Authorization") for r in operator_openai.requests] == [f"Bearer {SERVER_OPENAI}"] * 2

        # Anthropic: the base URL box (hidden for this backend) still holds the visitor's URL; it is not used.
        operator_anthropic.json({"data": [{"id": catalog.DEFAULT_MODEL}], "has_more": False})
        listed = await handlers.refresh_models("anthropic", "", visitor.api_base, "")
        assert listed["value"] == catalog.DEFAULT_MODEL
        assert [r.headers.get("x-api-key") for r in operator_anthropic.requests] == [SERVER_ANTHROPIC]
        assert "Authorization" not in operator_anthropic.requests[0].headers  # and not the OpenAI key
        assert visitor.requests == []
    finally:
        await operator_anthropic.stop()
        await visitor.stop()


async def test_the_openai_provider_falls_back_only_to_its_own_endpoint(replay_server: ReplayServer, monkeypatch,
                                                                       tmp_path: Any) -> None:
    """Library use (no app): ``OPENAI_API_KEY`` is sent to ``OPENAI_BASE_URL`` only, and ``NO_KEY`` sends none."""
    from playground.config import NO_KEY
    from playground.providers import Anthropic, OpenaiAPI

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", SERVER_OPENAI)
    monkeypatch.setenv("OPENAI_BASE_URL", OPERATOR_OPENAI)
    for _ in range(3):
        replay_server.json({"object": "list", "data": [{"id": "m"}]})
    await OpenaiAPI.get_models_async(api_base=replay_server.api_base, refresh=True)
    monkeypatch.setenv("OPENAI_BASE_URL", replay_server.api_base)
    await OpenaiAPI.get_models_async(refresh=True)
    await OpenaiAPI.get_models_async(api_key=NO_KEY, api_base=replay_server.api_base, refresh=True)
    assert [r.headers.get("Authorization") for r in replay_server.requests] == [None, f"Bearer {SERVER_OPENAI}", None]

    from playground.errors import MissingAuthError

    monkeypatch.setenv("ANTHROPIC_API_KEY", SERVER_ANTHROPIC)
    with pytest.raises(MissingAuthError):
        await Anthropic.get_models_async(api_key=NO_KEY, api_base=replay_server.api_base)
    assert len(replay_server.requests) == 3

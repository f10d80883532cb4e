"""The table of backends: what each row supports, and which key it sends where (the key policy)."""

from __future__ import annotations

import copy

import pytest

from playground.backends import ANTHROPIC, BACKENDS, OFFLINE, OFFLINE_KEY, OPENAI, Backends, get_backend
from playground.config import NO_KEY, Config, is_no_key, same_base_url
from playground.errors import MissingAuthError, ParameterError

SERVER_ANTHROPIC = "sk-ant-server-AAAA-0000"
SERVER_OPENAI = "sk-openai-server-BBBB-1111"
VISITOR = "sk-visitor-CCCC-2222"
OPERATOR_OPENAI = "https://llm.operator.example/v1"


class Handle:
    def __init__(self, **options: object) -> None:
        self.options = options
        self.api_base = "http://127.0.0.1:1/v1"
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def _backends(**config: object) -> tuple[Backends, list[Handle]]:
    started: list[Handle] = []

    def start(**options: object) -> Handle:
        started.append(Handle(**options))
        return started[-1]

    return Backends(Config(**config), start_offline=start), started


SERVER_KEYS = {"anthropic_api_key": SERVER_ANTHROPIC, "openai_api_key": SERVER_OPENAI,
               "openai_base_url": OPERATOR_OPENAI}


def test_the_table_answers_what_each_backend_supports() -> None:
    assert list(BACKENDS) == ["offline", "anthropic", "openai"]  # the dropdown's values and order (pinned)
    assert [b.label for b in BACKENDS.values()] == [
        "Offline emulator (no key needed)", "Anthropic API", "OpenAI-compatible endpoint"]
    assert OFFLINE.is_offline and OFFLINE.emulator_switches and not ANTHROPIC.emulator_switches
    assert OPENAI.takes_base_url and not ANTHROPIC.takes_base_url and not OFFLINE.takes_base_url
    assert [b.supports_cache for b in (OFFLINE, ANTHROPIC, OPENAI)] == [True, True, False]
    assert [b.supports_count_tokens for b in (OFFLINE, ANTHROPIC, OPENAI)] == [True, True, False]
    assert [b.messages_api for b in (OFFLINE, ANTHROPIC, OPENAI)] == [True, True, False]
    assert [b.server_key_variable for b in (OFFLINE, ANTHROPIC, OPENAI)] == [
        None, "ANTHROPIC_API_KEY", "OPENAI_API_KEY"]
    assert OFFLINE.provider.__name__ == "Anthropic" and OPENAI.provider.__name__ == "OpenaiAPI"
    assert get_backend("openai") is OPENAI
    with pytest.raises(ParameterError, match="unknown backend 'carrier-pigeon'") as err:
        get_backend("carrier-pigeon")
    assert err.value.param == "backend"


def test_offline_gets_the_dummy_key_never_a_real_one() -> None:
    backends, started = _backends(**SERVER_KEYS, emulator_tps=0)
    assert _backends()[0].default is OFFLINE and "offline emulator" in _backends()[0].notice()
    target = backends.target("offline", session_key=VISITOR)
    assert target.api_key == OFFLINE_KEY and target.api_base == "http://127.0.0.1:1/v1"
    backends.target(OFFLINE)
    assert len(started) == 1 and started[0].options == {"tokens_per_second": 0, "latency_ms": 0}  # once, lazily
    backends.close()
    assert started[0].stopped


def test_anthropic_goes_only_to_the_operators_base_url() -> None:
    backends, _ = _backends(**SERVER_KEYS)
    assert backends.default is ANTHROPIC
    server = backends.target("anthropic", base_url="http://visitor.example/v1")  # a typed URL is not used
    assert (server.api_key, server.api_base) == (SERVER_ANTHROPIC, "https://api.anthropic.com/v1")
    assert backends.target("anthropic", f" {VISITOR} ").api_key == VISITOR
    proxied, _ = _backends(anthropic_api_key=SERVER_ANTHROPIC, anthropic_base_url="https://gw.operator.example/")
    assert proxied.target("anthropic").api_base == "https://gw.operator.example/v1"
    with pytest.raises(MissingAuthError):
        _backends(openai_api_key=SERVER_OPENAI)[0].target("anthropic")  # the OpenAI key is not an Anthropic key


@pytest.mark.parametrize(("typed", "visitor_key", "sent_to", "key"), [
    ("http://visitor.example/v1", "", "http://visitor.example/v1", NO_KEY),  # a typed URL: no server key
    ("http://visitor.example/v1/", VISITOR, "http://visitor.example/v1", VISITOR),
    (OPERATOR_OPENAI, "", OPERATOR_OPENAI, SERVER_OPENAI),  # the operator's own endpoint: the operator's key
    ("https://LLM.Operator.example:443/v1/", "", "https://LLM.Operator.example:443/v1", SERVER_OPENAI),
    ("", "", OPERATOR_OPENAI, SERVER_OPENAI),  # nothing typed: the operator's endpoint
    (OPERATOR_OPENAI, VISITOR, OPERATOR_OPENAI, VISITOR),  # the visitor's own key wins
    ("https://llm.operator.example/v2", "", "https://llm.operator.example/v2", NO_KEY),  # another path
    ("https://llm.operator.example:8443/v1", "", "https://llm.operator.example:8443/v1", NO_KEY),  # another port
    ("http://llm.operator.example/v1", "", "http://llm.operator.example/v1", NO_KEY),  # not TLS
    ("https://llm.operator.example@evil.example/v1", "", "https://llm.operator.example@evil.example/v1", NO_KEY),
    ("https://llm.operator.example.evil.example/v1", "", "https://llm.operator.example.evil.example/v1", NO_KEY),
])
def test_openai_key_policy(typed: str, visitor_key: str, sent_to: str, key: str) -> None:
    target = _backends(**SERVER_KEYS)[0].target("openai", visitor_key, typed)
    assert target.api_base == sent_to
    assert target.api_key == key and is_no_key(target.api_key) == (key is NO_KEY)
    assert SERVER_ANTHROPIC not in (target.api_key, target.api_base)


def test_openai_without_an_operator_endpoint_never_gets_the_server_key() -> None:
    backends, _ = _backends(anthropic_api_key=SERVER_ANTHROPIC, openai_api_key=SERVER_OPENAI)
    for typed in ("https://api.openai.com/v1", "http://localhost:8000/v1"):
        assert is_no_key(backends.target("openai", None, typed).api_key), typed
    with pytest.raises(ParameterError) as err:
        backends.target("openai", "k", "")  # nothing typed and nothing configured
    assert err.value.param == "base_url"
    with pytest.raises(ParameterError) as err:
        backends.target("openai", "k", "localhost:8000")
    assert err.value.param == "base_url"


def test_no_key_is_empty_survives_copies_and_reprs_hide_keys() -> None:
    assert NO_KEY == "" and not NO_KEY and repr(NO_KEY) == "NO_KEY"
    assert is_no_key(copy.deepcopy({"k": NO_KEY})["k"]) and not is_no_key("")
    backends, _ = _backends(**SERVER_KEYS)
    shown = repr(backends.target("anthropic", VISITOR)) + repr(backends) + repr(backends.config)
    assert "sk-" not in shown and OPERATOR_OPENAI in repr(backends.config)


def test_same_base_url() -> None:
    assert same_base_url("https://h.example/v1/", "HTTPS://H.EXAMPLE:443/v1")
    assert same_base_url("http://h.example/v1", "http://h.example:80/v1")
    assert not same_base_url("https://h.example/v1", "https://h.example/v1/x")
    assert not same_base_url("https://u@h.example/v1", "https://h.example/v1")
    assert not same_base_url("https://h.example/v1", None) and not same_base_url("", "")

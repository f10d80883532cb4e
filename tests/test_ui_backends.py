"""Backend choice and key routing: a key only ever goes to the backend the user picked."""

from __future__ import annotations

import pytest

from playground.errors import MissingAuthError, ParameterError
from playground.ui.backends import ANTHROPIC, OFFLINE, OFFLINE_KEY, OPENAI, Backends, emulator_options, env_api_key


class Handle:
    def __init__(self, **options: object) -> None:
        self.options = options
        self.api_base = "http://127.0.0.1:1/v1"
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def _backends(env_key: str | None = None) -> tuple[Backends, list[Handle]]:
    started: list[Handle] = []

    def start(**options: object) -> Handle:
        started.append(Handle(**options))
        return started[-1]

    return Backends(env_key, {"tokens_per_second": 0}, start), started


def test_without_a_key_the_offline_backend_is_default_and_gets_no_real_key() -> None:
    backends, started = _backends()
    assert backends.default_kind == OFFLINE and "offline emulator" in backends.notice()
    target = backends.target(OFFLINE, session_key="sk-user-key-1234")
    assert target.api_key == OFFLINE_KEY and target.api_base == "http://127.0.0.1:1/v1"
    backends.target(OFFLINE)
    assert len(started) == 1 and started[0].options == {"tokens_per_second": 0}  # started once, lazily
    backends.close()
    assert started[0].stopped


def test_real_api_prefers_the_session_key_and_needs_one() -> None:
    backends, _ = _backends("sk-server-key-0000")
    assert backends.default_kind == ANTHROPIC
    assert backends.target(ANTHROPIC).api_key == "sk-server-key-0000"
    assert backends.target(ANTHROPIC, " sk-user-key-1234 ").api_key == "sk-user-key-1234"
    with pytest.raises(MissingAuthError):
        _backends()[0].target(ANTHROPIC)


def test_openai_compatible_never_gets_the_server_key() -> None:
    backends, _ = _backends("sk-server-key-0000")
    target = backends.target(OPENAI, None, "http://localhost:8000/v1/")
    assert target.api_key is None and target.api_base == "http://localhost:8000/v1"
    with pytest.raises(ParameterError) as err:
        backends.target(OPENAI, "k", "localhost:8000")
    assert err.value.param == "base_url"
    with pytest.raises(ParameterError, match="unknown backend"):
        backends.target("carrier-pigeon")


def test_reprs_do_not_show_keys() -> None:
    backends, _ = _backends("sk-server-key-0000")
    target = backends.target(ANTHROPIC, "sk-user-key-1234")
    assert "sk-" not in repr(target) and "sk-" not in repr(backends)


def test_env_key_and_emulator_options(tmp_path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("ANTHROPIC_API_KEY=sk-from-dotenv\n")
    assert env_api_key({}, str(dotenv)) == "sk-from-dotenv"
    assert env_api_key({"ANTHROPIC_API_KEY": "sk-env"}, str(dotenv)) == "sk-env"
    assert env_api_key({}, str(tmp_path / "missing")) is None
    assert emulator_options({"PLAYGROUND_EMULATOR_TPS": "0"}) == {"tokens_per_second": 0.0, "latency_ms": 0.0}
    with pytest.raises(ParameterError, match="PLAYGROUND_EMULATOR_TPS"):
        emulator_options({"PLAYGROUND_EMULATOR_TPS": "fast"})

"""Shared, generic fixtures. ``replay_server``: a real aiohttp server on 127.0.0.1 (free port)
that answers each request with the next scripted reply and records what it received. ``emu``: the
offline emulator in-process; ``client``: the official SDK's async client pointed at it."""

from __future__ import annotations

from typing import Any

import pytest
from replay import ReplayServer, Reply, fixture_names, fixture_stream  # noqa: F401  (re-exported)


@pytest.fixture
async def replay_server() -> Any:
    server = ReplayServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def emu() -> Any:
    from playground.emulator import Emulator

    async with Emulator() as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Any) -> Any:
    anthropic = pytest.importorskip("anthropic")
    async with anthropic.AsyncAnthropic(base_url=emu.base_url, api_key="sk-test-key", max_retries=0) as c:
        yield c


@pytest.fixture(scope="session", autouse=True)
def _private_run_history(tmp_path_factory: pytest.TempPathFactory):
    """Every run the tests make (chat turns, sweeps) is recorded in the run history: keep it in a
    temporary directory, never the user's data dir. Apps started as subprocesses inherit it."""
    import os

    saved = {k: os.environ.get(k) for k in ("PLAYGROUND_HISTORY_PATH", "PLAYGROUND_PRESETS_PATH")}
    data = tmp_path_factory.mktemp("history")
    os.environ.setdefault("PLAYGROUND_HISTORY_PATH", str(data / "history.sqlite3"))
    os.environ.setdefault("PLAYGROUND_PRESETS_PATH", str(data / "presets.json"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def _no_installed_config():
    """An app built in a test installs its configuration for the process (``playground.config.current``):
    forget it afterwards, so the next test reads its own environment."""
    yield
    from playground import config

    config.install(None)

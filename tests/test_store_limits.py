"""Bounded history: a prompt is stored once, and the per-session run and byte caps and the store's
total cap prune the oldest runs first, with a sentence for the user saying so."""

from __future__ import annotations

import sqlite3

import pytest

from playground.store import Run, RunStore
from playground.store.limits import (
    ENV_MAX_BYTES,
    ENV_MAX_BYTES_PER_SESSION,
    ENV_MAX_RUNS_PER_SESSION,
    StoreLimits,
    parse_size,
    store_limits,
)

KB = 1024


def _run(owner: str, prompt: str, label: str = "") -> Run:
    messages = [{"role": "user", "content": prompt}]
    body = {"model": "m", "max_tokens": 5, "messages": messages}
    return Run(model="m", messages=messages, request_body=body, output="ok", owner=owner, label=label)


def _bytes(store: RunStore, owner: str | None = None) -> int:
    conn = sqlite3.connect(store.path)
    sql, args = "SELECT COALESCE(SUM(stored_bytes), 0) FROM runs", ()
    if owner is not None:
        sql, args = sql + " WHERE owner = ?", (owner,)
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    finally:
        conn.close()


def _labels(store: RunStore, owner: str) -> list[str]:
    return [r.label for r in store.search(owner=owner)]


def test_a_prompt_is_stored_once_and_read_back_whole(tmp_path) -> None:
    store = RunStore(tmp_path / "h.db", limits=StoreLimits())
    prompt = "x" * (500 * KB)
    run_id = store.record(_run("a", prompt))
    assert 500 * KB < _bytes(store) < 510 * KB  # not twice: the body's messages refer to the stored ones
    got = store.get(run_id)
    assert got is not None and got.request_body["messages"] == got.messages == [{"role": "user", "content": prompt}]
    assert got.request_body["max_tokens"] == 5


def test_a_body_that_differs_in_one_message_keeps_that_one(tmp_path) -> None:
    store = RunStore(tmp_path / "h.db", limits=StoreLimits())
    messages = [{"role": "user", "content": "a" * 1000}, {"role": "assistant", "content": "b"},
                {"role": "user", "content": "c"}]
    sent = [*messages[:2], {"role": "user", "content": [{"type": "text", "text": "c"}]}]
    run_id = store.record(Run(model="m", messages=messages, request_body={"model": "m", "messages": sent}))
    got = store.get(run_id)
    assert got is not None and got.request_body["messages"] == sent and got.messages == messages
    assert _bytes(store) < 1400


def test_the_runs_per_session_cap_prunes_that_sessions_oldest(tmp_path) -> None:
    store = RunStore(tmp_path / "h.db", limits=StoreLimits(runs_per_session=3))
    store.record(_run("b", "hi", "b1"))
    for i in range(1, 6):
        store.record(_run("a", "hi", f"a{i}"))
    assert _labels(store, "a") == ["a5", "a4", "a3"]
    assert _labels(store, "b") == ["b1"]  # another session's runs are not touched
    notice = store.pop_notice("a")
    assert notice is not None
    # two writes pruned one run each; the notices are joined
    assert notice.count("History keeps at most 3 runs per session: the oldest run was removed.") == 2
    assert store.pop_notice("a") is None and store.pop_notice("b") is None


def test_the_bytes_per_session_cap(tmp_path) -> None:
    store = RunStore(tmp_path / "h.db", limits=StoreLimits(bytes_per_session=250 * KB))
    for i in range(1, 5):
        run_id, notice = store.record_with_notice(_run("a", "y" * (100 * KB), f"a{i}"))
        assert (notice is None) == (i < 3)
    assert _labels(store, "a") == ["a4", "a3"]
    assert _bytes(store, "a") <= 250 * KB
    assert notice == "History is limited to 0.2 MiB for this session's runs: the oldest run was removed."


def test_the_total_cap_prunes_the_oldest_of_anyone(tmp_path) -> None:
    store = RunStore(tmp_path / "h.db", limits=StoreLimits(total_bytes=350 * KB))
    for label, owner in (("a1", "a"), ("b1", "b"), ("a2", "a"), ("b2", "b")):
        store.record(_run(owner, "z" * (100 * KB), label))
    assert _labels(store, "a") == ["a2"] and _labels(store, "b") == ["b2", "b1"]
    assert _bytes(store) <= 350 * KB
    assert "for the app's runs: the oldest run was removed" in (store.pop_notice("b") or "")


def test_a_run_over_the_cap_by_itself_is_kept_without_its_prompt(tmp_path) -> None:
    store = RunStore(tmp_path / "h.db", limits=StoreLimits(bytes_per_session=64 * KB))
    run_id, notice = store.record_with_notice(_run("a", "w" * (200 * KB)))
    got = store.get(run_id)
    assert got is not None and got.output == "ok" and "over the history size limit" in str(got.messages)
    assert notice is not None and "is over the history size limit (0.1 MiB); the run is saved without it" in notice
    assert _bytes(store) < 2 * KB


def test_ten_big_prompts_keep_the_file_bounded(tmp_path) -> None:
    cap = 2 * 1024 * KB
    store = RunStore(tmp_path / "h.db", limits=StoreLimits(runs_per_session=200, bytes_per_session=cap,
                                                           total_bytes=10 * cap))
    for i in range(10):
        store.record(_run("a", str(i) * (1024 * KB)))
    assert len(store.search(owner="a")) == 1  # two 1 MiB runs would be over 2 MiB
    assert _bytes(store, "a") <= cap
    store.close()
    assert (tmp_path / "h.db").stat().st_size < 3 * cap  # freed pages are reused, the file does not grow


def test_limits_come_from_the_environment_with_hosted_defaults() -> None:
    assert store_limits({}, scope="shared") == StoreLimits()
    assert store_limits({}, scope="session") == StoreLimits(200, 20 * 1024**2, 1024**3)
    env = {ENV_MAX_RUNS_PER_SESSION: "50", ENV_MAX_BYTES_PER_SESSION: "5M", ENV_MAX_BYTES: "0"}
    assert store_limits(env, scope="session") == StoreLimits(50, 5 * 1024**2, None)
    assert store_limits({ENV_MAX_BYTES: "2GiB"}, scope="shared") == StoreLimits(None, None, 2 * 1024**3)
    assert parse_size("X", "512k") == 512 * 1024
    with pytest.raises(ValueError, match=f"{ENV_MAX_BYTES_PER_SESSION}='lots': give a whole number"):
        store_limits({ENV_MAX_BYTES_PER_SESSION: "lots"}, scope="shared")


@pytest.mark.timeout(60)
async def test_the_playground_tells_the_user_when_history_was_pruned(tmp_path, monkeypatch) -> None:
    from playground.backends import Backends
    from playground.config import Config
    from playground.settings import FIELDS, RunSettings

    DEFAULTS, SETTING_KEYS = RunSettings().to_ui(), FIELDS

    from playground import catalog, store
    from playground.ui import handlers as handlers_mod
    from playground.ui.session import Session

    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "pruned.sqlite3"))
    monkeypatch.setenv(ENV_MAX_RUNS_PER_SESSION, "1")
    shown: list[str] = []
    monkeypatch.setattr(handlers_mod.gr, "Info", shown.append)
    backends = Backends(Config(emulator_tps=0))
    try:
        chat, session = handlers_mod.Handlers(backends), Session()
        values = [{**DEFAULTS, "model": catalog.EMULATOR_MODEL, "max_tokens": 8}[k] for k in SETTING_KEYS]
        for text in ("first", "second"):
            async for _ in chat.send(session, text, "", *values):
                pass
    finally:
        backends.close()
    assert shown == ["History keeps at most 1 run per session: the oldest run was removed."]
    assert [r.messages[-1]["content"] for r in store.get_store().search()] == ["second"]

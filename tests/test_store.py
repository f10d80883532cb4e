"""Run history: round trip, search, key refusal and scrubbing, concurrent writers, path config."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from playground import config as app_config
from playground import store
from playground.store import HistoryError, Run, RunStore, media_ref, record_run

KEY = "sk-ant-api03-" + "A1b2C3d4" * 6


@pytest.fixture
def runs(tmp_path):
    s = RunStore(tmp_path / "h" / "history.sqlite3")
    yield s
    s.close()


def test_round_trip_keeps_every_field(runs):
    run = Run(kind="compare", backend="http://127.0.0.1:1/v1", model="playground-tiny",
              params={"temperature": 0.3, "stop": ["END"]}, system="Be brief",
              messages=[{"role": "user", "content": "hello there"}],
              media=[media_ref(b"\x89PNG....", "cat.png")], output="Hi!", thinking="hmm",
              tool_calls=[{"id": "t1", "name": "get_weather", "arguments": {"city": "Paris"}}],
              stop_reason="end_turn", usage={"input_tokens": 5, "output_tokens": 2}, cost_usd=0.0012,
              ttft_s=0.05, duration_s=0.2, tokens_per_s=10.0, headers={"request-id": "req_1"},
              request_body={"model": "playground-tiny"}, group_id="g1", label="col 1")
    run_id = runs.record(run)
    got = runs.get(run_id)
    assert got.id == run_id and got.created_at > 0
    for name in ("kind", "backend", "model", "params", "system", "messages", "media", "output", "thinking",
                 "tool_calls", "stop_reason", "usage", "cost_usd", "ttft_s", "duration_s", "tokens_per_s",
                 "headers", "request_body", "group_id", "label"):
        assert getattr(got, name) == getattr(run, name), name
    assert got.media[0]["size"] == 8 and len(got.media[0]["sha256"]) == 64
    assert runs.get(run_id + 100) is None


def test_refuses_key_in_params(runs):
    with pytest.raises(HistoryError, match="api_key.*never written"):
        runs.record(Run(params={"temperature": 1, "api_key": KEY}))
    with pytest.raises(HistoryError):
        runs.record(Run(params={"headers": {"x-api-key": KEY}}))
    assert runs.count() == 0


def test_key_never_reaches_the_file(runs):
    runs.record(Run(
        headers={"x-api-key": KEY, "Authorization": f"Bearer {KEY}", "set-cookie": "session=abcdef123456",
                 "request-id": "req_9", "x-echo": f"saw {KEY}"},
        request_body={"model": "m", "note": KEY}, output=f"the key is {KEY}",
        messages=[{"role": "user", "content": f"my key {KEY}"}], error=f"bad {KEY}",
    ), secrets=[KEY])
    runs.close()
    raw = runs.path.read_bytes() + (runs.path.with_name(runs.path.name + "-wal").read_bytes()
                                    if runs.path.with_name(runs.path.name + "-wal").exists() else b"")
    assert KEY.encode() not in raw
    assert KEY[:20].encode() not in raw
    got = RunStore(runs.path).get(1)
    assert got.headers["request-id"] == "req_9"
    assert got.headers["Authorization"].startswith("Bearer …")
    assert got.headers["set-cookie"] != "session=abcdef123456"


def test_useful_headers_survive_scrubbing():
    from playground.store import scrub_headers

    kept = {"anthropic-ratelimit-tokens-remaining": "79000", "anthropic-ratelimit-input-tokens-limit": "80000",
            "request-id": "req_1", "retry-after": "2", "content-type": "text/event-stream"}
    assert scrub_headers(kept) == kept
    hidden = scrub_headers({"x-auth-token": "abcdefghijkl", "X-Api-Key": "abcdefghijkl", "proxy-authorization":
                            "Basic abcdefghijkl", "x-session-id": "abcdefghijkl"})
    assert not any("abcdefghijkl" in v for v in hidden.values()), hidden


def test_media_bytes_are_replaced_by_reference(runs):
    import base64
    data = base64.b64encode(b"x" * 3000).decode()
    body = {"messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}]}]}
    run_id = runs.record(Run(request_body=body, messages=body["messages"]))
    got = runs.get(run_id)
    src = got.request_body["messages"][0]["content"][0]["source"]
    assert src["data"].startswith("<omitted: sha256 ") and "3000 bytes" in src["data"]
    assert got.messages[0]["content"][0]["source"]["data"] == src["data"]


def test_search_by_text_and_model(runs):
    runs.record(Run(model="a", output="the quick brown fox"))
    runs.record(Run(model="b", output="lazy dog", params={"temperature": 0.5}))
    runs.record(Run(model="b", messages=[{"role": "user", "content": "100% sure_thing"}]))
    assert [r.output for r in runs.search("QUICK")] == ["the quick brown fox"]
    assert len(runs.search(model="b")) == 2
    assert runs.search("fox", model="b") == []
    assert len(runs.search("100%")) == 1 and runs.search("1000%") == []  # % is literal
    assert runs.search("s_r") == [] and len(runs.search("e_t")) == 1  # _ is literal: "s_r" would match "sure"
    assert [r.id for r in runs.search()] == [3, 2, 1]  # newest first
    assert runs.models() == ["a", "b"]
    assert len(runs.search(limit=1)) == 1


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "c.sqlite3"
    stores = [RunStore(path), RunStore(path)]  # two stores = two processes' worth of connections
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(40):
                stores[n % 2].record(Run(model=f"m{n}", output=f"{n}-{i}"))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert stores[0].count() == 240
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    for s in stores:
        s.close()


def test_path_from_env_and_space_notice(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "x" / "runs.db"))
    monkeypatch.delenv("SPACE_ID", raising=False)
    assert store.default_path() == tmp_path / "x" / "runs.db"
    assert store.ephemeral_notice() == ""
    run_id = record_run(kind="chat", model="m", output="hi", not_a_field="ignored")
    assert store.get_store().get(run_id).output == "hi"
    assert (tmp_path / "x" / "runs.db").exists()
    monkeypatch.setenv("SPACE_ID", "user/space")
    assert "ephemeral" in store.ephemeral_notice() and store.is_ephemeral()
    monkeypatch.delenv("PLAYGROUND_HISTORY_PATH")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert store.default_path() == tmp_path / "data" / "anthropic-playground" / "history.sqlite3"
    (tmp_path / ".env").write_text("PLAYGROUND_HISTORY_PATH=/srv/runs.sqlite3\n")
    assert store.default_path() == Path("/srv/runs.sqlite3")  # .env counts when the environment is silent


def test_record_run_refuses_key_but_swallows_disk_errors(tmp_path):
    bad = RunStore(tmp_path / "ok.db")
    bad.path = tmp_path / "missing-dir" / "nope" / "x.db"  # new thread connection cannot open this path
    result: list = []
    t = threading.Thread(target=lambda: result.append(record_run(store=bad, output="x")))
    t.start()
    t.join(10)
    assert result == [None]
    with pytest.raises(HistoryError):
        record_run(store=RunStore(tmp_path / "ok2.db"), params={"api_key": KEY})


# -- owners: who may read which runs -------------------------------------------------------------
def test_owner_filter_on_get_search_models_and_count(runs):
    a_id = runs.record(Run(model="playground-tiny", output="alpha secret plan", group_id="g", owner="owner-a"))
    b_id = runs.record(Run(model="claude-haiku-4-5", output="beta secret plan", group_id="g", owner="owner-b"))
    legacy = runs.record(Run(model="claude-opus-4-7", output="old secret plan"))  # no owner (older version)
    assert runs.get(a_id, owner="owner-a").owner == "owner-a"
    assert runs.get(b_id, owner="owner-a") is None and runs.get(legacy, owner="owner-a") is None
    assert runs.get(b_id).id == b_id  # owner=None: no filter (shared scope)
    assert [r.id for r in runs.search("secret", owner="owner-a")] == [a_id]
    assert [r.id for r in runs.search("secret", owner="owner-b", group_id="g")] == [b_id]
    assert runs.search("alpha", owner="owner-b") == [] and runs.search("", owner="nobody") == []
    assert [r.id for r in runs.search("secret")] == [legacy, b_id, a_id]
    assert runs.models(owner="owner-a") == ["playground-tiny"]
    assert runs.models() == ["claude-haiku-4-5", "claude-opus-4-7", "playground-tiny"]
    assert runs.count(owner="owner-b") == 1 and runs.count() == 3
    # text search never matches on the owner id itself
    assert runs.search("owner-a") == []
    assert "owner-a" not in repr(runs.get(a_id))


def test_a_database_from_before_owners_is_migrated_on_open(tmp_path):
    path = tmp_path / "old.sqlite3"
    old_columns = [c for c in store._COLUMNS if c != "owner"]
    conn = sqlite3.connect(path)  # the schema as the previous version created it: no owner column
    conn.executescript(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        + ", ".join(f"{c} {'REAL' if c in store._REAL_COLUMNS else 'INTEGER' if c == 'parent_id' else 'TEXT'}"
                    for c in old_columns)
        + "); CREATE INDEX runs_created ON runs(created_at);")
    conn.execute("INSERT INTO runs (kind, model, output, params, messages, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                 ("chat", "playground-tiny", "from the old days", "{}", "[]", 1.0))
    conn.commit()
    conn.close()

    migrated = RunStore(path)
    try:
        old = migrated.search("old days")[0]
        assert old.owner is None and old.output == "from the old days"
        assert migrated.get(old.id, owner="someone") is None  # an ownerless run belongs to no session
        new_id = migrated.record(Run(output="new", owner="o1"))
        assert migrated.get(new_id, owner="o1").output == "new"
        indexes = {r[1] for r in migrated._conn().execute("PRAGMA index_list(runs)").fetchall()}
        assert "runs_owner" in indexes
    finally:
        migrated.close()
    RunStore(path).close()  # opening again (column already there) is a no-op, not an error


def test_history_scope_defaults_and_invalid_values(monkeypatch, caplog):
    monkeypatch.setattr(app_config, "_warned_scopes", set())
    monkeypatch.delenv("PLAYGROUND_HISTORY_SCOPE", raising=False)
    monkeypatch.chdir(Path(__file__).parent)  # no .env here
    monkeypatch.delenv("SPACE_ID", raising=False)
    assert store.history_scope() == "shared" and store.read_owner("me") is None
    assert store.scope_notice() == ""
    monkeypatch.setenv("SPACE_ID", "someone/playground")
    assert store.history_scope() == "session" and store.read_owner("me") == "me"
    assert "only this browser session's runs" in store.scope_notice()
    assert store.read_owner(None) not in (None, "")  # a lost session id sees nothing, never everything
    monkeypatch.setenv("PLAYGROUND_HISTORY_SCOPE", " Shared ")
    assert store.history_scope() == "shared"
    monkeypatch.delenv("SPACE_ID")
    monkeypatch.setenv("PLAYGROUND_HISTORY_SCOPE", "session")
    assert store.history_scope() == "session"
    monkeypatch.setenv("PLAYGROUND_HISTORY_SCOPE", "sesion")  # a typo falls back to the private scope, loudly
    with caplog.at_level("WARNING", logger="playground.config"):
        assert store.history_scope() == "session"
    assert "PLAYGROUND_HISTORY_SCOPE='sesion'" in caplog.text and "session | shared" in caplog.text


def test_owner_ids_are_random_and_long():
    ids = {store.new_owner() for _ in range(100)}
    assert len(ids) == 100 and all(len(i) >= 32 for i in ids)

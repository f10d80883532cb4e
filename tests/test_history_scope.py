"""History scope end to end below the browser: two chat sessions (real handlers, the offline emulator
over real HTTP) and a compare-style runner record into one store; in ``session`` scope each session's
History/Export lookups see only its own runs, and another's id reads exactly like a missing one."""

from __future__ import annotations

import pytest

from playground import catalog, store
from playground.backends import Backends
from playground.config import Config
from playground.errors import PlaygroundError
from playground.settings import FIELDS, RunSettings
from playground.tuning.runner import Job, Runner
from playground.ui.handlers import Handlers
from playground.ui.session import Session
from playground.ui.tuning.common import load_run, missing_run, reader_owner
from playground.ui.tuning.export import export_body


@pytest.fixture(scope="module")
def backends():
    b = Backends(Config(emulator_tps=500))
    yield b
    b.close()


@pytest.fixture
def runs(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "history.sqlite3"))
    monkeypatch.setenv("PLAYGROUND_HISTORY_SCOPE", "session")
    yield store.get_store()


def _values(**overrides: object) -> list[object]:
    settings = {**RunSettings().to_ui(), "model": catalog.EMULATOR_MODEL, "max_tokens": 16, **overrides}
    return [settings[k] for k in FIELDS]


async def _chat(handlers: Handlers, session: Session, text: str) -> None:
    async for _ in handlers.send(session, {"text": text, "files": []}, "", *_values()):
        pass


@pytest.mark.timeout(60)
async def test_two_sessions_see_only_their_own_runs(backends, runs, monkeypatch) -> None:
    handlers = Handlers(backends)
    alice, bob = Session(), Session()
    assert alice.owner != bob.owner
    await _chat(handlers, alice, "the word is periwinkle")
    await _chat(handlers, bob, "the word is marmalade")
    # a compare column of Alice's, recorded by the tuning runner under the same owner
    target = backends.target("offline", "", "")
    runner = Runner(api_base=target.api_base, provider=target.provider, store=runs, kind="compare",
                    owner=alice.owner)
    async for _ in runner.run([Job(0, RunSettings(model=catalog.EMULATOR_MODEL, max_tokens=8),
                                   [{"role": "user", "content": "periwinkle compare"}])]):
        pass

    mine = runs.search("periwinkle", owner=reader_owner(alice))
    assert sorted(r.kind for r in mine) == ["chat", "compare"] and {r.owner for r in mine} == {alice.owner}
    assert runs.search("periwinkle", owner=reader_owner(bob)) == []
    alice_chat = next(r for r in mine if r.kind == "chat")
    assert load_run(alice_chat.id, alice).id == alice_chat.id
    assert load_run(alice_chat.id, bob) is None
    assert load_run(10**30, bob) is None  # not an id SQLite can hold: just missing
    # the message for someone else's id is the one for an id that does not exist at all
    unused = runs.count() + 1000
    assert load_run(unused, bob) is None
    assert missing_run(alice_chat.id) == f"No run {alice_chat.id} in this session's history."
    assert missing_run(float(unused)) == f"No run {unused} in this session's history."
    settings = RunSettings(model=catalog.EMULATOR_MODEL)
    with pytest.raises(PlaygroundError, match=f"^No run {alice_chat.id} in this session's history"):
        export_body("run", alice_chat.id, "", settings, None, bob)
    body, _ = export_body("run", alice_chat.id, "", settings, None, alice)
    assert body["messages"][-1]["content"] == "the word is periwinkle"
    assert runs.models(owner=reader_owner(bob)) == [catalog.EMULATOR_MODEL]

    # shared scope (a local install): every session reads every run, as before
    monkeypatch.setenv("PLAYGROUND_HISTORY_SCOPE", "shared")
    assert load_run(alice_chat.id, bob).id == alice_chat.id
    assert {r.owner for r in runs.search("the word is", owner=reader_owner(bob))} == {alice.owner, bob.owner}


def test_history_tab_header_says_which_scope_applies(monkeypatch, tmp_path) -> None:
    from playground.ui.app import build_app

    def notice_text() -> str:
        demo = build_app(Backends(start_offline=lambda **_: None))
        config = demo.get_config_file()
        return next(c["props"]["value"] for c in config["components"] if c["props"].get("elem_id") == "history_notice")

    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "h.db"))
    monkeypatch.delenv("PLAYGROUND_HISTORY_SCOPE", raising=False)
    monkeypatch.setenv("SPACE_ID", "someone/playground")  # hosted: session scope by default, disk ephemeral
    text = notice_text()
    assert "History shows only this browser session's runs and is gone when you close the tab" in text
    assert "lasts only as long as the Space" in text
    monkeypatch.delenv("SPACE_ID")
    text = notice_text()
    assert "only this browser session" not in text and "h.db" in text

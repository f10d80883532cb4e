"""Recording a chat turn (the Playground's hook) from the UI's TurnView."""

from __future__ import annotations

from playground import store
from playground.responses import FinishReason, HeadersResponse, RequestRecord, ToolCall, ToolCalls, Usage
from playground.settings import RunSettings
from playground.tuning.record import record_turn
from playground.ui.render import TurnView

KEY = "sk-ant-record-" + "Q" * 24


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Acc:
    tool_calls = [ToolCall("t1", "get_weather", {"city": "Oslo"})]


def test_record_turn_keeps_the_run_and_never_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "h.db"))
    clock = Clock()
    view = TurnView(clock)
    body = {"model": "claude-haiku-4-5", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}
    view.add(RequestRecord("POST", "https://api.anthropic.com/v1/messages", {"x-api-key": "…" + KEY[-4:]}, body))
    view.add(HeadersResponse(200, {"request-id": "req_7", "x-api-key": KEY}))
    clock.now = 100.5
    view.add("Hello")
    view.add(ToolCalls([ToolCall("t1", "get_weather", {"city": "Oslo"})]))
    clock.now = 101.5
    view.add(FinishReason("tool_calls", "tool_use"))
    view.add(Usage(10, 20))
    view.mark_done()
    tiny = tmp_path / "a.png"
    tiny.write_bytes(b"\x89PNG\r\n\x1a\n1234")
    settings = RunSettings(backend="anthropic", model="claude-haiku-4-5", system="sys", temperature=0.5, max_tokens=50,
                           stop_sequences=("END",), tools=({"name": "get_weather", "input_schema": {}},))
    run_id = record_turn(view, body["messages"], settings, backend="anthropic", api_key=KEY,
                         files=[str(tiny)], accumulator=Acc())
    run = store.get_store().get(run_id)
    assert run.kind == "chat" and run.output == "Hello" and run.stop_reason == "tool_use"
    # the settings are stored whole (tools included), so a rerun starts from exactly them
    assert run.params == settings.to_json() and RunSettings.from_json(run.params) == settings
    assert run.ttft_s == 0.5 and run.duration_s == 1.5 and run.tokens_per_s == 20.0
    assert run.cost_usd == (10 * 1.0 + 20 * 5.0) / 1e6
    assert run.media == [{"sha256": run.media[0]["sha256"], "name": "a.png", "size": 12}]
    assert run.tool_calls[0]["name"] == "get_weather" and run.system == "sys"
    assert run.request_body == body and run.headers["request-id"] == "req_7"
    assert KEY not in repr(run)


def _finished_view() -> TurnView:
    view = TurnView(Clock())
    view.add("ok")
    view.add(FinishReason("stop", "end_turn"))
    view.mark_done()
    return view


def test_a_key_pasted_into_the_settings_is_never_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "h.db"))
    settings = RunSettings(system=f"my key is {KEY}", stop_sequences=(KEY,))
    run = store.get_store().get(record_turn(_finished_view(), [], settings, api_key=KEY))
    assert KEY not in repr(run) and run.system.startswith("my key is ")
    assert record_turn(object(), [], RunSettings()) is None  # a view of the wrong shape never breaks the chat


def test_prompt_caching_is_a_parameter_and_the_system_prompt_stays_text(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "h.db"))
    settings = RunSettings(system="Be brief.", cache="system", cache_ttl="1h")
    assert settings.to_kwargs()["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}  # sent as blocks
    run = store.get_store().get(record_turn(_finished_view(), [], settings))
    assert (run.params["cache"], run.params["cache_ttl"]) == ("system", "1h") and run.system == "Be brief."
    plain = store.get_store().get(record_turn(_finished_view(), [], RunSettings(system="Be brief.")))
    assert plain.params["cache"] == "off" and plain.system == "Be brief."

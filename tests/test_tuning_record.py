"""Recording a chat turn (the Playground's hook) from its run record."""

from __future__ import annotations

from playground import store
from playground.responses import FinishReason, HeadersResponse, RequestRecord, ToolCall, ToolCalls, Usage
from playground.run import RunRecord
from playground.settings import RunSettings
from playground.tuning.record import record_turn

KEY = "sk-ant-record-" + "Q" * 24


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_record_turn_keeps_the_run_and_never_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "h.db"))
    clock = Clock()
    view = RunRecord(clock)
    body = {"model": "claude-haiku-4-5", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}],
            "stream": True}
    view.add(RequestRecord("POST", "https://api.anthropic.com/v1/messages", {"x-api-key": "…" + KEY[-4:]}, body))
    view.add(HeadersResponse(200, {"request-id": "req_7", "x-api-key": KEY, "content-type": "text/event-stream"}))
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
    run_id = record_turn(view, body["messages"], settings, backend="anthropic", api_key=KEY, files=[str(tiny)])
    run = store.get_store().get(run_id)
    assert run.kind == "chat" and run.output == "Hello" and run.stop_reason == "tool_use"
    # the settings are stored whole (tools included), so a rerun starts from exactly them
    assert run.params == settings.to_json() and RunSettings.from_json(run.params) == settings
    # first output at +0.5 s, last part (usage) at +1.5 s, ended at +1.5 s: 20 tokens over 1 s
    assert run.ttft_s == 0.5 and run.duration_s == 1.5 and run.tokens_per_s == 20.0
    assert run.cost_usd == (10 * 1.0 + 20 * 5.0) / 1e6
    assert run.media == [{"sha256": run.media[0]["sha256"], "name": "a.png", "size": 12}]
    assert run.tool_calls == [{"id": "t1", "name": "get_weather", "arguments": {"city": "Oslo"}, "raw_arguments": ""}]
    assert run.system == "sys"
    assert run.request_body == body and run.headers["request-id"] == "req_7"
    assert KEY not in repr(run)


def test_a_record_turn_that_is_not_given_a_run_record_never_breaks_the_chat():
    assert record_turn(object(), [], RunSettings()) is None


def test_prompt_caching_is_a_parameter_and_the_system_prompt_stays_text(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "h.db"))
    settings = RunSettings(system="Be brief.", cache="system", cache_ttl="1h")
    assert settings.to_kwargs()["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}  # sent as blocks
    done = RunRecord(Clock())
    done.add("ok")
    done.mark_done()
    run = store.get_store().get(record_turn(done, [], settings))
    assert (run.params["cache"], run.params["cache_ttl"]) == ("system", "1h") and run.system == "Be brief."


def test_a_stopped_turn_is_stored_as_stopped_and_a_non_streamed_one_without_a_rate(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "h.db"))
    clock = Clock()
    view = RunRecord(clock)
    view.add(RequestRecord("POST", "u", {}, {"model": "m", "stream": False}))
    view.add(HeadersResponse(200, {"content-type": "application/json"}))
    clock.now = 100.25
    view.add("All at once.")
    view.add(Usage(3, 4))
    view.mark_stopped()
    run = store.get_store().get(record_turn(view, [], RunSettings(model="claude-haiku-4-5")))
    assert run.error == "stopped" and run.output == "All at once."
    assert run.ttft_s == 0.25 and run.duration_s == 0.25 and run.tokens_per_s is None

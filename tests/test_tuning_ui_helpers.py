"""The tuning tabs' pure helpers: Playground settings <-> RunSettings, share-link restore, history rows."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

from playground.errors import ParameterError, PlaygroundError
from playground.settings import RunSettings, parse_stop_sequences, stop_text
from playground.store import Run
from playground.tuning.share import to_query
from playground.ui.tuning.common import RESTORED_KEYS, restore_values, with_overrides
from playground.ui.tuning.compare import COLUMN_FIELDS, CompareHandlers
from playground.ui.tuning.export import restore_from_link
from playground.ui.tuning.history import history_rows, last_user_text

DEFAULTS = RunSettings().to_ui()  # the Playground's controls as a fresh page shows them


class FakeRequest:
    def __init__(self, query):
        self.query_params = query


def test_settings_from_the_playground():
    values = {**DEFAULTS, "model": "tiny", "system": "Be brief", "temperature": "0.4", "top_k": "7",
              "max_tokens": 99, "stop_sequences": "END\n\\n\\nQ:", "thinking": "budget", "thinking_budget": 2048,
              "tools": '[{"name": "get_weather", "input_schema": {"type": "object"}}]', "tool_choice": "any"}
    run = RunSettings.from_ui(values)
    assert run == RunSettings(model="tiny", system="Be brief", temperature=0.4, top_k=7, max_tokens=99,
                              stop_sequences=("END", "\n\nQ:"), thinking="budget", thinking_budget=2048,
                              tools=({"name": "get_weather", "input_schema": {"type": "object"}},), tool_choice="any")
    assert run.model_id == "playground-tiny"
    kwargs = run.to_kwargs()
    assert kwargs["tools"][0]["name"] == "get_weather" and kwargs["tool_choice"] == {"type": "any"}
    assert kwargs["thinking"] == 2048
    adaptive = RunSettings.from_ui({**DEFAULTS, "thinking": "adaptive"})
    assert adaptive.to_kwargs()["thinking"] == {"type": "adaptive"}
    with pytest.raises(ParameterError, match="temperature"):
        RunSettings.from_ui({**DEFAULTS, "temperature": "hot"})


def test_column_overrides_and_blank_means_not_sent():
    base = RunSettings(model="playground-tiny", system="S", temperature=0.9, top_k=3)
    col = with_overrides(base, "column 1", model="haiku", temperature="", top_p="0.5", top_k="", max_tokens=64,
                         stop_sequences="STOP")
    assert col.model_id == "claude-haiku-5-5" and col.system == "S"
    assert col.temperature is None and col.top_p == 0.5 and col.top_k is None
    assert col.max_tokens == 64 and col.stop_sequences == ("STOP",)
    with pytest.raises(PlaygroundError, match="^column 2: temperature: expected a number, got 'hot'"):
        with_overrides(base, "column 2", temperature="hot")


def _columns(*columns: dict) -> tuple:
    blank = {"model": "", "temperature": "", "top_p": "", "top_k": "", "max_tokens": 256, "stop": ""}
    return tuple({**blank, **c}[f] for c in columns for f in COLUMN_FIELDS)


def test_a_compare_column_on_a_model_without_sampling_runs_without_it():
    # claude-opus-5-5 takes no temperature: the column's preset 0.6 is left out (and said), not refused
    jobs, notes = CompareHandlers.plan(2, "hi", RunSettings(system="S", top_k=5), _columns(
        {"model": "claude-opus-5-5", "temperature": "0.6"}, {"model": "playground-tiny", "temperature": "0.2"}))
    assert (jobs[0].settings.temperature, jobs[0].settings.top_k) == (None, None)
    assert "temperature not sent: Claude Opus 5.5 does not accept" in notes[0]
    # a column sends what it shows (its blank top_k: not sent) and what the Playground has beyond that
    assert (jobs[1].settings.temperature, jobs[1].settings.top_k, jobs[1].settings.system, notes[1]) == (
        0.2, None, "S", "")
    with pytest.raises(PlaygroundError, match=r"^column 2 \(claude-sonnet-4-6\): top_p: .*set only one"):
        CompareHandlers.plan(2, "hi", RunSettings(), _columns(
            {}, {"model": "claude-sonnet-4-6", "temperature": "0.5", "top_p": "0.5"}))


def test_stop_text_round_trips_through_the_playground_parser():
    stops = ("END", "\n\nQ:", "tab\there", "back\\slash")
    assert tuple(parse_stop_sequences(stop_text(stops))) == stops


def test_restore_values_cover_restored_keys():
    values = dict(zip(RESTORED_KEYS, restore_values(RunSettings(model="m", temperature=0.25, stop_sequences=("a",),
                                                                thinking="budget", thinking_budget=4096)), strict=True))
    assert values["temperature"] == "0.25" and values["top_p"] == "" and values["thinking"] == "budget"
    assert values["stop_sequences"] == "a" and values["thinking_budget"] == 4096 and values["model"] == "m"
    assert not {"backend", "base_url", "fault", "endless", "redact_thinking"} & set(RESTORED_KEYS)


def test_restore_from_link_sets_only_what_the_link_carries():
    out = restore_from_link(FakeRequest({"model": "claude-haiku-4-5", "temperature": "0.3", "prompt": "hi",
                                         "api_key": "sk-ant-nope-123456789"}))
    by_key = dict(zip(RESTORED_KEYS, out, strict=False))
    assert by_key["model"] == "claude-haiku-4-5" and by_key["temperature"] == "0.3"
    assert not isinstance(by_key["top_p"], str)  # a skip, not a blank that would wipe the setting
    assert out[-3] == "hi" and out[-2] == "hi" and "restored" in out[-1]
    assert "sk-ant" not in repr(out)
    untouched = restore_from_link(FakeRequest({}))
    assert all(not isinstance(v, str) for v in untouched)


def test_history_helpers():
    frame = history_rows([Run(id=3, created_at=0, kind="sweep", model="m", params={"temperature": 1},
                              output="x" * 300)])
    assert list(frame.columns)[:4] == ["id", "time", "kind", "model"] and len(frame.iloc[0]["output"]) == 100
    msgs = [{"role": "user", "content": "first"}, {"role": "assistant", "content": "ok"},
            {"role": "user", "content": [{"type": "image", "source": {}}, {"type": "text", "text": "second"}]}]
    assert last_user_text(msgs) == "second" and last_user_text([]) == ""


def test_sweep_plan_counts_prices_and_refuses_only_what_it_sweeps():
    from playground.tuning.grid import GridError
    from playground.ui.tuning.sweep import sweep_plan

    jobs, params, notes, est = sweep_plan("temperature", "0, 1", "model", "tiny, claude-haiku-4-5", 2, "hi",
                                          RunSettings(max_tokens=1000))
    assert len(jobs) == 8 and params == ["temperature", "model"] and est.requests == 8 and notes == []
    assert est.cost_usd > 0 and est.unpriced == []  # haiku is priced, the offline model costs $0
    # a value inherited from the Playground that the swept model does not take is left out, and said
    jobs, _, notes, _ = sweep_plan("model", "claude-opus-4-7", "(none)", "", 1, "hi", RunSettings(temperature=0.5))
    assert jobs[0].settings.temperature is None
    assert notes == ["claude-opus-4-7: temperature not sent: Claude Opus 4.7 does not accept temperature, top_p or "
                     "top_k."]
    # a value the sweep itself sets is refused, not dropped
    with pytest.raises(PlaygroundError, match="would reject this sweep at temperature=0.5 .*: temperature: Claude Opus 4.7"):
        sweep_plan("temperature", "0.5", "(none)", "", 1, "hi", RunSettings(model="claude-opus-4-7"))
    with pytest.raises(GridError, match="Repeats"):
        sweep_plan("temperature", "0", "(none)", "", "two", "hi", RunSettings())


def test_history_tab_says_history_is_ephemeral_on_a_space(monkeypatch, tmp_path):
    from playground.backends import Backends
    from playground.ui.app import build_app

    def notice_text() -> str:
        demo = build_app(Backends(start_offline=lambda **_: None))
        config = demo.get_config_file()
        return next(c["props"]["value"] for c in config["components"] if c["props"].get("elem_id") == "history_notice")

    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "h.db"))
    monkeypatch.delenv("SPACE_ID", raising=False)
    assert "h.db" in notice_text() and "ephemeral" not in notice_text()
    monkeypatch.setenv("SPACE_ID", "someone/playground")
    assert "ephemeral" in notice_text() and "lasts only as long as the Space" in notice_text()


def test_links_restore_tools_thinking_and_caching_but_not_the_offline_switches():
    tools = '[{"name": "get_weather", "input_schema": {"type": "object"}}]'
    settings = RunSettings.from_ui({**DEFAULTS, "system": "Be brief.", "tools": tools, "tool_choice": "any",
                                    "thinking": "adaptive", "cache": "auto", "cache_ttl": "1h", "fault": "rate_limit"})
    query = dict(parse_qsl(to_query(settings)))
    assert "fault" not in query  # the offline fault is a test knob, not a setting to share
    by_key = dict(zip(RESTORED_KEYS, restore_from_link(FakeRequest({**query, "model": "claude-sonnet-4-6"})),
                      strict=False))
    assert RunSettings.from_ui({k: v for k, v in by_key.items() if isinstance(v, str | int | float)}) == (
        settings.replace(fault="", model="claude-sonnet-4-6"))
    assert json.loads(by_key["tools"]) == json.loads(tools) and by_key["cache"] == "auto"
    assert not isinstance(by_key["temperature"], str)  # not in the link: left alone
    refused = restore_from_link(FakeRequest({"model": "claude-sonnet-4-6", "cache": "everything"}))
    assert not isinstance(dict(zip(RESTORED_KEYS, refused, strict=False))["cache"], str)
    assert "cache: expected" in refused[-1]

"""The tuning tabs' pure helpers: Playground settings <-> RunSettings, share-link restore, history rows."""

from __future__ import annotations

import pytest

from playground.errors import ParameterError
from playground.store import Run
from playground.tuning.settings import RunSettings
from playground.ui.settings import DEFAULTS, parse_stop_sequences
from playground.ui.tuning import (
    RESTORED_KEYS,
    base_settings,
    column_settings,
    history_rows,
    last_user_text,
    restore_from_link,
    stop_text,
    ui_values,
)


class FakeRequest:
    def __init__(self, query):
        self.query_params = query


def test_base_settings_from_playground():
    settings = {**DEFAULTS, "model": "tiny", "system": "Be brief", "temperature": "0.4", "top_k": "7",
                "max_tokens": 99, "stop_sequences": "END\n\\n\\n", "thinking": "budget", "thinking_budget": 2048,
                "tools": '[{"name": "get_weather", "input_schema": {"type": "object"}}]', "tool_choice": "any"}
    run, extra = base_settings(settings)
    assert run == RunSettings(model="playground-tiny", system="Be brief", temperature=0.4, top_k=7, max_tokens=99,
                              stop=("END", "\n\n"), thinking_budget=2048)
    assert extra["tools"][0]["name"] == "get_weather" and extra["tool_choice"] == {"type": "any"}
    adaptive, extra = base_settings({**DEFAULTS, "thinking": "adaptive"})
    assert adaptive.thinking_budget is None and extra["thinking"] == {"type": "adaptive"}
    with pytest.raises(ParameterError, match="temperature"):
        base_settings({**DEFAULTS, "temperature": "hot"})


def test_column_overrides_and_blank_means_not_sent():
    base = RunSettings(model="playground-tiny", system="S", temperature=0.9, top_k=3)
    col = column_settings(base, "haiku", "", "0.5", "", 64, "STOP")
    assert col.model == "claude-haiku-5-5" and col.system == "S"
    assert col.temperature is None and col.top_p == 0.5 and col.top_k is None
    assert col.max_tokens == 64 and col.stop == ("STOP",)


def test_stop_text_round_trips_through_the_playground_parser():
    stops = ("END", "\n\nQ:", "tab\there", "back\\slash")
    assert tuple(parse_stop_sequences(stop_text(stops))) == stops


def test_ui_values_cover_restored_keys():
    values = ui_values(RunSettings(model="m", temperature=0.25, stop=("a",), thinking_budget=4096))
    assert set(values) == set(RESTORED_KEYS)
    assert values["temperature"] == "0.25" and values["top_p"] == "" and values["thinking"] == "budget"


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


def testsweep_plan_counts_prices_and_refuses_what_a_model_rejects():
    from playground.errors import PlaygroundError
    from playground.tuning.grid import GridError
    from playground.ui.tuning import sweep_plan

    base, _, cells, params, est = sweep_plan("temperature", "0, 1", "model", "tiny, claude-haiku-4-5", 2, "hi",
                                              {**DEFAULTS, "max_tokens": 1000})
    assert len(cells) == 8 and params == ["temperature", "model"] and est.requests == 8
    assert est.cost_usd > 0 and est.unpriced == []  # haiku is priced, the offline model costs $0
    with pytest.raises(PlaygroundError, match="would reject this sweep: temperature: Claude Opus 4.7"):
        sweep_plan("model", "claude-opus-4-7", "(none)", "", 1, "hi", {**DEFAULTS, "temperature": "0.5"})
    with pytest.raises(GridError, match="repeats"):
        sweep_plan("temperature", "0", "(none)", "", "two", "hi", dict(DEFAULTS))


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


def test_presets_and_links_carry_the_playground_extras():
    from playground.ui.tuning.common import playground_extras

    tools = '[{"name": "get_weather", "input_schema": {"type": "object"}}]'
    settings = {**DEFAULTS, "tools": tools, "tool_choice": "any", "thinking": "adaptive", "cache": "auto",
                "cache_ttl": "1h", "fault": "rate_limit"}
    extras = playground_extras(settings)
    # the offline fault is a test knob, not a setting to share
    assert extras == {"thinking": "adaptive", "tools": tools, "tool_choice": "any", "cache": "auto", "cache_ttl": "1h"}
    assert playground_extras(dict(DEFAULTS)) == {}  # defaults are not written out
    values = ui_values(RunSettings(), extras)
    assert {k: values[k] for k in extras} == extras
    out = restore_from_link(FakeRequest({"model": "claude-sonnet-4-6", **extras}))
    by_key = dict(zip(RESTORED_KEYS, out, strict=False))
    assert {k: by_key[k] for k in extras} == extras
    assert not isinstance(by_key["temperature"], str)  # not in the link: left alone
    refused = restore_from_link(FakeRequest({"model": "claude-sonnet-4-6", "cache": "everything"}))
    assert not isinstance(dict(zip(RESTORED_KEYS, refused, strict=False))["cache"], str)
    assert "cache: expected" in refused[-1]

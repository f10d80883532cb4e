"""One settings object behind every tab: conversions, model rules, and one request body for every path."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

from playground import store
from playground.backends import Backends
from playground.config import Config
from playground.settings import FIELDS, RunSettings, SettingsError, control_states, upgrade_json
from playground.tuning import share
from playground.tuning.presets import PresetStore
from playground.tuning.runner import Runner, user_messages
from playground.ui.context import read_settings
from playground.ui.handlers import Handlers
from playground.ui.session import Session
from playground.ui.tuning.common import restore_values
from playground.ui.tuning.compare import COLUMN_FIELDS, CompareHandlers
from playground.ui.tuning.export import export_body
from playground.ui.tuning.history import rerun_changes, rerun_messages, rerun_settings

TOOLS = ({"name": "get_weather", "description": "Weather for a city",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},)

# Every field set away from its default (valid together for the offline sampler, which takes every knob).
EVERYTHING = RunSettings(
    backend="offline", base_url="", model="playground-tiny", system="You are terse.", temperature=0.7, top_p=0.9,
    top_k=40, max_tokens=300, stop_sequences=("END", "\n\nQ:"), thinking="off", thinking_budget=4096,
    effort="low", stream=False, tools=TOOLS, tool_choice="any", cache="system", cache_ttl="1h",
    response_format={"type": "json_object"}, api_version="2026-10-21", fault="overloaded", endless=True,
    redact_thinking=True, files_api=True,
)


def test_every_field_survives_ui_json_and_back() -> None:
    assert set(EVERYTHING.changed()) == set(FIELDS) - {"backend", "base_url", "thinking"}
    ui = EVERYTHING.to_ui()
    again = RunSettings.from_json(json.loads(json.dumps(RunSettings.from_ui(ui).to_json())))
    assert again == EVERYTHING and again.to_ui() == ui
    assert read_settings([ui[k] for k in FIELDS]) == EVERYTHING


def test_unknown_and_invalid_fields_are_named() -> None:
    with pytest.raises(SettingsError) as err:
        RunSettings.from_json({"temperature": 7, "top_k": "abc", "max_tokens": -3, "colour": "red"})
    assert dict(err.value.problems) == {
        "temperature": "must be a number from 0 to 1, got 7.",
        "top_k": "expected a number, got 'abc'.",
        "max_tokens": "must be a whole number of at least 1, got -3.",
        "colour": "unknown setting.",
    }
    settings, problems = RunSettings.parse_json({"temperature": 0.5, "tools": [{"no": "name"}]})
    assert settings.temperature == 0.5 and problems == [("tools", 'tool 0 has no "name".')]


def test_ui_values_are_read_as_the_boxes_show_them() -> None:
    s = RunSettings.from_ui({"temperature": "", "top_k": "5", "max_tokens": 64.0, "stop_sequences": "END\n\\n\\nQ:",
                             "tools": "", "thinking": "off", "thinking_budget": None})
    assert (s.temperature, s.top_k, s.max_tokens, s.stop_sequences, s.tools) == (None, 5, 64, ("END", "\n\nQ:"), ())
    with pytest.raises(SettingsError, match=r"tools: not valid JSON \(line 1"):
        RunSettings.from_ui({"tools": "[{"})


def test_nested_json_is_refused_by_name_without_recursing() -> None:
    deep = '{"name": "t", "input_schema": ' + '{"a": ' * 2000 + "1" + "}" * 2000 + "}"
    with pytest.raises(SettingsError) as err:
        RunSettings.from_ui({"tools": "[" + deep + "]"})
    assert err.value.problems[0][0] == "tools" and "nests deeper than 64 levels" in err.value.problems[0][1]


def test_fit_clears_what_the_model_does_not_take_and_says_so() -> None:
    trap = RunSettings(model="claude-haiku-4-5", effort="low")  # Effort set on Sonnet 4.6, then Haiku 4.5 picked
    fitted, notes = trap.fit()
    assert fitted.effort == "" and notes == ["effort not sent: Claude Haiku 4.5 has no effort setting."]
    assert "effort" not in fitted.to_kwargs() and fitted.problems() == []
    opus = RunSettings(model="claude-opus-5-5", temperature=0.6, top_k=5)
    fitted, notes = opus.fit()
    assert (fitted.temperature, fitted.top_k) == (None, None) and len(notes) == 2
    with pytest.raises(SettingsError, match="temperature: Claude Opus 5.5 does not accept"):
        opus.fit(keep=["temperature"])  # a value this tab chose itself is refused, not dropped
    assert RunSettings(backend="anthropic", fault="overloaded").fit()[0].to_kwargs().get("headers") is None


def test_control_states_and_fit_follow_the_same_rule() -> None:
    for model in ("claude-opus-5-5", "claude-haiku-4-5", "claude-sonnet-4-6", "playground-tiny"):
        states = control_states(model)
        probe = RunSettings(model=model, temperature=0.5, top_p=None, top_k=3, effort="low")
        fitted, _ = probe.fit()
        assert (fitted.temperature is not None) == states["temperature"].enabled
        assert (fitted.top_k is not None) == states["top_k"].enabled
        assert bool(fitted.effort) == states["effort"].enabled


def test_problems_name_the_field_and_the_fix() -> None:
    s = RunSettings(model="claude-sonnet-4-6", temperature=0.5, top_p=0.5)
    assert s.problems() == [("top_p", "Claude Sonnet 4.6 rejects temperature and top_p together; "
                                      "set only one of them.")]
    assert RunSettings(cache="system").problems()[0][0] == "cache"


def test_settings_stored_by_earlier_versions_are_upgraded() -> None:
    old = {"model": "tiny", "temperature": 0.2, "stop": ["END"], "thinking": 2048, "max_tokens": 4000,
           "cache": {"on": "system", "type": "ephemeral", "ttl": "1h"}, "tools": ["get_weather"]}
    s = RunSettings.from_json(upgrade_json(old))
    assert (s.stop_sequences, s.thinking, s.thinking_budget, s.cache, s.cache_ttl, s.tools) == (
        ("END",), "budget", 2048, "system", "1h", ())


def test_a_share_link_carries_the_settings_but_never_where_they_go() -> None:
    s = EVERYTHING.replace(backend="openai", base_url="https://evil.example/v1")
    query = share.to_query(s, prompt="Hi", include_prompt=True)
    settings, prompt, problems, given = share.from_query(dict(parse_qsl(query)))
    assert problems == [] and prompt == "Hi"
    assert "base_url" not in query and "backend" not in query and "fault" not in query
    expected = EVERYTHING.replace(fault="", endless=False, redact_thinking=False)
    assert settings == expected and "tools" in given and "base_url" not in given
    _, _, problems, given = share.from_query({"temperature": "7", "top_k": "abc", "max_tokens": "-3"})
    assert problems == ["temperature: must be a number from 0 to 1, got 7; ignored.",
                        "top_k: expected a number, got 'abc'; ignored.",
                        "max_tokens: must be a whole number of at least 1, got -3; ignored."]
    assert given == set()


# -- one body for every path ---------------------------------------------------------------------------
BODY_SETTINGS = RunSettings(
    model="playground-tiny", system="You are terse.", temperature=0.7, top_p=0.9, top_k=40, max_tokens=300,
    stop_sequences=("END", "\n\nQ:"), effort="low", stream=False, tools=TOOLS, tool_choice="any",
    cache="system", cache_ttl="1h",
)
PROMPT = "What is the weather in Paris?"


@pytest.fixture
def backends():
    b = Backends(Config(emulator_tps=0))
    yield b
    b.close()


async def _runner_body(backends: Backends, settings: RunSettings, messages: list, runs: store.RunStore) -> dict:
    target = backends.target(settings.backend)
    runner = Runner(api_key=target.api_key, api_base=target.api_base, provider=target.provider, store=runs,
                    kind="rerun")
    from playground.tuning.runner import Job

    async for _ in runner.run([Job(0, settings, messages)]):
        pass
    result = runner.results[0]
    assert result.error is None, result.error
    return result.request_body


@pytest.mark.timeout(60)
async def test_playground_preset_link_rerun_compare_and_export_send_one_body(backends, tmp_path) -> None:
    runs = store.RunStore(tmp_path / "runs.sqlite3")
    session = Session()
    ui = BODY_SETTINGS.to_ui()
    updates = [u async for u in Handlers(backends).send(session, {"text": PROMPT, "files": []}, "",
                                                        *[ui[k] for k in FIELDS])]
    assert updates and session.last_run.status == "done", session.last_run.error_text
    playground = session.last_run.requests[-1].body

    presets = PresetStore(tmp_path / "presets.json")
    presets.save("p", BODY_SETTINGS)
    preset, problems = presets.preset("p")
    assert problems == []
    linked, _, problems, _ = share.from_query(dict(parse_qsl(share.to_query(BODY_SETTINGS))))
    assert problems == []
    exported, _ = export_body("settings", None, PROMPT, BODY_SETTINGS, None)
    jobs, notes = CompareHandlers.plan(1, PROMPT, BODY_SETTINGS, tuple(
        ui["stop_sequences"] if f == "stop" else ui[f] for f in COLUMN_FIELDS))
    compare = await _runner_body(backends, jobs[0].settings, jobs[0].messages, runs)

    run_id = runs.record(store.Run(kind="chat", backend="offline", model=BODY_SETTINGS.model_id,
                                   params=BODY_SETTINGS.to_json(), system=BODY_SETTINGS.system,
                                   messages=user_messages(PROMPT), request_body=playground))
    old = runs.get(run_id)
    before, after, rerun_notes = rerun_settings(
        old, BODY_SETTINGS, system=ui["system"], model=ui["model"], temperature=ui["temperature"],
        top_p=ui["top_p"], top_k=ui["top_k"], max_tokens=ui["max_tokens"], stop=ui["stop_sequences"])
    rerun = await _runner_body(backends, after, rerun_messages(old.messages, PROMPT), runs)

    bodies = {
        "preset": preset.to_body(user_messages(PROMPT)), "link": linked.to_body(user_messages(PROMPT)),
        "export": exported, "compare": compare, "rerun": rerun,
    }
    assert notes == [""] and rerun_notes == [] and before == after
    for name, body in bodies.items():
        assert body == playground, name
    assert playground["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert playground["tools"] == list(TOOLS) and playground["tool_choice"] == {"type": "any"}


def test_a_rerun_that_changes_only_temperature_lists_only_temperature(tmp_path) -> None:
    runs = store.RunStore(tmp_path / "runs.sqlite3")
    turns = [{"role": "user", "content": "weather in Paris and Rome?"},
             {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "get_weather", "input": {}},
                                               {"type": "tool_use", "id": "b", "name": "get_weather", "input": {}}]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "sunny"},
                                          {"type": "tool_result", "tool_use_id": "b", "content": "rain"}]}]
    rid = runs.record(store.Run(kind="chat", backend="offline", model="playground-tiny",
                                params=BODY_SETTINGS.to_json(), system=BODY_SETTINGS.system, messages=turns))
    old = runs.get(rid)
    ui = BODY_SETTINGS.to_ui()
    before, after, _ = rerun_settings(old, RunSettings(), system=ui["system"], model=ui["model"],
                                      temperature="0.2", top_p=ui["top_p"], top_k=ui["top_k"],
                                      max_tokens=ui["max_tokens"], stop=ui["stop_sequences"])
    assert after == before.replace(temperature=0.2)
    table = rerun_changes(before, after, "", "")
    rows = table.splitlines()[2:]
    assert len(rows) == 1 and rows[0].startswith("| **temperature** | 0.7 | **0.2**")
    assert rerun_messages(old.messages, "") == turns  # the tool results go again, unchanged
    assert restore_values(after)[0] == "playground-tiny"

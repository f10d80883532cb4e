"""Pathologically nested JSON (tools, schemas, messages) gets a message naming the field, never a
RecursionError; the app keeps working and the run is still saved."""

from __future__ import annotations

import json
from typing import Any

import pytest

from playground import catalog, store
from playground.backends import Backends
from playground.config import Config
from playground.errors import ParameterError
from playground.jsondepth import MAX_JSON_DEPTH, check_depth, depth, elide_deep, loads_checked, text_depth
from playground.providers import Anthropic
from playground.settings import FIELDS, RunSettings
from playground.tuning.record import record_turn
from playground.ui.handlers import Handlers
from playground.ui.runner import RunRequest, stream_run
from playground.ui.session import Session

DEFAULTS, SETTING_KEYS = RunSettings().to_ui(), FIELDS


def parse_tools(text: str) -> list:
    return [dict(t) for t in RunSettings.from_ui({"tools": text}).tools]


def _nested(levels: int) -> Any:
    value: Any = {"type": "string"}
    for _ in range(levels):
        value = {"type": "object", "properties": {"x": value}}
    return value


def test_depth_is_measured_without_recursion() -> None:
    deep: Any = 1
    for _ in range(100_000):
        deep = [deep]
    assert depth(deep) == 100_000 and depth({"a": [1, {"b": 2}]}) == 3 and depth("text") == 0
    assert text_depth('{"a": "[[[[", "b": [1, {"c": "\\"]]"}]}') == 3  # brackets inside strings do not count
    kept = elide_deep(deep, limit=3)
    assert kept == [[["<nested deeper than 3 levels: not kept>"]]]


def test_deep_tools_text_is_refused_by_name() -> None:
    deep = "[" * 50_000 + "]" * 50_000
    with pytest.raises(ParameterError, match=f"tools: nests deeper than {MAX_JSON_DEPTH} levels") as info:
        parse_tools(deep)
    assert info.value.param == "tools"
    with pytest.raises(ParameterError, match="^answer: nests deeper"):
        loads_checked(deep, "answer")
    schema = [{"name": "t", "input_schema": _nested(30)}]
    assert parse_tools(json.dumps(schema)) == schema  # an ordinary deep-ish schema still passes


@pytest.fixture(scope="module")
def handlers():
    backends = Backends(Config(emulator_tps=0))
    yield Handlers(backends)
    backends.close()


def _values(**overrides: object) -> list[object]:
    settings = {**DEFAULTS, "model": catalog.EMULATOR_MODEL, **overrides}
    return [settings[k] for k in SETTING_KEYS]


@pytest.mark.timeout(60)
async def test_the_playground_answers_deep_tools_and_keeps_working(handlers) -> None:
    session = Session()
    values = _values(tools="[" * 20_000 + "]" * 20_000)
    updates = [u async for u in handlers.send(session, "hi", "", *values)]
    assert session.exchanges == [] and all(u == {"__type__": "update"} for u in updates[-1])  # nothing sent
    from playground.ui.controls import field_problems

    said = field_problems(tuple(values))["tools"]  # said at the field, in words
    assert f"nests deeper than {MAX_JSON_DEPTH} levels" in said and "RecursionError" not in said
    updates = [u async for u in handlers.send(session, "and now?", "", *_values(max_tokens=10))]
    chat = [u[0] for u in updates if isinstance(u[0], list)][-1]
    assert "stop reason" in chat[-1]["content"]  # the session still works


@pytest.mark.timeout(60)
async def test_a_900_level_schema_is_refused_by_name_and_the_run_is_saved(emu: Any) -> None:
    tools = [{"name": "deep", "description": "x", "input_schema": _nested(900)}]
    messages = [{"role": "user", "content": "hi"}]
    kwargs = {"api_key": "sk-test-key", "api_base": emu.base_url + "/v1", "tools": tools, "max_tokens": 10}
    async for progress in stream_run(RunRequest(Anthropic, catalog.EMULATOR_MODEL, messages, kwargs)):
        view = progress.run
    assert view.status == "error" and "tools" in view.error_text and "nests deeper than" in view.error_text
    # RunSettings itself refuses such tools (test above), so the stored params carry the rest; the failed
    # request (deep tools included) is what the run record keeps
    settings = RunSettings(model=catalog.EMULATOR_MODEL, max_tokens=10)
    run_id = record_turn(view, messages, settings, api_key="sk-test-key", owner="deep")
    assert run_id is not None
    run = store.get_store().get(run_id)
    assert run is not None and "nests deeper than" in (run.error or "")


def test_the_store_keeps_a_run_with_deep_values(tmp_path) -> None:
    runs = store.RunStore(tmp_path / "h.db", limits=store.StoreLimits())
    deep: Any = "leaf"
    for _ in range(5_000):
        deep = {"k": [deep]}
    run_id = runs.record(store.Run(model="m", messages=[{"role": "user", "content": [deep]}],
                                   request_body={"model": "m", "tools": [deep]}, output="ok"))
    got = runs.get(run_id)
    assert got is not None and got.output == "ok"
    assert "nested deeper than" in json.dumps(got.messages) and depth(got.request_body) <= MAX_JSON_DEPTH
    check_depth(got.messages, "messages")  # what is stored can be loaded and reused

"""Presets follow the history scope: on a hosted Space (history per session) one visitor's presets
appear nowhere another can see them (the list, loading, deleting, error messages, the page's
/config); locally (shared scope) every session sees the same presets."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from playground import catalog
from playground.settings import FIELDS, RunSettings
from playground.tuning.presets import PresetStore
from playground.ui.session import Session
from playground.ui.tuning.export import PresetHandlers

DEFAULTS, SETTING_KEYS = RunSettings().to_ui(), FIELDS

SECRET_SYSTEM = "alice's confidential system prompt"


def _values(**overrides: object) -> list[object]:
    settings = {**DEFAULTS, "model": catalog.EMULATOR_MODEL, **overrides}
    return [settings[k] for k in SETTING_KEYS]


def _restored(values: list[Any]) -> str:
    return json.dumps(values, default=str)


@pytest.fixture
def handlers(tmp_path, monkeypatch) -> PresetHandlers:
    monkeypatch.setenv("PLAYGROUND_HISTORY_SCOPE", "session")
    return PresetHandlers(PresetStore(tmp_path / "presets.json"))


def _warned(call: Any, *args: Any) -> tuple[Any, str]:
    with warnings.catch_warnings(record=True) as caught:  # gr.Warning outside a request is a UserWarning
        warnings.simplefilter("always")
        result = call(*args)
    return result, " ".join(str(w.message) for w in caught)


def test_two_hosted_sessions_never_see_each_others_presets(handlers: PresetHandlers) -> None:
    alice, bob = Session(), Session()
    handlers.save("alice-plan", alice, *_values(system=SECRET_SYSTEM, temperature=0.3))
    assert handlers.presets.names(None) == []  # nothing in the shared list either
    assert handlers.save("bob-plan", bob, *_values())["choices"] == ["bob-plan"]

    assert handlers.initial_choices() == []  # what /config would carry for every visitor
    loaded, warning = _warned(handlers.load, "alice-plan", bob)
    assert SECRET_SYSTEM not in _restored(loaded)
    assert "no preset named 'alice-plan'" in warning and "saved presets: bob-plan." in warning
    assert "alice" not in warning.replace("'alice-plan'", "")  # only the name bob typed, nothing of alice's

    update = handlers.delete("alice-plan", bob)
    assert update["choices"] == ["bob-plan"]
    assert SECRET_SYSTEM in _restored(handlers.load("alice-plan", alice))  # bob's delete did not reach it
    assert handlers.presets.names("\0no-owner") == []  # a session that lost its id sees nothing


def test_locally_every_session_shares_the_presets(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PLAYGROUND_HISTORY_SCOPE", "shared")
    handlers = PresetHandlers(PresetStore(tmp_path / "presets.json"))
    alice, bob = Session(), Session()
    handlers.save("team", alice, *_values(system="shared prompt"))
    assert handlers.initial_choices() == ["team"]
    assert "shared prompt" in _restored(handlers.load("team", bob))
    handlers.delete("team", bob)
    assert handlers.presets.names() == []


def test_an_older_presets_file_still_reads_as_the_shared_presets(tmp_path) -> None:
    path = tmp_path / "presets.json"
    path.write_text(json.dumps({"old": {"model": catalog.EMULATOR_MODEL, "temperature": 0.5}}))
    presets = PresetStore(path)
    assert presets.names() == ["old"] and presets.load("old").temperature == 0.5
    assert presets.names("someone") == []


def test_the_hosted_page_config_lists_no_presets(tmp_path) -> None:
    from test_ui_app import NoEmulator  # the app without starting an emulator

    from playground.backends import Backends
    from playground.config import Config
    from playground.ui.app import build_app

    path = tmp_path / "presets.json"
    PresetStore(path).save("visible-name", RunSettings(model=catalog.EMULATOR_MODEL))

    def page(scope: str) -> dict[str, Any]:  # the app reads its Config (installed by build_app), not the env
        config = Config(history_scope=scope, presets_path=path)
        return build_app(Backends(config, start_offline=lambda **_: NoEmulator())).get_config_file()

    config = page("session")
    assert "visible-name" not in json.dumps(config, default=str)
    config = page("shared")
    assert "visible-name" in json.dumps(config, default=str)  # the same check can see a name

"""The Blocks layout: pinned elem_ids, Playground tab first, the /chat endpoint, deliberate limits."""

from __future__ import annotations

import pytest

from playground import catalog
from playground import config as app_config
from playground.backends import Backends
from playground.config import Config
from playground.ui.app import build_app, launch_options

PINNED = ("prompt", "send", "stop", "chat", "model", "system", "temperature", "top_p", "top_k", "max_tokens",
          "stop_sequences", "api_key", "inspector", "usage", "headers")


class NoEmulator:
    api_base = "http://127.0.0.1:9/v1"

    def stop(self) -> None:
        pass


@pytest.fixture(scope="module")
def config() -> dict:
    return build_app(Backends(Config(), start_offline=lambda **_: NoEmulator())).get_config_file()


def test_pinned_elem_ids_exist_once(config) -> None:
    ids = [c["props"].get("elem_id") for c in config["components"]]
    for elem_id in PINNED:
        assert ids.count(elem_id) == 1, elem_id


def test_playground_tab_comes_first_and_chat_is_inert(config) -> None:
    tabs = [c for c in config["components"] if c["type"] == "tabitem"]
    assert tabs[0]["props"]["label"] == "Playground"
    chat = next(c for c in config["components"] if c["props"].get("elem_id") == "chat")
    assert chat["props"]["sanitize_html"] is True and chat["props"]["allow_tags"] is False


def test_only_the_chat_endpoint_is_public(config) -> None:
    public = [d["api_name"] for d in config["dependencies"] if d.get("api_visibility", "public") == "public"
              and d.get("api_name")]
    assert public == ["chat"], public


def test_launch_options() -> None:
    options = launch_options()
    assert options["run_history"] is False  # it would keep inputs, the key too, in browser storage
    assert "img-src 'self' data: blob:" in options["head"]


def _component(config: dict, elem_id: str) -> dict:
    return next(c for c in config["components"] if c["props"].get("elem_id") == elem_id)


def test_the_configuration_passed_in_decides_the_default_backend_and_is_the_processes() -> None:
    with_key = Config(anthropic_api_key="sk-ant-server-0000", spend_cap_usd=2.5)
    page = build_app(Backends(with_key, start_offline=lambda **_: NoEmulator())).get_config_file()
    backend = _component(page, "backend")["props"]
    assert backend["value"] == "anthropic"
    assert [choice[1] for choice in backend["choices"]] == ["offline", "anthropic", "openai"]
    assert _component(page, "model")["props"]["value"] == catalog.DEFAULT_MODEL
    assert app_config.current() is with_key  # the store and presets read this one, not the environment
    offline = build_app(Backends(Config(), start_offline=lambda **_: NoEmulator())).get_config_file()
    assert _component(offline, "backend")["props"]["value"] == "offline"
    assert _component(offline, "model")["props"]["value"] == catalog.EMULATOR_MODEL


def test_streaming_status_updates_touch_few_components(config) -> None:
    # Gradio's page, on each status message (one per streamed update), revisits every component that ever was a
    # progress target of an event, accordions with all they contain: the send shows progress on the chat only,
    # and what runs with it (field checks, the inspector after the run) or summarizes the settings sections
    # names one small component.
    by_id = {c["id"]: c for c in config["components"]}
    chat = next(c["id"] for c in config["components"] if c["props"].get("elem_id") == "chat")
    send = next(c["id"] for c in config["components"] if c["props"].get("elem_id") == "send")
    deps = config["dependencies"]
    chain = [d for d in deps if [send, "click"] in [list(t) for t in d["targets"]]]
    while more := [d for d in deps if d.get("trigger_after") in {c["id"] for c in chain} and d not in chain]:
        chain += more  # what a click on Send runs: read the boxes, the send itself, the inspector, the boxes again
    runs = [d for d in chain if d["queue"]]
    assert runs and all(d["show_progress_on"] == [chat] for d in runs)
    with_it = [d for d in chain if not d["queue"]]
    sections = [d for d in deps if d["outputs"] and all(by_id[o]["type"] == "accordion" for o in d["outputs"])]
    assert len(with_it) >= 2 and sections
    for dep in with_it + sections:
        targets = dep["show_progress_on"] or dep["outputs"]
        assert len(targets) == 1 and by_id[targets[0]]["type"] not in ("accordion", "column", "row", "group"), dep

"""The Blocks layout: pinned elem_ids, Playground tab first, the /chat endpoint, deliberate limits."""

from __future__ import annotations

import pytest

from playground import catalog
from playground import config as app_config
from playground.backends import Backends
from playground.config import Config
from playground.ui import progress
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


def test_status_messages_touch_one_hidden_component(config) -> None:
    # Gradio's page, on each status message (one per streamed update, a few per event), revisits every component
    # that ever was a progress target of an event that ran: it finds it in the layout tree and copies its value.
    # Every event names the one hidden sink instead (no indicator), except the few small outputs of an API call
    # that keep Gradio's (ui.progress.SHOWN_ON): never the chat, the inspector or a settings box.
    by_id = {c["id"]: c for c in config["components"]}
    sink = next(c for c in config["components"] if c["props"].get("elem_id") == "progress_sink")
    assert sink["props"]["visible"] is False
    kept = set()
    for dep in config["dependencies"]:
        targets = dep["show_progress_on"] or dep["outputs"]
        if targets == [sink["id"]]:
            assert dep["show_progress"] == "hidden", dep
            continue
        names = {by_id[t]["props"].get("elem_id") for t in targets}
        assert names <= progress.SHOWN_ON, (names, dep)
        kept |= names
    assert kept == {"model", "token_count"}  # the model list and the token count still show theirs
    chat = next(c["id"] for c in config["components"] if c["props"].get("elem_id") == "chat")
    assert not any(chat in (d["show_progress_on"] or d["outputs"]) for d in config["dependencies"])
    # the sink is found first in the page's walk of the layout tree
    assert config["layout"]["children"][0]["id"] == sink["id"]

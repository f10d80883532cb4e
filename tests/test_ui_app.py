"""The Blocks layout: pinned elem_ids, Playground tab first, the /chat endpoint, deliberate limits."""

from __future__ import annotations

import pytest

from playground.ui.app import DEFAULT_CONCURRENCY, build_app, concurrency_limit, launch_options
from playground.ui.backends import Backends

PINNED = ("prompt", "send", "stop", "chat", "model", "system", "temperature", "top_p", "top_k", "max_tokens",
          "stop_sequences", "api_key", "inspector", "usage", "headers")


class NoEmulator:
    api_base = "http://127.0.0.1:9/v1"

    def stop(self) -> None:
        pass


@pytest.fixture(scope="module")
def config() -> dict:
    return build_app(Backends(None, {}, lambda **_: NoEmulator())).get_config_file()


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


def test_launch_options_and_limits(monkeypatch) -> None:
    options = launch_options()
    assert options["run_history"] is False  # it would keep inputs, the key too, in browser storage
    assert "img-src 'self' data: blob:" in options["head"]
    monkeypatch.delenv("PLAYGROUND_CONCURRENCY", raising=False)
    assert concurrency_limit() == DEFAULT_CONCURRENCY
    monkeypatch.setenv("PLAYGROUND_CONCURRENCY", "4")
    assert concurrency_limit() == 4
    monkeypatch.setenv("PLAYGROUND_CONCURRENCY", "many")
    assert concurrency_limit() == DEFAULT_CONCURRENCY

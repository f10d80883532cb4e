"""What the Playground tab shares with other tabs (the tuning tabs build on it).

    def build_tuning_tabs(ctx: UIContext) -> None:
        with gr.Tab("Compare"):
            out = gr.Markdown()
            btn = gr.Button("Run")
            btn.click(my_fn, inputs=[ctx.api_key, *ctx.settings_inputs], outputs=out)

        async def my_fn(api_key, *values):
            settings = read_settings(values)         # playground.settings.RunSettings
            target = ctx.backends.target(settings.backend, api_key, settings.base_url)
            ...  # RunRequest + stream_run (playground.ui.runner)

Pass ``ctx.api_key`` as an input and use its value only for the call: never store, log or show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from playground.backends import Backends
from playground.config import Config
from playground.settings import FIELDS, RunSettings


def read_settings(values: Sequence[Any]) -> RunSettings:
    """Values of ``UIContext.settings_inputs`` (the Playground's controls, in ``FIELDS`` order) -> settings.
    Raises SettingsError naming each field it cannot take."""
    if len(values) != len(FIELDS):
        raise ValueError(f"expected {len(FIELDS)} setting values, got {len(values)}")
    return RunSettings.from_ui(dict(zip(FIELDS, values, strict=True)))


@dataclass
class UIContext:
    """Components and helpers of the Playground tab, for other tabs to reuse."""

    backends: Backends
    backend: Any  # gr.Dropdown: offline | anthropic | openai (also in ``settings``)
    api_key: Any  # gr.Textbox(type="password"): the session's key, sent with each event, never stored
    model: Any  # gr.Dropdown (custom values allowed; also in ``settings``)
    settings: dict[str, Any] = field(default_factory=dict)  # FIELDS -> component
    session: Any = None  # gr.State holding playground.ui.session.Session (the chat's conversation)
    # Page-load handlers other tabs add (kwargs for ``.then``): run after the Playground's own load
    # (the model-list refresh), so a setting they restore is not overwritten by it.
    after_load: list[dict[str, Any]] = field(default_factory=list)
    prompt: Any = None  # gr.MultimodalTextbox: the chat's message box (a share link may fill it)
    chatbot: Any = None  # gr.Chatbot: the chat (History's "Copy to the Playground" loads a conversation)
    notice: Any = None  # gr.Markdown under the chat: what a share link could not restore, where it opens

    @property
    def config(self) -> Config:
        """The app's configuration (read once at start-up)."""
        return self.backends.config

    @property
    def settings_inputs(self) -> list[Any]:
        """The settings components, in ``FIELDS`` order (use as event inputs; read with :func:`read_settings`)."""
        return [self.settings[k] for k in FIELDS]

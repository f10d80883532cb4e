"""What the Playground tab shares with other tabs (the tuning tabs build on it).

    def build_tuning_tabs(ctx: UIContext) -> None:
        with gr.Tab("Compare"):
            out = gr.Markdown()
            btn = gr.Button("Run")
            btn.click(my_fn, inputs=[ctx.backend, ctx.api_key, *ctx.settings_inputs], outputs=out)

        async def my_fn(backend, api_key, *values):
            settings = ctx.collect(*values)          # dict keyed by SETTING_KEYS
            kwargs = to_provider_kwargs(settings)    # playground.ui.settings
            target = ctx.backends.target(settings["backend"], api_key, settings["base_url"])
            ...  # RunRequest + stream_run (playground.ui.runner)

Pass ``ctx.api_key`` as an input and use its value only for the call: never store, log or show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playground.backends import Backends
from playground.config import Config
from playground.ui.settings import SETTING_KEYS


@dataclass
class UIContext:
    """Components and helpers of the Playground tab, for other tabs to reuse."""

    backends: Backends
    backend: Any  # gr.Dropdown: offline | anthropic | openai (also in ``settings``)
    api_key: Any  # gr.Textbox(type="password"): the session's key, sent with each event, never stored
    model: Any  # gr.Dropdown (custom values allowed; also in ``settings``)
    settings: dict[str, Any] = field(default_factory=dict)  # SETTING_KEYS -> component
    session: Any = None  # gr.State holding playground.ui.session.Session (the chat's conversation)
    # Page-load handlers other tabs add (kwargs for ``.then``): run after the Playground's own load
    # (the model-list refresh), so a setting they restore is not overwritten by it.
    after_load: list[dict[str, Any]] = field(default_factory=list)
    prompt: Any = None  # gr.MultimodalTextbox: the chat's message box (a share link may fill it)

    @property
    def config(self) -> Config:
        """The app's configuration (read once at start-up)."""
        return self.backends.config

    @property
    def settings_inputs(self) -> list[Any]:
        """The settings components, in ``SETTING_KEYS`` order (use as event inputs)."""
        return [self.settings[k] for k in SETTING_KEYS]

    @staticmethod
    def collect(*values: Any) -> dict[str, Any]:
        """Values of ``settings_inputs`` (same order) -> the settings dict."""
        if len(values) != len(SETTING_KEYS):
            raise ValueError(f"expected {len(SETTING_KEYS)} setting values, got {len(values)}")
        return dict(zip(SETTING_KEYS, values, strict=True))

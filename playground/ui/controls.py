"""The Playground's settings controls that follow each other: what a model accepts (controls enabled
or disabled, with the reason), thinking's budget against max_tokens, and the pre-send check of a
combination the model would reject. Pure functions of component values -> component updates.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from playground import catalog
from playground.errors import PlaygroundError
from playground.ui.settings import DEFAULTS, SETTING_KEYS, THINKING_MODES, to_provider_kwargs, validation_kwargs

SAMPLING_HINT = "Blank = the model's default (not sent)."


def model_controls(model: str | None, thinking: str | None = "off") -> tuple[Any, ...]:
    """For ``model``: temperature, top_p, top_k, thinking and effort updates, plus the sampling note
    (enabled or disabled, and why)."""
    info = catalog.get(model)
    if info is None:
        enabled = gr.update(interactive=True)
        note = f"Unknown model: parameters are not checked before sending. {SAMPLING_HINT}"
        return (enabled, enabled, enabled, gr.update(choices=list(THINKING_MODES)), enabled, note)
    policy = info.sampling
    if policy in (catalog.SamplingPolicy.NONE, catalog.SamplingPolicy.DEFAULTS_ONLY):
        temp = top_p = top_k = gr.update(interactive=False, value="")
        note = (f"{info.display_name} does not accept temperature, top_p or top_k." if policy ==
                catalog.SamplingPolicy.NONE else f"{info.display_name} accepts only the default sampling values.")
    else:
        temp = top_p = top_k = gr.update(interactive=True)
        note = SAMPLING_HINT + (" Set temperature or top_p, not both." if policy ==
                                catalog.SamplingPolicy.EITHER_ONE else "")
    modes = ["off"] + (["budget"] if "enabled" in info.thinking_modes else []) + (
        ["adaptive"] if "adaptive" in info.thinking_modes else [])
    thinking_info = "This model always thinks; off = let it decide." if info.always_thinks else None
    effort = gr.update(interactive=bool(info.efforts),
                       info=None if info.efforts else f"{info.display_name} has no effort setting.")
    mode = thinking if thinking in modes else "off"
    return temp, top_p, top_k, gr.update(choices=modes, value=mode, info=thinking_info), effort, note


def max_tokens_for_thinking(thinking: str | None, budget: Any, max_tokens: Any, model: str | None) -> Any:
    """When the user picks budget thinking and ``max_tokens`` is not above the budget (the API requires
    ``budget_tokens < max_tokens``), raise it to the budget plus the default answer room, within the
    model's output limit, so the next Send works. Anything else is left alone (skip)."""
    try:
        budget, max_tokens = int(budget), int(max_tokens)
    except (TypeError, ValueError):
        return gr.skip()  # a blank box: the settings check says what to fix
    if thinking != "budget" or max_tokens > budget:
        return gr.skip()
    wanted = budget + DEFAULTS["max_tokens"]
    info = catalog.get(model)
    if info is not None:
        wanted = min(wanted, info.max_output)
    return gr.update(value=wanted) if wanted > max_tokens else gr.skip()


def settings_problems(*values: Any) -> str:
    """Markdown listing what the chosen model would reject, with the fix (empty when fine)."""
    settings = dict(zip(SETTING_KEYS, values, strict=True))
    try:
        kwargs = to_provider_kwargs(settings)
    except PlaygroundError as exc:
        return f"**Check:** {exc}"
    try:
        from playground.params import problems
    except ImportError:  # the provider's checks are not installed: the API will say it instead
        return ""
    found = problems(catalog.resolve(settings["model"]), **validation_kwargs(kwargs))
    return "\n".join(f"- **Check:** {p}" for p in found)

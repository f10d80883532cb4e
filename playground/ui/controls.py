"""The Playground's settings controls that follow each other: what a model accepts (controls enabled
or disabled, with the reason), thinking's budget against max_tokens, and the pre-send check of a
combination the model would reject. Pure functions of component values -> component updates; the
rules themselves are :func:`playground.settings.control_states` and :meth:`RunSettings.problems`,
the same ones every tab and every run apply.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from playground import catalog
from playground.errors import PlaygroundError
from playground.settings import (
    DEFAULT_API_VERSION,
    SAMPLING,
    THINKING_MODES,
    RunSettings,
    SettingsError,
    control_states,
)
from playground.ui.context import read_settings

CHECK_LINE = ""  # field_checks' key for the check line in ``Session.checks_shown`` (no field has this name)
STOP_INFO = "One per line; \\n and \\t inside a line mean newline and tab."
# The boxes that show their own problem under them (``info``), with what they show when fine
# ("" rather than None: Gradio drops None from an update, which would leave the old message up).
FIELD_INFO: dict[str, str] = {"temperature": "", "top_p": "", "top_k": "", "max_tokens": "", "thinking_budget": "",
                              "stop_sequences": STOP_INFO, "tool_choice": "", "cache_ttl": ""}
SAMPLING_HINT = "Blank = the model's default (not sent)."
EFFORT_HINT = "Sent as output_config.effort; default = not sent."


def model_controls(model: str | None, thinking: str | None = "off", temperature: Any = "", top_p: Any = "",
                   top_k: Any = "", effort: str | None = "", api_version: str | None = None) -> tuple[Any, ...]:
    """For ``model`` (under ``api_version``): temperature, top_p, top_k, thinking and effort updates, plus the
    sampling note. A control the model does not take is disabled with the reason and its value cleared (so
    nothing hidden is sent); the note says what was cleared."""
    states = control_states(catalog.resolve(model or None) if model else None, api_version or DEFAULT_API_VERSION)
    info = catalog.get(model) if model else None
    current = {"temperature": temperature, "top_p": top_p, "top_k": top_k, "effort": effort}
    cleared: list[str] = []
    updates: dict[str, Any] = {}
    for name in (*SAMPLING, "effort"):
        state = states[name]
        if state.enabled:
            hint = EFFORT_HINT if name == "effort" else None
            updates[name] = gr.update(interactive=True, **({"info": hint} if hint else {}))
        else:
            if str(current[name] or "").strip():
                cleared.append(name)
            updates[name] = gr.update(interactive=False, value="", **({"info": state.reason} if name == "effort"
                                                                      else {}))
    modes = [m for m in THINKING_MODES if m == "off" or states[f"thinking:{m}"].enabled]
    mode = thinking if thinking in modes else "off"
    if thinking not in (None, "", "off") and mode == "off":
        cleared.append(f"{thinking} thinking")
    thinking_info = "This model always thinks; off = let it decide." if info and info.always_thinks else None
    if not states["temperature"].enabled:
        note = states["temperature"].reason
    elif info is None:
        note = (f"Unknown model: parameters are not checked before sending. {SAMPLING_HINT}" if model
                else SAMPLING_HINT)
    else:
        note = SAMPLING_HINT + (" Set temperature or top_p, not both." if info.sampling ==
                                catalog.SamplingPolicy.EITHER_ONE else "")
    if cleared:
        name = info.display_name if info else model
        note += f" Cleared for {name}: {', '.join(cleared)} (not taken here)."
    return (updates["temperature"], updates["top_p"], updates["top_k"],
            gr.update(choices=modes, value=mode, info=thinking_info), updates["effort"], note)


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
    wanted = budget + RunSettings().max_tokens
    info = catalog.get(model)
    if info is not None:
        wanted = min(wanted, info.max_output)
    return gr.update(value=wanted) if wanted > max_tokens else gr.skip()


def check_lines(settings: RunSettings) -> list[str]:
    """What the pre-send check says for ``settings``: each problem the model would refuse (with the fix),
    then each value left out of the request because the model does not take it."""
    _, notes = settings.fit()
    return [f"{field}: {text}" for field, text in settings.problems()] + notes


def settings_problems(*values: Any) -> str:
    """Markdown for the check line beside Send: what would be refused or left out (empty when fine)."""
    try:
        settings = read_settings(values)
    except SettingsError as exc:
        return "\n".join(f"- **Check:** {field}: {text}" for field, text in exc.problems)
    except PlaygroundError as exc:
        return f"**Check:** {exc}"
    return "\n".join(f"- **Check:** {line}" for line in check_lines(settings))


def field_problems(values: tuple[Any, ...]) -> dict[str, str]:
    """Each field's first problem (what it cannot take, or what the model would refuse), by field name."""
    try:
        found = read_settings(values).problems()
    except SettingsError as exc:
        found = exc.problems
    except PlaygroundError:
        return {}
    out: dict[str, str] = {}
    for field, text in found:
        out.setdefault("thinking_budget" if field == "thinking" else field, text)  # the budget box says it
    return out


def field_checks(session: Any, *values: Any) -> tuple[Any, ...]:
    """The check line beside Send (:func:`settings_problems`), then an update per ``FIELD_INFO`` box:
    its problem shown under it and the box marked (class ``invalid``), or its usual note and no mark,
    so the message goes as soon as the value is fixed. Nothing else on the page changes.

    Only what differs from what this session's page shows (``session.checks_shown``) is sent: this runs
    on every settings change and every Send, and an update that sets a box's note is not free (Gradio
    builds a component for it)."""
    shown: dict[str, Any] = session.checks_shown
    check = settings_problems(*values)
    out: list[Any] = [gr.skip() if shown.get(CHECK_LINE) == check else check]
    shown[CHECK_LINE] = check
    problems = field_problems(values)
    for name, info in FIELD_INFO.items():
        mark = (problems.get(name, info), name in problems)
        if shown.get(name, (info, False)) == mark:  # (the page opens with every box unmarked)
            out.append(gr.skip())
            continue
        shown[name] = mark
        out.append(gr.update(info=mark[0], elem_classes=["invalid"] if mark[1] else []))
    return tuple(out)

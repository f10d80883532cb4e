"""The "Prefill the reply" box: when it may be used, and why not otherwise.

A prefill is the start of the answer, sent as the final assistant message; the reply continues it
(``Session`` shows and sends back the two as one turn). The model rule is the catalog's
(``accepts_prefill``, checked by ``params.prefill_problem``, the same check the provider applies);
the API also refuses a prefill with thinking on (reference §1.3, §1.8), and an OpenAI-compatible
endpoint does not continue a final assistant message.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from playground import catalog
from playground.backends import get_backend
from playground.params import prefill_problem

LABEL = "Prefill the reply"
ALLOWED = "Sent as the final assistant message: the reply continues this text (trailing spaces are cut)."
THINKING = "Not with thinking on: the API refuses a prefill when thinking is enabled. Set Thinking to off."
NOT_MESSAGES_API = "Only on the Messages API backends: an OpenAI-compatible endpoint does not continue it."


def state(backend: str | None, model: str | None, thinking: str | None) -> tuple[bool, str]:
    """``(allowed, why)`` for the box under these settings."""
    try:
        row = get_backend(backend or "")
    except Exception:  # noqa: BLE001 - an unknown backend is the backend box's business
        row = None
    if row is not None and not row.messages_api:
        return False, NOT_MESSAGES_API
    problem = prefill_problem(model, [{"role": "assistant", "content": "…"}]) if model else None
    if problem:
        return False, problem.split(";")[0] + "."
    info = catalog.get(model) if model else None
    if (thinking or "off") != "off" or (info is not None and info.always_thinks):
        return False, THINKING
    return True, ALLOWED


def update(backend: str | None, model: str | None, thinking: str | None) -> Any:
    """The box for these settings: editable with its note, or disabled and emptied with the reason
    (so nothing hidden is sent)."""
    allowed, why = state(backend, model, thinking)
    if allowed:
        return gr.update(interactive=True, info=why)
    return gr.update(interactive=False, value="", info=why)


def build() -> Any:
    """The box (in a collapsed section under the message box)."""
    with gr.Accordion(LABEL, open=False, elem_id="prefill_section"):
        return gr.Textbox("", label=LABEL, show_label=False, lines=1, max_lines=6, elem_id="prefill",
                          placeholder="The start of the answer, e.g. {\"answer\": ", info=ALLOWED)

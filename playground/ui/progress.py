"""Where Gradio's progress indicator shows: on a short list of components, and nowhere else.

Why it matters for speed: Gradio's page, on every status message of any event (each streamed update
is one, and every event sends a few), revisits every component that was ever a progress target of an
event that ran: it searches the layout tree for it and copies its value (a container: everything in
it). An event's targets are its outputs unless ``show_progress_on`` names others, so after a share
link's restore (23 settings), a Clear (the chat and the inspector) and a few tuning-tab actions, every
streamed update of a reply copied the whole conversation, each inspector view and dozens of settings.
Measured (Chromium profile of a 10,000-delta reply): ~75 ms of the page's script time per Send.

So every event's status goes to one component that is never shown (the page keeps no value for it),
and Gradio's indicator stays only where a person waits on one small component for an API answer
(:data:`SHOWN_ON`). The Playground's chat says itself that a reply is coming ("…" until the first
words) and the tuning tabs write their own progress lines.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import gradio as gr

# elem_ids of the components that keep Gradio's indicator (an API call behind a single small output)
SHOWN_ON: frozenset[str] = frozenset({"model", "token_count"})


def sink() -> gr.HTML:
    """The component every other event's status goes to: never shown. Make it early in the layout
    (the page finds a target by walking the layout tree from the top)."""
    return gr.HTML("", visible=False, elem_id="progress_sink", padding=False)


def route(demo: gr.Blocks, to: Any, shown_on: Collection[str] = SHOWN_ON) -> None:
    """Point every event of ``demo`` at ``to`` with no indicator, except the events whose progress
    targets are all in ``shown_on`` (elem_ids), which keep theirs. Call once, after all the wiring."""
    for fn in demo.fns.values():
        targets = fn.show_progress_on or fn.outputs
        if fn.show_progress != "hidden" and targets and all(getattr(t, "elem_id", None) in shown_on for t in targets):
            continue
        fn.show_progress, fn.show_progress_on = "hidden", [to]

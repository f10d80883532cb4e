"""The tuning tabs: Compare, Sweep, Evaluate, History, Export / Share. ``build_app`` calls
``build_tuning_tabs(ctx)`` inside the top-level ``gr.Tabs``, after the Playground tab.

Every tab reuses the Playground's backend, key and settings (``ctx``): Compare and Sweep override
only what they vary. The logic lives in ``playground.tuning`` (pure, unit-tested); each module here
is one tab's layout plus thin handlers (``common`` holds what they share). Runs go through
:class:`playground.tuning.runner.Runner`, which stores each one in the run history (``playground.store``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from playground.tuning import cost
from playground.ui.context import UIContext
from playground.ui.session import Session

from .common import PRIVATE, RESTORED_KEYS
from .compare import compare_tab
from .evaluate import evaluate_tab
from .export import export_tab, restore_from_link
from .history import history_tab
from .sweep import sweep_tab


def build_tuning_tabs(ctx: UIContext) -> None:
    """Add the Compare, Sweep, Evaluate, History and Export / Share tabs (call inside the top-level ``gr.Tabs``)."""
    with gr.Tab("Compare", id="tuning_compare") as compare_page:
        # Session state lives inside a tab: a non-Tab child of gr.Tabs confuses its tab order.
        spend = gr.State(cost.SpendCap(ctx.config.spend_cap_usd))
        # The chat's Session carries the browser session's owner id: it keys the history these tabs
        # read and write and their live runners (a stand-alone build gets its own Session).
        session = ctx.session if ctx.session is not None else gr.State(Session())
        compare_prompt = compare_tab(ctx, spend, session, compare_page)
    with gr.Tab("Sweep", id="tuning_sweep") as sweep_page:
        sweep_tab(ctx, spend, session, sweep_page)
    with gr.Tab("Evaluate", id="tuning_evaluate") as evaluate_page:
        evaluate_tab(ctx, spend, session, evaluate_page)
    with gr.Tab("History", id="tuning_history") as history_page:
        history_tab(ctx, spend, history_page, session)
    with gr.Tab("Export / Share", id="tuning_export"):
        export = export_tab(ctx, session)
    targets = [ctx.settings[k] for k in RESTORED_KEYS] + [compare_prompt, export["prompt"], export["note"]]
    chat_box = getattr(ctx, "prompt", None)
    if chat_box is None:
        on_load(ctx, restore_from_link, targets)
        return

    notice = getattr(ctx, "notice", None)

    def restore_with_chat_box(request: gr.Request) -> list[Any]:
        values = restore_from_link(request)
        text, note = values[-3], values[-1]  # the shared prompt (or a skip), and what was restored or refused
        box = {"text": text, "files": []} if isinstance(text, str) else gr.skip()
        if notice is None:
            return [*values, box]
        if isinstance(note, str) and "Ignored:" in note:  # said where the link opens, not only on Export
            gr.Warning(note)
        return [*values, box, note]

    on_load(ctx, restore_with_chat_box, [*targets, chat_box, *([notice] if notice is not None else [])])


def on_load(ctx: UIContext, fn: Callable[..., Any], outputs: list[Any]) -> None:
    """Run ``fn`` when the page loads, after the Playground's own load handlers when the context
    offers that hook (so its model-list refresh does not overwrite restored settings)."""
    hooks = getattr(ctx, "after_load", None)
    if isinstance(hooks, list):
        hooks.append({"fn": fn, "inputs": None, "outputs": outputs, **PRIVATE})
        return
    from gradio.context import get_blocks_context

    blocks = get_blocks_context()
    if blocks is not None:
        blocks.root_block.load(fn, None, outputs, **PRIVATE)

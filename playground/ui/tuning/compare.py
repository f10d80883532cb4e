"""The Compare tab: one prompt, 2-4 configurations streaming side by side, each with its own Stop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import gradio as gr

from playground import catalog
from playground.errors import PlaygroundError
from playground.settings import RunSettings, SettingsError
from playground.tuning import cost
from playground.tuning.runner import Job, Runner, paced, user_messages
from playground.ui.context import UIContext, read_settings
from playground.ui.render import RENDER_INTERVAL

from .common import (
    PRIVATE,
    RUNNERS,
    checked,
    history_store,
    inherited_summary,
    sampling_updates,
    session_key,
    stats_line,
    target_for,
    tuning_runner,
    with_overrides,
)

MAX_COLUMNS = 4
COLUMN_FIELDS = ("model", "temperature", "top_p", "top_k", "max_tokens", "stop")
COLUMN_SETTINGS = ("model", "temperature", "top_p", "top_k", "max_tokens", "stop_sequences")  # what a column sets


def show_inherited(*values: Any) -> str:
    """The ``compare_inherits`` line: what every column takes from the Playground."""
    try:
        return inherited_summary(read_settings(values), COLUMN_SETTINGS)
    except SettingsError as exc:
        return f"⚠️ Playground settings: {exc}"


def compare_tab(ctx: UIContext, spend: gr.State, session: gr.State, tab: Any = None) -> Any:
    """Lay out the Compare tab and wire it (inside a ``gr.Tab``; ``tab``: it, to refresh what the columns
    inherit whenever it opens); returns its prompt box."""
    gr.Markdown("Send one prompt to 2–4 configurations at once. Everything but the columns' own boxes comes "
                "from the Playground tab; blank sampling boxes are not sent.")
    inherits = gr.Markdown("", elem_id="compare_inherits")
    if tab is not None:
        tab.select(show_inherited, ctx.settings_inputs, inherits, queue=False, **PRIVATE)
    prompt = gr.Textbox(label="Prompt", lines=3, elem_id="compare_prompt")
    with gr.Row():
        n_cols = gr.Radio([2, 3, 4], value=2, label="Columns", elem_id="compare_n")
        run_btn = gr.Button("Run all", variant="primary", elem_id="compare_run")
        # the Stop buttons are enabled only while their run goes on
        stop_all = gr.Button("Stop all", variant="stop", interactive=False, elem_id="compare_stop_all")
    status = gr.Markdown("", elem_id="compare_status")
    cols: list[dict[str, Any]] = []
    with gr.Row(equal_height=False):
        for i in range(MAX_COLUMNS):
            with gr.Column(visible=i < 2, min_width=240) as box:
                c: dict[str, Any] = {"box": box}
                c["model"] = gr.Dropdown([catalog.EMULATOR_MODEL, *[m.id for m in catalog.MODELS]],
                                         value=catalog.EMULATOR_MODEL, allow_custom_value=True,
                                         label=f"Model {i + 1}", elem_id=f"cmp{i}_model")
                with gr.Row():
                    c["temperature"] = gr.Textbox(["0.2", "1", "0.6", ""][i], label="temperature",
                                                  elem_id=f"cmp{i}_temperature", placeholder="default")
                    c["top_p"] = gr.Textbox("", label="top_p", elem_id=f"cmp{i}_top_p", placeholder="default")
                with gr.Row():
                    c["top_k"] = gr.Textbox("", label="top_k", elem_id=f"cmp{i}_top_k", placeholder="default")
                    c["max_tokens"] = gr.Number(256, label="max_tokens", precision=0,  # checked by plan(), in words
                                                elem_id=f"cmp{i}_max_tokens")
                c["stop"] = gr.Textbox("", label="Stop sequences (one per line)", lines=1,
                                       elem_id=f"cmp{i}_stop")
                c["output"] = gr.Textbox("", label="Output", lines=10, max_lines=20, interactive=False,
                                         elem_id=f"cmp{i}_output")
                c["stats"] = gr.Markdown("", elem_id=f"cmp{i}_stats")
                with gr.Row():
                    c["stop_btn"] = gr.Button("Stop", size="sm", interactive=False, elem_id=f"cmp{i}_stop_btn")
                    c["copy"] = gr.Button("Copy settings to chat", size="sm", elem_id=f"cmp{i}_copy")
                cols.append(c)

    n_cols.change(lambda n: [gr.update(visible=i < int(n)) for i in range(MAX_COLUMNS)], n_cols,
                  [c["box"] for c in cols], queue=False, **PRIVATE)
    handlers = CompareHandlers(ctx)
    column_inputs = [c[f] for c in cols for f in COLUMN_FIELDS]
    outputs = [status, *[c["output"] for c in cols], *[c["stats"] for c in cols], stop_all,
               *[c["stop_btn"] for c in cols]]
    run_btn.click(handlers.run, [n_cols, prompt, spend, session, ctx.api_key, *ctx.settings_inputs, *column_inputs],
                  outputs, **PRIVATE)
    stop_all.click(handlers.stopper(None), session, None, queue=False, **PRIVATE)
    restored = [ctx.settings[k] for k in ("model", "temperature", "top_p", "top_k", "max_tokens", "stop_sequences")]
    for i, c in enumerate(cols):
        c["stop_btn"].click(handlers.stopper(i), session, None, queue=False, **PRIVATE)
        # queued: a toast (gr.Info) from an unqueued event never reaches the browser
        c["copy"].click(copy_column, [c[f] for f in COLUMN_FIELDS], restored, **PRIVATE)
        # a model that takes no temperature/top_p/top_k: its boxes are disabled with the reason, and cleared
        c["model"].change(sampling_updates, c["model"], [c["temperature"], c["top_p"], c["top_k"]], queue=False,
                          **PRIVATE)
    return prompt


class CompareHandlers:
    """The Compare tab's handlers: plain methods, testable without a browser."""

    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx

    @staticmethod
    def plan(n: int, text: str, settings: RunSettings, col_values: tuple[Any, ...]) -> tuple[list[Job], list[str]]:
        """The jobs for ``n`` columns (the Playground's ``settings`` with each column's own values), and a
        note per column of what its model does not take. Raises PlaygroundError naming the column."""
        jobs, notes = [], []
        for i in range(n):
            model, temperature, top_p, top_k, max_tokens, stop = col_values[i * len(COLUMN_FIELDS):
                                                                            (i + 1) * len(COLUMN_FIELDS)]
            label = f"column {i + 1}"
            run = with_overrides(settings, label, model=(model or "").strip() or settings.model,
                                 temperature=temperature, top_p=top_p, top_k=top_k, max_tokens=max_tokens,
                                 stop_sequences=stop or "")
            run, left_out = checked(run, label)
            jobs.append(Job(i, run, user_messages(text), {"label": label}))
            notes.append("; ".join(left_out))
        return jobs, notes

    async def run(self, n: int, text: str, cap: cost.SpendCap, chat: Any, api_key: str,
                  *values: Any) -> AsyncIterator[list[Any]]:
        n = int(n)
        untouched = [gr.skip()] * (2 * MAX_COLUMNS + 1 + MAX_COLUMNS)  # everything but the status line
        if not (text or "").strip():
            yield ["⚠️ Type a prompt first.", *untouched]
            return
        key = session_key(chat, "compare")
        if key in RUNNERS:
            yield ["⚠️ A compare is already running: stop it first.", *untouched]
            return
        try:
            settings = read_settings(values[:len(values) - MAX_COLUMNS * len(COLUMN_FIELDS)])
            jobs, notes = self.plan(n, text, settings, values[len(values) - MAX_COLUMNS * len(COLUMN_FIELDS):])
            target = target_for(self.ctx, settings, api_key)
        except (SettingsError, PlaygroundError) as exc:
            yield [f"⚠️ {exc}", *untouched]
            return
        runner = tuning_runner(target, chat, kind="compare", concurrency=MAX_COLUMNS,
                               store=history_store(), spend_cap=cap)
        RUNNERS[key] = runner
        blank = [gr.update(value="") if i < n else gr.skip() for i in range(MAX_COLUMNS)]
        yield ["Running…", *blank, *blank, gr.update(interactive=True),
               *[gr.update(interactive=i < n) for i in range(MAX_COLUMNS)]]
        try:
            async for _ in paced(runner.run(jobs), RENDER_INTERVAL, flush_on_done=True):
                yield compare_view(runner, n, notes, done=False)
        finally:
            RUNNERS.pop(key, None)
        yield compare_view(runner, n, notes, done=True)

    @staticmethod
    def stopper(index: int | None) -> Callable[..., None]:
        """A Stop handler for one column (``None``: all of them)."""
        def stop(chat: Any) -> None:
            runner = RUNNERS.get(session_key(chat, "compare"))
            if runner is not None:
                runner.cancel(index)
        return stop


def copy_column(model: str, temperature: str, top_p: str, top_k: str, max_tokens: Any, stop: str
                ) -> tuple[Any, ...]:
    gr.Info("Settings copied to the Playground tab.")
    return (gr.update(value=catalog.resolve(model or None)), temperature or "", top_p or "", top_k or "",
            max_tokens, stop or "")


def compare_view(runner: Runner, n: int, notes: list[str], *, done: bool) -> list[Any]:
    results = [runner.results.get(i) for i in range(MAX_COLUMNS)]
    texts = [r.text if r is not None else gr.skip() for r in results]
    stats = [(stats_line(r) + (f"\n\nℹ️ {notes[i]}" if i < len(notes) and notes[i] else ""))
             if r is not None else gr.skip() for i, r in enumerate(results)]
    finished = [r for r in results[:n] if r is not None and r.done]
    cancelled = sum(1 for r in finished if r.cancelled)
    failed = sum(1 for r in finished if r.error and not r.cancelled)
    completed = len(finished) - cancelled - failed
    if done:
        status = f"{completed}/{n} columns finished" + (f", {cancelled} stopped" if cancelled else "") + (
            f", {failed} failed" if failed else "") + (" ✓" if completed == n else ".")
    else:
        status = f"{len(finished)}/{n} columns done…"
    running = [not done and i < n and (r is None or not r.done) for i, r in enumerate(results)]
    stops = [gr.update(interactive=not done), *[gr.update(interactive=on) for on in running]]
    return [status, *texts, *stats, *stops]

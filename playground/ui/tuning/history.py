"""The History tab: browse and search stored runs, replay one into the editor, rerun with changes."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr
import pandas as pd

from playground import catalog, store
from playground.errors import PlaygroundError
from playground.tuning import cost
from playground.tuning.diff import changes_markdown, word_diff
from playground.tuning.runner import Job, paced
from playground.ui.context import UIContext
from playground.ui.render import RENDER_INTERVAL

from .common import (
    PRIVATE,
    base_settings,
    blank,
    column_settings,
    history_store,
    load_run,
    missing_run,
    reader_owner,
    stats_line,
    stop_text,
    target_for,
    tuning_runner,
)

HISTORY_COLUMNS = ["id", "time", "kind", "model", "params", "output", "error"]


def history_rows(runs: list[store.Run]) -> pd.DataFrame:
    """Runs -> the History table."""
    rows = [[r.id, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.created_at)), r.kind, r.model,
             json.dumps(r.params, ensure_ascii=False), (r.output or "")[:100], (r.error or "")[:80]] for r in runs]
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def last_user_text(messages: list[Any]) -> str:
    """The text of the last user message (what the editor shows as the prompt)."""
    for msg in reversed(messages or []):
        if isinstance(msg, dict) and msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "\n".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _drop_omitted_media(messages: list[Any]) -> tuple[list[Any], int]:
    """Messages without the media blocks whose bytes the history did not keep (and how many were dropped)."""
    dropped = 0
    out = []
    for msg in messages:
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, list):
            kept = [b for b in content if not (isinstance(b, dict) and str(
                (b.get("source") or {}).get("data", "")).startswith("<omitted"))]
            dropped += len(content) - len(kept)
            msg = {**msg, "content": kept or ""}
        out.append(msg)
    return out, dropped


def history_notice() -> str:
    """The tab's header: whose runs it shows (session scope) and how long they last."""
    notice = store.ephemeral_notice()
    text = ("⚠️ " + notice) if notice else (f"Every run is kept in `{store.default_path()}` "
                                           "(set `PLAYGROUND_HISTORY_PATH` to move it). API keys are never stored.")
    scope = store.scope_notice()
    return f"**{scope}**\n\n{text}" if scope else text


def history_tab(ctx: UIContext, spend: gr.State, tab: gr.Tab, session: gr.State) -> None:
    """Lay out the History tab and wire it; ``tab`` is its ``gr.Tab`` (the list refreshes when it opens),
    ``session`` the chat's ``Session`` state (its owner id decides what is listed in ``session`` scope)."""
    gr.Markdown(history_notice(), elem_id="history_notice")
    with gr.Row():
        query = gr.Textbox(label="Search", placeholder="text in prompts, outputs, parameters…", elem_id="history_query")
        model_filter = gr.Dropdown([""], value="", label="Model", allow_custom_value=True, elem_id="history_model")
        refresh = gr.Button("Search / refresh", elem_id="history_refresh")
    table = gr.Dataframe(pd.DataFrame(columns=HISTORY_COLUMNS), interactive=False, wrap=True,
                         elem_id="history_table", label="Runs (newest first; click a row to open it)")
    with gr.Row():
        run_id = gr.Number(None, label="Run id", precision=0, elem_id="history_run_id")
        open_btn = gr.Button("Open", elem_id="history_open")
    detail = gr.Code("", language="json", label="Run", elem_id="history_detail", max_lines=25)
    gr.Markdown("### Replay and rerun with changes")
    with gr.Row():
        with gr.Column():
            e_prompt = gr.Textbox(label="Prompt", lines=3, elem_id="history_prompt")
            e_system = gr.Textbox(label="System prompt", lines=2, elem_id="history_system")
        with gr.Column():
            e_model = gr.Dropdown([catalog.EMULATOR_MODEL, *[m.id for m in catalog.MODELS]], allow_custom_value=True,
                                  label="Model", elem_id="history_edit_model")
            with gr.Row():
                e_temp = gr.Textbox("", label="temperature", elem_id="history_temperature", placeholder="default")
                e_top_p = gr.Textbox("", label="top_p", elem_id="history_top_p", placeholder="default")
                e_top_k = gr.Textbox("", label="top_k", elem_id="history_top_k", placeholder="default")
            with gr.Row():
                e_max = gr.Number(1024, label="max_tokens", precision=0, minimum=1, elem_id="history_max_tokens")
                e_stop = gr.Textbox("", label="Stop sequences (one per line)", elem_id="history_stop")
    with gr.Row():
        rerun_btn = gr.Button("Rerun with changes", variant="primary", elem_id="history_rerun")
        to_chat_btn = gr.Button("Copy to the Playground", elem_id="history_to_chat")
    rerun_status = gr.Markdown("", elem_id="history_rerun_status")
    changes = gr.Markdown("", elem_id="history_changes")
    with gr.Row():
        old_out = gr.Textbox(label="Before", lines=8, interactive=False, elem_id="history_old")
        new_out = gr.Textbox(label="After", lines=8, interactive=False, elem_id="history_new")
    diff = gr.HighlightedText(label="Word diff (− removed, + added)", combine_adjacent=True, show_legend=True,
                              color_map={"-": "red", "+": "green"}, elem_id="history_diff")
    editor = [e_prompt, e_system, e_model, e_temp, e_top_p, e_top_k, e_max, e_stop]

    def search(text: str, model: str, chat: Any) -> tuple[Any, Any]:
        runs_store = history_store()
        if runs_store is None:
            gr.Warning("History is unavailable (the data directory is not writable).")
            return gr.update(), gr.update()
        owner = reader_owner(chat)
        runs = runs_store.search(text or "", model=model or "", owner=owner, limit=200)
        return history_rows(runs), gr.update(choices=["", *runs_store.models(owner=owner)])

    listing = ([query, model_filter, session], [table, model_filter])
    refresh.click(search, *listing, **PRIVATE)
    tab.select(search, *listing, **PRIVATE)  # fresh list on every visit
    query.submit(search, *listing, **PRIVATE)

    def pick(evt: gr.SelectData, frame: pd.DataFrame) -> Any:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        try:
            return int(frame.iloc[int(row)]["id"])
        except (IndexError, KeyError, ValueError, TypeError):
            return gr.update()

    def open_run(rid: Any, chat: Any) -> list[Any]:
        run = load_run(rid, chat)
        if run is None:
            gr.Warning(missing_run(rid))
            return [f"// {missing_run(rid)}", *[gr.update()] * len(editor)]
        p = run.params
        shown = {k: v for k, v in run.__dict__.items() if k != "owner"}  # the owner id is a capability: never shown
        return [json.dumps(shown, indent=2, ensure_ascii=False, default=str),
                last_user_text(run.messages), run.system or "", run.model, blank(p.get("temperature")),
                blank(p.get("top_p")), blank(p.get("top_k")), p.get("max_tokens", 1024),
                stop_text(p.get("stop") or [])]

    table.select(pick, [table], run_id, **PRIVATE).then(open_run, [run_id, session], [detail, *editor], **PRIVATE)
    open_btn.click(open_run, [run_id, session], [detail, *editor], **PRIVATE)

    async def rerun(rid: Any, text: str, system: str, model: str, temp: str, top_p: str, top_k: str, max_tokens: Any,
                    stop: str, cap: cost.SpendCap, chat: Any, api_key: str, *values: Any
                    ) -> AsyncIterator[list[Any]]:
        old = load_run(rid, chat)
        if old is None:
            why = "Open a run first." if rid is None else missing_run(rid)
            yield [f"⚠️ {why}", gr.skip(), gr.skip(), gr.skip(), gr.skip()]
            return
        runs_store = history_store()
        settings = UIContext.collect(*values)
        try:
            base, extra = base_settings(settings)
            run = column_settings(base.with_values(system=system or "", thinking_budget=None, effort=None),
                                  model or old.model, temp, top_p, top_k, max_tokens, stop)
            target = target_for(ctx, settings, api_key)
        except PlaygroundError as exc:
            yield [f"⚠️ {exc}", gr.skip(), gr.skip(), gr.skip(), gr.skip()]
            return
        messages, dropped = _drop_omitted_media(list(old.messages[:-1]) if old.messages else [])
        messages.append({"role": "user", "content": text or last_user_text(old.messages)})
        runner = tuning_runner(target, chat, extra, kind="rerun", concurrency=1, store=runs_store, spend_cap=cap)
        note = f" ({dropped} media block(s) left out: history keeps no file bytes)" if dropped else ""
        yield [f"Rerunning run #{old.id}{note}…", changes_markdown(old.params, run.params()), old.output, "", []]
        job = Job(0, run, messages, {"parent_id": old.id, "label": f"rerun of #{old.id}"})
        async for _ in paced(runner.run([job]), RENDER_INTERVAL):
            yield [gr.skip(), gr.skip(), gr.skip(), runner.results[0].text, gr.skip()]
        result = runner.results[0]
        head = f"Run #{result.run_id} (rerun of #{old.id}){note}: " + stats_line(result)
        old_params = {**old.params, "model": old.model, "system": old.system or ""}
        new_params = {**run.params(), "model": run.model, "system": run.system}
        yield [head, changes_markdown(old_params, new_params), old.output, result.text,
               word_diff(old.output, result.text)]

    def to_chat(text: str, system: str, model: str, temp: str, top_p: str, top_k: str, max_tokens: Any, stop: str
                ) -> list[Any]:
        gr.Info("Settings and prompt copied to the Playground tab.")
        values = [model or gr.skip(), system or "", temp or "", top_p or "", top_k or "", max_tokens, stop or ""]
        return values + ([{"text": text or "", "files": []}] if chat_box is not None else [])

    chat_box = getattr(ctx, "prompt", None)
    targets = [ctx.settings[k] for k in ("model", "system", "temperature", "top_p", "top_k", "max_tokens",
                                         "stop_sequences")]
    to_chat_btn.click(to_chat, editor, targets + ([chat_box] if chat_box is not None else []), queue=False,
                      **PRIVATE)

    rerun_btn.click(rerun, [run_id, *editor, spend, session, ctx.api_key, *ctx.settings_inputs],
                    [rerun_status, changes, old_out, new_out, diff], **PRIVATE)

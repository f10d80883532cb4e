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
from playground.settings import RunSettings, SettingsError, number_text, stop_text, upgrade_json
from playground.tuning import cost
from playground.tuning.diff import changes_markdown, word_diff
from playground.tuning.runner import Job, paced
from playground.ui.context import UIContext, read_settings
from playground.ui.render import RENDER_INTERVAL

from .common import (
    PRIVATE,
    RESTORED_KEYS,
    checked,
    history_store,
    load_run,
    missing_run,
    reader_owner,
    restore_values,
    sampling_updates,
    stats_line,
    target_for,
    tuning_runner,
    with_overrides,
)

# The editor under "Replay and rerun with changes", in the order its handlers take it.
EDITOR_FIELDS = ("prompt", "system", "model", "temperature", "top_p", "top_k", "max_tokens", "stop")
HISTORY_COLUMNS = ["id", "time", "kind", "model", "params", "output", "error"]


def history_rows(runs: list[store.Run]) -> pd.DataFrame:
    """Runs -> the History table."""
    rows = [[r.id, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.created_at)), r.kind, r.model,
             json.dumps(params_shown(r), ensure_ascii=False), (r.output or "")[:100], (r.error or "")[:80]]
            for r in runs]
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def run_settings(run: store.Run) -> RunSettings:
    """The settings a stored run was made with (runs stored by earlier versions upgraded; a value no
    longer taken falls back to its default)."""
    data = {**upgrade_json(run.params), "model": run.model, "system": run.system or ""}
    return RunSettings.parse_json(data)[0]


def params_shown(run: store.Run) -> dict[str, Any]:
    """The History table's parameters column: what differs from the defaults, long fields summarised."""
    shown = {k: v for k, v in run_settings(run).changed().items() if k not in ("model", "system", "backend")}
    if "tools" in shown:
        shown["tools"] = [t.get("name") for t in shown["tools"]]
    return shown


def rerun_messages(messages: list[Any], prompt: str) -> list[Any]:
    """The conversation a rerun sends: the stored one, with the last user message's text replaced by
    ``prompt`` when it was edited. Its other blocks (tool results, images) are kept as they were."""
    messages = list(messages or [])
    if not messages or prompt == last_user_text(messages):
        return messages
    last = messages[-1]
    if not (isinstance(last, dict) and last.get("role") == "user"):
        return [*messages, {"role": "user", "content": prompt}]
    content = last.get("content")
    if isinstance(content, list):
        kept = [b for b in content if not (isinstance(b, dict) and b.get("type") == "text")]
        content = [*kept, {"type": "text", "text": prompt}] if prompt else kept
    else:
        content = prompt
    return [*messages[:-1], {**last, "content": content}]


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
    gr.Markdown("A rerun sends the stored run's own settings, tools and conversation with the changes below, "
                "to the Playground tab's backend (with its key).", elem_id="history_rerun_note")
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
                e_max = gr.Number(1024, label="max_tokens", precision=0, elem_id="history_max_tokens")  # checked in words
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

    handlers = HistoryHandlers(ctx)
    listing = ([query, model_filter, session], [table, model_filter])
    # "always_last": a search asked for while one is still running runs after it, with the box as it is then
    # (Gradio's default drops it, and the table would keep the older search's rows)
    refresh.click(handlers.search, *listing, trigger_mode="always_last", **PRIVATE)
    tab.select(handlers.search, *listing, trigger_mode="always_last", **PRIVATE)  # fresh list on every visit
    query.submit(handlers.search, *listing, trigger_mode="always_last", **PRIVATE)

    table.select(handlers.pick, [table], run_id, **PRIVATE).then(handlers.open_run, [run_id, session], [detail, *editor], **PRIVATE)
    open_btn.click(handlers.open_run, [run_id, session], [detail, *editor], **PRIVATE)

    chat_box = getattr(ctx, "prompt", None)
    to_chat_targets = [ctx.settings[k] for k in RESTORED_KEYS] + [ctx.chatbot or gr.State(), chat_box or gr.State()]
    to_chat_btn.click(handlers.to_chat, [run_id, *editor, session, *ctx.settings_inputs], to_chat_targets, **PRIVATE)
    e_model.change(sampling_updates, e_model, [e_temp, e_top_p, e_top_k], queue=False, **PRIVATE)

    rerun_btn.click(handlers.rerun, [run_id, *editor, spend, session, ctx.api_key, *ctx.settings_inputs],
                    [rerun_status, changes, old_out, new_out, diff], **PRIVATE)


class HistoryHandlers:
    """The History tab's handlers: plain methods, testable without a browser."""

    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx

    def search(self, text: str, model: str, chat: Any) -> tuple[Any, Any]:
        runs_store = history_store()
        if runs_store is None:
            gr.Warning("History is unavailable (the data directory is not writable).")
            return gr.update(), gr.update()
        owner = reader_owner(chat)
        runs = runs_store.search(text or "", model=model or "", owner=owner, limit=200)
        return history_rows(runs), gr.update(choices=["", *runs_store.models(owner=owner)])

    def pick(self, evt: gr.SelectData, frame: pd.DataFrame) -> Any:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        try:
            return int(frame.iloc[int(row)]["id"])
        except (IndexError, KeyError, ValueError, TypeError):
            return gr.update()

    def open_run(self, rid: Any, chat: Any) -> list[Any]:
        run = load_run(rid, chat)
        if run is None:
            gr.Warning(missing_run(rid))
            return [f"// {missing_run(rid)}", *[gr.update()] * len(EDITOR_FIELDS)]
        settings = run_settings(run)
        shown = {k: v for k, v in run.__dict__.items() if k != "owner"}  # the owner id is a capability: never shown
        return [json.dumps(shown, indent=2, ensure_ascii=False, default=str),
                last_user_text(run.messages), settings.system, settings.model, number_text(settings.temperature),
                number_text(settings.top_p), number_text(settings.top_k), settings.max_tokens,
                stop_text(settings.stop_sequences)]

    async def rerun(self, rid: Any, text: str, system: str, model: str, temp: str, top_p: str, top_k: str, max_tokens: Any,
                    stop: str, cap: cost.SpendCap, chat: Any, api_key: str, *values: Any
                    ) -> AsyncIterator[list[Any]]:
        old = load_run(rid, chat)
        if old is None:
            why = "Open a run first." if rid is None else missing_run(rid)
            yield [f"⚠️ {why}", gr.skip(), gr.skip(), gr.skip(), gr.skip()]
            return
        try:
            playground = read_settings(values)
            before, after, notes = rerun_settings(old, playground, system=system, model=model, temperature=temp,
                                                  top_p=top_p, top_k=top_k, max_tokens=max_tokens, stop=stop)
            target = target_for(self.ctx, playground, api_key)
        except (SettingsError, PlaygroundError) as exc:
            yield [f"⚠️ {exc}", gr.skip(), gr.skip(), gr.skip(), gr.skip()]
            return
        messages, dropped = _drop_omitted_media(rerun_messages(old.messages, text))
        runner = tuning_runner(target, chat, kind="rerun", concurrency=1, store=history_store(), spend_cap=cap)
        note = f" ({dropped} media block(s) left out: history keeps no file bytes)" if dropped else ""
        if notes:
            note += " Left out: " + "; ".join(notes)
        table = rerun_changes(before, after, last_user_text(old.messages), text)
        yield [f"Rerunning run #{old.id}{note}…", table, old.output, "", []]
        job = Job(0, after, messages, {"parent_id": old.id, "label": f"rerun of #{old.id}"})
        async for _ in paced(runner.run([job]), RENDER_INTERVAL):
            yield [gr.skip(), gr.skip(), gr.skip(), runner.results[0].text, gr.skip()]
        result = runner.results[0]
        head = f"Run #{result.run_id} (rerun of #{old.id}){note}: " + stats_line(result)
        yield [head, table, old.output, result.text, word_diff(old.output, result.text)]

    def to_chat(self, rid: Any, text: str, system: str, model: str, temp: str, top_p: str, top_k: str, max_tokens: Any,
                stop: str, chat: Any, *values: Any) -> list[Any]:
        skip = [gr.skip()] * (len(RESTORED_KEYS) + 2)
        old = load_run(rid, chat)
        if old is None:
            gr.Warning("Open a run first." if rid is None else missing_run(rid))
            return skip
        try:
            _, settings, _ = rerun_settings(old, read_settings(values), system=system, model=model,
                                            temperature=temp, top_p=top_p, top_k=top_k, max_tokens=max_tokens,
                                            stop=stop)
        except (SettingsError, PlaygroundError) as exc:
            gr.Warning(str(exc))
            return skip
        if chat is not None and getattr(chat, "busy", False):
            gr.Warning("Stop the running reply first.")
            return skip
        messages, _ = _drop_omitted_media(list(old.messages[:-1]) if old.messages else [])
        loaded = chat.load_conversation(messages) if chat is not None else 0
        gr.Info(f"Run #{old.id} copied to the Playground: settings, tools and {loaded} earlier "
                f"turn{'s' if loaded != 1 else ''}; its last message is in the message box.")
        return [*restore_values(settings), chat.chat() if chat is not None else gr.skip(),
                {"text": text or last_user_text(old.messages), "files": []}]


def rerun_settings(old: store.Run, playground: RunSettings, *, system: str, model: str, temperature: Any,
                   top_p: Any, top_k: Any, max_tokens: Any, stop: str) -> tuple[RunSettings, RunSettings, list[str]]:
    """``(before, after, notes)``: the stored run's settings, and those with the editor's values, sent
    where the Playground sends (its backend; the key belongs to it). Everything else — tools, caching,
    thinking, effort — is the stored run's. ``notes``: what the new model does not take."""
    before = run_settings(old).replace(backend=playground.backend, base_url=playground.base_url)
    after = with_overrides(before, "rerun", system=system or "", model=(model or "").strip() or before.model,
                           temperature=temperature, top_p=top_p, top_k=top_k, max_tokens=max_tokens,
                           stop_sequences=stop or "")
    after, notes = checked(after, "rerun")
    return before, after, notes


def rerun_changes(before: RunSettings, after: RunSettings, old_prompt: str, new_prompt: str) -> str:
    """The ``history_changes`` table: each setting (and the prompt) the rerun changed, before and after."""
    old = {k: v for k, v in before.to_json().items() if k not in ("backend", "base_url")}
    new = {k: v for k, v in after.to_json().items() if k not in ("backend", "base_url")}
    old["model"], new["model"] = before.model_id, after.model_id
    if new_prompt and new_prompt != old_prompt:
        old["prompt"], new["prompt"] = old_prompt, new_prompt
    return changes_markdown(old, new)

"""The Export / Share tab: the four exports, named presets, share links (and restoring them on load)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from playground import store
from playground.errors import PlaygroundError
from playground.tuning import exports, share
from playground.tuning.presets import PresetError, PresetStore
from playground.tuning.settings import user_messages
from playground.ui.context import UIContext
from playground.ui.settings import to_provider_kwargs

from .common import (
    PRIVATE,
    RESTORED_KEYS,
    base_settings,
    load_run,
    missing_run,
    playground_extras,
    reader_owner,
    target_for,
    ui_values,
)


def export_body(source: str, rid: Any, text: str, settings: dict[str, Any], api_base: str | None,
                session: Any = None) -> tuple[dict[str, Any], str | None]:
    """The request body to export and the base URL it goes to (a stored run's, or the current settings').

    A stored run is looked up as ``session`` (the chat's ``Session``) may see it: in ``session``
    history scope another session's run reads exactly like a missing one.
    """
    if source == "run":
        run = load_run(rid, session)
        if run is None:
            raise PlaygroundError("Open or type a run id first." if rid is None else missing_run(rid))
        if not run.request_body:
            raise PlaygroundError(f"run {rid} has no recorded request body (it failed before sending).")
        base = run.backend if run.backend.startswith("http") else None
        return run.request_body, base
    base, extra = base_settings(settings)
    messages = user_messages(text or "Hello")
    try:  # the provider's own body builder: the export is exactly what a run would send
        from playground.providers.anthropic_request import build_body
    except ImportError:
        body = base.to_body(messages, stream=bool(settings.get("stream")))
        body.update({k: v for k, v in extra.items() if k in ("tools", "tool_choice", "thinking")})
        return body, api_base
    kwargs = {k: v for k, v in to_provider_kwargs(settings).items() if v is not None and k != "headers"}
    return build_body(base.model, messages, **kwargs), api_base


def export_tab(ctx: UIContext, session: Any) -> dict[str, Any]:
    """Lay out the Export / Share tab and wire it (``session``: the chat's ``Session`` state, whose
    owner id scopes "A run from History"); returns its prompt box and share note."""
    gr.Markdown("Export the current Playground settings, or a run from History, as code. The key is never "
                "included: every snippet reads `ANTHROPIC_API_KEY`.")
    with gr.Row():
        source = gr.Radio([("Playground settings", "settings"), ("A run from History", "run")], value="settings",
                          label="Export", elem_id="export_source")
        rid = gr.Number(None, label="Run id", precision=0, elem_id="export_run_id")
    prompt = gr.Textbox(label="Prompt (for the Playground settings)", lines=2, elem_id="export_prompt")
    export_btn = gr.Button("Export", variant="primary", elem_id="export_btn")
    export_status = gr.Markdown("", elem_id="export_status")
    # Stacked, not in nested tabs: a closed tab's contents are not mounted (nothing to copy from).
    with gr.Row():
        curl = gr.Code("", language="shell", label="curl", elem_id="export_curl", max_lines=18)
        raw = gr.Code("", language="json", label="JSON body", elem_id="export_json", max_lines=18)
    with gr.Row():
        package = gr.Code("", language="python", label="Python (this package)", elem_id="export_package",
                          max_lines=22)
        sdk = gr.Code("", language="python", label="Python (official anthropic SDK)", elem_id="export_sdk",
                      max_lines=22)

    def do_export(src: str, run_id: Any, text: str, chat: Any, api_key: str, *values: Any) -> list[Any]:
        settings = UIContext.collect(*values)
        try:
            api_base = target_for(ctx, settings, api_key).api_base
            body, base = export_body(src, run_id, text, settings, api_base, chat)
            out = exports.export_all(body, api_base=base)
        except (PlaygroundError, ValueError) as exc:
            return [f"⚠️ {exc}", gr.skip(), gr.skip(), gr.skip(), gr.skip()]
        note = ""
        if "<omitted: sha256" in out["json"]:
            note = ("History keeps no file bytes: replace each `<omitted: …>` media `data` with the file's base64 "
                    "before running these.")
        return [note, out["curl"], out["package"], out["sdk"], out["json"]]

    export_btn.click(do_export, [source, rid, prompt, session, ctx.api_key, *ctx.settings_inputs],
                     [export_status, curl, package, sdk, raw], **PRIVATE)

    gr.Markdown("### Presets")
    handlers = PresetHandlers(PresetStore())
    with gr.Row():
        preset_name = gr.Textbox(label="Save the Playground settings as", elem_id="preset_name")
        save_btn = gr.Button("Save preset", elem_id="preset_save")
    with gr.Row():
        # The initial choices go into the page's /config, which every visitor gets: on a hosted Space
        # (history per session) a new session has no presets, so none are listed there.
        preset_list = gr.Dropdown(handlers.initial_choices(), label="Presets", elem_id="preset_list",
                                  allow_custom_value=False)
        load_btn = gr.Button("Load into Playground", elem_id="preset_load")
        delete_btn = gr.Button("Delete", elem_id="preset_delete")
    restored = [ctx.settings[k] for k in RESTORED_KEYS]

    save_btn.click(handlers.save, [preset_name, session, *ctx.settings_inputs], preset_list, **PRIVATE)
    load_btn.click(handlers.load, [preset_list, session], restored, **PRIVATE)
    delete_btn.click(handlers.delete, [preset_list, session], preset_list, **PRIVATE)

    gr.Markdown("### Share link")
    with gr.Row():
        include_prompt = gr.Checkbox(False, label="Include the prompt above in the link", elem_id="share_prompt")
        share_btn = gr.Button("Make share link", elem_id="share_btn")
    link = gr.Textbox(label="Link (settings only: never a key)", elem_id="share_link", buttons=["copy"])
    note = gr.Markdown("", elem_id="share_note")

    def make_link(text: str, with_prompt: bool, *values: Any) -> str:
        settings = UIContext.collect(*values)
        try:
            run, _ = base_settings(settings)
            return share.to_query(run, prompt=text or "", include_prompt=bool(with_prompt),
                                  extras=playground_extras(settings))
        except (PlaygroundError, ValueError) as exc:
            gr.Warning(str(exc))
            return ""

    # The page's own address is only known to the browser: Python makes the query, JS prefixes it.
    share_btn.click(make_link, [prompt, include_prompt, *ctx.settings_inputs], link, **PRIVATE).then(
        None, link, link, js="(q) => q ? window.location.origin + window.location.pathname + '?' + q : ''")
    return {"prompt": prompt, "note": note}


class PresetHandlers:
    """The preset buttons, as plain methods (testable without a browser). Each takes the chat's
    ``Session`` state: presets follow the history scope, so on a hosted Space a session sees, loads
    and deletes only its own presets (see :class:`~playground.tuning.presets.PresetStore`)."""

    def __init__(self, presets: PresetStore) -> None:
        self.presets = presets

    def initial_choices(self) -> list[str]:
        """What the dropdown lists before any session acts: the shared presets, or none per session."""
        return self._names(None) if store.history_scope() == "shared" else []

    def save(self, name: str, session: Any, *values: Any) -> Any:
        """Save the Playground settings as ``name`` for this session; the dropdown update."""
        settings = UIContext.collect(*values)
        owner = reader_owner(session)
        try:
            run, _ = base_settings(settings)
            self.presets.save(name or "", run, playground_extras(settings), owner=owner)
        except (PresetError, PlaygroundError, store.HistoryError) as exc:
            gr.Warning(str(exc))
            return gr.update()
        gr.Info(f"Preset {name.strip()!r} saved.")
        return gr.update(choices=self._names(owner), value=name.strip())

    def load(self, name: str, session: Any) -> list[Any]:
        """The restored Playground values of this session's preset ``name``."""
        try:
            values = ui_values(*self.presets.preset(name or "", owner=reader_owner(session)))
        except PresetError as exc:
            gr.Warning(str(exc))
            return [gr.update()] * len(RESTORED_KEYS)
        return [values[k] for k in RESTORED_KEYS]

    def delete(self, name: str, session: Any) -> Any:
        """Delete this session's preset ``name``; the dropdown update."""
        owner = reader_owner(session)
        try:
            self.presets.delete(name or "", owner=owner)
        except PresetError as exc:
            gr.Warning(str(exc))
        return gr.update(choices=self._names(owner), value=None)

    def _names(self, owner: str | None) -> list[str]:
        try:
            return self.presets.names(owner)
        except PresetError:
            return []


def restore_from_link(request: gr.Request) -> list[Any]:
    """On page load: settings (and the prompt, if the link has one) from the URL's query string."""
    params = dict(request.query_params) if request is not None else {}
    if not any(k in params for k in (*share.SHARE_KEYS, *share.EXTRA_KEYS)):
        return [gr.skip()] * (len(RESTORED_KEYS) + 3)
    run, prompt, problems = share.from_query(params)
    extras, extra_problems = share.check_extras(params)
    problems += extra_problems
    values = ui_values(run, extras)
    # Only what the link carries: the rest keeps the Playground's defaults.
    present = {k for k in params if k in share.SHARE_KEYS} | set(extras)  # a refused extra is left alone
    if "stop" in present:
        present.add("stop_sequences")
    if "thinking_budget" in present:
        present.add("thinking")  # a budget means budget thinking
    out = [values[k] if k in present else gr.skip() for k in RESTORED_KEYS]
    note = "Settings restored from the link." + (" Ignored: " + " ".join(problems) if problems else "")
    text = prompt if prompt else gr.skip()
    return [*out, text, text, note]

"""The Export / Share tab: the four exports, named presets, share links (and restoring them on load)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from playground import store
from playground.errors import PlaygroundError
from playground.settings import DEFAULT_API_VERSION, RunSettings
from playground.tuning import exports, share
from playground.tuning.presets import PresetError, PresetStore
from playground.tuning.runner import user_messages
from playground.ui.context import UIContext, read_settings

from .common import PRIVATE, RESTORED_KEYS, load_run, missing_run, reader_owner, restore_values, target_for


def export_body(source: str, rid: Any, text: str, settings: RunSettings, api_base: str | None,
                session: Any = None) -> tuple[dict[str, Any], str | None]:
    """The request body to export and the base URL it goes to (a stored run's, or the current settings').

    A stored run is looked up as ``session`` (the chat's ``Session``) may see it: in ``session``
    history scope another session's run reads exactly like a missing one. Current settings are fitted
    to their model and built by the provider's own request builder: exactly what a Send would send.
    """
    if source == "run":
        run = load_run(rid, session)
        if run is None:
            raise PlaygroundError("Open or type a run id first." if rid is None else missing_run(rid))
        if not run.request_body:
            raise PlaygroundError(f"run {rid} has no recorded request body (it failed before sending).")
        base = run.backend if run.backend.startswith("http") else None
        return run.request_body, base
    fitted, _ = settings.fit()
    return fitted.to_body(user_messages(text or "Hello")), api_base


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

    handlers = ExportHandlers(ctx)
    export_btn.click(handlers.do_export, [source, rid, prompt, session, ctx.api_key, *ctx.settings_inputs],
                     [export_status, curl, package, sdk, raw], **PRIVATE)

    gr.Markdown("### Presets")
    presets = PresetHandlers(PresetStore())
    with gr.Row():
        preset_name = gr.Textbox(label="Save the Playground settings as", elem_id="preset_name")
        save_btn = gr.Button("Save preset", elem_id="preset_save")
    with gr.Row():
        # The initial choices go into the page's /config, which every visitor gets: on a hosted Space
        # (history per session) a new session has no presets, so none are listed there.
        preset_list = gr.Dropdown(presets.initial_choices(), label="Presets", elem_id="preset_list",
                                  allow_custom_value=False)
        load_btn = gr.Button("Load into Playground", elem_id="preset_load")
        delete_btn = gr.Button("Delete", elem_id="preset_delete")
    restored = [ctx.settings[k] for k in RESTORED_KEYS]

    save_btn.click(presets.save, [preset_name, session, *ctx.settings_inputs], preset_list, **PRIVATE)
    load_btn.click(presets.load, [preset_list, session], restored, **PRIVATE)
    delete_btn.click(presets.delete, [preset_list, session], preset_list, **PRIVATE)

    gr.Markdown("### Share link")
    with gr.Row():
        include_prompt = gr.Checkbox(False, label="Include the prompt above in the link", elem_id="share_prompt")
        share_btn = gr.Button("Make share link", elem_id="share_btn")
    link = gr.Textbox(label="Link (settings only: never a key)", elem_id="share_link", buttons=["copy"])
    note = gr.Markdown("", elem_id="share_note")

    # The page's own address is only known to the browser: Python makes the query, JS prefixes it.
    share_btn.click(handlers.make_link, [prompt, include_prompt, *ctx.settings_inputs], link, **PRIVATE).then(
        None, link, link, js="(q) => q ? window.location.origin + window.location.pathname + '?' + q : ''")
    return {"prompt": prompt, "note": note}


class ExportHandlers:
    """The Export / Share tab's handlers: plain methods, testable without a browser."""

    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx

    def do_export(self, src: str, run_id: Any, text: str, chat: Any, api_key: str, *values: Any) -> list[Any]:
        try:
            settings = read_settings(values)
            api_base = target_for(self.ctx, settings, api_key).api_base
            body, base = export_body(src, run_id, text, settings, api_base, chat)
            stored = load_run(run_id, chat) if src == "run" else None
            version = (stored.params or {}).get("api_version") if stored is not None else settings.api_version
            out = exports.export_all(body, api_base=base, api_version=version or DEFAULT_API_VERSION)
        except (PlaygroundError, ValueError) as exc:
            return [f"⚠️ {exc}", gr.skip(), gr.skip(), gr.skip(), gr.skip()]
        note = ""
        if "<omitted: sha256" in out["json"]:
            note = ("History keeps no file bytes: replace each `<omitted: …>` media `data` with the file's base64 "
                    "before running these.")
        return [note, out["curl"], out["package"], out["sdk"], out["json"]]

    def make_link(self, text: str, with_prompt: bool, *values: Any) -> str:
        try:
            return share.to_query(read_settings(values), prompt=text or "", include_prompt=bool(with_prompt))
        except (PlaygroundError, ValueError) as exc:
            gr.Warning(str(exc))
            return ""


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
        owner = reader_owner(session)
        try:
            self.presets.save(name or "", read_settings(values), owner=owner)
        except (PresetError, PlaygroundError, store.HistoryError) as exc:
            gr.Warning(str(exc))
            return gr.update()
        gr.Info(f"Preset {name.strip()!r} saved.")
        return gr.update(choices=self._names(owner), value=name.strip())

    def load(self, name: str, session: Any) -> list[Any]:
        """The restored Playground values of this session's preset ``name``."""
        try:
            settings, problems = self.presets.preset(name or "", owner=reader_owner(session))
        except PresetError as exc:
            gr.Warning(str(exc))
            return [gr.skip()] * len(RESTORED_KEYS)
        skipped = "; ".join(f"{f}: {m}" for f, m in problems)
        gr.Info(f"Preset {name!r} loaded into the Playground." + (f" Skipped: {skipped}" if skipped else ""))
        return restore_values(settings)

    def delete(self, name: str, session: Any) -> Any:
        """Delete this session's preset ``name``; the dropdown update."""
        owner = reader_owner(session)
        try:
            self.presets.delete(name or "", owner=owner)
        except PresetError as exc:
            gr.Warning(str(exc))
            return gr.update()
        if name:
            gr.Info(f"Preset {name!r} deleted.")
        return gr.update(choices=self._names(owner), value=None)

    def _names(self, owner: str | None) -> list[str]:
        try:
            return self.presets.names(owner)
        except PresetError:
            return []


def restore_from_link(request: gr.Request) -> list[Any]:
    """On page load: settings (and the prompt, if the link has one) from the URL's query string; the
    last value is the sentence naming what was restored and what was refused (shown where the link opens)."""
    params = dict(request.query_params) if request is not None else {}
    if not any(k in params for k in share.SHARE_KEYS):
        return [gr.skip()] * (len(RESTORED_KEYS) + 3)
    settings, prompt, problems, given = share.from_query(params)
    note = "Settings restored from the link." + (" Ignored: " + " ".join(problems) if problems else "")
    text = prompt if prompt else gr.skip()
    return [*restore_values(settings, given), text, text, note]

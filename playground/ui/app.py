"""``build_app()``: the Blocks layout and its event wiring. Behaviour lives in handlers.py.

Layout: a top-level ``gr.Tabs`` whose first tab is the Playground (settings | chat + inspector);
the tuning tabs (``playground.ui.tuning.build_tuning_tabs``) follow.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import gradio as gr

from playground import config as app_config
from playground.backends import BACKENDS, Backends
from playground.config import Config
from playground.settings import FIELDS, OFFLINE_ONLY, RunSettings
from playground.ui import layout, lean_session_state, prefill, progress, session_cleanup, tool_results
from playground.ui.context import UIContext
from playground.ui.controls import FIELD_INFO, STOP_INFO, field_checks, max_tokens_for_thinking, model_controls
from playground.ui.handlers import FAULTS, INSPECTOR_KEYS, ChatAPI, Handlers
from playground.ui.lean_updates import lean
from playground.ui.session import Session
from playground.ui.token_count import count_next_request
from playground.ui.tuning import build_tuning_tabs

STYLE = Path(__file__).with_name("style.css")
# Model output is rendered inert: the Chatbot sanitizes HTML, and this policy stops the browser
# from fetching remote images (a Markdown image in a reply would otherwise load by itself).
# form-action: the sanitizer keeps <form>, so a reply could show a look-alike form posting to its own site.
HEAD = "<meta http-equiv=\"Content-Security-Policy\" content=\"img-src 'self' data: blob:; form-action 'self'\">"
CHAT_HEIGHT = "max(300px, calc(100vh - 460px))"  # header, tabs, message box, hint, prefill and buttons below


def theme() -> gr.themes.Base:
    """The default theme with system fonts: the page needs no font CDN (works offline)."""
    return gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def launch_options() -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch`` that belong to the UI (theme, css, head, limits)."""
    return {
        "theme": theme(),
        "css_paths": [STYLE],
        "head": HEAD,
        "js": layout.PAGE_JS,  # the saved light/dark choice
        "run_history": False,  # it would keep every input (the API key too) in the browser's storage
        "max_file_size": "20mb",
        "footer_links": ["api", "settings"],
    }


def _number_box(name: str) -> gr.Textbox:
    return gr.Textbox("", label=name, placeholder="default", elem_id=name, lines=1, max_lines=1, min_width=80)


DEFAULTS = RunSettings().to_ui()
LABELS_AT_START = layout.section_labels(DEFAULTS)
RESPONSE_FORMAT_HINT = ('Blank = text. {"type": "json_object"}, or {"type": "json_schema", "json_schema": '
                        '{"name": "answer", "schema": {...}}}.')


def _settings_column(backends: Backends) -> dict[str, Any]:
    """The settings components, keyed by FIELDS (plus the key box, refresh button, banner and sections).
    Model and sampling are open; the rest are collapsed sections whose title says what is set."""
    c: dict[str, Any] = {}
    kind = backends.default.kind
    with gr.Accordion("Model", open=True, elem_id="model_section"):
        c["notice"] = gr.Markdown(layout.banner(backends, kind), elem_id="notice")
        c["backend"] = gr.Dropdown([(b.label, b.kind) for b in BACKENDS.values()], value=kind,
                                   label="Backend", elem_id="backend")
        c["base_url"] = gr.Textbox(label="Base URL", placeholder="http://localhost:8000/v1", elem_id="base_url",
                                   visible=False)
        c["api_key"] = gr.Textbox(label="API key", type="password", elem_id="api_key",
                                  info=layout.key_hint(backends, kind, ""),
                                  placeholder="sk-ant-… (kept only in this browser session)")
        with gr.Row(equal_height=True):
            c["model"] = gr.Dropdown([backends.default.default_model],
                                     allow_custom_value=True, label="Model", elem_id="model", scale=4)
            c["refresh"] = gr.Button("↻", elem_id="refresh_models", scale=0, min_width=40)
        c["system"] = gr.Textbox(label="System prompt", lines=2, max_lines=12, elem_id="system")
    with gr.Accordion("Sampling", open=True, elem_id="sampling_section"):
        with gr.Row():
            # Text boxes, not gr.Number: blank must mean "not sent" (the model's default), and Number shows 0.
            c["temperature"] = _number_box("temperature")
            c["top_p"] = _number_box("top_p")
            c["top_k"] = _number_box("top_k")
        c["sampling_note"] = gr.Markdown("Blank = the model's default (not sent).", elem_id="sampling_note")
        with gr.Row(equal_height=True):
            # No minimum: Gradio would refuse -5 before any handler with a bare "Error" over the page;
            # RunSettings says what is wrong, at the field (controls.field_checks).
            c["max_tokens"] = gr.Number(DEFAULTS["max_tokens"], label="max_tokens", precision=0,
                                        elem_id="max_tokens")
            c["stream"] = gr.Checkbox(True, label="Stream", elem_id="stream")
        c["stop_sequences"] = gr.Textbox(label="Stop sequences", lines=1, max_lines=6, elem_id="stop_sequences",
                                         info=STOP_INFO)
    sections = {}
    with gr.Accordion(LABELS_AT_START["thinking_section"], open=False, elem_id="thinking_section") as sections["thinking_section"]:
        c["thinking"] = gr.Radio(["off", "budget", "adaptive"], value="off", label="Thinking", elem_id="thinking")
        with gr.Row():
            c["thinking_budget"] = gr.Number(DEFAULTS["thinking_budget"], label="budget_tokens", precision=0,
                                             interactive=DEFAULTS["thinking"] == "budget",
                                             elem_id="thinking_budget", min_width=120)
            c["effort"] = gr.Dropdown([("default (not sent)", ""), "low", "medium", "high", "xhigh", "max"],
                                      value="", label="Effort", elem_id="effort", min_width=120)
    with gr.Accordion(LABELS_AT_START["tools_panel"], open=False, elem_id="tools_panel") as sections["tools_panel"]:
        c["tools"] = gr.Code("", language="json", label="Tools (JSON list)", elem_id="tools", lines=4, max_lines=20,
                             wrap_lines=True, show_line_numbers=False)
        c["tool_choice"] = gr.Dropdown(["auto", "any", "none"], value="auto", allow_custom_value=True,
                                       label="tool_choice (or tool:NAME)", elem_id="tool_choice")
    with gr.Accordion(LABELS_AT_START["caching_section"], open=False, elem_id="caching_section") as sections["caching_section"]:
        c["cache"] = gr.Radio([("off", "off"), ("system prompt", "system"), ("whole prompt", "auto")], value="off",
                              label="Prompt caching", elem_id="cache",
                              info="Cache reads cost 0.1x input; writes 1.25x (5m) or 2x (1h).")
        c["cache_ttl"] = gr.Dropdown(["5m", "1h"], value="5m", label="TTL", elem_id="cache_ttl", min_width=120)
        c["files_api"] = gr.Checkbox(False, label="Send uploads through the Files API", elem_id="files_api",
                                     info="Upload each attachment once and send its file id (offline and Anthropic "
                                          "API). A file resent in a later turn always goes by id.")
    with gr.Accordion(LABELS_AT_START["format_panel"], open=False,
                      elem_id="format_panel") as sections["format_panel"]:
        c["response_format"] = gr.Code("", language="json", label="Response format (JSON)", elem_id="response_format",
                                       lines=3, max_lines=20, wrap_lines=True, show_line_numbers=False)
        gr.Markdown(RESPONSE_FORMAT_HINT, elem_id="response_format_hint")
        c["api_version"] = gr.Dropdown(["2023-06-01", "2026-10-21"], value=DEFAULTS["api_version"],
                                       allow_custom_value=True, label="anthropic-version", elem_id="api_version")
    with gr.Accordion(LABELS_AT_START["offline_options"], open=False, visible=backends.default.emulator_switches,
                      elem_id="offline_options") as sections["offline_options"]:
        c["fault"] = gr.Dropdown([(f or "none", f) for f in FAULTS], value="", label="Inject a fault (offline only)",
                                 elem_id="fault")
        c["endless"] = gr.Checkbox(False, label="Run to max_tokens (no natural end; offline only)",
                                   elem_id="endless")
        c["redact_thinking"] = gr.Checkbox(False, label="Redacted thinking (offline only)", elem_id="redact_thinking")
    c["offline_options"] = sections["offline_options"]
    c["sections"] = [sections[k] for k in layout.SECTION_TITLES]
    return c


INSPECTOR_TABS = dict(zip(INSPECTOR_KEYS, ("Request", "Response headers", "Usage", "Timing", "Events", "Errors"),
                          strict=True))


def _raw_view(value: str, elem_id: str, visible: bool | str) -> gr.Textbox:
    # A read-only text box, not gr.Code: CodeMirror renders only the visible lines, and the whole
    # text must be selectable and readable (by people and by browser tests) as it was sent.
    return gr.Textbox(value, elem_id=elem_id, show_label=False, lines=8, max_lines=30, interactive=False,
                      buttons=["copy"], autoscroll=False, elem_classes=["raw"], visible=visible)


def _inspector() -> tuple[Any, dict[str, Any]]:
    """A tab bar (a Radio) over six views. Not gr.Tabs: Gradio mounts only the open tab, and every
    view's elem_id must be in the DOM for outside browser tests; closed views are ``"hidden"``."""
    views: dict[str, Any] = {}
    with gr.Column(elem_id="inspector", elem_classes=["inspector"]):
        bar = gr.Radio([(label, key) for key, label in INSPECTOR_TABS.items()], value="request", show_label=False,
                       container=False, elem_id="inspector_tabs")
        for key in INSPECTOR_TABS:
            visible: bool | str = True if key == "request" else "hidden"
            if key == "request":
                views[key] = _raw_view("// no request yet", key, visible)
            elif key == "headers":
                views[key] = _raw_view("// no response yet", key, visible)
            elif key == "events":
                views[key] = _raw_view("", key, visible)
            else:
                empty = {"usage": "*No usage yet.*", "timing": "*No run yet.*", "errors": "*No errors.*"}[key]
                views[key] = gr.Markdown(empty, elem_id=key, visible=visible, elem_classes=["inspector-md"])
    return bar, views


def show_inspector_tab(key: str) -> list[Any]:
    """Visibility updates for the inspector views: ``key`` shown, the others hidden (still in the DOM)."""
    return [gr.update(visible=True if k == key else "hidden") for k in INSPECTOR_TABS]


def build_app(backends: Backends | None = None, config: Config | None = None) -> gr.Blocks:
    """The whole app on ``backends`` (default: ``Backends(config)``; ``config`` default: read from the
    environment now). The backends' configuration becomes the process's (``playground.config.current``)."""
    backends = backends or Backends(config)
    app_config.install(backends.config)
    handlers = Handlers(backends)
    with gr.Blocks(title=layout.TITLE, analytics_enabled=False, fill_width=True) as demo:
        status_sink = progress.sink()  # where the events' status goes (ui.progress): first in the layout
        session = gr.State(Session())  # deep-copied per browser session (Session.__deepcopy__: fresh)
        with gr.Row(elem_id="header", equal_height=True):
            header = gr.HTML(layout.header_html(backends.default.kind), elem_id="header_title", padding=False)
            theme_btn = gr.Button("◐ Light / dark", elem_id="theme_toggle", size="sm", scale=0, min_width=130)
        with gr.Tabs(elem_id="main_tabs"):
            with gr.Tab("Playground", id="playground"):
                with gr.Row(elem_id="playground_row"):
                    with gr.Column(scale=1, min_width=330, elem_id="settings"):
                        c = _settings_column(backends)
                    with gr.Column(scale=3, min_width=340, elem_id="chat_column"):
                        # The height follows the window: the chat and the inspector fit a laptop screen.
                        chat = gr.Chatbot(elem_id="chat", height=CHAT_HEIGHT, sanitize_html=True, allow_tags=False,
                                          feedback_options=None, buttons=["copy", "copy_all"], editable="all",
                                          placeholder="Send a message to start.", label="Chat",
                                          latex_delimiters=[])  # no LaTeX scan: cheaper renders of long replies
                        # Where a share link says what it could not restore (the page it opens on).
                        share_notice = gr.Markdown("", elem_id="share_notice")
                        boxes = tool_results.build()  # one result box per pending tool call
                        # lines=1: Gradio's box then sends on Enter (and Ctrl/Cmd+Enter) and Shift+Enter adds a
                        # line; it grows up to max_lines as the message does.
                        prompt = gr.MultimodalTextbox(elem_id="prompt", file_types=["image", ".pdf"],
                                                      file_count="multiple", sources=["upload"], submit_btn=False,
                                                      placeholder="Message (drop, paste or attach images/PDFs)",
                                                      show_label=False, lines=1, max_lines=10)
                        gr.Markdown(layout.KEY_HINT, elem_id="prompt_hint")
                        prefill_box = prefill.build()
                        # What the chosen model would reject, next to Send where it is seen before sending.
                        problems = gr.Markdown("", elem_id="problems")
                        with gr.Row(elem_id="chat_buttons"):  # min_width: six buttons share one line
                            send = gr.Button("Send", variant="primary", elem_id="send", min_width=80)
                            stop = gr.Button("Stop", variant="stop", elem_id="stop", interactive=False, min_width=80)
                            retry = gr.Button("Retry", elem_id="retry", min_width=80)
                            undo = gr.Button("Undo", elem_id="undo", min_width=80)
                            clear = gr.Button("Clear", elem_id="clear", min_width=80)
                            count = gr.Button("Count tokens", elem_id="count_tokens", min_width=120)
                        token_count = gr.Markdown("", elem_id="token_count")
                    with gr.Column(scale=2, min_width=320, elem_id="inspector_column"):
                        inspector_bar, views = _inspector()
            ctx = UIContext(backends=backends, backend=c["backend"], api_key=c["api_key"], model=c["model"],
                            settings={k: c[k] for k in FIELDS}, session=session, prompt=prompt, chatbot=chat,
                            notice=share_notice)
            build_tuning_tabs(ctx)
        _wire(demo, handlers, ctx, c, session, chat, prompt, send, stop, retry, undo, clear, views, problems, header,
              boxes, prefill_box)
        theme_btn.click(None, None, None, js=layout.TOGGLE_THEME_JS, queue=False, api_visibility="private")

        count.click(functools.partial(count_next_request, backends), [session, prompt, c["api_key"],
                                                                      *ctx.settings_inputs],
                    token_count, api_visibility="private")
        # A count describes the message it was made for: clear it in the browser once the message changes.
        prompt.change(None, None, token_count, js="() => ''", queue=False, api_visibility="private")
        inspector_bar.change(show_inspector_tab, inspector_bar, [views[k] for k in INSPECTOR_TABS], queue=False,
                             api_visibility="private")
        gr.api(ChatAPI(backends).chat, api_name="chat")
        session_cleanup.wire(demo)  # a closed page's session is released, its live runs stopped
        lean_session_state.install()  # and a new one does not start with a copy of the whole page config
        progress.route(demo, status_sink)
    return demo


def _wire(demo: gr.Blocks, handlers: Handlers, ctx: UIContext, c: dict[str, Any], session: Any, chat: Any,
          prompt: Any, send: Any, stop: Any, retry: Any, undo: Any, clear: Any, views: dict[str, Any],
          problems: Any, header: Any, boxes: tool_results.ToolResultBoxes, prefill_box: Any) -> None:
    inspector_outputs = [views[k] for k in INSPECTOR_KEYS]
    run_inputs = [session, prompt, c["api_key"], *ctx.settings_inputs, prefill_box, boxes.carrier]
    # A Send streams the answer, then sets Send and Stop back and the inspector for the turn (one event). It reads
    # the tool-result boxes and the prefill with its own inputs, at the click (a chained step would read them,
    # and the settings, one round trip later). The refresh after it shows the boxes the answer's calls need.
    run_outputs = [chat, prompt, send, stop, *inspector_outputs]
    private = {"api_visibility": "private"}
    fast = {"queue": False, **private}  # (where Gradio's progress shows: ui.progress, for the whole app)
    # every change of the conversation shows the boxes its pending calls need
    refresh = {"fn": tool_results.refresh, "inputs": [session], "outputs": boxes.outputs, **fast}
    # Postprocessed by the handler's wrapper, on the event loop (see ui.lean_updates: what each output of each
    # streamed update costs Gradio otherwise); the chat and the read-only views repeat instead of skipping.
    run = {"inputs": run_inputs, "outputs": run_outputs, "js": tool_results.READ_BOXES_JS, "postprocess": False,
           **private}
    read_only = [chat, *inspector_outputs]
    send_run = lean(handlers.send, run_outputs, repeatable=read_only)
    # "multiple": Gradio would otherwise drop a Send made while the last one is still being answered (a refused
    # Send that changed nothing, or Enter during a reply); the handler says why it cannot run instead.
    send.click(send_run, trigger_mode="multiple", **run).then(**refresh)
    prompt.submit(send_run, trigger_mode="multiple", **run).then(**refresh)
    retry.click(handlers.undo, [session], [chat, prompt], **fast).then(**refresh).then(send_run, **run).then(
        **refresh)
    # Stop must never wait behind busy runs: no concurrency limit, it only sets an event.
    stop.click(handlers.stop, [session], None, concurrency_limit=None, **private)
    undo.click(handlers.undo, [session], [chat, prompt], queue=False, **private).then(**refresh)
    # Editing one of your messages re-asks from there (Workbench-style): later turns are dropped. An edited
    # answer is sent back as edited; the conversation continues from it with the next message.
    chat.edit(handlers.edit, [session], [chat, prompt], queue=False, **private).success(**refresh).then(
        lean(handlers.resend, run_outputs, repeatable=read_only), **run).then(**refresh)
    clear.click(handlers.clear, [session], [chat, *inspector_outputs], queue=False, **private).then(**refresh)
    # the chat's own trash icon too: the conversation sent next must be the one on screen
    chat.clear(handlers.clear, [session], [chat, *inspector_outputs], queue=False, **private).then(**refresh)
    gr.on([c["backend"].change, c["model"].change, c["thinking"].change], prefill.update,
          [c["backend"], c["model"], c["thinking"]], prefill_box, **fast)

    model_outputs = [c["temperature"], c["top_p"], c["top_k"], c["thinking"], c["effort"], c["sampling_note"]]
    model_inputs = [c["model"], c["thinking"], c["temperature"], c["top_p"], c["top_k"], c["effort"], c["api_version"]]
    gr.on([c["model"].change, c["api_version"].change], model_controls, model_inputs, model_outputs, queue=False,
          **private)
    # budget_tokens is editable only when it is sent (any change: a click, a model switch, a restored link)
    c["thinking"].change(lambda mode: gr.update(interactive=mode == "budget"), c["thinking"], c["thinking_budget"],
                         queue=False, **private)
    # The user's own picks only (not a restored share link): keep budget_tokens < max_tokens valid.
    gr.on([c["thinking"].input, c["thinking_budget"].blur], max_tokens_for_thinking,
          [c["thinking"], c["thinking_budget"], c["max_tokens"], c["model"]], c["max_tokens"], queue=False,
          **private)
    list_models = {"fn": handlers.refresh_models, "inputs": [c["backend"], c["api_key"], c["base_url"], c["model"]],
                   "outputs": c["model"], **private}
    c["refresh"].click(**list_models)
    c["base_url"].blur(**list_models)
    c["api_key"].blur(**list_models)  # a newly pasted key may unlock the backend's model list
    c["backend"].change(handlers.backend_changed, c["backend"],
                        [c["base_url"], c["offline_options"], c["fault"], c["api_key"], header, c["notice"]],
                        queue=False, **private)
    # Beside it, not after it: its inputs are read at the switch (a chained step would read a base URL typed
    # meanwhile, and its late list could reset a model picked after the URL's own list). No key: the switch
    # clears it.
    c["backend"].change(handlers.models_for_backend, [c["backend"], c["base_url"], c["model"]], c["model"],
                        **private)
    # a class on the model box once the page's first model list is in (a picked model is not reset after it):
    # what a test waits for before it edits the settings
    # (hidden: it names the model box, where ui.progress would otherwise keep Gradio's indicator)
    loaded = demo.load(**list_models).then(lambda: gr.update(elem_classes=["models-loaded"]), None, c["model"],
                                           queue=False, show_progress="hidden", **private)
    for handler in ctx.after_load:  # e.g. the share link's settings, restored once the model list is in
        loaded = loaded.then(**handler)
    # (the system prompt is re-checked when the box loses focus, not on every keystroke)
    # (the emulator controls have no parameter rules to check)
    # Each box says what is wrong with it, and the check line sums up; both clear once the value is fixed.
    # Not re-checked at Send: every value was checked when it changed (the system prompt when it lost the
    # focus, which a click on Send or a move to the message box does first), and a Send with a bad value
    # is refused by the Send itself.
    checked = [problems, *(ctx.settings[k] for k in FIELD_INFO)]
    gr.on([ctx.settings[k].change for k in FIELDS if k not in ("system", *OFFLINE_ONLY, "base_url", "backend")]
          + [ctx.settings["system"].blur],
          field_checks, [session, *ctx.settings_inputs], checked, **fast)
    gr.on([ctx.settings[k].change for k in layout.SUMMARY_FIELDS], layout.section_summaries, ctx.settings_inputs,
          c["sections"], **fast)

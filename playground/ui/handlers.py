"""Event handlers of the Playground tab: component values in, component updates out.

Every handler takes the session's :class:`~playground.ui.session.Session` (a ``gr.State``) and
the key as an input value; nothing is kept at module level, so two sessions share nothing.
Errors are turned into readable chat messages or toasts, never tracebacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr

from playground import catalog, store
from playground.backends import Backends, get_backend
from playground.errors import MissingAuthError, ParameterError, PlaygroundError
from playground.run import EVENTS_CAP, RunRecord
from playground.secrets import redactor
from playground.settings import RunSettings, SettingsError
from playground.tuning.record import record_turn
from playground.ui import inspector, layout, tool_results
from playground.ui.context import FIELDS, read_settings
from playground.ui.messages import describe_error
from playground.ui.runner import RunRequest, stream_run
from playground.ui.session import Draft, Exchange, Session, history_message, prefill_message, with_prefill

log = logging.getLogger(__name__)
# Order of the send/retry outputs after (chat, prompt, send, stop).
INSPECTOR_KEYS = ("request", "headers", "usage", "timing", "events", "errors")
FAULTS = ("", "rate_limit", "overloaded", "server_error", "mid_stream_error", "disconnect", "truncate", "slow",
          "fail_once_rate_limit", "fail_once_overloaded")


def inspector_values(run: RunRecord | None, model: str | None, api_key: str | None) -> tuple[str, ...]:
    """All inspector tabs for ``run``, in ``INSPECTOR_KEYS`` order."""
    return (
        inspector.request_view(run, api_key),
        inspector.headers_view(run, api_key),
        inspector.usage_view(run, model),
        inspector.timing_view(run),
        inspector.events_view(run, api_key),
        inspector.errors_view(run),
    )


def read_inputs(prompt: dict | str | None, values: tuple[Any, ...]) -> tuple[str, list[str], tuple[Any, ...]]:
    """The message text, uploaded file paths and setting values, with text a request can carry
    (see :func:`valid_text`)."""
    text, files = prompt_parts(prompt)
    return valid_text(text), files, tuple(valid_text(v) if isinstance(v, str) else v for v in values)


def prepare_run(backends: Backends, session: Session, text: str, files: list[str], api_key: str,
                settings: RunSettings) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """What *Send* sends now: ``(target, provider kwargs, new user message)``; the conversation is
    ``[*session.history(), user_message]``. Values the model does not take are left out (``fit``).
    Raises PlaygroundError (bad settings, no key) or OSError."""
    fitted, _ = settings.fit()
    problem = fitted.cache_problem()  # the provider checks the model's rules; this one is the Playground's own
    if problem:
        raise ParameterError(*problem)
    kwargs = fitted.to_kwargs()
    target = backends.target(settings.backend, api_key, settings.base_url)
    user_message = session.next_user_message(text)
    kwargs.update(target.provider_kwargs())
    if files:
        kwargs["media"] = read_media(files)
    return target, {k: v for k, v in kwargs.items() if v is not None}, user_message


def read_media(paths: list[str]) -> list[tuple[bytes, str]]:
    """The uploaded files as ``(bytes, name)`` pairs for the provider's ``media``."""
    media = []
    for path in paths:
        with open(path, "rb") as fh:
            media.append((fh.read(), os.path.basename(path)))
    return media


class Handlers:
    """The Playground tab's handlers, bound to the process-wide backend table."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends

    # -- models and backends -------------------------------------------------------------
    async def refresh_models(self, backend: str, api_key: str, base_url: str, current: str | None) -> Any:
        """Reload the model list from the chosen backend, keeping the current id if it is still there.
        The offline sampler is listed only offline. The real API without a key lists the catalog's
        models, quietly: the key box already says a key is needed."""
        try:
            chosen = get_backend(backend)
            if chosen.takes_base_url and not (base_url or "").strip() and not chosen.operator_base(self.backends.config):
                return gr.update()  # nothing to ask yet: the list loads once a base URL is given
            try:
                models = await self.backends.models(chosen, api_key, base_url)
            except MissingAuthError:
                models = [m.id for m in catalog.MODELS]
        except Exception as exc:  # noqa: BLE001 - any failure here must leave the dropdown usable
            message = str(exc) if isinstance(exc, PlaygroundError) else type(exc).__name__
            gr.Warning(f"Could not list models ({message}); type a model id instead.")
            return gr.update()
        if chosen.messages_api and not chosen.is_offline:  # the real API never serves the offline sampler
            models = [m for m in models if m != catalog.EMULATOR_MODEL]
        if not models:
            return gr.update(value="") if current == catalog.EMULATOR_MODEL else gr.update()
        if current in models:  # the value is left to the box: a model picked while the list loaded stays
            return gr.update(choices=models)
        preferred = chosen.default_model
        return gr.update(choices=models, value=preferred if preferred in models else models[0])

    async def models_for_backend(self, backend: str, base_url: str, current: str | None) -> Any:
        """The model list for a newly chosen backend, without a key (switching backends clears it)."""
        return await self.refresh_models(backend, "", base_url, current)

    def backend_changed(self, backend: str) -> tuple[Any, ...]:
        """Show the base URL only where the visitor gives one, the emulator options only offline (and reset
        the fault); clear the key box so a key typed for one backend is not sent to another, with its hint;
        the header and the banner name the backend now in use."""
        chosen = get_backend(backend)
        return (gr.update(visible=chosen.takes_base_url), gr.update(visible=chosen.emulator_switches),
                gr.update(value=""), gr.update(value="", info=layout.key_hint(self.backends, backend, "")),
                layout.header_html(backend), layout.banner(self.backends, backend))

    # -- a run ---------------------------------------------------------------------------
    async def send(self, session: Session, prompt: dict | str | None, api_key: str, *values: Any
                   ) -> AsyncIterator[tuple[Any, ...]]:
        """Stream one run into the chat and the inspector (one run per session at a time)."""
        values, extra = values[:len(FIELDS)], values[len(FIELDS):]  # the settings, then the prefill and the boxes
        text, files, values = read_inputs(prompt, values)
        if extra and not session.busy:  # (a busy session refuses this Send below; its boxes stay as they are)
            raw = dict(zip(FIELDS, values, strict=True))
            draft = tool_results.read_draft(session, raw["backend"], raw["model"], raw["thinking"], *extra)
        else:  # a caller that set the draft itself (or none)
            draft, session.draft = session.draft, Draft()
        try:
            settings = read_settings(values)
        except SettingsError:  # said at the field and in the check line (field_checks): nothing else changes
            yield _no_change()
            return
        if draft.refused and not session.busy:  # a tool result box is empty: it says so, nothing is sent
            yield _no_change()  # (the refresh after the Send says it at the empty boxes)
            return
        if not text.strip() and not files and not draft.results:
            gr.Warning("Type a message (or attach a file) first.")
            yield _no_change()
            return
        if session.busy:
            gr.Warning("A reply is still streaming: press Stop first.")
            yield _no_change()
            return
        session.busy = True  # checked and set with no await in between: a double click cannot start two runs
        try:
            # aclosing: if the page goes away mid-run, the inner run (and its HTTP request) is closed now
            async with contextlib.aclosing(self._run(session, text, files, api_key, settings, draft)) as updates:
                async for update in updates:
                    yield update
            # After the answer (its own update, so the page paints it first): Send back on and the inspector
            # for this turn. (The result boxes its tool calls need come with the refresh chained after the Send:
            # as outputs here they would cost Gradio a component build each, on every streamed update.)
            last = session.exchanges[-1]
            yield (gr.skip(), gr.skip(), *_buttons(False), *_fresh(session, inspector_values(last.run, last.model,
                                                                                            api_key)))
            # Gradio's completion message repeats every output's last yielded value in full (the whole chat, the
            # Request tab): a last update that changes nothing makes that repeat a few bytes.
            yield _no_change()
        finally:
            session.busy = False

    async def _run(self, session: Session, text: str, files: list[str], api_key: str, settings: RunSettings,
                   draft: Draft) -> AsyncIterator[tuple[Any, ...]]:
        exchange = Exchange(text=text, files=files, tool_results=draft.results, prefill=draft.prefill)
        session.exchanges.append(exchange)
        try:
            settings, _ = settings.fit()  # the check line beside Send names what fit() left out
            exchange.model = model = settings.model_id
            exchange.response_format = dict(settings.response_format) if settings.response_format else None
            session.draft = draft  # the user message carries the draft's tool results
            try:
                target, kwargs, user_message = prepare_run(self.backends, session, text, files, api_key, settings)
            finally:
                session.draft = Draft()
            messages, kwargs = await session.files.apply(target, [*session.history(), user_message], kwargs,
                                                         always=settings.files_api)  # uploads by file id
        except (PlaygroundError, OSError) as exc:
            failed = exchange.run = RunRecord()
            failed.mark_error(exc, describe_error(exc))
            yield (session.chat(), gr.skip(), *_SAME_BUTTONS, *(gr.skip(),) * len(INSPECTOR_KEYS))  # (its inspector next)
            return
        kwargs["raw_events"] = EVENTS_CAP  # the Events tab shows the wire events
        prefill = prefill_message(draft.prefill)  # the reply continues it (ui.prefill says when it is allowed)
        request = RunRequest(target.provider, model, [*messages, *([prefill] if prefill else [])], kwargs)
        shown_requests, shown_headers, announced = 0, None, False
        async with contextlib.aclosing(stream_run(request, session.control, announce=True)) as run:
            async for progress in run:
                record = exchange.run = progress.run
                if not announced:  # the request was just sent off: the turn and Stop show while it travels
                    announced = True  # (the box emptied as a plain value: an update dict costs a component build)
                    yield (session.chat(), EMPTY_PROMPT, *_buttons(True), *(gr.skip(),) * len(INSPECTOR_KEYS))
                    continue
                if progress.final:
                    if record.error_text:  # errors never carry keys by design; mask anyway (unexpected errors)
                        record.error_text = redactor(api_key, target.api_key).text(record.error_text)
                    exchange.user_message = _sent_user_message(record, user_message, target.backend.messages_api,
                                                               prefill is not None)
                    exchange.assistant_message = history_message(record, target.backend.messages_api)
                    if exchange.assistant_message is not None:  # the turn sent back is the prefill and its reply
                        exchange.assistant_message = with_prefill(exchange.assistant_message, draft.prefill)
                    # Only the final answer here (what the person waits for): the inspector views and the
                    # buttons follow in a separate update (see send), so the browser paints this first.
                    yield (session.chat(), gr.skip(), *_SAME_BUTTONS, *(gr.skip(),) * len(INSPECTOR_KEYS))
                    try:  # the run history is a convenience: a failing write must not break the session
                        # In a thread: the page gets the final answer while the write (the run and its
                        # full-text index, ~5-10 ms for a long answer) happens, and other sessions' events
                        # are not held behind it. Awaited: the turn is in History when the Send ends.
                        await asyncio.to_thread(
                            record_turn, record, request.messages, settings, backend=target.api_base or target.kind,
                            api_key=target.api_key, files=files, owner=session.owner)
                        if notice := store.get_store().pop_notice(session.owner):  # the storage limits pruned
                            gr.Info(notice)
                    except Exception as exc:  # noqa: BLE001
                        log.warning("run history write failed: %s", type(exc).__name__)
                    return
                req = inspector.request_view(record, api_key) if len(record.requests) != shown_requests else None
                hdr = inspector.headers_view(record, api_key) if record.headers is not shown_headers else None
                shown_requests, shown_headers = len(record.requests), record.headers
                yield (session.chat(), gr.skip(), *_SAME_BUTTONS, *_fresh(session, (req, hdr)), *(gr.skip(),) * 4)

    @staticmethod
    async def stop(session: Session) -> None:
        """Stop this session's run (async: it must run on the loop the run is on)."""
        session.control.request_stop()

    @staticmethod
    def undo(session: Session) -> tuple[Any, Any]:
        """Remove the last exchange and put its prompt back in the box."""
        if session.busy:
            gr.Warning("Stop the running reply first.")
            return gr.update(), gr.update()
        last = session.pop()
        restored = {"text": last.text, "files": last.files} if last else gr.update()
        return session.chat(), restored

    @staticmethod
    def edit(session: Session, edited: gr.EditData) -> tuple[Any, Any]:
        """An edited user message rewinds the conversation to it: that turn and the later ones go, and
        the edited text (with the turn's attachments) is what the chained Send (:meth:`resend`) sends.
        An edited answer is sent back as edited from then on and the later turns go; nothing is sent
        until the next message. Raises gr.Error (which stops the chain) while a reply is running or
        for a part of an answer that is not its text."""
        index = int(edited.index[0] if isinstance(edited.index, (list, tuple)) else edited.index)
        text, previous = _edited_text(edited.value), _edited_text(edited.previous_value)
        if text == previous:  # Gradio sends one edit per message of the edited bubble: the others are unchanged
            return gr.skip(), gr.skip()
        session.resend = False
        if session.busy:
            raise gr.Error("Stop the running reply first, then edit.")
        chat = session.chat()
        if 0 <= index < len(chat) and chat[index]["role"] == "assistant":
            try:
                session.edit_answer(index, text, previous)
            except ParameterError as exc:
                raise gr.Error(str(exc).removeprefix("messages: ")) from None
            return session.chat(), gr.skip()
        turn = session.rewind_to(index)
        if turn is None:
            raise gr.Error("That message is no longer in the conversation.")
        if turn.tool_results:  # results are edited in their boxes (filled again from this turn)
            session.undone = turn
            gr.Info("Tool results are edited in their boxes under the chat; change them and press Send.")
            return session.chat(), {"text": turn.text, "files": turn.files}
        session.resend = True
        return session.chat(), {"text": _edited_text(edited.value), "files": turn.files}

    async def resend(self, session: Session, prompt: dict | str | None, api_key: str, *values: Any
                     ) -> AsyncIterator[tuple[Any, ...]]:
        """The Send chained after an edit: only when a user message was edited (see :meth:`edit`)."""
        if not session.resend:
            yield _no_change()
            return
        session.resend = False
        async with contextlib.aclosing(self.send(session, prompt, api_key, *values)) as updates:
            async for update in updates:
                yield update

    @staticmethod
    def clear(session: Session) -> tuple[Any, ...]:
        """Forget the conversation and the inspector."""
        if session.busy:
            gr.Warning("Stop the running reply first.")
            return (gr.update(),) * (1 + len(INSPECTOR_KEYS))
        session.exchanges.clear()
        views = inspector_values(None, None, None)
        session.shown = dict(zip(INSPECTOR_KEYS, views, strict=True))
        return ([], *views)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` with unpaired UTF-16 surrogates (which a browser can send but UTF-8 cannot encode, so
    neither the API request nor Gradio's own stream could carry them) replaced by U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def _edited_text(value: Any) -> str:
    """The text of an edited chat bubble (a string, or a list of parts of which the text ones count)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _edited_text(value.get("text", value.get("content", "")))
    if isinstance(value, list):  # file parts ({"path": ...}) are the turn's attachments, kept as they were
        return "".join(_edited_text(v) for v in value if isinstance(v, str) or (isinstance(v, dict) and "path" not in v))
    return ""


def prompt_parts(prompt: dict | str | None) -> tuple[str, list[str]]:
    """The MultimodalTextbox value as (text, uploaded file paths)."""
    if isinstance(prompt, dict):
        files = [f if isinstance(f, str) else f.get("path", "") for f in prompt.get("files") or []]
        return prompt.get("text") or "", [f for f in files if f]
    return prompt or "", []


def _buttons(running: bool) -> tuple[Any, Any]:
    return gr.update(interactive=not running), gr.update(interactive=running)


EMPTY_PROMPT = {"text": "", "files": []}
# Send and Stop as the run's first update left them: an update that restates them is not free (Gradio
# builds a fresh component per update that sets a property, on every streamed update).
_SAME_BUTTONS = (gr.skip(), gr.skip())


def _fresh(session: Session, views: tuple[str | None, ...]) -> tuple[Any, ...]:
    """Inspector values (in ``INSPECTOR_KEYS`` order, from the first; None: not computed) with gr.skip() for each
    the page already shows: the Request tab holds the whole conversation, so it goes once per turn, not twice."""
    out: list[Any] = []
    for key, value in zip(INSPECTOR_KEYS, views, strict=False):
        if value is None or session.shown.get(key) == value:
            out.append(gr.skip())
        else:
            session.shown[key] = value
            out.append(value)
    return tuple(out)


def _no_change() -> tuple[Any, ...]:
    return (gr.skip(),) * (4 + len(INSPECTOR_KEYS))


def _sent_user_message(run: RunRecord, built: dict[str, Any], native: bool, prefilled: bool = False
                       ) -> dict[str, Any]:
    """The user message exactly as the provider sent it (with its media blocks), else the one we built.
    ``prefilled``: the request ended with the prefill (an assistant message) after it."""
    if native and run.request is not None:
        messages = run.request.body.get("messages") or []
        if prefilled and messages and isinstance(messages[-1], dict) and messages[-1].get("role") == "assistant":
            messages = messages[:-1]
        if messages and isinstance(messages[-1], dict) and messages[-1].get("role") == "user":
            return messages[-1]
    return built


class ChatAPI:
    """The ``/chat`` API endpoint (for ``gradio_client``): one message in, the reply text streamed out.

    It uses the server's default backend (offline emulator, or the real API with the server's
    key) and keeps no history: each call is one independent turn.
    """

    def __init__(self, backends: Backends) -> None:
        self.backends = backends

    async def chat(self, message: str, model: str = "", system: str = "", max_tokens: float = 1024
                   ) -> AsyncIterator[str]:
        """Stream the reply to ``message``; each value is the whole text so far."""
        if not (message or "").strip():
            raise gr.Error("message is empty")
        message, system = valid_text(message), valid_text(system or "")
        backend = self.backends.default
        try:
            target = self.backends.target(backend)
            settings = RunSettings.from_json({"backend": backend.kind, "model": model or "", "system": system,
                                              "max_tokens": max_tokens})
        except PlaygroundError as exc:
            raise gr.Error(str(exc)) from None
        kwargs = {**settings.to_kwargs(), **target.provider_kwargs()}
        request = RunRequest(target.provider, settings.model_id, [{"role": "user", "content": message}], kwargs)
        async with contextlib.aclosing(stream_run(request)) as run:
            async for progress in run:
                record = progress.run
                if progress.final and record.status == "error":
                    raise gr.Error(f"{record.error_text} (partial reply: {record.text!r})")
                yield record.text

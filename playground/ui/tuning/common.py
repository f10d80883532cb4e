"""What the tuning tabs share: settings helpers over :class:`~playground.settings.RunSettings`,
per-session runner lookup, small view helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

from playground import store
from playground.errors import PlaygroundError
from playground.settings import SAMPLING, RunSettings, SettingsError, control_states
from playground.tuning.runner import JobResult, Runner
from playground.tuning.share import NOT_SHARED
from playground.ui.context import UIContext

DEFAULT_CONCURRENCY = 4
# The Playground settings a share link, preset or History run restores, in this order.
RESTORED_KEYS: tuple[str, ...] = tuple(k for k in RunSettings().to_json() if k not in NOT_SHARED)
PRIVATE = {"api_visibility": "private"}

# Live runners per (browser session, tab): a Stop/Cancel click finds the run it must stop here.
# Runner.cancel is thread-safe, so the stop handlers need not share the run's event loop.
RUNNERS: dict[tuple[str, str], Runner] = {}


# -- settings helpers (pure) -------------------------------------------------------------------
def restore_values(settings: RunSettings, given: set[str] | None = None) -> list[Any]:
    """Values for the Playground components named in RESTORED_KEYS (``gr.skip()`` for a field not in
    ``given``, when given: a link restores only what it carries)."""
    values = settings.to_ui()
    return [values[k] if given is None or k in given else gr.skip() for k in RESTORED_KEYS]


def with_overrides(base: RunSettings, label: str, **ui_values: Any) -> RunSettings:
    """``base`` with some fields set from a tab's own boxes (UI text: blank sampling = not sent).
    Raises SettingsError whose message starts with ``label`` (e.g. "column 2")."""
    try:
        return RunSettings.from_ui({**base.to_ui(), **ui_values})
    except SettingsError as exc:
        raise PlaygroundError(f"{label}: " + "; ".join(f"{f}: {m}" for f, m in exc.problems)) from None


def checked(settings: RunSettings, label: str, keep: Sequence[str] = ()) -> tuple[RunSettings, list[str]]:
    """``settings`` fitted to their model (notes for what was left out) and checked like a Send:
    raises PlaygroundError naming ``label`` and each problem with its fix. ``keep``: fields this tab
    set itself, refused rather than dropped when the model does not take them."""
    try:
        fitted, notes = settings.fit(keep)
    except SettingsError as exc:
        raise PlaygroundError(f"{label} ({settings.model_id}): " + "; ".join(
            f"{f}: {m}" for f, m in exc.problems)) from None
    problems = fitted.problems()
    if problems:
        raise PlaygroundError(f"{label} ({fitted.model_id}): " + "; ".join(f"{f}: {m}" for f, m in problems))
    return fitted, notes


def sampling_updates(model: str | None) -> list[Any]:
    """temperature, top_p, top_k box updates for a tab's own model picker: disabled (and cleared) with the
    reason when the model does not take them."""
    states = control_states(model or None)
    return [gr.update(interactive=True, info=None) if states[k].enabled
            else gr.update(interactive=False, value="", info=states[k].reason) for k in SAMPLING]


def inherited_summary(settings: RunSettings, varied: Sequence[str] = ()) -> str:
    """One line naming what a tab takes from the Playground (everything not default, minus ``varied``)."""
    shown: list[str] = []
    for name, value in settings.changed().items():
        if name in varied or name in ("backend", "base_url") or name in NOT_SHARED:
            continue
        if name == "system":
            shown.append(f"system prompt ({len(value):,} characters)")
        elif name == "tools":
            shown.append(f"{len(value)} tool{'s' if len(value) != 1 else ''}")
        elif name == "stop_sequences":
            shown.append(f"{len(value)} stop sequence{'s' if len(value) != 1 else ''}")
        elif name == "response_format":
            shown.append(f"response format {value.get('type')}")
        else:
            shown.append(f"{name} `{value}`")
    head = f"**Inherited from the Playground** ({settings.backend_row.label}): "
    return head + (", ".join(shown) if shown else "nothing but the defaults") + "."


def stats_line(result: JobResult) -> str:
    """Per-column footer: status, tokens, cost, TTFT, tok/s, stop reason."""
    parts = [f"**{result.settings.model_id}** · {result.status()}"]
    if result.usage:
        parts.append(f"{result.usage.input_tokens} in / {result.usage.output_tokens} out tokens")
    if result.cost_usd is not None:
        parts.append(f"${result.cost_usd:.6f}")
    if result.ttft_s is not None:
        parts.append(f"TTFT {result.ttft_s:.2f} s")
    if result.tokens_per_s:
        parts.append(f"{result.tokens_per_s:.0f} tok/s")
    if result.duration_s is not None and result.done:
        parts.append(f"total {result.duration_s:.2f} s")
    if result.stop_reason:
        parts.append(f"stop: `{result.stop_reason}`")
    if result.retries:
        parts.append(f"{len(result.retries)} retr{'y' if len(result.retries) == 1 else 'ies'}")
    line = " · ".join(parts)
    if result.error:
        line += f"\n\n⚠️ {result.error}"
    return line


def session_key(session: Any, tab: str) -> tuple[str | None, str]:
    """The key under which a browser session's live runner in ``tab`` is found by its Stop / Cancel
    buttons: the chat ``Session``'s owner id (one per browser session, never sent to the page)."""
    return (owner_of(session), tab)


def target_for(ctx: UIContext, settings: RunSettings, api_key: str | None) -> Any:
    return ctx.backends.target(settings.backend, api_key, settings.base_url)


def tuning_runner(target: Any, chat: Any, **options: Any) -> Runner:
    """A Runner for one compare, sweep or rerun on ``target`` (the chosen backend), recording under the
    chat Session's owner id, with what the server imposes on every request: the private-host guard and
    ``PLAYGROUND_TIMEOUT``. ``options``: kind, concurrency, store, spend_cap."""
    guard = target.guard_kwargs()
    timeout = guard.pop("timeout", None)
    if timeout is not None:
        options["timeout"] = timeout
    return Runner(api_key=target.api_key, api_base=target.api_base, provider=target.provider,
                  backend=target.api_base or target.kind, owner=owner_of(chat), extra_kwargs=guard,
                  **options)


def owner_of(session: Any) -> str | None:
    """The run-history owner id of the chat's ``Session`` (shared by the Playground and the tuning tabs)."""
    return getattr(session, "owner", None)


def reader_owner(session: Any) -> str | None:
    """The owner filter for reading history in this session: its own runs in ``session`` scope,
    None (every run) in ``shared`` scope."""
    return store.read_owner(owner_of(session))


def history_store() -> store.RunStore | None:
    try:
        return store.get_store()
    except (OSError, store.HistoryError):  # an unwritable data dir must not break the tabs
        return None


def load_run(rid: Any, session: Any) -> store.Run | None:
    """Stored run ``rid`` as this browser session may see it. None when there is no such run, the
    store is unavailable, or (``session`` scope) the run is another session's: callers cannot tell
    these apart, so neither can a visitor probing ids."""
    runs_store = history_store()
    if runs_store is None or rid is None:
        return None
    try:
        return runs_store.get(int(rid), owner=reader_owner(session))
    except (OverflowError, ValueError, TypeError):  # not an id SQLite can hold: no such run
        return None


def missing_run(rid: Any) -> str:
    """The message for a run id :func:`load_run` did not find (the same whether it exists or not)."""
    shown = int(rid) if isinstance(rid, float) and rid.is_integer() else rid
    if store.history_scope() == "session":
        return f"No run {shown} in this session's history."
    return f"No run with id {shown} in the history."

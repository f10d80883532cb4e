"""What the tuning tabs share: settings adapters between the Playground's settings dict and
:class:`~playground.tuning.settings.RunSettings`, per-session runner lookup, small view helpers."""

from __future__ import annotations

from typing import Any

from playground import catalog, store
from playground.tuning.record import system_text
from playground.tuning.runner import JobResult, Runner
from playground.tuning.settings import RunSettings
from playground.ui.context import UIContext
from playground.ui.settings import DEFAULTS, to_provider_kwargs

DEFAULT_CONCURRENCY = 4
# Settings a share link / preset restores in the Playground tab, in this order.
RESTORED_KEYS = ("model", "system", "temperature", "top_p", "top_k", "max_tokens", "stop_sequences", "thinking",
                 "thinking_budget", "effort", "tools", "tool_choice", "cache", "cache_ttl")
PRIVATE = {"api_visibility": "private"}

# Live runners per (browser session, tab): a Stop/Cancel click finds the run it must stop here.
# Runner.cancel is thread-safe, so the stop handlers need not share the run's event loop.
RUNNERS: dict[tuple[str, str], Runner] = {}


# -- settings adapters (pure) ------------------------------------------------------------------
def stop_text(stops: tuple[str, ...] | list[str]) -> str:
    """Stop sequences in the Playground's text form: one per line, ``\\n``/``\\t``/``\\\\`` escaped."""
    return "\n".join(s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") for s in stops)


def blank(value: Any) -> str:
    """A number as a Playground text box shows it (``None`` -> empty: not sent)."""
    return "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def base_settings(settings: dict[str, Any]) -> tuple[RunSettings, dict[str, Any]]:
    """The Playground's settings dict -> (RunSettings, extra provider kwargs: tools, tool_choice, headers...).

    Raises ParameterError for values that cannot be sent (same rules as the chat).
    """
    kwargs = to_provider_kwargs(settings)
    thinking = kwargs.get("thinking")
    run = RunSettings(
        model=catalog.resolve((settings.get("model") or "").strip() or None),
        system=system_text(kwargs.get("system")) or "",
        temperature=kwargs.get("temperature"),
        top_p=kwargs.get("top_p"),
        top_k=kwargs.get("top_k"),
        max_tokens=int(kwargs["max_tokens"]),
        stop=tuple(kwargs.get("stop") or ()),
        thinking_budget=thinking if isinstance(thinking, int) else None,
        effort=kwargs.get("effort"),
    )
    extra = {k: kwargs[k] for k in ("tools", "tool_choice", "headers", "extra_data") if kwargs.get(k) is not None}
    if isinstance(kwargs.get("system"), list):  # prompt caching: the system prompt goes as a marked block
        extra["system"] = kwargs["system"]
    if isinstance(thinking, dict):
        extra["thinking"] = thinking
    return run, extra


def playground_extras(settings: dict[str, Any]) -> dict[str, str]:
    """The Playground settings a preset or share link carries beside its RunSettings, as the controls
    hold them, where they differ from the defaults: adaptive thinking, tools (JSON text), tool_choice,
    prompt caching and its TTL. The offline-only test knobs (faults) are not settings to share."""
    out: dict[str, str] = {}
    if settings.get("thinking") == "adaptive":
        out["thinking"] = "adaptive"
    tools = (settings.get("tools") or "").strip()
    if tools:
        out["tools"] = tools
        choice = (settings.get("tool_choice") or "").strip()
        if choice and choice != DEFAULTS["tool_choice"]:
            out["tool_choice"] = choice
    if settings.get("cache") not in (None, "", DEFAULTS["cache"]):
        out["cache"] = settings["cache"]
        if settings.get("cache_ttl") not in (None, "", DEFAULTS["cache_ttl"]):
            out["cache_ttl"] = settings["cache_ttl"]
    return out


def ui_values(run: RunSettings, extras: dict[str, str] | None = None) -> dict[str, Any]:
    """RunSettings and the Playground extras (:func:`playground_extras`) -> values for the Playground
    components named in RESTORED_KEYS; an extra not given takes the Playground's default."""
    extras = extras or {}
    thinking = "adaptive" if extras.get("thinking") == "adaptive" else ("budget" if run.thinking_budget else "off")
    return {
        "model": run.model, "system": run.system, "temperature": blank(run.temperature),
        "top_p": blank(run.top_p), "top_k": blank(run.top_k), "max_tokens": run.max_tokens,
        "stop_sequences": stop_text(run.stop), "thinking": thinking,
        "thinking_budget": run.thinking_budget or DEFAULTS["thinking_budget"], "effort": run.effort or "",
        **{k: extras.get(k, DEFAULTS[k]) for k in ("tools", "tool_choice", "cache", "cache_ttl")},
    }


def column_settings(base: RunSettings, model: str, temperature: Any, top_p: Any, top_k: Any, max_tokens: Any,
                    stop: str) -> RunSettings:
    """A Compare column: the Playground's settings with this column's model and sampling values.
    A blank sampling box means "not sent"."""
    values = to_provider_kwargs({"temperature": temperature, "top_p": top_p, "top_k": top_k,
                                 "max_tokens": max_tokens, "stop_sequences": stop})
    return base.with_values(model=(model or "").strip() or base.model, temperature=values["temperature"],
                            top_p=values["top_p"], top_k=values["top_k"], max_tokens=values["max_tokens"],
                            stop=values["stop"] or ())


def model_problems(run: RunSettings) -> list[str]:
    """What the model would reject (the provider's checks, when installed)."""
    try:
        from playground.params import problems
    except ImportError:
        return []
    thinking = run.thinking_budget or None
    return list(problems(run.model, temperature=run.temperature, top_p=run.top_p, top_k=run.top_k,
                         max_tokens=run.max_tokens, stop=list(run.stop) or None, thinking=thinking))


def stats_line(result: JobResult) -> str:
    """Per-column footer: status, tokens, cost, TTFT, tok/s, stop reason."""
    parts = [f"**{result.settings.model}** · {result.status()}"]
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


def target_for(ctx: UIContext, settings: dict[str, Any], api_key: str | None) -> Any:
    return ctx.backends.target(settings["backend"], api_key, settings["base_url"])


def tuning_runner(target: Any, chat: Any, extra: dict[str, Any], **options: Any) -> Runner:
    """A Runner for one compare, sweep or rerun on ``target`` (the chosen backend), recording under the
    chat Session's owner id, with what the server imposes on every request: the private-host guard and
    ``PLAYGROUND_TIMEOUT``. ``options``: kind, concurrency, store, spend_cap."""
    guard = target.guard_kwargs()
    timeout = guard.pop("timeout", None)
    if timeout is not None:
        options["timeout"] = timeout
    return Runner(api_key=target.api_key, api_base=target.api_base, provider=target.provider,
                  backend=target.api_base or target.kind, owner=owner_of(chat), extra_kwargs={**extra, **guard},
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

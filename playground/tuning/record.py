"""Recording a finished run in the run history: :func:`run_fields` is what every stored run takes from
its :class:`~playground.run.RunRecord` (the chat's :func:`record_turn` and the tuning runner both use it).

    record_turn(run, request.messages, model, kwargs, backend=target.api_base or target.kind,
                api_key=target.api_key, files=files, owner=session.owner)

The key in ``kwargs``/``api_key`` is never stored: it is left out of the parameters and scrubbed from
every field by the store.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from .. import catalog, store
from ..run import RunRecord

# Provider kwargs that shape the output (api_key, api_base, headers, media, stream are transport, not parameters).
PARAM_KEYS = ("temperature", "top_p", "top_k", "max_tokens", "stop", "thinking", "effort", "tool_choice")


def _media_refs(files: Sequence[str]) -> list[dict[str, Any]]:
    refs = []
    for path in files:
        try:
            with open(path, "rb") as fh:
                refs.append(store.media_ref(fh.read(), os.path.basename(path)))
        except OSError:
            refs.append({"sha256": None, "name": os.path.basename(path), "size": None})
    return refs


def system_text(system: Any) -> str | None:
    """A system prompt sent as text blocks (e.g. marked for caching) is stored as its text."""
    if isinstance(system, list):
        return "\n\n".join(b.get("text", "") for b in system if isinstance(b, dict))
    return system


def _cache_control(kwargs: dict[str, Any]) -> dict[str, Any] | None:
    system = kwargs.get("system")
    if isinstance(system, list):
        marked = [b["cache_control"] for b in system if isinstance(b, dict) and b.get("cache_control")]
        if marked:
            return {"on": "system", **marked[-1]}
    top = (kwargs.get("extra_data") or {}).get("cache_control")
    return {"on": "auto", **top} if isinstance(top, dict) else None


def turn_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The run's parameters from provider kwargs: credentials and transport settings left out."""
    params = {k: kwargs[k] for k in PARAM_KEYS if kwargs.get(k) is not None}
    cache = _cache_control(kwargs)
    if cache:
        params["cache"] = cache
    if kwargs.get("stop"):
        params["stop"] = list(kwargs["stop"])
    if kwargs.get("tools"):
        params["tools"] = [t.get("name") for t in kwargs["tools"] if isinstance(t, dict)]
    return params


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


def run_fields(run: RunRecord, model: str) -> dict[str, Any]:
    """The stored run's output, usage, cost, timing (seconds, as the history keeps them), headers, request
    body and error, all read from ``run``. A stopped run is stored with the error ``"stopped"``."""
    return dict(
        output=run.text, thinking=run.thinking, tool_calls=[asdict(c) for c in run.tool_calls],
        stop_reason=run.finish.raw if run.finish is not None else None,
        usage=asdict(run.usage) if run.usage is not None else {},
        cost_usd=catalog.usage_cost_usd(model, run.usage) if run.usage is not None else None,
        ttft_s=_seconds(run.ttft_ms), duration_s=_seconds(run.total_ms), tokens_per_s=run.output_tokens_per_second,
        headers=dict(run.headers.headers) if run.headers is not None else {},
        request_body=run.request.body if run.request is not None else {},
        error=run.error_text if run.status == "error" else "stopped" if run.status == "stopped" else None,
    )


def record_turn(run: RunRecord, messages: list[dict[str, Any]], model: str, kwargs: dict[str, Any], *,
                backend: str = "", api_key: str | None = None, files: Sequence[str] = (), kind: str = "chat",
                owner: str | None = None) -> int | None:
    """Store one finished (or stopped, or failed) turn; returns the run id, or None if history is off.

    ``owner`` is the browser session's owner id (``Session.owner``): in ``session`` history scope only
    that session sees the run.

    Never raises into the chat: a store that cannot write returns None.
    """
    try:
        return store.record_run(
            kind=kind, backend=backend, model=model, params=turn_params(kwargs),
            system=system_text(kwargs.get("system")), messages=messages, media=_media_refs(files),
            owner=owner, secrets=[api_key], **run_fields(run, model),
        )
    except store.HistoryError:
        return None
    except (AttributeError, TypeError, ValueError):  # not a run record: skip, never break chat
        return None

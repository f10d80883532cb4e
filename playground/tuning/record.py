"""Recording a finished chat turn in the run history: the one call the Playground's handler makes.

    record_turn(view, request.messages, settings, backend=target.api_base or target.kind,
                api_key=target.api_key, files=files, accumulator=progress.accumulator, owner=session.owner)

``view`` is the UI's per-turn view (``playground.ui.render.TurnView``; only its attributes are read,
so this module needs no UI import). ``settings`` (as sent: fitted to the model) are stored whole as the
run's ``params``, so a rerun starts from exactly them. The key is never stored: settings hold none,
and the store scrubs ``api_key`` from every field.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from .. import catalog, store
from ..settings import RunSettings


def _media_refs(files: Sequence[str]) -> list[dict[str, Any]]:
    refs = []
    for path in files:
        try:
            with open(path, "rb") as fh:
                refs.append(store.media_ref(fh.read(), os.path.basename(path)))
        except OSError:
            refs.append({"sha256": None, "name": os.path.basename(path), "size": None})
    return refs


def record_turn(view: Any, messages: list[dict[str, Any]], settings: RunSettings, *,
                backend: str = "", api_key: str | None = None, files: Sequence[str] = (), kind: str = "chat",
                accumulator: Any = None, owner: str | None = None) -> int | None:
    """Store one finished (or stopped, or failed) turn; returns the run id, or None if history is off.

    ``owner`` is the browser session's owner id (``Session.owner``): in ``session`` history scope only
    that session sees the run.

    Never raises into the chat: a store that cannot write returns None.
    """
    model = settings.model_id
    try:
        usage = asdict(view.usage) if getattr(view, "usage", None) is not None else {}
        requests = getattr(view, "requests", None) or []
        finish = getattr(view, "finish", None)
        first, started, ended = view.first_token_at, view.started, view.ended_at
        duration = (ended - started) if ended is not None else None
        ttft = (first - started) if first is not None else None
        out_tokens = usage.get("output_tokens") or 0
        tps = out_tokens / (ended - first) if (first is not None and ended and ended > first and out_tokens) else None
        u = getattr(view, "usage", None)
        cost_usd = catalog.usage_cost_usd(model, u) if u is not None else None
        calls = getattr(accumulator, "tool_calls", None) or []
        tool_calls = [asdict(c) for c in calls]
        error = view.error_text if getattr(view, "status", "") == "error" else (
            "stopped" if getattr(view, "status", "") == "stopped" else None)
        return store.record_run(
            kind=kind, backend=backend, model=model, params=settings.to_json(), system=settings.system or None,
            messages=messages, media=_media_refs(files), output=view.text, thinking=view.thinking,
            tool_calls=tool_calls, stop_reason=finish.raw if finish is not None else None, usage=usage,
            cost_usd=cost_usd, ttft_s=ttft, duration_s=duration, tokens_per_s=tps,
            headers=dict(view.headers.headers) if getattr(view, "headers", None) is not None else {},
            request_body=requests[-1].body if requests else {}, error=error, owner=owner, secrets=[api_key],
        )
    except store.HistoryError:
        return None
    except (AttributeError, TypeError, ValueError):  # a view without the expected shape: skip, never break chat
        return None

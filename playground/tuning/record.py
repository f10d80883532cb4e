"""Recording a finished run in the run history: :func:`run_fields` is what every stored run takes from
its :class:`~playground.run.RunRecord` (the chat's :func:`record_turn` and the tuning runner both use it).

    record_turn(run, request.messages, settings, backend=target.api_base or target.kind,
                api_key=target.api_key, files=files, owner=session.owner)

``settings`` (as sent: fitted to the model) are stored whole as the run's ``params``, so a rerun starts
from exactly them. The key is never stored: settings hold none, and the store scrubs ``api_key`` from
every field.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from .. import catalog, store
from ..run import RunRecord
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


def record_turn(run: RunRecord, messages: list[dict[str, Any]], settings: RunSettings, *,
                backend: str = "", api_key: str | None = None, files: Sequence[str] = (), kind: str = "chat",
                owner: str | None = None) -> int | None:
    """Store one finished (or stopped, or failed) turn; returns the run id, or None if history is off.

    ``owner`` is the browser session's owner id (``Session.owner``): in ``session`` history scope only
    that session sees the run.

    Never raises into the chat: a store that cannot write returns None.
    """
    model = settings.model_id
    try:
        return store.record_run(
            kind=kind, backend=backend, model=model, params=settings.to_json(), system=settings.system or None,
            messages=messages, media=_media_refs(files), owner=owner, secrets=[api_key], **run_fields(run, model),
        )
    except store.HistoryError:
        return None
    except (AttributeError, TypeError, ValueError):  # not a run record: skip, never break chat
        return None

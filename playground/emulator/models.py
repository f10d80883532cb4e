"""``GET /v1/models`` and ``GET /v1/models/{id}`` bodies, served from :mod:`playground.catalog`.

The emulator's own model comes first, then the real models newest first. Each entry also
carries the OpenAI list fields (``object``, ``created``, ``owned_by``), so the OpenAI SDK's
``models.list()`` reads the same endpoint.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from playground import catalog
from playground.catalog import ModelInfo

from .apierror import ApiError, invalid


def all_models() -> list[ModelInfo]:
    """Every model the emulator serves, in listing order."""
    return [catalog.EMULATOR_INFO, *catalog.MODELS]


def model_json(info: ModelInfo) -> dict[str, Any]:
    """One ``ModelInfo`` object (reference §6.1), with capabilities from the catalog."""
    created = int(datetime.fromisoformat(info.created_at.replace("Z", "+00:00")).timestamp())
    return {
        "type": "model",
        "id": info.id,
        "display_name": info.display_name,
        "created_at": info.created_at,
        "max_input_tokens": info.context_window,
        "max_tokens": info.max_output,
        "capabilities": {
            "image_input": {"supported": info.image_input},
            "pdf_input": {"supported": info.pdf_input},
            "citations": {"supported": False},
            "batch": {"supported": False},
            "structured_outputs": {"supported": False},
            "thinking": {
                "supported": bool(info.thinking_modes),
                "types": {mode: {"supported": mode in info.thinking_modes} for mode in ("enabled", "adaptive")},
            },
            "effort": {
                "supported": bool(info.efforts),
                **{e: {"supported": e in info.efforts} for e in ("low", "medium", "high", "xhigh", "max")},
            },
        },
        "object": "model",
        "created": created,
        "owned_by": "playground-emulator" if info.id == catalog.EMULATOR_MODEL else "anthropic",
    }


def list_page(query: dict[str, str]) -> dict[str, Any]:
    """A page of the listing for ``limit`` (1-1000, default 20), ``after_id`` / ``before_id``."""
    raw_limit = query.get("limit", "20")
    try:
        limit = int(raw_limit)
    except ValueError:
        raise invalid("limit: Input should be a valid integer", "limit") from None
    if not 1 <= limit <= 1000:
        raise invalid("limit: Input should be between 1 and 1000", "limit")
    models = all_models()
    ids = [m.id for m in models]
    start, end = 0, len(models)
    after, before = query.get("after_id"), query.get("before_id")
    if after and before:
        raise invalid("after_id and before_id cannot both be given", "after_id")
    if after:
        if after not in ids:
            raise invalid(f"after_id: unknown model id {after!r}", "after_id")
        start = ids.index(after) + 1
        page = models[start:start + limit]
        has_more = start + limit < end
    elif before:
        if before not in ids:
            raise invalid(f"before_id: unknown model id {before!r}", "before_id")
        end = ids.index(before)
        page = models[max(0, end - limit):end]
        has_more = end - limit > 0
    else:
        page = models[:limit]
        has_more = limit < end
    data = [model_json(m) for m in page]
    return {
        "data": data,
        "has_more": has_more,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "object": "list",
    }


def get_model(model_id: str) -> dict[str, Any]:
    """One model by id or alias (resolved to its canonical id), else a 404."""
    info = catalog.get(model_id)
    if info is None:
        raise ApiError(404, f"model: {model_id}")
    return model_json(info)

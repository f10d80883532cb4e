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

from .apierror import ApiError
from .listing import id_page


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
    return {**id_page(all_models(), query, lambda m: m.id, model_json, noun="model"), "object": "list"}


def get_model(model_id: str) -> dict[str, Any]:
    """One model by id or alias (resolved to its canonical id), else a 404."""
    info = catalog.get(model_id)
    if info is None:
        raise ApiError(404, f"model: {model_id}")
    return model_json(info)

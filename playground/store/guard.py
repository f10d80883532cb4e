"""What never reaches the run store: API keys (refused in parameters, redacted in headers, scrubbed
from every text) and media bytes (replaced by a sha256 reference)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from ..secrets import SECRET_HEADERS, map_strings, redact, scrub

# Parameter names that can only be a credential: a run carrying one is refused, not "cleaned",
# because a caller that puts a key there has a bug we want to hear about.
_KEY_PARAM_NAMES = frozenset({"api_key", "apikey", "x-api-key", "x_api_key", "authorization", "auth_token",
                              "api-key", "access_token", "secret", "password"})
# Header names whose values are credentials even when not in SECRET_HEADERS (cookies, tokens).
# ("anthropic-ratelimit-tokens-remaining" is not one: only a name *ending* in "token" counts.)
_SECRET_NAME_RE = re.compile(r"(api[-_]?key|secret|password|cookie|session|(^|[-_])auth|token$)", re.I)
# Values that look like an Anthropic/OpenAI style key wherever they appear.
_KEY_VALUE_RE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|sk_[A-Za-z0-9_\-]{8,})")


class HistoryError(ValueError):
    """A run was refused by the store (e.g. it carried an API key); the message says why."""


def media_ref(data: bytes, name: str) -> dict[str, Any]:
    """The reference stored for an uploaded file: its sha256, name and size, never its bytes."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "name": name, "size": len(data)}


def scrub_headers(headers: Mapping[str, str] | None, *secrets: str | None) -> dict[str, str]:
    """Copy of ``headers`` with every secret-looking value redacted (by name or by shape)."""
    out: dict[str, str] = {}
    for name, value in (headers or {}).items():
        value = str(value)
        if name.lower() in SECRET_HEADERS or _SECRET_NAME_RE.search(name):
            scheme, _, token = value.partition(" ")
            value = f"{scheme} {redact(token)}" if token and scheme.lower() in ("bearer", "basic") else redact(value)
        else:
            value = _KEY_VALUE_RE.sub(lambda m: redact(m.group(0)), scrub(value, *secrets))
        out[str(name)] = value
    return out


def check_params(params: Mapping[str, Any]) -> None:
    """Raise :class:`HistoryError` if ``params`` carries anything named like a credential."""
    for name, value in params.items():
        if name.lower().replace(" ", "_") in _KEY_PARAM_NAMES and value:
            raise HistoryError(f"refusing to store parameter {name!r}: it looks like a credential, and API keys "
                               "are never written to history. Pass the key to the provider, not in params.")
        if isinstance(value, Mapping):
            check_params(value)


def strip_media(obj: Any) -> Any:
    """The request body with every base64 ``source.data`` replaced by a short reference."""
    if isinstance(obj, list):
        return [strip_media(v) for v in obj]
    if isinstance(obj, dict):
        out = {k: strip_media(v) for k, v in obj.items()}
        if out.get("type") == "base64" and isinstance(obj.get("data"), str):
            data = obj["data"]
            try:
                raw = base64.b64decode(data, validate=False)
            except (ValueError, TypeError):
                raw = data.encode()
            out["data"] = f"<omitted: sha256 {hashlib.sha256(raw).hexdigest()}, {len(raw)} bytes>"
        return out
    return obj


def deep_scrub(obj: Any, secrets: tuple[str | None, ...]) -> Any:
    """A copy of ``obj`` with ``secrets`` and anything shaped like a key masked in every string
    (iterative: deep input cannot overflow the stack)."""
    return map_strings(obj, lambda text: _KEY_VALUE_RE.sub(lambda m: redact(m.group(0)), scrub(text, *secrets)))

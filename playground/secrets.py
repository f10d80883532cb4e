"""Keeping API keys out of everything a person or a log can see."""

from __future__ import annotations

from collections.abc import Mapping

SECRET_HEADERS = frozenset({"x-api-key", "authorization", "api-key", "proxy-authorization"})


def redact(secret: str | None) -> str:
    """``sk-ant-...abcd`` style: only the last 4 characters survive."""
    if not secret:
        return ""
    return "…" + secret[-4:] if len(secret) > 8 else "…" * 3


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Copy of ``headers`` with secret values redacted (keeping a ``Bearer `` prefix)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            scheme, _, token = value.partition(" ")
            value = f"{scheme} {redact(token)}" if token else redact(value)
        out[name] = value
    return out


def scrub(text: str, *secrets: str | None) -> str:
    """Replace every occurrence of each secret in ``text`` by its redacted form."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, redact(secret))
    return text

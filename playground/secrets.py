"""Keeping API keys out of everything a person or a log can see."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

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


def redactor(*visitor_secrets: str | None) -> Redactor:
    """A :class:`Redactor` for everything the server knows plus the visitor's own key(s)."""
    return Redactor((*visitor_secrets, *server_secrets()))


def scrub(text: str, *secrets: str | None) -> str:
    """Replace every occurrence of each secret in ``text`` by its redacted form."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, redact(secret))
    return text


# Environment variables whose values are credentials, by the usual naming (ANTHROPIC_API_KEY,
# OPENAI_API_KEY, HF_TOKEN, ..._SECRET, ..._PASSWORD).
_CREDENTIAL_NAME = re.compile(r"(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD)$", re.IGNORECASE)
MIN_SECRET_LENGTH = 8  # shorter values are not credentials worth masking (and would mask ordinary words)


def server_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Every key the server knows: credential-named environment variables and the keys in the
    settings (``.env`` included)."""
    from .config import load_keys  # lazy: config must not be on the import path of this module's users

    env = os.environ if environ is None else environ
    found = [value for name, value in env.items() if _CREDENTIAL_NAME.search(name)]
    settings = load_keys(env)
    found += [settings.anthropic_api_key or "", settings.openai_api_key or ""]
    return tuple(value.strip() for value in found if value and len(value.strip()) >= MIN_SECRET_LENGTH)


class Redactor:
    """Masks a fixed set of secrets (each to its :func:`redact` form) in text and in JSON-like values.

    A redactor with no secrets changes nothing and costs nothing, so the offline path stays fast."""

    __slots__ = ("secrets",)

    def __init__(self, secrets: Iterable[str | None]) -> None:
        unique = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        self.secrets: tuple[str, ...] = tuple(sorted(unique, key=len, reverse=True))  # longest first

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def text(self, text: str) -> str:
        """``text`` with every secret masked."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, redact(secret))
        return text

    def value(self, value: Any) -> Any:
        """A copy of a str / dict / list / tuple tree with every secret masked (dict keys included);
        other values unchanged. Iterative, so a deeply nested value cannot exhaust the stack."""
        if not self.secrets:
            return value
        return map_strings(value, self.text)

    def stream(self) -> StreamMasker:
        """A masker for text that arrives in pieces (a streamed reply), where a key may be split."""
        return StreamMasker(self)


def map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    """A copy of a JSON-like tree (dicts, lists, tuples) with ``fn`` applied to every string, dict
    keys included. Iterative: a value nested thousands of levels deep cannot exhaust the stack."""
    if isinstance(value, str):
        return fn(value)
    if not isinstance(value, dict | list | tuple):
        return value
    root: list[Any] = [None]
    tuples: list[tuple[list[Any], Any, list[Any]]] = []  # (parent, key, items): rebuilt innermost first
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]  # (source, parent container, key in parent)
    while stack:
        source, parent, key = stack.pop()
        if isinstance(source, str):
            parent[key] = fn(source)
        elif isinstance(source, dict):
            copy: dict[Any, Any] = {}
            parent[key] = copy
            for k, v in source.items():
                k = fn(k) if isinstance(k, str) else k
                copy[k] = None
                stack.append((v, copy, k))
        elif isinstance(source, list | tuple):
            items: list[Any] = [None] * len(source)
            parent[key] = items
            if isinstance(source, tuple):
                tuples.append((parent, key, items))
            stack.extend((v, items, i) for i, v in enumerate(source))
        else:
            parent[key] = source
    for parent, key, items in reversed(tuples):  # inner tuples were found later: rebuild them first
        parent[key] = tuple(items)
    return root[0]


class StreamMasker:
    """Masks secrets in text fed piece by piece: a tail that could be the start of a secret is held
    back until the next piece (or :meth:`flush`) shows whether it is one. Only such a tail waits,
    so ordinary text passes through at once."""

    __slots__ = ("_redactor", "_pending")

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._pending = ""

    def feed(self, piece: str) -> str:
        """The part of ``pending + piece`` that is safe to show now, masked."""
        text = self._redactor.text(self._pending + piece) if self._pending else self._redactor.text(piece)
        hold = self._held_tail(text)
        self._pending = text[len(text) - hold:] if hold else ""
        return text[: len(text) - hold] if hold else text

    def flush(self) -> str:
        """What is still held back (the stream ended, or other output comes next)."""
        out, self._pending = self._pending, ""
        return out

    def _held_tail(self, text: str) -> int:
        longest = 0
        for secret in self._redactor.secrets:
            first = secret[0]
            start = max(0, len(text) - len(secret) + 1)
            while (at := text.find(first, start)) >= 0:
                if secret.startswith(text[at:]):
                    longest = max(longest, len(text) - at)
                    break
                start = at + 1
        return longest

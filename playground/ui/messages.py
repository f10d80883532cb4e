"""Markdown that is safe to show: fenced code that cannot break out, escaped server text, and the
readable one-paragraph message for each kind of error (never a traceback)."""

from __future__ import annotations

import html

from playground.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BlockedAddressError,
    MissingAuthError,
    ParameterError,
    RedirectError,
    StreamError,
)


def fence(body: str, lang: str = "json") -> str:
    """A fenced code block whose fence cannot be closed early by the body."""
    ticks = "```"
    while ticks in body:
        ticks += "`"
    return f"{ticks}{lang}\n{body}\n{ticks}"


def escape_markdown(text: str) -> str:
    """Server-provided strings (error messages) shown as text, never as markup."""
    return html.escape(text, quote=False).replace("*", "\\*").replace("_", "\\_").replace("`", "\\`")


def code_span(text: str) -> str:
    """``text`` as inline code. Nothing is escaped inside: a code span shows backslashes and entities
    literally (``top\\_p`` would show its backslash), and it renders no markup or HTML anyway."""
    text = " ".join(text.split())  # a code span is one line
    ticks = "`"
    while ticks in text:
        ticks += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def describe_error(exc: BaseException) -> str:
    """A readable one-paragraph Markdown message for an error: status, type, request id, hint.

    Never a traceback; messages from this package are already key-free (see playground.errors).
    """
    if isinstance(exc, APIStatusError):
        text = f"**{exc.status} {escape_markdown(exc.error_type)}**: {escape_markdown(exc.message)}"
        if isinstance(exc, AuthenticationError):
            text += " — check your API key."
        elif exc.status == 429:
            text += " — you hit a rate limit; wait a moment and press Retry."
        elif exc.status == 529:
            text += " — the API is overloaded; press Retry in a moment."
        if exc.request_id:
            text += f"  \nrequest-id: {code_span(exc.request_id)}"
        return text
    if isinstance(exc, StreamError):
        text = f"**Stream interrupted**{f' ({escape_markdown(exc.error_type)})' if exc.error_type else ''}: " + escape_markdown(
            str(exc).split(": ", 1)[-1]
        )
        if exc.request_id:
            text += f"  \nrequest-id: {code_span(exc.request_id)}"
        return text
    if isinstance(exc, APITimeoutError):
        return f"**Timed out**: {escape_markdown(str(exc))}"
    if isinstance(exc, APIConnectionError):
        return f"**Could not connect**: {escape_markdown(str(exc))}"
    if isinstance(exc, MissingAuthError):
        return f"**No API key**: {escape_markdown(str(exc))}"
    if isinstance(exc, BlockedAddressError):
        return f"**Private address refused**: {escape_markdown(str(exc))}"
    if isinstance(exc, RedirectError):
        return f"**Redirect not followed**: {escape_markdown(str(exc))}"
    if isinstance(exc, ParameterError):
        detail = str(exc)
        if detail.startswith(f"{exc.param}: "):  # the field is already named in the heading
            detail = detail[len(exc.param) + 2:]
        return f"**Invalid {code_span(exc.param)}**: {escape_markdown(detail)}"
    return f"**Unexpected error** ({type(exc).__name__}): {escape_markdown(str(exc))}"

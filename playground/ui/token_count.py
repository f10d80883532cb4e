""""Count tokens": the size of the next request before it is sent.

Asks the backend's ``/v1/messages/count_tokens`` (free on the real API, and the offline emulator
gives the same count its ``/v1/messages`` would report) for exactly what *Send* would send now:
the conversation so far, the typed message with its attachments, the system prompt and the tools.
The answer also shows the input cost at the model's list price and how much of the context window
it fills, so an oversized prompt is caught before it costs anything.
"""

from __future__ import annotations

from typing import Any

from playground import catalog
from playground.errors import PlaygroundError
from playground.secrets import scrub
from playground.ui.backends import OPENAI, Backends
from playground.ui.handlers import prompt_parts, read_media
from playground.ui.messages import escape_markdown
from playground.ui.session import Session
from playground.ui.settings import SETTING_KEYS, to_provider_kwargs


def describe(tokens: int, model: str) -> str:
    """One Markdown line: the count, its input cost and the share of the context window.

    >>> describe(1200, "claude-sonnet-4-6")
    'Next request: **1,200 input tokens** · $0.003600 at list price · 0.1% of the 1,000,000-token context window'
    """
    info = catalog.get(model)
    parts = [f"Next request: **{tokens:,} input tokens**"]
    cost = catalog.cost_usd(model, tokens, 0)
    if cost == 0:
        parts.append("free (offline model)")
    elif cost is not None:
        parts.append(f"${cost:.6f} at list price")
    if info is not None:
        share = tokens / info.context_window
        parts.append(f"{share:.1%} of the {info.context_window:,}-token context window")
        if share > 1:
            parts.append("**too long for this model**")
    return " · ".join(parts)


async def count_next_request(backends: Backends, session: Session, prompt: dict | str | None, api_key: str,
                             *values: Any) -> str:
    """Markdown for the *Count tokens* button: the count, or why it could not be had."""
    settings = dict(zip(SETTING_KEYS, values, strict=True))
    model = catalog.resolve((settings["model"] or "").strip())
    if settings["backend"] == OPENAI:
        return "Token counting needs the Messages API: OpenAI-compatible endpoints have no count endpoint."
    text, files = prompt_parts(prompt)
    try:
        kwargs = to_provider_kwargs(settings)
        target = backends.target(settings["backend"], api_key, settings["base_url"])
        media = read_media(files)
        messages = [*session.history(), session.next_user_message(text or "(empty message)")]
        tokens = await target.provider.count_tokens(
            model, messages, api_key=target.api_key, api_base=target.api_base, system=kwargs["system"],
            tools=kwargs["tools"], media=media or None, **target.guard_kwargs())
    except (PlaygroundError, OSError) as exc:
        return f"**Could not count tokens:** {escape_markdown(scrub(str(exc), api_key))}"
    return describe(tokens, model)

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
from playground.backends import Backends, get_backend
from playground.errors import PlaygroundError
from playground.secrets import scrub
from playground.ui.context import read_settings
from playground.ui.handlers import prepare_run, read_inputs
from playground.ui.messages import escape_markdown
from playground.ui.session import Session


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
    text, files, values = read_inputs(prompt, values)
    try:
        settings = read_settings(values)
        backend = get_backend(settings.backend)
    except PlaygroundError as exc:
        return f"**Could not count tokens:** {escape_markdown(str(exc))}"
    model = settings.model_id
    if not backend.supports_count_tokens:
        return f"Token counting needs the Messages API: {backend.label}s have no count endpoint."
    if not text.strip() and not files:
        return "Type a message (or attach a file) first: the count is for the next request."
    try:  # the very request Send would make (same messages, system, tools and attachments)
        target, kwargs, user_message = prepare_run(backends, session, text, files, api_key, settings)
        tokens = await target.provider.count_tokens(
            model, [*session.history(), user_message], api_key=kwargs.get("api_key"), api_base=kwargs.get("api_base"),
            system=kwargs.get("system"), tools=kwargs.get("tools"), media=kwargs.get("media"),
            **target.guard_kwargs())
    except (PlaygroundError, OSError) as exc:
        return f"**Could not count tokens:** {escape_markdown(scrub(str(exc), api_key))}"
    return describe(tokens, model)

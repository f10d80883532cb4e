"""What the chat shows of a run, read from its :class:`~playground.run.RunRecord`, plus the throttle
that keeps long streams cheap.

:func:`chat_messages` turns the record's content blocks, *in the order they arrived* (thinking, text,
tool calls, ...), into ``gr.Chatbot`` message dicts on demand. Rendering is pure string work: no Gradio
import, so it is unit-tested fast. The parts are folded once, by the record; this module only decides
what a person sees.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from playground.run import Block, RunRecord
from playground.structured import check_reply, wants_json
from playground.ui.messages import escape_markdown, fence

RENDER_INTERVAL = 0.05  # seconds: at most ~20 renders/s; each costs ~2 ms end to end in Gradio
# The browser re-renders a growing message's whole Markdown on every update (about 1-2 µs per
# character measured in Chromium), so long answers are rendered less often: the interval grows to
# RENDER_COST_PER_CHAR x characters, keeping the browser mostly idle and ready for the final render.
RENDER_COST_PER_CHAR = 3e-6
THINKING_TITLE = "Thinking"
REDACTED_NOTE = "The API redacted this thinking; it is kept encrypted and sent back unchanged."


class Throttle:
    """Says when enough time passed since the last render.

    ``due()`` is true at most once per ``interval``; the caller renders then. The final
    state must be rendered regardless (callers do that after the stream ends).
    """

    def __init__(self, interval: float = RENDER_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last = float("-inf")

    def due(self) -> bool:
        """True (and restart the interval) if ``interval`` has passed since the last true."""
        now = self._clock()
        if now - self._last >= self.interval:
            self._last = now
            return True
        return False

    def restart(self) -> None:
        """Make the next ``due()`` true, whenever it is asked."""
        self._last = float("-inf")

    def remaining(self) -> float:
        """Seconds until the next render may happen (0 when one is due)."""
        return max(0.0, self.interval - (self._clock() - self._last))


def render_interval(run: RunRecord, base: float = RENDER_INTERVAL) -> float:
    """Seconds between renders for a turn this long: ``base``, longer for long answers."""
    return max(base, run.chars * RENDER_COST_PER_CHAR)


def footer(run: RunRecord) -> str | None:
    """The closing line: stop reason, stopped, or the error."""
    if run.status == "stopped":
        return "*Stopped — the answer above is partial.*"
    if run.status == "error":
        return f"**Error** · {run.error_text}"
    if run.status == "done" and run.finish is not None:
        raw = run.finish.raw or run.finish.reason
        line = f"*stop reason:* `{raw}`"
        if run.finish.stop_sequence is not None:
            line += f" *(sequence* `{json.dumps(run.finish.stop_sequence)[1:-1]}`*)*"
        return line
    return None


def _done(title: str, content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content, "metadata": {"title": title, "status": "done"}}


def _block_messages(block: Block) -> list[dict[str, Any]]:
    if block.type == "text":
        out = [{"role": "assistant", "content": block.content}]
        citations = (block.data or {}).get("citations")
        if citations:
            out.append(_done("Citations", fence(json.dumps(citations, indent=2, ensure_ascii=False, default=str))))
        return out
    if block.type == "thinking":
        meta: dict[str, Any] = {"title": THINKING_TITLE, "status": "pending" if block.ended is None else "done"}
        if block.ended is not None:
            meta["duration"] = round(block.ended - block.started, 1)
        return [{"role": "assistant", "content": block.content, "metadata": meta}]
    if block.type == "redacted_thinking":
        return [_done("Thinking (redacted)", REDACTED_NOTE)]
    if block.call is not None:
        call = block.call
        args = call.arguments if call.arguments or not call.raw_arguments else call.raw_arguments
        body = json.dumps(args, indent=2, ensure_ascii=False) if not isinstance(args, str) else args
        return [_done(f"Tool call: {call.name} ({call.id})", fence(body))]
    body = json.dumps(block.data, indent=2, ensure_ascii=False, default=str)
    return [_done(f"Block: {block.type}", fence(body))]


def json_reply(run: RunRecord, response_format: Mapping[str, Any]) -> str:
    """A finished reply asked for as JSON: its badge (valid / invalid, with the first error and its
    path / not JSON, with why), then the JSON formatted (or the text as it came, when it is not JSON)."""
    check = check_reply(run.text, response_format)
    body = fence(json.dumps(check.data, indent=2, ensure_ascii=False)) if check.is_json else run.text
    return f"**{escape_markdown(check.badge)}**\n\n{body}"


def chat_messages(run: RunRecord, response_format: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The turn as ``gr.Chatbot`` message dicts (assistant role), in arrival order. A finished reply
    requested with a JSON ``response_format`` shows as formatted JSON with its badge (in the place of
    its first text block; the text of all of them is checked as one)."""
    out: list[dict[str, Any]] = [
        _done(f"Retry {n.attempt}/{n.max_retries} in {n.delay:.1f} s", escape_markdown(n.reason)) for n in run.retries
    ]
    as_json = wants_json(response_format) and run.status == "done" and bool(run.text)
    shown_json = False
    for block in run.content_blocks:
        if as_json and block.type == "text":
            if not shown_json:
                out.append({"role": "assistant", "content": json_reply(run, response_format)})
                shown_json = True
            continue
        out += _block_messages(block)
    line = footer(run)
    if line:
        out.append({"role": "assistant", "content": line})
    elif run.running and not any(b.type == "text" for b in run.content_blocks):
        out.append({"role": "assistant", "content": "…"})
    return out

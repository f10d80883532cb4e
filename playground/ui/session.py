"""One browser session's conversation: what was said, what the chat shows, what goes back to the API.

Each :class:`Exchange` pairs a user prompt with the assistant's turn. The chat is derived from
the exchanges (so Undo/Retry/Clear are list operations), and the API history is built from the
messages *as they were sent and received*: the user message from the request body (media blocks
included) and the assistant message from the run record's ``to_message()`` (thinking signatures
included).
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from playground.run import RunRecord
from playground.store import new_owner
from playground.ui.render import chat_messages
from playground.ui.runner import RunControl
from playground.uploads import FileRefs

TOOL_RESULT_HINT = "Your next message will be sent as the tool result."


@dataclass
class Exchange:
    """One prompt and its answer."""

    text: str
    files: list[str] = field(default_factory=list)  # local paths of uploads (Gradio's cache)
    user_message: dict[str, Any] | None = None  # the API user message as sent
    run: RunRecord | None = None  # the assistant's turn
    assistant_message: dict[str, Any] | None = None  # None: no usable answer (not sent back)
    model: str = ""
    response_format: dict[str, Any] | None = None  # as requested: a JSON one shows the reply with its badge

    def user_display(self) -> dict[str, Any]:
        """The user's chat bubble: text plus a thumbnail / file chip per upload."""
        parts: list[Any] = [self.text] if self.text else []
        for path in self.files:
            mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
            parts.append({"path": path, "mime_type": mime, "orig_name": os.path.basename(path)})
        return {"role": "user", "content": parts if len(parts) != 1 else parts[0]}


def _tool_use_ids(message: dict[str, Any] | None) -> list[str]:
    if not message or not isinstance(message.get("content"), list):
        return []
    return [b["id"] for b in message["content"] if isinstance(b, dict) and b.get("type") == "tool_use" and "id" in b]


def history_message(run: RunRecord, native: bool) -> dict[str, Any] | None:
    """The assistant message to send back next turn, or None when there is nothing usable.

    ``native`` (Anthropic backends) keeps the run's blocks: thinking with signatures,
    redacted thinking, text, tool_use. A stopped or failed turn keeps only what the API accepts
    back: text, and thinking blocks that did get their signature.
    """
    if not native:
        return {"role": "assistant", "content": run.text} if run.text else None
    message = run.to_message()
    content = message.get("content")
    if isinstance(content, list) and run.status != "done":
        content = [
            b for b in content
            if isinstance(b, dict)
            and (b.get("type") in ("text", "redacted_thinking") or (b.get("type") == "thinking" and b.get("signature")))
            and not (b.get("type") == "text" and not b.get("text"))
        ]
        # a thinking-only assistant turn is rejected by the API; keep it only with text after it
        if not any(b.get("type") == "text" for b in content):
            content = []
        message = {**message, "content": content}
    if not message.get("content"):
        return None
    return message


class Session:
    """Per-browser-session state kept in ``gr.State``. Nothing here is shared between sessions.

    ``owner`` is this session's run-history owner id (random, never sent to the page): the chat and
    every tuning tab record runs under it, and in ``session`` history scope read only its runs.
    """

    def __init__(self) -> None:
        self.owner = new_owner()
        self.exchanges: list[Exchange] = []
        self.control = RunControl()
        self.busy = False  # a send handler is running for this session (set before its first await)
        self.files = FileRefs()  # this session's Files API uploads (ids per endpoint and key)
        self.shown: dict[str, str] = {}  # inspector tab -> the text the page shows (resent only when it changes)

    def __deepcopy__(self, memo: dict) -> Session:
        return Session()  # gr.State copies its initial value per session: start empty

    def history(self) -> list[dict[str, Any]]:
        """API messages of the finished exchanges that have an answer, in order."""
        out: list[dict[str, Any]] = []
        for ex in self.exchanges:
            if ex.user_message is not None and ex.assistant_message is not None:
                out.extend([ex.user_message, ex.assistant_message])
        return out

    def next_user_message(self, text: str) -> dict[str, Any]:
        """The user message for ``text``: a tool result when the last answer called tools
        (the playground runs no tools, so what you type is the result)."""
        history = self.history()
        ids = _tool_use_ids(history[-1]) if history else []
        if ids:
            return {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": tool_id, "content": text or "(no result)"} for tool_id in ids
            ]}
        return {"role": "user", "content": text}

    def _bubbles(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(exchange index, chat message)`` for every exchange's bubbles, in order: its user message,
        then its turn's messages."""
        for k, ex in enumerate(self.exchanges):
            yield k, ex.user_display()
            if ex.run is not None:
                for message in chat_messages(ex.run, ex.response_format):
                    yield k, message

    def chat(self) -> list[dict[str, Any]]:
        """The Chatbot value: every exchange's bubbles, in order."""
        out = [message for _, message in self._bubbles()]
        if self.exchanges and _tool_use_ids(self.exchanges[-1].assistant_message):
            out.append({"role": "assistant", "content": f"*{TOOL_RESULT_HINT}*"})
        return out

    @property
    def last_run(self) -> RunRecord | None:
        """The last exchange's run, if any."""
        return self.exchanges[-1].run if self.exchanges else None

    def pop(self) -> Exchange | None:
        """Remove and return the last exchange (Undo / Retry)."""
        return self.exchanges.pop() if self.exchanges else None

    def load_conversation(self, messages: list[dict[str, Any]]) -> int:
        """Replace the conversation with ``messages`` (API shape, user and assistant alternating, e.g. a
        stored run's turns before its last message); returns how many exchanges it made. Assistant
        turns show as they were received (text, thinking, tool calls) and go back to the API unchanged."""
        self.exchanges.clear()
        pending: dict[str, Any] | None = None
        for message in messages:
            role = message.get("role") if isinstance(message, dict) else None
            if role == "user":
                pending = message
            elif role == "assistant" and pending is not None:
                self.exchanges.append(Exchange(text=_text_of(pending), user_message=pending,
                                               assistant_message=message, run=record_of(message)))
                pending = None
        return len(self.exchanges)

    def rewind_to(self, chat_index: int) -> Exchange | None:
        """For an edit of the user bubble at ``chat_index`` (a position in :meth:`chat`): remove that
        exchange and every later one, and return it; None when that bubble is not a user message."""
        for position, (k, message) in enumerate(self._bubbles()):
            if position == chat_index:
                if message["role"] != "user":
                    return None
                turn = self.exchanges[k]
                del self.exchanges[k:]
                return turn
        return None


def _text_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, dict) and block.get("type") == "text":
            parts.append(block.get("text", ""))
        elif isinstance(block, dict) and block.get("type") == "tool_result":
            result = block.get("content")
            parts.append(result if isinstance(result, str) else _text_of({"content": result}))
    return "\n".join(p for p in parts if p)


def record_of(message: dict[str, Any]) -> RunRecord:
    """A finished run record of a stored assistant message (for showing a conversation loaded from history)."""
    from playground.responses import Reasoning, ToolCall, ToolCalls

    view = RunRecord()
    content = message.get("content")
    for block in [content] if isinstance(content, str) else (content or []):
        if isinstance(block, str):
            view.add(block)
        elif block.get("type") == "text":
            view.add(block.get("text", ""))
        elif block.get("type") == "thinking":
            view.add(Reasoning(block.get("thinking", "")))
            view.add(Reasoning(signature=block.get("signature")))
        elif block.get("type") == "redacted_thinking":
            view.add(Reasoning(redacted_data=block.get("data")))
        elif block.get("type") == "tool_use":
            view.add(ToolCalls([ToolCall(block.get("id", ""), block.get("name", ""), dict(block.get("input") or {}))]))
    view.mark_done()
    return view

"""One browser session's conversation: what was said, what the chat shows, what goes back to the API.

Each :class:`Exchange` pairs a user prompt with the assistant's turn. The chat is derived from
the exchanges (so Undo/Retry/Clear are list operations), and the API history is built from the
messages *as they were sent and received*: the user message from the request body (media blocks
included) and the assistant message from the run record's ``to_message()`` (thinking signatures
included). Three things change that: per-call tool results (:class:`ToolResult`, one block per
``tool_use_id``), an assistant prefill (the reply continues it, so the turn is prefill + reply) and an
edited assistant turn (sent back as edited, its thinking dropped: an edited turn's signatures no
longer match, and the API refuses a changed thinking block).
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from playground.errors import ParameterError
from playground.run import RunRecord
from playground.store import new_owner
from playground.ui.messages import fence
from playground.ui.render import chat_messages
from playground.ui.runner import RunControl
from playground.uploads import FileRefs

TOOL_RESULT_HINT = "The reply called tools: type each call's result in its box under the chat, then Send."
EDITED_NOTE = "*Edited: sent back as shown (its thinking is dropped).*"


@dataclass(frozen=True)
class ToolResult:
    """What the person answers for one tool call (the playground runs no tools)."""

    tool_use_id: str
    name: str
    content: str
    is_error: bool = False

    def block(self) -> dict[str, Any]:
        """The API ``tool_result`` block (``is_error`` only when set)."""
        out: dict[str, Any] = {"type": "tool_result", "tool_use_id": self.tool_use_id, "content": self.content}
        if self.is_error:
            out["is_error"] = True
        return out

    def display(self) -> str:
        """The result in the user's chat bubble: which call it answers, then the text as sent."""
        head = "Tool error" if self.is_error else "Tool result"
        return f"**{head}** · {self.name} (`{self.tool_use_id}`)\n{fence(self.content, 'text')}"


@dataclass(frozen=True)
class Draft:
    """What the next Send carries besides the message box, read from the page just before it
    (``ui.tool_results.read_draft``): the tool results, the prefill, or ``refused`` (a result box is
    empty: the box says so and nothing is sent)."""

    results: tuple[ToolResult, ...] = ()
    prefill: str = ""
    refused: bool = False


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
    tool_results: tuple[ToolResult, ...] = ()  # this turn answers the previous turn's tool calls
    prefill: str = ""  # the reply continued this text (sent as the final assistant message)
    edited: bool = False  # the assistant turn was edited: shown and sent back as ``assistant_message``

    def user_display(self) -> dict[str, Any]:
        """The user's chat bubble: each tool result, the text, and a thumbnail / file chip per upload."""
        text = "\n\n".join([*(r.display() for r in self.tool_results), *([self.text] if self.text else [])])
        parts: list[Any] = [text] if text else []
        for path in self.files:
            mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
            parts.append({"path": path, "mime_type": mime, "orig_name": os.path.basename(path)})
        return {"role": "user", "content": parts if len(parts) != 1 else parts[0]}


    def shown_run(self) -> RunRecord | None:
        """The record the chat shows: the run, or for an edited turn the message as edited."""
        if self.edited and self.assistant_message is not None:
            return record_of(self.assistant_message)
        return self.run


def tool_calls(message: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The ``tool_use`` blocks of an assistant message, in call order."""
    if not message or not isinstance(message.get("content"), list):
        return []
    return [b for b in message["content"] if isinstance(b, dict) and b.get("type") == "tool_use" and "id" in b]


def prefill_message(prefill: str) -> dict[str, Any] | None:
    """The final assistant message a prefill is sent as (None for none). Trailing whitespace is cut:
    the API refuses a final assistant turn that ends with it."""
    text = prefill.rstrip()
    return {"role": "assistant", "content": text} if text else None


def with_prefill(message: dict[str, Any] | None, prefill: str) -> dict[str, Any] | None:
    """The whole assistant turn of a prefilled reply: the reply continues the prefill, so its first text
    block starts with it (a text block of its own when the reply starts otherwise)."""
    text = prefill.rstrip()
    if not text:
        return message
    content = (message or {}).get("content") or []
    if isinstance(content, str):
        return {"role": "assistant", "content": text + content}
    blocks = [dict(b) if isinstance(b, dict) else b for b in content]
    if blocks and isinstance(blocks[0], dict) and blocks[0].get("type") == "text":
        blocks[0]["text"] = text + blocks[0].get("text", "")
    else:
        blocks.insert(0, {"type": "text", "text": text})
    return {**(message or {}), "role": "assistant", "content": blocks}


def edited_message(message: dict[str, Any], text_index: int, text: str) -> dict[str, Any]:
    """``message`` with its ``text_index``-th text block replaced by ``text`` (dropped if blank) and its
    thinking removed (the signatures were made for the text as it was). Tool calls stay: their
    results follow. Raises ParameterError when nothing would be left to send."""
    content = message.get("content")
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
    out: list[Any] = []
    seen = 0
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind in ("thinking", "redacted_thinking"):
            continue
        if kind == "text":
            if seen == text_index:
                block = {**block, "text": text}
                block.pop("citations", None)  # they cite the text as it was
            seen += 1
            if not str(block.get("text", "")).strip():
                continue
        out.append(block)
    if not out:
        raise ParameterError("messages", "An assistant turn cannot be empty: type its new text, or use Undo.")
    return {"role": "assistant", "content": out}


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
        self.checks_shown: dict[str, Any] = {}  # the check line and each box's (note, marked) the page shows
        self.estimated: dict[str, str] = {}  # tuning tab -> the form its shown estimate was made from
        self.draft = Draft()  # what the running Send carries besides the box (read with its inputs, then used)
        self.undone: Exchange | None = None  # the last exchange Undo took back (its results refill the boxes)
        self.resend = False  # an edit asked for the chained Send (a user turn); an assistant edit does not
        self.boxes_for: tuple[str, ...] = ()  # the tool_use ids the result boxes on the page are for
        self.box_marks: tuple[bool, ...] = ()  # per box: empty for its call when the last Send read it
        self.marks_shown: tuple[bool, ...] = ()  # the marks the page shows

    def __deepcopy__(self, memo: dict) -> Session:
        return Session()  # gr.State copies its initial value per session: start empty

    def history(self) -> list[dict[str, Any]]:
        """API messages of the finished exchanges that have an answer, in order."""
        out: list[dict[str, Any]] = []
        for ex in self.exchanges:
            if ex.user_message is not None and ex.assistant_message is not None:
                out.extend([ex.user_message, ex.assistant_message])
        return out

    def pending_calls(self) -> list[dict[str, Any]]:
        """The tool calls the conversation's last answer made (each needs a result next)."""
        history = self.history()
        return tool_calls(history[-1]) if history else []

    def next_user_message(self, text: str, results: tuple[ToolResult, ...] | None = None) -> dict[str, Any]:
        """The user message for ``text``. When the last answer called tools it carries one ``tool_result``
        per call, in call order (``results``, default the draft's), then ``text`` if any.
        Raises ParameterError when a call has no result."""
        calls = self.pending_calls()
        if not calls:
            return {"role": "user", "content": text}
        given = {r.tool_use_id: r for r in (self.draft.results if results is None else results)}
        missing = [c["id"] for c in calls if c["id"] not in given]
        if missing:
            raise ParameterError("tool_result", f"no result for tool call {', '.join(missing)}: type one in its box.")
        content: list[dict[str, Any]] = [given[c["id"]].block() for c in calls]
        if text.strip():
            content.append({"type": "text", "text": text})
        return {"role": "user", "content": content}

    def _bubbles(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(exchange index, chat message)`` for every exchange's bubbles, in order: its user message,
        then its turn's messages (a prefilled reply starts with the prefill)."""
        for k, ex in enumerate(self.exchanges):
            yield k, ex.user_display()
            for message in self._turn_bubbles(ex):
                yield k, message

    @staticmethod
    def _turn_bubbles(ex: Exchange) -> list[dict[str, Any]]:
        run = ex.shown_run()
        if run is None:
            return []
        out = chat_messages(run, ex.response_format)
        if ex.edited:
            out.append({"role": "assistant", "content": EDITED_NOTE})
        elif ex.prefill.rstrip():
            text = _text_bubble_positions(run, out)
            if text:
                first = out[text[0]]
                out[text[0]] = {**first, "content": ex.prefill.rstrip() + first["content"]}
            else:
                out.insert(0, {"role": "assistant", "content": ex.prefill.rstrip()})
        return out

    def chat(self) -> list[dict[str, Any]]:
        """The Chatbot value: every exchange's bubbles, in order."""
        out = [message for _, message in self._bubbles()]
        if self.exchanges and tool_calls(self.exchanges[-1].assistant_message):  # not while they are answered
            out.append({"role": "assistant", "content": f"*{TOOL_RESULT_HINT}*"})
        return out

    @property
    def last_run(self) -> RunRecord | None:
        """The last exchange's run, if any."""
        return self.exchanges[-1].run if self.exchanges else None

    def pop(self) -> Exchange | None:
        """Remove and return the last exchange (Undo / Retry); its tool results go back in their boxes."""
        self.undone = self.exchanges.pop() if self.exchanges else None
        return self.undone

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

    def edit_answer(self, chat_index: int, text: str, previous: str | None = None) -> None:
        """For an edit of the assistant bubble at ``chat_index`` (whose text was ``previous``, if known:
        an earlier edit of the same reply may have moved it): that turn is sent back as edited from
        now on (see :func:`edited_message`) and the later exchanges go, so the conversation continues
        from it. Raises ParameterError for a bubble that is not reply text (thinking, a tool call, the
        stop line) or a turn that was never sent back."""
        chat = self.chat()
        if previous is not None and not (0 <= chat_index < len(chat) and chat[chat_index]["content"] == previous):
            chat_index = next((i for i, m in enumerate(chat) if m["role"] == "assistant" and not m.get("metadata")
                               and m["content"] == previous), chat_index)
        start = 0
        for k, ex in enumerate(self.exchanges):
            bubbles = [ex.user_display(), *self._turn_bubbles(ex)]
            if chat_index >= start + len(bubbles):
                start += len(bubbles)
                continue
            run = ex.shown_run()
            positions = _text_bubble_positions(run, bubbles[1:]) if run is not None else []
            local = chat_index - start - 1
            if local not in positions or ex.assistant_message is None:
                raise ParameterError("messages", "Only the reply's text can be edited (not thinking, tool calls "
                                                 "or the status line).")
            ex.assistant_message = edited_message(ex.assistant_message, positions.index(local), text)
            ex.edited = True
            del self.exchanges[k + 1:]
            return
        raise ParameterError("messages", "That message is no longer in the conversation.")


def _text_bubble_positions(run: RunRecord, bubbles: list[dict[str, Any]]) -> list[int]:
    """Positions in ``bubbles`` (a turn's chat messages) of the reply's text blocks, in order: the plain
    bubbles that are a text block's text (not the stop line, retry notes or other blocks)."""
    texts = [b.content for b in run.content_blocks if b.type == "text"]
    out: list[int] = []
    for i, bubble in enumerate(bubbles):
        if len(out) < len(texts) and not bubble.get("metadata") and isinstance(bubble.get("content"), str) \
                and bubble["content"].endswith(texts[len(out)]):
            out.append(i)
    return out


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

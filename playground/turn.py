"""Accumulate a run's parts into the final assistant turn, ready to send back in history.

    acc = TurnAccumulator()
    async for part in Anthropic.create_async_generator(...):
        acc.add(part)
    history.append(acc.to_message())  # thinking blocks keep their signatures

Content blocks are rebuilt in arrival order (thinking with its signature, redacted thinking, text,
tool_use, and any other block kept whole), so the next request carries them unchanged.
"""

from __future__ import annotations

import copy
from typing import Any

from .responses import (
    ContentBlock,
    FinishReason,
    HeadersResponse,
    Part,
    Reasoning,
    RequestRecord,
    RetryNotice,
    ToolCall,
    ToolCalls,
    Usage,
)


class TurnAccumulator:
    """Feed every part with :meth:`add`; read the turn back through the properties."""

    def __init__(self) -> None:
        self._blocks: list[dict[str, Any]] = []
        self._tool_calls: list[ToolCall] = []
        self.finish: FinishReason | None = None
        self.usage: Usage | None = None
        self.headers: HeadersResponse | None = None
        self.request: RequestRecord | None = None
        self.retries: list[RetryNotice] = []

    def add(self, part: Part) -> None:
        """Take one part of any kind (unknown objects are ignored)."""
        if isinstance(part, str):
            self._add_text(part)
        elif isinstance(part, Reasoning):
            self._add_reasoning(part)
        elif isinstance(part, ToolCalls):
            for call in part.calls:
                self._tool_calls.append(call)
                self._blocks.append({"type": "tool_use", "id": call.id, "name": call.name,
                                     "input": copy.deepcopy(call.arguments)})
        elif isinstance(part, ContentBlock):
            self._add_block(part)
        elif isinstance(part, FinishReason):
            self.finish = part
        elif isinstance(part, Usage):
            self.usage = part
        elif isinstance(part, HeadersResponse):
            self.headers = part
        elif isinstance(part, RequestRecord):
            self.request = part
        elif isinstance(part, RetryNotice):
            self.retries.append(part)

    # -- building --------------------------------------------------------------------------------
    def _last(self, kind: str) -> dict[str, Any] | None:
        return self._blocks[-1] if self._blocks and self._blocks[-1]["type"] == kind else None

    def _add_text(self, text: str) -> None:
        block = self._last("text")
        if block is not None and "citations" not in block:
            block["_parts"].append(text)
        else:
            self._blocks.append({"type": "text", "_parts": [text]})

    def _add_reasoning(self, part: Reasoning) -> None:
        if part.redacted_data is not None:
            self._blocks.append({"type": "redacted_thinking", "data": part.redacted_data})
            return
        block = self._last("thinking")
        if block is None or block.get("signature") is not None:
            block = {"type": "thinking", "_parts": [], "signature": None}
            self._blocks.append(block)
        if part.text:
            block["_parts"].append(part.text)
        if part.signature is not None:
            block["signature"] = part.signature

    def _add_block(self, part: ContentBlock) -> None:
        data = copy.deepcopy(part.data)
        data.setdefault("type", part.type)
        block = self._last("text")
        if part.type == "text" and block is not None and "citations" not in block:
            # The citations block repeats the text already streamed; replace that text with it,
            # keeping any earlier text (from a previous block) that preceded it.
            streamed = "".join(block["_parts"])
            own = data.get("text", "")
            self._blocks.pop()
            if own and streamed.endswith(own) and len(streamed) > len(own):
                self._blocks.append({"type": "text", "_parts": [streamed[: -len(own)]]})
        self._blocks.append(data)

    # -- reading ----------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """All text of the turn."""
        return "".join("".join(b["_parts"]) if "_parts" in b else b.get("text", "")
                       for b in self._blocks if b["type"] == "text")

    @property
    def thinking(self) -> str:
        """All (non-redacted) thinking text of the turn."""
        return "".join("".join(b["_parts"]) for b in self._blocks if b["type"] == "thinking")

    @property
    def tool_calls(self) -> list[ToolCall]:
        return list(self._tool_calls)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The turn's content blocks in the API's shape."""
        out: list[dict[str, Any]] = []
        for b in self._blocks:
            if b["type"] == "text" and "_parts" in b:
                text = "".join(b["_parts"])
                if text.strip():
                    out.append({"type": "text", "text": text})
            elif b["type"] == "thinking":
                # Thinking without a signature (an OpenAI-style endpoint, or a cut stream) cannot be
                # sent back: the API rejects unsigned thinking.
                if b["signature"]:
                    out.append({"type": "thinking", "thinking": "".join(b["_parts"]), "signature": b["signature"]})
            else:
                out.append(copy.deepcopy(b))
        return out

    def to_message(self) -> dict[str, Any]:
        """``{"role": "assistant", "content": [blocks...]}``, ready to append to the history."""
        return {"role": "assistant", "content": self.blocks}

"""Keys out of everything a run hands on: every part a provider yields passes through a
:class:`PartMasker`, so the chat, the inspector views, history, exports and share links (all built
from these parts) never hold a key the server knows or the key the visitor typed, even when an
upstream echoes one back in a reply, an event or a header."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ..responses import (
    ContentBlock,
    HeadersResponse,
    Part,
    RawEvent,
    Reasoning,
    RequestRecord,
    RetryNotice,
    ToolCall,
    ToolCalls,
)
from ..secrets import Redactor


class PartMasker:
    """Masks a run's parts. Text and thinking deltas go through a :class:`~playground.secrets.StreamMasker`
    each, so a key split across two deltas is still caught; held-back text is released before any
    other part, keeping the order of the output."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._text = redactor.stream()
        self._thinking = redactor.stream()

    def parts(self, batch: Iterable[Part]) -> list[Part]:
        """The masked parts of one batch (a held-back tail may come in a later batch)."""
        out: list[Part] = []
        for part in batch:
            if isinstance(part, str):
                self._release_thinking(out)
                if safe := self._text.feed(part):
                    out.append(safe)
                continue
            self._release_text(out)
            if isinstance(part, Reasoning) and part.text and part.signature is None and part.redacted_data is None:
                if safe := self._thinking.feed(part.text):
                    out.append(replace(part, text=safe))
                continue
            self._release_thinking(out)
            out.append(self._mask(part))
        return out

    def finish(self) -> list[Part]:
        """Whatever is still held back, at the end of the run (or before an error is raised)."""
        out: list[Part] = []
        self._release_text(out)
        self._release_thinking(out)
        return out

    def _release_text(self, out: list[Part]) -> None:
        if held := self._text.flush():
            out.append(held)

    def _release_thinking(self, out: list[Part]) -> None:
        if held := self._thinking.flush():
            out.append(Reasoning(text=held))

    def _mask(self, part: Any) -> Any:
        mask = self._redactor
        if isinstance(part, Reasoning) and part.text:
            return replace(part, text=mask.text(part.text))
        if isinstance(part, RawEvent):
            return replace(part, data=mask.text(part.data))
        if isinstance(part, HeadersResponse):
            return replace(part, headers={k: mask.text(v) for k, v in part.headers.items()})
        if isinstance(part, RetryNotice):
            return replace(part, reason=mask.text(part.reason))
        if isinstance(part, ToolCalls):
            return replace(part, calls=[self._call(c) for c in part.calls])
        if isinstance(part, ToolCall):
            return self._call(part)
        if isinstance(part, ContentBlock):
            return replace(part, data=mask.value(part.data))
        if isinstance(part, RequestRecord) and any(s in part.body_text for s in mask.secrets):
            return replace(part, body=mask.value(part.body), body_text=mask.text(part.body_text))
        return part

    def _call(self, call: ToolCall) -> ToolCall:
        return replace(call, arguments=self._redactor.value(call.arguments),
                       raw_arguments=self._redactor.text(call.raw_arguments))

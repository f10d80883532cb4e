"""An incremental ``text/event-stream`` decoder following the WHATWG rules.

It takes whole network chunks (not one line per await) and returns the events those chunks
complete, as ``(event_name, data)`` tuples — plain tuples because this is the hot path of every
stream. Handles LF, CRLF and lone CR line ends, ``:`` comments, multi-line ``data``, ``event``,
``id`` and ``retry`` fields, a leading BOM, and events or multi-byte UTF-8 characters split across
any chunk boundary.

    >>> d = SSEDecoder()
    >>> d.feed(b"event: ping\\ndata: {}\\n") + d.feed(b"\\n")
    [('ping', '{}')]
"""

from __future__ import annotations

_CR = 0x0D

__all__ = ["SSEDecoder"]


class SSEDecoder:
    """Feed bytes with :meth:`feed`; call :meth:`close` at end of stream.

    ``event_name`` is ``"message"`` when an event had no ``event:`` line (the WHATWG default).
    Per the spec, an event whose ``data`` buffer is empty is not dispatched, and a final event
    without its terminating blank line is discarded at end of stream.
    """

    __slots__ = ("_pending", "_event", "_data", "_started", "_skip_lf", "last_event_id", "retry")

    def __init__(self) -> None:
        self._pending: list[bytes] = []  # bytes after the last line end, not decodable yet
        self._event = ""
        self._data: list[str] | None = None  # None: no data line seen since the last dispatch
        self._started = False
        self._skip_lf = False
        self.last_event_id = ""
        self.retry: int | None = None

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        """Decode ``chunk`` and return the events it completes (possibly none)."""
        if self._skip_lf:
            # The previous chunk ended with CR: an LF starting this one is the same line end.
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        # Only the part up to the last line end can be decoded now; the rest waits for more bytes.
        # Searching only the new chunk (and joining held-back pieces once) keeps a long line that
        # arrives in many small chunks linear, not quadratic.
        end = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        if end < 0:
            if chunk:
                self._pending.append(chunk)
            return []
        if end == len(chunk) - 1:
            complete = chunk
            self._skip_lf = chunk[end] == _CR
            rest = b""
        else:
            complete, rest = chunk[: end + 1], chunk[end + 1 :]
        if self._pending:
            self._pending.append(complete)
            complete = b"".join(self._pending)
            self._pending = []
        if rest:
            self._pending.append(rest)
        # Line ends never occur inside a UTF-8 multi-byte sequence, so the complete part decodes whole.
        text = complete.decode("utf-8", "replace")
        if not self._started:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return self._lines(text.split("\n"))

    def close(self) -> list[tuple[str, str]]:
        """End of stream. Per the spec an event without its terminating blank line is discarded,
        so this returns no events; :attr:`pending` tells whether something was cut off."""
        return []

    @property
    def pending(self) -> bool:
        """True when bytes or fields of an unfinished event are waiting (a truncated stream)."""
        return any(piece.strip() for piece in self._pending) or self._data is not None

    def _lines(self, lines: list[str]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        # The text ended with a line end, so the last item is the empty remainder, not a line.
        lines.pop()
        event, data = self._event, self._data
        for line in lines:
            if not line:
                if data is not None:
                    out.append((event or "message", "\n".join(data)))
                event, data = "", None
                continue
            # Fast path for the two fields every Anthropic event has.
            if line.startswith("data: "):
                value = line[6:]
                if data is None:
                    data = [value]
                else:
                    data.append(value)
                continue
            if line.startswith("event: "):
                event = line[7:]
                continue
            if line[0] == ":":
                continue
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                if data is None:
                    data = [value]
                else:
                    data.append(value)
            elif name == "event":
                event = value
            elif name == "id":
                if "\x00" not in value:
                    self.last_event_id = value
            elif name == "retry":
                if value.isascii() and value.isdigit():
                    self.retry = int(value)
        self._event, self._data = event, data
        return out

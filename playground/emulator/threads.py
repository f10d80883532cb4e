"""Server-held conversations (``thread``, beta ``message-threads-2026-08-12``), in memory.

``{"type": "create"}`` stores the request's history, ``system`` and ``tools`` with the reply under
the reply's ``id``. ``{"type": "continue", "previous_message_id": id}`` sends only the new messages:
the stored history is put in front of them and ``system``/``tools`` come from the thread (a
request that repeats one is refused, as the SDK expects). A thread is a line, not a tree: each
reply can be continued once (``thread_already_continued``), and an unknown or evicted id is
``thread_not_found``, the two codes after which the SDK replays the whole history on a new thread.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .apierror import ApiError, invalid

CREATE_ONLY_FIELDS = ("system", "tools")
MAX_THREADS = 1000  # the oldest are forgotten first; a client then gets thread_not_found and replays


@dataclass
class _Held:
    messages: list[dict]  # the whole conversation, ending with the stored reply
    fields: dict[str, Any]  # system / tools the thread was created with
    continued: bool = False


class ThreadStore:
    """Thread-safe: one store per emulator, shared by its request handlers."""

    def __init__(self, limit: int = MAX_THREADS) -> None:
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def expand(self, body: dict) -> dict:
        """``body`` as a stateless request: for a ``continue``, the held history and fields put back in.

        ``body['thread']`` has been shape-checked. The returned body has no ``thread`` key."""
        thread = body["thread"]
        expanded = {k: v for k, v in body.items() if k != "thread"}
        if thread["type"] == "create":
            return expanded
        previous = thread["previous_message_id"]
        for name in CREATE_ONLY_FIELDS:
            if name in body:
                raise invalid(f"{name}: cannot be given with thread.type 'continue': the thread keeps the {name} it "
                              "was created with. Start a new thread to change it.", name)
        with self._lock:
            held = self._held.get(previous)
            if held is None:
                raise _thread_error(404, "not_found_error", "thread_not_found",
                                    f"thread.continue.previous_message_id: no thread holds {previous}")
            if held.continued:
                raise _thread_error(400, "invalid_request_error", "thread_already_continued",
                                    f"thread.continue.previous_message_id: {previous} was already continued; "
                                    "continue from the latest reply of the thread")
            history, fields = copy.deepcopy(held.messages), copy.deepcopy(held.fields)
        new = body.get("messages")
        expanded["messages"] = history + (new if isinstance(new, list) else [])
        expanded.update(fields)
        return expanded

    def record(self, body: dict, expanded: dict, reply_id: str, reply_content: list[dict]) -> None:
        """After a successful reply to a threaded request: hold the conversation under ``reply_id``."""
        thread = body["thread"]
        held = _Held(expanded["messages"] + [{"role": "assistant", "content": reply_content}],
                     {k: expanded[k] for k in CREATE_ONLY_FIELDS if k in expanded})
        with self._lock:
            if thread["type"] == "continue":
                previous = self._held.get(thread["previous_message_id"])
                if previous is not None:
                    previous.continued = True
            self._held[reply_id] = held
            while len(self._held) > self._limit:
                self._held.popitem(last=False)


def _thread_error(status: int, error_type: str, code: str, message: str) -> ApiError:
    return ApiError(status, message, error_type, param="thread", details={"error_code": code})

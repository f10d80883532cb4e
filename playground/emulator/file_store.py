"""The Files API's storage, in memory and bounded, and ``{"type": "file"}`` sources in messages.

Rules (reference batches-files-structured §2): files live until deleted or until ``expires_at``;
an expired file answers 404 with ``error_code: file_expired``; only files produced by tools are
downloadable (here: uploads made with ``x-emulator-downloadable: 1``). The store is bounded by a
byte quota and a file count; past either, uploads get the SDK's 400 ``storage_quota_exceeded``.

A message block ``{"type": "image"|"document", "source": {"type": "file", "file_id"}}`` is replaced
by the same bytes inline (base64 for images and PDFs, a text source for ``text/plain``) before
validation, so it is checked and counted exactly like those bytes sent inline.
"""

from __future__ import annotations

import base64
import copy
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .apierror import ApiError, invalid
from .compose import new_id
from .listing import rfc3339
from .media_checks import IMAGE_TYPES

MAX_FILE_BYTES = 32 * 1024 * 1024  # the real API allows 500 MB; an in-memory emulator less
QUOTA_BYTES = 256 * 1024 * 1024
MAX_FILES = 1000
MAX_TOMBSTONES = 1000  # expired files remembered (without their bytes) to answer file_expired
DOCUMENT_TYPES = ("application/pdf", "text/plain")


@dataclass
class StoredFile:
    """One uploaded file. ``seq`` orders files for paging; ``data`` is None once expired."""

    id: str
    seq: int
    filename: str
    mime_type: str
    size_bytes: int
    created_at: float
    expires_at: float | None
    downloadable: bool
    data: bytes | None

    def metadata(self) -> dict[str, Any]:
        """The ``FileMetadata`` object."""
        return {"id": self.id, "type": "file", "filename": self.filename, "mime_type": self.mime_type,
                "size_bytes": self.size_bytes, "created_at": rfc3339(self.created_at),
                "downloadable": self.downloadable, "expires_at": rfc3339(self.expires_at)}


class FileStore:
    """Files by id, newest last; expired ones become tombstones that still answer ``file_expired``."""

    def __init__(self, *, max_file_bytes: int = MAX_FILE_BYTES, quota_bytes: int = QUOTA_BYTES,
                 max_files: int = MAX_FILES, clock: Callable[[], float] = time.time) -> None:
        self.max_file_bytes = max_file_bytes
        self.quota_bytes = quota_bytes
        self.max_files = max_files
        self.clock = clock
        self._files: dict[str, StoredFile] = {}
        self._expired: OrderedDict[str, None] = OrderedDict()
        self._seq = 0

    def _sweep(self) -> None:
        now = self.clock()
        for f in [f for f in self._files.values() if f.expires_at is not None and f.expires_at <= now]:
            del self._files[f.id]
            self._expired[f.id] = None
        while len(self._expired) > MAX_TOMBSTONES:
            self._expired.popitem(last=False)

    def add(self, data: bytes, filename: str, mime_type: str, *, expires_in_s: int | None = None,
            downloadable: bool = False) -> StoredFile:
        """Store an upload; 400 ``storage_quota_exceeded`` past the byte quota or file count."""
        self._sweep()
        used = sum(f.size_bytes for f in self._files.values())
        if used + len(data) > self.quota_bytes or len(self._files) >= self.max_files:
            raise ApiError(400, f"Storage quota exceeded: this emulator keeps at most {self.max_files} files and "
                                f"{self.quota_bytes // (1024 * 1024)} MB ({used} bytes used). Delete files, then "
                                "retry.", error_code="storage_quota_exceeded")
        now = self.clock()
        self._seq += 1
        stored = StoredFile(new_id("file_"), self._seq, filename, mime_type, len(data), now,
                            None if expires_in_s is None else now + expires_in_s, downloadable, data)
        self._files[stored.id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        """The live file, else 404 (``file_expired`` for one past its ``expires_at``)."""
        self._sweep()
        found = self._files.get(file_id)
        if found is not None:
            return found
        if file_id in self._expired:
            raise ApiError(404, f"File {file_id} has expired.", error_code="file_expired")
        raise ApiError(404, f"File not found: {file_id}")

    def delete(self, file_id: str) -> None:
        """Remove a file for good (404 when unknown)."""
        self.get(file_id)
        del self._files[file_id]

    def live(self) -> list[StoredFile]:
        """Every live file, newest first."""
        self._sweep()
        return sorted(self._files.values(), key=lambda f: f.seq, reverse=True)

    # -- file sources in a Messages body ---------------------------------------------------------

    def inline_sources(self, body: Any) -> Any:
        """``body`` with every ``{"type": "file"}`` image/document source replaced by its bytes
        inline (a copy; ``body`` itself is untouched). Unknown ids are a 404, a file of the wrong
        kind for its block a 400 naming the block."""
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not _has_file_source(messages):
            return body
        out = dict(body)
        out["messages"] = copy.deepcopy(messages)
        for i, message in enumerate(out["messages"]):
            content = message.get("content") if isinstance(message, dict) else None
            if not isinstance(content, list):
                continue
            for j, block in enumerate(content):
                path = f"messages.{i}.content.{j}"
                self._inline_block(block, path)
                inner = block.get("content") if isinstance(block, dict) and block.get("type") == "tool_result" else None
                for k, nested in enumerate(inner if isinstance(inner, list) else ()):
                    self._inline_block(nested, f"{path}.content.{k}")
        return out

    def _inline_block(self, block: Any, path: str) -> None:
        if not _is_file_source(block):
            return
        kind = block["type"]
        file_id = block["source"].get("file_id")
        where = f"{path}.{kind}.source.file.file_id"
        if not isinstance(file_id, str) or not file_id:
            raise invalid(f"{where}: Field required", where)
        stored = self.get(file_id)
        mime = stored.mime_type
        if kind == "image":
            if mime not in IMAGE_TYPES:
                raise invalid(f"{where}: file {file_id} is {mime}, not an image; an image block takes "
                              + ", ".join(IMAGE_TYPES) + " files", where)
            block["source"] = _base64(mime, stored)
        elif mime == "application/pdf":
            block["source"] = _base64(mime, stored)
        elif mime == "text/plain":
            try:
                text = (stored.data or b"").decode("utf-8")
            except UnicodeDecodeError:
                raise invalid(f"{where}: file {file_id} is text/plain but not valid UTF-8", where) from None
            block["source"] = {"type": "text", "media_type": "text/plain", "data": text}
        else:
            raise invalid(f"{where}: file {file_id} is {mime}; a document block takes application/pdf or "
                          "text/plain files (send other text as a text block)", where)


def _is_file_source(block: Any) -> bool:
    return (isinstance(block, dict) and block.get("type") in ("image", "document")
            and isinstance(block.get("source"), dict) and block["source"].get("type") == "file")


def _has_file_source(messages: list) -> bool:
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else ():
            if _is_file_source(block):
                return True
            inner = block.get("content") if isinstance(block, dict) else None
            if isinstance(inner, list) and any(_is_file_source(b) for b in inner):
                return True
    return False


def _base64(mime: str, stored: StoredFile) -> dict[str, str]:
    return {"type": "base64", "media_type": mime, "data": base64.b64encode(stored.data or b"").decode()}

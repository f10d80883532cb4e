"""Attachments through the Files API: each file's bytes uploaded once, then sent by file id.

    refs = FileRefs()                      # one per browser session (never shared)
    messages, kwargs = await refs.apply(target, messages, kwargs, always=settings.files_api)

``always`` (the Playground's *Send uploads through the Files API*): this turn's attachments
(``kwargs["media"]``) are uploaded and sent as ``{"type": "image"|"document", "source": {"type":
"file", "file_id"}}``. Whatever ``always`` says, bytes the conversation carries again (an earlier
turn's base64 block resent as history, or the same file attached again) go by file id: uploaded the
first time they are carried a second time, never re-sent inline. Only for backends with Files
(``Backend.supports_files``); ids are kept per endpoint and key, so another key never reuses them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from .media import Media, check_media_set, load_media

BLOCK_KINDS = ("image", "document")


def file_block(kind: str, file_id: str) -> dict[str, Any]:
    """The content block that refers to an uploaded file (``kind``: Media.kind, ``image`` or ``pdf``)."""
    return {"type": "image" if kind == "image" else "document", "source": {"type": "file", "file_id": file_id}}


def _inline_bytes(block: Any) -> bytes | None:
    """The bytes of a base64 image/document block, else None."""
    if not isinstance(block, Mapping) or block.get("type") not in BLOCK_KINDS:
        return None
    source = block.get("source")
    if not isinstance(source, Mapping) or source.get("type") != "base64" or not isinstance(source.get("data"), str):
        return None
    try:
        return base64.b64decode(source["data"], validate=True)
    except (binascii.Error, ValueError):
        return None


class FileRefs:
    """This session's uploaded files: ``(endpoint, key digest, sha256 of the bytes) -> file id``."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str, str], str] = {}
        self.uploads = 0  # how many uploads this session made (each file once per endpoint and key)

    def _scope(self, target: Any) -> tuple[str, str]:
        # the key only as a digest, in memory: the ids belong to the account that uploaded them
        return target.api_base or "", hashlib.sha256((target.api_key or "").encode()).hexdigest()

    async def _file_id(self, target: Any, data: bytes, media_type: str, filename: str) -> str:
        key = (*self._scope(target), hashlib.sha256(data).hexdigest())
        if key not in self._ids:
            info = await target.provider.upload_file(data, filename=filename or None, mime_type=media_type,
                                                     **target.provider_kwargs())
            self._ids[key] = info.id
            self.uploads += 1
        return self._ids[key]

    def known(self, target: Any, data: bytes) -> bool:
        return (*self._scope(target), hashlib.sha256(data).hexdigest()) in self._ids

    async def apply(self, target: Any, messages: Sequence[Mapping[str, Any]], kwargs: dict[str, Any], *,
                    always: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """``messages`` (the history, then this turn's user message) and the provider ``kwargs`` with
        file ids where they apply (see the module docstring). Raises what the upload raises."""
        if not target.backend.supports_files:
            return [dict(m) for m in messages], kwargs
        out = [dict(m) for m in messages]
        sent_before: set[bytes] = set()
        for i, message in enumerate(out[:-1]):  # earlier turns: bytes resent as history
            content = message.get("content")
            if message.get("role") != "user" or not isinstance(content, list):
                continue
            blocks = []
            for block in content:
                data = _inline_bytes(block)
                if data is None:
                    blocks.append(block)
                    continue
                sent_before.add(data)
                media = load_media(data, "")
                blocks.append({**{k: v for k, v in block.items() if k != "source"},
                               **file_block(media.kind, await self._file_id(target, data, media.media_type, ""))})
            out[i] = {**message, "content": blocks}
        media_in = kwargs.get("media") or []
        if not media_in or not out:
            return out, kwargs
        loaded: list[tuple[Media, str]] = [(load_media(d, n), n) for d, n in media_in]
        check_media_set([m for m, _ in loaded])
        inline, by_id = [], []
        for (m, name), item in zip(loaded, media_in, strict=True):
            if always or m.data in sent_before or self.known(target, m.data):
                by_id.append(file_block(m.kind, await self._file_id(target, m.data, m.media_type, name)))
            else:
                inline.append(item)
        if by_id:
            out[-1] = _with_blocks(out[-1], by_id)
        kwargs = {**kwargs, "media": inline} if inline else {k: v for k, v in kwargs.items() if k != "media"}
        return out, kwargs


def _with_blocks(message: Mapping[str, Any], blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """``message`` with ``blocks`` before its text (where the provider puts inline media too)."""
    content = message.get("content")
    existing = ([{"type": "text", "text": content}] if content else []) if isinstance(content, str) else list(content)
    results = [b for b in existing if isinstance(b, Mapping) and b.get("type") == "tool_result"]
    rest = [b for b in existing if not (isinstance(b, Mapping) and b.get("type") == "tool_result")]
    return {**message, "content": results + blocks + rest}

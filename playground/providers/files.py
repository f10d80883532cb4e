"""The Files API from the provider: upload once, then refer to the file by id in messages.

    info = await Anthropic.upload_file("report.pdf")
    messages = [{"role": "user", "content": [
        {"type": "document", "source": {"type": "file", "file_id": info.id}}, "Summarize it."]}]

Uploads are ``multipart/form-data`` (a ``file`` part, optional ``expires_in_seconds``), sent over
the same transport, retries and key handling as every other call.
"""

from __future__ import annotations

import mimetypes
import os
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from .api_calls import call_json, connect, page_size, pages, path_id

MIN_EXPIRY_S, MAX_EXPIRY_S = 3600, 7_776_000
MAX_FILE_BYTES = 500 * 1024 * 1024
MAX_IDS = 100


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A stored file's metadata (times are RFC 3339 strings; ``expires_at`` None = never)."""

    id: str
    filename: str
    mime_type: str
    size_bytes: int
    created_at: str
    downloadable: bool = False
    expires_at: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileInfo:
        return cls(str(data.get("id", "")), str(data.get("filename", "")), str(data.get("mime_type", "")),
                   int(data.get("size_bytes") or 0), str(data.get("created_at", "")),
                   bool(data.get("downloadable")), data.get("expires_at"))


def _content(file: Any, filename: str | None) -> tuple[bytes, str | None]:
    if isinstance(file, (bytes, bytearray, memoryview)):
        return bytes(file), filename
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        try:
            return path.read_bytes(), filename or path.name
        except OSError as exc:
            raise ParameterError("file", f"cannot read {str(path)!r}: {exc.strerror or exc}.") from None
    raise ParameterError("file", f"give bytes or a file path, got {type(file).__name__}.")


def multipart_body(data: bytes, filename: str | None, mime_type: str,
                   expires_in_seconds: int | None) -> tuple[bytes, str]:
    """The upload body and its Content-Type. Without a filename the part carries none, as the
    official SDK sends raw bytes (the server then names the file ``unnamed.<ext>``)."""
    boundary = "playground-" + secrets.token_hex(12)
    out = bytearray()
    if expires_in_seconds is not None:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="expires_in_seconds"\r\n\r\n'
                f"{expires_in_seconds}\r\n").encode()
    name = "" if filename is None else '; filename="' + filename.replace("\\", "\\\\").replace('"', '\\"') + '"'
    out += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"{name}\r\n'
            f"Content-Type: {mime_type}\r\n\r\n").encode()
    out += data + f"\r\n--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


class FileCalls:
    """The Files API calls, mixed into :class:`~playground.providers.Anthropic`. Every call takes
    the connection keywords ``api_key``, ``api_base``, ``headers``, ``timeout``, ``proxy``,
    ``max_retries`` and ``allow_private_hosts``."""

    @classmethod
    async def upload_file(cls, file: bytes | str | os.PathLike[str], *, filename: str | None = None,
                          mime_type: str | None = None, expires_in_seconds: int | None = None,
                          **connection: Any) -> FileInfo:
        """Upload bytes or a file at a path. The media type is ``mime_type``, else guessed from the
        file name, else ``application/octet-stream`` (which the server sniffs)."""
        data, name = _content(file, filename)
        if len(data) > MAX_FILE_BYTES:
            raise ParameterError("file", f"the file is {len(data) / 1e6:.1f} MB; the Files API accepts at most 500 MB.")
        if expires_in_seconds is not None and (isinstance(expires_in_seconds, bool) or not isinstance(
                expires_in_seconds, int) or not MIN_EXPIRY_S <= expires_in_seconds <= MAX_EXPIRY_S):
            raise ParameterError("expires_in_seconds", f"must be whole seconds from {MIN_EXPIRY_S} (1 hour) to "
                                 f"{MAX_EXPIRY_S} (90 days), got {expires_in_seconds!r}.")
        mime = mime_type or (mimetypes.guess_type(name)[0] if name else None) or "application/octet-stream"
        body, content_type = multipart_body(data, name, mime, expires_in_seconds)
        async with connect(cls, **connection) as conn:  # type: ignore[arg-type]
            return FileInfo.from_json(await conn.form("/files", body, content_type))

    @classmethod
    async def list_files(cls, *, limit: int = 20, ids: Sequence[str] | None = None,
                         **connection: Any) -> AsyncIterator[FileInfo]:
        """Every live file, newest first, ``limit`` (1-1000) per page; or just the files among
        ``ids`` (at most 100; unknown or deleted ids are left out)."""
        page_size(limit)
        if ids is not None:
            if isinstance(ids, str) or not all(isinstance(i, str) and i for i in ids):
                raise ParameterError("ids", "give a list of file ids.")
            if len(set(ids)) > MAX_IDS:
                raise ParameterError("ids", f"at most {MAX_IDS} ids per call, got {len(set(ids))}.")
        params: Any = [("ids[]", i) for i in ids] if ids else {"limit": limit}

        def following(page: dict[str, Any]) -> dict[str, Any] | None:  # a lookup by ids is one page
            return None if ids or not page.get("next_page") else {"limit": limit, "page": page["next_page"]}

        async for item in pages(cls, "/files", params, connection, following):
            yield FileInfo.from_json(item)

    @classmethod
    async def get_file(cls, file_id: str, **connection: Any) -> FileInfo:
        """A file's metadata."""
        return FileInfo.from_json(await call_json(cls, "GET", _file_path(file_id), connection))

    @classmethod
    async def download_file(cls, file_id: str, **connection: Any) -> bytes:
        """A file's bytes (only files tools produced are downloadable; others are a 400)."""
        async with connect(cls, **connection) as conn:  # type: ignore[arg-type]
            return await conn.raw("GET", f"{conn.base}{_file_path(file_id)}/content",
                                  headers={"Accept": "application/binary"})

    @classmethod
    async def delete_file(cls, file_id: str, **connection: Any) -> str:
        """Delete a file for good; returns its id."""
        return str((await call_json(cls, "DELETE", _file_path(file_id), connection)).get("id", file_id))


def _file_path(file_id: Any) -> str:
    return f"/files/{path_id(file_id, 'file_id', 'file_...')}"

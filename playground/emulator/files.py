"""``/v1/files``: the Files API (upload, list, metadata, download, delete) over :mod:`.file_store`.

Upload is ``multipart/form-data`` with a ``file`` part and an optional ``expires_in_seconds``
(3600-7776000). A part without a filename is stored as ``unnamed.<ext>``; only the last path
component of a filename is kept. The media type is the part's ``Content-Type``, else sniffed from
the bytes, else guessed from the name. Listing answers the GA shape ``{data, next_page}`` (paged
with ``page``, or one page of ``ids[]``), or the legacy beta shape ``{data, has_more, first_id,
last_id}`` when ``anthropic-beta`` names ``files-api-2025-04-14``.

Emulator-only: ``x-emulator-downloadable: 1`` on an upload marks the file downloadable, standing
in for a file a tool produced (the only kind the real API lets you download).
"""

from __future__ import annotations

import mimetypes
import re

from aiohttp import BodyPartReader, web

from .apierror import ApiError, invalid
from .file_store import FileStore, StoredFile
from .listing import id_page, page_limit
from .media_checks import sniff
from .server import _TRUE, Call, base_headers, check_auth, check_version, make_call

MIN_EXPIRY_S, MAX_EXPIRY_S = 3600, 7_776_000
MAX_IDS = 100
LEGACY_BETA = "files-api-2025-04-14"
_BAD_NAME = re.compile(r'[<>:"|?*\x00-\x1f]')
_PAGE_RE = re.compile(r"^page_(\d+)$")


def _call(request: web.Request) -> tuple[Call, FileStore]:
    call = make_call(request)
    check_auth(request, call.settings)
    check_version(request)
    return call, call.settings.files


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await part.read_chunk():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"file: the file exceeds the maximum size of {limit // (1024 * 1024)} MB "
                                "this emulator stores", "request_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def _filename(raw: str | None, mime: str) -> str:
    name = re.split(r"[/\\]", raw or "")[-1]
    if not name:
        return "unnamed" + (mimetypes.guess_extension(mime) or "")
    if len(name) > 255:
        raise invalid("file: filename must be at most 255 characters", "file")
    if _BAD_NAME.search(name):
        raise invalid(f"file: filename {name!r} must not contain < > : \" | ? * or control characters", "file")
    return name


def _mime(part: BodyPartReader, data: bytes, filename: str | None) -> str:
    declared = (part.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    return sniff(data) or (mimetypes.guess_type(filename or "")[0]) or "application/octet-stream"


def _expiry(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise invalid(f"expires_in_seconds: Input should be a valid integer, got {text!r}",
                      "expires_in_seconds") from None
    if not MIN_EXPIRY_S <= value <= MAX_EXPIRY_S:
        raise invalid(f"expires_in_seconds: Input should be between {MIN_EXPIRY_S} (1 hour) and {MAX_EXPIRY_S} "
                      "(90 days)", "expires_in_seconds")
    return value


async def upload(request: web.Request) -> web.Response:
    """``POST /v1/files``."""
    call, store = _call(request)
    if not request.content_type.startswith("multipart/"):
        raise invalid("The request body must be multipart/form-data with a `file` part")
    if request.content_length is not None and request.content_length > store.max_file_bytes + 64 * 1024:
        raise ApiError(413, f"file: the file exceeds the maximum size of {store.max_file_bytes // (1024 * 1024)} MB "
                            "this emulator stores", "request_too_large")
    reader = await request.multipart()
    data: bytes | None = None
    raw_name: str | None = None
    mime = ""
    expires: int | None = None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise invalid("multipart: nested multipart bodies are not accepted")
        if part.name == "file":
            data = await _read_part(part, store.max_file_bytes)
            raw_name = part.filename
            mime = _mime(part, data, raw_name)
        elif part.name == "expires_in_seconds":
            expires = _expiry((await _read_part(part, 64)).decode("utf-8", "replace"))
        else:
            raise invalid(f"{part.name}: Extra inputs are not permitted", part.name)
    if data is None:
        raise invalid("file: Field required", "file")
    downloadable = request.headers.get("x-emulator-downloadable", "").strip().lower() in _TRUE
    stored = store.add(data, _filename(raw_name, mime), mime, expires_in_s=expires, downloadable=downloadable)
    return web.json_response(stored.metadata(), headers=base_headers(call))


def _ga_page(store: FileStore, query: dict[str, str], ids: list[str]) -> dict:
    if ids:
        if "page" in query or "limit" in query:
            raise invalid("ids: cannot be combined with page or limit", "ids")
        unique = list(dict.fromkeys(ids))
        if len(unique) > MAX_IDS:
            raise invalid(f"ids: at most {MAX_IDS} ids may be given, got {len(unique)}", "ids")
        wanted = set(unique)
        # Unknown, expired and deleted ids are left out silently (reference §2.5).
        return {"data": [f.metadata() for f in store.live() if f.id in wanted], "next_page": None}
    limit = page_limit(query)
    files = store.live()
    page = query.get("page")
    if page is not None:
        match = _PAGE_RE.match(page)
        if not match:
            raise invalid(f"page: {page!r} is not a page token from a previous next_page", "page")
        files = [f for f in files if f.seq < int(match.group(1))]
    shown = files[:limit]
    more = len(files) > limit
    return {"data": [f.metadata() for f in shown], "next_page": f"page_{shown[-1].seq}" if more else None}


async def list_files(request: web.Request) -> web.Response:
    """``GET /v1/files``: the GA page shape, or the legacy beta one (see the module docstring)."""
    call, store = _call(request)
    query = dict(request.query)
    ids = request.query.getall("ids[]", []) + request.query.getall("ids", [])
    betas = [b.strip() for b in request.headers.get("anthropic-beta", "").split(",")]
    if LEGACY_BETA in betas:
        body = id_page(store.live(), query, lambda f: f.id, StoredFile.metadata)
    else:
        body = _ga_page(store, query, ids)
    return web.json_response(body, headers=base_headers(call))


async def retrieve(request: web.Request) -> web.Response:
    """``GET /v1/files/{file_id}``."""
    call, store = _call(request)
    return web.json_response(store.get(request.match_info["file_id"]).metadata(), headers=base_headers(call))


async def download(request: web.Request) -> web.Response:
    """``GET /v1/files/{file_id}/content``: raw bytes, for downloadable files only."""
    call, store = _call(request)
    stored = store.get(request.match_info["file_id"])
    if not stored.downloadable:
        raise ApiError(400, f"File {stored.id} is not downloadable: only files created by tools can be "
                            "downloaded, not uploaded ones.", error_code="file_not_downloadable")
    return web.Response(body=stored.data or b"", headers={**base_headers(call), "content-type": stored.mime_type})


async def delete(request: web.Request) -> web.Response:
    """``DELETE /v1/files/{file_id}``."""
    call, store = _call(request)
    file_id = request.match_info["file_id"]
    store.delete(file_id)
    return web.json_response({"id": file_id, "type": "file_deleted"}, headers=base_headers(call))


def add_routes(app: web.Application) -> None:
    """Register the Files API routes on ``app``."""
    app.router.add_post("/v1/files", upload)
    app.router.add_get("/v1/files", list_files)
    app.router.add_get("/v1/files/{file_id}", retrieve)
    app.router.add_get("/v1/files/{file_id}/content", download)
    app.router.add_delete("/v1/files/{file_id}", delete)

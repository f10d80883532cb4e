"""Images and PDFs for a message: load, sniff the real type from magic bytes, check the API's limits.

``data`` may be bytes, a file path, a ``data:`` URI or an http(s) URL. The file name is only used
in messages; the type always comes from the bytes, so a PNG named ``photo.pdf`` is still a PNG.

    >>> load_media(b"%PDF-1.7\\n...", "doc.pdf").media_type
    'application/pdf'
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from .errors import MediaError

# The API's limits (reference §1.4). The 5 MB image cap is checked on the base64 text, the
# stricter of the two readings of the API's error message.
MAX_IMAGE_BASE64 = 5 * 1024 * 1024
MAX_REQUEST_BYTES = 32 * 1000 * 1000
MAX_IMAGE_SIDE = 8000
MAX_IMAGE_SIDE_MANY = 2000  # when a request has more than MANY_IMAGES images
MANY_IMAGES = 20
MAX_IMAGES = 100
MAX_PDF_PAGES = 100  # per request, all PDFs together
# A page object (not the /Pages tree node): exact for PDFs without compressed object streams.
_PAGE_RE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")

Source = bytes | bytearray | memoryview | str | os.PathLike


@dataclass(frozen=True, slots=True)
class Media:
    """A checked image or PDF. ``width``/``height`` are 0 for PDFs."""

    kind: str  # "image" | "pdf"
    media_type: str
    data: bytes
    size: int
    width: int = 0
    height: int = 0
    filename: str = ""
    pages: int = 0  # PDFs only

    def __repr__(self) -> str:  # the bytes are not useful in a repr
        return f"Media({self.kind}, {self.media_type}, {self.size} bytes, {self.width}x{self.height}, {self.filename!r})"

    @property
    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def to_block(self) -> dict[str, Any]:
        """The Anthropic content block: ``image`` or ``document`` with a base64 source."""
        source = {"type": "base64", "media_type": self.media_type, "data": self.base64}
        return {"type": "image" if self.kind == "image" else "document", "source": source}

    def to_data_uri(self) -> str:
        """For OpenAI-style ``image_url`` parts."""
        return f"data:{self.media_type};base64,{self.base64}"


def sniff(data: bytes) -> tuple[str, str] | None:
    """``(kind, media_type)`` from the leading bytes, or None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image", "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image", "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image", "image/webp"
    # PDF readers accept the header anywhere in the first KiB; so do we.
    if b"%PDF-" in data[:1024]:
        return "pdf", "application/pdf"
    return None


def _read_source(data: Source, filename: str) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str) and data.startswith("data:"):
        return _decode_data_uri(data, filename)
    if isinstance(data, str) and data.startswith(("http://", "https://")):
        raise MediaError("media", f"{filename or data}: URLs are fetched by load_media_async (or the provider).")
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        try:
            size = path.stat().st_size
            if size > MAX_REQUEST_BYTES:
                raise MediaError("media", f"{filename or path.name}: {size:,} bytes is over the API's 32 MB request limit.")
            return path.read_bytes()
        except OSError as exc:
            raise MediaError("media", f"cannot read {filename or path.name}: {exc.strerror or exc}.") from None
    raise MediaError("media", f"{filename or 'attachment'}: expected bytes, a path, a data: URI or an http(s) URL, "
                     f"got {type(data).__name__}.")


def _decode_data_uri(uri: str, filename: str) -> bytes:
    header, sep, payload = uri.partition(",")
    if not sep:
        raise MediaError("media", f"{filename or 'data URI'}: malformed data: URI (no comma).")
    if header.endswith(";base64"):
        try:
            return base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            raise MediaError("media", f"{filename or 'data URI'}: the base64 payload is corrupt.") from None
    return unquote_to_bytes(payload)


def _image_size(data: bytes, name: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError  # lazy: Pillow is only needed when images are sent

    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            size = image.size
            # Walks the file's structure (PNG chunks and their CRCs) without decoding pixels: a file
            # cut short is refused here instead of by the API after an upload.
            image.verify()
            return size
    except Image.DecompressionBombError:  # Pillow refuses to even open images this large
        raise MediaError("media", f"{name}: the image claims more pixels than the API accepts (at most "
                         f"{MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE} px); refused as a possible decompression bomb."
                         ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise MediaError("media", f"{name}: the image data is corrupt or truncated.") from None


def from_bytes(raw: bytes, filename: str = "") -> Media:
    """Check ``raw`` and wrap it as :class:`Media`."""
    name = filename or "attachment"
    if not raw:
        raise MediaError("media", f"{name} is empty.")
    found = sniff(raw)
    if found is None:
        raise MediaError("media", f"{name} is not a PNG, JPEG, GIF, WebP image or a PDF (checked by content, "
                         "not by name).")
    kind, media_type = found
    encoded = (len(raw) + 2) // 3 * 4
    if kind == "image":
        if encoded > MAX_IMAGE_BASE64:
            raise MediaError("media", f"{name}: images may be at most 5 MB once base64-encoded; this one is "
                             f"{encoded:,} bytes. Resize or recompress it.")
        width, height = _image_size(raw, name)
        if max(width, height) > MAX_IMAGE_SIDE:
            raise MediaError("media", f"{name} is {width}x{height} px; the API accepts at most "
                             f"{MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE}. Resize it.")
        return Media(kind, media_type, raw, len(raw), width, height, filename)
    if encoded > MAX_REQUEST_BYTES:
        raise MediaError("media", f"{name}: {len(raw):,} bytes is over the API's 32 MB request limit once encoded.")
    pages = pdf_pages(raw)
    if pages < 1:
        raise MediaError("media", f"{name}: no pages found; the PDF is corrupt or truncated.")
    if pages > MAX_PDF_PAGES:
        raise MediaError("media", f"{name} has {pages} pages; the API accepts at most {MAX_PDF_PAGES} PDF pages "
                         "per request. Split it.")
    return Media(kind, media_type, raw, len(raw), 0, 0, filename, pages)


def pdf_pages(raw: bytes) -> int:
    """Page count: pypdf when it is installed (it reads compressed object streams), else a scan
    for page objects, which is exact for simple PDFs."""
    try:
        import pypdf
    except ImportError:
        return len(_PAGE_RE.findall(raw))
    try:
        return len(pypdf.PdfReader(io.BytesIO(raw)).pages)
    except Exception:  # noqa: BLE001 - pypdf raises many types on broken files: fall back to the scan
        return len(_PAGE_RE.findall(raw))


def load_media(data: Source, filename: str = "") -> Media:
    """Load and check one attachment (bytes, path or data URI). Raises MediaError with the fix."""
    return from_bytes(_read_source(data, filename), filename)


async def load_media_async(data: Source, filename: str = "", *, session: Any = None,
                           allow_private: bool = True) -> Media:
    """:func:`load_media` that also fetches http(s) URLs (size-capped; the private-host guard applies)."""
    if isinstance(data, str) and data.startswith(("http://", "https://")):
        return from_bytes(await fetch_url(data, session=session, allow_private=allow_private), filename or data)
    return load_media(data, filename)


async def fetch_url(url: str, *, session: Any = None, allow_private: bool = True,
                    limit: int = MAX_REQUEST_BYTES) -> bytes:
    """GET ``url`` and return at most ``limit`` bytes, else MediaError. Redirects are followed (at
    most a few), each hop checked against the private-host guard before it is requested, whether or
    not a ``session`` is given. A hop to a private address raises BlockedAddressError."""
    import aiohttp

    from .errors import ParameterError, RedirectError
    from .transport.client import get_following_redirects, open_session

    own = session is None
    if own:
        session = open_session(60, allow_private=allow_private)
    try:
        async with await get_following_redirects(session, url, allow_private=allow_private) as response:
            if response.status != 200:
                raise MediaError("media", f"{url}: the server answered HTTP {response.status}.")
            parts: list[bytes] = []
            size = 0
            while chunk := await response.content.readany():
                size += len(chunk)
                if size > limit:
                    raise MediaError("media", f"{url} is larger than the API's 32 MB request limit.")
                parts.append(chunk)
            return b"".join(parts)
    except RedirectError as exc:
        raise MediaError("media", f"could not download {url}: {exc}") from None
    except ParameterError as exc:  # a redirect to something that is not an http(s) URL
        if isinstance(exc, MediaError):
            raise
        raise MediaError("media", f"could not download {url}: a redirect led to an unusable address ({exc}).") from None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise MediaError("media", f"could not download {url}: {type(exc).__name__}.") from None
    finally:
        if own:
            await session.close()


def check_media_set(items: Sequence[Media]) -> None:
    """Limits that depend on the whole set: at most 100 images, 2000 px per side beyond 20 images,
    and 100 PDF pages in all."""
    images = [m for m in items if m.kind == "image"]
    if len(images) > MAX_IMAGES:
        raise MediaError("media", f"{len(images)} images given; the API accepts at most {MAX_IMAGES} per request.")
    if len(images) > MANY_IMAGES:
        for m in images:
            if max(m.width, m.height) > MAX_IMAGE_SIDE_MANY:
                raise MediaError("media", f"{m.filename or 'an image'} is {m.width}x{m.height} px; with more than "
                                 f"{MANY_IMAGES} images each must be at most {MAX_IMAGE_SIDE_MANY} px per side.")
    pages = sum(m.pages for m in items)
    if pages > MAX_PDF_PAGES:
        raise MediaError("media", f"the PDFs have {pages} pages in all; the API accepts at most {MAX_PDF_PAGES} "
                         "PDF pages per request. Send fewer.")

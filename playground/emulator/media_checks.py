"""Checks on base64 ``image`` / ``document`` blocks, and the token rule for them.

Like the real API: the media type must be one of the accepted ones and match the bytes,
an image is at most 5 MB (decoded) and 8000 px on a side (2000 px when a request has more
than 20 images, at most 100), and a request carries at most 100 PDF pages.

Token rule (documented, used by both ``/v1/messages`` and ``count_tokens``):
an image costs ``ceil(width * height / 750)`` tokens, capped at :data:`IMAGE_TOKEN_CAP`;
a PDF costs ``pages * PDF_TOKENS_PER_PAGE``.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from dataclasses import dataclass

from playground.media import pdf_pages

from .apierror import invalid

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_SIDE = 8000
MANY_IMAGES = 20  # above this many images in one request, each side is limited to MANY_IMAGES_SIDE
MANY_IMAGES_SIDE = 2000
MAX_IMAGES = 100
MAX_PDF_PAGES = 100
IMAGE_TOKEN_CAP = 1600
PDF_TOKENS_PER_PAGE = 1500



@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What a block carried: ``kind`` is ``image`` or ``pdf``; ``pages`` is 0 for images."""

    kind: str
    media_type: str
    size: int
    width: int = 0
    height: int = 0
    pages: int = 0

    @property
    def tokens(self) -> int:
        if self.kind == "image":
            return min(IMAGE_TOKEN_CAP, math.ceil(self.width * self.height / 750))
        return self.pages * PDF_TOKENS_PER_PAGE

    def describe(self) -> str:
        """A short phrase for the reply, e.g. ``a PNG image (640x480 px, 1234 bytes)``."""
        if self.kind == "image":
            fmt = self.media_type.split("/")[1].upper()
            return f"a {fmt} image ({self.width}x{self.height} px, {self.size} bytes)"
        unit = "page" if self.pages == 1 else "pages"
        return f"a PDF document ({self.pages} {unit}, {self.size} bytes)"


def sniff(data: bytes) -> str | None:
    """The media type the bytes really are, from their magic number (None if unknown)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _decode(data: object, path: str) -> bytes:
    if not isinstance(data, str) or not data:
        raise invalid(f"{path}.data: Field required (a non-empty base64 string)", path)
    if data.startswith("data:"):
        raise invalid(f"{path}.data: send raw base64, without a 'data:...;base64,' prefix", path)
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"{path}.data: invalid base64 data", path) from None


def check_image(source: dict, path: str) -> MediaInfo:
    """Validate a base64 image ``source`` found at ``path`` (e.g. ``messages.0.content.1.image.source.base64``)."""
    media_type = source.get("media_type")
    if media_type not in IMAGE_TYPES:
        allowed = ", ".join(f"'{t}'" for t in IMAGE_TYPES)
        raise invalid(f"{path}.media_type: Input should be {allowed}", path)
    raw = _decode(source.get("data"), path)
    if len(raw) > MAX_IMAGE_BYTES:
        raise invalid(f"{path}: image exceeds 5 MB maximum: {len(raw)} bytes > {MAX_IMAGE_BYTES} bytes", path)
    actual = sniff(raw)
    if actual != media_type:
        seen = actual or "an unrecognized"
        raise invalid(f"{path}.data: The image was specified using the {media_type} media type, "
                      f"but the image appears to be {seen} image", path)
    width, height = _image_size(raw, path)
    if max(width, height) > MAX_IMAGE_SIDE:
        raise invalid(f"{path}.data: At least one of the image dimensions exceed max allowed size: "
                      f"{MAX_IMAGE_SIDE} pixels", path)
    return MediaInfo("image", media_type, len(raw), width, height)


def _image_size(raw: bytes, path: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError  # lazy: Pillow is only needed for images

    try:
        with Image.open(io.BytesIO(raw)) as img:  # reads the header only
            return img.size
    except (UnidentifiedImageError, OSError, ValueError):
        raise invalid(f"{path}.data: Could not process image", path) from None


def check_pdf(source: dict, path: str) -> MediaInfo:
    """Validate a base64 PDF ``source`` found at ``path``."""
    if source.get("media_type") != "application/pdf":
        raise invalid(f"{path}.media_type: Input should be 'application/pdf'", path)
    raw = _decode(source.get("data"), path)
    if sniff(raw) != "application/pdf":
        raise invalid(f"{path}.data: The PDF specified was not valid (it does not start with %PDF-)", path)
    pages = pdf_pages(raw)
    if pages < 1:
        raise invalid(f"{path}.data: The PDF specified was not valid (no pages found)", path)
    if pages > MAX_PDF_PAGES:
        raise invalid(f"A maximum of {MAX_PDF_PAGES} PDF pages may be provided.", path)
    return MediaInfo("pdf", "application/pdf", len(raw), pages=pages)


def check_request_limits(media: list[tuple[str, MediaInfo]]) -> None:
    """Limits over the whole request: at most 100 images, 2000 px per side when there are
    more than 20, and 100 PDF pages in total."""
    images = [(path, m) for path, m in media if m.kind == "image"]
    if len(images) > MAX_IMAGES:
        raise invalid(f"messages: Too many images: {len(images)} > {MAX_IMAGES} maximum per request", "messages")
    if len(images) > MANY_IMAGES:
        for path, m in images:
            if max(m.width, m.height) > MANY_IMAGES_SIDE:
                raise invalid(f"{path}.data: At least one of the image dimensions exceed max allowed size for "
                              f"many-image requests: {MANY_IMAGES_SIDE} pixels", path)
    if sum(m.pages for _, m in media) > MAX_PDF_PAGES:
        raise invalid(f"A maximum of {MAX_PDF_PAGES} PDF pages may be provided.", "messages")

"""Small, real media files built in memory for the tests (a plain module: ``from samples import ...``)."""

from __future__ import annotations

import io


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (5, 4), color: object = "blue") -> bytes:
    """A solid-colour image in ``fmt`` (PNG, JPEG, GIF, WEBP)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def blank_pdf(pages: int, side: int = 72) -> bytes:
    """A valid PDF of ``pages`` blank pages."""
    import pypdf

    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=side, height=side)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()

"""Uploads that must be refused by content before any request (the browser tests show the message)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from playground.errors import MediaError
from playground.media import from_bytes

PNG = (Path(__file__).resolve().parents[1] / "assets" / "example.png").read_bytes()


def _png(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("cut", [len(PNG) // 2, len(PNG) - 12, 40])
def test_a_truncated_png_is_refused(cut: int) -> None:
    with pytest.raises(MediaError, match="corrupt or truncated"):
        from_bytes(PNG[:cut], "cut.png")


def test_a_decompression_bomb_is_refused_by_its_header() -> None:
    bomb = _png(50_000, 50_000, zlib.compress(b"\0" * 100_000, 9))
    assert len(bomb) < 2_000
    with pytest.raises(MediaError, match="decompression bomb"):
        from_bytes(bomb, "bomb.png")


def test_a_whole_png_still_loads() -> None:
    media = from_bytes(PNG, "ok.png")
    assert (media.kind, media.width) == ("image", 64)

"""Media loading: every source kind, sniffing by content, limits, and URL fetching over real HTTP."""

from __future__ import annotations

import base64

import pytest
from replay import ReplayServer, Reply
from samples import blank_pdf, image_bytes

from playground.errors import BlockedAddressError, MediaError
from playground.media import Media, check_media_set, load_media, load_media_async, sniff

PDF = blank_pdf(1)


@pytest.mark.parametrize("fmt, media_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"),
                                              ("WEBP", "image/webp")])
def test_images_are_sniffed_by_content_not_name(fmt: str, media_type: str) -> None:
    media = load_media(image_bytes(fmt), "misleading.pdf")
    assert (media.kind, media.media_type, media.width, media.height) == ("image", media_type, 5, 4)
    block = media.to_block()
    assert block["type"] == "image" and block["source"]["media_type"] == media_type
    assert base64.b64decode(block["source"]["data"]) == media.data


def test_pdf_from_path_and_data_uri(tmp_path) -> None:
    path = tmp_path / "doc.bin"
    path.write_bytes(PDF)
    for source in (path, str(path), "data:application/pdf;base64," + base64.b64encode(PDF).decode()):
        media = load_media(source, "doc")
        assert (media.kind, media.media_type, media.size, media.pages) == ("pdf", "application/pdf", len(PDF), 1)
        assert media.to_block()["type"] == "document"


@pytest.mark.parametrize("data, message", [
    (b"", "is empty"),
    (b"hello world", "not a PNG, JPEG, GIF, WebP image or a PDF"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "corrupt or truncated"),
    ("/no/such/file.png", "cannot read"),
    ("data:image/png;base64", "malformed data: URI"),
    (12345, "expected bytes, a path"),
])
def test_clear_errors(data: object, message: str) -> None:
    with pytest.raises(MediaError, match=message) as info:
        load_media(data, "x.png")  # type: ignore[arg-type]
    assert info.value.param == "media"


def test_pdf_page_limits_are_checked_before_sending() -> None:
    assert load_media(blank_pdf(100), "long.pdf").pages == 100
    with pytest.raises(MediaError, match="long.pdf has 101 pages; the API accepts at most 100"):
        load_media(blank_pdf(101), "long.pdf")
    halves = [load_media(blank_pdf(60), f"part{i}.pdf") for i in (1, 2)]
    with pytest.raises(MediaError, match="120 pages in all"):
        check_media_set(halves)
    check_media_set(halves[:1])


def test_a_pdf_without_pages_is_refused() -> None:
    with pytest.raises(MediaError, match="no pages found; the PDF is corrupt or truncated"):
        load_media(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "empty.pdf")
    with pytest.raises(MediaError, match="no pages found"):
        load_media(PDF[: len(PDF) // 3], "cut.pdf")


def test_size_limits() -> None:
    big = image_bytes("PNG", (8001, 2))
    with pytest.raises(MediaError, match="at most 8000x8000"):
        load_media(big, "wide.png")
    huge = b"\x89PNG\r\n\x1a\n" + b"\x00" * (4 * 1024 * 1024)  # > 5 MB once base64-encoded
    with pytest.raises(MediaError, match="at most 5 MB once base64-encoded"):
        load_media(huge, "huge.png")


def test_limits_over_the_whole_set() -> None:
    small = Media("image", "image/png", b"", 0, 100, 100)
    large = Media("image", "image/png", b"", 0, 3000, 100, "large.png")
    check_media_set([small] * 21)
    with pytest.raises(MediaError, match="more than 20 images each must be at most 2000"):
        check_media_set([small] * 20 + [large])
    with pytest.raises(MediaError, match="at most 100"):
        check_media_set([small] * 101)


def test_sniff_unknown() -> None:
    assert sniff(b"RIFF\x00\x00\x00\x00WAVE") is None


async def test_url_is_fetched_and_sniffed(replay_server: ReplayServer) -> None:
    png = image_bytes("PNG")
    replay_server.reply(Reply(200, body=png, content_type="application/octet-stream"))
    media = await load_media_async(replay_server.base_url + "/cat", "cat")
    assert media.media_type == "image/png" and media.data == png
    replay_server.reply(Reply(404, body=b"no"))
    with pytest.raises(MediaError, match="HTTP 404"):
        await load_media_async(replay_server.base_url + "/missing", "x")


async def test_url_fetch_respects_private_host_guard(replay_server: ReplayServer) -> None:
    with pytest.raises(BlockedAddressError):
        await load_media_async(replay_server.base_url + "/cat", "cat", allow_private=False)
    assert replay_server.requests == []


def test_sync_load_refuses_urls_with_a_pointer() -> None:
    with pytest.raises(MediaError, match="load_media_async"):
        load_media("https://example.com/a.png", "a.png")

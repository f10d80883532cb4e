"""The Files API on the emulator, driven by the official ``anthropic`` SDK over real HTTP: upload,
metadata, list (GA and legacy-beta shapes), download rules, delete, expiry, the storage bound,
and ``{"type": "file"}`` sources in messages counted exactly like the same bytes inline."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import anthropic
import pytest
from samples import blank_pdf, image_bytes

from playground.catalog import EMULATOR_MODEL
from playground.emulator import Emulator
from playground.emulator.media_checks import PDF_TOKENS_PER_PAGE

pytestmark = pytest.mark.timeout(60)

KEY = "sk-test-files"
NOTES = "The White Rabbit checked his watch and hurried down the hole.\n"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(seed=5) as emulator:
        yield emulator


@pytest.fixture
async def sdk(emu: Emulator) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(base_url=emu.base_url, api_key=KEY, max_retries=0) as c:
        yield c


def ask(block: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [block, {"type": "text", "text": "What is in this?"}]}]


def when(value: Any) -> float:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() if isinstance(value, str) \
        else value.timestamp()


async def test_upload_retrieve_list_delete(sdk: anthropic.AsyncAnthropic) -> None:
    meta = await sdk.files.upload(file=("notes.txt", NOTES.encode(), "text/plain"))
    assert meta.id.startswith("file_") and meta.type == "file"
    assert (meta.filename, meta.mime_type, meta.size_bytes) == ("notes.txt", "text/plain", len(NOTES.encode()))
    assert meta.downloadable is False and meta.expires_at is None
    again = await sdk.files.retrieve_metadata(meta.id)
    assert again.model_dump() == meta.model_dump()
    assert [f.id async for f in sdk.files.list()] == [meta.id]
    deleted = await sdk.files.delete(meta.id)
    assert deleted.id == meta.id and deleted.type == "file_deleted"
    with pytest.raises(anthropic.NotFoundError, match=meta.id):
        await sdk.files.retrieve_metadata(meta.id)
    assert [f.id async for f in sdk.files.list()] == []


async def test_unnamed_bytes_get_a_name_from_their_sniffed_type(sdk: anthropic.AsyncAnthropic) -> None:
    meta = await sdk.files.upload(file=image_bytes("PNG"))  # raw bytes: no filename, octet-stream
    assert (meta.filename, meta.mime_type) == ("unnamed.png", "image/png")


def multipart(*parts: tuple[str, str | None, bytes]) -> tuple[bytes, str]:
    """A multipart/form-data body written by hand (so a filename goes out exactly as given)."""
    boundary = "b0undary7"
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


async def post_form(emu: Emulator, *parts: tuple[str, str | None, bytes]) -> tuple[int, dict]:
    body, content_type = multipart(*parts)
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01", "content-type": content_type}
    async with aiohttp.ClientSession() as http, http.post(f"{emu.base_url}/v1/files", data=body,
                                                          headers=headers) as r:
        return r.status, await r.json()


async def test_only_the_last_path_component_of_a_filename_is_kept(emu: Emulator) -> None:
    status, meta = await post_form(emu, ("file", "../secret/dir/a.txt", b"hello"))
    assert status == 200 and meta["filename"] == "a.txt"
    assert meta["mime_type"] == "text/plain"  # no part Content-Type: guessed from the name


async def test_bad_filenames_and_parts_are_refused(emu: Emulator) -> None:
    status, body = await post_form(emu, ("file", "what?.txt", b"x"))
    assert status == 400 and body["error"]["message"].startswith("file: filename 'what?.txt' must not contain")
    status, body = await post_form(emu, ("file", "a.txt", b"x"), ("purpose", None, b"batch"))
    assert status == 400 and body["error"]["message"] == "purpose: Extra inputs are not permitted"
    status, body = await post_form(emu, ("expires_in_seconds", None, b"3600"))
    assert status == 400 and body["error"]["message"] == "file: Field required"


async def test_expiry_window_and_expired_files(emu: Emulator, sdk: anthropic.AsyncAnthropic) -> None:
    for bad in (3599, 7_776_001):
        with pytest.raises(anthropic.BadRequestError, match="expires_in_seconds: Input should be between 3600"):
            await sdk.files.upload(file=("a.txt", b"x", "text/plain"), expires_in_seconds=bad)
    meta = await sdk.files.upload(file=("a.txt", b"x", "text/plain"), expires_in_seconds=3600)
    assert when(meta.expires_at) - when(meta.created_at) == pytest.approx(3600, abs=1e-3)
    real = emu.settings.files.clock
    emu.settings.files.clock = lambda: real() + 3601  # an hour later
    with pytest.raises(anthropic.NotFoundError) as caught:
        await sdk.files.retrieve_metadata(meta.id)
    assert caught.value.body["error"]["details"]["error_code"] == "file_expired"  # type: ignore[index]
    with pytest.raises(anthropic.NotFoundError):
        await sdk.messages.create(model=EMULATOR_MODEL, max_tokens=10, messages=ask(
            {"type": "document", "source": {"type": "file", "file_id": meta.id}}))
    assert [f.id async for f in sdk.files.list()] == []


async def test_list_pages_ids_filter_and_legacy_beta_shape(emu: Emulator, sdk: anthropic.AsyncAnthropic) -> None:
    ids = [(await sdk.files.upload(file=(f"f{i}.txt", b"data", "text/plain"))).id for i in range(3)]
    first = await sdk.files.list(limit=2)
    assert [f.id for f in first.data] == [ids[2], ids[1]] and first.next_page
    assert [f.id async for f in sdk.files.list(limit=2)] == ids[::-1]  # the SDK follows next_page
    picked = await sdk.files.list(ids=[ids[0], "file_unknown", ids[0]])
    assert [f.id for f in picked.data] == [ids[0]] and not picked.next_page
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{emu.base_url}/v1/files", params={"ids[]": ids[0], "limit": "2"},
                            headers=headers) as r:
            assert r.status == 400
            assert (await r.json())["error"]["message"] == "ids: cannot be combined with page or limit"
        async with http.get(f"{emu.base_url}/v1/files", params={"limit": "2"},
                            headers={**headers, "anthropic-beta": "files-api-2025-04-14"}) as r:
            legacy = await r.json()
    assert set(legacy) == {"data", "has_more", "first_id", "last_id"}
    assert (legacy["first_id"], legacy["last_id"], legacy["has_more"]) == (ids[2], ids[1], True)


async def test_download_rules(emu: Emulator, sdk: anthropic.AsyncAnthropic) -> None:
    uploaded = await sdk.files.upload(file=("a.txt", b"abc", "text/plain"))
    with pytest.raises(anthropic.BadRequestError) as caught:
        await sdk.files.download(uploaded.id)
    assert caught.value.body["error"]["details"]["error_code"] == "file_not_downloadable"  # type: ignore[index]
    produced = await sdk.files.upload(file=("out.csv", b"a,b\n1,2\n", "text/csv"),
                                      extra_headers={"x-emulator-downloadable": "1"})
    assert produced.downloadable is True
    content = await sdk.files.download(produced.id)
    assert await content.read() == b"a,b\n1,2\n"


async def test_storage_quota(emu: Emulator, sdk: anthropic.AsyncAnthropic) -> None:
    emu.settings.files.quota_bytes = 10
    await sdk.files.upload(file=("a.txt", b"123456", "text/plain"))
    with pytest.raises(anthropic.BadRequestError, match="Storage quota exceeded") as caught:
        await sdk.files.upload(file=("b.txt", b"123456", "text/plain"))
    assert caught.value.body["error"]["details"]["error_code"] == "storage_quota_exceeded"  # type: ignore[index]


@pytest.mark.parametrize("kind", ["text", "pdf", "png"])
async def test_a_file_source_counts_and_answers_exactly_like_the_same_bytes_inline(
        sdk: anthropic.AsyncAnthropic, kind: str) -> None:
    if kind == "text":
        upload = ("notes.txt", NOTES.encode(), "text/plain")
        inline = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": NOTES}}
    elif kind == "pdf":
        upload = ("two.pdf", blank_pdf(2), "application/pdf")
        inline = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                                 "data": base64.b64encode(blank_pdf(2)).decode()}}
    else:
        upload = ("dot.png", image_bytes("PNG", (60, 50)), "image/png")
        inline = {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                              "data": base64.b64encode(upload[1]).decode()}}
    meta = await sdk.files.upload(file=upload)
    by_file = {"type": inline["type"], "source": {"type": "file", "file_id": meta.id}}
    with_file = await sdk.messages.create(model=EMULATOR_MODEL, max_tokens=40, messages=ask(by_file))
    with_bytes = await sdk.messages.create(model=EMULATOR_MODEL, max_tokens=40, messages=ask(inline))
    assert with_file.usage.input_tokens == with_bytes.usage.input_tokens
    assert with_file.content[0].text == with_bytes.content[0].text  # same seed, same request once inlined
    counted = await sdk.messages.count_tokens(model=EMULATOR_MODEL, messages=ask(by_file))
    assert counted.input_tokens == with_file.usage.input_tokens
    if kind == "pdf":  # hand-computed: the text-only request plus 2 pages at 1500 tokens each
        text_only = await sdk.messages.count_tokens(model=EMULATOR_MODEL, messages=[
            {"role": "user", "content": [{"type": "text", "text": "What is in this?"}]}])
        assert counted.input_tokens == text_only.input_tokens + 2 * PDF_TOKENS_PER_PAGE
    if kind == "png":  # ceil(60 * 50 / 750) = 4 image tokens
        text_only = await sdk.messages.count_tokens(model=EMULATOR_MODEL, messages=[
            {"role": "user", "content": [{"type": "text", "text": "What is in this?"}]}])
        assert counted.input_tokens == text_only.input_tokens + 4


async def test_file_sources_are_checked(sdk: anthropic.AsyncAnthropic) -> None:
    text = await sdk.files.upload(file=("notes.txt", b"hello", "text/plain"))
    csv = await sdk.files.upload(file=("t.csv", b"a,b", "text/csv"))
    with pytest.raises(anthropic.BadRequestError, match=r"messages\.0\.content\.0\.image\.source\.file\.file_id: "
                                                        r"file file_\w+ is text/plain, not an image"):
        await sdk.messages.create(model=EMULATOR_MODEL, max_tokens=10, messages=ask(
            {"type": "image", "source": {"type": "file", "file_id": text.id}}))
    with pytest.raises(anthropic.BadRequestError, match="a document block takes application/pdf or text/plain"):
        await sdk.messages.create(model=EMULATOR_MODEL, max_tokens=10, messages=ask(
            {"type": "document", "source": {"type": "file", "file_id": csv.id}}))
    with pytest.raises(anthropic.NotFoundError, match="File not found: file_nope"):
        await sdk.messages.create(model=EMULATOR_MODEL, max_tokens=10, messages=ask(
            {"type": "document", "source": {"type": "file", "file_id": "file_nope"}}))

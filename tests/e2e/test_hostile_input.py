"""Hostile input from both sides, through the UI in Chromium.

Model output: the reply of an ``echo`` model on a scripted OpenAI-compatible server
(scripted_server.py) is whatever the test typed, so HTML/script/Markdown tricks arrive as model
output, and every URL in them points back at that server, so a fetch would be recorded.
Uploads: files that lie about their type, are truncated, oversized or decompression bombs are
refused with a clear message, and no request reaches the backend. Text: stop sequences and a
system prompt at size limits, control characters and lone surrogates (the browser's form of
invalid UTF-8) are sent or refused cleanly.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
from samples import blank_pdf
from scripted_server import scripted_server
from ui import answer_text, bot_texts, choose, fill, request_body, send, wait_done

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
APP_ENV = {"PLAYGROUND_EMULATOR_TPS": "0", "PLAYGROUND_TIMEOUT": "5"}
ASSETS = Path(__file__).resolve().parents[2] / "assets"


@pytest.fixture(scope="module")
def echo():
    with scripted_server() as state:
        yield state


def _use_echo(page, echo) -> None:
    choose(page, "backend", "OpenAI-compatible endpoint")
    page.wait_for_selector("#base_url", state="visible")
    fill(page, "base_url", echo.api_base)
    page.wait_for_function("document.querySelector('#model input').value === 'ok'")
    choose(page, "model", "echo")


def _completions(echo) -> int:
    return sum(1 for seen in echo.seen if seen["path"].endswith("/chat/completions"))


def _hostile(base: str) -> str:
    return "\n\n".join([
        "Harmless start.",
        f'<img src="{base}/h-img.png" onerror="window.__pwned = 1">',
        "<script>window.__pwned = 2</script>",
        f"![md]({base}/md-img.png)",
        f"![ref][r]\n\n[r]: {base}/ref-img.png",
        '<svg onload="window.__pwned = 3"><circle r="5"/></svg>',
        f'<iframe src="{base}/frame.html"></iframe>',
        f'<style>@import url("{base}/style.css"); body {{ background: url("{base}/bg.png") }}</style>',
        '<a href="javascript:window.__pwned = 4">click me</a> [md link](javascript:window.__pwned=5)',
        '<details open ontoggle="window.__pwned = 6">x</details>',
        f'<meta http-equiv="refresh" content="0; url={base}/refresh">',
        f'<form action="{base}/form"><button id="evil-btn">go</button></form>',
        "Harmless end.",
    ])


def test_hostile_model_output_renders_inert(page, echo, shot) -> None:
    base = echo.api_base.rsplit("/v1", 1)[0]
    _use_echo(page, echo)
    send(page, _hostile(base))
    wait_done(page, timeout=60_000)
    page.locator("#chat").get_by_text("click me").last.click()  # a javascript: link must do nothing
    forms = page.locator("#chat [data-testid=bot] form button")
    if forms.count():  # the sanitizer keeps forms: submitting one must not leave the page (CSP form-action)
        page.evaluate("document.addEventListener('securitypolicyviolation',"
                      " e => { window.__blocked = e.effectiveDirective; })")
        forms.last.click(no_wait_after=True)
        # the browser reports the blocked submission: wait for that event rather than for time to pass
        page.wait_for_function("window.__blocked !== undefined")
        assert page.evaluate("window.__blocked") == "form-action"
    shot(page)
    answer = answer_text(page)
    assert "Harmless start." in answer and "Harmless end." in answer
    assert page.evaluate("window.__pwned") is None, "a script in the model's output ran"
    for selector in ("script", "iframe", "svg[onload]", "style", "meta", "[onerror]", "[ontoggle]",
                     "a[href^='javascript']"):
        # inside the messages (the Chatbot's own icons carry a <style> of their own)
        found = page.locator(f"#chat [data-testid=bot] {selector}, #chat [data-testid=user] {selector}").count()
        assert found == 0, f"{selector} survived in the chat"
    assert page.url.startswith("http://127.0.0.1") and "refresh" not in page.url
    assert echo.hits == [], f"the page fetched {echo.hits} from URLs in the model's output"


def _png(width: int, height: int, idat: bytes, color_type: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _half(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: len(data) // 2]


def _bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, a phrase the refusal must contain)."""
    files: dict[str, tuple[bytes, str, str]] = {
        # a script saved as .png: sniffed by content, not trusted by name
        "lying": (b"<html><script>alert(1)</script></html>", "photo.png", "not a PNG"),
        # a real PNG cut in half: its header is fine, its pixels are not
        "truncated": (_half(ASSETS / "example.png"), "cut.png", "corrupt or truncated"),
        # 50,000 x 50,000 zero pixels compressed into a few kilobytes
        "bomb": (_png(50_000, 50_000, zlib.compress(b"\0" * (50_001 * 64), 9)), "bomb.png", "decompression bomb"),
        # noise does not compress: over the API's 5 MB base64 image cap
        "oversized": (_png(1500, 1100, zlib.compress(b"".join(b"\0" + os.urandom(1500 * 3) for _ in range(1100)), 0),
                           color_type=2), "huge.png", "5 MB"),
        "fake_pdf": (b"%PDX-1.4 not really a pdf", "paper.pdf", "not a PNG"),
        # a real PDF over the API's 100-page limit: counted before sending
        "too_many_pages": (blank_pdf(101), "long.pdf", "101 pages"),
    }
    out = {}
    for key, (data, name, phrase) in files.items():
        path = tmp / name
        path.write_bytes(data)
        out[key] = (path, phrase)
    return out


BAD_KINDS = ["lying", "truncated", "bomb", "oversized", "fake_pdf", "too_many_pages"]


@pytest.mark.timeout(360)  # six bad files and six good sends in one session
def test_bad_uploads_are_refused_before_any_request(page, echo, shot, tmp_path) -> None:
    """Each bad file in turn, in one session (one page load, not six): refused by name with its
    reason, no request sent, and the next plain send still answered."""
    bad = _bad_files(tmp_path)
    _use_echo(page, echo)
    for n, kind in enumerate(BAD_KINDS):
        path, phrase = bad[kind]
        before = _completions(echo)
        page.wait_for_selector("#prompt [class*=thumbnail]", state="detached")  # no upload left from the last file
        with page.expect_response(lambda response: "/upload" in response.url):
            page.locator("#prompt input[type=file]").set_input_files(str(path))
        page.wait_for_selector("#prompt [class*=thumbnail]")  # the pending upload's preview (image or file icon)
        send(page, f"what is in this file? ({kind})")
        wait_done(page, turns=2 * n + 1, timeout=60_000)
        last = bot_texts(page)[-1]
        assert "Invalid" in last and "media" in last and phrase in last, (kind, last)
        assert path.name in last, f"the message names the file ({kind})"
        assert "Traceback" not in last, kind
        assert _completions(echo) == before, f"a request was sent with the bad file ({kind})"
        send(page, f"and without a file after {kind}")  # the session is still usable
        wait_done(page, turns=2 * n + 2, timeout=60_000)
        assert f"and without a file after {kind}" in answer_text(page), kind
    shot(page)


def test_control_characters_and_long_stop_sequences_round_trip(page, echo) -> None:
    _use_echo(page, echo)
    text = "bell\x07 esc\x1b[31m red nul-less tab\tand\u202eRTL override\u200b zero-width"
    page.locator("#prompt textarea").fill(text)
    stops = "\n".join(f"stop number {i} " + "x" * 200 for i in range(8))  # several long sequences
    fill(page, "stop_sequences", stops)
    page.locator("#send").click()
    wait_done(page, timeout=60_000)
    body = request_body(page)
    assert body["messages"][-1]["content"] in (text, [{"type": "text", "text": text}])
    assert len(body["stop"]) == 8 or len(body.get("stop_sequences", [])) == 8
    assert "stop reason:" in bot_texts(page)[-1]
    assert page.locator("#chat script").count() == 0


def test_a_huge_system_prompt_is_sent_or_refused_cleanly(page, echo) -> None:
    _use_echo(page, echo)
    system = "You are terse. " * 20_000  # ~280 kB: far past any sensible prompt, under the 32 MB request cap
    page.locator("#system textarea").evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
                                              system)
    page.locator("#system textarea").press("Tab")
    send(page, "hi")
    wait_done(page, timeout=60_000)
    last = bot_texts(page)[-1]
    assert "Traceback" not in last
    assert "stop reason:" in last or "Invalid" in last, last


def test_a_lone_surrogate_in_the_prompt_is_handled(page, echo) -> None:
    """JavaScript strings may hold unpaired surrogates, which are not valid UTF-8 (nor valid JSON text
    for the API): the run must end with a clear message or a cleaned prompt, never a crash."""
    _use_echo(page, echo)
    page.locator("#prompt textarea").evaluate(
        "(el) => { el.value = 'broken \\ud800 text'; el.dispatchEvent(new Event('input')); }")
    page.locator("#send").click()
    wait_done(page, timeout=60_000)
    last = bot_texts(page)[-1]
    assert "Traceback" not in last and "Unexpected error" not in last, last
    send(page, "and a normal one")
    wait_done(page, turns=2, timeout=60_000)
    assert "and a normal one" in answer_text(page)

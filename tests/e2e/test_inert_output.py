"""Model output renders inert: no script runs, no remote image loads by itself.

The reply comes from a small hostile OpenAI-compatible server started here (a real aiohttp server
on a free port) whose answer is HTML/Markdown trickery pointing back at itself, so any fetch shows up.
"""

from __future__ import annotations

import pytest
from aiohttp import web
from app_server import free_port
from scripted_server import serve_in_thread
from ui import choose, fill, send, wait_done

pytestmark = pytest.mark.browser
APP_ENV = {"PLAYGROUND_EMULATOR_TPS": "0"}


def _reply(port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    return (
        "Here you go.\n\n"
        f'<img src="{base}/html-img.png" onerror="window.__pwned = 1">\n\n'
        "<script>window.__pwned = 2</script>\n\n"
        f"![tracker]({base}/markdown-img.png)\n\n"
        '<a href="javascript:window.__pwned = 3">click</a> <b onmouseover="window.__pwned = 4">bold</b>'
    )


@pytest.fixture(scope="module")
def hostile():
    port = free_port()
    hits: list[str] = []

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "hostile-model", "object": "model"}]})

    async def completions(request: web.Request) -> web.Response:
        return web.json_response({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "hostile-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": _reply(port)},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 30, "total_tokens": 33},
        })

    async def anything(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=b"", content_type="image/png")

    app = web.Application()
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_get("/{tail:.*}", anything)
    with serve_in_thread(app, port):
        yield f"http://127.0.0.1:{port}/v1", hits


def test_hostile_reply_is_shown_as_inert_text(page, hostile, shot) -> None:
    base, hits = hostile
    choose(page, "backend", "OpenAI-compatible endpoint")
    page.wait_for_selector("#base_url", state="visible")
    fill(page, "base_url", base)
    page.wait_for_function("document.querySelector('#model input').value === 'hostile-model'")
    page.locator("#stream input").uncheck()
    send(page, "say something nasty")
    chat = wait_done(page)
    page.locator("#chat [data-testid=bot] b").first.hover()  # would fire an onmouseover handler
    shot(page)
    assert "Here you go." in chat
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#chat script").count() == 0
    assert page.locator("#chat [onerror], #chat [onmouseover], #chat a[href^='javascript']").count() == 0
    assert hits == [], f"the page fetched {hits} from the model's URLs"

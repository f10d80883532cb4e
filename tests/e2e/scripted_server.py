"""A tiny OpenAI-compatible server for the hardening tests, on 127.0.0.1 and a free port.

Its behaviour is picked by the *model id* the browser types (the UI's custom model field), so one
server covers every case: ``ok`` answers, ``needs-key`` wants ``Bearer right-key`` (else 401),
``bad-request`` answers 400 with its own message, ``hang`` accepts and never answers, ``echo:TEXT``
answers TEXT, ``echo`` answers the last user message. Every request is recorded (path, headers), so a test can show what reached it.
It runs on its own thread and loop: sync Playwright already owns the test thread's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiohttp import web
from app_server import free_port

RIGHT_KEY = "right-key"
BAD_REQUEST_MESSAGE = "temperature: must be at most 2 (said the scripted server)"


@dataclass
class Scripted:
    """The running server: its ``/v1`` base URL and what reached it."""

    api_base: str
    seen: list[dict] = field(default_factory=list)  # {"path", "headers", "body"} per request
    hang_started: threading.Event = field(default_factory=threading.Event)
    key: str = RIGHT_KEY  # what ``needs-key`` accepts
    hits: list[str] = field(default_factory=list)  # any other GET (e.g. an image a page tried to load)

    def authorizations(self) -> list[str]:
        """The Authorization header of every request that reached the server ("" when absent)."""
        return [seen["headers"].get("Authorization", "") for seen in self.seen]


def _error(status: int, message: str, kind: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": kind, "code": None}}, status=status)


async def _stream(request: web.Request, text: str) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
    await resp.prepare(request)
    for i in range(0, len(text), 12):  # a few chunks, as a real endpoint would send
        chunk = {"id": "c1", "object": "chat.completion.chunk", "model": "scripted",
                 "choices": [{"index": 0, "delta": {"content": text[i:i + 12]}, "finish_reason": None}]}
        await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
    end = {"id": "c1", "object": "chat.completion.chunk", "model": "scripted",
           "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    await resp.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
    await resp.write_eof()
    return resp


def _app(state: Scripted) -> web.Application:
    async def models(request: web.Request) -> web.Response:
        state.seen.append({"path": request.path, "headers": dict(request.headers), "body": None})
        return web.json_response({"object": "list", "data": [{"id": m, "object": "model"} for m in
                                                             ("ok", "needs-key", "bad-request", "hang", "echo")]})

    async def completions(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        state.seen.append({"path": request.path, "headers": dict(request.headers), "body": body})
        model = str(body.get("model", ""))
        if model == "needs-key" and request.headers.get("Authorization") != f"Bearer {state.key}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error")
        if model == "bad-request":
            return _error(400, BAD_REQUEST_MESSAGE, "invalid_request_error")
        if model == "hang":
            state.hang_started.set()
            await asyncio.Event().wait()  # accepts, reads the request, never answers
        text = model.split(":", 1)[1] if model.startswith("echo:") else "All good here."
        if model == "echo":  # the last user message's text, back verbatim
            content = body["messages"][-1]["content"]
            text = content if isinstance(content, str) else "".join(
                b.get("text", "") for b in content if isinstance(b, dict))
        if body.get("stream"):
            return await _stream(request, text)
        return web.json_response({
            "id": "c1", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
        })

    async def anything(request: web.Request) -> web.Response:
        state.hits.append(request.path)
        return web.Response(body=b"", content_type="image/png")

    app = web.Application()
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_get("/{tail:.*}", anything)
    return app


@contextlib.contextmanager
def serve_in_thread(app: web.Application, port: int) -> Iterator[None]:
    """Serve ``app`` on 127.0.0.1:``port`` from a thread of its own with its own loop (sync Playwright
    marks this thread's loop as running, so a server cannot share it), until the block exits."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, shutdown_timeout=1)
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10), f"test server on port {port} did not start"
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@contextlib.contextmanager
def scripted_server(key: str = RIGHT_KEY, app_factory=_app) -> Iterator[Scripted]:
    """Serve until the block exits (``needs-key`` accepts ``key``); ``app_factory(state)`` may build
    another aiohttp app."""
    port = free_port()
    state = Scripted(f"http://127.0.0.1:{port}/v1", key=key)
    with serve_in_thread(app_factory(state), port):
        yield state

"""Replay helpers shared by the provider tests: a scripted aiohttp server on 127.0.0.1 and the
recorded SSE fixtures. A plain module (not conftest) so `from replay import ...` is unambiguous."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

STREAMS = Path(__file__).parent / "fixtures" / "streams"


@dataclass
class Reply:
    """One scripted answer. ``chunks`` streams the body piece by piece (chunked encoding);
    ``cut`` drops the connection after the chunks; ``stall`` waits that long after them;
    ``delay`` waits before sending anything; ``gap`` waits between chunks."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: list[bytes] | None = None
    content_type: str = "application/json"
    cut: bool = False
    stall: float = 0.0
    delay: float = 0.0  # wait before answering at all (no status line yet)
    gap: float = 0.0  # wait between chunks (a slow but steady stream)


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ReplayServer:
    """Script replies with :meth:`reply`, :meth:`json` or :meth:`sse`; read ``requests`` after."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._script: deque[Reply] = deque()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def api_base(self) -> str:
        return self.base_url + "/v1"

    def reply(self, reply: Reply) -> ReplayServer:
        self._script.append(reply)
        return self

    def json(self, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> ReplayServer:
        return self.reply(Reply(status, headers or {}, json.dumps(obj).encode()))

    def error(self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None) -> ReplayServer:
        body = {"type": "error", "error": {"type": error_type, "message": message}}
        return self.json(body, status, {"request-id": f"req_{status}", **(headers or {})})

    def sse(self, body: bytes, chunks: Iterable[bytes] | None = None, *, cut: bool = False, stall: float = 0.0,
            gap: float = 0.0, headers: dict[str, str] | None = None) -> ReplayServer:
        pieces = list(chunks) if chunks is not None else [body]
        return self.reply(Reply(200, {"request-id": "req_stream", **(headers or {})}, b"", pieces,
                                "text/event-stream", cut, stall, gap=gap))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Received(request.method, request.path, dict(request.query), dict(request.headers),
                                      await request.read()))
        if not self._script:
            return web.json_response({"type": "error", "error": {"type": "api_error", "message": "nothing scripted"}},
                                     status=500, headers={"x-should-retry": "false"})
        reply = self._script.popleft()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.chunks is None:
            return web.Response(status=reply.status, body=reply.body, headers=reply.headers,
                                content_type=reply.content_type)
        response = web.StreamResponse(status=reply.status, headers=reply.headers)
        response.content_type = reply.content_type
        response.enable_chunked_encoding()
        await response.prepare(request)
        for i, chunk in enumerate(reply.chunks):
            if i and reply.gap:
                await asyncio.sleep(reply.gap)
            await response.write(chunk)
        if reply.stall:
            await asyncio.sleep(reply.stall)
        if reply.cut:
            assert request.transport is not None
            request.transport.abort()  # no terminating zero-length chunk: the client sees a cut
            return response
        await response.write_eof()
        return response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def fixture_stream(name: str) -> bytes:
    """A recorded stream, made well-formed: the recordings lack the final blank line."""
    raw = (STREAMS / name).read_bytes()
    return raw.rstrip(b"\n") + b"\n\n"


def fixture_names() -> list[str]:
    return sorted(p.name for p in STREAMS.glob("*.txt"))

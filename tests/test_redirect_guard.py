"""Redirects cannot lead past the private-host guard.

A "visitor" server on 127.0.0.2 (made to count as public by wrapping the guard's one decision
point, ``playground.netguard.is_blocked``) answers every request with a redirect into an
"internal" server on 127.0.0.1. With the guard on, the internal server must never see a request:
not from the model list, not from a chat (streamed or not), not from a media fetch.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from samples import image_bytes

from playground import netguard
from playground.errors import BlockedAddressError, MediaError, RedirectError
from playground.media import fetch_url
from playground.providers import Anthropic, OpenaiAPI
from playground.transport.client import open_session

PUBLIC_LOOPBACK = "127.0.0.2"  # stands in for a visitor's public server
KEY = "sk-visitor-0123456789"
PNG = image_bytes("PNG")


@dataclass
class Server:
    base_url: str = ""
    seen: list[str] = field(default_factory=list)
    runner: web.AppRunner | None = None


async def _serve(host: str, handler: Any) -> Server:
    server = Server()

    async def record(request: web.Request) -> web.StreamResponse:
        server.seen.append(f"{request.method} {request.path_qs}")
        await request.read()
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    server.runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
    await server.runner.setup()
    await web.TCPSite(server.runner, host, 0).start()
    server.base_url = f"http://{host}:{server.runner.addresses[0][1]}"
    return server


@pytest.fixture
def guard_counts_visitor_as_public(monkeypatch: pytest.MonkeyPatch) -> None:
    original = netguard.is_blocked
    monkeypatch.setattr(netguard, "is_blocked", lambda address: str(address) != PUBLIC_LOOPBACK and original(address))


@pytest.fixture
async def internal() -> AsyncIterator[Server]:
    async def answer(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/models"):
            return web.json_response({"data": [{"id": "internal-secret-model"}], "has_more": False})
        if request.path.endswith(".png"):
            return web.Response(body=PNG, content_type="image/png")
        return web.json_response({"id": "x", "choices": []})

    server = await _serve("127.0.0.1", answer)
    yield server
    assert server.runner is not None
    await server.runner.cleanup()


def _target(internal: Server, host: str) -> str:
    port = internal.base_url.rsplit(":", 1)[1]
    return f"http://{host}:{port}"


@pytest.fixture(params=[(302, "127.0.0.1"), (307, "127.0.0.1"), (302, "[::ffff:127.0.0.1]"),
                        (307, "[::ffff:127.0.0.1]")], ids=lambda p: f"{p[0]}-{p[1]}")
async def visitor(request: pytest.FixtureRequest, internal: Server,
                  guard_counts_visitor_as_public: None) -> AsyncIterator[tuple[Server, int, str]]:
    status, host = request.param
    target = _target(internal, host)

    async def redirect(req: web.Request) -> web.StreamResponse:
        if req.path == "/public.png":
            return web.Response(body=PNG, content_type="image/png")
        if req.path == "/hop":  # a redirect that stays on the public server is fine for media
            raise web.HTTPFound("/public.png")
        return web.Response(status=status, headers={"Location": target + req.path_qs})

    server = await _serve(PUBLIC_LOOPBACK, redirect)
    yield server, status, target
    assert server.runner is not None
    await server.runner.cleanup()


async def test_the_model_list_does_not_follow_a_redirect(visitor: tuple[Server, int, str], internal: Server) -> None:
    server, status, target = visitor
    for provider in (Anthropic, OpenaiAPI):
        with pytest.raises(RedirectError) as info:
            await provider.get_models_async(api_key=KEY, api_base=server.base_url + "/v1", refresh=True,
                                            allow_private_hosts=False)
        assert f"HTTP {status}" in str(info.value) and target in str(info.value)
    assert len(server.seen) == 2  # asked once each: a redirect is not retried
    assert internal.seen == []


@pytest.mark.parametrize("stream", [True, False])
async def test_a_chat_does_not_follow_a_redirect(visitor: tuple[Server, int, str], internal: Server,
                                                 stream: bool) -> None:
    server, status, target = visitor
    for provider, model in ((OpenaiAPI, "m"), (Anthropic, "claude-sonnet-4-5")):
        with pytest.raises(RedirectError, match=re.escape(f"HTTP {status}, a redirect to {target}")):
            async for _ in provider.create_async_generator(model, [{"role": "user", "content": "hi"}], stream=stream,
                                                           api_key=KEY, api_base=server.base_url + "/v1",
                                                           allow_private_hosts=False):
                pass
    assert internal.seen == []


async def test_a_media_fetch_checks_every_hop(visitor: tuple[Server, int, str], internal: Server) -> None:
    server, _, _ = visitor
    async with open_session(30, allow_private=False) as guarded, aiohttp.ClientSession() as plain:
        for session in (None, guarded, plain):
            with pytest.raises(BlockedAddressError, match="private or loopback"):
                await fetch_url(server.base_url + "/img.png", session=session, allow_private=False)
            # a redirect to a public address is still followed
            assert await fetch_url(server.base_url + "/hop", session=session, allow_private=False) == PNG
    assert internal.seen == []


async def test_media_without_the_guard_still_follows_redirects(visitor: tuple[Server, int, str],
                                                               internal: Server) -> None:
    server, _, _ = visitor
    if "::ffff" in visitor[2]:
        pytest.skip("one target is enough here")
    assert await fetch_url(server.base_url + "/img.png") == PNG
    assert internal.seen == ["GET /img.png"]


async def test_too_many_redirects_is_a_named_error(guard_counts_visitor_as_public: None) -> None:
    async def loop(req: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/again")

    server = await _serve(PUBLIC_LOOPBACK, loop)
    try:
        with pytest.raises(MediaError, match="redirected more than 5 times"):
            await fetch_url(server.base_url + "/start", allow_private=False)
        assert len(server.seen) == 6
    finally:
        assert server.runner is not None
        await server.runner.cleanup()


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "[::1]"])
async def test_a_guarded_session_refuses_ip_literals_at_connect_time(internal: Server, host: str) -> None:
    # No up-front check here: the session itself must refuse, since aiohttp never asks the
    # resolver about an IP literal.
    async with open_session(5, allow_private=False) as session:
        with pytest.raises(BlockedAddressError):
            async with session.get(_target(internal, host) + "/v1/models"):
                pass
    await asyncio.sleep(0)
    assert internal.seen == []

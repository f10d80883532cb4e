"""aiohttp session handling: timeouts, proxy, and turning transport failures into our errors.

``timeout`` bounds connecting and each wait for the next chunk (aiohttp's ``sock_read``), never
the total, so a long stream that keeps sending is never cut off.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from .. import netguard
from ..errors import APIConnectionError, APITimeoutError, RedirectError
from ..secrets import scrub

# What aiohttp (and the socket layer under it) raises when a connection fails or stalls.
TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)


def make_timeout(timeout: float | None) -> aiohttp.ClientTimeout:
    """Bound connect and between-chunk waits by ``timeout`` seconds; no total limit."""
    if timeout is None or timeout <= 0:
        return aiohttp.ClientTimeout(total=None)
    return aiohttp.ClientTimeout(total=None, connect=timeout, sock_connect=timeout, sock_read=timeout)


_PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")


def _proxy_env() -> bool:
    return any(name in os.environ for name in _PROXY_VARIABLES)


def open_session(timeout: float | None, *, allow_private: bool = True) -> aiohttp.ClientSession:
    """A session for one run. HTTP(S)_PROXY from the environment applies when no ``proxy`` is given;
    ``trust_env`` is only switched on when such a variable exists, because it costs a thread-pool
    round trip (proxy and .netrc lookup) before every request — time to first token.

    With ``allow_private=False`` every address a host name resolves to is checked at connect
    time, so a name that resolves differently after the up-front check (DNS rebinding) is still
    refused; an IP-literal host (which aiohttp never hands to the resolver) is checked as each
    request starts."""
    if allow_private:
        return aiohttp.ClientSession(timeout=make_timeout(timeout), trust_env=_proxy_env(), auto_decompress=True)
    guard = aiohttp.TraceConfig()
    guard.on_request_start.append(_refuse_private_literal)
    return aiohttp.ClientSession(timeout=make_timeout(timeout), trust_env=_proxy_env(), auto_decompress=True,
                                 connector=aiohttp.TCPConnector(resolver=GuardedResolver()), trace_configs=[guard])


async def _refuse_private_literal(session: Any, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
    host = params.url.host or ""
    if netguard.literal_address(host) is not None:
        netguard.check_address(host, host)


class GuardedResolver(AbstractResolver):
    """The default resolver, refusing (BlockedAddressError) names that resolve to non-public addresses."""

    def __init__(self) -> None:
        self._inner = aiohttp.DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[Any]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            netguard.check_address(host, result["host"])
        return results

    async def close(self) -> None:
        await self._inner.close()


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    proxy: str | None = None,
    params: Mapping[str, Any] | None = None,
    secret: str | None = None,
) -> aiohttp.ClientResponse:
    """Send one request and return the response once its headers arrived.

    Redirects are never followed (the APIs do not redirect, and a redirect could point past the
    private-host guard): a 3xx raises RedirectError naming its Location. Raises APITimeoutError /
    APIConnectionError (never a raw aiohttp error); the message names the URL but never the key.
    """
    try:
        response = await session.request(method, url, headers=dict(headers), data=body, proxy=proxy, params=params,
                                         allow_redirects=False)
    except TimeoutError as exc:
        raise APITimeoutError(f"timed out waiting for {url} ({type(exc).__name__})") from None
    except TRANSPORT_ERRORS as exc:
        raise APIConnectionError(scrub(f"could not reach {url}: {exc}", secret)) from None
    if 300 <= response.status < 400:
        response.release()
        raise RedirectError(url, response.status, scrub(response.headers.get("Location") or "", secret) or None)
    return response


MAX_REDIRECTS = 5


async def get_following_redirects(session: aiohttp.ClientSession, url: str, *, allow_private: bool,
                                  max_redirects: int = MAX_REDIRECTS) -> aiohttp.ClientResponse:
    """GET ``url``, following at most ``max_redirects`` redirects by hand so that every hop is checked
    against the private-host guard first (``allow_private=False``), whatever ``session`` does.
    Raises BlockedAddressError, RedirectError (too many hops, or no Location), aiohttp errors."""
    first = url
    for _ in range(max_redirects + 1):
        await netguard.check_base_url_async(url, allow_private)
        response = await session.get(url, allow_redirects=False)
        if not 300 <= response.status < 400:
            return response
        status, location = response.status, response.headers.get("Location")
        response.release()
        if not location:
            raise RedirectError(url, status, None)
        url = str(URL(url).join(URL(location)))
    raise RedirectError(first, status, url, f"{first} redirected more than {max_redirects} times; not followed.")


async def read_body(response: aiohttp.ClientResponse, limit: int = 64 * 1024 * 1024) -> bytes:
    """The whole (non-streamed) body, at most ``limit`` bytes; transport failures become APIConnectionError."""
    parts: list[bytes] = []
    size = 0
    try:
        while chunk := await response.content.readany():
            parts.append(chunk)
            size += len(chunk)
            if size > limit:
                raise APIConnectionError(f"the response body is larger than {limit} bytes")
    except TimeoutError:
        raise APITimeoutError("timed out reading the response body") from None
    except TRANSPORT_ERRORS as exc:
        raise APIConnectionError(f"the connection was cut while reading the response ({type(exc).__name__})") from None
    return b"".join(parts)

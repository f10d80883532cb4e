"""One connection for the non-Messages API calls (Message Batches, Files): the provider's key and
base URL resolution, the private-host guard, one session, its retry policy and typed errors.

    async with connect(Anthropic, api_key=..., api_base=...) as conn:
        batch = await conn.json("GET", "/messages/batches/msgbatch_...")

One call on a connection of its own is :func:`call_json`; a listing fetched page after page, :func:`pages`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..errors import APIConnectionError, ParameterError
from ..netguard import check_base_url_async
from ..transport.client import open_session

if TYPE_CHECKING:
    from .base import ProviderBase

DEFAULT_TIMEOUT = 60.0
MAX_PAGES = 100_000  # a misbehaving server cannot make a listing page forever


@dataclass
class Connection:
    """An open session to ``base`` for ``provider``; the key is never shown in a repr."""

    provider: type[ProviderBase]
    session: Any = field(repr=False)
    base: str
    key: str | None = field(repr=False)
    headers: Mapping[str, str] | None = None
    proxy: str | None = None
    max_retries: int | None = None

    def request_headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The provider's usual headers (key, version), the caller's, then ``extra``."""
        return {**self.provider.get_headers(False, self.key, self.headers), **(extra or {})}

    async def json(self, method: str, path: str, body: Any = None, *,
                   params: Mapping[str, Any] | None = None) -> Any:
        """``method {base}{path}`` with a JSON body; the decoded JSON answer (must be an object)."""
        url = self.base + path
        answer = await self.provider._request_json(self.session, method, url, self.request_headers(), body,
                                                   params=params, proxy=self.proxy, secret=self.key,
                                                   max_retries=self.max_retries)
        if not isinstance(answer, dict):
            raise APIConnectionError(f"{url} did not answer with a JSON object")
        return answer

    async def form(self, path: str, data: bytes, content_type: str) -> dict[str, Any]:
        """``POST {base}{path}`` with an encoded (e.g. multipart) body; the JSON object answered."""
        url = self.base + path
        raw = await self.raw("POST", url, data, headers={"Content-Type": content_type})
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise APIConnectionError(f"{url} did not answer with a JSON object")
        return answer

    async def raw(self, method: str, url: str, data: bytes | None = None, *,
                  headers: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None) -> bytes:
        """``method url`` (a full URL on this backend) with ``data`` as is; the raw answer."""
        return await self.provider._request_bytes(self.session, method, url, self.request_headers(headers), data,
                                                  params=params, proxy=self.proxy, secret=self.key,
                                                  max_retries=self.max_retries)


@asynccontextmanager
async def connect(provider: type[ProviderBase], *, api_key: str | None = None, api_base: str | None = None,
                  headers: Mapping[str, str] | None = None, timeout: float | None = DEFAULT_TIMEOUT,
                  proxy: str | None = None, max_retries: int | None = None,
                  allow_private_hosts: bool = True, **unknown: Any) -> AsyncIterator[Connection]:
    """Resolve key and base like a normal call, check the base against the private-host guard,
    and open one session for the calls made inside the block."""
    if unknown:
        raise ParameterError(next(iter(unknown)), "is not a keyword of this call; the connection keywords are "
                             "api_key, api_base, headers, timeout, proxy, max_retries, allow_private_hosts.")
    key = provider._resolve_key(api_key)
    base = provider._resolve_base(api_base)
    await check_base_url_async(base, allow_private_hosts)
    async with open_session(timeout, allow_private=allow_private_hosts) as session:
        yield Connection(provider, session, base, key, headers, proxy, max_retries)


def path_id(value: Any, name: str, example: str) -> str:
    """``value`` as a URL path segment; ParameterError naming ``name`` when it is empty or not a string."""
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(name, f"give the id as a non-empty string, like {example!r}, got {value!r:.60}.")
    return quote(value, safe="")


async def call_json(provider: type[ProviderBase], method: str, path: str, connection: Mapping[str, Any],
                    body: Any = None) -> dict[str, Any]:
    """One JSON call on a connection of its own (``connection``: the :func:`connect` keywords)."""
    async with connect(provider, **connection) as conn:
        return await conn.json(method, path, body)


def page_size(limit: Any) -> int:
    """A listing's ``limit`` (1-1000), else a ParameterError naming it."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ParameterError("limit", f"must be a whole number from 1 to 1000, got {limit!r}.")
    return limit


async def pages(provider: type[ProviderBase], path: str, params: Any, connection: Mapping[str, Any],
                next_params: Callable[[dict[str, Any]], Any]) -> AsyncIterator[dict[str, Any]]:
    """Every item of the listing at ``path``, page after page on one connection: ``params`` for the
    first page, then ``next_params(page)`` (None: that was the last page), until a page is empty."""
    async with connect(provider, **connection) as conn:
        for _ in range(MAX_PAGES):
            page = await conn.json("GET", path, params=params)
            for item in page.get("data") or ():
                yield item
            params = next_params(page) if page.get("data") else None
            if params is None:
                return

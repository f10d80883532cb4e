"""What every provider shares: the run loop (request record, retries, response headers, stream or
JSON decoding), HTTP error mapping, model listing with a per-process cache, and sync helpers.

A provider subclass supplies the wire specifics through a handful of class-level hooks
(``get_headers``, ``_build_body``, ``_stream_mapper``, ``_json_parts``, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from .. import catalog
from ..errors import (
    APIConnectionError,
    APIStatusError,
    ParameterError,
    StreamError,
    StreamTimeoutError,
    error_class_for_status,
)
from ..netguard import check_base_url_async
from ..responses import HeadersResponse, Part, RawEvent, RequestRecord, RetryNotice
from ..secrets import redact_headers, redactor
from ..transport.client import TRANSPORT_ERRORS, open_session, read_body, send
from ..transport.retry import RetryPolicy, server_delay
from ..transport.sse import SSEDecoder
from .masking import PartMasker

MAX_REQUEST_BYTES = 32 * 1000 * 1000  # the API's request size limit (413 above it)
# At most this much is decoded before the parts it holds are handed on. Reads start small so the
# first token is not held back behind a buffered backlog, then grow for throughput.
FIRST_READ_SIZE = 2 * 1024
READ_SIZE = 64 * 1024

# Error types the API uses per status, for bodies that do not say (e.g. Cloudflare's 413 page).
_DEFAULT_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
                        403: "permission_error", 404: "not_found_error", 413: "request_too_large",
                        429: "rate_limit_error", 500: "api_error", 504: "timeout_error", 529: "overloaded_error"}


class Mapper(Protocol):
    """Turns ``(event_name, data)`` pairs into parts; see anthropic_events.StreamMapper."""

    done: bool

    def feed(self, name: str, data: str) -> tuple[Part, ...]: ...

    def feed_many(self, events: list[tuple[str, str]]) -> list[Part]: ...

    def finish(self) -> tuple[Part, ...] | None: ...


def http_error(status: int, headers: Mapping[str, str], raw: bytes, secret: str | None = None) -> APIStatusError:
    """The typed error for an error response. Every key the server knows and ``secret`` are masked
    in the message and in the body kept for the Errors view (an upstream may echo a key)."""
    error_type, message, body = None, "", None
    text = raw.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        body = text
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            error_type, message = error.get("type") or error.get("code"), error.get("message") or ""
        elif isinstance(error, str):
            message = error
        message = message or body.get("message") or ""
    if not message:
        snippet = " ".join(text.split())[:200]
        message = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    request_id = headers.get("request-id") or headers.get("x-request-id")
    if not request_id and isinstance(body, dict) and isinstance(body.get("request_id"), str):
        request_id = body["request_id"]
    mask = redactor(secret)
    return error_class_for_status(status)(
        status, mask.text(str(error_type or _DEFAULT_ERROR_TYPES.get(status, "api_error"))), mask.text(str(message)),
        request_id and mask.text(request_id), mask.value(body), server_delay(headers),
    )


def checked_base(url: str) -> str:
    """``url`` without a trailing slash, or ParameterError when it is not an http(s) URL."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or not urlsplit(url).hostname:
        raise ParameterError("api_base", f"expected an http(s) URL including /v1, like https://api.anthropic.com/v1, "
                             f"got {url!r}.")
    return url.rstrip("/")


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def run_sync(coro: Any, what: str) -> Any:
    """Run ``coro`` to completion from synchronous code; inside a running loop, say what to use instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise RuntimeError(f"{what}() cannot run inside a running event loop (it would block it); "
                       f"use `await {what}_async(...)` instead.")


class ProviderBase:
    """Class-level provider: every method is a classmethod, as in the seed's public surface."""

    label: ClassVar[str] = ""
    url: ClassVar[str] = ""
    login_url: ClassVar[str] = ""
    working: ClassVar[bool] = True
    api_base: ClassVar[str] = ""
    needs_auth: ClassVar[bool] = False
    supports_stream: ClassVar[bool] = True
    supports_system_message: ClassVar[bool] = True
    supports_message_history: ClassVar[bool] = True
    default_model: ClassVar[str] = ""
    models: ClassVar[list[str]] = []
    models_aliases: ClassVar[dict[str, str]] = {}
    # Tests (and impatient apps) may swap in a policy with a tiny base_delay.
    retry_policy: ClassVar[RetryPolicy] = RetryPolicy()

    endpoint: ClassVar[str] = ""
    _models_cache: ClassVar[dict[tuple[str, str, str], list[str]]] = {}

    # -- hooks a provider fills in ---------------------------------------------------------------
    @classmethod
    def get_headers(cls, stream: bool, api_key: str | None = None, headers: Mapping[str, str] | None = None) -> dict[str, str]:
        raise NotImplementedError

    @classmethod
    def _resolve_key(cls, api_key: str | None, api_base: str | None = None) -> str | None:
        """The key to send to ``api_base`` (the caller's, else the provider's fallback), or None."""
        raise NotImplementedError

    @classmethod
    def _resolve_base(cls, api_base: str | None) -> str:
        raise NotImplementedError

    @classmethod
    def _stream_mapper(cls, request_id: str | None) -> Mapper:
        raise NotImplementedError

    @classmethod
    def _json_parts(cls, body: Any, request_id: str | None) -> list[Part]:
        raise NotImplementedError

    @classmethod
    def _model_ids(cls, page: Any) -> list[str]:
        return [m["id"] for m in page.get("data") or () if isinstance(m, dict) and "id" in m]

    # -- shared surface -----------------------------------------------------------------------------
    @classmethod
    def get_model(cls, model: str | None) -> str:
        """An alias to its full id; an empty model to ``default_model``; other ids unchanged."""
        if not model:
            if not cls.default_model:
                raise ParameterError("model", f"{cls.label or cls.__name__} has no default model; give a model id.")
            return cls.default_model
        return cls.models_aliases.get(model, model)

    @classmethod
    async def get_models_async(cls, api_key: str | None = None, api_base: str | None = None, *,
                               timeout: float = 30, proxy: str | None = None, refresh: bool = False,
                               allow_private_hosts: bool = True, **kwargs: Any) -> list[str]:
        """Model ids from ``GET {api_base}/models``, following ``has_more``/``last_id`` pages.
        Cached per (base URL, key) for the process; ``refresh=True`` asks again."""
        key = cls._resolve_key(api_key, api_base)
        base = cls._resolve_base(api_base)
        await check_base_url_async(base, allow_private_hosts)
        cache_key = (cls.__name__, base, hashlib.sha256((key or "").encode()).hexdigest())
        if not refresh and cache_key in cls._models_cache:
            return list(cls._models_cache[cache_key])
        ids: list[str] = []
        params: dict[str, Any] = {"limit": 1000}
        async with open_session(timeout, allow_private=allow_private_hosts) as session:
            for _ in range(100):  # a misbehaving server cannot page forever
                page = await cls._request_json(session, "GET", f"{base}/models", cls.get_headers(False, key),
                                               None, params=params, proxy=proxy, secret=key)
                if not isinstance(page, dict):
                    raise APIConnectionError(f"{base}/models did not answer with a JSON object")
                ids += cls._model_ids(page)
                if not page.get("has_more") or not page.get("last_id"):
                    break
                params = {"limit": 1000, "after_id": page["last_id"]}
        cls._models_cache[cache_key] = ids
        return list(ids)

    @classmethod
    def get_models(cls, api_key: str | None = None, **kwargs: Any) -> list[str]:
        """Synchronous :meth:`get_models_async`; inside a running event loop it raises RuntimeError
        telling you to await the async twin (blocking the loop would hang it)."""
        return run_sync(cls.get_models_async(api_key=api_key, **kwargs), "get_models")

    @classmethod
    async def _request_json(cls, session: Any, method: str, url: str, headers: Mapping[str, str],
                            body: Any, *, params: Mapping[str, Any] | None = None, proxy: str | None = None,
                            secret: str | None = None, max_retries: int | None = None) -> Any:
        """One JSON request/response with the retry policy (quietly: no parts), typed errors."""
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        raw = await cls._request_bytes(session, method, url, headers, data, params=params, proxy=proxy,
                                       secret=secret, max_retries=max_retries)
        try:
            return json.loads(raw)
        except ValueError:
            raise APIConnectionError(f"{url} answered with malformed JSON") from None

    @classmethod
    async def _request_bytes(cls, session: Any, method: str, url: str, headers: Mapping[str, str],
                             data: bytes | None, *, params: Mapping[str, Any] | None = None,
                             proxy: str | None = None, secret: str | None = None,
                             max_retries: int | None = None) -> bytes:
        """One request with the retry policy; the raw body of the success, else the typed error."""
        policy = cls.retry_policy if max_retries is None else replace(cls.retry_policy, max_retries=max_retries)
        attempt = 0
        while True:
            delay = None
            try:
                response = await send(session, method, url, headers, data, proxy=proxy, params=params, secret=secret)
            except APIConnectionError:
                if attempt >= policy.max_retries:
                    raise
                delay = policy.delay(attempt)
            else:
                async with response:
                    raw = await read_body(response)
                    if response.status < 400:
                        return raw
                    lowered = _lower(response.headers)
                    if attempt >= policy.max_retries or not policy.should_retry(response.status, lowered):
                        raise http_error(response.status, lowered, raw, secret)
                    delay = policy.delay(attempt, lowered)
            attempt += 1
            await asyncio.sleep(delay)

    @classmethod
    async def _run(cls, *, url: str, headers: dict[str, str], body: dict[str, Any], stream: bool,
                   session: Any, proxy: str | None, policy: RetryPolicy, secret: str | None,
                   raw_events: int = 0) -> AsyncIterator[Sequence[Part]]:
        """Send ``body`` with retries and yield every part of the run (see playground.responses),
        in batches: one batch per network chunk, so the per-part cost is a list step, not an
        async-generator hop (the caller flattens). The first ``raw_events`` wire events of each
        attempt also come as :class:`RawEvent` parts. Every key the server knows and ``secret``
        are masked in every part (see providers.masking)."""
        batches = cls._attempts(url=url, headers=headers, body=body, stream=stream, session=session, proxy=proxy,
                                policy=policy, secret=secret, raw_events=raw_events)
        mask = redactor(secret)
        async with contextlib.aclosing(batches):  # a consumer that stops early closes the response too
            if not mask:  # no key anywhere (the offline emulator): nothing to mask, no cost
                async for batch in batches:
                    yield batch
                return
            masker = PartMasker(mask)
            try:
                async for batch in batches:
                    if shown := masker.parts(batch):
                        yield shown
            except Exception as exc:
                if held := masker.finish():  # text held back before the error still belongs to the output
                    yield held
                if isinstance(exc, StreamError | APIConnectionError):
                    exc.args = tuple(mask.text(str(a)) for a in exc.args)
                raise
            if held := masker.finish():
                yield held

    @classmethod
    async def _attempts(cls, *, url: str, headers: dict[str, str], body: dict[str, Any], stream: bool,
                        session: Any, proxy: str | None, policy: RetryPolicy, secret: str | None,
                        raw_events: int) -> AsyncIterator[Sequence[Part]]:
        # The attempts of :meth:`_run`, unmasked.
        body_text = json.dumps(body, ensure_ascii=False)
        data = body_text.encode()
        if len(data) > MAX_REQUEST_BYTES:
            raise ParameterError("messages", f"the request is {len(data) / 1e6:.1f} MB; the API accepts at most "
                                 "32 MB. Send fewer or smaller attachments.")
        shown = redact_headers(headers)
        attempt = 0
        while True:
            yield (RequestRecord("POST", url, shown, body, body_text, attempt),)
            notice: RetryNotice | None = None
            try:
                response = await send(session, "POST", url, headers, data, proxy=proxy, secret=secret)
            except APIConnectionError as exc:
                if attempt >= policy.max_retries:
                    raise
                notice = RetryNotice(attempt + 1, policy.max_retries, policy.delay(attempt), f"connection error: {exc}")
            else:
                async with response:
                    lowered = _lower(response.headers)
                    yield (HeadersResponse(response.status, lowered),)
                    request_id = lowered.get("request-id") or lowered.get("x-request-id")
                    if response.status >= 400:
                        error = http_error(response.status, lowered, await read_body(response), secret)
                        if attempt >= policy.max_retries or not policy.should_retry(response.status, lowered):
                            raise error
                        reason = f"{error.status} {error.error_type}: {error.message}"
                        notice = RetryNotice(attempt + 1, policy.max_retries, policy.delay(attempt, lowered), reason)
                    elif stream and not lowered.get("content-type", "").startswith("application/json"):
                        async for batch in cls._stream(response, request_id, raw_events):
                            yield batch
                        return
                    else:
                        raw = await read_body(response)
                        if raw_events > 0:
                            yield (RawEvent("body", raw.decode("utf-8", "replace")),)
                        yield cls._parse_json(raw, request_id)
                        return
            yield (notice,)
            attempt += 1
            await asyncio.sleep(notice.delay)

    @classmethod
    async def _stream(cls, response: Any, request_id: str | None, raw_events: int = 0) -> AsyncIterator[list[Part]]:
        # The hot path: whole chunks in, one batch of parts out per chunk, no per-line awaits.
        # Raw events go out before the parts they make, so an ``error`` event is seen even though
        # mapping it raises.
        raw_left = raw_events
        mapper = cls._stream_mapper(request_id)
        feed = SSEDecoder().feed
        feed_many = mapper.feed_many
        read = response.content.read
        size = FIRST_READ_SIZE
        try:
            while not mapper.done:
                chunk = await read(size)
                if not chunk:
                    break
                if size < READ_SIZE:
                    size *= 2
                events = feed(chunk)
                # A read of data already buffered does not suspend: without this, a fast stream would hold
                # the event loop until it ends (no other request, no streamed update of this one, goes out).
                await asyncio.sleep(0)
                if raw_left > 0 and events:
                    shown = events[:raw_left]
                    raw_left -= len(shown)
                    yield [RawEvent(name, data) for name, data in shown]
                batch = feed_many(events)
                if batch:
                    yield batch
        except TimeoutError:
            raise StreamTimeoutError("no data arrived within the timeout", "timeout", request_id) from None
        except TRANSPORT_ERRORS as exc:
            raise StreamError(f"the connection was cut ({type(exc).__name__})", "connection_error", request_id) from None
        final = mapper.finish()
        if final:
            yield list(final)

    @classmethod
    def _parse_json(cls, raw: bytes, request_id: str | None) -> list[Part]:
        try:
            body = json.loads(raw)
        except ValueError:
            raise StreamError("the response body is not valid JSON", "malformed_response", request_id) from None
        if not isinstance(body, dict):
            raise StreamError("the response body is not a JSON object", "malformed_response", request_id)
        return cls._json_parts(body, request_id)


def media_items(media: Sequence[Any] | None) -> list[tuple[Any, str]]:
    """``media`` as ``(data, filename)`` pairs (a bare item gets an empty name)."""
    items = []
    for item in media or ():
        if isinstance(item, (tuple, list)) and len(item) == 2:
            items.append((item[0], str(item[1] or "")))
        else:
            items.append((item, ""))
    return items


def catalog_models() -> list[str]:
    """The real API's current model ids, newest first (the emulator's own model excluded)."""
    return [m.id for m in catalog.MODELS]

"""Message Batches from the provider: many Messages requests in one call, at half price.

    batch = await Anthropic.create_batch([("q1", {"model": "haiku", "messages": [...]}), ...])
    while (batch := await Anthropic.get_batch(batch.id)).processing_status != "ended":
        await asyncio.sleep(30)
    async for outcome in Anthropic.batch_results(batch.id):
        if isinstance(outcome, BatchSucceeded):
            text = "".join(p for p in outcome.parts if isinstance(p, str))

Each request is the keyword arguments of ``create_async_generator`` (model, messages, system,
max_tokens, temperature, tools, media, thinking, extra_data, ...). Its ``params`` are built by
running that very method dry: everything up to sending (validation, media loading, the body
builder) runs unchanged, and the body it would send is taken instead of sending it. So a batch
request and a normal call can never disagree about a body.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ..errors import APIStatusError, ParameterError, PlaygroundError, StreamError
from ..responses import Part
from .api_calls import DEFAULT_TIMEOUT, Connection, call_json, connect, page_size, pages, path_id

MAX_REQUESTS = 100_000
_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# create_async_generator arguments that belong to the one batch call, not to a request inside it.
CALL_LEVEL = frozenset({"api_key", "api_base", "proxy", "timeout", "headers", "max_retries",
                        "allow_private_hosts", "raw_events", "impersonate", "stream"})
_STATUS_OF_TYPE = {"invalid_request_error": 400, "authentication_error": 401, "billing_error": 402,
                   "permission_error": 403, "not_found_error": 404, "request_too_large": 413,
                   "rate_limit_error": 429, "api_error": 500, "timeout_error": 504, "overloaded_error": 529}


class BatchNotEndedError(PlaygroundError):
    """Results were asked for before the batch ended (it has no ``results_url`` yet)."""


@dataclass(frozen=True, slots=True)
class RequestCounts:
    """How many requests are in each state; all but ``processing`` stay 0 until the batch ends."""

    processing: int = 0
    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0

    @property
    def total(self) -> int:
        return self.processing + self.succeeded + self.errored + self.canceled + self.expired


@dataclass(frozen=True, slots=True)
class BatchInfo:
    """A Message Batch as the API reports it (times are RFC 3339 strings)."""

    id: str
    processing_status: str  # "in_progress" | "canceling" | "ended"
    request_counts: RequestCounts
    created_at: str
    expires_at: str
    ended_at: str | None = None
    cancel_initiated_at: str | None = None
    archived_at: str | None = None
    results_url: str | None = None

    @property
    def ended(self) -> bool:
        return self.processing_status == "ended"

    def describe(self) -> str:
        """Status and request counts, in words (the Sweep and Evaluate progress lines, the CLI's)."""
        c = self.request_counts
        return (f"{self.processing_status}: {c.processing} processing, {c.succeeded} succeeded, "
                f"{c.errored} errored, {c.canceled} canceled, {c.expired} expired")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BatchInfo:
        counts = data.get("request_counts") or {}
        return cls(str(data.get("id", "")), str(data.get("processing_status", "")),
                   RequestCounts(**{k: int(counts.get(k) or 0) for k in RequestCounts.__slots__}),
                   str(data.get("created_at", "")), str(data.get("expires_at", "")), data.get("ended_at"),
                   data.get("cancel_initiated_at"), data.get("archived_at"), data.get("results_url"))


@dataclass(frozen=True, slots=True)
class BatchSucceeded:
    """A request that produced a Message: ``parts`` are what a non-streamed call yields for it
    (content, :class:`FinishReason`, :class:`Usage`); ``message`` is the raw body."""

    custom_id: str
    parts: list[Part]
    message: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BatchErrored:
    """A request the API refused or failed: ``error`` is the typed error a normal call raises."""

    custom_id: str
    error: APIStatusError


@dataclass(frozen=True, slots=True)
class BatchCanceled:
    """A request not processed because the batch was canceled first."""

    custom_id: str


@dataclass(frozen=True, slots=True)
class BatchExpired:
    """A request not processed before the batch's 24 h expiry."""

    custom_id: str


BatchResult = BatchSucceeded | BatchErrored | BatchCanceled | BatchExpired


@dataclass(frozen=True, slots=True)
class _BuiltBody:
    body: dict[str, Any]


def _error(body: Any) -> APIStatusError:
    from .base import http_error

    inner = body.get("error") if isinstance(body, dict) else None
    error_type = inner.get("type") if isinstance(inner, dict) else None
    raw = json.dumps(body).encode()
    return http_error(_STATUS_OF_TYPE.get(str(error_type), 500), {}, raw)


def outcome(line: Mapping[str, Any], parts_of: Any) -> BatchResult:
    """One results line ``{custom_id, result}`` as its typed outcome (``parts_of`` decodes a Message)."""
    custom_id = str(line.get("custom_id", ""))
    result = line.get("result") if isinstance(line.get("result"), dict) else {}
    kind = result.get("type")
    if kind == "succeeded" and isinstance(result.get("message"), dict):
        return BatchSucceeded(custom_id, parts_of(result["message"], None), result["message"])
    if kind == "errored":
        return BatchErrored(custom_id, _error(result.get("error")))
    if kind == "canceled":
        return BatchCanceled(custom_id)
    if kind == "expired":
        return BatchExpired(custom_id)
    raise StreamError(f"result for {custom_id!r} has an unknown type {kind!r}", "malformed_response")


def _checked_requests(requests: Any) -> list[tuple[str, Mapping[str, Any]]]:
    if isinstance(requests, Mapping):
        requests = list(requests.items())
    if isinstance(requests, (str, bytes)) or not isinstance(requests, Sequence):
        raise ParameterError("requests", "give a list of (custom_id, request) pairs.")
    if not 1 <= len(requests) <= MAX_REQUESTS:
        raise ParameterError("requests", f"a batch holds 1 to {MAX_REQUESTS} requests, got {len(requests)}.")
    seen: set[str] = set()
    out = []
    for i, pair in enumerate(requests):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[1], Mapping)):
            raise ParameterError(f"requests[{i}]", "expected a (custom_id, {create_async_generator keywords}) pair.")
        custom_id, request = pair
        if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
            raise ParameterError(f"requests[{i}].custom_id", "must be 1 to 64 letters, digits, '_' or '-', "
                                 f"got {custom_id!r:.80}.")
        if custom_id in seen:
            raise ParameterError(f"requests[{i}].custom_id", f"{custom_id!r} is used twice; custom ids must be unique.")
        seen.add(custom_id)
        for required in ("model", "messages"):
            if required not in request:
                raise ParameterError(f"requests[{i}].{required}", "is required (as for create_async_generator).")
        misplaced = sorted(k for k in request if k in CALL_LEVEL and not (k == "stream" and request[k] is False))
        if misplaced:
            raise ParameterError(f"requests[{i}].{misplaced[0]}", "applies to the whole batch call (pass it to "
                                 "create_batch), not to one request; batch requests never stream.")
        out.append((custom_id, request))
    return out


class BatchCalls:
    """The Message Batches calls, mixed into :class:`~playground.providers.Anthropic`.

    Every call takes the connection keywords ``api_key``, ``api_base``, ``headers``, ``timeout``,
    ``proxy``, ``max_retries`` and ``allow_private_hosts``, meaning what they mean for a normal call.
    """

    _dry_classes: ClassVar[dict[type, type]] = {}

    @classmethod
    def _dry_run_class(cls) -> Any:
        """``cls`` with its send step replaced by one that hands back the body it would send."""
        dry = BatchCalls._dry_classes.get(cls)
        if dry is None:
            async def _run(_: Any, *, body: dict[str, Any], **__: Any) -> AsyncIterator[tuple[_BuiltBody]]:
                yield (_BuiltBody(body),)

            dry = type(f"{cls.__name__}BodyOnly", (cls,), {"_run": classmethod(_run)})
            BatchCalls._dry_classes[cls] = dry
        return dry

    @classmethod
    async def batch_params(cls, request: Mapping[str, Any], *, api_key: str | None = None,
                           api_base: str | None = None, allow_private_hosts: bool = True,
                           timeout: float | None = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """The Messages body a call with ``request`` (create_async_generator keywords) would send,
        built by that same method, without sending anything."""
        dry = cls._dry_run_class()
        body = None
        async for part in dry.create_async_generator(**request, stream=False, api_key=api_key, api_base=api_base,
                                                     allow_private_hosts=allow_private_hosts, timeout=timeout):
            if isinstance(part, _BuiltBody):
                body = part.body
        assert body is not None  # the dry _run always yields it
        return body

    @classmethod
    async def create_batch(cls, requests: Sequence[tuple[str, Mapping[str, Any]]] | Mapping[str, Mapping[str, Any]],
                           **connection: Any) -> BatchInfo:
        """Create a Message Batch from ``(custom_id, request)`` pairs (or a ``{custom_id: request}``
        mapping). Every request is checked and built before anything is sent; a ParameterError
        names the request (``requests[3].temperature``)."""
        pairs = _checked_requests(requests)
        async with connect(cls, **connection) as conn:  # type: ignore[arg-type]
            items = []
            for i, (custom_id, request) in enumerate(pairs):
                try:
                    params = await cls.batch_params(request, api_key=conn.key, api_base=conn.base,
                                                    allow_private_hosts=connection.get("allow_private_hosts", True))
                except ParameterError as exc:
                    reason = str(exc).removeprefix(f"{exc.param}: ")
                    raise ParameterError(f"requests[{i}].{exc.param}", f"(custom_id {custom_id!r}) {reason}") from None
                items.append({"custom_id": custom_id, "params": params})
            return BatchInfo.from_json(await conn.json("POST", "/messages/batches", {"requests": items}))

    @classmethod
    async def get_batch(cls, batch_id: str, **connection: Any) -> BatchInfo:
        """The batch's current state (poll this until ``processing_status == "ended"``)."""
        return BatchInfo.from_json(await call_json(cls, "GET", _batch_path(batch_id), connection))

    @classmethod
    async def list_batches(cls, *, limit: int = 20, **connection: Any) -> AsyncIterator[BatchInfo]:
        """Every batch, most recently created first, fetched ``limit`` (1-1000) per page."""
        def after(page: dict[str, Any]) -> dict[str, Any] | None:
            return {"limit": limit, "after_id": page["last_id"]} if page.get("has_more") and page.get("last_id") else None

        async for item in pages(cls, "/messages/batches", {"limit": page_size(limit)}, connection, after):
            yield BatchInfo.from_json(item)

    @classmethod
    async def cancel_batch(cls, batch_id: str, **connection: Any) -> BatchInfo:
        """Ask the batch to stop (it goes ``canceling``, then ``ended``; finished requests keep their results)."""
        return BatchInfo.from_json(await call_json(cls, "POST", _batch_path(batch_id) + "/cancel", connection))

    @classmethod
    async def delete_batch(cls, batch_id: str, **connection: Any) -> str:
        """Delete an ended batch (cancel a running one first); returns its id."""
        return str((await call_json(cls, "DELETE", _batch_path(batch_id), connection)).get("id", batch_id))

    @classmethod
    async def batch_results(cls, batch_id: str, **connection: Any) -> AsyncIterator[BatchResult]:
        """Each request's outcome, in the order the API lists them (match them by ``custom_id``).
        Raises :class:`BatchNotEndedError` while the batch is still processing."""
        async with connect(cls, **connection) as conn:  # type: ignore[arg-type]
            batch = BatchInfo.from_json(await conn.json("GET", _batch_path(batch_id)))
            if not batch.results_url:
                raise BatchNotEndedError(f"batch {batch.id} has no results yet: it is {batch.processing_status}; "
                                         "results are ready once it has ended.")
            raw = await conn.raw("GET", _results_url(conn, batch), headers={"Accept": "application/binary"})
            for number, text in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
                if not text.strip():
                    continue
                try:
                    line = json.loads(text)
                except ValueError:
                    raise StreamError(f"line {number} of the results of {batch.id} is not JSON",
                                      "malformed_response") from None
                yield outcome(line if isinstance(line, dict) else {}, cls._json_parts)


def _results_url(conn: Connection, batch: BatchInfo) -> str:
    """``results_url`` when it is on the configured backend; otherwise the documented path under
    the base URL, so the key never goes to another host."""
    url = batch.results_url or ""
    given, base = urlsplit(url), urlsplit(conn.base)
    if (given.scheme, given.netloc) == (base.scheme, base.netloc):
        return url
    return f"{conn.base}{_batch_path(batch.id)}/results"


def _batch_path(batch_id: Any) -> str:
    return f"/messages/batches/{path_id(batch_id, 'batch_id', 'msgbatch_...')}"

"""``/v1/messages/batches``: Message Batches over :mod:`.batch_store`, processed in the background.

The envelope (``requests``, each ``custom_id`` and ``params`` object) is checked when the batch is
created, with a synchronous 400; what is inside ``params`` is checked only when the request is
processed, and a bad one ends as an ``errored`` result (reference batches-files-structured §1.8).
Each request goes through :func:`.server.plan_message`, the same validation, sampler and prompt
cache as ``POST /v1/messages``, with the headers of the create call (``x-emulator-seed`` and the
other per-request controls apply). Requests are processed one after another, each taking the
server's ``batch_delay_ms`` (or the create call's ``x-emulator-batch-delay-ms``), so a client can
watch ``in_progress`` and cancel part-way.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .apierror import ApiError, invalid
from .batch_store import Batch, BatchStore
from .compose import new_id
from .listing import id_page
from .server import (
    Call,
    Settings,
    _header_number,
    base_headers,
    check_auth,
    check_version,
    make_call,
    plan_message,
    read_json,
)

log = logging.getLogger("playground.emulator")

MAX_BATCH_REQUESTS = 100_000
_CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_TASKS = web.AppKey("batch_tasks", set)


def _call(request: web.Request) -> Call:
    call = make_call(request)
    check_auth(request, call.settings)
    check_version(request)
    return call


def _origin(request: web.Request) -> str:
    return str(request.url.origin())


def check_envelope(body: dict) -> list[tuple[str, Any]]:
    """The ``(custom_id, params)`` pairs of a create body; a 400 naming the field when malformed."""
    for key in body:
        if key != "requests":
            raise invalid(f"{key}: Extra inputs are not permitted", key)
    requests = body.get("requests")
    if requests is None:
        raise invalid("requests: Field required", "requests")
    if not isinstance(requests, list):
        raise invalid("requests: Input should be a valid list", "requests")
    if not 1 <= len(requests) <= MAX_BATCH_REQUESTS:
        raise invalid(f"requests: a batch holds 1 to {MAX_BATCH_REQUESTS} requests, got {len(requests)}", "requests")
    pairs: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(requests):
        path = f"requests.{i}"
        if not isinstance(item, dict):
            raise invalid(f"{path}: Input should be a valid dictionary", path)
        for key in item:
            if key not in ("custom_id", "params"):
                raise invalid(f"{path}.{key}: Extra inputs are not permitted", f"{path}.{key}")
        custom_id = item.get("custom_id")
        if custom_id is None:
            raise invalid(f"{path}.custom_id: Field required", f"{path}.custom_id")
        if not isinstance(custom_id, str) or not _CUSTOM_ID.match(custom_id):
            raise invalid(f"{path}.custom_id: must be 1 to 64 characters of letters, digits, '_' or '-' "
                          f"(^[a-zA-Z0-9_-]{{1,64}}$), got {custom_id!r:.80}", f"{path}.custom_id")
        if custom_id in seen:
            raise invalid(f"{path}.custom_id: {custom_id!r} is used twice; custom_id must be unique within a batch",
                          f"{path}.custom_id")
        seen.add(custom_id)
        params = item.get("params")
        if params is None:
            raise invalid(f"{path}.params: Field required", f"{path}.params")
        if not isinstance(params, dict):
            raise invalid(f"{path}.params: Input should be a valid dictionary", f"{path}.params")
        pairs.append((custom_id, params))
    return pairs


def process_one(create: web.Request, settings: Settings, params: dict) -> dict[str, Any]:
    """One request's ``result``: ``succeeded`` with the Message ``/v1/messages`` would have
    answered, or ``errored`` with the full error body it would have refused with."""
    call = Call(create, settings, new_id("req_"), body=params)
    try:
        if params.get("stream"):
            raise invalid("stream: batch requests cannot stream; leave stream unset or false", "stream")
        message = plan_message(call, check_version(create)).message()
    except ApiError as exc:
        return {"type": "errored", "error": exc.body(call.request_id)}
    except Exception:  # noqa: BLE001 - one broken request must not stop the batch
        log.exception("emulator: batch request failed")
        return {"type": "errored", "error": ApiError(500, "Internal server error").body(call.request_id)}
    message["usage"]["service_tier"] = "batch"
    return {"type": "succeeded", "message": message}


async def run_batch(batch: Batch, create: web.Request, settings: Settings, delay_s: float) -> None:
    """Process ``batch`` request by request: canceled once a cancel was asked (the request in
    flight still finishes), expired past ``expires_at``, else through :func:`process_one`."""
    store = settings.batches
    try:
        for custom_id, params in batch.requests:
            if batch.status == "canceling":
                batch.record(custom_id, {"type": "canceled"})
            elif store.clock() >= batch.expires_at:
                batch.record(custom_id, {"type": "expired"})
            else:
                await asyncio.sleep(delay_s)  # also yields to the loop between requests
                batch.record(custom_id, process_one(create, settings, params))
    finally:
        store.finish(batch)


async def create(request: web.Request) -> web.Response:
    """``POST /v1/messages/batches``."""
    call = _call(request)
    await read_json(call)
    pairs = check_envelope(call.body)
    settings = call.settings
    delay_s = _header_number(request, "x-emulator-batch-delay-ms", settings.batch_delay_ms) / 1000
    batch = settings.batches.create(pairs)
    tasks = request.app[_TASKS]
    task = asyncio.get_running_loop().create_task(run_batch(batch, request, settings, delay_s))
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return web.json_response(batch.to_json(_origin(request)), headers=base_headers(call))


def _batch_answer(request: web.Request, action: Callable[[BatchStore, str], Batch]) -> web.Response:
    """``action`` on the batch the path names; the batch as JSON."""
    call = _call(request)
    batch = action(call.settings.batches, request.match_info["batch_id"])
    return web.json_response(batch.to_json(_origin(request)), headers=base_headers(call))


async def retrieve(request: web.Request) -> web.Response:
    """``GET /v1/messages/batches/{id}``."""
    return _batch_answer(request, BatchStore.get)


async def list_batches(request: web.Request) -> web.Response:
    """``GET /v1/messages/batches``: most recently created first, ``limit``/``after_id``/``before_id``."""
    call = _call(request)
    origin = _origin(request)
    page = id_page(call.settings.batches.newest_first(), dict(request.query), lambda b: b.id,
                   lambda b: b.to_json(origin))
    return web.json_response(page, headers=base_headers(call))


async def cancel(request: web.Request) -> web.Response:
    """``POST /v1/messages/batches/{id}/cancel``."""
    return _batch_answer(request, BatchStore.cancel)


async def delete(request: web.Request) -> web.Response:
    """``DELETE /v1/messages/batches/{id}``."""
    call = _call(request)
    batch_id = request.match_info["batch_id"]
    call.settings.batches.delete(batch_id)
    return web.json_response({"id": batch_id, "type": "message_batch_deleted"}, headers=base_headers(call))


async def results(request: web.Request) -> web.StreamResponse:
    """``GET /v1/messages/batches/{id}/results``: JSONL, one LF-terminated line per request."""
    call = _call(request)
    lines = call.settings.batches.results(request.match_info["batch_id"])
    resp = web.StreamResponse(headers={**base_headers(call), "content-type": "application/x-jsonl"})
    await resp.prepare(request)
    for line in lines:
        await resp.write(line)
    await resp.write_eof()
    return resp


async def _stop_tasks(app: web.Application) -> None:
    for task in list(app[_TASKS]):
        task.cancel()
    await asyncio.gather(*app[_TASKS], return_exceptions=True)


def add_routes(app: web.Application) -> None:
    """Register the Message Batches routes on ``app`` (and stop running batches on shutdown)."""
    app[_TASKS] = set()
    app.on_cleanup.append(_stop_tasks)
    app.router.add_post("/v1/messages/batches", create)
    app.router.add_get("/v1/messages/batches", list_batches)
    app.router.add_get("/v1/messages/batches/{batch_id}", retrieve)
    app.router.add_post("/v1/messages/batches/{batch_id}/cancel", cancel)
    app.router.add_delete("/v1/messages/batches/{batch_id}", delete)
    app.router.add_get("/v1/messages/batches/{batch_id}/results", results)

"""aiohttp routes speaking the Messages API (and, in :mod:`.openai_compat`, Chat Completions).

Every response carries ``request-id``, ``anthropic-organization-id`` and the
``anthropic-ratelimit-*`` headers; every refusal is the real error shape
``{"type": "error", "error": {"type", "message"}, "request_id"}``.

Per-request controls (headers, all optional; documented in the README):
``x-emulator-fault``, ``x-emulator-seed``, ``x-emulator-no-eos``, ``x-emulator-redact-thinking``,
``x-emulator-latency-ms``, ``x-emulator-tokens-per-second``, ``x-emulator-pause-ms``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math
import random
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import faults as faults_mod
from . import models as models_mod
from .apierror import ApiError, invalid
from .batch_store import BatchStore
from .caching import CacheUsage, PromptCache
from .compose import Reply, compose, new_id
from .extras import check_thread
from .faults import FailOnce, Fault
from .file_store import FileStore
from .ratelimit import RateLimits
from .request import MessagesRequest, parse_messages
from .sampler import NGramModel, default_model
from .sse import Pacing, anthropic_events, event, message_json, write_events
from .threads import ThreadStore

log = logging.getLogger("playground.emulator")

MAX_REQUEST_BYTES = 32 * 1024 * 1024
ORGANIZATION_ID = "00000000-0000-4000-8000-00000000e0e0"
_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OLDEST_VERSION = "2023-06-01"


@dataclass
class Settings:
    """Server-wide options (the CLI flags) and the state every request shares: rate-limit
    counters, the fail-once memory, the sampler and the prompt cache. ``api_key=None`` accepts
    any non-empty key; ``redact_thinking`` is the default of ``x-emulator-redact-thinking``."""

    api_key: str | None = None
    latency_ms: float = 0.0
    tokens_per_second: float = 0.0
    seed: int | None = None
    fault: Fault | None = None
    slow_pause_ms: float = 1000.0
    redact_thinking: bool = False
    max_request_bytes: int = MAX_REQUEST_BYTES
    # Seconds a connection may sit without sending a complete request (idle, or headers trickling in),
    # and seconds a declared body may take to arrive; 0 = no limit.
    idle_timeout: float = 60.0
    body_timeout: float = 30.0
    ratelimits: RateLimits = field(default_factory=RateLimits)
    fail_once: FailOnce = field(default_factory=FailOnce)
    model: NGramModel = field(default_factory=default_model)
    prompt_cache: PromptCache = field(default_factory=PromptCache)
    files: FileStore = field(default_factory=FileStore)
    batches: BatchStore = field(default_factory=BatchStore)
    batch_delay_ms: float = 0.0  # how long each Message Batch request takes to process
    threads: ThreadStore = field(default_factory=ThreadStore)

    def __repr__(self) -> str:  # never show the key
        return (f"Settings(api_key={'set' if self.api_key else None}, latency_ms={self.latency_ms}, "
                f"tokens_per_second={self.tokens_per_second}, seed={self.seed}, fault={self.fault}, "
                f"redact_thinking={self.redact_thinking})")


SETTINGS_KEY = web.AppKey("settings", Settings)
REQUEST_ID = web.RequestKey("request_id", str)


# ----------------------------------------------------------------------------- request plumbing

@dataclass
class Call:
    """What every handler needs about the incoming request, after the common checks."""

    request: web.Request
    settings: Settings
    request_id: str
    raw: bytes = b""
    body: Any = None
    fault: Fault | None = None


def _header_number(request: web.Request, name: str, default: float) -> float:
    value = request.headers.get(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise invalid(f"{name}: expected a number, got {value!r}", name) from None
    if not math.isfinite(number) or number < 0:
        raise invalid(f"{name}: must be a finite number >= 0", name)
    return number


def check_auth(request: web.Request, settings: Settings) -> None:
    """``x-api-key`` or ``Authorization: Bearer``; 401 in the real shape when missing or wrong."""
    key = request.headers.get("x-api-key")
    if not key:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else ""
    if not key:
        raise ApiError(401, "x-api-key header is required")
    if settings.api_key is not None and not hmac.compare_digest(key.encode(), settings.api_key.encode()):
        raise ApiError(401, "invalid x-api-key")


def check_version(request: web.Request) -> str:
    """``anthropic-version`` must be present and a date no older than 2023-06-01; returns it."""
    version = request.headers.get("anthropic-version")
    if not version:
        raise invalid("anthropic-version: header is required")
    if not _VERSION_RE.match(version) or version < OLDEST_VERSION:
        raise invalid(f"anthropic-version: {version!r} is not a valid version; use {OLDEST_VERSION} "
                      "or a later date (YYYY-MM-DD)")
    return version


async def read_json(call: Call) -> None:
    """Read the body (413 past the size limit) and parse it as a JSON object."""
    request, limit = call.request, call.settings.max_request_bytes
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    try:
        async with asyncio.timeout(call.settings.body_timeout or None):
            call.raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large(limit) from None
    except TimeoutError:  # a client that declared a body and stopped sending it
        raise ApiError(408, f"The request body did not arrive within {call.settings.body_timeout:g} seconds.",
                       "timeout_error", headers={"connection": "close"}) from None
    try:
        call.body = json.loads(call.raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise invalid(f"There was an error parsing the body of your request: invalid JSON ({exc})") from None
    except RecursionError:
        raise invalid("There was an error parsing the body of your request: JSON nested too deeply") from None
    if not isinstance(call.body, dict):
        raise invalid("The request body must be a JSON object")


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"Request exceeds the maximum allowed number of bytes. The maximum request size is "
                         f"{limit // (1024 * 1024)} MB.", "request_too_large")


def resolve_fault(call: Call) -> None:
    """The fault for this request: the header wins over the server-wide one; ``fail_once``
    variants only strike the first time; status faults raise right here."""
    header = call.request.headers.get("x-emulator-fault")
    try:
        fault = faults_mod.parse(header) if header else call.settings.fault
    except ValueError as exc:
        raise invalid(f"x-emulator-fault: {exc}", "x-emulator-fault") from None
    if fault is not None and fault.once and not call.settings.fail_once.first_time(call.request.path, call.raw, fault):
        fault = None
    call.fault = fault
    if fault is not None and fault.name in faults_mod.STATUS_FAULTS:
        raise faults_mod.status_error(fault.name)


def make_rng(call: Call, body_seed: int | None = None) -> random.Random:
    """Seeded from ``--seed`` and/or ``x-emulator-seed`` (or ``body_seed``, e.g. OpenAI's
    ``seed``) plus the request, so different prompts still differ and streaming equals
    non-streaming; fresh entropy when no seed is set."""
    header = call.request.headers.get("x-emulator-seed")
    if header is not None:
        try:
            int(header)
        except ValueError:
            raise invalid(f"x-emulator-seed: expected an integer, got {header!r}", "x-emulator-seed") from None
    elif body_seed is not None:
        header = str(body_seed)
    if header is None and call.settings.seed is None:
        return random.Random()
    body = {k: v for k, v in call.body.items() if k not in ("stream", "stream_options")}
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{call.settings.seed}|{header}|{canon}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def no_eos(request: web.Request) -> bool:
    """``x-emulator-no-eos: 1`` suppresses the natural end, so a reply runs to ``max_tokens``."""
    return request.headers.get("x-emulator-no-eos", "").strip().lower() in ("1", "true", "yes", "on")


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def redact_thinking(call: Call) -> bool:
    """``x-emulator-redact-thinking: 1`` (or ``0``) overrides ``--redact-thinking``: thinking comes
    back as a ``redacted_thinking`` block."""
    name = "x-emulator-redact-thinking"
    value = call.request.headers.get(name)
    if value is None:
        return call.settings.redact_thinking
    flag = value.strip().lower()
    if flag not in _TRUE + _FALSE:
        raise invalid(f"{name}: expected 1 or 0, got {value!r}", name)
    return flag in _TRUE


def pacing_for(call: Call) -> Pacing:
    """Pacing from the settings, overridden per request by headers; the ``slow`` fault adds pauses."""
    request, s = call.request, call.settings
    latency = _header_number(request, "x-emulator-latency-ms", s.latency_ms) / 1000
    tps = _header_number(request, "x-emulator-tokens-per-second", s.tokens_per_second)
    pause = 0.0
    if call.fault is not None and call.fault.name == "slow":
        pause = _header_number(request, "x-emulator-pause-ms", s.slow_pause_ms) / 1000
    return Pacing(latency, 1 / tps if tps > 0 else 0.0, pause)


def base_headers(call: Call, input_tokens: int = 0, output_tokens: int = 0) -> dict[str, str]:
    headers = {"request-id": call.request_id, "anthropic-organization-id": ORGANIZATION_ID}
    headers.update(call.settings.ratelimits.headers(input_tokens, output_tokens))
    return headers


async def non_stream_fault(call: Call, payload: bytes, pacing: Pacing, output_tokens: int) -> bytes | None:
    """Apply pacing and faults to a non-streaming answer. Returns the bytes to send, or None
    when the connection was cut."""
    wait = pacing.latency_s + pacing.pause_s + output_tokens * pacing.interval_s
    if wait > 0:
        await asyncio.sleep(wait)
    name = call.fault.name if call.fault else None
    if name == "mid_stream_error":
        raise ApiError(500, "Internal server error (injected by the emulator: mid_stream_error on a "
                            "non-streaming request)")
    if name == "disconnect":
        if call.request.transport is not None:
            call.request.transport.abort()
        return None
    return payload


# ----------------------------------------------------------------------------- handlers

@dataclass
class Planned:
    """A validated Messages request and its sampled reply, before any wire format."""

    req: MessagesRequest
    reply: Reply
    cache: CacheUsage
    message_id: str

    def message(self) -> dict:
        """The non-streaming ``Message`` body."""
        return message_json(self.reply, message_id=self.message_id, model=self.req.model,
                            input_tokens=self.req.input_tokens, cache=self.cache, extras=self.req.extras)


def plan_message(call: Call, api_version: str) -> Planned:
    """Validate ``call.body`` as a Messages body under ``api_version`` and sample its reply: the one path
    that both ``/v1/messages`` and each Message Batch request take. File sources are inlined first, so a
    ``file_id`` counts exactly like the same bytes sent inline; a ``thread`` is expanded to its turns."""
    call.body = call.settings.files.inline_sources(call.body)
    threaded = call.body.get("thread") is not None
    if threaded:
        check_thread(call.body["thread"])
        body = call.settings.threads.expand(call.body)
    else:
        body = call.body
    req = parse_messages(body, api_version=api_version)
    rng = make_rng(call)
    reply = compose(req, call.settings.model, rng, endless=no_eos(call.request),
                    redact_thinking=redact_thinking(call))
    cache = call.settings.prompt_cache.apply(req.cache, req.info.min_cache_tokens)
    message_id = new_id("msg_")
    if threaded:
        call.settings.threads.record(call.body, body, message_id, [b.to_json() for b in reply.blocks])
    return Planned(req, reply, cache, message_id)


async def messages(request: web.Request) -> web.StreamResponse:
    """``POST /v1/messages``."""
    call = make_call(request)
    check_auth(request, call.settings)
    version = check_version(request)
    await read_json(call)
    resolve_fault(call)
    planned = plan_message(call, version)
    req, reply, cache, message_id = planned.req, planned.reply, planned.cache, planned.message_id
    pacing = pacing_for(call)
    # Cache reads do not count toward the input-tokens rate limit (reference §5.2).
    headers = base_headers(call, req.input_tokens - cache.cache_read_input_tokens, req.max_tokens)
    if not req.stream:
        payload = json.dumps(planned.message(), ensure_ascii=False).encode()
        return await send_json(call, payload, headers, pacing, reply.output_tokens)
    resp = web.StreamResponse(status=200, headers={
        **headers, "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"})
    await resp.prepare(request)
    error = event("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"},
                            "request_id": call.request_id})
    frames = anthropic_events(reply, message_id=message_id, model=req.model, input_tokens=req.input_tokens,
                              cache=cache, extras=req.extras)
    await write_events(request, resp, frames, pacing=pacing, fault=call.fault.name if call.fault else None,
                       error_frame=error)
    if not (call.fault and call.fault.name == "disconnect"):
        await resp.write_eof()
    return resp


async def send_json(call: Call, payload: bytes, headers: dict[str, str], pacing: Pacing,
                    output_tokens: int) -> web.StreamResponse:
    """Send a non-streaming JSON answer, with pacing and the faults that apply to it."""
    data = await non_stream_fault(call, payload, pacing, output_tokens)
    if data is None:
        return web.Response(status=200)  # never sent: the connection is gone
    if call.fault and call.fault.name == "truncate":
        # Announce the whole body, send half of it, then close: the client sees a short read.
        resp = web.StreamResponse(status=200, headers={**headers, "content-type": "application/json"})
        resp.content_length = len(data)
        await resp.prepare(call.request)
        await resp.write(data[: len(data) // 2])
        if call.request.transport is not None:
            call.request.transport.close()
        return resp
    return web.Response(body=data, status=200, headers={**headers, "content-type": "application/json"})


async def count_tokens(request: web.Request) -> web.Response:
    """``POST /v1/messages/count_tokens``: the total input ``/v1/messages`` reports, i.e.
    ``input_tokens + cache_creation_input_tokens + cache_read_input_tokens`` (never touches
    the prompt cache)."""
    call = make_call(request)
    check_auth(request, call.settings)
    version = check_version(request)
    await read_json(call)
    resolve_fault(call)
    req = parse_messages(call.settings.files.inline_sources(call.body), count_only=True, api_version=version)
    return web.json_response({"input_tokens": req.input_tokens}, headers=base_headers(call))


async def list_models(request: web.Request) -> web.Response:
    """``GET /v1/models``. ``anthropic-version`` is optional here so OpenAI clients can list too."""
    call = make_call(request)
    check_auth(request, call.settings)
    if request.headers.get("anthropic-version"):
        check_version(request)
    return web.json_response(models_mod.list_page(dict(request.query)), headers=base_headers(call))


async def get_model(request: web.Request) -> web.Response:
    """``GET /v1/models/{model_id}`` (ids or aliases)."""
    call = make_call(request)
    check_auth(request, call.settings)
    if request.headers.get("anthropic-version"):
        check_version(request)
    return web.json_response(models_mod.get_model(request.match_info["model_id"]), headers=base_headers(call))


async def index(request: web.Request) -> web.Response:
    """``GET /``: a small health/description document (no auth)."""
    call = make_call(request)
    model = call.settings.model
    return web.json_response({
        "name": "playground emulator", "models": [m.id for m in models_mod.all_models()],
        "sampler": {"vocabulary": model.vocabulary_size, "training_tokens": model.training_tokens},
        "faults": faults_mod.all_names(),
    }, headers=base_headers(call))


def make_call(request: web.Request) -> Call:
    """The :class:`Call` for ``request`` (its settings and request id)."""
    return Call(request, request.app[SETTINGS_KEY], request[REQUEST_ID])


# ----------------------------------------------------------------------------- app

def _is_openai(request: web.Request) -> bool:
    return request.path.startswith("/v1/chat/")


@web.middleware
async def errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Give every request an id; turn refusals and surprises into the real error shape."""
    request[REQUEST_ID] = new_id("req_")
    try:
        return await handler(request)
    except ApiError as exc:
        return _error_response(request, exc)
    except web.HTTPNotFound:
        return _error_response(request, ApiError(404, f"Not found: {request.method} {request.path}"))
    except web.HTTPMethodNotAllowed:
        return _error_response(request, ApiError(405, f"Method {request.method} not allowed for {request.path}",
                                                 "invalid_request_error"))
    except ConnectionResetError:
        # The client went away mid-stream (Stop, a closed tab): normal, so one line and no traceback.
        # aiohttp finishes a response on a closed transport quietly; re-raised, it logs a 500 traceback.
        log.info("emulator: client closed the connection during %s %s (%s)", request.method, request.path,
                 request[REQUEST_ID])
        return web.Response(status=499, reason="Client Closed Request")
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - a bug must still answer in the API's shape
        log.exception("emulator: unhandled error on %s %s", request.method, request.path)
        return _error_response(request, ApiError(500, "Internal server error"))


def _error_response(request: web.Request, exc: ApiError) -> web.Response:
    rid = request[REQUEST_ID]
    headers = {"request-id": rid, "anthropic-organization-id": ORGANIZATION_ID,
               **request.app[SETTINGS_KEY].ratelimits.headers(), **exc.headers}
    if _is_openai(request):
        body = {"error": {"message": exc.message, "type": exc.error_type, "param": exc.param, "code": None}}
    else:
        body = exc.body(rid)
    return web.json_response(body, status=exc.status, headers=headers)


def build_app(settings: Settings) -> web.Application:
    """The aiohttp application for ``settings``."""
    from . import batches, files, openai_compat  # local: keeps this module readable top to bottom

    app = web.Application(middlewares=[errors_middleware], client_max_size=settings.max_request_bytes)
    app[SETTINGS_KEY] = settings
    app.router.add_get("/", index)
    app.router.add_post("/v1/messages", messages)
    app.router.add_post("/v1/messages/count_tokens", count_tokens)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model_id}", get_model)
    app.router.add_post("/v1/chat/completions", openai_compat.chat_completions)
    batches.add_routes(app)
    files.add_routes(app)
    return app

"""One model call for an eval, through the Playground's provider (same retries and rate-limit
handling), collected into the run record, priced at list price, and cached.

``build_request`` fixes everything that is sent, so the cache key covers the full request;
``complete`` sends it (or answers from the cache).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .. import catalog
from ..backends import Target, get_backend
from ..secrets import scrub
from .cache import ResponseCache, request_key
from .spec import provider_kwargs

SEED_HEADER = "x-emulator-seed"


@dataclass(frozen=True)
class Request:
    """A complete request: model, messages and the provider's keyword arguments (JSON-able)."""

    model: str
    messages: list[dict[str, Any]]
    kwargs: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The request as stored with an attempt and hashed for the cache."""
        return {"model": self.model, "messages": self.messages, "kwargs": self.kwargs}


@dataclass
class Reply:
    """What one call produced. ``error`` set means no usable output (and no score)."""

    text: str = ""
    stop_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float | None = None
    cost_usd: float | None = None
    error: str | None = None
    cached: bool = False
    retries: int = 0
    tool_input: dict[str, Any] | None = None  # the first tool call's arguments (the grader's answer)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def attempt_seed(seed: int, repeat: int) -> int:
    """The offline backend's seed for one repeat: different per repeat, the same on every run."""
    return seed * 1_000_003 + repeat


def build_request(settings: Mapping[str, Any], prompt: str, system: str | None, backend: str,
                  seed: int | None) -> Request:
    """The request for one attempt. ``seed`` goes to the offline backend only (as ``x-emulator-seed``)."""
    kwargs = provider_kwargs({**settings, "backend": backend, "system": system or ""})
    if get_backend(backend).emulator_switches and seed is not None:
        kwargs["headers"] = {**(kwargs.get("headers") or {}), SEED_HEADER: str(seed)}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    return Request(str(settings.get("model") or ""), [{"role": "user", "content": prompt}], kwargs)


async def send(target: Target, request: Request) -> Reply:
    """Send ``request`` and collect the reply (the only place that reads the provider's parts)."""
    from ..turn import TurnAccumulator

    acc = TurnAccumulator()
    start = time.perf_counter()
    try:
        gen = target.provider.create_async_generator(
            request.model, request.messages, api_key=target.api_key, api_base=target.api_base,
            **request.kwargs, **target.guard_kwargs())
        async for part in gen:
            acc.add(part)
    except Exception as exc:  # noqa: BLE001 - an errored attempt is counted apart, never scored
        return Reply(error=scrub(f"{type(exc).__name__}: {exc}", target.api_key),
                     latency_ms=(time.perf_counter() - start) * 1000, retries=len(acc.retries))
    latency = (time.perf_counter() - start) * 1000
    usage = acc.usage
    model = request.model or target.provider.get_model("")
    cost = catalog.usage_cost_usd(model, usage) if usage is not None else None
    return Reply(
        text=acc.text, stop_reason=(acc.finish.raw or acc.finish.reason) if acc.finish else None,
        input_tokens=usage.input_tokens if usage else 0, output_tokens=usage.output_tokens if usage else 0,
        latency_ms=latency, cost_usd=cost, retries=len(acc.retries),
        tool_input=dict(acc.tool_calls[0].arguments) if acc.tool_calls else None,
    )


def cache_key(target: Target, request: Request, repeat: int) -> str:
    """The cache key of ``request`` as repeat ``repeat`` on ``target``. The offline backend's address
    changes with every start (a free port), and its replies do not depend on it: left out."""
    base = "" if target.backend.is_offline else (target.api_base or "")
    return request_key(target.kind, base, request.to_json(), repeat)


async def complete(target: Target, request: Request, repeat: int, cache: ResponseCache | None) -> Reply:
    """The reply from the cache, else from the backend (stored in the cache unless it errored)."""
    key = cache_key(target, request, repeat) if cache is not None else ""
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            reply = Reply(**{k: v for k, v in hit.items() if k in Reply.__dataclass_fields__})
            reply.cached = True
            return reply
    reply = await send(target, request)
    if cache is not None and reply.error is None:
        cache.put(key, reply.to_json())
    return reply

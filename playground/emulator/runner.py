"""Start and stop the emulator: inside a running event loop (:class:`Emulator`) or on a
thread of its own (:func:`start_in_thread`, for sync code and apps with their own loop)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web

from . import faults
from .batch_store import EXPIRY_S, RETENTION_S, BatchStore
from .sampler import NGramModel, default_model
from .server import Settings, build_app

NO_IDLE_LIMIT_S = 7 * 24 * 3600.0  # what idle_timeout=0 (no limit) means in practice
SHUTDOWN_GRACE_S = 0.25
_warmed: set[int] = set()
_warm_lock = threading.Lock()


def _warm_once(model: NGramModel) -> None:
    with _warm_lock:
        if id(model) in _warmed:
            return
        _warmed.add(id(model))
    model.warm()


class Emulator:
    """The offline backend as an object.

        async with Emulator(seed=1) as emu:          # port 0: a free port
            client = AsyncAnthropic(base_url=emu.base_url, api_key="any")

    ``api_key=None`` accepts any non-empty key; ``fault`` is a name from
    :mod:`playground.emulator.faults` injected into every request; ``redact_thinking`` answers
    thinking as ``redacted_thinking`` unless a request's ``x-emulator-redact-thinking: 0`` says not to.
    ``batch_delay_ms`` is how long each Message Batch request takes; ``batch_expiry_s`` (24 h) and
    ``batch_retention_s`` (29 days) are when unprocessed requests expire and results are archived.
    """

    def __init__(self, api_key: str | None = None, latency_ms: float = 0, tokens_per_second: float = 0,
                 seed: int | None = None, fault: str | None = None, *, slow_pause_ms: float = 1000.0,
                 max_request_bytes: int | None = None, redact_thinking: bool = False,
                 batch_delay_ms: float = 0.0, batch_expiry_s: float = EXPIRY_S,
                 batch_retention_s: float = RETENTION_S, idle_timeout: float = 60.0,
                 body_timeout: float = 30.0) -> None:
        for name, value in (("idle_timeout", idle_timeout), ("body_timeout", body_timeout)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ValueError(f"{name} must be a number of seconds >= 0 (0 = no limit), got {value!r}")
        self.settings = Settings(api_key=api_key, latency_ms=latency_ms, tokens_per_second=tokens_per_second,
                                 seed=seed, fault=faults.parse(fault), slow_pause_ms=slow_pause_ms,
                                 redact_thinking=redact_thinking, model=default_model(),
                                 batches=BatchStore(expiry_s=batch_expiry_s, retention_s=batch_retention_s),
                                 batch_delay_ms=batch_delay_ms, idle_timeout=idle_timeout, body_timeout=body_timeout)
        if max_request_bytes is not None:
            self.settings.max_request_bytes = max_request_bytes
        self._runner: web.AppRunner | None = None
        self.host = ""
        self.port = 0

    def __repr__(self) -> str:
        where = self.base_url if self._runner else "stopped"
        return f"Emulator({where}, {self.settings!r})"

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` (the host root, what the official SDKs take as ``base_url``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """``base_url + "/v1"`` (what this project's providers take as ``api_base``)."""
        return self.base_url + "/v1"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Emulator:
        """Bind and start serving; ``port=0`` picks a free port (read it from :attr:`port`)."""
        if self._runner is not None:
            raise RuntimeError("this Emulator is already started")
        # A short shutdown grace: stop() must not wait for a paced or "slow" stream to finish.
        # keepalive_timeout also runs from the moment a connection opens, and only a complete request
        # stops it: an idle socket and a request whose headers trickle in are both closed after it.
        runner = web.AppRunner(build_app(self.settings), access_log=None, handle_signals=False,
                               shutdown_timeout=SHUTDOWN_GRACE_S,
                               keepalive_timeout=self.settings.idle_timeout or NO_IDLE_LIMIT_S)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        # Build the sampler's remaining distributions off the loop, after we are listening.
        asyncio.get_running_loop().run_in_executor(None, _warm_once, self.settings.model)
        addresses = runner.addresses  # what was really bound: port 0 becomes a free port
        self.host, self.port = host, addresses[0][1] if addresses else port
        return self

    async def stop(self) -> None:
        """Stop serving and close open connections (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()


class ThreadedEmulator:
    """Handle returned by :func:`start_in_thread`: ``base_url``, ``api_base``, ``stop()``."""

    def __init__(self, emulator: Emulator, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self.emulator = emulator
        self._loop = loop
        self._thread = thread

    @property
    def base_url(self) -> str:
        return self.emulator.base_url

    @property
    def api_base(self) -> str:
        return self.emulator.api_base

    @property
    def port(self) -> int:
        return self.emulator.port

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and its thread (idempotent)."""
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self.emulator.stop(), self._loop)
        future.result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)

    def __enter__(self) -> ThreadedEmulator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_in_thread(api_key: str | None = None, latency_ms: float = 0, tokens_per_second: float = 0,
                    seed: int | None = None, fault: str | None = None, *, host: str = "127.0.0.1", port: int = 0,
                    **options: Any) -> ThreadedEmulator:
    """Run an :class:`Emulator` on a daemon thread with its own event loop; returns once it
    accepts connections (or raises what starting it raised)."""
    emulator = Emulator(api_key, latency_ms, tokens_per_second, seed, fault, **options)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(emulator.start(host, port))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name=f"emulator-{host}:{port}", daemon=True)
    thread.start()
    ready.wait()
    if failure:
        thread.join()
        raise failure[0]
    return ThreadedEmulator(emulator, loop, thread)

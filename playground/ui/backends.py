"""Which backend a run goes to: the in-process offline emulator, the real API, or any
OpenAI-compatible endpoint, and which key goes with it.

Rules that keep keys where they belong:
- the offline emulator gets a fixed dummy key, never a real one (so the provider never falls
  back to ``ANTHROPIC_API_KEY`` and sends it to the emulator);
- the real API gets the session's key, else the server's key from the environment / ``.env``;
- an OpenAI-compatible endpoint gets only the session's key (the server's Anthropic key is never
  forwarded to a host the user typed in).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from playground.errors import MissingAuthError, ParameterError

OFFLINE, ANTHROPIC, OPENAI = "offline", "anthropic", "openai"
LABELS: dict[str, str] = {
    OFFLINE: "Offline emulator (no key needed)",
    ANTHROPIC: "Anthropic API",
    OPENAI: "OpenAI-compatible endpoint",
}
OFFLINE_KEY = "offline-emulator"  # the emulator accepts any key when started without one
ENV_KEY = "ANTHROPIC_API_KEY"


def env_api_key(environ: Mapping[str, str] | None = None, dotenv_path: str | None = ".env") -> str | None:
    """``ANTHROPIC_API_KEY`` from the environment, else from a ``.env`` file (not loaded into os.environ)."""
    from playground.config import load_settings

    return load_settings(environ, dotenv_path or os.devnull).anthropic_api_key


def emulator_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Options for the in-process emulator from ``PLAYGROUND_EMULATOR_*`` variables.

    ``PLAYGROUND_EMULATOR_TPS`` paces the stream (tokens/s, 0 = as fast as possible; default 80,
    so streaming is visible) and ``PLAYGROUND_EMULATOR_LATENCY_MS`` delays the first byte.
    """
    environ = os.environ if environ is None else environ

    def number(name: str, default: float) -> float:
        raw = environ.get(name, "")
        try:
            return float(raw) if raw.strip() else default
        except ValueError:
            raise ParameterError(name, f"expected a number, got {raw!r}.") from None

    options: dict[str, Any] = {
        "tokens_per_second": number("PLAYGROUND_EMULATOR_TPS", 80),
        "latency_ms": number("PLAYGROUND_EMULATOR_LATENCY_MS", 0),
    }
    # A fixed seed makes replies reproducible from the request alone (the load benchmark replays them).
    seed = environ.get("PLAYGROUND_EMULATOR_SEED", "").strip()
    if seed:
        if not seed.lstrip("-").isdigit():
            raise ParameterError("PLAYGROUND_EMULATOR_SEED", f"expected an integer, got {seed!r}.")
        options["seed"] = int(seed)
    return options


def request_timeout(environ: Mapping[str, str] | None = None) -> float | None:
    """``PLAYGROUND_TIMEOUT``: seconds a request may wait for the backend (None: the provider's default)."""
    environ = os.environ if environ is None else environ
    raw = environ.get("PLAYGROUND_TIMEOUT", "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ParameterError("PLAYGROUND_TIMEOUT", f"expected a positive number of seconds, got {raw!r}.")
    return value


def allow_private_hosts(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a typed-in base URL may point at loopback/private addresses.

    ``PLAYGROUND_ALLOW_PRIVATE_HOSTS`` (1/0, true/false) decides; unset, private hosts are allowed
    locally and refused on a Hugging Face Space (``SPACE_ID`` set), where the server's own network
    must not be reachable by visitors.
    """
    environ = os.environ if environ is None else environ
    raw = environ.get("PLAYGROUND_ALLOW_PRIVATE_HOSTS", "").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    return not environ.get("SPACE_ID", "").strip()


@dataclass(frozen=True)
class Target:
    """Where one run goes. The key is left out of the repr."""

    kind: str
    provider: Any
    api_base: str | None
    api_key: str | None = field(default=None, repr=False)
    allow_private: bool = True  # False: the provider refuses private/loopback addresses (hosted Space)
    timeout: float | None = None  # seconds; None = the provider's default

    def guard_kwargs(self) -> dict[str, Any]:
        """Provider kwargs set by the server: ``allow_private_hosts=False`` when the guard is on, and
        ``timeout`` when ``PLAYGROUND_TIMEOUT`` is set (empty otherwise)."""
        out: dict[str, Any] = {} if self.allow_private else {"allow_private_hosts": False}
        if self.timeout is not None:
            out["timeout"] = self.timeout
        return out


def _start_emulator(**options: Any) -> Any:
    from playground.emulator import start_in_thread

    return start_in_thread(**options)


def _refuse_literal_private(base: str) -> None:
    """Refuse an IP-literal or ``localhost`` base URL that is not public, without DNS or connecting."""
    import ipaddress
    from urllib.parse import urlsplit

    from playground.netguard import check_address

    host = urlsplit(base).hostname or ""
    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        check_address(host, "127.0.0.1")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return  # a name: resolved and checked by the provider before it connects
    check_address(host, host)


class Backends:
    """The process-wide backend table: one lazily started offline emulator, shared by all sessions
    (it is stateless per request), and the server's key if there is one."""

    def __init__(
        self,
        env_key: str | None = None,
        offline_options: dict[str, Any] | None = None,
        start_offline: Callable[..., Any] = _start_emulator,
        allow_private_hosts: bool = True,
        timeout: float | None = None,
    ) -> None:
        self._env_key = env_key
        self.allow_private_hosts = allow_private_hosts
        self.timeout = timeout
        self._offline_options = offline_options or {}
        self._start_offline = start_offline
        self._offline: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Backends(server_key={'set' if self._env_key else 'unset'}, offline={self._offline is not None})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Backends:
        return cls(env_api_key(environ), emulator_options(environ),
                   allow_private_hosts=allow_private_hosts(environ), timeout=request_timeout(environ))

    @property
    def has_server_key(self) -> bool:
        return self._env_key is not None

    @property
    def default_kind(self) -> str:
        """The real API when the server has a key, else the offline emulator."""
        return ANTHROPIC if self._env_key else OFFLINE

    def notice(self) -> str:
        """The short banner shown above the chat."""
        if self._env_key:
            return "Using the **Anthropic API** with the server's key. Paste your own key to use it instead."
        return (
            "No `ANTHROPIC_API_KEY` found, so the **offline emulator** is selected: it runs in this process "
            "and needs no key. To use the real API, paste a key below and pick *Anthropic API*, or set "
            "`ANTHROPIC_API_KEY` (environment or `.env`) and restart."
        )

    def offline_api_base(self) -> str:
        """The emulator's ``/v1`` base URL, starting it on first use."""
        with self._lock:
            if self._offline is None:
                self._offline = self._start_offline(**self._offline_options)
            return self._offline.api_base

    def target(self, kind: str, session_key: str | None = None, base_url: str | None = None) -> Target:
        """The provider, base URL and key for a run on backend ``kind``."""
        from playground.providers import Anthropic, OpenaiAPI

        session_key = (session_key or "").strip() or None
        if kind == OFFLINE:
            return Target(OFFLINE, Anthropic, self.offline_api_base(), OFFLINE_KEY, timeout=self.timeout)
        if kind == ANTHROPIC:
            key = session_key or self._env_key
            if not key:
                raise MissingAuthError()
            return Target(ANTHROPIC, Anthropic, None, key, timeout=self.timeout)
        if kind == OPENAI:
            base = (base_url or "").strip().rstrip("/")
            if not base.startswith(("http://", "https://")):
                raise ParameterError("base_url", "give the endpoint's base URL, like http://localhost:8000/v1.")
            if not self.allow_private_hosts:  # literal addresses refused here; names by the provider (async DNS)
                _refuse_literal_private(base)
            return Target(OPENAI, OpenaiAPI, base, session_key, self.allow_private_hosts, self.timeout)
        raise ParameterError("backend", f"unknown backend {kind!r}; pick one of {', '.join(LABELS)}.")

    async def models(self, kind: str, session_key: str | None = None, base_url: str | None = None) -> list[str]:
        """Model ids from the backend's ``/models`` endpoint."""
        target = self.target(kind, session_key, base_url)
        return list(await target.provider.get_models_async(api_key=target.api_key, api_base=target.api_base,
                                                           **target.guard_kwargs()))

    def close(self) -> None:
        """Stop the offline emulator if it was started."""
        with self._lock:
            if self._offline is not None:
                self._offline.stop()
                self._offline = None

"""The one table of backends: where a run can go, which key may go with it, and what each supports.

    backend = get_backend("openai")          # the UI's dropdown value
    backend.takes_base_url, backend.supports_cache, backend.supports_batches, backend.is_offline
    target = Backends(config).target("openai", visitor_key, typed_base)   # provider, base URL, key

Where keys go is a property of the table, decided in :meth:`Backend.key_for` and nowhere else:
- offline: a fixed dummy key, never a real one (the emulator accepts any);
- Anthropic API: the visitor's key, else the server's ``ANTHROPIC_API_KEY``; the base URL is always the
  operator's (``ANTHROPIC_BASE_URL`` or the public API): a visitor cannot point it elsewhere;
- OpenAI-compatible: the visitor's key; the server's ``OPENAI_API_KEY`` only when the base URL is the
  operator's own ``OPENAI_BASE_URL``; any other URL (one a visitor typed) gets no key at all, sent as
  :data:`~playground.config.NO_KEY` so the provider cannot fall back to the environment's either.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from playground import catalog
from playground.config import NO_KEY, Config, load_config, same_base_url
from playground.errors import MissingAuthError, ParameterError

OFFLINE_KEY = "offline-emulator"  # the emulator accepts any key when started without one


@dataclass(frozen=True)
class Backend:
    """One row of the table. ``kind`` is the value the UI and saved settings use (pinned)."""

    kind: str
    label: str
    provider_name: str  # a class in playground.providers
    base_url_rule: str  # "emulator": the in-process emulator's; "operator": the configured one; "typed": the visitor's
    server_key_field: str | None  # the Config field holding the server's key it may use, if any
    fixed_key: str | None  # a key always sent instead of any real one (the emulator's dummy)
    needs_key: bool  # no key at all is refused before any request (MissingAuthError)
    messages_api: bool  # speaks the Messages API: history kept as sent (signatures, media blocks)
    supports_count_tokens: bool  # POST /v1/messages/count_tokens
    supports_cache: bool  # cache_control (prompt caching) in the body
    supports_thinking: bool  # extended thinking (budget or adaptive)
    emulator_switches: bool  # the offline-only test switches (faults, run to max_tokens, redacted thinking)
    default_model: str | None  # preferred in the model list (GET {base}/models) when the current pick is absent
    # Message Batches (/v1/messages/batches): the Messages API backends; half price, results later.
    supports_batches: bool = False
    supports_files: bool = False  # the Files API (/v1/files): uploads sent by file id (playground.uploads)

    @property
    def provider(self) -> Any:
        """The provider class (imported on first use: the table itself stays light)."""
        import playground.providers as providers

        return getattr(providers, self.provider_name)

    @property
    def is_offline(self) -> bool:
        """The in-process emulator: free, no key, test switches available."""
        return self.base_url_rule == "emulator"

    @property
    def takes_base_url(self) -> bool:
        """The visitor gives the base URL (and the private-host guard applies to it)."""
        return self.base_url_rule == "typed"

    @property
    def server_key_variable(self) -> str | None:
        """The environment variable of the server's key this backend may use (``None``: none)."""
        return self.server_key_field.upper() if self.server_key_field else None

    def operator_base(self, config: Config) -> str | None:
        """The base URL the operator configured for this backend: the only place its server key may go."""
        if self.server_key_field == "anthropic_api_key":
            return config.anthropic_api_base
        if self.server_key_field == "openai_api_key":
            return config.openai_base_url
        return None

    def base_url_for(self, config: Config, typed: str | None) -> str:
        """The base URL a run goes to: the operator's, or the one the visitor typed (else the operator's,
        if configured). Raises ParameterError(``base_url``) when a typed URL is missing or malformed."""
        if self.base_url_rule == "emulator":
            raise ValueError("the emulator's base URL is known only once it runs: ask Backends.offline_api_base()")
        operator = self.operator_base(config)
        if self.base_url_rule == "operator" and operator:
            return operator
        base = (typed or "").strip().rstrip("/") or (operator or "").rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ParameterError("base_url", "give the endpoint's base URL, like http://localhost:8000/v1.")
        return base

    def key_for(self, config: Config, visitor_key: str | None, api_base: str | None) -> str:
        """The key sent with a run to ``api_base``: the fixed one, the visitor's, the server's for the
        operator's own base URL, else :data:`NO_KEY`. Raises MissingAuthError when one is required."""
        if self.fixed_key is not None:
            return self.fixed_key
        visitor_key = (visitor_key or "").strip()
        if visitor_key:
            return visitor_key
        server_key = getattr(config, self.server_key_field) if self.server_key_field else None
        if server_key and same_base_url(api_base, self.operator_base(config)):
            return server_key
        if self.needs_key:
            raise MissingAuthError()
        return NO_KEY


OFFLINE = Backend(
    kind="offline", label="Offline emulator (no key needed)", provider_name="Anthropic", base_url_rule="emulator",
    server_key_field=None, fixed_key=OFFLINE_KEY, needs_key=False, messages_api=True, supports_count_tokens=True,
    supports_cache=True, supports_thinking=True, emulator_switches=True, default_model=catalog.EMULATOR_MODEL,
    supports_batches=True, supports_files=True)
ANTHROPIC = Backend(
    kind="anthropic", label="Anthropic API", provider_name="Anthropic", base_url_rule="operator",
    server_key_field="anthropic_api_key", fixed_key=None, needs_key=True, messages_api=True,
    supports_count_tokens=True, supports_cache=True, supports_thinking=True, emulator_switches=False,
    default_model=catalog.DEFAULT_MODEL, supports_batches=True, supports_files=True)
OPENAI = Backend(
    kind="openai", label="OpenAI-compatible endpoint", provider_name="OpenaiAPI", base_url_rule="typed",
    server_key_field="openai_api_key", fixed_key=None, needs_key=False, messages_api=False,
    supports_count_tokens=False, supports_cache=False, supports_thinking=False, emulator_switches=False,
    default_model=None)

BACKENDS: dict[str, Backend] = {b.kind: b for b in (OFFLINE, ANTHROPIC, OPENAI)}  # in the dropdown's order


def get_backend(kind: str) -> Backend:
    """The table's row for ``kind``; ParameterError(``backend``) for a kind it does not have."""
    try:
        return BACKENDS[kind]
    except (KeyError, TypeError):
        raise ParameterError("backend", f"unknown backend {kind!r}; pick one of {', '.join(BACKENDS)}.") from None


@dataclass(frozen=True)
class Target:
    """Where one run goes: the table row, the base URL and the key (left out of the repr)."""

    backend: Backend
    api_base: str
    api_key: str = field(default=NO_KEY, repr=False)  # NO_KEY: none, and no fallback to the environment
    allow_private: bool = True  # False: the provider refuses private/loopback addresses (hosted Space)
    timeout: float | None = None  # seconds; None = the provider's default

    @property
    def provider(self) -> Any:
        """The provider class to call."""
        return self.backend.provider

    @property
    def kind(self) -> str:
        """The backend's kind (``offline``, ``anthropic``, ``openai``)."""
        return self.backend.kind

    def guard_kwargs(self) -> dict[str, Any]:
        """Provider kwargs set by the server: ``allow_private_hosts=False`` when the guard is on, and
        ``timeout`` when ``PLAYGROUND_TIMEOUT`` is set (empty otherwise)."""
        out: dict[str, Any] = {} if self.allow_private else {"allow_private_hosts": False}
        if self.timeout is not None:
            out["timeout"] = self.timeout
        return out

    def provider_kwargs(self) -> dict[str, Any]:
        """``api_key``, ``api_base`` and :meth:`guard_kwargs`: what every call on this target passes."""
        return {"api_key": self.api_key, "api_base": self.api_base, **self.guard_kwargs()}


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
    """The process-wide backends: the table applied to the app's :class:`~playground.config.Config`,
    and one lazily started offline emulator shared by all sessions (it is stateless per request)."""

    def __init__(self, config: Config | None = None, *, start_offline: Callable[..., Any] = _start_emulator) -> None:
        self.config = config if config is not None else load_config()
        self._start_offline = start_offline
        self._offline: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Backends(server_key={'set' if self.has_server_key else 'unset'}, offline={self._offline is not None})"

    @property
    def has_server_key(self) -> bool:
        """Whether the server has its own Anthropic key."""
        return self.config.anthropic_api_key is not None

    @property
    def default(self) -> Backend:
        """The real API when the server has a key, else the offline emulator."""
        return ANTHROPIC if self.has_server_key else OFFLINE

    def notice(self) -> str:
        """The short banner shown above the chat."""
        if self.has_server_key:
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
                self._offline = self._start_offline(**self.config.emulator_options())
            return self._offline.api_base

    def target(self, kind: str | Backend, session_key: str | None = None, base_url: str | None = None) -> Target:
        """The provider, base URL and key for a run on backend ``kind`` (see the module docstring)."""
        backend = kind if isinstance(kind, Backend) else get_backend(kind)
        base = self.offline_api_base() if backend.is_offline else backend.base_url_for(self.config, base_url)
        guarded = backend.takes_base_url and not self.config.allow_private_hosts
        if guarded:  # literal addresses refused here; names by the provider (async DNS, again at connect)
            _refuse_literal_private(base)
        key = backend.key_for(self.config, session_key, base)
        return Target(backend, base, key, allow_private=not guarded, timeout=self.config.timeout)

    async def models(self, kind: str | Backend, session_key: str | None = None, base_url: str | None = None
                     ) -> list[str]:
        """Model ids from the backend's ``/models`` endpoint."""
        target = self.target(kind, session_key, base_url)
        return list(await target.provider.get_models_async(**target.provider_kwargs()))

    def close(self) -> None:
        """Stop the offline emulator if it was started."""
        with self._lock:
            if self._offline is not None:
                self._offline.stop()
                self._offline = None

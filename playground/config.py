"""The one configuration object: every setting the app takes from outside, read in one place.

    config = load_config()           # environment over ``.env``, once, at start-up
    demo = build_app(config=config)  # passed down: backends, queue size, limits
    config.timeout, config.hosted, config.emulator_options()

The environment wins over ``.env``; an empty value counts as unset. A bad value stops start-up with
a :class:`ConfigError` naming the variable. Keys are left out of the repr.

Library code that has no app (a provider called directly) falls back to :func:`load_keys`, the same
reader limited to the keys and base URLs, read on every call so a key set after import is seen.
Module-level defaults (where the run history lives, the spend cap) read :func:`current`: the
configuration the app installed at start-up, else the environment as it is now.

A plain frozen dataclass rather than a pydantic model: :func:`load_keys` is on every provider
call's path, and keeping pydantic off it keeps ``import playground.providers`` light.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .errors import ParameterError

ANTHROPIC_DEFAULT_BASE = "https://api.anthropic.com/v1"
APP_DIR = "anthropic-playground"
HISTORY_SCOPES = ("session", "shared")
DEFAULT_CONCURRENCY = 32  # async, I/O-bound runs throttled to 20 renders/s each: see README
DEFAULT_SPEND_CAP_USD = 1.00

# Every variable read, by name (the names are pinned: the README and deployed Spaces use them).
KEY_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL")
VARIABLES = (*KEY_VARIABLES, "SPACE_ID", "XDG_DATA_HOME", "PLAYGROUND_CONCURRENCY", "PLAYGROUND_TIMEOUT",
             "PLAYGROUND_ALLOW_PRIVATE_HOSTS", "PLAYGROUND_EMULATOR_TPS", "PLAYGROUND_EMULATOR_LATENCY_MS",
             "PLAYGROUND_EMULATOR_BATCH_DELAY_MS", "PLAYGROUND_EMULATOR_SEED", "PLAYGROUND_HISTORY_PATH", "PLAYGROUND_HISTORY_SCOPE",
             "PLAYGROUND_PRESETS_PATH", "PLAYGROUND_SPEND_CAP_USD")

_log = logging.getLogger(__name__)
_warned_scopes: set[str] = set()
T = TypeVar("T")


class ConfigError(ParameterError):
    """A configuration variable has a value the app cannot use; ``param`` is the variable's name."""


def _default_history_path(xdg_data_home: str | None = None) -> Path:
    base = xdg_data_home or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / APP_DIR / "history.sqlite3"


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the app reads from outside. ``None`` means unset; paths are resolved."""

    anthropic_api_key: str | None = field(default=None, repr=False)  # ANTHROPIC_API_KEY
    anthropic_base_url: str | None = None  # ANTHROPIC_BASE_URL: host root, as the official SDK reads it
    openai_api_key: str | None = field(default=None, repr=False)  # OPENAI_API_KEY
    openai_base_url: str | None = None  # OPENAI_BASE_URL: includes /v1, as the OpenAI SDK reads it
    space_id: str | None = None  # SPACE_ID: set by Hugging Face on a hosted Space
    concurrency: int = DEFAULT_CONCURRENCY  # PLAYGROUND_CONCURRENCY: runs the Gradio queue serves at once
    timeout: float | None = None  # PLAYGROUND_TIMEOUT: seconds; None = the provider's default
    allow_private_hosts: bool = True  # PLAYGROUND_ALLOW_PRIVATE_HOSTS (default: not on a Space)
    emulator_tps: float = 80  # PLAYGROUND_EMULATOR_TPS: offline pacing, tokens/s (0 = unpaced)
    emulator_latency_ms: float = 0  # PLAYGROUND_EMULATOR_LATENCY_MS: offline delay before the first byte
    emulator_batch_delay_ms: float = 0  # PLAYGROUND_EMULATOR_BATCH_DELAY_MS: offline time per batch request
    emulator_seed: int | None = None  # PLAYGROUND_EMULATOR_SEED: replies reproducible from the request
    history_path: Path = field(default_factory=_default_history_path)  # PLAYGROUND_HISTORY_PATH (or XDG)
    history_scope: str = "shared"  # PLAYGROUND_HISTORY_SCOPE (default: "session" on a Space)
    presets_path: Path | None = None  # PLAYGROUND_PRESETS_PATH; None: presets.json beside the history
    spend_cap_usd: float = DEFAULT_SPEND_CAP_USD  # PLAYGROUND_SPEND_CAP_USD: per session

    @property
    def hosted(self) -> bool:
        """True on a Hugging Face Space: strangers share the server, and its disk is ephemeral."""
        return bool(self.space_id)

    @property
    def anthropic_api_base(self) -> str:
        """``ANTHROPIC_BASE_URL`` + ``/v1``, else the public API: where the server's Anthropic key may go."""
        if not self.anthropic_base_url:
            return ANTHROPIC_DEFAULT_BASE
        base = self.anthropic_base_url.rstrip("/")
        return base if base.endswith("/v1") else base + "/v1"

    def emulator_options(self) -> dict[str, Any]:
        """Keyword arguments for starting the in-process offline emulator."""
        options: dict[str, Any] = {"tokens_per_second": self.emulator_tps, "latency_ms": self.emulator_latency_ms}
        if self.emulator_batch_delay_ms:
            options["batch_delay_ms"] = self.emulator_batch_delay_ms
        if self.emulator_seed is not None:
            options["seed"] = self.emulator_seed
        return options


def same_base_url(a: str | None, b: str | None) -> bool:
    """Whether two base URLs name the same endpoint: scheme and host compared case-insensitively, the
    default port made explicit, trailing slashes ignored; anything else (path, user info) exactly."""
    if not a or not b:
        return False
    from urllib.parse import urlsplit

    def norm(url: str) -> tuple[str, str, int | None, str, str]:
        parts = urlsplit(url.strip())
        try:
            port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
        except ValueError:  # a port that is not a number: compare as text below
            return ("", url.strip().rstrip("/"), None, "", "")
        userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
        return (parts.scheme.lower(), (parts.hostname or "").lower(), port, userinfo,
                parts.path.rstrip("/") + ("?" + parts.query if parts.query else ""))

    return norm(a) == norm(b)


def read_environment(environ: Mapping[str, str] | None = None,
                     dotenv_path: str | os.PathLike[str] | None = ".env") -> dict[str, str]:
    """The one reader: ``environ`` (default ``os.environ``) over the ``.env`` file, empty values dropped.
    ``.env`` is not loaded into ``os.environ``."""
    env = os.environ if environ is None else environ
    from_file: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        from dotenv import dotenv_values  # only when there is a file to read

        from_file = {k: v for k, v in dotenv_values(dotenv_path).items() if v}
    merged = {**from_file, **{k: v for k, v in env.items() if v}}
    return {k: v.strip() for k, v in merged.items() if v.strip()}


def _keys(values: Mapping[str, str]) -> dict[str, str | None]:
    return {name.lower(): values.get(name) for name in KEY_VARIABLES}


class NoKey(str):
    """The type of :data:`NO_KEY`: an empty string that also says "and do not fall back"."""

    __slots__ = ()

    def __new__(cls) -> NoKey:
        return super().__new__(cls, "")

    def __repr__(self) -> str:
        return "NO_KEY"

    def __copy__(self) -> NoKey:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> NoKey:
        return self

    def __reduce__(self) -> tuple[type[NoKey], tuple[()]]:
        return (NoKey, ())


# ``api_key=NO_KEY``: send no key at all, and do not fall back to the environment's. The app passes it
# for a base URL a visitor typed without a key, so the server's key can never go there.
NO_KEY = NoKey()


def is_no_key(api_key: str | None) -> bool:
    """True for :data:`NO_KEY` (or a copy of it)."""
    return isinstance(api_key, NoKey)


def load_keys(environ: Mapping[str, str] | None = None,
              dotenv_path: str | os.PathLike[str] | None = ".env") -> Config:
    """Only the keys and base URLs (everything else at its default), for a provider's fallback in
    library use. Never fails over the other variables, which a provider does not read."""
    return Config(**_keys(read_environment(environ, dotenv_path)))


def load_config(environ: Mapping[str, str] | None = None,
                dotenv_path: str | os.PathLike[str] | None = ".env") -> Config:
    """The whole configuration. Raises :class:`ConfigError` naming the first variable with a bad value."""
    values = read_environment(environ, dotenv_path)
    space_id = values.get("SPACE_ID")
    history_path = (Path(values["PLAYGROUND_HISTORY_PATH"]).expanduser() if "PLAYGROUND_HISTORY_PATH" in values
                    else _default_history_path(values.get("XDG_DATA_HOME")))
    presets = values.get("PLAYGROUND_PRESETS_PATH")
    return Config(
        **_keys(values),
        space_id=space_id,
        concurrency=_parse(values, "PLAYGROUND_CONCURRENCY", DEFAULT_CONCURRENCY, _positive_int,
                           "expected a whole number of at least 1"),
        timeout=_parse(values, "PLAYGROUND_TIMEOUT", None, _positive_float, "expected a positive number of seconds"),
        allow_private_hosts=_parse(values, "PLAYGROUND_ALLOW_PRIVATE_HOSTS", not space_id, _flag,
                                   "expected 1 or 0 (true/false, yes/no, on/off)"),
        emulator_tps=_parse(values, "PLAYGROUND_EMULATOR_TPS", 80.0, _non_negative_float,
                            "expected a number of tokens per second (0 = as fast as possible)"),
        emulator_latency_ms=_parse(values, "PLAYGROUND_EMULATOR_LATENCY_MS", 0.0, _non_negative_float,
                                   "expected a number of milliseconds (0 or more)"),
        emulator_batch_delay_ms=_parse(values, "PLAYGROUND_EMULATOR_BATCH_DELAY_MS", 0.0, _non_negative_float,
                                       "expected a number of milliseconds (0 or more)"),
        emulator_seed=_parse(values, "PLAYGROUND_EMULATOR_SEED", None, int, "expected an integer"),
        history_path=history_path,
        history_scope=_history_scope(values.get("PLAYGROUND_HISTORY_SCOPE"), bool(space_id)),
        presets_path=Path(presets).expanduser() if presets else None,
        spend_cap_usd=_parse(values, "PLAYGROUND_SPEND_CAP_USD", DEFAULT_SPEND_CAP_USD, _non_negative_float,
                             "expected an amount in USD (0 or more)"),
    )


def _parse(values: Mapping[str, str], name: str, default: T, convert: Callable[[str], T], expected: str) -> T:
    raw = values.get(name)
    if raw is None:
        return default
    try:
        return convert(raw)
    except ValueError:
        raise ConfigError(name, f"{expected}, got {raw!r}.") from None


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0 or value == float("inf"):
        raise ValueError(raw)
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not 0 <= value < float("inf"):
        raise ValueError(raw)
    return value


def _flag(raw: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _history_scope(raw: str | None, hosted: bool) -> str:
    if raw is None:
        return "session" if hosted else "shared"  # strangers share a Space; one local user shares with no one
    value = raw.lower()
    if value in HISTORY_SCOPES:
        return value
    # An invalid value falls back to the private scope with a warning rather than stopping the app:
    # a typo in a privacy setting must never widen who sees what (so not "shared"), and a Space that
    # fails to boot over it helps nobody (its visitors cannot read the log; the owner can).
    if value not in _warned_scopes:
        _warned_scopes.add(value)
        _log.warning("PLAYGROUND_HISTORY_SCOPE=%r is not one of %s: using 'session' (each browser session sees "
                     "only its own runs)", raw, " | ".join(HISTORY_SCOPES))
    return "session"


_installed: Config | None = None


def install(config: Config | None) -> None:
    """Make ``config`` the process's configuration for :func:`current` (the app does this at start-up;
    ``None`` goes back to reading the environment)."""
    global _installed
    _installed = config


def current() -> Config:
    """The configuration the app installed at start-up, else the environment and ``.env`` as they are now."""
    return _installed if _installed is not None else load_config()

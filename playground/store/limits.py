"""How much run history may be kept: per browser session (runs and bytes) and in all.

On a hosted app (history scope ``session``: strangers share the disk) the defaults bound what one
visitor can make the server store; a local install (scope ``shared``) keeps everything unless a
limit is set. Each limit is an environment variable; ``0`` switches that limit off.

``PLAYGROUND_HISTORY_MAX_RUNS_PER_SESSION``  runs kept per session (hosted default 200)
``PLAYGROUND_HISTORY_MAX_BYTES_PER_SESSION`` bytes kept per session (hosted default 20M)
``PLAYGROUND_HISTORY_MAX_BYTES``             bytes kept in the whole store (hosted default 1G)

Sizes take an optional K, M or G suffix (powers of 1024). The oldest runs are pruned first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .config import history_scope

ENV_MAX_RUNS_PER_SESSION = "PLAYGROUND_HISTORY_MAX_RUNS_PER_SESSION"
ENV_MAX_BYTES_PER_SESSION = "PLAYGROUND_HISTORY_MAX_BYTES_PER_SESSION"
ENV_MAX_BYTES = "PLAYGROUND_HISTORY_MAX_BYTES"

HOSTED_MAX_RUNS_PER_SESSION = 200
HOSTED_MAX_BYTES_PER_SESSION = 20 * 1024**2
HOSTED_MAX_BYTES = 1024**3

_SUFFIXES = {"k": 1024, "m": 1024**2, "g": 1024**3}


@dataclass(frozen=True, slots=True)
class StoreLimits:
    """The caps; None means unlimited."""

    runs_per_session: int | None = None
    bytes_per_session: int | None = None
    total_bytes: int | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.runs_per_session, self.bytes_per_session, self.total_bytes))


def parse_size(name: str, raw: str) -> int | None:
    """``raw`` (``"5000"``, ``"20M"``, ``"1g"``) as a byte or run count; 0 means no limit (None).
    A value that is not a whole number is a ValueError naming ``name``."""
    text = raw.strip().lower().removesuffix("b").removesuffix("i")
    factor = _SUFFIXES.get(text[-1:], 1) if text else 1
    number = text[:-1] if factor != 1 else text
    if not number.isdigit():
        raise ValueError(f"{name}={raw!r}: give a whole number (sizes may end in K, M or G), or 0 for no limit.")
    value = int(number) * factor
    return value or None


def store_limits(environ: Mapping[str, str] | None = None, scope: str | None = None) -> StoreLimits:
    """The limits from the environment, with the hosted defaults when history is per session."""
    env = os.environ if environ is None else environ
    hosted = (scope or history_scope()) == "session"
    values: list[int | None] = []
    for name, default in ((ENV_MAX_RUNS_PER_SESSION, HOSTED_MAX_RUNS_PER_SESSION),
                          (ENV_MAX_BYTES_PER_SESSION, HOSTED_MAX_BYTES_PER_SESSION),
                          (ENV_MAX_BYTES, HOSTED_MAX_BYTES)):
        raw = env.get(name)
        values.append(parse_size(name, raw) if raw and raw.strip() else (default if hosted else None))
    return StoreLimits(*values)

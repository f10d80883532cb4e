"""Settings from the environment and an optional ``.env`` file.

The environment wins over ``.env``. A plain frozen dataclass rather than a pydantic model: it is
read on every provider call, and keeping pydantic off the import path keeps ``import
playground.providers`` light (see benchmarks/bench_stream.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ANTHROPIC_DEFAULT_BASE = "https://api.anthropic.com/v1"


def _dotenv(path: str | os.PathLike[str] = ".env") -> dict[str, str]:
    if not Path(path).is_file():
        return {}
    from dotenv import dotenv_values  # only when there is a file to read

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


@dataclass(frozen=True, slots=True)
class Settings:
    """What the providers read from outside: keys and base URLs (``None`` when unset)."""

    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None  # host root, as the official SDK reads it
    openai_api_key: str | None = None
    openai_base_url: str | None = None  # includes /v1, as the OpenAI SDK reads it

    def __repr__(self) -> str:  # never show keys
        return (f"Settings(anthropic_api_key={'set' if self.anthropic_api_key else None}, "
                f"anthropic_base_url={self.anthropic_base_url!r}, "
                f"openai_api_key={'set' if self.openai_api_key else None}, openai_base_url={self.openai_base_url!r})")

    @property
    def anthropic_api_base(self) -> str:
        """``ANTHROPIC_BASE_URL`` + ``/v1``, else the public API."""
        if not self.anthropic_base_url:
            return ANTHROPIC_DEFAULT_BASE
        base = self.anthropic_base_url.rstrip("/")
        return base if base.endswith("/v1") else base + "/v1"


def load_settings(environ: Mapping[str, str] | None = None, dotenv_path: str | os.PathLike[str] = ".env") -> Settings:
    """Read settings now (so a key set after import is seen). Empty values count as unset."""
    env = os.environ if environ is None else environ
    merged = {**_dotenv(dotenv_path), **{k: v for k, v in env.items() if v}}

    def get(name: str) -> str | None:
        value = (merged.get(name) or "").strip()
        return value or None

    return Settings(get("ANTHROPIC_API_KEY"), get("ANTHROPIC_BASE_URL"), get("OPENAI_API_KEY"), get("OPENAI_BASE_URL"))

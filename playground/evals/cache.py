"""A response cache on disk, keyed by the full request and the repeat index.

The repeat index is part of the key so that repeats are real repeats: asking the same request three
times gives three cached answers, not one answer three times. Keys never include the API key.
One JSON file per entry (written to a temporary name, then renamed), so concurrent runs and a crash
mid-write never leave a half entry behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

KEY_VERSION = 1  # bump when what a cached entry means changes


def request_key(backend: str, base_url: str, request: Mapping[str, Any], repeat: int) -> str:
    """The cache key: a SHA-256 over the backend, its base URL, the whole request and the repeat index."""
    payload = json.dumps({"v": KEY_VERSION, "backend": backend, "base_url": base_url or "", "request": request,
                          "repeat": repeat}, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class ResponseCache:
    """``get(key)`` / ``put(key, entry)`` over a folder; entries are JSON objects."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.directory)!r})"

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def __contains__(self, key: str) -> bool:
        return self._path(key).is_file()

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry for ``key``, or None (also for an unreadable entry, which is then ignored)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def put(self, key: str, entry: Mapping[str, Any]) -> None:
        """Store ``entry`` under ``key`` atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            with_suppressed_unlink(tmp)
            raise


def with_suppressed_unlink(path: str) -> None:
    """Remove ``path`` if it exists."""
    try:
        os.unlink(path)
    except OSError:
        pass

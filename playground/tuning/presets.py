"""Named presets of settings, saved to a JSON file next to the run history.

    presets = PresetStore()                      # $PLAYGROUND_PRESETS_PATH or <data dir>/presets.json
    presets.save("precise", RunSettings(temperature=0.1, tools=(...,)))
    settings, problems = presets.preset("precise")

A preset holds every field of :class:`~playground.settings.RunSettings` that differs from the defaults
(tools of any length included), except where requests go (backend, base URL) and the offline test
switches. Presets written by earlier versions are read through :func:`playground.settings.upgrade_json`.

Presets follow the history scope (``playground.store.history_scope``): every method takes ``owner``,
the reader-owner of the browser session (``store.read_owner``). ``None`` (``shared`` scope, a local
install) means the file's shared presets; an owner id (``session`` scope, a hosted Space) means that
session's own presets, kept apart in the same file, so one visitor never sees another's names.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

from ..config import current
from ..settings import RunSettings, upgrade_json
from ..store import check_params
from .share import NOT_SHARED

_NAME = re.compile(r"^[\w .\-]{1,64}$")
# The file's key for per-session presets: not a valid preset name ('#'), so it cannot collide with one.
_SESSIONS = "#sessions"


class PresetError(ValueError):
    """A preset name or file was refused; the message says why."""


def default_presets_path() -> Path:
    """``PLAYGROUND_PRESETS_PATH``, else ``presets.json`` beside the history database."""
    config = current()
    return config.presets_path or config.history_path.with_name("presets.json")


class PresetStore:
    """A small JSON file of ``name -> settings``. Writes are atomic (temp file + rename)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_presets_path()
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, json.JSONDecodeError) as exc:
            raise PresetError(f"cannot read presets file {self.path}: {exc}") from None
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _bucket(presets: dict[str, dict], owner: str | None, create: bool = False) -> dict[str, dict]:
        """The presets ``owner`` sees: the shared ones (None) or that session's own."""
        if owner is None:
            return {k: v for k, v in presets.items() if k != _SESSIONS} if not create else presets
        sessions = presets.get(_SESSIONS)
        if not isinstance(sessions, dict):
            if not create:
                return {}
            sessions = presets[_SESSIONS] = {}
        bucket = sessions.get(owner)
        if not isinstance(bucket, dict):
            if not create:
                return {}
            bucket = sessions[owner] = {}
        return bucket

    def names(self, owner: str | None = None) -> list[str]:
        """The preset names ``owner`` sees, sorted."""
        return sorted(k for k in self._bucket(self._read(), owner) if k != _SESSIONS)

    def preset(self, name: str, owner: str | None = None) -> tuple[RunSettings, list[tuple[str, str]]]:
        """The settings saved as ``name`` and ``(field, message)`` for each saved value no longer taken
        (skipped). Raises :class:`PresetError` if ``owner`` has none (the message lists only ``owner``'s names)."""
        bucket = self._bucket(self._read(), owner)
        data = bucket.get(name) if name != _SESSIONS else None
        if not isinstance(data, dict):
            names = sorted(k for k in bucket if k != _SESSIONS)
            raise PresetError(f"no preset named {name!r}; saved presets: {', '.join(names) or 'none'}.")
        return RunSettings.parse_json(upgrade_json(data))

    def load(self, name: str, owner: str | None = None) -> RunSettings:
        """The settings saved as ``name``; raises :class:`PresetError` if there is none."""
        return self.preset(name, owner)[0]

    def save(self, name: str, settings: RunSettings, owner: str | None = None) -> None:
        """Save (or overwrite) ``name`` for ``owner`` with ``settings``. Names are 1-64 letters, digits,
        spaces, dots, dashes, underscores."""
        name = name.strip()
        if not _NAME.match(name):
            raise PresetError(f"preset name {name!r} is not valid: use 1-64 letters, digits, spaces, '.', '-' or '_'.")
        data = {k: v for k, v in settings.changed().items() if k not in NOT_SHARED}
        check_params(data)  # a preset is shareable: it must never hold a key
        with self._lock:
            presets = self._read()
            self._bucket(presets, owner, create=True)[name] = data
            self._write(presets)

    def delete(self, name: str, owner: str | None = None) -> None:
        """Remove ``owner``'s ``name`` (no error if it is not there)."""
        if name == _SESSIONS:
            return
        with self._lock:
            presets = self._read()
            bucket = self._bucket(presets, owner, create=True)
            if bucket.pop(name, None) is not None:
                self._write(presets)

    def _write(self, presets: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps(presets, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)

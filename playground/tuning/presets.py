"""Named presets of settings, saved to a JSON file next to the run history.

    presets = PresetStore()                      # $PLAYGROUND_PRESETS_PATH or <data dir>/presets.json
    presets.save("precise", RunSettings(temperature=0.1))
    presets.load("precise").temperature          # 0.1
    presets.extras("precise")                    # {} (adaptive thinking, tools, caching when saved with them)

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
from collections.abc import Mapping
from pathlib import Path

from ..store import check_params, default_path
from .settings import RunSettings
from .share import check_extras

ENV_PATH = "PLAYGROUND_PRESETS_PATH"
_NAME = re.compile(r"^[\w .\-]{1,64}$")
_EXTRAS = "playground"  # the entry's key for the Playground extras (RunSettings.from_dict ignores it)
# The file's key for per-session presets: not a valid preset name ('#'), so it cannot collide with one.
_SESSIONS = "#sessions"


class PresetError(ValueError):
    """A preset name or file was refused; the message says why."""


def default_presets_path() -> Path:
    """``$PLAYGROUND_PRESETS_PATH``, else ``presets.json`` beside the history database."""
    env = os.environ.get(ENV_PATH)
    return Path(env).expanduser() if env else default_path().with_name("presets.json")


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

    def preset(self, name: str, owner: str | None = None) -> tuple[RunSettings, dict[str, str]]:
        """The settings saved as ``name`` and the Playground extras saved with them (adaptive thinking,
        tools, tool_choice, prompt caching; see :func:`~playground.tuning.share.check_extras`, applied
        again on the way out), from one read of the file. Raises :class:`PresetError` if ``owner`` has none
        (the message lists only ``owner``'s names)."""
        bucket = self._bucket(self._read(), owner)
        data = bucket.get(name) if name != _SESSIONS else None
        if not isinstance(data, dict):
            names = sorted(k for k in bucket if k != _SESSIONS)
            raise PresetError(f"no preset named {name!r}; saved presets: {', '.join(names) or 'none'}.")
        saved = data.get(_EXTRAS)
        extras = check_extras(saved, max_chars=None)[0] if isinstance(saved, Mapping) else {}
        return RunSettings.from_dict(data), extras

    def load(self, name: str, owner: str | None = None) -> RunSettings:
        """The settings saved as ``name``; raises :class:`PresetError` if there is none."""
        return self.preset(name, owner)[0]

    def extras(self, name: str, owner: str | None = None) -> dict[str, str]:
        """The Playground extras saved with ``name`` ({} when none)."""
        return self.preset(name, owner)[1]

    def save(self, name: str, settings: RunSettings, extras: Mapping[str, str] | None = None,
             owner: str | None = None) -> None:
        """Save (or overwrite) ``name`` for ``owner`` with ``settings`` and the Playground ``extras``.
        Names are 1-64 letters, digits, spaces, dots, dashes, underscores."""
        name = name.strip()
        if not _NAME.match(name):
            raise PresetError(f"preset name {name!r} is not valid: use 1-64 letters, digits, spaces, '.', '-' or '_'.")
        data = settings.to_dict()
        valid, problems = check_extras(extras or {}, max_chars=None)  # a long tools list is fine in a file
        if problems:
            raise PresetError(" ".join(problems))
        if valid:
            data[_EXTRAS] = valid
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

"""Named presets of settings, saved to a JSON file next to the run history.

    presets = PresetStore()                      # $PLAYGROUND_PRESETS_PATH or <data dir>/presets.json
    presets.save("precise", RunSettings(temperature=0.1))
    presets.load("precise").temperature          # 0.1
    presets.extras("precise")                    # {} (adaptive thinking, tools, caching when saved with them)
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path

from ..config import current
from ..store import check_params
from .settings import RunSettings
from .share import check_extras

_NAME = re.compile(r"^[\w .\-]{1,64}$")
_EXTRAS = "playground"  # the entry's key for the Playground extras (RunSettings.from_dict ignores it)


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

    def names(self) -> list[str]:
        """Saved preset names, sorted."""
        return sorted(self._read())

    def preset(self, name: str) -> tuple[RunSettings, dict[str, str]]:
        """The settings saved as ``name`` and the Playground extras saved with them (adaptive thinking,
        tools, tool_choice, prompt caching; see :func:`~playground.tuning.share.check_extras`, applied
        again on the way out), from one read of the file. Raises :class:`PresetError` if there is none."""
        data = self._read().get(name)
        if data is None:
            raise PresetError(f"no preset named {name!r}; saved presets: {', '.join(self.names()) or 'none'}.")
        saved = data.get(_EXTRAS)
        extras = check_extras(saved, max_chars=None)[0] if isinstance(saved, Mapping) else {}
        return RunSettings.from_dict(data), extras

    def load(self, name: str) -> RunSettings:
        """The settings saved as ``name``; raises :class:`PresetError` if there is none."""
        return self.preset(name)[0]

    def extras(self, name: str) -> dict[str, str]:
        """The Playground extras saved with ``name`` ({} when none)."""
        return self.preset(name)[1]

    def save(self, name: str, settings: RunSettings, extras: Mapping[str, str] | None = None) -> None:
        """Save (or overwrite) ``name`` with ``settings`` and the Playground ``extras``. Names are 1-64
        letters, digits, spaces, dots, dashes, underscores."""
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
            presets[name] = data
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
            tmp.write_text(json.dumps(presets, indent=2, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)

    def delete(self, name: str) -> None:
        """Remove ``name`` (no error if it is not there)."""
        with self._lock:
            presets = self._read()
            if presets.pop(name, None) is not None:
                tmp = self.path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
                tmp.write_text(json.dumps(presets, indent=2, ensure_ascii=False), encoding="utf-8")
                os.replace(tmp, self.path)

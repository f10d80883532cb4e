"""Where the run history lives and who may read it, from the environment (then ``.env``).

``PLAYGROUND_HISTORY_PATH`` picks the file; ``PLAYGROUND_HISTORY_SCOPE`` says whether readers filter
on the owner id (``session``: a public Space) or not (``shared``: one local user). On a Hugging Face
Space (``SPACE_ID`` set) the disk is ephemeral, and the notices say so.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

ENV_PATH = "PLAYGROUND_HISTORY_PATH"
ENV_SCOPE = "PLAYGROUND_HISTORY_SCOPE"
APP_DIR = "anthropic-playground"
SCOPES = ("session", "shared")

_log = logging.getLogger(__name__)
_warned_scopes: set[str] = set()


def _from_dotenv(name: str, path: str = ".env") -> str | None:
    if not os.path.isfile(path):
        return None
    from dotenv import dotenv_values  # only when there is a file to read

    return dotenv_values(path).get(name) or None


def default_path() -> Path:
    """``PLAYGROUND_HISTORY_PATH`` (environment, then ``.env``), else ``$XDG_DATA_HOME`` (or
    ``~/.local/share``)/anthropic-playground/history.sqlite3."""
    env = os.environ.get(ENV_PATH) or _from_dotenv(ENV_PATH)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / APP_DIR / "history.sqlite3"


def is_ephemeral() -> bool:
    """True on a Hugging Face Space, whose disk is wiped when the Space restarts."""
    return bool(os.environ.get("SPACE_ID"))


def history_scope() -> str:
    """``session`` (each browser session sees only its own runs) or ``shared`` (every run is visible).

    ``PLAYGROUND_HISTORY_SCOPE`` (environment, then ``.env``); unset: ``session`` on a Hugging Face Space
    (``SPACE_ID`` set: strangers share the server), else ``shared`` (one local user, one history).
    """
    raw = os.environ.get(ENV_SCOPE) or _from_dotenv(ENV_SCOPE)
    if not raw or not raw.strip():
        return "session" if is_ephemeral() else "shared"
    value = raw.strip().lower()
    if value in SCOPES:
        return value
    # An invalid value falls back to the private scope with a warning rather than stopping the app:
    # a typo in a privacy setting must never widen who sees what (so not "shared"), and a Space that
    # fails to boot over it helps nobody (its visitors cannot read the log; the owner can).
    if value not in _warned_scopes:
        _warned_scopes.add(value)
        _log.warning("%s=%r is not one of %s: using 'session' (each browser session sees only its own runs)",
                     ENV_SCOPE, raw, " | ".join(SCOPES))
    return "session"


def new_owner() -> str:
    """A fresh, unguessable owner id for one browser session's runs (192 random bits)."""
    return secrets.token_urlsafe(24)


def read_owner(owner: str | None) -> str | None:
    """The owner filter a reader must apply: ``owner`` in ``session`` scope, None (all runs) in ``shared``.

    In ``session`` scope a missing owner still filters (on a value no run has), so a caller that lost
    its session id sees nothing rather than everything.
    """
    if history_scope() == "shared":
        return None
    return owner or "\0no-owner"


def scope_notice() -> str:
    """A sentence for the History tab about whose runs it shows."""
    if history_scope() == "session":
        return "History shows only this browser session's runs and is gone when you close the tab."
    return ""


def ephemeral_notice() -> str:
    """A sentence for the UI about how long history lasts ('' when it is on a persistent disk)."""
    if is_ephemeral():
        return ("History is kept on this Space's disk, which is ephemeral: it lasts only as long as the "
                "Space runs (a restart or rebuild erases it). Run the playground locally to keep it.")
    return ""

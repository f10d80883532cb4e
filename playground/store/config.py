"""Where the run history lives and who may read it, from the app's configuration
(:func:`playground.config.current`: ``PLAYGROUND_HISTORY_PATH``, ``PLAYGROUND_HISTORY_SCOPE``, ``SPACE_ID``).

The scope says whether readers filter on the owner id (``session``: a public Space) or not (``shared``:
one local user). On a Hugging Face Space (``SPACE_ID`` set) the disk is ephemeral, and the notices say so.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from playground import config as app_config
from playground.config import APP_DIR, HISTORY_SCOPES

__all__ = ["APP_DIR", "SCOPES", "default_path", "ephemeral_notice", "history_scope", "is_ephemeral", "new_owner",
           "read_owner", "scope_notice"]
SCOPES = HISTORY_SCOPES


def default_path() -> Path:
    """``PLAYGROUND_HISTORY_PATH``, else ``$XDG_DATA_HOME`` (or ``~/.local/share``)/anthropic-playground/history.sqlite3."""
    return app_config.current().history_path


def is_ephemeral() -> bool:
    """True on a Hugging Face Space, whose disk is wiped when the Space restarts."""
    return app_config.current().hosted


def history_scope() -> str:
    """``session`` (each browser session sees only its own runs) or ``shared`` (every run is visible).

    ``PLAYGROUND_HISTORY_SCOPE``; unset: ``session`` on a Hugging Face Space (``SPACE_ID`` set: strangers
    share the server), else ``shared`` (one local user, one history). An invalid value means ``session``.
    """
    return app_config.current().history_scope


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

"""The ``anthropic-version`` header values this project knows, and what each changes.

One place for the rule both the pre-send checks (:mod:`playground.params`) and the offline
emulator enforce: ``2026-10-21`` (what SDK 2.x sends) removed ``temperature``, ``top_p`` and
``top_k`` from the Messages API, so sending any of them is a 400 there; ``2023-06-01`` (what
the seed's ``get_headers`` sends) still accepts them.
"""

from __future__ import annotations

DEFAULT_API_VERSION = "2023-06-01"
SAMPLING_REMOVED_IN = "2026-10-21"
API_VERSIONS: tuple[str, ...] = (DEFAULT_API_VERSION, SAMPLING_REMOVED_IN)
SAMPLING_PARAMS: tuple[str, ...] = ("temperature", "top_p", "top_k")


def removes_sampling(version: str | None) -> bool:
    """Whether ``version`` (a ``YYYY-MM-DD`` string; None = the default) has no sampling parameters."""
    return version is not None and version >= SAMPLING_REMOVED_IN


def sampling_removed_reason(name: str, version: str) -> str:
    """Why ``name`` cannot be sent under ``version``, with the fix, for a user to read."""
    return (f"anthropic-version {version} removed temperature, top_p and top_k; leave {name} unset, "
            f"or use API version {DEFAULT_API_VERSION} to send it.")

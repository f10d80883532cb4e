"""What the emulator's list endpoints and objects share: id-cursor pages and RFC 3339 times."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from .apierror import invalid

T = TypeVar("T")
MAX_LIMIT = 1000


def rfc3339(epoch_s: float | None) -> str | None:
    """``2026-11-30T10:00:00.000000Z`` (microseconds, ``Z``, as the docs' examples), or None."""
    if epoch_s is None:
        return None
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def page_limit(query: dict[str, str], default: int = 20) -> int:
    """``limit`` from the query: an integer from 1 to 1000 (``default`` when absent)."""
    raw = query.get("limit")
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise invalid(f"limit: Input should be a valid integer, got {raw!r}", "limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid(f"limit: Input should be between 1 and {MAX_LIMIT}", "limit")
    return limit


def id_page(items: Sequence[T], query: dict[str, str], item_id: Callable[[T], str],
            render: Callable[[T], dict[str, Any]], noun: str = "object") -> dict[str, Any]:
    """One ``{data, has_more, first_id, last_id}`` page of ``items`` (newest first) for
    ``limit``, ``after_id`` (older than it) or ``before_id`` (newer than it); an unknown cursor id
    is said as "no ``noun`` with id ..."."""
    limit = page_limit(query)
    ids = [item_id(item) for item in items]
    after, before = query.get("after_id"), query.get("before_id")
    if after and before:
        raise invalid("after_id and before_id cannot both be given", "after_id")
    if after:
        if after not in ids:
            raise invalid(f"after_id: no {noun} with id {after!r}", "after_id")
        start = ids.index(after) + 1
        page, has_more = items[start:start + limit], start + limit < len(items)
    elif before:
        if before not in ids:
            raise invalid(f"before_id: no {noun} with id {before!r}", "before_id")
        end = ids.index(before)
        page, has_more = items[max(0, end - limit):end], end - limit > 0
    else:
        page, has_more = items[:limit], limit < len(items)
    data = [render(item) for item in page]
    return {"data": data, "has_more": has_more,
            "first_id": item_id(page[0]) if page else None, "last_id": item_id(page[-1]) if page else None}

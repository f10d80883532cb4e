"""Giving a browser session's memory back when its page closes.

Gradio runs ``demo.unload`` handlers when a page's heartbeat connection drops, but keeps the session's
state an hour longer (so a page that reconnects finds it), and never drops its per-session entry (once
2-3 MB per visit with its copy of the page config; 0.3 MB since :mod:`.lean_session_state`). :func:`wire`
adds an unload handler that, ``grace_s`` later (time for a dropped connection to come back: a session used
again meanwhile is kept), releases it:

- the session's live Compare / Sweep runners are cancelled and forgotten (``tuning.common.RUNNERS``),
  and a running chat reply is asked to stop;
- Gradio's state for it is deleted (each ``gr.State``'s ``delete_callback`` runs) and its session
  entry dropped, so the ``Session``, the spend cap and the rendered config can be collected; so is
  the session's (empty) message queue, which Gradio would keep for the next 2,000 sessions;
- shortly after a burst of releases, one garbage collection and ``malloc_trim`` give the memory back.

What a release could not give back, before sessions stopped copying the page config
(:mod:`.lean_session_state`): the Python objects and glibc's bytes in use returned to their level, yet
RSS kept about three quarters of the growth (1.16x the start a minute after 50 sessions closed) — the
heap arenas those copies filled stayed pinned by a few long-lived objects (fragmentation, not a hold;
glibc's arena and mmap settings made no difference). Without the copies: 1.04x.

The run history is not touched: stored runs outlive the page (in ``session`` scope no one can read a
closed session's runs again; removing them is the store's pruning policy, not this module's).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import datetime
import gc
import logging
from typing import Any

import gradio as gr

from playground.ui.session import Session
from playground.ui.tuning.common import RUNNERS

log = logging.getLogger(__name__)
GRACE_S = 15.0
RECLAIM_AFTER_S = 2.0  # one collection for a burst of closing pages, not one per page
_reclaim_pending = False


def end_session(session: Session) -> int:
    """Stop what ``session`` still has running: its tuning runners (cancelled and removed from
    ``RUNNERS``) and its chat reply. Returns how many runners were cancelled."""
    owner = getattr(session, "owner", None)
    keys = [k for k in list(RUNNERS) if k[0] == owner]
    for key in keys:
        runner = RUNNERS.pop(key, None)
        if runner is not None:
            runner.cancel()
    control = getattr(session, "control", None)
    if control is not None:
        control.request_stop()
    return len(keys)


def release(holder: Any, session_hash: str, closed_at: datetime.datetime | None = None, queue: Any = None) -> bool:
    """Free everything the app and Gradio keep for browser session ``session_hash`` (``holder``: the
    app's ``StateHolder``; ``queue``: its event queue). Skipped (False) when the session is gone already
    or was used after ``closed_at`` (its page came back)."""
    data = holder.session_data.get(session_hash)
    if data is None:
        return False
    last = holder.time_last_used.get(session_hash)
    if closed_at is not None and last is not None and last > closed_at:
        return False
    for value in list(data.state_data.values()):
        if isinstance(value, Session):
            end_session(value)
    holder.delete_state(session_hash)  # each gr.State's delete_callback
    with holder.lock:
        holder.session_data.pop(session_hash, None)
        holder.time_last_used.pop(session_hash, None)
    _forget_messages(queue, session_hash)
    return True


def _forget_messages(queue: Any, session_hash: str) -> None:
    """Drop the session's message queue, which Gradio keeps (up to 2,000 sessions) after its page closed;
    a page that comes back gets a new one with its next event. Kept while an event of it is pending."""
    pending = getattr(queue, "pending_event_ids_session", None)
    messages = getattr(queue, "pending_messages_per_session", None)
    if pending is not None and messages is not None and not pending.get(session_hash):
        messages.pop(session_hash, None)
        pending.pop(session_hash, None)  # (its empty set of pending event ids)


def reclaim() -> None:
    """Collect what released sessions left (their objects hold cycles) and hand freed heap pages back to
    the system (glibc's ``malloc_trim``; elsewhere a collection only): without it the process keeps its
    peak size although the memory is free."""
    global _reclaim_pending
    _reclaim_pending = False
    gc.collect()
    name = ctypes.util.find_library("c")
    try:
        trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        trim = None
    if trim is not None:
        trim(0)


def _schedule_reclaim(loop: asyncio.AbstractEventLoop) -> None:
    global _reclaim_pending
    if not _reclaim_pending:
        _reclaim_pending = True
        loop.call_later(RECLAIM_AFTER_S, reclaim)


def wire(demo: gr.Blocks, grace_s: float | None = None) -> None:
    """Release each browser session of ``demo`` ``grace_s`` (default :data:`GRACE_S`) seconds after
    its page closes."""
    grace = GRACE_S if grace_s is None else grace_s

    async def on_unload(request: gr.Request) -> None:
        session_hash = getattr(request, "session_hash", None)
        holder = getattr(demo, "state_holder", None)
        if not session_hash or holder is None:
            return
        closed_at = datetime.datetime.now()  # after Gradio's own touch of the session for this call

        loop = asyncio.get_running_loop()

        def later() -> None:
            try:
                if release(holder, session_hash, closed_at, getattr(demo, "_queue", None)):
                    _schedule_reclaim(loop)
            except Exception:  # noqa: BLE001 — a failed cleanup must never take the server down
                log.exception("releasing a closed session failed")

        loop.call_later(grace, later)

    demo.unload(on_unload)

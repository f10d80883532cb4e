"""Run history in SQLite: every chat turn, compare column and sweep cell, searchable and replayable.

    from playground import store
    run_id = store.record_run(kind="chat", model="playground-tiny", params={"temperature": 0.7},
                              messages=[{"role": "user", "content": "Hi"}], output="Hello!")
    store.get_store().search("Hello")

What is kept: time, backend, model, parameters, messages, media *references* (sha256, name, size —
never the bytes), output, thinking, tool calls, stop reason, usage, cost, timing, response headers,
the request body as sent (media data replaced by its reference), and any error.
What is never kept: an API key. Parameters that look like a credential are refused, secret-looking
header values are redacted, and every key handed to ``record`` via ``secrets=`` is scrubbed from
every text field before it touches the disk.

The path comes from ``PLAYGROUND_HISTORY_PATH``, else the user's data directory. On a Hugging Face
Space (``SPACE_ID`` set) the disk is ephemeral: :func:`ephemeral_notice` says so for the UI.

Who sees which runs: every run carries an ``owner`` (a random id per browser session; see
:func:`new_owner`). :func:`history_scope` (``PLAYGROUND_HISTORY_SCOPE``) says whether readers filter on
it (``session``: a public Space, where one visitor must never see another's prompts) or not (``shared``:
a local single-user install keeps one history across restarts). The owner id is a capability: it is
never shown, exported or returned to a page.
Writers on many threads are safe: WAL journal, one connection per thread, a busy timeout.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..jsondepth import elide_deep
from ..secrets import server_secrets
from . import index
from .config import (  # noqa: F401  (re-exported: callers use ``store.default_path()`` and friends)
    APP_DIR,
    SCOPES,
    default_path,
    ephemeral_notice,
    history_scope,
    is_ephemeral,
    new_owner,
    read_owner,
    scope_notice,
)
from .guard import HistoryError, check_params, deep_scrub, media_ref, scrub_headers, strip_media  # noqa: F401
from .limits import StoreLimits, store_limits


@dataclass
class Run:
    """One stored run. ``id`` and ``created_at`` are filled by the store."""

    kind: str = "chat"  # chat | compare | sweep | rerun
    backend: str = ""  # api_base, or "anthropic" / "emulator"
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    system: str | None = None
    messages: list[Any] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    output: str = ""
    thinking: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    cost_usd: float | None = None
    ttft_s: float | None = None
    duration_s: float | None = None
    tokens_per_s: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    request_body: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    group_id: str | None = None  # the sweep / compare this run belongs to
    parent_id: int | None = None  # the run this one re-ran
    label: str = ""
    # The browser session that made it (see history_scope): never shown, so not in the repr either.
    owner: str | None = field(default=None, repr=False)
    id: int | None = None
    created_at: float = 0.0

    def summary(self) -> str:
        """One line for lists: time, model, first words of the output."""
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.created_at))
        text = (self.error or self.output or "").replace("\n", " ")
        return f"#{self.id} {when} {self.kind} {self.model}: {text[:60]}"


_JSON_FIELDS = ("params", "messages", "media", "tool_calls", "usage", "headers", "request_body")
_COLUMNS = [f for f in Run.__dataclass_fields__ if f != "id"]

_REAL_COLUMNS = ("created_at", "cost_usd", "ttft_s", "duration_s", "tokens_per_s")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    {", ".join(f"{c} {'REAL' if c in _REAL_COLUMNS else 'INTEGER' if c == 'parent_id' else 'TEXT'}" for c in _COLUMNS)}
);
CREATE INDEX IF NOT EXISTS runs_created ON runs(created_at);
CREATE INDEX IF NOT EXISTS runs_model ON runs(model);
CREATE INDEX IF NOT EXISTS runs_group ON runs(group_id);
"""
# Applied after _SCHEMA and after migrating an older table (an index on a missing column would fail).
# runs_owner_bytes covers the size sums the limits need, so they read the index, not every row.
_INDEXES = """CREATE INDEX IF NOT EXISTS runs_owner ON runs(owner, id);
CREATE INDEX IF NOT EXISTS runs_owner_bytes ON runs(owner, id, stored_bytes);"""
# Not a Run field: the bytes a row takes (its text columns), for the storage limits.
_SIZE_COLUMN = "stored_bytes"
# A request body's message that is the same as the stored message i is kept once, as this reference.
_REF = "$playground_ref"
_ALL_MESSAGES = "messages"


class RunStore:
    """SQLite-backed history. Thread-safe: each thread gets its own connection (WAL mode)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, limits: StoreLimits | None = None) -> None:
        """``limits`` default to :func:`~playground.store.limits.store_limits` (the environment)."""
        self.path = Path(path) if path is not None else default_path()
        self.limits = store_limits() if limits is None else limits
        self._notices: dict[str | None, list[str]] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        conn = self._conn()
        conn.executescript(_SCHEMA)
        self._migrate(conn)
        conn.executescript(_INDEXES)
        self._fts = index.ensure(conn)  # full-text index + model list (built here for an older store)
        self._trigram_rows: dict[str, int] = {}  # rows per trigram, counted once (index.trigram_rows)

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        """Add columns that a database made by an older version lacks (its rows get NULL: no owner)."""
        have = {r[1] for r in conn.execute("PRAGMA table_info(runs)").fetchall()}
        for name in (*_COLUMNS, _SIZE_COLUMN):
            if name not in have:
                kind = "REAL" if name in _REAL_COLUMNS else "INTEGER" if name in ("parent_id", _SIZE_COLUMN) else "TEXT"
                try:
                    conn.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")
                except sqlite3.OperationalError as exc:  # another process added it first
                    if "duplicate column" not in str(exc).lower():
                        raise

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # timeout = how long a writer waits for another writer's lock instead of failing.
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection (tests, shutdown)."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def record(self, run: Run, *, secrets: Iterable[str | None] = ()) -> int:
        """Store ``run`` and return its id. Refuses credentials in params; scrubs ``secrets`` (and every
        key the server knows) everywhere. When the write pruned older runs (see :attr:`limits`), a
        sentence saying so waits for :meth:`pop_notice` of the run's owner."""
        run_id, notice = self.record_with_notice(run, secrets=secrets)
        if notice:
            with self._lock:
                self._notices.setdefault(run.owner, []).append(notice)
        return run_id

    def record_with_notice(self, run: Run, *, secrets: Iterable[str | None] = ()) -> tuple[int, str | None]:
        """:meth:`record`, returning ``(id, notice)``: ``notice`` tells the user what the storage limits
        removed (older runs, or this run's prompt), None when nothing was."""
        check_params(run.params)
        secret_tuple = tuple(s for s in (*secrets, *server_secrets()) if s)
        row = {name: getattr(run, name) for name in _COLUMNS}  # not asdict: it recurses into deep values
        row["created_at"] = run.created_at or time.time()
        for name in _JSON_FIELDS:  # deep input is kept, its pathological part elided (json would fail on it)
            row[name] = elide_deep(row[name])
        row["headers"] = scrub_headers(run.headers, *secret_tuple)
        row["request_body"] = strip_media(row["request_body"])
        for name in ("params", "messages", "request_body", "tool_calls", "output", "thinking", "system",
                     "error", "label", "backend"):
            row[name] = deep_scrub(row[name], secret_tuple)
        row["messages"] = strip_media(row["messages"])
        row["request_body"] = _share_messages(row["request_body"], row["messages"])
        for name in _JSON_FIELDS:
            row[name] = json.dumps(row[name], ensure_ascii=False, default=str)
        notes: list[str] = []
        size = _row_bytes(row)
        cap = min((c for c in (self.limits.bytes_per_session, self.limits.total_bytes) if c), default=None)
        if cap is not None and size > cap:  # this run alone is over a limit: keep it without its prompt
            for name in ("messages", "request_body"):
                row[name] = json.dumps(f"<{len(row[name].encode()):,} bytes: over the history size limit, not kept>")
            size = _row_bytes(row)
            notes.append(f"This run's prompt ({_mib(size)} and more) is over the history size limit "
                         f"({_mib(cap)}); the run is saved without it.")
        cols = ", ".join((*_COLUMNS, _SIZE_COLUMN))
        marks = ", ".join("?" for _ in range(len(_COLUMNS) + 1))
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")  # insert and prune as one step, so concurrent writers agree on the totals
        try:
            cur = conn.execute(f"INSERT INTO runs ({cols}) VALUES ({marks})", [*(row[c] for c in _COLUMNS), size])
            run_id = int(cur.lastrowid)
            notes += self._prune(conn, run.owner, run_id)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return run_id, " ".join(notes) or None

    def _prune(self, conn: sqlite3.Connection, owner: str | None, keep: int) -> list[str]:
        """Delete the oldest runs over the limits (never ``keep``, the run just written); sentences for the user."""
        limits, notes = self.limits, []
        if limits.runs_per_session:
            old = [r[0] for r in conn.execute("SELECT id FROM runs WHERE owner IS ? AND id != ? ORDER BY id DESC "
                                              "LIMIT -1 OFFSET ?", (owner, keep, limits.runs_per_session - 1))]
            if old:
                conn.executemany("DELETE FROM runs WHERE id = ?", [(i,) for i in old])
                kept = limits.runs_per_session
                notes.append(f"History keeps at most {kept} run{'s' if kept != 1 else ''} per session: the oldest "
                             f"{_runs(len(old))} removed.")
        for cap, where, args, whose in ((limits.bytes_per_session, "owner IS ?", (owner,), "this session's"),
                                        (limits.total_bytes, "1", (), "the app's")):
            if not cap:
                continue
            total = conn.execute(f"SELECT COALESCE(SUM(stored_bytes), 0) FROM runs WHERE {where}", args).fetchone()[0]
            if total <= cap:
                continue
            removed = []
            for run_id, size in conn.execute(f"SELECT id, COALESCE(stored_bytes, 0) FROM runs WHERE {where} AND id != ? "
                                             "ORDER BY id", (*args, keep)).fetchall():
                if total <= cap:
                    break
                removed.append((run_id,))
                total -= size
            conn.executemany("DELETE FROM runs WHERE id = ?", removed)
            if removed:
                notes.append(f"History is limited to {_mib(cap)} for {whose} runs: the oldest {_runs(len(removed))} "
                             "removed.")
        return notes

    def pop_notice(self, owner: str | None) -> str | None:
        """The storage-limit notices of ``owner``'s writes since the last call (None: nothing to say)."""
        with self._lock:
            notes = self._notices.pop(owner, None)
        return " ".join(notes) if notes else None

    def get(self, run_id: int, *, owner: str | None = None) -> Run | None:
        """The run with this id, or None; with ``owner``, None also when the run is someone else's
        (indistinguishable from a missing id, so a reader learns nothing about other sessions)."""
        sql, args = "SELECT * FROM runs WHERE id = ?", [int(run_id)]
        if owner is not None:
            sql += " AND owner = ?"
            args.append(owner)
        row = self._conn().execute(sql, args).fetchone()
        return _from_row(row) if row else None

    def search(self, text: str = "", *, model: str = "", kind: str = "", group_id: str = "",
               owner: str | None = None, limit: int = 100) -> list[Run]:
        """Newest first. ``text`` matches (case-insensitively) output, messages, system, params, thinking,
        label or error; ``model``/``kind``/``group_id`` filter exactly when given; ``owner`` (None: every
        owner) keeps one browser session's runs."""
        where, args = [], []  # column names qualified: the index table has columns of the same names
        if owner is not None:
            where.append("runs.owner = ?")
            args.append(owner)
        if text:
            like, like_args = index.like_clause(text)
            where.append(like)
            args += like_args
        for name, value in (("model", model), ("kind", kind), ("group_id", group_id)):
            if value:
                where.append(f"runs.{name} = ?")
                args.append(value)
        limit_arg = max(1, int(limit))
        conn = self._conn()
        if text and index.uses_index(text, self._fts):
            match = index.match_query(text, index.trigram_rows(conn, text, self._trigram_rows))
            if not index.any_candidate(conn, match):
                return []
            # The index finds the candidates, newest first; LIKE on them keeps exactly LIKE's rows.
            sql = ("SELECT runs.* FROM runs_fts JOIN runs ON runs.id = runs_fts.rowid WHERE runs_fts MATCH ? AND "
                   + " AND ".join(where) + " ORDER BY runs_fts.rowid DESC LIMIT ?")
            args = [match, *args, limit_arg]
        else:
            sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "")
            sql += " ORDER BY runs.id DESC LIMIT ?"
            args.append(limit_arg)
        return [_from_row(r) for r in conn.execute(sql, args).fetchall()]

    def models(self, *, owner: str | None = None) -> list[str]:
        """Every model that has a stored run (of ``owner``, when given), for a filter dropdown. Read from
        the model list the store's triggers maintain (``store.index``), not by scanning the runs."""
        rows = self._conn().execute("SELECT model FROM run_models WHERE owner = ? ORDER BY model",
                                    (index.ALL_OWNERS if owner is None else owner,)).fetchall()
        return [r[0] for r in rows]

    def count(self, *, owner: str | None = None) -> int:
        """How many runs are stored (of ``owner``, when given)."""
        if owner is None:
            return int(self._conn().execute("SELECT COUNT(*) FROM runs").fetchone()[0])
        return int(self._conn().execute("SELECT COUNT(*) FROM runs WHERE owner = ?", (owner,)).fetchone()[0])


def _from_row(row: sqlite3.Row) -> Run:
    data = dict(row)
    data.pop(_SIZE_COLUMN, None)
    for name in _JSON_FIELDS:
        data[name] = json.loads(data[name]) if data.get(name) else ({} if name in (
            "params", "usage", "headers", "request_body") else [])
    data["request_body"] = _unshare_messages(data["request_body"], data["messages"])
    return Run(**data)


def _share_messages(body: Any, messages: Any) -> Any:
    """``body`` with the messages it shares with ``messages`` replaced by references (a prompt is stored once)."""
    sent = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(sent, list) or not isinstance(messages, list) or not messages:
        return body
    if sent == messages:
        return {**body, "messages": {_REF: _ALL_MESSAGES}}
    shared = [{_REF: i} if i < len(messages) and m == messages[i] else m for i, m in enumerate(sent)]
    return {**body, "messages": shared}


def _unshare_messages(body: Any, messages: Any) -> Any:
    """The inverse of :func:`_share_messages`."""
    sent = body.get("messages") if isinstance(body, dict) else None
    if sent == {_REF: _ALL_MESSAGES}:
        return {**body, "messages": messages}
    if isinstance(sent, list) and isinstance(messages, list):
        def resolve(m: Any) -> Any:
            ref = m.get(_REF) if isinstance(m, dict) and len(m) == 1 else None
            return messages[ref] if isinstance(ref, int) and 0 <= ref < len(messages) else m
        return {**body, "messages": [resolve(m) for m in sent]}
    return body


def _row_bytes(row: dict[str, Any]) -> int:
    return sum(len(v.encode()) for v in row.values() if isinstance(v, str))


def _mib(size: int) -> str:
    return f"{size / 1024**2:,.1f} MiB"


def _runs(n: int) -> str:
    return "run was" if n == 1 else f"{n} runs were"


_default: RunStore | None = None
_default_lock = threading.Lock()


def get_store() -> RunStore:
    """The process-wide store at :func:`default_path` (created on first use)."""
    global _default
    with _default_lock:
        if _default is None or _default.path != default_path():
            _default = RunStore()
        return _default


def record_run(*, secrets: Iterable[str | None] = (), store: RunStore | None = None, **fields: Any) -> int | None:
    """Record one run in the default store; never raises into a chat handler.

    Call it once a turn has finished (or failed), e.g. from the chat handler::

        store.record_run(kind="chat", backend=api_base, model=model, params=params, system=system,
                         messages=messages, output=acc.text, thinking=acc.thinking,
                         tool_calls=[asdict(c) for c in acc.tool_calls],
                         stop_reason=acc.finish and acc.finish.raw, usage=asdict(acc.usage or Usage()),
                         headers=acc.headers and acc.headers.headers, request_body=acc.request and acc.request.body,
                         ttft_s=ttft, duration_s=elapsed, secrets=[api_key])

    Unknown field names are ignored (so callers may pass extra context). Returns the new id, or None
    when the store could not write (history must never break a chat); a refused credential still raises.
    """
    known = {k: v for k, v in fields.items() if k in Run.__dataclass_fields__ and k not in ("id", "created_at")}
    run = Run(**known)
    try:
        return (store or get_store()).record(run, secrets=secrets)
    except HistoryError:
        raise
    except (sqlite3.Error, OSError, RecursionError, TypeError, ValueError):  # never break a chat over history
        return None

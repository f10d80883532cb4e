"""Pending Message Batches a tab started, kept in the run history's own SQLite file.

    ledger = BatchLedger(store.get_store())
    ledger.save(PendingBatch(batch_id, "sweep", owner, record))   # before the first poll
    for pending in ledger.pending(owner=None): ...               # after a restart: collect, never re-create
    ledger.mark_cell(batch_id, "cell-3", run_id)                  # a cell already written to History
    ledger.mark_collected(batch_id)

``record`` is what rebuilds the tab's table (the cells' settings, messages and labels): settings hold
no key, and the record is scrubbed of the server's keys like every stored run. Cells are marked one by
one, so an app stopped half-way through collecting does not write a cell to History twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..secrets import server_secrets
from .guard import deep_scrub

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending_batches (
    batch_id TEXT PRIMARY KEY, kind TEXT, owner TEXT, created_at REAL, collected INTEGER DEFAULT 0, record TEXT
);
CREATE TABLE IF NOT EXISTS pending_batch_cells (
    batch_id TEXT, custom_id TEXT, run_id INTEGER, PRIMARY KEY (batch_id, custom_id)
);
"""


@dataclass
class PendingBatch:
    """One batch a tab created: ``record`` is the tab's own JSON (what it needs to rebuild its view)."""

    batch_id: str
    kind: str
    owner: str | None = field(default=None, repr=False)  # a capability: never shown
    record: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    collected: bool = False


class BatchLedger:
    """The pending-batch tables beside the runs table of ``run_store`` (same file, own connection per thread)."""

    def __init__(self, run_store: Any) -> None:
        self.path = run_store.path
        self._local = threading.local()
        self._conn().executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def save(self, pending: PendingBatch, *, secrets: Iterable[str | None] = ()) -> None:
        """Store ``pending`` (its record scrubbed of ``secrets`` and the server's keys, as a stored run
        is), replacing one with the same id."""
        record = deep_scrub(pending.record, tuple(s for s in (*secrets, *server_secrets()) if s))
        self._conn().execute(
            "INSERT OR REPLACE INTO pending_batches (batch_id, kind, owner, created_at, collected, record) "
            "VALUES (?, ?, ?, ?, ?, ?)", (pending.batch_id, pending.kind, pending.owner,
                                          pending.created_at or time.time(), int(pending.collected),
                                          json.dumps(record, ensure_ascii=False, default=str)))

    def get(self, batch_id: str) -> PendingBatch | None:
        row = self._conn().execute("SELECT batch_id, kind, owner, created_at, collected, record FROM pending_batches "
                                   "WHERE batch_id = ?", (batch_id,)).fetchone()
        return _pending(row) if row else None

    def pending(self, *, kind: str = "", owner: str | None = None) -> list[PendingBatch]:
        """Batches not collected yet, newest first (``owner``: only that session's; None: everyone's)."""
        sql = ("SELECT batch_id, kind, owner, created_at, collected, record FROM pending_batches "
               "WHERE collected = 0")
        args: list[Any] = []
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        if owner is not None:
            sql += " AND owner = ?"
            args.append(owner)
        return [_pending(r) for r in self._conn().execute(sql + " ORDER BY created_at DESC", args).fetchall()]

    def mark_cell(self, batch_id: str, custom_id: str, run_id: int | None) -> None:
        """Cell ``custom_id`` of the batch is in History (as ``run_id``): never write it again."""
        self._conn().execute("INSERT OR REPLACE INTO pending_batch_cells VALUES (?, ?, ?)",
                             (batch_id, custom_id, run_id))

    def cells(self, batch_id: str) -> dict[str, int | None]:
        """The cells of the batch already in History: ``{custom_id: run_id}``."""
        rows = self._conn().execute("SELECT custom_id, run_id FROM pending_batch_cells WHERE batch_id = ?",
                                    (batch_id,)).fetchall()
        return {r[0]: r[1] for r in rows}

    def mark_collected(self, batch_id: str) -> None:
        self._conn().execute("UPDATE pending_batches SET collected = 1 WHERE batch_id = ?", (batch_id,))


def _pending(row: tuple[Any, ...]) -> PendingBatch:
    return PendingBatch(row[0], row[1], row[2], json.loads(row[5] or "{}"), row[3], bool(row[4]))

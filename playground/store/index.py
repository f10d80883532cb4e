"""What keeps History fast at 100k runs: a full-text index for text search and a maintained model list.

Both live in the history database and are kept in step by SQLite triggers on ``runs`` (insert, delete,
update), so every writer — this store, another process, a pruning ``DELETE`` — keeps them consistent
without calling anything here. A store made by an older version gets them on first open
(:func:`ensure`, in one transaction with the triggers, so no run written meanwhile is missed).

Text search semantics are those of the former ``LIKE '%text%'`` over :data:`SEARCHED`, unchanged:
- queries of :data:`MIN_INDEXED` (3) or more characters look up the FTS5 ``trigram`` index for rows
  holding every one of the query's trigrams (a superset of the rows holding the text: the index folds case at least
  as broadly as ``LIKE``); the same ``LIKE`` then runs on those candidate rows only, so the rows found
  are exactly ``LIKE``'s (``LIKE`` folds ASCII case only: ``é`` does not find ``É``, as before). The
  index keeps no positions (``detail=none``): half the size, and the LIKE does the exact test anyway;
- shorter queries (a trigram index cannot look up one or two characters) fall back to ``LIKE`` over
  the table; they match most rows, so the newest ``limit`` are found after a short scan anyway;
- an SQLite without FTS5 or the trigram tokenizer (3.34+) falls back to ``LIKE`` for every query.

The model list is the ``run_models`` table: a run count per (owner, model), the owner ``''`` holding the
counts over every owner (no real owner id is empty: see ``store.new_owner``).
"""

from __future__ import annotations

import sqlite3

# The columns a text search looks in (in this order in the index).
SEARCHED: tuple[str, ...] = ("output", "messages", "system", "params", "thinking", "label", "error", "model")
MIN_INDEXED = 3
MAX_TERMS = 16  # trigrams an index query looks up at most (see match_query)
ALL_OWNERS = ""

_COLS = ", ".join(SEARCHED)
_NEW = ", ".join(f"new.{c}" for c in SEARCHED)
_OLD = ", ".join(f"old.{c}" for c in SEARCHED)

_FTS = f"""
CREATE VIRTUAL TABLE runs_fts USING fts5({_COLS}, content='runs', content_rowid='id', tokenize='trigram',
                                detail='none');
CREATE TRIGGER runs_fts_insert AFTER INSERT ON runs BEGIN
    INSERT INTO runs_fts(rowid, {_COLS}) VALUES (new.id, {_NEW});
END;
CREATE TRIGGER runs_fts_delete AFTER DELETE ON runs BEGIN
    INSERT INTO runs_fts(runs_fts, rowid, {_COLS}) VALUES ('delete', old.id, {_OLD});
END;
CREATE TRIGGER runs_fts_update AFTER UPDATE OF {_COLS} ON runs BEGIN
    INSERT INTO runs_fts(runs_fts, rowid, {_COLS}) VALUES ('delete', old.id, {_OLD});
    INSERT INTO runs_fts(rowid, {_COLS}) VALUES (new.id, {_NEW});
END;
INSERT INTO runs_fts(runs_fts) VALUES ('rebuild');
"""


def _count(row: str, delta: int) -> str:
    """Statements adding ``delta`` (+1 / -1) to run ``row``'s model count (``new`` / ``old``), under every
    owner and under its own owner (when it has one); a count that reaches 0 is removed."""
    model = f"COALESCE({row}.model, '')"
    if delta > 0:
        upsert = "ON CONFLICT(owner, model) DO UPDATE SET runs = runs + 1;"
        return (f"INSERT INTO run_models(owner, model, runs) VALUES ('{ALL_OWNERS}', {model}, 1) {upsert} "
                f"INSERT INTO run_models(owner, model, runs) SELECT {row}.owner, {model}, 1 "
                f"WHERE {row}.owner IS NOT NULL {upsert}")
    which = f"model = {model} AND (owner = '{ALL_OWNERS}' OR owner = {row}.owner)"
    return f"UPDATE run_models SET runs = runs - 1 WHERE {which}; DELETE FROM run_models WHERE {which} AND runs <= 0;"


_MODELS = f"""
CREATE TABLE run_models (owner TEXT NOT NULL, model TEXT NOT NULL, runs INTEGER NOT NULL,
                         PRIMARY KEY (owner, model)) WITHOUT ROWID;
CREATE TRIGGER run_models_insert AFTER INSERT ON runs BEGIN {_count('new', 1)} END;
CREATE TRIGGER run_models_delete AFTER DELETE ON runs BEGIN {_count('old', -1)} END;
CREATE TRIGGER run_models_update AFTER UPDATE OF owner, model ON runs BEGIN
    {_count('old', -1)} {_count('new', 1)}
END;
INSERT INTO run_models(owner, model, runs) SELECT '{ALL_OWNERS}', COALESCE(model, ''), COUNT(*) FROM runs
    GROUP BY COALESCE(model, '');
INSERT INTO run_models(owner, model, runs) SELECT owner, COALESCE(model, ''), COUNT(*) FROM runs
    WHERE owner IS NOT NULL GROUP BY owner, COALESCE(model, '');
"""


def _exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


def ensure(conn: sqlite3.Connection) -> bool:
    """Create the index and the model list (with their triggers) if this database lacks them, filling
    them from the runs already stored. Returns whether full-text search is available."""
    conn.execute("BEGIN IMMEDIATE")  # one writer at a time: two processes opening an old store build once
    try:
        if not _exists(conn, "run_models"):
            _run_script(conn, _MODELS)
        fts = _exists(conn, "runs_fts")
        if not fts:
            try:
                conn.execute("SAVEPOINT fts")
                _run_script(conn, _FTS)
                conn.execute("RELEASE fts")
                fts = True
            except sqlite3.OperationalError as exc:  # no FTS5 / no trigram tokenizer: LIKE only
                conn.execute("ROLLBACK TO fts")
                conn.execute("RELEASE fts")
                if "fts5" not in str(exc).lower() and "tokenizer" not in str(exc).lower():
                    raise
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return fts


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would commit the open transaction: run the statements one by one inside it
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""


def like_pattern(text: str) -> str:
    """``text`` as a ``LIKE ... ESCAPE '\\'`` pattern matching it anywhere."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def like_clause(text: str) -> tuple[str, list[str]]:
    """The ``LIKE`` condition over :data:`SEARCHED` of table ``runs``, and its arguments."""
    return ("(" + " OR ".join(f"runs.{c} LIKE ? ESCAPE '\\'" for c in SEARCHED) + ")",
            [like_pattern(text)] * len(SEARCHED))


def uses_index(text: str, fts: bool) -> bool:
    """Whether a search for ``text`` can look up the trigram index."""
    return fts and len(text) >= MIN_INDEXED


RAREST = 3  # trigrams a query looks up when their row counts are known (see match_query)
_VOCAB = "CREATE VIRTUAL TABLE IF NOT EXISTS temp.runs_vocab USING fts5vocab(main, 'runs_fts', 'row')"


def trigram_rows(conn: sqlite3.Connection, text: str, known: dict[str, int]) -> dict[str, int]:
    """How many rows hold each distinct trigram of ``text``, from ``known`` (a cache the caller keeps) or
    the index's vocabulary. Counting a trigram reads its whole doclist (as long as a search for it), so
    each is counted once and kept: counts that go stale as runs are added only make a search slower,
    never wrong (the LIKE that follows is the exact test)."""
    grams = _grams(text)
    counts = {g: known.get(g) for g in grams}
    missing = [g for g, n in counts.items() if n is None]
    if missing:
        conn.execute(_VOCAB)  # (per connection, in its temp schema: nothing written to the store)
        found = dict(conn.execute(f"SELECT term, doc FROM temp.runs_vocab WHERE term IN ({','.join('?' * len(missing))})",
                                  missing).fetchall())
        if len(known) > 100_000:  # bounded: a long-lived process searching everything
            known.clear()
        for g in missing:
            counts[g] = known[g] = int(found.get(g, 0))
    return counts


def match_query(text: str, rows: dict[str, int] | None = None) -> str:
    """An FTS5 query for rows holding the trigrams of ``text``: a superset of the rows holding ``text``,
    which the LIKE that follows narrows down. Every distinct trigram, up to :data:`MAX_TERMS`: a text
    found nowhere almost always has a trigram found nowhere, so the index answers "no rows" at once
    (a sparse cover of common trigrams, ``sub mar ine`` for "submarine", left candidates for the LIKE
    to read that grew with the store: 117 rows at 100k runs). A longer text takes :data:`MAX_TERMS`
    trigrams spread over it (and its last): as selective, and each term more costs a doclist walk.

    ``rows`` (:func:`trigram_rows`): then only the :data:`RAREST` trigrams, those in fewest rows. Common
    trigrams cost a long doclist walk and narrow little ("harpsichord" at 100k runs: 3.3 ms with its 9
    trigrams, 0.4 ms with its 3 rarest, the same 20 rows)."""
    grams = _grams(text)
    if rows is not None:
        grams = sorted(grams, key=lambda g: rows.get(g, 0))[:RAREST]
    return " AND ".join('"' + g.replace('"', '""') + '"' for g in grams)


def _grams(text: str) -> list[str]:
    """The distinct trigrams of ``text`` in order, at most :data:`MAX_TERMS` (+1) spread over a long text."""
    grams = list(dict.fromkeys(text[i:i + 3] for i in range(len(text) - 2)))
    if len(grams) > MAX_TERMS:
        step = -(-len(grams) // MAX_TERMS)
        grams = list(dict.fromkeys([*grams[::step], grams[-1]]))
    return grams


def any_candidate(conn: sqlite3.Connection, match: str) -> bool:
    """Whether any row holds the trigrams of ``match``, asked in ascending rowid order. The search itself
    reads newest first, and FTS5 opens a descending cursor by walking each term's doclist in every index
    segment: work that grows with the store even when the terms have no row in common (2.2 ms for
    "submarine" at 100k runs, against 0.25 ms ascending). So a search with no candidate stops here."""
    return conn.execute("SELECT 1 FROM runs_fts WHERE runs_fts MATCH ? LIMIT 1", (match,)).fetchone() is not None

"""History search through the FTS5 trigram index finds exactly what the former ``LIKE`` search found,
stays in step with every write (inserts, deletes such as pruning, other connections), survives a
restart, and is built for a store created before it existed; the model list follows the runs."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from playground.store import Run, RunStore, index

WORDS = ("river", "moon", "Forest", "clock", "bread", "sea", "train", "winter", "bee", "map", "été", "ÉTÉ",
         "naïve", "100%", "snake_case", 'say "hi"', "back\\slash", "日本語", "x")


def like_ids(store: RunStore, text: str, owner: str | None = None, model: str = "", limit: int = 100) -> list[int]:
    """The reference: the search as it was before the index (a LIKE over the same eight columns)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    cols = ("output", "messages", "system", "params", "thinking", "label", "error", "model")
    sql = "SELECT id FROM runs WHERE (" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in cols) + ")"
    args: list[object] = [pattern] * len(cols)
    if owner is not None:
        sql, args = sql + " AND owner = ?", [*args, owner]
    if model:
        sql, args = sql + " AND model = ?", [*args, model]
    rows = store._conn().execute(sql + " ORDER BY id DESC LIMIT ?", [*args, limit]).fetchall()
    return [r[0] for r in rows]


def ids(runs: list[Run]) -> list[int]:
    return [r.id for r in runs if r.id is not None]


def fill(store: RunStore, n: int, rng: random.Random) -> list[str]:
    texts = []
    for i in range(n):
        output = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))
        prompt = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
        texts += [output, prompt]
        store.record(Run(kind=rng.choice(["chat", "sweep"]), model=rng.choice(["tiny", "claude-haiku-4-5", "m_1"]),
                         params={"temperature": rng.choice([0, 0.5, 1])}, system=rng.choice([None, "Be brief."]),
                         messages=[{"role": "user", "content": prompt}], output=output,
                         error=rng.choice([None, None, "OverloadedError: 529"]), label=f"cell {i}",
                         owner=rng.choice([None, "owner-a", "owner-b"])))
    return texts


def queries(texts: list[str], rng: random.Random) -> list[str]:
    """Substrings of stored text (1 to 12 characters, so both the LIKE fallback and the index are used),
    case changes, text that is nowhere, and LIKE / FTS syntax characters."""
    out = ["", "zzz-nowhere", "%", "_", "\\", '"', '""', "100%", "e_c", "OR", "river AND sea", "NEAR(", "*", "été",
           "ÉTÉ", "Été", "日本", "temperature", "0.5", "cell 1", "Overloaded", "claude-haiku"]
    for _ in range(120):
        text = rng.choice(texts)
        start = rng.randrange(len(text))
        piece = text[start:start + rng.randint(1, 12)]
        out.append(piece.upper() if rng.random() < 0.3 else piece)
    return out


def test_index_search_returns_exactly_the_like_rows(tmp_path: Path):
    rng = random.Random(14)
    store = RunStore(tmp_path / "h.sqlite3")
    assert store._fts  # this SQLite has FTS5 with the trigram tokenizer
    texts = fill(store, 400, rng)
    checked = 0
    for q in queries(texts, rng):
        for owner, model in ((None, ""), ("owner-a", ""), (None, "tiny")):
            for limit in (5, 100):
                assert ids(store.search(q, owner=owner, model=model, limit=limit)) == like_ids(
                    store, q, owner, model, limit), (q, owner, model, limit)
                checked += 1
    assert checked > 800
    long_query = rng.choice([t for t in texts if len(t) > 20])[:15]
    assert index.uses_index(long_query, True) and store.search(long_query)  # the index path found something


def test_index_follows_deletes_other_connections_and_a_restart(tmp_path: Path):
    path = tmp_path / "h.sqlite3"
    store = RunStore(path)
    a = store.record(Run(model="tiny", output="the lighthouse keeper", owner="owner-a"))
    b = store.record(Run(model="claude-haiku-4-5", output="a lighthouse at dusk", owner="owner-b"))
    # another process's write (a plain connection, not this store's code): the triggers index it
    with sqlite3.connect(path) as other:
        other.execute("INSERT INTO runs (kind, model, output, owner, params, messages, created_at) "
                      "VALUES ('chat', 'm-other', 'lighthouse from elsewhere', 'owner-a', '{}', '[]', 1)")
    assert len(store.search("lighthouse")) == 3
    assert store.models() == ["claude-haiku-4-5", "m-other", "tiny"]
    assert store.models(owner="owner-a") == ["m-other", "tiny"]
    # pruning by DELETE: gone from the results and from the model list
    store._conn().execute("DELETE FROM runs WHERE id = ?", (b,))
    assert ids(store.search("lighthouse")) == [b + 1, a]
    assert store.models() == ["m-other", "tiny"] and store.models(owner="owner-b") == []
    store.close()

    reopened = RunStore(path)
    assert ids(reopened.search("LIGHTHOUSE")) == [b + 1, a]
    c = reopened.record(Run(model="tiny", output="lighthouse again", owner="owner-a"))
    assert ids(reopened.search("lighthouse", owner="owner-a")) == [c, b + 1, a]
    assert reopened.models(owner="owner-a") == ["m-other", "tiny"]
    reopened._conn().execute("UPDATE runs SET output = 'renamed' WHERE id = ?", (a,))
    assert ids(reopened.search("lighthouse")) == [c, b + 1]
    assert ids(reopened.search("renamed")) == [a]


# The schema of a store made before the index (and before the owner column): 0.x history files.
OLD_SCHEMA = """
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT, backend TEXT, model TEXT, params TEXT,
    system TEXT, messages TEXT, media TEXT, output TEXT, thinking TEXT, tool_calls TEXT, stop_reason TEXT,
    usage TEXT, cost_usd REAL, ttft_s REAL, duration_s REAL, tokens_per_s REAL, headers TEXT, request_body TEXT,
    error TEXT, group_id TEXT, parent_id INTEGER, label TEXT, created_at REAL);
CREATE INDEX runs_created ON runs(created_at);
"""


def test_index_and_model_list_are_built_for_an_old_store(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    rng = random.Random(3)
    with sqlite3.connect(path) as old:
        old.executescript(OLD_SCHEMA)
        for i in range(150):
            output = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))
            old.execute("INSERT INTO runs (kind, model, params, messages, output, label, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        ("chat", f"model-{i % 4}", json.dumps({"temperature": 1}),
                         json.dumps([{"role": "user", "content": f"question {i}"}]), output, "", float(i)))
    store = RunStore(path)
    names = {r[0] for r in store._conn().execute("SELECT name FROM sqlite_master").fetchall()}
    assert {"runs_fts", "run_models", "runs_fts_insert", "runs_fts_delete"} <= names
    assert store.models() == ["model-0", "model-1", "model-2", "model-3"]
    for q in ["question 1", "river", "Forest", "été", "100%", "nowhere at all", "model-2", "estion 14"]:
        assert ids(store.search(q)) == like_ids(store, q), q
    assert len(store.search("question 1")) == 61  # 1, 10-19, 100-149
    store.close()
    again = RunStore(path)  # the second open builds nothing twice
    assert again._conn().execute("SELECT COUNT(*) FROM runs_fts_docsize").fetchone()[0] == 150


@pytest.mark.parametrize("text,expected", [("ab", False), ("abc", True), ("日本語", True)])
def test_short_queries_fall_back_to_like(text: str, expected: bool):
    assert index.uses_index(text, True) is expected
    assert index.uses_index(text, False) is False


def test_the_index_query_asks_for_every_trigram_of_the_text():
    assert index.match_query("abc") == '"abc"'
    assert index.match_query("abcdefg") == '"abc" AND "bcd" AND "cde" AND "def" AND "efg"'
    assert index.match_query("terter") == '"ter" AND "ert" AND "rte"'  # each distinct trigram once
    assert index.match_query('a"bc') == '"a""b" AND """bc"'
    long = "".join(chr(0x4E00 + i) for i in range(100))  # 98 distinct trigrams, more than MAX_TERMS (16)
    terms = index.match_query(long).split(" AND ")
    # every 7th (ceil(98 / 16)): the trigrams at 0, 7, ..., 91, and the last one at 97
    assert terms == [f'"{long[i:i + 3]}"' for i in [*range(0, 92, 7), 97]]


# Rows holding "sub", "mar" and "ine" but not "submarine": a sparse trigram cover of the word finds them
# all, and the LIKE then had to read every one (the no-match search grew 3.6x from 1k to 100k runs).
DECOY = "a subject, a market and a line"


def add_decoys(store: RunStore, n: int) -> None:
    conn = store._conn()
    with conn:  # one transaction; the triggers index every row
        conn.executemany("INSERT INTO runs (kind, model, output, owner, params, messages, created_at) "
                         "VALUES ('chat', 'tiny', ?, 'owner-a', '{}', '[]', 1)",
                         [(f"{DECOY} {i}",) for i in range(n)])


def vm_steps(store: RunStore, search) -> int:
    """SQLite virtual-machine steps (in tens) a search costs: work counted, not timed."""
    conn, steps = store._conn(), [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(tick, 10)
    try:
        search()
    finally:
        conn.set_progress_handler(None, 0)
    return steps[0]


def test_a_search_for_text_found_nowhere_reads_no_row(tmp_path: Path):
    store = RunStore(tmp_path / "h.sqlite3")
    add_decoys(store, 1000)
    conn, match = store._conn(), index.match_query("submarine")
    # no candidate at all: the index knows that no row holds "ubm" or "bma"
    assert conn.execute("SELECT COUNT(*) FROM runs_fts WHERE runs_fts MATCH ?", (match,)).fetchone()[0] == 0
    assert store.search("submarine") == [] and len(store.search("subject, a market")) == 100
    one_lookup = vm_steps(store, lambda: conn.execute("SELECT 1 FROM runs_fts WHERE runs_fts MATCH ? LIMIT 1",
                                                      (match,)).fetchall())
    for owner in (None, "owner-a"):
        steps = vm_steps(store, lambda owner=owner: store.search("submarine", owner=owner))
        # one index lookup and nothing after it (a LIKE over 1,000 candidate rows costs thousands of steps)
        assert steps <= one_lookup + 3, (steps, one_lookup)


@pytest.mark.parametrize("filters", [{}, {"owner": "owner-a"}, {"model": "tiny", "kind": "chat"},
                                     {"owner": "owner-a", "model": "tiny", "group_id": "g"}])
def test_an_index_search_reads_the_index_then_runs_by_key(tmp_path: Path, filters: dict[str, str]):
    store = RunStore(tmp_path / "h.sqlite3")
    add_decoys(store, 50)
    store.record(Run(kind="chat", model="tiny", output="the submarine", owner="owner-a", group_id="g"))
    conn, statements = store._conn(), []
    conn.set_trace_callback(statements.append)  # the statements as run, parameters filled in
    try:
        assert len(store.search("submarine", **filters)) == 1
    finally:
        conn.set_trace_callback(None)
    main = [s for s in statements if "JOIN runs" in s]
    assert len(main) == 1, statements
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + main[0]).fetchall()]
    assert plan[0].startswith("SCAN runs_fts VIRTUAL TABLE INDEX"), plan  # the FTS index drives the query
    assert plan[1:] == ["SEARCH runs USING INTEGER PRIMARY KEY (rowid=?)"], plan  # no scan, no sort


def test_with_row_counts_the_query_asks_for_the_rarest_trigrams_only():
    rows = {"har": 900, "arp": 40, "rps": 3, "psi": 20, "sic": 500, "ich": 800, "cho": 700, "hor": 950, "ord": 990}
    assert index.match_query("harpsichord", rows) == '"rps" AND "psi" AND "arp"'
    assert index.match_query("abc", {"abc": 5}) == '"abc"'


def test_trigram_counts_are_read_once_and_stale_ones_never_lose_a_row(tmp_path: Path):
    store = RunStore(tmp_path / "h.sqlite3")
    conn = store._conn()
    with conn:
        conn.executemany("INSERT INTO runs (kind, model, output, owner, params, messages, created_at) "
                         "VALUES ('chat', 'tiny', ?, 'o', '{}', '[]', 1)",
                         [("a harpsichord in the hall",), ("the hall",), ("a harp",)])
    assert ids(store.search("harpsichord")) == like_ids(store, "harpsichord") == [1]
    counted = dict(store._trigram_rows)
    assert counted["har"] == 2 and counted["psi"] == 1 and "hal" not in counted  # only the text's trigrams
    store.search("harpsichord")
    assert store._trigram_rows == counted, "counted once"
    # new rows make the cached counts stale (they say "psi" is in 1 row, "sic" in 1): still every row is found
    with conn:
        conn.executemany("INSERT INTO runs (kind, model, output, owner, params, messages, created_at) "
                         "VALUES ('chat', 'tiny', ?, 'o', '{}', '[]', 1)", [("Harpsichord music",)] * 3)
    assert ids(store.search("harpsichord")) == like_ids(store, "harpsichord") == [6, 5, 4, 1]

"""Costs as the work grows: sweeps, history search, a long chat, many sessions. Every ratio is against the
smallest size measured in the same run.

    python benchmarks/bench_scale.py                                   # 200/1,000/5,000 cells; 1k/10k/100k runs
    python benchmarks/bench_scale.py --cells 20,40 --runs 200,400 --turns 1,3 --sessions 3 --idle-s 2   # smoke

What is measured, and how:
- **sweep**: ``SweepHandlers.run`` driven in this process (no browser) against the offline emulator in its
  own process, unpaced, 5 repeats per grid point, 4 concurrent requests. Each table the handler yields
  is put through ``gr.Dataframe.postprocess`` and JSON-encoded, as Gradio would before sending it. App
  CPU = this process's CPU time (every thread: the handler, the runner, the history writes).
- **history**: a store grown to each size with realistic runs (a 500-character prompt, a 1,500-character
  reply, the request body; 50 owners, 3 models); 20 runs hold the rare word, placed at random. Text
  search (rare word, a word in no run, a common word, a 2-character query that falls back to LIKE),
  the History list (no text), and the model list; the former ``LIKE`` search of the same rare word
  beside it. Median of 5, ms.
- **chat**: one chat in a real app (``python app.py`` as a subprocess), driven by ``raw_queue`` like the
  page (Send and its follow-up event); bytes received per turn over the SSE stream, and the app
  process's CPU per turn (``/proc``). The same for a bare Gradio chatbot (``bare_chat_app.py``) as the
  floor Gradio itself imposes.
- **sessions**: the app's RSS (``/proc``) at start, with N idle sessions (each loaded its page events
  and holds its heartbeat, as a page does), and ``--idle-s`` after they all closed.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# every run this benchmark makes is recorded in a throw-away history, never the user's
_TMP = Path(tempfile.mkdtemp(prefix="bench-scale-"))
os.environ["PLAYGROUND_HISTORY_PATH"] = str(_TMP / "history.sqlite3")

CORPUS = (ROOT / "playground" / "emulator" / "corpus" / "alice.txt").read_text(encoding="utf-8")
# One rare word per history size, in 20 runs at random over the whole store; and words found in no run.
RARE_WORDS = ("lighthouse", "windmill", "harpsichord", "observatory", "quartermaster")
ABSENT, COMMON, SHORT = "submarine", "Alice", "th"
OWNER = "owner-7"  # one of 50: a session-scope search
REPEATS = 5
WORDS = re.findall(r"\S+", CORPUS)


def ratio_rows(title: str, head: list[str], rows: list[list[Any]], ratio_cols: list[int]) -> None:
    """Print a table; each column in ``ratio_cols`` gets a ratio against the first row."""
    print(f"\n## {title}", flush=True)
    cols = head + [f"{head[c]} ratio" for c in ratio_cols]
    print(" | ".join(cols))
    for row in rows:
        ratios = [f"{row[c] / rows[0][c]:.2f}x" if rows[0][c] else "-" for c in ratio_cols]
        print(" | ".join(f"{v:,.3f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
                         for v in row) + " | " + " | ".join(ratios), flush=True)


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- sweeps ------------------------------------------------------------------------------------------
def grid_for(cells: int) -> tuple[str, str, str, str]:
    """Axes giving ``cells`` runs at REPEATS repeats: temperature (up to 40 points) x top_k."""
    points = max(1, cells // REPEATS)
    first = min(points, 40)
    second = max(1, points // first)
    t = f"0..1 x{first}" if first > 1 else "0.5"
    return ("temperature", t, "top_k", f"1:{second}:1") if second > 1 else ("temperature", t, "(none)", "")


async def one_sweep(cells: int, api_base: str) -> tuple[float, float, int, int]:
    import gradio as gr
    import pandas as pd

    from playground.settings import FIELDS, RunSettings
    from playground.tuning import cost
    from playground.ui.context import UIContext
    from playground.ui.session import Session
    from playground.ui.tuning.sweep import SweepHandlers

    backends = SimpleNamespace(target=lambda *_a, **_k: SimpleNamespace(
        api_key="bench", api_base=api_base, provider=None, kind="offline", guard_kwargs=dict))
    ctx = UIContext(backends=backends, backend=None, api_key=None, model=None)  # type: ignore[arg-type]
    ui = {**RunSettings().to_ui(), "model": "playground-tiny", "max_tokens": 40}
    p1, v1, p2, v2 = grid_for(cells)
    frame = gr.Dataframe()
    sent = refreshes = 0
    wall, cpu = time.perf_counter(), time.process_time()
    async for out in SweepHandlers(ctx).run(p1, v1, p2, v2, REPEATS, "Tell me about rivers.", 4,
                                            cost.SpendCap(cap_usd=1e9), Session(), "", *[ui[k] for k in FIELDS]):
        refreshes += 1
        for value in out[2:4]:  # the two tables, serialized as Gradio would send them
            if isinstance(value, pd.DataFrame):
                sent += len(json.dumps(frame.postprocess(value).model_dump(), default=str))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    head = out[0]
    if not head.startswith("Done"):
        raise RuntimeError(f"sweep of {cells} cells did not finish: {head}")
    return wall, cpu, refreshes, sent


def bench_sweeps(sizes: list[int]) -> None:
    import subprocess

    from app_server import free_port

    port = free_port()
    emulator = subprocess.Popen([sys.executable, "-m", "playground.emulator", "--port", str(port), "--seed", "1"],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        api_base = f"http://127.0.0.1:{port}/v1"
        asyncio.run(one_sweep(REPEATS * 2, api_base))  # warm-up (imports, first connections): not reported
        rows = []
        for cells in sizes:
            actual = _cells(cells)
            wall, cpu, refreshes, sent = asyncio.run(one_sweep(cells, api_base))
            rows.append([actual, wall, cpu, cpu / actual * 1000, refreshes, sent // 1024])
        ratio_rows("Sweep (in-process SweepHandlers.run, emulator in its own process, unpaced)",
                   ["cells", "time s", "app CPU s", "CPU ms/cell", "refreshes", "tables KB"], rows, [3])
    finally:
        emulator.terminate()
        emulator.wait(10)


def _cells(cells: int) -> int:
    from playground.tuning import grid

    p1, v1, p2, v2 = grid_for(cells)
    axes = [grid.parse_axis(p1, v1)] + ([grid.parse_axis(p2, v2)] if p2 != "(none)" else [])
    return len(grid.expand(axes, REPEATS))


def _wait_port(port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)  # polling a starting server's port
    raise TimeoutError(f"nothing listens on {port}")


# -- history -----------------------------------------------------------------------------------------
def _text(rng: random.Random, chars: int) -> str:
    start = rng.randrange(len(WORDS) - 600)
    out, size = [], 0
    for word in WORDS[start:]:
        out.append(word)
        size += len(word) + 1
        if size >= chars:
            break
    return " ".join(out)[:chars]


def grow_store(store: Any, target: int, rng: random.Random) -> None:
    """Add realistic runs until the store holds ``target`` (rows written in one transaction per 2,000)."""
    from playground.store import _COLUMNS

    have = store.count()
    conn = store._conn()
    cols = ", ".join(_COLUMNS)
    marks = ", ".join("?" for _ in _COLUMNS)
    batch: list[list[Any]] = []
    for n in range(have, target):
        prompt = _text(rng, 500)
        reply = _text(rng, 1500)
        messages = [{"role": "user", "content": prompt}]
        params = {"model": "playground-tiny", "temperature": rng.choice([0, 0.5, 1]), "max_tokens": 1024}
        row = {c: None for c in _COLUMNS}
        row.update(kind="chat", backend="offline", model=rng.choice(["playground-tiny", "claude-haiku-4-5",
                                                                      "claude-sonnet-4-6"]),
                   params=json.dumps(params), messages=json.dumps(messages, ensure_ascii=False), media="[]",
                   output=reply, thinking="", tool_calls="[]", usage=json.dumps({"input_tokens": 120,
                                                                                  "output_tokens": 380}),
                   headers="{}", request_body=json.dumps({**params, "messages": messages}, ensure_ascii=False),
                   label="", owner=f"owner-{n % 50}", created_at=1_700_000_000 + n)
        batch.append([row[c] for c in _COLUMNS])
        if len(batch) >= 2000 or n == target - 1:
            conn.execute("BEGIN")
            conn.executemany(f"INSERT INTO runs ({cols}) VALUES ({marks})", batch)
            conn.execute("COMMIT")
            batch.clear()


def _median_ms(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def _like_search(store: Any, text: str, limit: int = 200) -> list[Any]:
    from playground.store import index

    like, args = index.like_clause(text)
    return store._conn().execute(f"SELECT id FROM runs WHERE {like} ORDER BY id DESC LIMIT ?",
                                 [*args, limit]).fetchall()


def bench_history(sizes: list[int]) -> None:
    from playground.store import RunStore

    rng = random.Random(14)
    largest = max(sizes)
    if len(sizes) > len(RARE_WORDS):
        raise SystemExit(f"--runs: at most {len(RARE_WORDS)} sizes")
    store = RunStore(_TMP / "bench-history.sqlite3")
    rows = []
    for size, rare in zip(sorted(sizes), RARE_WORDS, strict=False):
        built = time.perf_counter()
        grow_store(store, size, rng)
        # the size's rare word into 20 runs anywhere in the store (the update trigger re-indexes them)
        conn = store._conn()
        for rid in rng.sample(range(1, size + 1), min(20, size)):
            conn.execute("UPDATE runs SET output = substr(output, 1, 700) || ? || substr(output, 701) WHERE id = ?",
                         (f" the {rare} keeper ", rid))
        built = time.perf_counter() - built
        rare_ms, found = _median_ms(lambda rare=rare: store.search(rare, limit=200))
        absent, _ = _median_ms(lambda: store.search(ABSENT, limit=200))
        common, _ = _median_ms(lambda: store.search(COMMON, limit=200))
        short, _ = _median_ms(lambda: store.search(SHORT, limit=200))
        own, _ = _median_ms(lambda rare=rare: store.search(rare, owner=OWNER, limit=200))
        listing, _ = _median_ms(lambda: store.search("", limit=200))
        models, _ = _median_ms(lambda: store.models(owner=OWNER))
        like, _ = _median_ms(lambda rare=rare: _like_search(store, rare), repeat=3)
        rows.append([size, len(found), rare_ms, absent, common, short, own, listing, models, like, built])
    ratio_rows("History (RunStore; ms, median of 5)",
               ["runs", "rare hits", "rare word", "no match", "common word", "2 chars (LIKE)", "rare, one owner",
                "list", "models", "LIKE rare (before)", "build s"], rows, [2, 3, 7, 8, 9])
    size_mb = (_TMP / "bench-history.sqlite3").stat().st_size / 1e6
    print(f"(store file at {largest:,} runs: {size_mb:,.0f} MB, index included)", flush=True)


# -- chat --------------------------------------------------------------------------------------------
def _chat_turns(url: str, pid: int, turns: list[int], send_id: str, prompt_id: str, bare: bool) -> list[list[Any]]:
    from raw_queue import Page

    page = Page(url)
    page.open()
    if not bare:
        page.load()
    deps = page.config["dependencies"]
    # what one click runs: the click's event and everything chained after it (.then / .success), in order;
    # the playground's Send (the answer, then the inspector, in one event), then the tool-result boxes' refresh
    chain = [page.event(send_id, "click")]
    for fn in chain:
        chain += [d.get("id", n) for n, d in enumerate(deps) if d.get("trigger_after") == fn]
    prompt = page.component(prompt_id)
    rows = []
    for turn in range(1, max(turns) + 1):
        text = f"Turn {turn}: tell me about rivers."
        overrides = {prompt: text if bare else {"text": text, "files": []}}
        if bare:
            overrides[page.component("max_tokens")] = 120
        cpu = proc_cpu(pid)
        results = [page.trigger(fn, overrides) for fn in chain]
        received = sum(r.bytes_received for r in results)
        cpu = proc_cpu(pid) - cpu
        if turn in turns:
            rows.append([turn, received, cpu * 1000, sum(r.messages for r in results)])
    page.close()
    return rows


def bench_chat(turns: list[int]) -> None:
    from app_server import running_app

    with running_app("bench-scale-chat", {"PLAYGROUND_HISTORY_PATH": str(_TMP / "chat.sqlite3")}, timeout=240) as app:
        rows = _chat_turns(app.url, app.process.pid, turns, "send", "prompt", bare=False)
    ratio_rows("Chat (real app, raw queue client: everything one click on Send runs)",
               ["turn", "bytes received", "app CPU ms", "SSE messages"], rows, [1, 2])
    with running_app("bench-scale-bare", script=ROOT / "benchmarks" / "bare_chat_app.py", timeout=240) as app:
        rows = _chat_turns(app.url, app.process.pid, turns, "send", "prompt", bare=True)
    ratio_rows("Chat floor (bare Gradio chatbot, 120-token replies, same client)",
               ["turn", "bytes received", "app CPU ms", "SSE messages"], rows, [1, 2])


# -- sessions ----------------------------------------------------------------------------------------
def bench_sessions(count: int, idle_s: float) -> None:
    from app_server import running_app
    from raw_queue import Page

    with running_app("bench-scale-sessions", {"PLAYGROUND_HISTORY_PATH": str(_TMP / "sessions.sqlite3")}, timeout=240) as app:
        pid = app.process.pid
        warm = Page(app.url)  # one visit first: imports and caches that stay for the process's life
        warm.open()
        warm.load()
        warm.close()
        time.sleep(idle_s)  # let the warm-up page's release pass before the baseline
        start = proc_rss_mb(pid)
        pages = []
        for _ in range(count):
            page = Page(app.url)
            page.open()
            page.load()
            pages.append(page)
        open_rss = proc_rss_mb(pid)
        for page in pages:
            page.close()
        closed_at = time.monotonic()
        time.sleep(idle_s)  # the measurement is "RSS this long after they closed"
        after = proc_rss_mb(pid)
        waited = time.monotonic() - closed_at
    print(f"\n## Sessions (real app, raw queue clients)\nRSS at start {start:,.1f} MB | with {count} idle "
          f"sessions {open_rss:,.1f} MB ({(open_rss - start) / max(count, 1):,.2f} MB each) | {waited:,.0f} s after "
          f"they closed {after:,.1f} MB ({after / start:.2f}x of start)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", default="200,1000,5000", help="sweep sizes (cells)")
    parser.add_argument("--runs", default="1000,10000,100000", help="history sizes (runs)")
    parser.add_argument("--turns", default="1,20,40", help="chat turns to report")
    parser.add_argument("--sessions", type=int, default=50, help="idle sessions to open")
    parser.add_argument("--idle-s", type=float, default=60, help="wait after the sessions close")
    parser.add_argument("--only", default="sweep,history,chat,sessions", help="sections to run")
    args = parser.parse_args()
    only = set(args.only.split(","))
    atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
    ints = lambda text: [int(x) for x in text.split(",") if x.strip()]  # noqa: E731
    if "sweep" in only:
        bench_sweeps(ints(args.cells))
    if "history" in only:
        bench_history(ints(args.runs))
    if "chat" in only:
        bench_chat(ints(args.turns))
    if "sessions" in only:
        bench_sessions(args.sessions, args.idle_s)


if __name__ == "__main__":
    main()

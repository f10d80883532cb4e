"""Load: many concurrent browser sessions against the running app, simulated by one light asyncio
client that speaks Gradio's queue protocol (sse_v3) itself.

One ``gradio_client.Client`` per session costs a thread, an httpx pool and a heartbeat thread each;
at 64 sessions on a 2-core machine the clients starved the app they were measuring. Here each
session is a coroutine with its own ``session_hash``: it POSTs ``/gradio_api/queue/join`` for the
public ``/chat`` endpoint and reads the event stream ``/gradio_api/queue/data`` (the diffs of each
``process_generating`` message applied as gradio_client does), one turn after another.

Every prompt is unique to its session and turn, and the offline emulator is seeded: afterwards each
prompt is replayed straight to an unpaced emulator with the same seed, so a reply that differs from
the backend's (a session given another's output) counts as *mixed*. Must be 0.

    python benchmarks/load_async.py                          # 100 sessions x 10 turns = 1,000 runs
    python benchmarks/load_async.py --sessions 4 --turns 2 --tokens-per-second 0 --latency-ms 0

Prints p50/p95 time to first token (join -> first non-empty text), errors, mixed outputs, and the
app's CPU time and RSS before and after; exits 1 if any run failed or was mixed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import aiohttp  # noqa: E402
from app_server import running_app  # noqa: E402
from gradio_client.utils import apply_diff  # noqa: E402  (the client's own diff rule, not a copy)
from load_sessions import (  # noqa: E402
    Run,
    _cpu_seconds,
    check_runs,
    emulator_env,
    load_parser,
    print_ttft,
    report_failures,
)


def prompt_for(session: int, turn: int) -> str:
    return f"Visitor {session}, question {turn}: what do you know about number {session * 1000 + turn}?"


async def chat_endpoint(http: aiohttp.ClientSession, url: str) -> tuple[str, int]:
    """The queue API root and the ``fn_index`` of the public ``/chat`` endpoint, from the app's /config."""
    async with http.get(url + "config") as response:
        config = await response.json()
    root = url.rstrip("/") + (config.get("api_prefix") or "/gradio_api")
    for index, dep in enumerate(config["dependencies"]):
        if dep.get("api_name") == "chat":
            return root, int(dep.get("id", index))
    raise RuntimeError("the app has no /chat endpoint")


async def one_turn(http: aiohttp.ClientSession, root: str, fn_index: int, session_hash: str, run: Run,
                   max_tokens: int) -> None:
    """Join the queue with this turn's prompt and read the session's event stream until it completes."""
    began = time.perf_counter()
    payload = {"data": [run.prompt, "", "", max_tokens], "fn_index": fn_index, "session_hash": session_hash,
               "event_data": None, "trigger_id": None}
    async with http.post(f"{root}/queue/join", json=payload) as response:
        if response.status != 200:
            raise RuntimeError(f"queue/join answered HTTP {response.status}")
        event_id = (await response.json())["event_id"]
    output: Any = None
    async with http.get(f"{root}/queue/data", params={"session_hash": session_hash}) as stream:
        buffer = b""
        async for chunk in stream.content.iter_any():
            buffer += chunk
            while b"\n\n" in buffer:
                line, buffer = buffer.split(b"\n\n", 1)
                if not line.startswith(b"data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") not in (None, event_id):
                    run.error = f"an event of another request arrived: {message.get('msg')}"
                    continue
                kind = message.get("msg")
                if kind == "process_generating":
                    data = message["output"]["data"]
                    output = list(data) if output is None else [apply_diff(o, d) for o, d in zip(output, data, strict=False)]
                    if run.ttft is None and output and output[0]:
                        run.ttft = time.perf_counter() - began
                elif kind == "process_completed":
                    if not message.get("success", True):
                        raise RuntimeError(f"the run failed: {str(message.get('output'))[:200]}")
                    final = message["output"]["data"]
                    run.text = final[0] if final else (output[0] if output else "")
                    run.total = time.perf_counter() - began
                    return
    raise RuntimeError("the event stream ended before process_completed")


async def visitor(http: aiohttp.ClientSession, root: str, fn_index: int, session: int, turns: int,
                  max_tokens: int, start: asyncio.Event, runs: list[Run]) -> None:
    """One browser session: its own session_hash, turns one after another."""
    session_hash = uuid.uuid4().hex[:11]
    await start.wait()
    for turn in range(turns):
        run = Run(session, turn, prompt_for(session, turn))
        runs.append(run)
        try:
            await one_turn(http, root, fn_index, session_hash, run, max_tokens)
        except Exception as exc:  # noqa: BLE001 - counted and reported by type
            run.error = f"{type(exc).__name__}: {str(exc)[:200]}"


def rss_mib(pid: int) -> float:
    """Resident set size of a process (Linux /proc), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def drive(url: str, sessions: int, turns: int, max_tokens: int) -> tuple[list[Run], float]:
    connector = aiohttp.TCPConnector(limit=0)  # one stream per session plus its join: no pool cap
    timeout = aiohttp.ClientTimeout(total=None, sock_read=300)
    runs: list[Run] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        root, fn_index = await chat_endpoint(http, url)
        warm = Run(-1, 0, "warm up")
        await one_turn(http, root, fn_index, "warmup", warm, 5)  # the emulator and provider start lazily
        start = asyncio.Event()
        tasks = [asyncio.create_task(visitor(http, root, fn_index, s, turns, max_tokens, start, runs))
                 for s in range(sessions)]
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        return runs, time.perf_counter() - began


def main() -> int:
    parser = load_parser(100, 10, 60, __doc__)
    parser.add_argument("--app-concurrency", type=int, default=0,
                        help="PLAYGROUND_CONCURRENCY for the app (default: the app's own default)")
    args = parser.parse_args()

    env = {**emulator_env(args), "SPACE_ID": "load/benchmark"}  # the hosted configuration: guard on, history per session
    if args.app_concurrency:
        env["PLAYGROUND_CONCURRENCY"] = str(args.app_concurrency)
    with running_app("load-async", env) as app:
        pid = app.process.pid
        rss_before, cpu_before = rss_mib(pid), _cpu_seconds(pid)
        client_before = time.process_time()
        runs, wall = asyncio.run(drive(app.url, args.sessions, args.turns, args.max_tokens))
        cpu, rss_after = _cpu_seconds(pid) - cpu_before, rss_mib(pid)
        client_cpu = time.process_time() - client_before
        log = app.log()

    failed, mixed, expected = check_runs(runs, args.max_tokens)
    print(f"sessions={args.sessions} turns={args.turns} runs={len(runs)} pacing={args.tokens_per_second} tok/s "
          f"latency={args.latency_ms} ms max_tokens={args.max_tokens} "
          f"app_concurrency={args.app_concurrency or 'default'}")
    print(f"errors={len(failed)} mixed={len(mixed)} wall={wall:.1f} s app_cpu={cpu:.1f} s "
          f"({100 * cpu / wall:.0f}% of one core), client cpu={client_cpu:.1f} s")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    print(f"app RSS before={rss_before:.0f} MiB after={rss_after:.0f} MiB")
    print_ttft(runs)
    return report_failures(runs, failed, mixed, expected, log, "load-async")


if __name__ == "__main__":
    sys.exit(main())

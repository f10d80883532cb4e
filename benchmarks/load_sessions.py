"""Load: N concurrent chat sessions through the running app (``python app.py``) via gradio_client.

The app runs as a real subprocess (the browser tests' ``running_app``) with the offline emulator
paced like a real model (``--tokens-per-second``, ``--latency-ms``) and a fixed seed. Each
session is its own ``gradio_client.Client`` on its own thread, sending ``--turns`` prompts one
after the other to ``/chat``. Afterwards every prompt is replayed straight to a second emulator
with the same seed (unpaced): the emulator's reply depends only on the seed and the request body,
so the text the app streamed must equal what the backend produced, character for character.

    python benchmarks/load_sessions.py                      # 32 sessions x 2 turns, 40 tok/s, 300 ms
    python benchmarks/load_sessions.py --sessions 8 --turns 1 --tokens-per-second 0

Prints p50/p95/max time to first token (submit -> first non-empty text at the client), total time
per run, failures and mismatches; exits 1 if any run failed or differed.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from app_server import running_app  # noqa: E402

from playground import catalog  # noqa: E402

SEED = 1234
TOPICS = ("rivers", "the moon", "forests", "old clocks", "bread", "the sea", "trains", "winter", "bees", "maps")


@dataclass
class Run:
    session: int
    turn: int
    prompt: str
    ttft: float | None = None
    total: float | None = None
    text: str = ""
    error: str | None = None


def drive_group(url: str, sessions: list[int], turns: int, max_tokens: int, start: Any, out: Any,
                nice: int = 0) -> None:
    """A client process: some of the sessions, one thread each (gradio_client is CPU-hungry, and one
    process holding all 32 clients would measure its own GIL, not the app). ``nice`` lowers its CPU
    priority, so that on a small machine the app under test is served first, as it would be if the
    clients ran elsewhere."""
    if nice:
        os.nice(nice)
    runs: list[Run] = []
    threads = [threading.Thread(target=drive_session, args=(url, s, turns, max_tokens, start, runs))
               for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((runs, time.process_time()))


def prompt_for(session: int, turn: int) -> str:
    return f"Session {session}, turn {turn}: tell me about {TOPICS[(session + turn) % len(TOPICS)]}."


def drive_session(url: str, session: int, turns: int, max_tokens: int, start: Any, runs: list[Run]) -> None:
    """One visitor: its own client (own Gradio session), turns sent one after another."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # noqa: BLE001 - counted as failed runs, reported by type
        start.wait()
        runs.extend(Run(session, t, prompt_for(session, t), error=f"connect: {type(exc).__name__}")
                    for t in range(turns))
        return
    start.wait()  # all sessions begin together: the load is really concurrent
    for turn in range(turns):
        run = Run(session, turn, prompt_for(session, turn))
        runs.append(run)
        began = time.perf_counter()
        try:
            job = client.submit(run.prompt, "", "", max_tokens, api_name="/chat")
            for text in job:  # every streamed update (the whole text so far)
                if run.ttft is None and text:
                    run.ttft = time.perf_counter() - began
            run.text = job.result(timeout=300)
            run.total = time.perf_counter() - began
        except Exception as exc:  # noqa: BLE001
            run.error = f"{type(exc).__name__}: {str(exc)[:200]}"


async def replay(prompts: list[str], max_tokens: int) -> dict[str, str]:
    """What the backend produces for each prompt: the same request, straight to an unpaced emulator
    with the same seed (built with the same settings code the app's /chat endpoint uses)."""
    from playground.backends import OFFLINE_KEY
    from playground.emulator import Emulator
    from playground.providers import Anthropic
    from playground.settings import RunSettings
    from playground.turn import TurnAccumulator

    kwargs = RunSettings.from_json({"backend": "offline", "max_tokens": max_tokens}).to_kwargs()
    out: dict[str, str] = {}
    async with Emulator(seed=SEED) as emu:
        for prompt in prompts:
            acc = TurnAccumulator()
            async for part in Anthropic.create_async_generator(
                    catalog.EMULATOR_MODEL, [{"role": "user", "content": prompt}], api_key=OFFLINE_KEY,
                    api_base=emu.api_base, **kwargs):
                acc.add(part)
            out[prompt] = acc.text
    return out


def _warm_up(url: str) -> None:
    """One untimed run first: the offline emulator starts lazily and the provider imports on first use."""
    from gradio_client import Client

    Client(url, verbose=False).predict("warm up", "", "", 5, api_name="/chat")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# What both load scripts share (this one and load_async.py): their options, the app's emulator
# settings, the check of every reply against the backend's, and the time-to-first-token line.
def load_parser(sessions: int, turns: int, max_tokens: int, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=sessions)
    parser.add_argument("--turns", type=int, default=turns, help="runs per session, one after another")
    parser.add_argument("--tokens-per-second", type=float, default=40, help="emulator pacing per stream")
    parser.add_argument("--latency-ms", type=float, default=300, help="emulator delay before the first byte")
    parser.add_argument("--max-tokens", type=int, default=max_tokens)
    return parser


def emulator_env(args: argparse.Namespace) -> dict[str, str]:
    """The app's offline emulator: paced as asked, seeded so that :func:`replay` can check every reply."""
    return {"PLAYGROUND_EMULATOR_TPS": str(args.tokens_per_second),
            "PLAYGROUND_EMULATOR_LATENCY_MS": str(args.latency_ms), "PLAYGROUND_EMULATOR_SEED": str(SEED)}


def check_runs(runs: list[Run], max_tokens: int) -> tuple[list[Run], list[Run], dict[str, str]]:
    """The failed runs, the runs whose text is not what the backend produced, and what it produced."""
    expected = asyncio.run(replay(sorted({r.prompt for r in runs}), max_tokens))
    failed = [r for r in runs if r.error]
    return failed, [r for r in runs if not r.error and r.text != expected[r.prompt]], expected


def report_failures(runs: list[Run], failed: list[Run], differing: list[Run], expected: dict[str, str], log: str,
                    app_name: str) -> int:
    """The first failed and differing runs, a traceback in the app's log; the exit code (1: any of them)."""
    for r in failed[:5]:
        print(f"  failed session {r.session} turn {r.turn}: {r.error}")
    for r in differing[:5]:
        print(f"  differs session {r.session} turn {r.turn}: got {r.text[:60]!r}, backend sent "
              f"{expected[r.prompt][:60]!r}")
    if "Traceback" in log:
        print(f"  the app logged a traceback (see tests/artifacts/app-{app_name}.log)")
    return 1 if failed or differing or not runs else 0


def print_ttft(runs: list[Run]) -> None:
    ttfts = [r.ttft for r in runs if r.ttft is not None]
    if ttfts:
        print(f"TTFT  p50={statistics.median(ttfts) * 1000:.0f} ms  p95={pct(ttfts, 0.95) * 1000:.0f} ms  "
              f"max={max(ttfts) * 1000:.0f} ms")


def main() -> int:
    parser = load_parser(32, 2, 120, __doc__)
    parser.add_argument("--processes", type=int, default=4, help="client processes the sessions are spread over")
    parser.add_argument("--client-nice", type=int, default=0,
                        help="lower the clients' CPU priority by this much (e.g. 10: the app is served first, "
                             "as if the clients ran on other machines)")
    args = parser.parse_args()

    env = emulator_env(args)
    runs: list[Run] = []
    ctx = mp.get_context("spawn")
    with running_app("load", env) as app:
        _warm_up(app.url)
        start, out = ctx.Barrier(args.sessions + 1), ctx.Queue()
        groups = [list(range(args.sessions))[i::args.processes] for i in range(args.processes)]
        procs = [ctx.Process(target=drive_group, args=(app.url, g, args.turns, args.max_tokens, start, out,
                                                        args.client_nice))
                 for g in groups if g]
        for p in procs:
            p.start()
        start.wait()  # every client is connected: go
        began = time.perf_counter()
        cpu_before = _cpu_seconds(app.process.pid)
        client_cpu = 0.0
        for _ in procs:
            group_runs, group_cpu = out.get(timeout=600)
            runs.extend(group_runs)
            client_cpu += group_cpu
        wall = time.perf_counter() - began
        cpu = _cpu_seconds(app.process.pid) - cpu_before
        for p in procs:
            p.join(30)
        log = app.log()

    failed, mismatched, expected = check_runs(runs, args.max_tokens)
    totals = [r.total for r in runs if r.total is not None]
    print(f"sessions={args.sessions} turns={args.turns} runs={len(runs)} pacing={args.tokens_per_second} tok/s "
          f"latency={args.latency_ms} ms max_tokens={args.max_tokens} client_nice={args.client_nice}")
    print(f"failed={len(failed)} mismatched={len(mismatched)} wall={wall:.1f} s app_cpu={cpu:.1f} s "
          f"({100 * cpu / wall:.0f}% of one core), clients' cpu (incl. connecting)={client_cpu:.1f} s")
    print_ttft(runs)
    if totals:
        print(f"total p50={statistics.median(totals):.2f} s  p95={pct(totals, 0.95):.2f} s  max={max(totals):.2f} s")
    print(f"reply length: {statistics.median(len(r.text) for r in runs)} chars (median)")
    return report_failures(runs, failed, mismatched, expected, log, "load")


def _cpu_seconds(pid: int) -> float:
    """User+system CPU of a process (Linux /proc), in seconds."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main())

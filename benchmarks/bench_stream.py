"""How fast the provider consumes a stream, against baselines run in the same process.

A local aiohttp server sends one Messages API stream of 20,000 text deltas. We time consuming it
(total time and time to first token) through:

* ``Anthropic.create_async_generator(stream=True)`` — the provider;
* a plain aiohttp loop that reads line by line and ``json.loads`` every data line — the floor a
  naive hand-written client reaches;
* the official ``anthropic`` SDK's ``messages.stream()`` ``text_stream`` (dev extra), pointed at
  the same server with ``base_url``.

Then the cost of ``python -c "import playground"`` and ``import playground.providers`` (wall
time and peak RSS of a fresh interpreter). Targets: provider <= 0.8x the plain loop, >= 4x faster
than the SDK, TTFT within 0.5 ms of the plain loop, import under 0.5 s and 60 MiB.

    python benchmarks/bench_stream.py [--deltas 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playground.providers import Anthropic  # noqa: E402

KEY = "sk-ant-bench-0000"
MESSAGES = [{"role": "user", "content": "Count."}]
CHUNK = 16 * 1024  # bytes per server write, about what a TCP read returns on a busy stream


def build_stream(deltas: int) -> tuple[bytes, bytes]:
    """(first chunk: message_start + first delta, the rest) so TTFT is measurable."""
    def event(obj: dict) -> str:
        return f"event: {obj['type']}\ndata: {json.dumps(obj, separators=(',', ':'))}\n\n"

    start = event({"type": "message_start", "message": {
        "id": "msg_bench", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-6",
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 1}}})
    start += event({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    start += event({"type": "ping"})
    words = [f" word{i % 97}" for i in range(deltas)]
    body = [event({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}})
            for w in words]
    tail = event({"type": "content_block_stop", "index": 0})
    tail += event({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                   "usage": {"output_tokens": deltas}})
    tail += event({"type": "message_stop"})
    return (start + body[0]).encode(), ("".join(body[1:]) + tail).encode()


async def serve(first: bytes, rest: bytes, port_out: Connection) -> None:
    async def messages(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"content-type": "text/event-stream", "request-id": "req_bench"})
        await response.prepare(request)
        await response.write(first)
        for i in range(0, len(rest), CHUNK):
            await response.write(rest[i : i + CHUNK])
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/v1/messages", messages)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port_out.send(runner.addresses[0][1])
    await asyncio.Event().wait()  # until the parent terminates us


def server_process(first: bytes, rest: bytes, port_out: Connection) -> None:
    asyncio.run(serve(first, rest, port_out))


def start_server(first: bytes, rest: bytes) -> tuple[multiprocessing.Process, str]:
    """The server runs in its own process, like a real API: its work does not compete with the
    client's event loop, so the timings are the client's alone."""
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(target=server_process, args=(first, rest, send), daemon=True)
    process.start()
    if not receive.poll(30):
        raise RuntimeError("the benchmark server did not start")
    return process, f"http://127.0.0.1:{receive.recv()}"


async def provider(base: str) -> tuple[int, float]:
    count, first = 0, 0.0
    t0 = time.perf_counter()
    async for part in Anthropic.create_async_generator("claude-sonnet-4-6", MESSAGES, api_key=KEY,
                                                       api_base=base + "/v1", stream=True):
        if type(part) is str:
            if not count:
                first = time.perf_counter() - t0
            count += 1
    return count, first


async def plain_loop(base: str) -> tuple[int, float]:
    import aiohttp

    count, first = 0, 0.0
    t0 = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        body = json.dumps({"model": "claude-sonnet-4-6", "max_tokens": 4096, "messages": MESSAGES, "stream": True})
        headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01", "content-type": "application/json"}
        async with session.post(base + "/v1/messages", data=body, headers=headers) as response:
            async for line in response.content:
                if line.startswith(b"data: "):
                    event = json.loads(line[6:])
                    if event["type"] == "content_block_delta" and event["delta"]["type"] == "text_delta":
                        if not count:
                            first = time.perf_counter() - t0
                        count += 1
    return count, first


async def sdk(base: str) -> tuple[int, float]:
    import anthropic

    count, first = 0, 0.0
    t0 = time.perf_counter()
    client = anthropic.AsyncAnthropic(api_key=KEY, base_url=base, max_retries=0)
    async with client.messages.stream(model="claude-sonnet-4-6", max_tokens=4096, messages=MESSAGES) as stream:
        async for _text in stream.text_stream:
            if not count:
                first = time.perf_counter() - t0
            count += 1
    await client.close()
    return count, first


async def measure(contenders: dict[str, Callable[[str], Awaitable[tuple[int, float]]]], base: str, deltas: int,
                  rounds: dict[str, int]) -> dict[str, tuple[float, float]]:
    """Median (total, TTFT) per contender. Runs are interleaved round by round, so a noisy
    neighbour on a shared machine slows every contender alike instead of one of them; the order
    rotates each round and every run starts after a full garbage collection, so no contender pays
    for the garbage the previous one left (a 20,000-delta run leaves plenty)."""
    totals: dict[str, list[float]] = {name: [] for name in contenders}
    firsts: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for i in range(max(rounds.values())):
        for name in names[i % len(names):] + names[:i % len(names)]:
            if i >= rounds[name]:
                continue
            fn = contenders[name]
            gc.collect()
            t0 = time.perf_counter()
            count, first = await fn(base)
            totals[name].append(time.perf_counter() - t0)
            firsts[name].append(first)
            assert count == deltas, f"{name} saw {count} deltas, expected {deltas}"
    return {name: (statistics.median(totals[name]), statistics.median(firsts[name])) for name in contenders}


def child_cost(code: str) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of a fresh ``python -c code``; median of 5 runs. The RSS is the
    child's own VmHWM after the import (rusage would count the parent's pre-exec fork image)."""
    probe = code + "; print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
    walls, rss = [], []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(5):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
        walls.append(time.perf_counter() - t0)
        rss.append(int(out.split()[-1]) / 1024)  # kB -> MiB
    return statistics.median(walls), statistics.median(rss)


async def main(deltas: int, repeat: int) -> None:
    first, rest = build_stream(deltas)
    server, base = start_server(first, rest)
    print(f"stream: {deltas:,} text deltas, {(len(first) + len(rest)) / 1e6:.1f} MB; medians of {repeat * 6} "
          f"interleaved runs ({repeat} for the SDK)")
    try:
        contenders = {"provider": provider, "plain aiohttp loop": plain_loop, "anthropic SDK": sdk}
        for fn in contenders.values():  # one warm-up each so imports and first connections do not count
            await fn(base)
        # The SDK is slow, so it gets fewer rounds; the two fast ones get more for a steadier TTFT.
        results = await measure(contenders, base, deltas,
                                {"provider": repeat * 6, "plain aiohttp loop": repeat * 6, "anthropic SDK": repeat})
    finally:
        server.terminate()
        server.join(5)
    for name, (total, ttft) in results.items():
        print(f"  {name:<20} total {total * 1000:8.1f} ms   TTFT {ttft * 1000:6.2f} ms")
    ours, plain, official = results["provider"], results["plain aiohttp loop"], results["anthropic SDK"]
    print(f"provider / plain loop time:  {ours[0] / plain[0]:.2f}x   (target <= 0.80x)")
    print(f"SDK / provider time:         {official[0] / ours[0]:.1f}x faster   (target >= 4x)")
    print(f"TTFT provider - plain loop:  {(ours[1] - plain[1]) * 1000:+.2f} ms   (target <= +0.5 ms)")
    baseline = child_cost("pass")
    for code in ("import playground", "import playground.providers"):
        wall, rss = child_cost(code)
        print(f"python -c {code!r:<32} {wall * 1000:6.0f} ms wall ({(wall - baseline[0]) * 1000:+.0f} ms over bare "
              f"python), {rss:5.1f} MiB peak RSS   (target for `import playground`: < 500 ms, < 60 MiB)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.deltas, args.repeat))

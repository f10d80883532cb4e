"""Emulator streaming benchmark: events/s with pacing off, and 64 concurrent streaming clients.

    python benchmarks/bench_emulator.py [--tokens 20000] [--clients 64] [--client-tokens 1000]

The emulator runs as its own process (the CLI), like in real use, so client and server each
get a core. The baseline is a bare aiohttp handler in a second process that streams the very
same bytes from memory: the ratio says how much the emulator's planning, encoding and
batching cost on top of aiohttp itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import aiohttp

HEADERS = {"x-api-key": "bench", "anthropic-version": "2023-06-01", "x-emulator-no-eos": "1"}


def body(tokens: int, prompt: str = "Tell me about the Queen") -> dict:
    return {"model": "playground-tiny", "max_tokens": tokens, "stream": True,
            "messages": [{"role": "user", "content": prompt}]}


@contextlib.contextmanager
def server(args: list[str]) -> Iterator[str]:
    """Start a server process that prints its base URL on its first line; yield the URL."""
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://[\d.]+:\d+", line)
        if not match:
            raise RuntimeError(f"server did not start: {line!r}")
        yield match.group(0)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def stream_once(session: aiohttp.ClientSession, url: str, payload: dict) -> tuple[int, bytes]:
    """POST and read the whole SSE body; return (events, body)."""
    async with session.post(url + "/v1/messages", json=payload, headers=HEADERS) as resp:
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}: {await resp.text()}")
        data = await resp.read()
    if not data.endswith(b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"):
        raise RuntimeError("stream did not end with message_stop")
    return data.count(b"\n\n"), data


async def single_stream(url: str, tokens: int, repeats: int = 5) -> tuple[float, int, bytes]:
    """Best-of-``repeats`` events/s for one long stream."""
    async with aiohttp.ClientSession() as session:
        await stream_once(session, url, body(tokens))  # warm the sampler's context cache
        best, events, data = 0.0, 0, b""
        for _ in range(repeats):
            started = time.perf_counter()
            events, data = await stream_once(session, url, body(tokens))
            best = max(best, events / (time.perf_counter() - started))
    return best, events, data


async def concurrent(url: str, clients: int, tokens: int) -> tuple[int, int, float, float]:
    """``clients`` simultaneous streams; returns (ok, errors, total events/s, slowest stream s)."""
    prompts = ["Tell me about the Queen", "What did the Mouse say?", "Where is the garden?", "Who is Dinah?"]
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(i: int) -> tuple[int, float]:
            started = time.perf_counter()
            events, _ = await stream_once(session, url, body(tokens, prompts[i % len(prompts)]))
            return events, time.perf_counter() - started

        started = time.perf_counter()
        results = await asyncio.gather(*(one(i) for i in range(clients)), return_exceptions=True)
        elapsed = time.perf_counter() - started
    good = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    for err in errors[:3]:
        print(f"  error: {err!r}")
    events = sum(e for e, _ in good)
    return len(good), len(errors), events / elapsed, max((t for _, t in good), default=0.0)


def serve_baseline(path: str) -> None:
    """A bare aiohttp server streaming the bytes in ``path`` in 64 KiB writes."""
    from aiohttp import web

    with open(path, "rb") as f:
        data = f.read()

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await resp.prepare(request)
        for i in range(0, len(data), 64 * 1024):
            await resp.write(data[i:i + 64 * 1024])
        await resp.write_eof()
        return resp

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/v1/messages", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        print(f"baseline on http://127.0.0.1:{port}", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(main())


async def run(args: argparse.Namespace) -> int:
    import tempfile

    with server(["-m", "playground.emulator", "--port", "0"]) as url:
        rate, events, data = await single_stream(url, args.tokens)
        ok, errors, total_rate, slowest = await concurrent(url, args.clients, args.client_tokens)
    with tempfile.NamedTemporaryFile(suffix=".sse") as tmp:
        tmp.write(data)
        tmp.flush()
        with server([__file__, "--serve-baseline", tmp.name]) as url:
            base_rate, base_events, _ = await single_stream(url, args.tokens)
    print(f"single stream, pacing off: {events} events ({args.tokens} deltas) at {rate:,.0f} events/s "
          f"(baseline bare aiohttp, same bytes: {base_rate:,.0f} events/s; ratio {rate / base_rate:.2f})")
    print(f"{args.clients} concurrent streams x {args.client_tokens} deltas: {ok} ok, {errors} errors, "
          f"{total_rate:,.0f} events/s in total, slowest stream {slowest:.2f} s")
    return 1 if errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000, help="deltas in the single-stream test")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--client-tokens", type=int, default=1000, help="deltas per concurrent stream")
    parser.add_argument("--serve-baseline", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return 0
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())

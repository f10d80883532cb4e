"""``python -m playground.emulator``: run the offline backend until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from . import faults
from .runner import Emulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="python -m playground.emulator",
        description="A local server that speaks the Anthropic Messages API (and /v1/chat/completions), "
                    "backed by a tiny n-gram sampler. No network, no key needed.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free port)")
    parser.add_argument("--api-key", default=None,
                        help="require exactly this key (default: any non-empty key is accepted)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before the first token")
    parser.add_argument("--tokens-per-second", type=float, default=0.0,
                        help="stream pacing (default 0 = as fast as possible)")
    parser.add_argument("--seed", type=int, default=None, help="make every reply reproducible")
    parser.add_argument("--fault", default=None, choices=faults.all_names(), metavar="NAME",
                        help="inject into every request: " + ", ".join(faults.FAULTS) + " or fail_once_<name>")
    parser.add_argument("--redact-thinking", action="store_true",
                        help="answer thinking as redacted_thinking blocks (per request: x-emulator-redact-thinking)")
    parser.add_argument("--batch-delay-ms", type=float, default=0.0,
                        help="time each Message Batch request takes, so a batch can be watched in progress "
                             "(default 0; per batch: header x-emulator-batch-delay-ms)")

    parser.add_argument("--idle-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="close a connection that sends no complete request for this long: idle, or headers "
                             "trickling in (default 60; 0 = no limit)")
    parser.add_argument("--body-timeout", type=float, default=30.0, metavar="SECONDS",
                        help="answer 408 when a declared request body takes longer than this (default 30; 0 = no limit)")
    args = parser.parse_args(argv)
    for name in ("latency_ms", "tokens_per_second", "batch_delay_ms", "idle_timeout", "body_timeout"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must be >= 0")
    return args


async def serve(args: argparse.Namespace) -> None:
    """Start the server, print its URL, wait for SIGINT/SIGTERM, stop cleanly."""
    emulator = Emulator(api_key=args.api_key, latency_ms=args.latency_ms,
                        tokens_per_second=args.tokens_per_second, seed=args.seed, fault=args.fault,
                        redact_thinking=args.redact_thinking, batch_delay_ms=args.batch_delay_ms,
                        idle_timeout=args.idle_timeout, body_timeout=args.body_timeout)
    await emulator.start(args.host, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"Emulator listening on {emulator.base_url} (api_base {emulator.api_base}); "
          "model playground-tiny. Ctrl-C to stop.", flush=True)
    try:
        await stop.wait()
    finally:
        await emulator.stop()
    print("Emulator stopped.", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Console entry point (``playground-emulator``)."""
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except OSError as exc:  # e.g. the port is taken
        print(f"error: cannot start the emulator on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

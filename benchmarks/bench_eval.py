"""Evaluate throughput against the offline backend, unpaced (tokens_per_second=0).

    python benchmarks/bench_eval.py                     # 200 attempts at concurrency 1, 4, 16
    python benchmarks/bench_eval.py --attempts 40 --concurrency 4 --rounds 1

For each concurrency: attempts per second of a full eval run (request, assertions, JSONL append to
the run directory; no response cache, so every attempt is a real call), and the same requests sent
straight through the provider (collected with the same run record) in the same process. Rounds
alternate the two and medians are reported, because the machine is shared and numbers drift.

The A/B ratio is noisy on a loaded machine (the emulator runs in the same process), so the overhead
is also measured directly at concurrency 1: the run's wall time minus the time spent inside the
provider call, per attempt, as a share of the provider call's time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.backends import OFFLINE, OFFLINE_KEY, Target  # noqa: E402
from playground.emulator import Emulator  # noqa: E402
from playground.evals import EvalRun, client, parse_spec  # noqa: E402
from playground.evals.client import send  # noqa: E402

SPEC = """
[eval]
name = "bench"
repeats = {repeats}
seed = 1
concurrency = 1
[defaults]
model = "claude-haiku-4-5"
max_tokens = 32
[[variants]]
id = "a"
prompt = "Tell me about {{{{topic}}}}."
[[variants]]
id = "b"
prompt = "Describe {{{{topic}}}} in one line."
{cases}
[[asserts]]
type = "max_words"
value = 100
[[asserts]]
type = "regex"
value = "\\\\w+"
"""


def make_spec(attempts: int) -> str:
    repeats = 5
    n_cases = max(1, attempts // (2 * repeats))
    cases = "\n".join(f'[[cases]]\ntopic = "topic number {i}"' for i in range(n_cases))
    return SPEC.format(repeats=repeats, cases=cases)


async def eval_once(spec_text: str, target: Target, concurrency: int) -> tuple[float, int]:
    spec = parse_spec(spec_text)
    with tempfile.TemporaryDirectory() as tmp:
        run = EvalRun(spec, target, run_dir=Path(tmp) / "run", cache=None, concurrency=concurrency)
        start = time.perf_counter()
        n = errors = 0
        async for attempt in run.run():
            n += 1
            errors += attempt.error is not None
        return time.perf_counter() - start, errors


async def instrumented_once(spec_text: str, target: Target) -> tuple[float, float, int]:
    """Concurrency 1: (wall time, time inside the provider call, attempts)."""
    inside = 0.0
    real_send = client.send

    async def timed(*args: object, **kwargs: object) -> object:
        nonlocal inside
        t0 = time.perf_counter()
        try:
            return await real_send(*args, **kwargs)
        finally:
            inside += time.perf_counter() - t0

    client.send = timed
    try:
        wall, _ = await eval_once(spec_text, target, 1)
    finally:
        client.send = real_send
    return wall, inside, len(EvalRun(parse_spec(spec_text), target).planned)


async def direct_once(spec_text: str, target: Target, concurrency: int) -> tuple[float, int]:
    requests = [p.request for p in EvalRun(parse_spec(spec_text), target).planned]
    semaphore = asyncio.Semaphore(concurrency)
    errors = 0

    async def one(request: object) -> None:
        nonlocal errors
        async with semaphore:
            reply = await send(target, request)  # the provider + run record, nothing of the eval
            errors += reply.error is not None

    start = time.perf_counter()
    await asyncio.gather(*(one(r) for r in requests))
    return time.perf_counter() - start, errors


@contextlib.asynccontextmanager
async def offline_backend(where: str):
    """The emulator in this process, or in its own process (so its work is not timed as the eval's)."""
    if where == "inprocess":
        async with Emulator(tokens_per_second=0) as emu:
            yield emu.api_base
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "playground.emulator", "--port", str(port),
                             "--tokens-per-second", "0"], cwd=root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:  # ready when it accepts a connection (bounded wait)
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the emulator did not start") from None
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--emulator", choices=("process", "inprocess"), default="process",
                        help="run the offline backend in its own process (default) or in this one")
    args = parser.parse_args()
    spec_text = make_spec(args.attempts)
    async with offline_backend(args.emulator) as api_base:
        target = Target(OFFLINE, api_base, OFFLINE_KEY)
        total = len(EvalRun(parse_spec(spec_text), target).planned)
        await direct_once(spec_text, target, 4)  # warm the sampler and connections
        print(f"{total} attempts per run, offline backend unpaced ({args.emulator}), {args.rounds} round(s), "
              "median shown")
        print(f"{'concurrency':>11}  {'eval att/s':>10}  {'direct att/s':>12}  {'overhead/attempt':>16}  errors")
        for c in args.concurrency:
            evals, directs, errs = [], [], 0
            for _ in range(args.rounds):
                d, e1 = await direct_once(spec_text, target, c)
                t, e2 = await eval_once(spec_text, target, c)
                directs.append(d)
                evals.append(t)
                errs += e1 + e2
            t, d = statistics.median(evals), statistics.median(directs)
            overhead_ms = (t - d) / total * 1000 * c  # per attempt, in the time of one in-flight slot
            print(f"{c:>11}  {total / t:>10.1f}  {total / d:>12.1f}  {(t - d) / d:>+15.1%}  {errs}"
                  f"   ({overhead_ms:+.2f} ms per attempt per slot)")
        shares, per = [], []
        for _ in range(args.rounds):
            wall, inside, n = await instrumented_once(spec_text, target)
            shares.append((wall - inside) / inside)
            per.append((wall - inside) / n * 1000)
        print(f"eval overhead outside the provider call (concurrency 1): {statistics.median(per):.3f} ms per attempt, "
              f"{statistics.median(shares):.1%} of the call's time")


if __name__ == "__main__":
    asyncio.run(main())

"""The command line (pinned):

    python -m playground.evals run SPEC.toml [--backend offline|anthropic|openai] [--base-url URL]
        [--repeat N] [--max-cost USD] [--json OUT] [--csv OUT] [--junit OUT] [--resume RUN_DIR] [--no-cache]
        [--batch]

``--batch`` sends the model calls as one Message Batch at half price (``playground.evals.batch``);
``PLAYGROUND_EVAL_BATCH_POLL_S`` sets its poll interval and, offline, ``PLAYGROUND_EVAL_BATCH_DELAY_MS``
how long the emulator takes per batch request (both for tests and demos).

Exit codes: 0 gate passed (or no gate); 1 gate failed; 2 bad spec or configuration; 3 the cost cap
refused or stopped the run; 4 too many attempts errored (more than ``eval.max_error_rate``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TextIO

from ..backends import ANTHROPIC, BACKENDS, OFFLINE, OFFLINE_KEY, OPENAI, Target
from ..config import load_keys
from ..errors import MissingAuthError, PlaygroundError
from .batch import DEFAULT_POLL_S, BatchUnsupported, check_batch_backend, run_batch
from .cache import ResponseCache
from .reports import format_table, write_csv, write_json, write_junit
from .runner import COST_CAP, CostCapRefused, EvalRun
from .spec import EvalSpec, SpecError, check_model_rules, load_spec

EXIT_OK, EXIT_GATE, EXIT_CONFIG, EXIT_COST, EXIT_ERRORS = 0, 1, 2, 3, 4
DEFAULT_DIR = Path(".evals")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m playground.evals", description="Run an eval spec.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run SPEC.toml and report")
    run.add_argument("spec", metavar="SPEC.toml")
    run.add_argument("--backend", choices=tuple(BACKENDS),
                     help="default: [defaults].backend, else anthropic when ANTHROPIC_API_KEY is set, else offline")
    run.add_argument("--base-url", help="the OpenAI-compatible endpoint's base URL (with /v1)")
    run.add_argument("--repeat", type=int, metavar="N", help="attempts per (variant, case); overrides eval.repeats")
    run.add_argument("--max-cost", type=float, metavar="USD", help="overrides eval.max_cost_usd")
    run.add_argument("--json", metavar="OUT")
    run.add_argument("--csv", metavar="OUT")
    run.add_argument("--junit", metavar="OUT")
    run.add_argument("--resume", metavar="RUN_DIR", help="continue this run directory without redoing finished attempts")
    run.add_argument("--no-cache", action="store_true", help="ask the backend even when a cached reply exists")
    run.add_argument("--run-dir", metavar="DIR", help=f"the new run's directory (default {DEFAULT_DIR}/runs/NAME-TIME)")
    run.add_argument("--cache-dir", metavar="DIR", help=f"response cache (default {DEFAULT_DIR}/cache)")
    run.add_argument("--batch", action="store_true",
                     help="send the model calls as one Message Batch at 50%% of list price (offline and anthropic); "
                          "with --resume, collects the run's batch instead of creating a new one")
    return parser


def _say(text: str, stream: TextIO | None = None) -> None:
    print(text, file=stream or sys.stderr, flush=True)


def _new_run_dir(spec: EvalSpec, requested: str | None) -> Path:
    if requested:
        return Path(requested)
    slug = re.sub(r"[^\w.-]+", "-", spec.name).strip("-") or "eval"
    base = DEFAULT_DIR / "runs" / f"{slug}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def _backend(args: argparse.Namespace, spec: EvalSpec) -> str:
    kind = args.backend or spec.target.get("backend")
    if kind is None:
        return ANTHROPIC.kind if load_keys().anthropic_api_key else OFFLINE.kind
    if kind not in BACKENDS:
        raise SpecError(f"defaults.backend: expected offline, anthropic or openai, got {kind!r}")
    return kind


@contextlib.asynccontextmanager
async def open_target(kind: str, base_url: str | None) -> AsyncIterator[Target]:
    """The backend for a command-line run; ``offline`` starts the emulator in this process (unpaced)."""
    config = load_keys()
    if kind == OFFLINE.kind:
        from ..emulator import Emulator

        delay_ms = _env_number("PLAYGROUND_EVAL_BATCH_DELAY_MS", 0.0)
        async with Emulator(tokens_per_second=0, batch_delay_ms=delay_ms) as emu:
            yield Target(OFFLINE, emu.api_base, OFFLINE_KEY)
    elif kind == ANTHROPIC.kind:
        try:  # the backend table decides which key goes where, as in the app
            key = ANTHROPIC.key_for(config, None, config.anthropic_api_base)
        except MissingAuthError:
            raise SpecError("--backend anthropic needs ANTHROPIC_API_KEY (environment or .env)") from None
        yield Target(ANTHROPIC, config.anthropic_api_base, key)
    else:
        base = (base_url or config.openai_base_url or "").strip().rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise SpecError("--backend openai needs --base-url, like http://localhost:8000/v1")
        yield Target(OPENAI, base, OPENAI.key_for(config, None, base))  # OPENAI_API_KEY only for OPENAI_BASE_URL


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SpecError(f"{name}: expected a number, got {raw!r}") from None
    if not value >= 0:
        raise SpecError(f"{name}: must be at least 0, got {raw!r}")
    return value


class Progress:
    """A one-line progress bar on a terminal (nothing when stderr is not one)."""

    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total, self.done, self.errors, self.stream = total, 0, 0, stream
        self.enabled = stream.isatty() and total > 0

    def step(self, error: bool, spent: float) -> None:
        self.done += 1
        self.errors += error
        if self.enabled:
            width = 30
            filled = round(width * self.done / self.total)
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}  "
                              f"errors {self.errors}  spent ${spent:.4f}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


async def run_command(args: argparse.Namespace) -> int:
    """``run``: check the spec, show the cost check, run, report; returns the exit code."""
    spec = load_spec(args.spec)
    if args.repeat is not None and args.repeat < 1:
        raise SpecError(f"--repeat: must be at least 1, got {args.repeat}")
    if args.max_cost is not None and args.max_cost < 0:
        raise SpecError(f"--max-cost: must be at least 0, got {args.max_cost}")
    if args.resume and not Path(args.resume).is_dir():
        raise SpecError(f"--resume: no run directory at {args.resume}")
    kind = _backend(args, spec)
    check_model_rules(spec, kind)
    if args.batch:
        try:
            check_batch_backend(BACKENDS[kind])
        except BatchUnsupported as exc:
            raise SpecError(str(exc)) from None
    poll_s = _env_number("PLAYGROUND_EVAL_BATCH_POLL_S", DEFAULT_POLL_S)
    cache = None if args.no_cache else ResponseCache(args.cache_dir or DEFAULT_DIR / "cache")
    run_dir = Path(args.resume) if args.resume else _new_run_dir(spec, args.run_dir)
    async with open_target(kind, args.base_url or spec.target.get("base_url")) as target:
        run = EvalRun(spec, target, run_dir=run_dir, cache=cache, repeats=args.repeat, max_cost_usd=args.max_cost,
                      batch=args.batch)
        check = run.cost_check()
        _say(f"{spec.name} on {kind}{' as a batch (50% price)' if args.batch else ''}: {check.describe()}")
        if check.over_cap:
            _say("refused: lower max_tokens, the cases or repeats, or raise max_cost_usd / --max-cost")
            return EXIT_COST
        progress = Progress(len(run.remaining))
        try:
            attempts = run_batch(run, poll_s=poll_s, on_progress=_say) if args.batch else run.run()
            async for attempt in attempts:
                progress.step(attempt.error is not None, run.spent_usd)
        except CostCapRefused as exc:  # pragma: no cover - checked just above
            _say(str(exc))
            return EXIT_COST
        finally:
            progress.close()
    summary = run.summary()
    print(format_table(summary), flush=True)
    _say(f"run directory: {run_dir}")
    for writer, out in ((write_json, args.json), (write_csv, args.csv), (write_junit, args.junit)):
        if out:
            writer(summary, out)
    if run.stopped == COST_CAP:
        _say(f"stopped: spend reached the cap (${run.cap_usd:.2f}); resume with --resume {run_dir}")
        return EXIT_COST
    if summary.errors and summary.error_rate > spec.max_error_rate:
        _say(f"{summary.errors} of {len(summary.attempts)} attempts errored (more than "
             f"{spec.max_error_rate:.0%}); first: {next(a.error for a in summary.attempts if a.error)}")
        return EXIT_ERRORS
    if summary.gate is not None and not summary.gate.passed:
        return EXIT_GATE
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(run_command(args))
    except SpecError as exc:
        _say(f"error: {exc}")
        return EXIT_CONFIG
    except (PlaygroundError, OSError) as exc:
        _say(f"error: {exc}")
        return EXIT_CONFIG
    except KeyboardInterrupt:
        _say("interrupted: finished attempts are saved; continue with --resume RUN_DIR")
        return 130

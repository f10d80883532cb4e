"""Run an eval: bounded concurrency, every finished attempt appended to the run directory as JSONL,
resume without redoing finished attempts, a spend cap checked before and during the run, stop.

    run = EvalRun(spec, target, run_dir="runs/capitals-1", cache=ResponseCache(".evals/cache"))
    print(run.cost_check().describe())
    async for attempt in run.run():     # attempts as they finish, in finishing order
        ...
    summary = run.summary()

Errored attempts are kept (and shown) but never scored; a resumed run asks them again.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..backends import Target
from .asserts import AssertResult, Observation, combine, evaluate, graded_result
from .cache import ResponseCache
from .client import Reply, complete
from .grading import Grader, GradingError
from .plan import CostCheck, PlannedAttempt, cost_check, plan_attempts
from .spec import EvalSpec

ATTEMPTS_FILE = "attempts.jsonl"
RUN_FILE = "run.json"
COST_CAP, STOPPED = "cost_cap", "stopped"


class CostCapRefused(RuntimeError):
    """The run's upper-bound cost is above its cap, so it was not started."""

    def __init__(self, check: CostCheck) -> None:
        self.check = check
        super().__init__(check.describe())


@dataclass
class Attempt:
    """One finished attempt (the pinned JSON keys plus a few more)."""

    variant: str
    case: str
    repeat: int
    vars: dict[str, str]
    prompt: str
    output: str = ""
    score: float | None = None
    passed: bool | None = None
    error: str | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None          # the call and its grader calls, list price
    asserts: list[dict[str, Any]] = field(default_factory=list)
    cached: bool = False
    stop_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    key: str = ""
    human: dict[str, list[Any]] = field(default_factory=dict)  # assertion index -> [grade, comment]

    @property
    def slot(self) -> tuple[str, str, int]:
        return (self.variant, self.case, self.repeat)

    def to_json(self) -> dict[str, Any]:
        """As written to ``attempts.jsonl`` and ``--json`` (``passed`` is written as ``pass``). Shallow
        (no deep copy: this runs once per attempt on the hot path), so treat it as read-only."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["pass"] = data.pop("passed")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attempt:
        """Read back :meth:`to_json` (unknown keys ignored)."""
        data = dict(data)
        data["passed"] = data.pop("pass", None)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


_FIELDS = tuple(Attempt.__dataclass_fields__)


def read_attempts(run_dir: str | Path) -> list[Attempt]:
    """Every attempt recorded in ``run_dir`` (the last record of a slot wins; a torn last line is skipped)."""
    path = Path(run_dir) / ATTEMPTS_FILE
    found: dict[tuple[str, str, int], Attempt] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            attempt = Attempt.from_json(json.loads(line))
        except (ValueError, TypeError):
            continue  # a line cut by a crash mid-write
        found[attempt.slot] = attempt
    return list(found.values())


class EvalRun:
    """One run of a spec on a target. ``run_dir`` None keeps results in memory only.

    With an existing ``run_dir`` the run resumes: attempts recorded there without an error, whose
    request is still the one planned, are kept and not asked again.
    """

    def __init__(self, spec: EvalSpec, target: Target, *, run_dir: str | Path | None = None,
                 cache: ResponseCache | None = None, repeats: int | None = None,
                 max_cost_usd: float | None = None, concurrency: int | None = None, batch: bool = False) -> None:
        self.spec = spec
        self.target = target
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.cache = cache
        self.repeats = repeats or spec.repeats
        self.cap_usd = spec.max_cost_usd if max_cost_usd is None else max_cost_usd
        self.concurrency = concurrency or spec.concurrency
        self.batch = batch  # the model calls go into a Message Batch (playground.evals.batch), priced so
        self.planned: list[PlannedAttempt] = plan_attempts(spec, target, self.repeats, batch=batch)
        self.attempts: dict[tuple[str, str, int], Attempt] = {}
        self.spent_usd = 0.0
        self.stopped: str | None = None  # None, "cost_cap" or "stopped"
        self._reserved = 0.0
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._grader = Grader(target, spec.grader_model, cache, on_cost=self._book)
        self._cases = {c.id: c for c in spec.cases}
        self._tail_checked = False
        self._out: Any = None  # attempts.jsonl, open while run() runs
        if self.run_dir is not None:
            self._load()

    def __repr__(self) -> str:
        return f"EvalRun({self.spec.name!r}, {len(self.planned)} attempts, run_dir={str(self.run_dir)!r})"

    # -- before -------------------------------------------------------------------------------------
    def _load(self) -> None:
        planned = {p.slot: p.key for p in self.planned}
        for a in read_attempts(self.run_dir):
            if a.error is None and planned.get(a.slot) == a.key:
                self.attempts[a.slot] = a

    def cost_check(self) -> CostCheck:
        """Calls, cache hits, typical and upper-bound cost of what is left, against the cap."""
        return cost_check(self.planned, set(self.attempts), self.cache, self.cap_usd)

    @property
    def remaining(self) -> list[PlannedAttempt]:
        """Planned attempts not finished yet, in run order."""
        return [p for p in self.planned if p.slot not in self.attempts]

    # -- running ------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop: no new attempts start, in-flight ones are cancelled (and redone by a resume). Any thread."""
        self._stop.set()
        if self.stopped is None:
            self.stopped = STOPPED
        loop = self._loop
        if loop is not None and not loop.is_closed():
            for task in self._tasks:
                loop.call_soon_threadsafe(task.cancel)

    @property
    def stop_requested(self) -> bool:
        """Whether :meth:`stop` was called (a batch run polls this to cancel its batch)."""
        return self._stop.is_set()

    def _book(self, cost: float) -> None:
        self.spent_usd += cost

    def book(self, cost: float) -> None:
        """Add spend made outside :meth:`run` (a batch's results) to :attr:`spent_usd`."""
        self._book(cost)

    def open_record(self) -> None:
        """Before recording attempts made outside :meth:`run`: write ``run.json`` (once)."""
        self._write_run_file()

    async def run(self, *, refuse_over_cap: bool = True) -> AsyncIterator[Attempt]:
        """Run what is left, yielding each attempt as it finishes. Raises :class:`CostCapRefused` first
        when the upper bound is above the cap (``refuse_over_cap=False`` runs anyway and stops before
        an attempt that could take spend past the cap)."""
        check = self.cost_check()
        if refuse_over_cap and check.over_cap:
            raise CostCapRefused(check)
        self._write_run_file()
        if self.run_dir is not None:
            self._out = self._open_attempts()
        todo = self.remaining
        self._loop = asyncio.get_running_loop()
        out: asyncio.Queue[Attempt | None] = asyncio.Queue()
        released = asyncio.Condition()
        position = iter(todo)
        lock = asyncio.Lock()

        async def next_planned() -> PlannedAttempt | None:
            async with lock:
                if self._stop.is_set():
                    return None
                p = next(position, None)
                if p is None:
                    return None
                if self.cap_usd is not None:
                    async with released:
                        # Reserve the attempt's upper bound, so spend never passes the cap.
                        while self.spent_usd + self._reserved + p.upper_usd > self.cap_usd + 1e-12:
                            if self._reserved <= 0 or self._stop.is_set():
                                self.stopped = self.stopped or COST_CAP
                                self._stop.set()
                                return None
                            await released.wait()
                self._reserved += p.upper_usd
                return p

        async def worker() -> None:
            try:
                while (p := await next_planned()) is not None:
                    try:
                        attempt = await self._attempt(p)
                    finally:
                        async with released:
                            self._reserved -= p.upper_usd
                            released.notify_all()
                    self.record(attempt)
                    if self.cap_usd is not None and self.spent_usd >= self.cap_usd:
                        self.stopped = self.stopped or COST_CAP
                        self._stop.set()
                    out.put_nowait(attempt)
            finally:
                out.put_nowait(None)

        # stop() before run(): each worker's first next_planned() returns None, so nothing starts. (Not
        # task.cancel(): a task cancelled before its first step never runs its finally, and run() would hang.)
        self._tasks = [asyncio.create_task(worker()) for _ in range(max(1, min(self.concurrency, len(todo))))]
        running = len(self._tasks)
        try:
            while running:
                item = await out.get()
                if item is None:
                    running -= 1
                else:
                    yield item
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if self._out is not None:
                self._out.close()
                self._out = None

    async def _attempt(self, p: PlannedAttempt) -> Attempt:
        reply = await complete(self.target, p.request, p.repeat, self.cache)
        if not reply.cached and reply.cost_usd:
            self._book(reply.cost_usd)
        return await self.score_reply(p, reply)

    async def score_reply(self, p: PlannedAttempt, reply: Reply) -> Attempt:
        """Grade a reply obtained for ``p`` (by :meth:`run`, or elsewhere).

        The hook for ``--batch``: send ``[p.request for p in run.remaining]`` as one Message Batch,
        turn each result into a :class:`~playground.evals.client.Reply` (and put it in the cache
        under ``p.key``), then call this and :meth:`record` for each."""
        case = self._cases[p.case]
        attempt = Attempt(p.variant, p.case, p.repeat, dict(case.vars), p.prompt, output=reply.text,
                          error=reply.error, latency_ms=reply.latency_ms, cost_usd=reply.cost_usd,
                          cached=reply.cached, stop_reason=reply.stop_reason, input_tokens=reply.input_tokens,
                          output_tokens=reply.output_tokens, key=p.key)
        if reply.error is None:
            await self._score(attempt)
        return attempt

    def record(self, attempt: Attempt) -> None:
        """Keep a finished attempt and append it to the run directory."""
        self.attempts[attempt.slot] = attempt
        self._append(attempt)

    async def _score(self, attempt: Attempt) -> None:
        case = self._cases[attempt.case]
        obs = Observation(attempt.output, attempt.latency_ms, attempt.cost_usd, attempt.stop_reason)
        human = {int(i): (int(g), str(c)) for i, (g, c) in attempt.human.items()}
        variant_model = str(self.spec.variant(attempt.variant).settings.get("model") or "")

        async def grade(a: Any, value: Any, c: Any, o: Observation) -> tuple[int, str, dict[str, Any]]:
            return await self._grader(a, value, c, o, variant_model)

        try:
            results = await evaluate(self.spec.asserts, case, obs, grade, human)
        except GradingError as exc:
            attempt.error = str(exc)
            return
        grader_cost = sum(r.details.get("grader_cost_usd") or 0.0 for r in results)
        if grader_cost and attempt.cost_usd is not None:
            attempt.cost_usd += grader_cost
        attempt.asserts = [r.to_json() for r in results]
        threshold = case.threshold if case.threshold is not None else self.spec.threshold
        attempt.score, attempt.passed = combine(results, threshold)

    # -- after --------------------------------------------------------------------------------------
    def set_human_grade(self, variant: str, case: str, repeat: int, assert_index: int, grade: int,
                        comment: str = "") -> Attempt:
        """Record a 1-5 ``human`` grade for one attempt's assertion and rescore it (saved to the run dir)."""
        attempt = self.attempts[(variant, case, repeat)]
        if attempt.error is not None:
            raise ValueError("an errored attempt has no output to grade")
        a = next((a for a in self.spec.asserts if a.index == assert_index), None)
        if a is None or a.type != "human":
            raise ValueError(f"asserts[{assert_index}] is not a human assertion")
        if not isinstance(grade, int) or not 1 <= grade <= 5:
            raise ValueError(f"a grade is a whole number from 1 to 5, got {grade!r}")
        attempt.human[str(assert_index)] = [grade, comment]
        results = [AssertResult(r["type"], r["score"], r["pass"], r["reason"], r.get("weight", 1.0),
                                r.get("details", {})) for r in attempt.asserts]
        position = [x.index for x in self.spec.asserts].index(assert_index)
        results[position] = graded_result(a, grade, comment, {"by": "human"})
        attempt.asserts = [r.to_json() for r in results]
        c = self._cases[case]
        attempt.score, attempt.passed = combine(results, c.threshold if c.threshold is not None else self.spec.threshold)
        self._append(attempt)
        return attempt

    def summary(self) -> Any:
        """The statistics of what has finished (see :func:`playground.evals.summary.summarize`)."""
        from .summary import summarize

        return summarize(self.spec, list(self.attempts.values()), repeats=self.repeats, stopped=self.stopped,
                         spent_usd=self.spent_usd)

    # -- files --------------------------------------------------------------------------------------
    def _write_run_file(self) -> None:
        if self.run_dir is None:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.run_dir / RUN_FILE
        if not path.exists():
            path.write_text(json.dumps({
                "name": self.spec.name, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "backend": self.target.kind, "repeats": self.repeats, "seed": self.spec.seed,
                "spec": self.spec.text,
            }, indent=2), encoding="utf-8")

    def _append(self, attempt: Attempt) -> None:
        if self.run_dir is None:
            return
        line = json.dumps(attempt.to_json(), ensure_ascii=False) + "\n"
        if self._out is not None:  # during run(): one open file, a flush per attempt
            self._out.write(line)
            self._out.flush()
            return
        with self._open_attempts() as fh:
            fh.write(line)

    def _open_attempts(self) -> Any:
        path = self.run_dir / ATTEMPTS_FILE
        if not self._tail_checked:
            self._tail_checked = True
            # A crash mid-write leaves a torn last line: end it, so the next record starts on its own.
            if path.exists() and path.stat().st_size:
                with open(path, "rb") as fh:
                    fh.seek(-1, 2)
                    torn = fh.read(1) != b"\n"
                if torn:
                    with open(path, "a", encoding="utf-8") as fh:
                        fh.write("\n")
        return open(path, "a", encoding="utf-8")

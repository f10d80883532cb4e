"""Runner: concurrency limit, per-job errors never abort the rest, cancel one or all, history, spend.

The provider here is a tiny stand-in with the provider's generator surface, so the runner's own
scheduling can be driven step by step (gates instead of sleeps). The end-to-end path through the
real provider and the offline emulator is covered in test_tuning_runner_emulator.py.
"""

from __future__ import annotations

import asyncio

import pytest

from playground.errors import OverloadedError
from playground.responses import FinishReason, HeadersResponse, RequestRecord, RetryNotice, Usage
from playground.settings import RunSettings
from playground.store import RunStore
from playground.tuning.cost import SpendCap
from playground.tuning.runner import Job, Runner

KEY = "sk-ant-test-" + "Z9" * 12


class GatedProvider:
    """Yields a scripted run per model; waits on a per-call gate so tests control timing."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.calls: list[dict] = []
        self.gates: dict[str, asyncio.Event] = {}

    def gate(self, text: str) -> asyncio.Event:
        return self.gates.setdefault(text, asyncio.Event())

    async def create_async_generator(self, model, messages, **kwargs):
        self.calls.append({"model": model, "messages": messages, **kwargs})
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            prompt = messages[-1]["content"]
            yield RequestRecord("POST", "http://x/v1/messages", {"x-api-key": "…" + KEY[-4:]},
                                {"model": model, "messages": messages, "temperature": kwargs.get("temperature"),
                                 "stream": kwargs.get("stream")})
            if prompt == "fail":
                raise OverloadedError(529, "overloaded_error", f"Overloaded (key was {kwargs.get('api_key')})")
            if prompt == "retry":
                yield RetryNotice(1, 2, 0.5, "529 overloaded_error: Overloaded")
            yield HeadersResponse(200, {"request-id": "req_1", "x-api-key": KEY, "content-type": "text/event-stream"})
            yield "Hello "
            await self.gate(prompt).wait()
            yield "world"
            yield FinishReason("stop", "end_turn")
            yield Usage(input_tokens=1000, output_tokens=2000)
        finally:
            self.in_flight -= 1


def job(key, prompt, model="claude-haiku-4-5", **settings):
    return Job(key, RunSettings(model=model, **settings), [{"role": "user", "content": prompt}], {"label": str(key)})


async def test_concurrency_limit_errors_and_history(tmp_path):
    provider = GatedProvider()
    store = RunStore(tmp_path / "h.db")
    cap = SpendCap(10)
    runner = Runner(api_key=KEY, api_base="http://x/v1", concurrency=2, provider=provider, store=store,
                    spend_cap=cap, kind="sweep")
    jobs = [job(0, "a", temperature=0.1), job(1, "fail"), job(2, "b"), job(3, "retry")]
    done = {}
    async for update in runner.run(jobs):
        if update.done:
            done[update.key] = update.result
        # Release each gated job once it has streamed its first words: no timing assumptions.
        r = update.result
        if r.text == "Hello " and not update.done:
            provider.gate(jobs[update.key].messages[-1]["content"]).set()
    assert provider.peak == 2
    assert sorted(done) == [0, 1, 2, 3]
    assert done[0].text == "Hello world" and done[0].stop_reason == "end_turn" and done[0].error is None
    assert done[1].error.startswith("OverloadedError: 529") and KEY not in done[1].error
    assert done[3].retries == ["retrying in 0.5 s (529 overloaded_error: Overloaded) [1/2]"]
    assert done[0].ttft_s is not None and done[0].tokens_per_s > 0
    assert done[0].cost_usd == pytest.approx((1000 * 1.0 + 2000 * 5.0) / 1e6)
    assert cap.spent_usd == pytest.approx(3 * done[0].cost_usd)
    assert provider.calls[0]["temperature"] == 0.1 and provider.calls[0]["api_key"] == KEY
    assert provider.calls[0]["stream"] is True and provider.calls[0]["max_retries"] == 2
    stored = store.search(group_id=runner.group_id)
    assert len(stored) == 4
    failed = [r for r in stored if r.error]
    assert len(failed) == 1 and KEY not in failed[0].error
    ok = store.get(done[0].run_id)
    assert ok.output == "Hello world" and ok.params["temperature"] == 0.1 and ok.kind == "sweep"
    assert ok.headers["request-id"] == "req_1" and KEY not in str(ok.headers)
    assert ok.request_body["temperature"] == 0.1 and ok.label == "0"
    assert KEY not in repr(runner)


async def test_cancel_one_job_then_all():
    provider = GatedProvider()
    runner = Runner(concurrency=1, provider=provider)
    jobs = [job(0, "x"), job(1, "y"), job(2, "z")]
    seen: dict = {}
    async for update in runner.run(jobs):
        r = update.result
        if update.done:
            seen[update.key] = r
            if update.key == 1:
                runner.cancel()  # now stop everything left
        elif r.text == "Hello " and update.key == 0:
            runner.cancel(0)  # a per-column stop while it waits mid-stream
        elif r.text == "Hello " and update.key == 1:
            provider.gate("y").set()
    assert seen[0].status() == "cancelled" and seen[0].text == "Hello "
    assert seen[1].status() == "done" and seen[1].text == "Hello world"
    assert seen[2].status() == "cancelled" and seen[2].text != "Hello world"
    assert provider.in_flight == 0


async def test_cancel_before_start_runs_nothing():
    provider = GatedProvider()
    runner = Runner(concurrency=2, provider=provider)
    runner.cancel()
    results = [u.result async for u in runner.run([job(0, "a"), job(1, "b")]) if u.done]
    assert [r.status() for r in results] == ["cancelled", "cancelled"]
    assert provider.calls == [] and not any(r.started for r in results)


async def test_consumer_leaving_stops_jobs():
    provider = GatedProvider()
    runner = Runner(concurrency=2, provider=provider)
    agen = runner.run([job(0, "p"), job(1, "q")])
    async for update in agen:
        if update.result.text == "Hello ":
            break
    await agen.aclose()
    assert provider.in_flight == 0


async def test_duplicate_keys_refused():
    with pytest.raises(ValueError, match="distinct key"):
        async for _ in Runner(provider=GatedProvider()).run([job(0, "a"), job(0, "b")]):
            pass
    with pytest.raises(ValueError, match="concurrency"):
        Runner(concurrency=0)


async def test_paced_batches_and_never_sits_on_a_change():
    from playground.tuning.runner import paced

    provider = GatedProvider()
    runner = Runner(concurrency=2, provider=provider)
    batches = []
    async for batch in paced(runner.run([job(0, "a"), job(1, "b")]), interval=3600, flush_on_done=True):
        batches.append([(u.key, u.result.text, u.done) for u in batch])
        if len(batches) == 1:
            # the first batch comes at once (nothing was shown yet); then both jobs wait at their gates
            provider.gate("a").set()
        elif any(u.done and u.key == 0 for u in batch):
            provider.gate("b").set()
    flat = [u for b in batches for u in b]
    assert [k for k, _, d in flat if d] == [0, 1]
    assert batches[-1][-1][2] is True  # the final state always comes
    assert len(batches) <= 4  # an hour-long interval: batches only at the start and on each job's end


async def test_paced_hands_out_a_quiet_change_after_the_interval():
    from playground.tuning.runner import paced

    provider = GatedProvider()
    runner = Runner(concurrency=1, provider=provider)
    seen = []
    async for batch in paced(runner.run([job(0, "q")]), interval=0.05):
        seen.append(batch[-1].result.text)
        # The stream is now parked at its gate: "Hello " must still arrive (after the interval),
        # without any further update to carry it.
        if batch[-1].result.text == "Hello ":
            provider.gate("q").set()
    assert "Hello " in seen and seen[-1] == "Hello world"

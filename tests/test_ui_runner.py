"""stream_run: throttled snapshots, final state always delivered, Stop, errors, one run per session.

The provider here is a small in-test class with the provider interface (``create_async_generator``
yielding parts); the real provider over real HTTP is exercised by the browser and client tests.
"""

from __future__ import annotations

import asyncio

import pytest

from playground.errors import StreamError
from playground.responses import Usage, finish_reason
from playground.ui.runner import RunControl, RunRequest, stream_run


class ScriptedProvider:
    """Yields ``deltas`` (sleeping ``pace`` s between them), then optionally raises ``error``."""

    def __init__(self, deltas: list[str], pace: float = 0.0, error: Exception | None = None,
                 forever: bool = False) -> None:
        self.deltas, self.pace, self.error, self.forever = deltas, pace, error, forever
        self.closed = asyncio.Event()
        self.calls: list[tuple[str, list, dict]] = []

    def create_async_generator(self, model: str, messages: list, **kwargs: object):
        self.calls.append((model, messages, kwargs))
        return self._gen()

    async def _gen(self):
        try:
            i = 0
            while True:
                for delta in self.deltas:
                    if self.pace:
                        await asyncio.sleep(self.pace)
                    yield delta
                    i += 1
                if not self.forever:
                    break
            if self.error:
                raise self.error
            yield finish_reason("end_turn")
            yield Usage(3, i)
        finally:
            self.closed.set()  # reached on normal end, error, and cancellation (the HTTP request closes here)


async def _collect(provider, control=None, interval=0.05):
    snapshots = []
    async for progress in stream_run(RunRequest(provider, "m", [{"role": "user", "content": "hi"}], {"x": 1}),
                                     control, interval=interval):
        snapshots.append((progress.final, progress.run.text, progress.run.status))
        last = progress
    return snapshots, last


@pytest.mark.timeout(20)
async def test_fast_stream_yields_few_renders_and_the_exact_final_text() -> None:
    deltas = [f"t{i} " for i in range(10_000)]
    provider = ScriptedProvider(deltas)
    snapshots, last = await _collect(provider)
    assert snapshots[-1] == (True, "".join(deltas), "done")
    assert len(snapshots) <= 5  # instant stream: (almost) only the final render
    assert last.run.event_count == 10_002  # every part reached the run record
    assert provider.calls == [("m", [{"role": "user", "content": "hi"}], {"x": 1})]
    assert last.run.usage == Usage(3, 10_000)


@pytest.mark.timeout(20)
async def test_paced_stream_renders_at_most_once_per_interval() -> None:
    provider = ScriptedProvider(["ab"] * 60, pace=0.005)  # ~0.3 s or more of streaming
    loop = asyncio.get_running_loop()
    start = loop.time()
    snapshots, last = await _collect(provider, interval=0.05)
    elapsed = loop.time() - start
    assert last.run.text == "ab" * 60
    intermediate = [s for s in snapshots if not s[0]]
    assert 1 <= len(intermediate) <= elapsed / 0.05 + 1
    texts = [s[1] for s in snapshots]
    assert texts == sorted(texts, key=len)  # the text only grows


@pytest.mark.timeout(20)
async def test_stop_cancels_the_provider_and_keeps_the_partial_text() -> None:
    provider = ScriptedProvider(["x"], pace=0.005, forever=True)
    control = RunControl()
    snapshots = []
    async for progress in stream_run(RunRequest(provider, "m", []), control, interval=0.02):
        snapshots.append((progress.final, progress.run.status, progress.run.text))
        if not progress.final and progress.run.text:
            assert control.request_stop()
    final, status, text = snapshots[-1]
    assert final and status == "stopped" and text.startswith("x")
    assert provider.closed.is_set()
    assert not control.running and not control.request_stop()


@pytest.mark.timeout(20)
async def test_error_ends_the_run_with_partial_text() -> None:
    provider = ScriptedProvider(["par", "tial"], error=StreamError("cut", "api_error", "req_1"))
    snapshots, last = await _collect(provider)
    assert snapshots[-1] == (True, "partial", "error")
    assert "req_1" in last.run.error_text


@pytest.mark.timeout(20)
async def test_one_run_per_session() -> None:
    control = RunControl()
    provider = ScriptedProvider(["x"], pace=0.01, forever=True)
    runs = stream_run(RunRequest(provider, "m", []), control, interval=0.01)
    await runs.__anext__()
    with pytest.raises(RuntimeError, match="already in progress"):
        await stream_run(RunRequest(provider, "m", []), control).__anext__()
    await runs.aclose()  # the consumer goes away (page closed): the provider is cancelled too
    assert provider.closed.is_set()
    assert not control.running


@pytest.mark.timeout(20)
async def test_an_unexpected_exception_still_ends_the_run_readably() -> None:
    provider = ScriptedProvider(["so far"], error=RuntimeError("boom"))
    snapshots, last = await _collect(provider)
    assert snapshots[-1] == (True, "so far", "error")
    assert last.run.error_text == "**Unexpected error** (RuntimeError): boom"


@pytest.mark.timeout(20)
async def test_the_run_is_over_when_the_final_progress_is_handed_out() -> None:
    control = RunControl()
    async for progress in stream_run(RunRequest(ScriptedProvider(["a", "b"]), "m", []), control):
        if progress.final:
            assert not control.running  # a consumer may stop iterating here; the next run can start
            break
    control.begin()  # does not raise

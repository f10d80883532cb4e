"""The runner end to end: the real provider against the offline emulator on a free port.

A sweep where one cell's first attempt is refused (retried by the provider's policy), one cell always
fails (captured, not fatal) and the rest succeed; every run lands in the history.
"""

from __future__ import annotations

import time

from playground.emulator import Emulator
from playground.settings import RunSettings
from playground.store import RunStore
from playground.tuning import grid
from playground.tuning.runner import Job, Runner


async def test_sweep_cells_with_retry_and_failure(emu, tmp_path):
    history = RunStore(tmp_path / "h.db")
    base = RunSettings(model="playground-tiny", max_tokens=24)
    cells = grid.expand([grid.parse_axis("temperature", "0, 1")], repeats=2)
    jobs = [Job(c.index, base.replace(**c.values), [{"role": "user", "content": f"Tell me about cell {c.index}"}],
                {"values": c.values}) for c in cells]
    ok_runner = Runner(api_key="k", api_base=emu.api_base, store=history, concurrency=2, max_retries=2)
    results = {u.key: u.result async for u in ok_runner.run(jobs) if u.done}
    assert all(r.error is None and r.text and r.stop_reason in ("end_turn", "max_tokens") for r in results.values())
    assert {r.request_body["temperature"] for r in results.values()} == {0.0, 1.0}
    assert all(r.ttft_s is not None and r.usage.output_tokens > 0 for r in results.values())

    # the offline emulator's fault switch travels in the settings (sent as its header)
    flaky = Runner(api_key="k", api_base=emu.api_base, store=history, max_retries=2, group_id="flaky")
    broken = Runner(api_key="k", api_base=emu.api_base, store=history, max_retries=0, group_id="broken")
    prompt = [{"role": "user", "content": "retry me"}]
    retried = [u.result async for u in flaky.run([Job(0, base.replace(fault="fail_once_overloaded"), prompt)])
               if u.done][0]
    failed = [u.result async for u in broken.run([Job(0, base.replace(fault="server_error"), prompt)]) if u.done][0]
    assert retried.error is None and retried.text and len(retried.retries) == 1, retried.retries
    assert failed.error and "500" in failed.error and failed.done
    assert history.count() == 6
    assert history.search(group_id="broken")[0].error == failed.error


async def test_a_real_key_sent_over_http_never_reaches_the_history_file(tmp_path):
    key = "sk-ant-api03-" + "RealLookingKey0123456789" * 2
    async with Emulator(api_key=key) as authed:  # the emulator checks the key: it really is sent
        history = RunStore(tmp_path / "h.db")
        runner = Runner(api_key=key, api_base=authed.api_base, store=history)
        job = Job(0, RunSettings(model="playground-tiny", max_tokens=16), [{"role": "user", "content": "hi"}])
        result = [u.result async for u in runner.run([job]) if u.done][0]
        wrong = Runner(api_key=key[:-1] + "X", api_base=authed.api_base, store=history, max_retries=0)
        refused = [u.result async for u in wrong.run([job]) if u.done][0]
    assert result.error is None and result.text
    assert refused.error and "401" in refused.error
    history.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert key.encode() not in raw and key[:-1].encode() not in raw and key[12:40].encode() not in raw
    assert history.count() == 2


async def test_tuning_runs_obey_the_servers_timeout_and_private_host_guard(replay_server):
    """Compare, sweep and rerun build their Runner with ``tuning_runner``: what the server imposes on the
    chat (``PLAYGROUND_TIMEOUT``, the private-host guard on a Space) holds for them too."""
    from replay import Reply

    from playground.backends import ANTHROPIC, Target
    from playground.ui.tuning.common import tuning_runner

    job = Job(0, RunSettings(model="playground-tiny", max_tokens=16), [{"role": "user", "content": "hi"}])
    base = replay_server.api_base

    replay_server.reply(Reply(200, body=b"{}", delay=5))  # answers after 5 s; the server allows 0.3 s
    slow = Target(ANTHROPIC, base, "k", allow_private=True, timeout=0.3)
    started = time.monotonic()
    timed_out = [u.result async for u in tuning_runner(slow, None, kind="sweep", max_retries=0).run([job])
                 if u.done][0]
    assert timed_out.error and "timed out" in timed_out.error, timed_out.error
    assert time.monotonic() - started < 3

    seen = len(replay_server.requests)
    guarded = Target(ANTHROPIC, base, "k", allow_private=False)
    refused = [u.result async for u in tuning_runner(guarded, None, kind="compare", max_retries=0).run([job])
               if u.done][0]
    assert refused.error and "127.0.0.1" in refused.error, refused.error
    assert len(replay_server.requests) == seen  # refused without connecting

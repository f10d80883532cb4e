"""Running an eval against the offline emulator over real HTTP: cache keys, repeats that really
repeat, the run directory and resume, errors counted apart, the cost cap before and during a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from playground.backends import OFFLINE, OFFLINE_KEY, OPENAI, Target
from playground.evals import EvalRun, ResponseCache, parse_spec
from playground.evals.cache import request_key
from playground.evals.client import build_request, cache_key
from playground.evals.runner import ATTEMPTS_FILE, COST_CAP, CostCapRefused, read_attempts

SPEC = """
[eval]
name = "run"
repeats = 2
seed = 7
concurrency = 3
[defaults]
model = "claude-haiku-4-5"
max_tokens = 24
[[variants]]
id = "v1"
prompt = "Tell me about {{country}}."
[[variants]]
id = "v2"
prompt = "Describe {{country}} briefly."
temperature = 0.5
[[cases]]
country = "France"
[[cases]]
country = "Japan"
[[cases]]
country = "Peru"
[[asserts]]
type = "max_words"
value = 1000
"""


def target(emu: Any, key: str = OFFLINE_KEY) -> Target:
    return Target(OFFLINE, emu.api_base, key)


async def collect(run: EvalRun, **kwargs: Any) -> list:
    return [a async for a in run.run(**kwargs)]


def test_cache_keys_cover_the_request_and_the_repeat_but_not_the_key() -> None:
    settings = {"model": "m", "max_tokens": 10}
    r = build_request(settings, "hi", None, OFFLINE.kind, 7)
    a = Target(OFFLINE, "http://127.0.0.1:1/v1", "key-one")
    b = Target(OFFLINE, "http://127.0.0.1:1/v1", "key-two")
    assert cache_key(a, r, 0) == cache_key(b, r, 0)  # the API key is not part of it
    assert cache_key(a, r, 0) != cache_key(a, r, 1)
    assert cache_key(a, r, 0) != cache_key(a, build_request(settings, "hi!", None, OFFLINE.kind, 7), 0)
    assert cache_key(a, r, 0) != cache_key(a, build_request({**settings, "temperature": 0.1}, "hi", None, OFFLINE.kind, 7), 0)
    assert cache_key(a, r, 0) != cache_key(a, build_request(settings, "hi", None, OFFLINE.kind, 8), 0)  # seed header
    assert request_key("offline", "u", {"x": 1, "y": 2}, 0) == request_key("offline", "u", {"y": 2, "x": 1}, 0)
    # a restarted emulator listens on another port: still the same offline request
    assert cache_key(a, r, 0) == cache_key(Target(OFFLINE, "http://127.0.0.1:2/v1", "k"), r, 0)
    remote = Target(OPENAI, "http://host-a/v1")
    assert cache_key(remote, r, 0) != cache_key(Target(OPENAI, "http://host-b/v1"), r, 0)
    assert r.kwargs["headers"] == {"x-emulator-seed": "7"}
    assert "headers" not in build_request(settings, "hi", None, "anthropic", 7).kwargs  # never sent for real


async def test_run_caches_and_repeats_are_real_repeats(emu: Any, tmp_path: Path) -> None:
    spec = parse_spec(SPEC)
    cache = ResponseCache(tmp_path / "cache")
    first = await collect(EvalRun(spec, target(emu), run_dir=tmp_path / "r1", cache=cache))
    assert len(first) == 12 and not any(a.cached or a.error for a in first)
    assert all(a.cost_usd and a.cost_usd > 0 for a in first)  # list price, offline too
    by_slot = {a.slot: a for a in first}
    # repeats of one case differ (their seeds differ), so a repeat is not the same answer twice
    assert any(by_slot[(v, c, 0)].output != by_slot[(v, c, 1)].output for v in ("v1", "v2") for c in ("1", "2", "3"))
    second = await collect(EvalRun(spec, target(emu), run_dir=tmp_path / "r2", cache=cache))
    assert all(a.cached for a in second)
    assert {a.slot: a.output for a in second} == {s: a.output for s, a in by_slot.items()}
    # without the cache the same seeds give the same replies: reproducible
    third = await collect(EvalRun(spec, target(emu), run_dir=tmp_path / "r3", cache=None))
    assert {a.slot: a.output for a in third} == {s: a.output for s, a in by_slot.items()}
    assert not any(a.cached for a in third)
    run = EvalRun(spec, target(emu), cache=cache)
    check = run.cost_check()
    assert (check.attempts, check.calls, check.cached) == (12, 0, 12) and check.upper_usd == 0


async def test_resume_does_not_redo_finished_attempts(emu: Any, tmp_path: Path) -> None:
    spec = parse_spec(SPEC)
    run_dir = tmp_path / "run"
    run = EvalRun(spec, target(emu), run_dir=run_dir, concurrency=1)
    got = []
    async for attempt in run.run():
        got.append(attempt)
        if len(got) == 5:
            run.stop()
    assert len(got) == 5 and run.stopped == "stopped"
    lines = (run_dir / ATTEMPTS_FILE).read_text().splitlines()
    assert len(lines) == 5
    # a torn last line (a crash mid-write) is skipped, not fatal
    with open(run_dir / ATTEMPTS_FILE, "a") as fh:
        fh.write('{"variant": "v1", "ca')
    resumed = EvalRun(spec, target(emu), run_dir=run_dir)
    assert len(resumed.attempts) == 5 and len(resumed.remaining) == 7
    assert resumed.cost_check().done == 5
    rest = await collect(resumed)
    assert len(rest) == 7
    assert {a.slot for a in rest}.isdisjoint({a.slot for a in got})
    assert len({a.slot for a in read_attempts(run_dir)}) == 12
    assert resumed.summary().variants[0].n_attempts == 6


async def test_resume_redoes_attempts_whose_request_changed(emu: Any, tmp_path: Path) -> None:
    spec = parse_spec(SPEC)
    await collect(EvalRun(spec, target(emu), run_dir=tmp_path / "r"))
    changed = parse_spec(SPEC.replace("Describe {{country}} briefly.", "Describe {{country}}."))
    resumed = EvalRun(changed, target(emu), run_dir=tmp_path / "r")
    assert sorted({p.variant for p in resumed.remaining}) == ["v2"] and len(resumed.remaining) == 6


async def test_errors_are_counted_apart_and_not_cached(emu: Any, tmp_path: Path) -> None:
    spec = parse_spec(SPEC.replace("temperature = 0.5", 'fault = "mid_stream_error"'))
    cache = ResponseCache(tmp_path / "cache")
    attempts = await collect(EvalRun(spec, target(emu), cache=cache))
    errored = [a for a in attempts if a.error]
    assert {a.variant for a in errored} == {"v2"} and len(errored) == 6
    assert all(a.score is None and a.asserts == [] for a in errored)
    summary = EvalRun(spec, target(emu), cache=cache).summary()  # a fresh run: nothing finished yet
    assert summary.variants[1].n_attempts == 0
    run = EvalRun(spec, target(emu), cache=cache)
    assert run.cost_check().cached == 6  # v1 came from the cache; v2's errors were not stored
    await collect(run)
    s = run.summary()
    v1, v2 = s.variants
    assert (v2.errors, v2.n_cases, v2.mean) == (6, 0, None)
    assert (v1.errors, v1.n_cases, v1.mean) == (0, 3, 1.0)
    assert s.error_rate == 0.5


async def test_cost_cap_refuses_before_and_stops_during(emu: Any, tmp_path: Path) -> None:
    spec = parse_spec(SPEC)
    run = EvalRun(spec, target(emu), max_cost_usd=0.0001)
    check = run.cost_check()
    # 12 uncached calls; each at most ~(input estimate)·$1/M + 24·$5/M
    assert check.calls == 12 and check.over_cap and check.upper_usd > 0.0001
    with pytest.raises(CostCapRefused, match="REFUSED"):
        await collect(run)
    assert run.attempts == {}
    one_upper = run.planned[0].upper_usd
    capped = EvalRun(spec, target(emu), run_dir=tmp_path / "c", max_cost_usd=one_upper * 2.5, concurrency=4)
    done = await collect(capped, refuse_over_cap=False)
    assert capped.stopped == COST_CAP
    assert 2 <= len(done) < 12
    assert capped.spent_usd <= capped.cap_usd
    assert capped.spent_usd == pytest.approx(sum(a.cost_usd for a in done))
    assert len((tmp_path / "c" / ATTEMPTS_FILE).read_text().splitlines()) == len(done)


async def test_human_grade_rescoring_is_saved(emu: Any, tmp_path: Path) -> None:
    spec = parse_spec(SPEC.replace('[[asserts]]\ntype = "max_words"', '[[asserts]]\ntype = "human"\n[[asserts]]\n'
                                                                     'type = "max_words"'))
    run = EvalRun(spec, target(emu), run_dir=tmp_path / "h")
    await collect(run)
    a = next(iter(run.attempts.values()))
    assert a.score == 1.0  # human pending: only max_words counts
    graded = run.set_human_grade(a.variant, a.case, a.repeat, 0, 2, "too long")
    assert graded.score == pytest.approx((0.25 + 1.0) / 2) and graded.passed is False
    reread = {x.slot: x for x in read_attempts(tmp_path / "h")}[a.slot]
    assert reread.human == {"0": [2, "too long"]} and reread.score == graded.score
    assert json.loads(json.dumps(reread.to_json()))["pass"] is False


async def test_grader_assertions_go_through_the_backend_and_are_cached(emu: Any, tmp_path: Path) -> None:
    text = SPEC.replace("repeats = 2", "repeats = 1").replace(
        '[[asserts]]\ntype = "max_words"\nvalue = 1000',
        '[[asserts]]\ntype = "llm_rubric"\nvalue = "Mentions {{country}}."\ngrader_model = "claude-haiku-4-5"\n'
        '[[asserts]]\ntype = "ideal_match"\n').replace('country = "France"', 'country = "France"\n_ideal = "Paris"'
    ).replace('country = "Japan"', 'country = "Japan"\n_ideal = "Tokyo"').replace(
        'country = "Peru"', 'country = "Peru"\n_ideal = "Lima"')
    spec = parse_spec(text)
    cache = ResponseCache(tmp_path / "cache")
    run = EvalRun(spec, target(emu), cache=cache)
    assert run.cost_check().calls == 6 * 3  # each attempt: its call and two grader calls
    attempts = await collect(run)
    assert not any(a.error for a in attempts)
    rubric, ideal = attempts[0].asserts
    # The emulator fills the grade tool's integer from the first number in the prompt ("from 1 to 5"):
    # offline the grade rehearses the plumbing, deterministically.
    assert rubric["details"]["grade"] == 1 and rubric["score"] == 0.0 and rubric["pass"] is False
    assert rubric["details"]["grader_model"] == "claude-haiku-4-5"
    assert rubric["details"]["rubric"] == f"Mentions {attempts[0].vars['country']}."
    assert ideal["details"]["grader_model"] == "claude-haiku-4-5"  # the variant's model when none is named
    grader_cost = rubric["details"]["grader_cost_usd"] + ideal["details"]["grader_cost_usd"]
    assert grader_cost > 0
    assert run.spent_usd == pytest.approx(sum(a.cost_usd for a in attempts))
    again = EvalRun(spec, target(emu), cache=cache)
    assert again.cost_check().calls == 6 * 2  # the replies are cached; the graders may still be asked
    second = await collect(again)
    assert all(r["details"]["grader_cached"] for a in second for r in a.asserts)
    assert again.spent_usd == 0.0

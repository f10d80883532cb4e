"""Sweep summaries kept incrementally: hand-computed statistics, similarity scored once per grid point
(over a fixed sample of pairs beyond a size), and a running sweep's refreshes doing no per-pair work
for points that did not change (the similarity function is wrapped and its calls counted)."""

from __future__ import annotations

import itertools
from math import comb
from typing import Any

import pandas as pd
import pytest

from playground.responses import Usage
from playground.settings import FIELDS, RunSettings
from playground.tuning import cost, report, variation
from playground.tuning.runner import Job, JobResult, Update
from playground.ui.tuning.sweep_view import Cadence, SweepView


def res(key: int, temp: float, stop: list[str], text: str, repeat: int = 0, error: str | None = None,
        out_tokens: int = 10, duration: float = 1.0, cost_usd: float | None = 0.01) -> JobResult:
    r = JobResult(key, RunSettings(temperature=temp, stop_sequences=tuple(stop)),
                  {"cell": key, "repeat": repeat, "values": {"temperature": temp, "stop": list(stop)}})
    r.text, r.error, r.done, r.started = text, error, True, True
    r.duration_s, r.ttft_s, r.cost_usd = duration, 0.1, cost_usd
    r.usage = None if error else Usage(5, out_tokens)
    return r


@pytest.fixture
def pair_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every call of the per-pair similarity, recorded."""
    calls: list[tuple[str, str]] = []
    real = variation.similarity

    def counted(a: str, b: str) -> float:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(variation, "similarity", counted)
    return calls


def test_summary_statistics_match_hand_computed_values():
    results = [
        res(0, 0.0, ["END"], "a b c", 0, out_tokens=10, duration=1.0, cost_usd=0.01),
        res(1, 0.0, ["END"], "A  b c", 1, out_tokens=20, duration=3.0, cost_usd=0.03),
        res(2, 0.0, ["END"], "a b d", 2, out_tokens=30, duration=2.0, cost_usd=None),
        res(3, 1.0, [], "x y", 0),
        res(4, 1.0, [], "", 1, error="OverloadedError: 529"),
    ]
    first, second = report.summarize(results, ["temperature", "stop"])
    assert first["temperature"] == 0.0 and first["stop"] == "END"
    assert first["runs"] == 3 and first["errors"] == 0
    assert first["output_tokens"] == 20 and first["latency_s"] == 2.0
    assert first["cost_usd"] == 0.04  # the run without a price adds nothing
    assert first["distinct_outputs"] == 2  # "a b c" and "A  b c" read the same
    # pairs: (abc, abc) = 1; (abc, abd) = 2/3 twice -> (1 + 4/3) / 3
    assert first["similarity"] == round((1 + 4 / 3) / 3, 4) and first["similarity_over"] == "3 pairs"
    assert second["stop"] == "none" and second["runs"] == 2 and second["errors"] == 1
    assert second["similarity"] is None and second["similarity_over"] == ""  # one good output


def test_pairs_beyond_the_limit_are_a_fixed_sample_and_the_table_says_so(pair_calls):
    pairs = variation.sample_pairs(30, limit=50)
    assert len(pairs) == 50 == len(set(pairs))
    assert all(0 <= i < j < 30 for i, j in pairs)
    assert pairs == variation.sample_pairs(30, limit=50)  # deterministic
    assert variation.sample_pairs(5, limit=50) == list(itertools.combinations(range(5), 2))
    # all but one of 15 pairs: the index -> pair mapping must reach every row without a duplicate
    almost = variation.sample_pairs(6, limit=14)
    assert len(set(almost)) == 14 and set(almost) < set(itertools.combinations(range(6), 2))

    n = 25  # C(25, 2) = 300 pairs > MAX_PAIRS
    results = [res(k, 0.5, [], f"word{k % 3} shared text", k) for k in range(n)]
    row = report.summarize(results, ["temperature"])[0]
    assert len(pair_calls) == variation.MAX_PAIRS
    assert row["similarity_over"] == f"{variation.MAX_PAIRS} of 300 pairs (sample)"
    sampled = variation.sample_pairs(n)
    texts = [r.text for r in results]
    expected = sum(variation.similarity(texts[i], texts[j]) for i, j in sampled) / len(sampled)
    assert row["similarity"] == round(expected, 4)


def _jobs(points: int, repeats: int) -> list[Job]:
    return [Job(p * repeats + r, RunSettings(), [], {"cell": p * repeats + r, "repeat": r,
                                                     "values": {"temperature": p / 10}})
            for p in range(points) for r in range(repeats)]


def _finished(job: Job, text: str) -> Update:
    r = JobResult(job.key, job.settings, dict(job.meta))
    r.text, r.done, r.started, r.usage, r.duration_s = text, True, True, Usage(1, 2), 0.5
    return Update(job.key, r, True)


def test_refresh_does_no_pair_work_for_points_that_did_not_change(pair_calls):
    jobs = _jobs(points=4, repeats=3)
    view = SweepView(jobs, ["temperature"], "g1")
    # point 0 complete, point 1 one run in: only point 0's three pairs are scored
    view.take([_finished(j, f"text {j.key}") for j in jobs[:4]])
    view.render(final=False)
    assert len(pair_calls) == comb(3, 2)
    for _ in range(3):  # refreshes with nothing new finished: no similarity work at all
        view.take([Update(jobs[5].key, JobResult(jobs[5].key, RunSettings()), False)])  # a running cell streams
        view.render(final=False)
    assert len(pair_calls) == comb(3, 2)
    # point 1 completes: its three pairs, and nothing again for point 0
    view.take([_finished(j, f"text {j.key}") for j in jobs[4:6]])
    view.render(final=False)
    assert len(pair_calls) == 2 * comb(3, 2)
    assert {a for a, _ in pair_calls[3:]} <= {"text 3", "text 4"}
    # the end: point 2 has one run (cancelled sweep) -> nothing to pair; point 3 none
    view.take([_finished(jobs[6], "last")])
    final = view.render(final=True)
    assert len(pair_calls) == 2 * comb(3, 2)
    rows = final[3].to_dict("records")
    assert [r["runs"] for r in rows] == [3, 3, 1]
    assert pd.isna(rows[2]["similarity"]) and rows[0]["similarity_over"] == "3 pairs"
    assert list(final[2]["cell"]) == [0, 1, 2, 3, 4, 5, 6]  # the table in grid order


def test_tables_are_resent_while_small_then_as_the_run_grows_by_a_quarter():
    cadence = Cadence(small=10, growth=1.25)
    sent = [n for n in range(1, 101) if cadence.due(n, n)]
    assert sent[:10] == list(range(1, 11))
    assert sent[10:] == [13, 17, 22, 28, 35, 44, 55, 69, 87]  # each >= 1.25x the last one sent
    assert not cadence.due(100, 87)  # nothing new finished: never re-sent


def _values(**changes: Any) -> list[Any]:
    ui = {**RunSettings().to_ui(), "model": "playground-tiny", "max_tokens": 40, **changes}
    return [ui[k] for k in FIELDS]


@pytest.fixture
def emulator_ctx():
    from playground.backends import Backends
    from playground.config import Config
    from playground.emulator import start_in_thread
    from playground.ui.context import UIContext

    emu = start_in_thread(seed=7)
    backends = Backends(Config(), start_offline=lambda **_: emu)
    try:
        yield UIContext(backends=backends, backend=None, api_key=None, model=None)
    finally:
        backends.close()


async def test_a_running_sweep_scores_each_point_once_when_its_repeats_finish(emulator_ctx, pair_calls, monkeypatch):
    from playground.ui.session import Session
    from playground.ui.tuning import sweep

    monkeypatch.setattr(sweep, "REFRESH_S", 0.0)  # a refresh per batch: the most refreshes the run can make
    handlers = sweep.SweepHandlers(emulator_ctx)
    repeats, points = 4, 5
    outs = []
    counts = []
    async for out in handlers.run("temperature", "0:1:0.25", "(none)", "", repeats, "Tell me about rivers.", 2,
                                  cost.SpendCap(), Session(), "", *_values()):
        outs.append(out)
        counts.append(len(pair_calls))
    head, _, table, summary = outs[-1][:4]
    assert head.startswith("Done: 20/20 runs")
    assert len(table) == points * repeats and list(table["cell"]) == list(range(20))
    assert list(summary["runs"]) == [repeats] * points
    # each point scored exactly once, over all its pairs: C(4, 2) pair calls per point, no more
    assert len(pair_calls) == points * comb(repeats, 2)
    assert list(summary["similarity_over"]) == ["6 pairs"] * points
    # and the calls came in steps of whole points, as points completed (never re-done on a refresh)
    steps = [b - a for a, b in itertools.pairwise([0, *counts]) if b != a]
    assert all(step % comb(repeats, 2) == 0 for step in steps)
    assert len(outs) > points  # it did refresh many times in between

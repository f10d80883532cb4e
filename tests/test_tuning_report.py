"""Sweep report: per-run rows, per-grid-point summary with variation, CSV."""

from __future__ import annotations

import csv
import io

from playground.responses import Usage
from playground.run import RunRecord
from playground.settings import RunSettings
from playground.tuning.report import result_row, summarize, to_csv
from playground.tuning.runner import JobResult


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def res(key, temp, stop, text, repeat=0, error=None, out_tokens=10, duration=1.0, cost=0.01):
    """A finished job whose run record got ``text`` at +0.125 s and ended at +``duration`` s."""
    clock = Clock()
    run = RunRecord(clock)
    clock.now = 0.125
    run.add(text)
    if error:
        clock.now = duration
        run.mark_error(RuntimeError(error), error)
    else:
        run.add(Usage(5, out_tokens))
        clock.now = duration
        run.mark_done()
    r = JobResult(key, RunSettings(temperature=temp, stop_sequences=tuple(stop)),
                  {"cell": key, "repeat": repeat, "values": {"temperature": temp, "stop": list(stop)}}, run)
    r.done, r.started, r.cost_usd = True, True, cost
    return r


def test_rows_and_summary():
    results = [
        res(0, 0.0, ["END"], "a b c", 0, out_tokens=10, duration=1.0),
        res(1, 0.0, ["END"], "a b c", 1, out_tokens=20, duration=3.0),
        res(2, 1.0, [], "x y", 0),
        res(3, 1.0, [], "", 1, error="OverloadedError: 529"),
    ]
    row = result_row(results[0], ["temperature", "stop"])
    assert row["temperature"] == 0.0 and row["stop"] == "END" and row["status"] == "done"
    assert row["output_tokens"] == 10 and row["output_chars"] == 5 and row["cost_usd"] == 0.01
    assert row["latency_s"] == 1.0 and row["ttft_s"] == 0.125
    assert result_row(results[3], ["temperature"])["status"] == "error"
    summary = summarize(results, ["temperature", "stop"])
    assert len(summary) == 2
    first = summary[0]
    assert first["stop"] == "END" and first["runs"] == 2 and first["errors"] == 0
    assert first["output_tokens"] == 15 and first["latency_s"] == 2.0 and first["cost_usd"] == 0.02
    assert first["distinct_outputs"] == 1 and first["similarity"] == 1.0
    second = summary[1]
    assert second["stop"] == "none" and second["errors"] == 1 and second["distinct_outputs"] == 1
    assert second["similarity"] is None  # one good output: nothing to compare


def test_csv_round_trip():
    rows = [result_row(res(0, 0.5, ["a,b"], 'he said "hi"\nbye'), ["temperature"])]
    text = to_csv(rows)
    back = list(csv.DictReader(io.StringIO(text)))
    assert back[0]["output"] == 'he said "hi"\nbye' and back[0]["temperature"] == "0.5"
    assert to_csv([]) == ""
    long = res(1, 0.5, [], "word " * 100)
    assert result_row(long, ["temperature"])["output"].endswith("…")
    assert result_row(long, ["temperature"], preview=False)["output"] == "word " * 100

"""What a running sweep shows, kept up to date from the runs that finished since the last refresh.

A refresh costs what changed, not everything so far: each finished run is turned into its table row
and added to its grid point's running statistics once (``report.point_aggregate``); a point's
similarity is scored once, when its repeats are all in. The two tables are re-sent while small and,
once large, each time the finished count grew by a quarter (so all re-sends add up to a few times
the final size); the plots and the CSV are made once, at the end.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from playground.tuning import report
from playground.tuning.runner import Job, JobResult, Update


class Cadence:
    """When to re-send a view whose size grows with the run: every time while it has at most ``small``
    rows, then whenever the work done grew by ``growth`` since it was last sent."""

    def __init__(self, small: int = 200, growth: float = 1.25) -> None:
        self.small = small
        self.growth = growth
        self._sent_at = 0

    def due(self, rows: int, done: int) -> bool:
        """True when a view of ``rows`` rows, with ``done`` runs finished, should be sent now (and records it)."""
        if done <= self._sent_at:
            return False
        if rows > self.small and done < self._sent_at * self.growth:
            return False
        self._sent_at = done
        return True


def progress_html(done: int, total: int, failed: int, cancelled: int = 0) -> str:
    """The progress line and bar."""
    return (f'<div id="sweep_progress_text">{done}/{total} runs finished, {failed} failed, {cancelled} cancelled'
            f'</div><progress value="{done}" max="{max(total, 1)}" style="width:100%"></progress>')


def plot_frame(rows: list[dict[str, Any]], params: list[str], metric: str) -> pd.DataFrame:
    """A summary metric over the first parameter (coloured by the second), numeric where it can be."""
    frame = pd.DataFrame(rows)
    if frame.empty or metric not in frame:
        return pd.DataFrame({params[0]: [], metric: []})
    # None -> NaN and a float column: an object column would make the axis categorical
    frame = frame.assign(**{metric: pd.to_numeric(frame[metric], errors="coerce")})
    frame = frame[frame[metric].notna()]
    if len(params) > 1:
        frame = frame.assign(**{params[1]: frame[params[1]].astype(str)})
    return frame


class SweepView:
    """One sweep's on-screen state. Feed it each batch of runner updates (:meth:`take`), then
    :meth:`render` the Sweep tab's outputs: plan, progress, table, summary, plots, CSV, Confirm, Cancel."""

    def __init__(self, jobs: Iterable[Job], params: list[str], group_id: str, started: float | None = None) -> None:
        self.params = params
        self.group_id = group_id
        self.started = time.monotonic() if started is None else started
        self.order: dict[Any, int] = {}
        self.points = report.point_aggregate(params)
        for n, job in enumerate(jobs):
            self.order[job.key] = n
            self.points.expect(report.point_of(job.meta, params))
        self.total = len(self.order)
        self.finished: dict[Any, JobResult] = {}
        self.rows: dict[Any, dict[str, Any]] = {}
        self.failed = self.cancelled = 0
        self._table, self._summary = Cadence(), Cadence()

    def take(self, updates: Iterable[Update]) -> None:
        """Fold in a batch of updates: only the runs that finished in it do any work."""
        for update in updates:
            result = update.result
            if not update.done or result.key in self.finished:
                continue
            self.finished[result.key] = result
            self.rows[result.key] = report.result_row(result, self.params)
            self.failed += bool(result.error)
            self.cancelled += bool(result.cancelled)
            self.points.add(result)

    def table(self) -> pd.DataFrame:
        """Every finished run's row, in grid order."""
        return pd.DataFrame([self.rows[k] for k in sorted(self.rows, key=self.order.__getitem__)])

    def render(self, *, final: bool) -> list[Any]:
        """The tab's outputs; ``gr.skip()`` for what need not be sent this time."""
        done = len(self.finished)
        if final:
            self.points.finish()
        summary = self.points.rows()
        table: Any = self.table() if final or self._table.due(done, done) else gr.skip()
        summary_out: Any = (pd.DataFrame(summary) if final or self._summary.due(len(summary), done)
                            else gr.skip())
        x, color = self.params[0], (self.params[1] if len(self.params) > 1 else None)
        # Plots are drawn once, from the complete results: a plot first drawn from a partial frame keeps
        # the colour domain of its first series and would hide series that arrive later.
        plots = [gr.update(value=plot_frame(summary, self.params, m), x=x, y=m, color=color, title=title)
                 if final else gr.skip() for m, title in report.METRICS.items()]
        csv_path: Any = self._write_csv() if final else gr.skip()
        head = (f"{'Cancelled' if self.cancelled else 'Done'}: " if final else "Running: ") + (
            f"{done}/{self.total} runs in {time.monotonic() - self.started:.1f} s, {self.failed} failed, "
            f"{self.cancelled} cancelled. Runs are in History (group `{self.group_id}`).")
        return [head, progress_html(done, self.total, self.failed, self.cancelled), table, summary_out,
                *plots, csv_path, gr.skip(), gr.update(interactive=False) if final else gr.skip()]

    def _write_csv(self) -> str:
        out = Path(tempfile.mkdtemp(prefix="sweep-")) / f"sweep-{self.group_id}.csv"
        ordered = sorted(self.finished.values(), key=lambda r: self.order.get(r.key, 0))
        out.write_text(report.to_csv([report.result_row(r, self.params, preview=False) for r in ordered]),
                       encoding="utf-8")
        return str(out)

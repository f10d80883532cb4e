"""The Sweep tab: a grid over one or two parameters, estimate and confirm, run, table, plots, CSV."""

from __future__ import annotations

import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from playground.errors import PlaygroundError
from playground.tuning import cost, grid, report
from playground.tuning.runner import Job, Runner, paced
from playground.tuning.settings import RunSettings, user_messages
from playground.ui.context import UIContext

from .common import (
    DEFAULT_CONCURRENCY,
    PRIVATE,
    RUNNERS,
    base_settings,
    history_store,
    model_problems,
    session_key,
    target_for,
    tuning_runner,
)


def sweep_plan(param1: str, values1: str, param2: str, values2: str, repeats: Any, text: str,
                settings: dict[str, Any]) -> tuple[RunSettings, dict[str, Any], list[grid.Cell], list[str], cost.Estimate]:
    """Parse the sweep form; raises GridError / ParameterError with a readable message."""
    axes = [grid.parse_axis(param1, values1)]
    if param2 and param2 != "(none)":
        axes.append(grid.parse_axis(param2, values2))
    try:
        reps = int(repeats)
    except (TypeError, ValueError):
        raise grid.GridError(f"repeats: {repeats!r} is not a whole number.") from None
    cells = grid.expand(axes, reps)
    base, extra = base_settings(settings)
    runs = [base.with_values(**c.values) for c in cells]
    # Refuse before anything is sent if a model would reject some cell (e.g. temperature on Opus 4.7).
    problems = sorted({p for run in set(runs) for p in model_problems(run)})
    if problems:
        raise PlaygroundError("the model would reject this sweep: " + "; ".join(problems))
    est = cost.estimate(((run.model, run.max_tokens) for run in runs), cost.estimate_input_tokens(base.system + text))
    return base, extra, cells, [a.param for a in axes], est


def sweep_tab(ctx: UIContext, spend: gr.State, session: gr.State) -> None:
    """Lay out the Sweep tab and wire it (inside a ``gr.Tab``); runs are booked on ``spend``."""
    gr.Markdown("Sweep one or two parameters over values (`0.2, 0.7`), ranges (`0:1:0.25`) or points "
                "(`0..1 x5`); stop sets are separated by `|` (`\\n | END, STOP | none`). Other settings come "
                "from the Playground tab.")
    prompt = gr.Textbox(label="Prompt", lines=3, elem_id="sweep_prompt")
    with gr.Row():
        param1 = gr.Dropdown(list(grid.SWEEPABLE), value="temperature", label="Parameter 1", elem_id="sweep_param1")
        values1 = gr.Textbox("0, 0.5, 1", label="Values 1", elem_id="sweep_values1")
        param2 = gr.Dropdown(["(none)", *grid.SWEEPABLE], value="(none)", label="Parameter 2",
                             elem_id="sweep_param2")
        values2 = gr.Textbox("", label="Values 2", elem_id="sweep_values2")
    with gr.Row():
        repeats = gr.Number(2, label="Repeats", precision=0, minimum=1, maximum=grid.MAX_REPEATS,
                            elem_id="sweep_repeats")
        concurrency = gr.Slider(1, 8, value=DEFAULT_CONCURRENCY, step=1, label="Concurrent requests",
                                elem_id="sweep_concurrency")
    with gr.Row():
        estimate_btn = gr.Button("Estimate", elem_id="sweep_estimate")
        confirm_btn = gr.Button("Confirm and run", variant="primary", visible=False, elem_id="sweep_confirm")
        # enabled only while a sweep runs
        cancel_btn = gr.Button("Cancel", variant="stop", interactive=False, elem_id="sweep_cancel")
    plan = gr.Markdown("", elem_id="sweep_plan")
    progress = gr.HTML("", elem_id="sweep_progress")
    # No wrapping: headers stay on one line and the row scrolls sideways (the output is a short preview).
    table = gr.Dataframe(label="Results (one row per run)", interactive=False, elem_id="sweep_table")
    with gr.Row():
        plots = {m: gr.LinePlot(None, label=title, x_label_angle=-45, elem_id=f"sweep_plot_{m}")
                 for m, title in list(report.METRICS.items())[:3]}
    with gr.Row():
        plots.update({m: gr.LinePlot(None, label=title, x_label_angle=-45, elem_id=f"sweep_plot_{m}")
                      for m, title in list(report.METRICS.items())[3:]})
    summary = gr.Dataframe(label="Per grid point", interactive=False, elem_id="sweep_summary")
    csv_file = gr.File(label="Download the table as CSV", interactive=False, elem_id="sweep_csv")

    form = [param1, values1, param2, values2, repeats, prompt]

    def on_estimate(p1: str, v1: str, p2: str, v2: str, reps: Any, text: str, cap: cost.SpendCap, *values: Any
                    ) -> tuple[Any, Any]:
        settings = UIContext.collect(*values)
        try:
            _, _, cells, _, est = sweep_plan(p1, v1, p2, v2, reps, text, settings)
            cap.check(est)
        except cost.SpendCapExceeded as exc:
            return f"⛔ {exc}", gr.update(visible=False)
        except (grid.GridError, PlaygroundError) as exc:
            return f"⚠️ {exc}", gr.update(visible=False)
        if not (text or "").strip():
            return "⚠️ Type a prompt first.", gr.update(visible=False)
        note = (f"**{est.describe()}.** Session spend so far ${cap.spent_usd:.4f} of a ${cap.cap_usd:.2f} cap. "
                "Press *Confirm and run* to start.")
        return note, gr.update(visible=True)

    estimate_btn.click(on_estimate, [*form, spend, *ctx.settings_inputs], [plan, confirm_btn], **PRIVATE)
    # Any change to the form invalidates the estimate the user confirmed.
    gr.on([c.change for c in form], lambda: gr.update(visible=False), None, confirm_btn, queue=False,
          show_progress="hidden", **PRIVATE)

    outputs = [plan, progress, table, summary, *plots.values(), csv_file, confirm_btn, cancel_btn]

    async def run_sweep(p1: str, v1: str, p2: str, v2: str, reps: Any, text: str, conc: Any, cap: cost.SpendCap,
                        chat: Any, api_key: str, *values: Any) -> AsyncIterator[list[Any]]:
        settings = UIContext.collect(*values)
        between = [gr.skip()] * (len(outputs) - 4)  # table, plots, CSV: untouched until results arrive
        try:
            base, extra, cells, params, est = sweep_plan(p1, v1, p2, v2, reps, text, settings)
            cap.check(est)  # checked again: the cap may have been used up since the estimate
            jobs = []
            for cell in cells:
                run = base.with_values(**cell.values)
                jobs.append(Job(cell.index, run, user_messages(text),
                                {"cell": cell.index, "repeat": cell.repeat, "values": cell.values,
                                 "label": f"sweep cell {cell.index}"}))
            target = target_for(ctx, settings, api_key)
        except cost.SpendCapExceeded as exc:
            yield [f"⛔ {exc}", "", *between, gr.update(visible=False), gr.skip()]
            return
        except (grid.GridError, PlaygroundError) as exc:
            yield [f"⚠️ {exc}", "", *between, gr.update(visible=False), gr.skip()]
            return
        key = session_key(chat, "sweep")
        if key in RUNNERS:
            yield ["⚠️ A sweep is already running: cancel it first.", *[gr.skip()] * (len(outputs) - 1)]
            return
        runner = tuning_runner(target, chat, extra, kind="sweep", concurrency=max(1, int(conc or DEFAULT_CONCURRENCY)),
                               store=history_store(), spend_cap=cap)
        RUNNERS[key] = runner
        started = time.monotonic()
        yield [f"Running {est.describe()}…", _progress_html(0, len(jobs), 0), *between, gr.update(visible=False),
               gr.update(interactive=True)]
        try:
            # tables are heavier than text: refresh 4x/s at most
            async for _ in paced(runner.run(jobs), 0.25):
                yield _sweep_view(runner, params, len(jobs), started, final=False)
        finally:
            RUNNERS.pop(key, None)
        yield _sweep_view(runner, params, len(jobs), started, final=True)

    confirm_btn.click(run_sweep, [*form, concurrency, spend, session, ctx.api_key, *ctx.settings_inputs], outputs, **PRIVATE)

    def cancel(chat: Any) -> None:
        runner = RUNNERS.get(session_key(chat, "sweep"))
        if runner is not None:
            runner.cancel()

    cancel_btn.click(cancel, session, None, queue=False, **PRIVATE)


def _progress_html(done: int, total: int, failed: int, cancelled: int = 0) -> str:
    return (f'<div id="sweep_progress_text">{done}/{total} runs finished, {failed} failed, {cancelled} cancelled'
            f'</div><progress value="{done}" max="{max(total, 1)}" style="width:100%"></progress>')


def _plot_frame(rows: list[dict[str, Any]], params: list[str], metric: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if frame.empty or metric not in frame:
        return pd.DataFrame({params[0]: [], metric: []})
    # None -> NaN and a float column: an object column would make the axis categorical
    frame = frame.assign(**{metric: pd.to_numeric(frame[metric], errors="coerce")})
    frame = frame[frame[metric].notna()]
    if len(params) > 1:
        frame = frame.assign(**{params[1]: frame[params[1]].astype(str)})
    return frame


def _sweep_view(runner: Runner, params: list[str], total: int, started: float, *, final: bool) -> list[Any]:
    results = sorted(runner.results.values(), key=lambda r: r.key)
    finished = [r for r in results if r.done]
    failed = sum(1 for r in finished if r.error)
    cancelled = sum(1 for r in finished if r.cancelled)
    rows = [report.result_row(r, params) for r in finished]
    summary_rows = report.summarize(finished, params)
    x, color = params[0], (params[1] if len(params) > 1 else None)
    # Plots are drawn once, from the complete results: a plot first drawn from a partial frame keeps
    # the colour domain of its first series and would hide series that arrive later.
    plots = [gr.update(value=_plot_frame(summary_rows, params, m), x=x, y=m, color=color, title=title)
             if final else gr.skip() for m, title in report.METRICS.items()]
    csv_path: Any = gr.skip()
    if final:
        out = Path(tempfile.mkdtemp(prefix="sweep-")) / f"sweep-{runner.group_id}.csv"
        out.write_text(report.to_csv([report.result_row(r, params, preview=False) for r in finished]),
                       encoding="utf-8")
        csv_path = str(out)
    head = (f"{'Cancelled' if cancelled else 'Done'}: " if final else "Running: ") + (
        f"{len(finished)}/{total} runs in {time.monotonic() - started:.1f} s, {failed} failed, {cancelled} cancelled. "
        f"Runs are in History (group `{runner.group_id}`).")
    return [head, _progress_html(len(finished), total, failed, cancelled), pd.DataFrame(rows), pd.DataFrame(summary_rows),
            *plots, csv_path, gr.skip(), gr.update(interactive=False) if final else gr.skip()]

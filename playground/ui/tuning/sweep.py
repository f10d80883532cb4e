"""The Sweep tab: a grid over one or two parameters, estimate and confirm, run, table, plots, CSV."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import gradio as gr

from playground.errors import PlaygroundError
from playground.settings import RunSettings, SettingsError
from playground.tuning import cost, grid, report
from playground.tuning.batch import BatchSweep
from playground.tuning.runner import Job, paced, user_messages
from playground.ui.context import UIContext, read_settings

from .common import (
    DEFAULT_CONCURRENCY,
    PRIVATE,
    RUNNERS,
    checked,
    history_store,
    inherited_summary,
    owner_of,
    session_key,
    target_for,
    tuning_runner,
)
from .sweep_batch import BATCH_COLUMNS, BatchesHandlers, BatchFollower, batch_control, batch_progress_html, ledger
from .sweep_view import SweepView, progress_html

# What a sweep run updates: plan, progress, table, summary, the plots, CSV, Confirm, Cancel.
N_OUTPUTS = 7 + len(report.METRICS)
# A sweep axis -> the settings field it sets (the axis keeps the short name the table shows).
AXIS_FIELDS = {"stop": "stop_sequences"}
REFRESH_S = 0.25


def cell_settings(base: RunSettings, values: dict[str, Any]) -> RunSettings:
    """``base`` with one cell's swept values."""
    return base.replace(**{AXIS_FIELDS.get(k, k): v for k, v in values.items()})


def sweep_plan(param1: str, values1: str, param2: str, values2: str, repeats: Any, text: str,
               settings: RunSettings, *, batch: bool = False) -> tuple[list[Job], list[str], list[str], cost.Estimate]:
    """Parse the sweep form into jobs: ``(jobs, swept params, notes, estimate)``. Each cell is the
    Playground's settings with the cell's values, fitted to the cell's model (a note says what an
    inherited value was left out for which model); a swept value the model refuses stops the plan.
    ``batch``: the estimate at Message Batches prices. Raises GridError / PlaygroundError with a readable message."""
    axes = [grid.parse_axis(param1, values1)]
    if param2 and param2 != "(none)":
        axes.append(grid.parse_axis(param2, values2))
    reps = _repeats(repeats)
    cells = grid.expand(axes, reps)
    swept = [AXIS_FIELDS.get(a.param, a.param) for a in axes]
    fitted: dict[RunSettings, RunSettings] = {}
    notes: dict[str, None] = {}
    jobs = []
    for cell in cells:
        try:
            run = cell_settings(settings, cell.values)
        except SettingsError as exc:
            raise PlaygroundError(f"cell {cell.index}: {exc}") from None
        if run not in fitted:
            label = ", ".join(f"{k}={v}" for k, v in cell.values.items())
            fitted[run], left_out = checked(run, f"the model would reject this sweep at {label}", keep=swept)
            notes.update(dict.fromkeys(f"{fitted[run].model_id}: {n}" for n in left_out))
        jobs.append(Job(cell.index, fitted[run], user_messages(text),
                        {"cell": cell.index, "repeat": cell.repeat, "values": cell.values,
                         "label": f"sweep cell {cell.index}"}))
    est = cost.estimate(((j.settings.model_id, j.settings.max_tokens) for j in jobs),
                        cost.estimate_input_tokens(settings.system + text), batch=batch)
    return jobs, [a.param for a in axes], list(notes), est


def show_inherited(p1: str, p2: str, *values: Any) -> str:
    """The ``sweep_inherits`` line: what the cells take from the Playground (the swept fields left out)."""
    try:
        settings = read_settings(values)
    except SettingsError as exc:
        return f"⚠️ Playground settings: {exc}"
    return inherited_summary(settings, [AXIS_FIELDS.get(p, p) for p in (p1, p2)])


def sweep_tab(ctx: UIContext, spend: gr.State, session: gr.State, tab: Any = None) -> None:
    """Lay out the Sweep tab and wire it (inside a ``gr.Tab``; ``tab``: it, to refresh what the sweep
    inherits whenever it opens); runs are booked on ``spend``."""
    gr.Markdown("Sweep one or two parameters over values (`0.2, 0.7`), ranges (`0:1:0.25`) or points "
                "(`0..1 x5`); stop sets are separated by `|` (`\\n | END, STOP | none`). Other settings come "
                "from the Playground tab.")
    prompt = gr.Textbox(label="Prompt", lines=3, elem_id="sweep_prompt")
    # What the cells take from the Playground: shown before anything is estimated or sent.
    inherits = gr.Markdown("", elem_id="sweep_inherits")
    with gr.Row():
        param1 = gr.Dropdown(list(grid.SWEEPABLE), value="temperature", label="Parameter 1", elem_id="sweep_param1")
        values1 = gr.Textbox("0, 0.5, 1", label="Values 1", elem_id="sweep_values1")
        param2 = gr.Dropdown(["(none)", *grid.SWEEPABLE], value="(none)", label="Parameter 2",
                             elem_id="sweep_param2")
        values2 = gr.Textbox("", label="Values 2", elem_id="sweep_values2")
    with gr.Row():
        # No minimum/maximum: Gradio would refuse the value before the handler with a bare "Error";
        # sweep_plan says what is wrong in words.
        repeats = gr.Number(2, label="Repeats", precision=0,
                            elem_id="sweep_repeats")
        concurrency = gr.Slider(1, 8, value=DEFAULT_CONCURRENCY, step=1, label="Concurrent requests",
                                elem_id="sweep_concurrency")
        # enabled per the Playground's backend (batch_control says why not)
        use_batch = gr.Checkbox(False, label="Run as a batch (50% price)", elem_id="sweep_batch")
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
    with gr.Accordion("Batches", open=False, elem_id="sweep_batches_section"):
        gr.Markdown("Recent Message Batches on the Playground's backend. Pick a row, then *Cancel* (while it runs) "
                    "or *Results* (a sweep of this app goes into the table above and History).")
        with gr.Row():
            batches_refresh = gr.Button("Refresh", size="sm", elem_id="batches_refresh")
            batches_id = gr.Textbox(label="Batch id", placeholder="msgbatch_...", scale=3, elem_id="batches_id")
            batches_cancel = gr.Button("Cancel batch", size="sm", variant="stop", elem_id="batches_cancel")
            batches_results = gr.Button("Results", size="sm", elem_id="batches_results")
        batches_status = gr.Markdown("", elem_id="batches_status")
        batches_table = gr.Dataframe(headers=BATCH_COLUMNS, interactive=False, elem_id="batches_table")

    form = [param1, values1, param2, values2, repeats, prompt]

    handlers = SweepHandlers(ctx)
    inherited = {"fn": show_inherited, "inputs": [param1, param2, *ctx.settings_inputs], "outputs": inherits,
                 "queue": False, **PRIVATE}
    if tab is not None:
        tab.select(**inherited)
        tab.select(batch_control, ctx.backend, use_batch, queue=False, **PRIVATE)
    ctx.backend.change(batch_control, ctx.backend, use_batch, queue=False, **PRIVATE)
    gr.on([param1.change, param2.change], **inherited)
    # Confirm is shown by an Estimate and hidden by a change of the form after it, through one queue slot in
    # the order they were asked for: a hide for a change made just before the Estimate (a direct request
    # beside the queue) could otherwise reach the page after the Estimate's show and hide it for good.
    in_order = {"concurrency_id": "sweep_confirm", "concurrency_limit": 1}
    estimate_btn.click(handlers.estimate_noted, [session, *form, use_batch, spend, *ctx.settings_inputs],
                       [plan, confirm_btn, inherits], **in_order, **PRIVATE)
    # Any change to the form (or the batch choice: another price) invalidates the estimate the user confirmed.
    gr.on([c.change for c in (*form, use_batch)], invalidate, [session, *form, use_batch], confirm_btn,
          trigger_mode="always_last", **in_order, **PRIVATE)

    outputs = [plan, progress, table, summary, *plots.values(), csv_file, confirm_btn, cancel_btn]
    assert len(outputs) == N_OUTPUTS

    confirm_btn.click(handlers.start, [*form, concurrency, use_batch, spend, session, ctx.api_key,
                                       *ctx.settings_inputs], outputs, **PRIVATE)

    # A batch sweep started before a restart (or in another window) is collected when the tab opens.
    batches = BatchesHandlers(ctx, N_OUTPUTS)
    if tab is not None:
        tab.select(batches.resume, [session, ctx.api_key, spend], outputs, **PRIVATE)
    view_inputs = [session, ctx.api_key, *ctx.settings_inputs]
    batches_refresh.click(batches.refresh, view_inputs, [batches_table, batches_status], **PRIVATE)
    batches_table.select(batches.pick, [batches_table], batches_id, **PRIVATE)
    batches_cancel.click(batches.cancel, [batches_id, *view_inputs], batches_status, **PRIVATE)
    batches_results.click(batches.results, [batches_id, *view_inputs], [batches_status, *outputs], **PRIVATE)

    cancel_btn.click(handlers.cancel, session, None, queue=False, **PRIVATE)


def invalidate(chat: Any, *form: Any) -> Any:
    """Hide Confirm when the form no longer is the one estimated. The page may send a field's change after
    the Estimate it raced (a blur on the click): that change carries the estimated values and keeps Confirm."""
    if getattr(chat, "estimated", {}).get("sweep") == repr(form):
        return gr.skip()
    return gr.update(visible=False)


class SweepHandlers:
    """The Sweep tab's handlers: plain methods, testable without a browser."""

    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx

    def estimate_noted(self, chat: Any, *args: Any) -> tuple[Any, Any, Any]:
        """:meth:`estimate_as`, noting which form (six fields + the batch choice) the shown estimate is for."""
        if hasattr(chat, "estimated"):
            chat.estimated["sweep"] = repr(args[:7])
        return self.estimate_as(*args)

    def estimate(self, p1: str, v1: str, p2: str, v2: str, reps: Any, text: str, cap: cost.SpendCap, *values: Any
                    ) -> tuple[Any, Any, Any]:
        return self.estimate_as(p1, v1, p2, v2, reps, text, False, cap, *values)

    def estimate_as(self, p1: str, v1: str, p2: str, v2: str, reps: Any, text: str, use_batch: bool,
                    cap: cost.SpendCap, *values: Any) -> tuple[Any, Any, Any]:
        """The estimate (at batch prices when ``use_batch``), and the Confirm button shown when it fits."""
        try:
            settings = read_settings(values)
        except SettingsError as exc:
            return f"⚠️ Playground settings: {exc}", gr.update(visible=False), gr.skip()
        inherited = inherited_summary(settings, [AXIS_FIELDS.get(p, p) for p in (p1, p2)])
        try:
            if use_batch and not settings.backend_row.supports_batches:
                raise PlaygroundError(f"Run as a batch: the {settings.backend_row.label} has no Message Batches; "
                                      "untick it to run the cells one by one.")
            _, _, notes, est = sweep_plan(p1, v1, p2, v2, reps, text, settings, batch=bool(use_batch))
            cap.check(est)
        except cost.SpendCapExceeded as exc:
            return f"⛔ {exc}", gr.update(visible=False), inherited
        except (grid.GridError, PlaygroundError) as exc:
            return f"⚠️ {exc}", gr.update(visible=False), inherited
        if not (text or "").strip():
            return "⚠️ Type a prompt first.", gr.update(visible=False), inherited
        note = (f"**{est.describe()}.** Session spend so far ${cap.spent_usd:.4f} of a ${cap.cap_usd:.2f} cap. "
                "Press *Confirm and run* to start.")
        if notes:
            note += "\n\nLeft out (the model does not take them): " + "; ".join(notes)
        return note, gr.update(visible=True), inherited

    async def start(self, p1: str, v1: str, p2: str, v2: str, reps: Any, text: str, conc: Any, use_batch: bool,
                    cap: cost.SpendCap, chat: Any, api_key: str, *values: Any) -> AsyncIterator[list[Any]]:
        """Confirm and run: the cells one by one (:meth:`run`) or as one Message Batch (:meth:`run_batch`)."""
        run = self.run_batch if use_batch else self.run
        async for out in run(p1, v1, p2, v2, reps, text, conc, cap, chat, api_key, *values):
            yield out

    async def run_batch(self, p1: str, v1: str, p2: str, v2: str, reps: Any, text: str, conc: Any,
                        cap: cost.SpendCap, chat: Any, api_key: str, *values: Any) -> AsyncIterator[list[Any]]:
        """Every cell in one Message Batch: stored before polling, followed, collected into the table."""
        between = [gr.skip()] * (N_OUTPUTS - 4)
        try:
            settings = read_settings(values)
            if not settings.backend_row.supports_batches:
                raise PlaygroundError(f"Run as a batch: the {settings.backend_row.label} has no Message Batches; "
                                      "untick it to run the cells one by one.")
            jobs, params, _, est = sweep_plan(p1, v1, p2, v2, reps, text, settings, batch=True)
            cap.check(est)
            target = target_for(self.ctx, settings, api_key)
        except cost.SpendCapExceeded as exc:
            yield [f"⛔ {exc}", "", *between, gr.update(visible=False), gr.skip()]
            return
        except (grid.GridError, PlaygroundError) as exc:
            yield [f"⚠️ {exc}", "", *between, gr.update(visible=False), gr.skip()]
            return
        key = session_key(chat, "sweep")
        if key in RUNNERS:
            yield ["⚠️ A sweep is already running: cancel it first.", *[gr.skip()] * (N_OUTPUTS - 1)]
            return
        sweep = BatchSweep(target, jobs, params, ledger=ledger(), store=history_store(), owner=owner_of(chat),
                           spend_cap=cap)
        RUNNERS[key] = sweep  # type: ignore[assignment]  # taken at once: a second Confirm is refused
        yield [f"Creating a batch of {est.describe()}…", batch_progress_html(None, 0, len(jobs)), *between,
               gr.update(visible=False), gr.skip()]
        try:
            await sweep.create()
        except PlaygroundError as exc:
            RUNNERS.pop(key, None)
            yield [f"⚠️ The batch was not created: {exc}", "", *between, gr.skip(), gr.update(interactive=False)]
            return
        async for out in BatchFollower(N_OUTPUTS).follow(sweep, key, est.describe()):
            yield out

    async def run(self, p1: str, v1: str, p2: str, v2: str, reps: Any, text: str, conc: Any, cap: cost.SpendCap,
                        chat: Any, api_key: str, *values: Any) -> AsyncIterator[list[Any]]:
        between = [gr.skip()] * (N_OUTPUTS - 4)  # table, plots, CSV: untouched until results arrive
        try:
            settings = read_settings(values)
            jobs, params, _, est = sweep_plan(p1, v1, p2, v2, reps, text, settings)
            cap.check(est)  # checked again: the cap may have been used up since the estimate
            target = target_for(self.ctx, settings, api_key)
        except cost.SpendCapExceeded as exc:
            yield [f"⛔ {exc}", "", *between, gr.update(visible=False), gr.skip()]
            return
        except (grid.GridError, PlaygroundError) as exc:  # SettingsError is a PlaygroundError
            yield [f"⚠️ {exc}", "", *between, gr.update(visible=False), gr.skip()]
            return
        key = session_key(chat, "sweep")
        if key in RUNNERS:
            yield ["⚠️ A sweep is already running: cancel it first.", *[gr.skip()] * (N_OUTPUTS - 1)]
            return
        runner = tuning_runner(target, chat, kind="sweep", concurrency=max(1, int(conc or DEFAULT_CONCURRENCY)),
                               store=history_store(), spend_cap=cap)
        RUNNERS[key] = runner
        view = SweepView(jobs, params, runner.group_id)
        yield [f"Running {est.describe()}…", progress_html(0, len(jobs), 0), *between, gr.update(visible=False),
               gr.update(interactive=True)]
        try:
            # tables are heavier than text: refresh 4x/s at most; each refresh folds in only its batch
            async for batch in paced(runner.run(jobs), REFRESH_S):
                view.take(batch)
                yield view.render(final=False)
        finally:
            RUNNERS.pop(key, None)
        yield view.render(final=True)

    @staticmethod
    def cancel(chat: Any) -> None:
        runner = RUNNERS.get(session_key(chat, "sweep"))
        if isinstance(runner, BatchSweep):
            runner.cancel_batch()  # cancels the batch itself (cancel() only stops following it)
        elif runner is not None:
            runner.cancel()




def _repeats(value: Any) -> int:
    """The Repeats box as a whole number from 1 to MAX_REPEATS; GridError saying so otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not (number.is_integer() and 1 <= number <= grid.MAX_REPEATS):
        shown = "nothing" if value is None or value == "" else f"{number:g}" if number == number else repr(value)
        raise grid.GridError(f"Repeats: give a whole number from 1 to {grid.MAX_REPEATS} (got {shown}).")
    return int(number)



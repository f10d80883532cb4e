"""The Evaluate tab: a spec (TOML box + form), its cost check, run / stop / resume with a progress bar,
the summary with two plots, the cases × variants matrix with filters and per-cell grading, exports,
and one History row (kind ``eval``) per finished run.

Runs live in ``<history dir>/evals/runs/<run id>/`` (the library's run directory: attempts.jsonl,
run.json) with ``ui.json`` naming the browser session that made it; replies are cached in
``<history dir>/evals/cache``. After a restart, *Resume* lists this session scope's recent runs.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from playground import catalog, store
from playground.backends import get_backend
from playground.errors import PlaygroundError
from playground.evals import EvalRun, ResponseCache, SpecError, Summary, to_json, write_csv
from playground.evals.asserts import TYPES
from playground.evals.batch import BatchUnsupported, check_batch_backend, read_batch_file
from playground.evals.runner import RUN_FILE
from playground.evals.spec import check_model_rules
from playground.settings import SettingsError
from playground.tuning import cost
from playground.tuning.diff import word_diff
from playground.ui.context import UIContext, read_settings

from . import evaluate_batch as batching
from . import evaluate_generate as gen
from . import evaluate_runs as runs
from . import evaluate_spec as form
from . import evaluate_view as view
from .common import PRIVATE, history_store, load_run, missing_run, owner_of, reader_owner, session_key, target_for
from .history import last_user_text
from .history import run_settings as stored_settings

REFRESH_S = 0.75  # live refresh cadence: the summary is recomputed at most this often, not per attempt
VIEW_COUNT = 5  # what a run, resume or open updates: summary, notes, intervals, cost plot, matrix


def evaluate_tab(ctx: UIContext, spend: gr.State, session: gr.State, tab: Any = None) -> None:
    """Lay out the Evaluate tab and wire it (inside a ``gr.Tab``); spend is booked on ``spend``."""
    handlers = EvaluateHandlers(ctx)
    gr.Markdown("Evaluate prompts × settings × test cases × repeats, graded by assertions, with paired "
                "statistics against the baseline. The TOML spec below is the source of truth (format: README, "
                "*Evaluate*); the form under it rewrites it. Requests go to the Playground tab's backend.")
    gr.HTML("<style>#eval_spec textarea{font-family:ui-monospace,monospace;font-size:13px}</style>")
    with gr.Row():
        with gr.Column(scale=3):
            spec = gr.Textbox(form.EXAMPLE_SPEC, label="Spec (TOML)", lines=22, max_lines=60, elem_id="eval_spec")
        with gr.Column(scale=2):
            with gr.Accordion("Add a variant", open=True):
                v_id = gr.Textbox("", label="Variant id", placeholder="blank: v<n>", elem_id="eval_variant_id")
                v_prompt = gr.Textbox("", label="Prompt template", lines=2, elem_id="eval_variant_prompt",
                                      placeholder="blank: the baseline's prompt; {{column}} fills from the case")
                with gr.Row():
                    v_add = gr.Button("From the Playground's settings", elem_id="eval_add_variant")
                    v_rid = gr.Number(None, label="History run id", precision=0, elem_id="eval_history_id")
                    v_add_run = gr.Button("From that History run", elem_id="eval_add_history")
            with gr.Accordion("Add an assertion", open=True):
                with gr.Row():
                    a_type = gr.Dropdown(list(TYPES), value="icontains", label="Type", elem_id="eval_assert_type")
                    a_weight = gr.Number(1, label="Weight", minimum=0, elem_id="eval_assert_weight")
                a_value = gr.Textbox("", label="Value", elem_id="eval_assert_value",
                                     placeholder="text, a number, or a list: a, b, c ({{_ideal}} works too)")
                a_add = gr.Button("Add assertion", elem_id="eval_add_assert")
            form_note = gr.Markdown("", elem_id="eval_form_note")
    with gr.Accordion("Dataset", open=False):
        grid = gr.Dataframe(form.cases_frame(form.EXAMPLE_SPEC), interactive=True, label="Cases (edit, then write "
                            "them into the spec)", elem_id="eval_grid")
        with gr.Row():
            row_add = gr.Button("Add row", elem_id="eval_add_row")
            rows_write = gr.Button("Write the rows into the spec", elem_id="eval_write_rows")
            upload = gr.File(label="Import CSV / JSONL", file_types=[".csv", ".jsonl"], elem_id="eval_dataset")
        with gr.Row():
            gen_n = gr.Number(5, label="Rows to generate", precision=0, minimum=1, maximum=gen.MAX_ROWS,
                              elem_id="eval_generate_n")
            gen_btn = gr.Button("Generate rows with the model (the Playground's settings)",
                                elem_id="eval_generate_rows")
    with gr.Row():
        check_btn = gr.Button("Check", elem_id="eval_check_btn")
        run_btn = gr.Button("Run", variant="primary", elem_id="eval_run")
        stop_btn = gr.Button("Stop", variant="stop", interactive=False, elem_id="eval_stop")
        runs = gr.Dropdown([], label="Earlier runs", allow_custom_value=False, elem_id="eval_runs")
        open_btn = gr.Button("Open", elem_id="eval_open")
        resume_btn = gr.Button("Resume", elem_id="eval_resume")
    with gr.Row():
        batch_box = gr.Checkbox(False, label=batching.LABEL, elem_id="eval_batch",
                                info="One Message Batch: half the list price; results arrive when it ends.")
        batch_note = gr.Markdown("", elem_id="eval_batch_note")
    check_line = gr.Markdown("", elem_id="eval_check")
    status = gr.Markdown("", elem_id="eval_status")
    progress = gr.HTML("", elem_id="eval_progress")
    summary = gr.Dataframe(pd.DataFrame(columns=view.SUMMARY_COLUMNS), interactive=False, label="Summary",
                           elem_id="eval_summary")
    notes = gr.Markdown("", elem_id="eval_notes")
    with gr.Row():
        intervals = gr.HTML("", elem_id="eval_plot_intervals")
        cost_plot = gr.HTML("", elem_id="eval_plot_cost")
    with gr.Row():
        filters = gr.CheckboxGroup(list(view.FILTERS), label="Show only cases with", elem_id="eval_filters")
        search = gr.Textbox("", label="Text", placeholder="in case ids, variables and outputs", elem_id="eval_search")
    matrix = gr.Dataframe(pd.DataFrame(columns=["case"]), interactive=False, label="Matrix (click a cell)",
                          elem_id="eval_matrix")
    with gr.Row():
        with gr.Column(scale=3):
            detail = gr.HTML("", elem_id="eval_cell")
            diff = gr.HighlightedText(label="Word diff against the baseline's cell (same repeat)", combine_adjacent=True,
                                      color_map={"-": "red", "+": "green"}, elem_id="eval_diff")
        with gr.Column(scale=2):
            g_repeat = gr.Dropdown([1], value=1, label="Repeat to grade", elem_id="eval_grade_repeat")
            g_comment = gr.Textbox("", label="Comment", elem_id="eval_grade_comment")
            with gr.Row():
                g_buttons = [gr.Button(str(n), min_width=40, elem_id=f"eval_grade_{n}") for n in range(1, 6)]
            g_note = gr.Markdown("", elem_id="eval_grade_note")
            human_btn = gr.Button("Add a human assertion to the spec", visible=False, elem_id="eval_add_human")
    with gr.Accordion("Compare two runs", open=False):
        gr.Markdown("Run B (picked here) against the run shown above (A), variant by variant, with the same paired "
                    "analysis as against the baseline.")
        with gr.Row():
            other = gr.Dropdown([], label="Run B", elem_id="eval_compare_with")
            compare_btn = gr.Button("Compare", elem_id="eval_compare_btn")
        compared = gr.Dataframe(pd.DataFrame(columns=view.COMPARE_COLUMNS), interactive=False,
                                elem_id="eval_compare")
    export_btn = gr.Button("Export: spec, data, JSON, CSV, HTML report", elem_id="eval_export_btn")
    files = gr.File(label="Downloads", file_count="multiple", interactive=False, visible=False, elem_id="eval_export")
    run_id = gr.State("")
    cell = gr.State(None)

    settings_in = ctx.settings_inputs
    views = [summary, notes, intervals, cost_plot, matrix]
    checked = {"fn": handlers.check_ui, "inputs": [spec, batch_box, spend, ctx.api_key, *settings_in],
               "outputs": [check_line, grid], "concurrency_id": "eval_check", "concurrency_limit": 1,
               **PRIVATE}  # one queue for Check, leaving the box and the batch box: the last asked is shown last
    check_btn.click(**checked)
    batch_box.change(**checked)
    ctx.backend.change(batching.batch_control, ctx.backend, [batch_box, batch_note], **PRIVATE)
    spec.blur(**checked)
    if tab is not None:
        tab.select(handlers.list_runs, session, runs, **PRIVATE).then(handlers.list_runs, session, other, **PRIVATE)
    v_add.click(handlers.add_variant, [spec, v_id, v_prompt, *settings_in], [spec, form_note], **PRIVATE).then(**checked)
    v_add_run.click(handlers.add_history_variant, [spec, v_rid, v_id, v_prompt, session], [spec, form_note],
                    **PRIVATE).then(**checked)
    a_add.click(handlers.add_assert, [spec, a_type, a_value, a_weight], [spec, form_note], **PRIVATE).then(**checked)
    human_btn.click(handlers.add_human, spec, [spec, form_note], **PRIVATE).then(**checked)
    row_add.click(form.add_row, grid, grid, **PRIVATE)
    rows_write.click(handlers.write_rows, [spec, grid], [spec, form_note], **PRIVATE).then(**checked)
    upload.upload(handlers.import_file, [spec, upload], [spec, form_note], **PRIVATE).then(**checked)
    gen_btn.click(handlers.generate_rows, [spec, grid, gen_n, spend, ctx.api_key, *settings_in], [grid, form_note],
                  **PRIVATE)

    run_outputs = [status, progress, *views, run_id, run_btn, stop_btn, resume_btn, runs]
    run_btn.click(handlers.run_ui, [spec, batch_box, spend, session, ctx.api_key, *settings_in], run_outputs,
                  **PRIVATE)
    resume_btn.click(handlers.resume_ui, [runs, batch_box, spend, session, ctx.api_key, *settings_in], run_outputs,
                     **PRIVATE)
    stop_btn.click(handlers.stop, session, None, queue=False, **PRIVATE)
    open_btn.click(handlers.open_run, [runs, session, ctx.api_key, *settings_in], [status, *views, run_id], **PRIVATE)
    gr.on([filters.change, search.submit], handlers.filter_matrix, [run_id, filters, search], matrix, **PRIVATE)
    cell_out = [cell, detail, diff, g_repeat, g_note, human_btn]
    matrix.select(handlers.select_cell, [matrix, run_id], cell_out, **PRIVATE)
    for n, button in enumerate(g_buttons, start=1):
        button.click(handlers.grader(n), [run_id, cell, g_repeat, g_comment, filters, search],
                     [*views, detail, g_note], **PRIVATE)
    export_btn.click(handlers.export, run_id, files, **PRIVATE)
    compare_btn.click(handlers.compare_runs, [run_id, other, session, ctx.api_key, *settings_in], compared, **PRIVATE)


class EvaluateHandlers:
    """The Evaluate tab's handlers: plain methods, testable without a browser."""

    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx

    # -- setup ------------------------------------------------------------------------------------------
    def check_ui(self, text: str, batch: bool, cap: cost.SpendCap, api_key: str, *values: Any) -> tuple[str, Any]:
        return self.check(text, cap, api_key, *values, batch=bool(batch))

    def check(self, text: str, cap: cost.SpendCap, api_key: str, *values: Any, batch: bool = False
              ) -> tuple[str, Any]:
        """The pre-run line (calls, cache hits, typical and maximum cost against the cap; at batch prices
        for a batch) and the grid."""
        try:
            grid = form.cases_frame(text)
        except SpecError:
            grid = gr.skip()
        try:
            run, note = self._plan(text, cap, api_key, values, batch=batch)
        except (SpecError, PlaygroundError) as exc:
            return f"⚠️ {exc}", grid
        check = run.cost_check()
        line = f"**{run.spec.name}**{batching.AS_BATCH if batch else ''}: {check.describe()}."
        return line + note, grid

    def _plan(self, text: str, cap: cost.SpendCap | None, api_key: str, values: Any,
              run_dir: Path | None = None, batch: bool = False) -> tuple[EvalRun, str]:
        """The spec checked against the Playground's backend, as an EvalRun capped by the spec and the
        session's budget (priced at batch prices for a batch); and a note on what the tab decided."""
        spec = form.ui_spec(text)
        try:
            settings = read_settings(values)
        except SettingsError as exc:
            raise PlaygroundError(f"Playground settings: {exc}") from None
        check_model_rules(spec, settings.backend)
        if batch:
            try:
                check_batch_backend(get_backend(settings.backend))
            except BatchUnsupported:
                raise PlaygroundError(batching.unsupported(settings.backend)) from None
        target = target_for(self.ctx, settings, api_key)
        note = ""
        wanted = spec.target.get("backend")
        if wanted and wanted != settings.backend:
            note += (f" The spec's [defaults] name backend {wanted!r}; this tab sends to the Playground's backend "
                     f"({settings.backend}): switch it there to use {wanted}.")
        limit = spec.max_cost_usd
        if cap is not None and (limit is None or cap.remaining_usd < limit):
            limit = cap.remaining_usd
            note += f" The cap is this session's budget left (${cap.remaining_usd:.4f} of ${cap.cap_usd:.2f})."
        run = EvalRun(spec, target, run_dir=run_dir, cache=ResponseCache(runs.evals_dir() / "cache"), max_cost_usd=limit,
                      batch=batch)
        return run, note

    def add_variant(self, text: str, vid: str, prompt: str, *values: Any) -> tuple[Any, str]:
        try:
            return form.add_variant(text, read_settings(values), vid, prompt), "Added a variant with the " \
                "Playground's settings."
        except (SpecError, SettingsError) as exc:
            return gr.skip(), f"⚠️ {exc}"

    def add_history_variant(self, text: str, rid: Any, vid: str, prompt: str, chat: Any) -> tuple[Any, str]:
        run = load_run(rid, chat)
        if run is None:
            return gr.skip(), f"⚠️ {'Type a History run id first.' if rid is None else missing_run(rid)}"
        try:
            out = form.add_variant(text, stored_settings(run), vid, prompt or last_user_text(run.messages),
                                   stem=f"run{run.id}-")
        except SpecError as exc:
            return gr.skip(), f"⚠️ {exc}"
        return out, f"Added a variant with the settings of History run #{run.id}."

    def add_assert(self, text: str, kind: str, value: str, weight: Any) -> tuple[Any, str]:
        try:
            return form.add_assert(text, kind, value, weight), f"Added a {kind} assertion."
        except SpecError as exc:
            return gr.skip(), f"⚠️ {exc}"

    def add_human(self, text: str) -> tuple[Any, str]:
        return self.add_assert(text, "human", "", 1)

    def write_rows(self, text: str, grid: Any) -> tuple[Any, str]:
        rows = form.frame_rows(grid)
        try:
            return form.set_cases(text, rows), f"Wrote {len(rows)} case(s) into the spec as [[cases]]."
        except SpecError as exc:
            return gr.skip(), f"⚠️ {exc}"

    def import_file(self, text: str, upload: Any) -> tuple[Any, str]:
        path = getattr(upload, "name", upload)
        if not path:
            return gr.skip(), ""
        try:
            rows = form.read_dataset(path)
            return form.set_cases(text, rows), f"Imported {len(rows)} case(s) from {Path(path).name} into the spec."
        except SpecError as exc:
            return gr.skip(), f"⚠️ {exc}"

    async def generate_rows(self, text: str, grid: Any, n: Any, cap: cost.SpendCap, api_key: str,
                            *values: Any) -> tuple[Any, str]:
        """New cases from the model for the grid (reviewed there before they go into the spec)."""
        try:
            settings = read_settings(values)
            target = target_for(self.ctx, settings, api_key)
            frame, note, record = await gen.generate_rows(settings, target, text, grid, int(n or 5))
        except (PlaygroundError, ValueError) as exc:
            return gr.skip(), f"⚠️ Could not generate rows: {exc}"
        if record.usage is not None:
            cap.add(catalog.usage_cost_usd(settings.model_id, record.usage))
        return frame, note

    # -- running ------------------------------------------------------------------------------------------
    async def run_ui(self, text: str, batch: bool, cap: cost.SpendCap, chat: Any, api_key: str, *values: Any
                     ) -> AsyncIterator[list[Any]]:
        async with aclosing(self.run(text, cap, chat, api_key, *values, batch=bool(batch))) as outs:
            async for out in outs:
                yield out

    async def resume_ui(self, rid: Any, batch: bool, cap: cost.SpendCap, chat: Any, api_key: str, *values: Any
                        ) -> AsyncIterator[list[Any]]:
        async with aclosing(self.resume(rid, cap, chat, api_key, *values, batch=bool(batch))) as outs:
            async for out in outs:
                yield out

    async def run(self, text: str, cap: cost.SpendCap, chat: Any, api_key: str, *values: Any, batch: bool = False
                  ) -> AsyncIterator[list[Any]]:
        skip = [gr.skip()] * (VIEW_COUNT + 6)
        try:
            spec_name = form.ui_spec(text).name
            rid = runs.new_run_id(spec_name)
            run, note = self._plan(text, cap, api_key, values, run_dir=runs.evals_dir() / "runs" / rid, batch=batch)
        except (SpecError, PlaygroundError) as exc:
            yield [f"⚠️ {exc}", *skip]
            return
        async with aclosing(self._drive(run, rid, cap, chat, api_key, note, new=True)) as outs:
            async for out in outs:  # closed with this generator: its finally frees the session's slot
                yield out

    async def resume(self, rid: Any, cap: cost.SpendCap, chat: Any, api_key: str, *values: Any, batch: bool = False
                     ) -> AsyncIterator[list[Any]]:
        """Continue run ``rid``; a batch it created and has not collected yet is collected, whatever ``batch``."""
        skip = [gr.skip()] * (VIEW_COUNT + 6)
        try:
            path = runs.run_dir_for(rid, chat)
            pending = read_batch_file(path)
            batch = batch or (pending is not None and not pending.get("collected"))
            run, note = self._reopen(path, cap, api_key, values, batch=batch)
        except (SpecError, PlaygroundError) as exc:
            yield [f"⚠️ {exc}", *skip]
            return
        async with aclosing(self._drive(run, path.name, cap, chat, api_key, note, new=False)) as outs:
            async for out in outs:
                yield out

    def _reopen(self, path: Path, cap: cost.SpendCap | None, api_key: str, values: Any, batch: bool = False
                ) -> tuple[EvalRun, str]:
        saved = json.loads((path / RUN_FILE).read_text(encoding="utf-8"))
        backend = (runs.ui_info(path) or {}).get("backend") or saved.get("backend")
        try:
            current = read_settings(values).backend
        except SettingsError as exc:
            raise PlaygroundError(f"Playground settings: {exc}") from None
        if backend and backend != current:
            raise PlaygroundError(f"run {path.name} was made on the {backend} backend: pick it in the Playground tab "
                                  "to continue it (its finished attempts are kept).")
        return self._plan(saved.get("spec", ""), cap, api_key, values, run_dir=path, batch=batch)

    async def _drive(self, run: EvalRun, rid: str, cap: cost.SpendCap, chat: Any, api_key: str, note: str, *,
                     new: bool) -> AsyncIterator[list[Any]]:
        key = session_key(chat, "evaluate")
        if key in runs.RUNNING:
            yield ["⚠️ An eval is already running in this session: stop it first.", *[gr.skip()] * (VIEW_COUNT + 6)]
            return
        check = run.cost_check()
        if check.over_cap:
            yield [f"⛔ Refused: {check.describe()}. Lower max_tokens, the cases or repeats, or raise max_cost_usd."
                   + note, *[gr.skip()] * (VIEW_COUNT + 6)]
            return
        if new:
            run.run_dir.mkdir(parents=True, exist_ok=True)
            (run.run_dir / runs.UI_FILE).write_text(json.dumps({"owner": owner_of(chat), "total": len(run.planned),
                                                           "backend": run.target.kind, "batch": run.batch}),
                                                encoding="utf-8")
        runs.remember(rid, run)
        runs.RUNNING[key] = run
        total, started, spent_before = len(run.planned), time.monotonic(), run.spent_usd
        done = len(run.attempts)
        as_batch = batching.AS_BATCH if run.batch else ""
        head = f"Running {run.spec.name}{as_batch} (run `{rid}`): {check.describe()}.{note}"
        busy = [gr.update(interactive=False), gr.update(interactive=True), gr.update(interactive=False)]
        yield [head, view.progress_html(done, total, 0, 0.0), *self._views(run), rid, *busy, gr.skip()]
        errors, last, line, failure = 0, time.monotonic(), None, ""
        events = batching.events(run) if run.batch else ((None, a) async for a in run.run())
        try:
            async with aclosing(events):  # closed with the tab's generator: the batch task stops too
                async for line_now, attempt in events:
                    if attempt is None:  # a batch progress line: shown at once (one per poll)
                        line = line_now
                        yield [gr.skip(), view.progress_html(done, total, errors, run.spent_usd, line), *[gr.skip()] * 10]
                        continue
                    done += 1
                    errors += attempt.error is not None
                    if time.monotonic() - last >= REFRESH_S:
                        last = time.monotonic()
                        yield [gr.skip(), view.progress_html(done, total, errors, run.spent_usd, line), *self._views(run),
                               gr.skip(), *[gr.skip()] * 3, gr.skip()]
        except PlaygroundError as exc:  # the batch could not be created, polled or read
            failure = f"⚠️ The batch failed: {exc}. "
        finally:
            runs.RUNNING.pop(key, None)
            if cap is not None:
                cap.add(run.spent_usd - spent_before)
        summary = run.summary()
        elapsed = time.monotonic() - started
        history_id = await asyncio.to_thread(self._record, run, summary, chat, elapsed, rid, api_key)
        kept = f" Kept in History as run #{history_id} (kind eval)." if history_id else " (History is unavailable.)"
        word = {None: "Done", "stopped": "Stopped", "cost_cap": "Stopped at the cost cap"}[run.stopped]
        tail = " Press Resume to continue it." if run.stopped else ""
        if failure:
            word, tail = "Not finished", " Press Resume to try again (finished attempts are kept)."
        end = (f"{failure}{word}: {len(run.attempts)}/{total} attempts of {run.spec.name}{as_batch} in {elapsed:.1f} s, "
                f"{summary.errors} errored, ${run.spent_usd:.4f} spent (run `{rid}`).{kept}{tail}")
        idle = [gr.update(interactive=True), gr.update(interactive=False), gr.update(interactive=True)]
        yield [end, view.progress_html(len(summary.attempts), total, summary.errors, run.spent_usd, line),
               *self._views(run),
               rid, *idle, self.list_runs(chat, selected=rid)]

    @staticmethod
    def _record(run: EvalRun, summary: Summary, chat: Any, elapsed: float, rid: str, api_key: str) -> int | None:
        runs_store = history_store()
        if runs_store is None:
            return None
        try:
            return runs_store.record(runs.history_run(run, summary, owner_of(chat), elapsed, rid), secrets=[api_key])
        except (OSError, store.HistoryError, ValueError):
            return None

    @staticmethod
    def stop(chat: Any) -> None:
        run = runs.RUNNING.get(session_key(chat, "evaluate"))
        if run is not None:
            run.stop()

    def list_runs(self, chat: Any, selected: str | None = None) -> Any:
        choices = runs.recent_runs(reader_owner(chat))
        value = selected if selected in [c[1] for c in choices] else (choices[0][1] if choices else None)
        return gr.update(choices=choices, value=value)

    def open_run(self, rid: Any, chat: Any, api_key: str, *values: Any) -> list[Any]:
        try:
            path = runs.run_dir_for(rid, chat)
            run = runs.OPEN.get(path.name) or self._reopen(path, None, api_key, values)[0]
        except (SpecError, PlaygroundError, OSError, ValueError) as exc:
            return [f"⚠️ {exc}", *[gr.skip()] * VIEW_COUNT, gr.skip()]
        runs.remember(path.name, run)
        return [f"Opened run `{path.name}`: {len(run.attempts)}/{len(run.planned)} attempts finished.",
                *self._views(run), path.name]

    def compare_runs(self, rid: str, other: Any, chat: Any, api_key: str, *values: Any) -> Any:
        """Run ``other`` (B) against the run shown (A), variant by variant."""
        shown = runs.OPEN.get(rid or "")
        if shown is None:
            gr.Warning("Run or open an eval first (run A).")
            return gr.skip()
        try:
            path = runs.run_dir_for(other, chat)
            run_b = runs.OPEN.get(path.name) or self._reopen(path, None, api_key, values)[0]
        except (SpecError, PlaygroundError, OSError, ValueError) as exc:
            gr.Warning(str(exc))
            return gr.skip()
        return view.compare_runs_frame(shown.summary(), run_b.summary())

    # -- the results ----------------------------------------------------------------------------------------
    @staticmethod
    def _views(run: EvalRun, chosen: Any = None, text: str = "") -> list[Any]:
        summary = run.summary()
        f = view.MatrixFilter.from_form(chosen, text)
        return [view.summary_frame(summary), "\n\n".join(view.summary_notes(summary)), view.interval_svg(summary),
                view.cost_svg(summary), view.matrix_frame(summary, f)]

    def filter_matrix(self, rid: str, chosen: Any, text: str) -> Any:
        run = runs.OPEN.get(rid or "")
        if run is None:
            return gr.skip()
        return view.matrix_frame(run.summary(), view.MatrixFilter.from_form(chosen, text))

    def select_cell(self, evt: gr.SelectData, frame: Any, rid: str) -> list[Any]:
        skip = [gr.skip()] * 6
        run = runs.OPEN.get(rid or "")
        if run is None or not isinstance(frame, pd.DataFrame) or frame.empty:
            return skip
        row, col = (evt.index if isinstance(evt.index, list | tuple) else (evt.index, 1))
        try:
            case = str(frame.iloc[int(row)]["case"])
            variant = str(frame.columns[int(col)]) if int(col) > 0 else run.spec.baseline
        except (IndexError, KeyError, ValueError, TypeError):
            return skip
        if variant not in {v.id for v in run.spec.variants}:
            return skip
        return self._cell(run, variant, case)

    def _cell(self, run: EvalRun, variant: str, case: str, note: str | None = None) -> list[Any]:
        summary = run.summary()
        slots = view.by_slot(summary)
        base = run.spec.baseline
        diff: Any = []
        if variant != base:
            for r in range(summary.repeats):
                mine, theirs = slots.get((variant, case, r)), slots.get((base, case, r))
                if mine and theirs and mine.error is None and theirs.error is None:
                    diff = word_diff(theirs.output, mine.output)
                    break
        human = [a for a in run.spec.asserts if a.type == "human"]
        if note is None:
            note = (f"Grade repeat N of **{case} × {variant}** from 1 to 5 (stored as the `human` assertion "
                    f"asserts[{human[0].index}]).") if human else (
                "This spec has no `human` assertion, so a grade has nowhere to go: add `[[asserts]]` with "
                "`type = \"human\"` (the button below does), then run again (cached replies cost nothing).")
        repeats = gr.update(choices=list(range(1, summary.repeats + 1)), value=1)
        return [(variant, case), view.cell_html(summary, variant, case), diff, repeats, note,
                gr.update(visible=not human)]

    def grader(self, grade: int) -> Any:
        """The click handler of grade button ``grade``."""
        def handle(rid: str, cell: Any, repeat: Any, comment: str, chosen: Any, text: str) -> list[Any]:
            return self.grade(rid, cell, repeat, grade, comment, chosen, text)
        return handle

    def grade(self, rid: str, cell: Any, repeat: Any, grade: int, comment: str, chosen: Any = None,
              text: str = "") -> list[Any]:
        """Store a 1-5 ``human`` grade for one repeat of the selected cell and refresh the results."""
        skip = [gr.skip()] * (VIEW_COUNT + 1)
        run = runs.OPEN.get(rid or "")
        if run is None or not cell:
            return [*skip, "⚠️ Click a cell of the matrix first."]
        variant, case = cell
        human = [a for a in run.spec.asserts if a.type == "human"]
        if not human:
            return [*skip, "⚠️ This spec has no `human` assertion: add one (button below) and run again."]
        try:
            r = int(repeat) - 1
            run.set_human_grade(variant, case, r, human[0].index, int(grade), comment or "")
        except KeyError:
            return [*skip, f"⚠️ Repeat {repeat} of {case} × {variant} has not run yet."]
        except (ValueError, TypeError) as exc:
            return [*skip, f"⚠️ {exc}"]
        summary = run.summary()
        return [*self._views(run, chosen, text), view.cell_html(summary, variant, case),
                f"Graded repeat {r + 1} of **{case} × {variant}**: {grade}/5" + (f" ({comment})" if comment else "")
                + ". Saved with the run."]

    def export(self, rid: str) -> Any:
        """The spec, its data (CSV), the results as JSON and CSV, and a static HTML report."""
        run = runs.OPEN.get(rid or "")
        if run is None:
            gr.Warning("Run or open an eval first.")
            return gr.skip()
        summary = run.summary()
        out = Path(tempfile.mkdtemp(prefix="eval-export-"))
        stem = re.sub(r"[^\w.-]+", "-", run.spec.name) or "eval"
        (out / f"{stem}.toml").write_text(run.spec.text, encoding="utf-8")
        (out / f"{stem}-cases.csv").write_text(runs.spec_rows_csv(run.spec), encoding="utf-8")
        (out / f"{stem}-results.json").write_text(json.dumps(to_json(summary), indent=2, ensure_ascii=False),
                                                  encoding="utf-8")
        write_csv(summary, out / f"{stem}-attempts.csv")
        (out / f"{stem}-report.html").write_text(view.report_html(summary), encoding="utf-8")
        return gr.update(value=[str(p) for p in sorted(out.iterdir())], visible=True)

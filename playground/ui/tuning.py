"""The tuning tabs: Compare, Sweep, History, Export / Share. Called by ``build_app`` as
``build_tuning_tabs(ctx)`` inside the top-level ``gr.Tabs``, after the Playground tab.

Every tab reuses the Playground's backend, key and settings (``ctx``): Compare and Sweep override
only what they vary. The logic lives in ``playground.tuning`` (pure, unit-tested); this module is
layout plus thin handlers. Runs go through :class:`playground.tuning.runner.Runner`, which stores
each one in the run history (``playground.store``).
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from playground import catalog, store
from playground.errors import PlaygroundError
from playground.tuning import cost, exports, grid, report, share
from playground.tuning.diff import changes_markdown, word_diff
from playground.tuning.presets import PresetError, PresetStore
from playground.tuning.runner import Job, JobResult, Runner, paced
from playground.tuning.settings import RunSettings, user_messages
from playground.ui.context import UIContext
from playground.ui.render import RENDER_INTERVAL
from playground.ui.settings import SETTING_KEYS, to_provider_kwargs

MAX_COLUMNS = 4
COLUMN_FIELDS = ("model", "temperature", "top_p", "top_k", "max_tokens", "stop")
DEFAULT_CONCURRENCY = 4
# Settings a share link / preset restores in the Playground tab, in this order.
RESTORED_KEYS = ("model", "system", "temperature", "top_p", "top_k", "max_tokens", "stop_sequences", "thinking",
                 "thinking_budget", "effort")
PRIVATE = {"api_visibility": "private"}

# Live runners per (browser session, tab): a Stop/Cancel click finds the run it must stop here.
# Runner.cancel is thread-safe, so the stop handlers need not share the run's event loop.
_RUNNERS: dict[tuple[str, str], Runner] = {}


# -- settings adapters (pure) ------------------------------------------------------------------
def stop_text(stops: tuple[str, ...] | list[str]) -> str:
    """Stop sequences in the Playground's text form: one per line, ``\\n``/``\\t``/``\\\\`` escaped."""
    return "\n".join(s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") for s in stops)


def _blank(value: Any) -> str:
    return "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def base_settings(settings: dict[str, Any]) -> tuple[RunSettings, dict[str, Any]]:
    """The Playground's settings dict -> (RunSettings, extra provider kwargs: tools, tool_choice, headers...).

    Raises ParameterError for values that cannot be sent (same rules as the chat).
    """
    kwargs = to_provider_kwargs(settings)
    thinking = kwargs.get("thinking")
    run = RunSettings(
        model=catalog.resolve((settings.get("model") or "").strip() or None),
        system=kwargs.get("system") or "",
        temperature=kwargs.get("temperature"),
        top_p=kwargs.get("top_p"),
        top_k=kwargs.get("top_k"),
        max_tokens=int(kwargs["max_tokens"]),
        stop=tuple(kwargs.get("stop") or ()),
        thinking_budget=thinking if isinstance(thinking, int) else None,
        effort=kwargs.get("effort"),
    )
    extra = {k: kwargs[k] for k in ("tools", "tool_choice", "headers") if kwargs.get(k) is not None}
    if isinstance(thinking, dict):
        extra["thinking"] = thinking
    return run, extra


def ui_values(run: RunSettings) -> dict[str, Any]:
    """RunSettings -> values for the Playground components named in RESTORED_KEYS."""
    return {
        "model": run.model, "system": run.system, "temperature": _blank(run.temperature),
        "top_p": _blank(run.top_p), "top_k": _blank(run.top_k), "max_tokens": run.max_tokens,
        "stop_sequences": stop_text(run.stop), "thinking": "budget" if run.thinking_budget else "off",
        "thinking_budget": run.thinking_budget or 2048, "effort": run.effort or "",
    }


def column_settings(base: RunSettings, model: str, temperature: Any, top_p: Any, top_k: Any, max_tokens: Any,
                    stop: str) -> RunSettings:
    """A Compare column: the Playground's settings with this column's model and sampling values.
    A blank sampling box means "not sent"."""
    values = to_provider_kwargs({"temperature": temperature, "top_p": top_p, "top_k": top_k,
                                 "max_tokens": max_tokens, "stop_sequences": stop})
    return base.with_values(model=(model or "").strip() or base.model, temperature=values["temperature"],
                            top_p=values["top_p"], top_k=values["top_k"], max_tokens=values["max_tokens"],
                            stop=values["stop"] or ())


def _problems(run: RunSettings) -> list[str]:
    """What the model would reject (the provider's checks, when installed)."""
    try:
        from playground.params import problems
    except ImportError:
        return []
    thinking = run.thinking_budget or None
    return list(problems(run.model, temperature=run.temperature, top_p=run.top_p, top_k=run.top_k,
                         max_tokens=run.max_tokens, stop=list(run.stop) or None, thinking=thinking))


def stats_line(result: JobResult) -> str:
    """Per-column footer: status, tokens, cost, TTFT, tok/s, stop reason."""
    parts = [f"**{result.settings.model}** · {result.status()}"]
    if result.usage:
        parts.append(f"{result.usage.input_tokens} in / {result.usage.output_tokens} out tokens")
    if result.cost_usd is not None:
        parts.append(f"${result.cost_usd:.6f}")
    if result.ttft_s is not None:
        parts.append(f"TTFT {result.ttft_s:.2f} s")
    if result.tokens_per_s:
        parts.append(f"{result.tokens_per_s:.0f} tok/s")
    if result.duration_s is not None and result.done:
        parts.append(f"total {result.duration_s:.2f} s")
    if result.stop_reason:
        parts.append(f"stop: `{result.stop_reason}`")
    if result.retries:
        parts.append(f"{len(result.retries)} retr{'y' if len(result.retries) == 1 else 'ies'}")
    line = " · ".join(parts)
    if result.error:
        line += f"\n\n⚠️ {result.error}"
    return line


class SessionToken:
    """A per-browser-session id kept in ``gr.State`` (each session's deep copy gets a fresh one):
    the key under which a session's live runner is found by its Stop / Cancel buttons."""

    def __init__(self) -> None:
        self.value = uuid.uuid4().hex

    def __deepcopy__(self, memo: dict[int, Any]) -> SessionToken:
        return SessionToken()


def _session_key(token: SessionToken, tab: str) -> tuple[str, str]:
    return (token.value, tab)


def _target(ctx: UIContext, settings: dict[str, Any], api_key: str | None) -> Any:
    return ctx.backends.target(settings["backend"], api_key, settings["base_url"])


def _history() -> store.RunStore | None:
    try:
        return store.get_store()
    except (OSError, store.HistoryError):  # an unwritable data dir must not break the tabs
        return None


# -- Compare -----------------------------------------------------------------------------------
def _compare_tab(ctx: UIContext, spend: gr.State, token: gr.State) -> Any:
    gr.Markdown("Send one prompt to 2–4 configurations at once. Backend, key, system prompt and tools come "
                "from the Playground tab; blank sampling boxes are not sent.")
    prompt = gr.Textbox(label="Prompt", lines=3, elem_id="compare_prompt")
    with gr.Row():
        n_cols = gr.Radio([2, 3, 4], value=2, label="Columns", elem_id="compare_n")
        run_btn = gr.Button("Run all", variant="primary", elem_id="compare_run")
        stop_all = gr.Button("Stop all", variant="stop", elem_id="compare_stop_all")
    status = gr.Markdown("", elem_id="compare_status")
    cols: list[dict[str, Any]] = []
    with gr.Row(equal_height=False):
        for i in range(MAX_COLUMNS):
            with gr.Column(visible=i < 2, min_width=240) as box:
                c: dict[str, Any] = {"box": box}
                c["model"] = gr.Dropdown([catalog.EMULATOR_MODEL, *[m.id for m in catalog.MODELS]],
                                         value=catalog.EMULATOR_MODEL, allow_custom_value=True,
                                         label=f"Model {i + 1}", elem_id=f"cmp{i}_model")
                with gr.Row():
                    c["temperature"] = gr.Textbox(["0.2", "1", "0.6", ""][i], label="temperature",
                                                  elem_id=f"cmp{i}_temperature", placeholder="default")
                    c["top_p"] = gr.Textbox("", label="top_p", elem_id=f"cmp{i}_top_p", placeholder="default")
                with gr.Row():
                    c["top_k"] = gr.Textbox("", label="top_k", elem_id=f"cmp{i}_top_k", placeholder="default")
                    c["max_tokens"] = gr.Number(256, label="max_tokens", precision=0, minimum=1,
                                                elem_id=f"cmp{i}_max_tokens")
                c["stop"] = gr.Textbox("", label="Stop sequences (one per line)", lines=1,
                                       elem_id=f"cmp{i}_stop")
                c["output"] = gr.Textbox("", label="Output", lines=10, max_lines=20, interactive=False,
                                         elem_id=f"cmp{i}_output")
                c["stats"] = gr.Markdown("", elem_id=f"cmp{i}_stats")
                with gr.Row():
                    c["stop_btn"] = gr.Button("Stop", size="sm", elem_id=f"cmp{i}_stop_btn")
                    c["copy"] = gr.Button("Copy settings to chat", size="sm", elem_id=f"cmp{i}_copy")
                cols.append(c)

    n_cols.change(lambda n: [gr.update(visible=i < int(n)) for i in range(MAX_COLUMNS)], n_cols,
                  [c["box"] for c in cols], queue=False, **PRIVATE)
    column_inputs = [c[f] for c in cols for f in COLUMN_FIELDS]
    outputs = [status, *[c["output"] for c in cols], *[c["stats"] for c in cols]]

    async def run_compare(n: int, text: str, cap: cost.SpendCap, tok: SessionToken, api_key: str, *values: Any
                          ) -> AsyncIterator[list[Any]]:
        n = int(n)
        settings = UIContext.collect(*values[:len(SETTING_KEYS)])
        col_values = values[len(SETTING_KEYS):]
        if not (text or "").strip():
            yield ["⚠️ Type a prompt first.", *[gr.skip()] * (2 * MAX_COLUMNS)]
            return
        key = _session_key(tok, "compare")
        if key in _RUNNERS:
            yield ["⚠️ A compare is already running: stop it first.", *[gr.skip()] * (2 * MAX_COLUMNS)]
            return
        try:
            base, extra = base_settings(settings)
            jobs = []
            for i in range(n):
                fields = col_values[i * len(COLUMN_FIELDS):(i + 1) * len(COLUMN_FIELDS)]
                run = column_settings(base, *fields)
                for p in _problems(run):
                    raise PlaygroundError(f"column {i + 1} ({run.model}): {p}")
                jobs.append(Job(i, run, user_messages(text), {"label": f"column {i + 1}"}))
            target = _target(ctx, settings, api_key)
        except PlaygroundError as exc:
            yield [f"⚠️ {exc}", *[gr.skip()] * (2 * MAX_COLUMNS)]
            return
        runner = Runner(api_key=target.api_key, api_base=target.api_base, provider=target.provider,
                        concurrency=MAX_COLUMNS, store=_history(), spend_cap=cap, kind="compare",
                        backend=target.api_base or target.kind, extra_kwargs=extra)
        _RUNNERS[key] = runner
        blank = [gr.update(value="") if i < n else gr.skip() for i in range(MAX_COLUMNS)]
        yield ["Running…", *blank, *blank]
        try:
            async for _ in paced(runner.run(jobs), RENDER_INTERVAL, flush_on_done=True):
                yield _compare_view(runner, n, done=False)
        finally:
            _RUNNERS.pop(key, None)
        yield _compare_view(runner, n, done=True)

    run_btn.click(run_compare, [n_cols, prompt, spend, token, ctx.api_key, *ctx.settings_inputs, *column_inputs], outputs,
                  **PRIVATE)

    def stopper(index: int | None) -> Callable[..., None]:
        def stop(tok: SessionToken) -> None:
            runner = _RUNNERS.get(_session_key(tok, "compare"))
            if runner is not None:
                runner.cancel(index)
        return stop

    stop_all.click(stopper(None), token, None, queue=False, **PRIVATE)
    for i, c in enumerate(cols):
        c["stop_btn"].click(stopper(i), token, None, queue=False, **PRIVATE)
        restored = [ctx.settings[k] for k in ("model", "temperature", "top_p", "top_k", "max_tokens",
                                              "stop_sequences")]
        c["copy"].click(_copy_column, [c[f] for f in COLUMN_FIELDS], restored, queue=False, **PRIVATE)
    return prompt


def _copy_column(model: str, temperature: str, top_p: str, top_k: str, max_tokens: Any, stop: str
                 ) -> tuple[Any, ...]:
    gr.Info("Settings copied to the Playground tab.")
    return (gr.update(value=catalog.resolve(model or None)), temperature or "", top_p or "", top_k or "",
            max_tokens, stop or "")


def _compare_view(runner: Runner, n: int, *, done: bool) -> list[Any]:
    results = [runner.results.get(i) for i in range(MAX_COLUMNS)]
    texts = [r.text if r is not None else gr.skip() for r in results]
    stats = [stats_line(r) if r is not None else gr.skip() for r in results]
    finished = sum(1 for r in results if r is not None and r.done)
    status = f"{finished}/{n} columns finished" + (" ✓" if done else "…")
    return [status, *texts, *stats]


# -- Sweep -------------------------------------------------------------------------------------
def _sweep_plan(param1: str, values1: str, param2: str, values2: str, repeats: Any, text: str,
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
    problems = sorted({p for run in set(runs) for p in _problems(run)})
    if problems:
        raise PlaygroundError("the model would reject this sweep: " + "; ".join(problems))
    est = cost.estimate(((run.model, run.max_tokens) for run in runs), cost.estimate_input_tokens(base.system + text))
    return base, extra, cells, [a.param for a in axes], est


def _sweep_tab(ctx: UIContext, spend: gr.State, token: gr.State) -> None:
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
        cancel_btn = gr.Button("Cancel", variant="stop", elem_id="sweep_cancel")
    plan = gr.Markdown("", elem_id="sweep_plan")
    progress = gr.HTML("", elem_id="sweep_progress")
    table = gr.Dataframe(label="Results (one row per run)", interactive=False, wrap=True, elem_id="sweep_table")
    with gr.Row():
        plots = {m: gr.LinePlot(None, label=title, elem_id=f"sweep_plot_{m}", height=300)
                 for m, title in list(report.METRICS.items())[:3]}
    with gr.Row():
        plots.update({m: gr.LinePlot(None, label=title, elem_id=f"sweep_plot_{m}", height=300)
                      for m, title in list(report.METRICS.items())[3:]})
    summary = gr.Dataframe(label="Per grid point", interactive=False, elem_id="sweep_summary")
    csv_file = gr.File(label="Download the table as CSV", interactive=False, elem_id="sweep_csv")

    form = [param1, values1, param2, values2, repeats, prompt]

    def on_estimate(p1: str, v1: str, p2: str, v2: str, reps: Any, text: str, cap: cost.SpendCap, *values: Any
                    ) -> tuple[Any, Any]:
        settings = UIContext.collect(*values)
        try:
            _, _, cells, _, est = _sweep_plan(p1, v1, p2, v2, reps, text, settings)
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

    outputs = [plan, progress, table, summary, *plots.values(), csv_file, confirm_btn]

    async def run_sweep(p1: str, v1: str, p2: str, v2: str, reps: Any, text: str, conc: Any, cap: cost.SpendCap,
                        tok: SessionToken, api_key: str, *values: Any) -> AsyncIterator[list[Any]]:
        settings = UIContext.collect(*values)
        skip = [gr.skip()] * (len(outputs) - 2)
        try:
            base, extra, cells, params, est = _sweep_plan(p1, v1, p2, v2, reps, text, settings)
            cap.check(est)  # checked again: the cap may have been used up since the estimate
            jobs = []
            for cell in cells:
                run = base.with_values(**cell.values)
                jobs.append(Job(cell.index, run, user_messages(text),
                                {"cell": cell.index, "repeat": cell.repeat, "values": cell.values,
                                 "label": f"sweep cell {cell.index}"}))
            target = _target(ctx, settings, api_key)
        except cost.SpendCapExceeded as exc:
            yield [f"⛔ {exc}", "", *skip[:-1], gr.update(visible=False)]
            return
        except (grid.GridError, PlaygroundError) as exc:
            yield [f"⚠️ {exc}", "", *skip[:-1], gr.update(visible=False)]
            return
        key = _session_key(tok, "sweep")
        if key in _RUNNERS:
            yield ["⚠️ A sweep is already running: cancel it first.", *skip, gr.skip()]
            return
        runner = Runner(api_key=target.api_key, api_base=target.api_base, provider=target.provider,
                        concurrency=max(1, int(conc or DEFAULT_CONCURRENCY)), store=_history(), spend_cap=cap,
                        kind="sweep", backend=target.api_base or target.kind, extra_kwargs=extra)
        _RUNNERS[key] = runner
        started = time.monotonic()
        yield [f"Running {est.describe()}…", _progress_html(0, len(jobs), 0), *skip[:-1], gr.update(visible=False)]
        try:
            # tables are heavier than text: refresh 4x/s at most
            async for _ in paced(runner.run(jobs), 0.25):
                yield _sweep_view(runner, params, len(jobs), started, final=False)
        finally:
            _RUNNERS.pop(key, None)
        yield _sweep_view(runner, params, len(jobs), started, final=True)

    confirm_btn.click(run_sweep, [*form, concurrency, spend, token, ctx.api_key, *ctx.settings_inputs], outputs, **PRIVATE)

    def cancel(tok: SessionToken) -> None:
        runner = _RUNNERS.get(_session_key(tok, "sweep"))
        if runner is not None:
            runner.cancel()

    cancel_btn.click(cancel, token, None, queue=False, **PRIVATE)


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
        out.write_text(report.to_csv(rows), encoding="utf-8")
        csv_path = str(out)
    head = (f"{'Cancelled' if cancelled else 'Done'}: " if final else "Running: ") + (
        f"{len(finished)}/{total} runs in {time.monotonic() - started:.1f} s, {failed} failed, {cancelled} cancelled. "
        f"Runs are in History (group `{runner.group_id}`).")
    return [head, _progress_html(len(finished), total, failed, cancelled), pd.DataFrame(rows), pd.DataFrame(summary_rows),
            *plots, csv_path, gr.skip()]


# -- History -----------------------------------------------------------------------------------
HISTORY_COLUMNS = ["id", "time", "kind", "model", "params", "output", "error"]


def history_rows(runs: list[store.Run]) -> pd.DataFrame:
    """Runs -> the History table."""
    rows = [[r.id, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.created_at)), r.kind, r.model,
             json.dumps(r.params, ensure_ascii=False), (r.output or "")[:100], (r.error or "")[:80]] for r in runs]
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def last_user_text(messages: list[Any]) -> str:
    """The text of the last user message (what the editor shows as the prompt)."""
    for msg in reversed(messages or []):
        if isinstance(msg, dict) and msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "\n".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _drop_omitted_media(messages: list[Any]) -> tuple[list[Any], int]:
    """Messages without the media blocks whose bytes the history did not keep (and how many were dropped)."""
    dropped = 0
    out = []
    for msg in messages:
        content = msg.get("content") if isinstance(msg, dict) else None
        if isinstance(content, list):
            kept = [b for b in content if not (isinstance(b, dict) and str(
                (b.get("source") or {}).get("data", "")).startswith("<omitted"))]
            dropped += len(content) - len(kept)
            msg = {**msg, "content": kept or ""}
        out.append(msg)
    return out, dropped


def _history_tab(ctx: UIContext, spend: gr.State, tab: gr.Tab) -> None:
    notice = store.ephemeral_notice()
    gr.Markdown(("⚠️ " + notice) if notice else f"Every run is kept in `{store.default_path()}` "
                "(set `PLAYGROUND_HISTORY_PATH` to move it). API keys are never stored.", elem_id="history_notice")
    with gr.Row():
        query = gr.Textbox(label="Search", placeholder="text in prompts, outputs, parameters…", elem_id="history_query")
        model_filter = gr.Dropdown([""], value="", label="Model", allow_custom_value=True, elem_id="history_model")
        refresh = gr.Button("Search / refresh", elem_id="history_refresh")
    table = gr.Dataframe(pd.DataFrame(columns=HISTORY_COLUMNS), interactive=False, wrap=True,
                         elem_id="history_table", label="Runs (newest first; click a row to open it)")
    with gr.Row():
        run_id = gr.Number(None, label="Run id", precision=0, elem_id="history_run_id")
        open_btn = gr.Button("Open", elem_id="history_open")
    detail = gr.Code("", language="json", label="Run", elem_id="history_detail", max_lines=25)
    gr.Markdown("### Replay and rerun with changes")
    with gr.Row():
        with gr.Column():
            e_prompt = gr.Textbox(label="Prompt", lines=3, elem_id="history_prompt")
            e_system = gr.Textbox(label="System prompt", lines=2, elem_id="history_system")
        with gr.Column():
            e_model = gr.Dropdown([catalog.EMULATOR_MODEL, *[m.id for m in catalog.MODELS]], allow_custom_value=True,
                                  label="Model", elem_id="history_edit_model")
            with gr.Row():
                e_temp = gr.Textbox("", label="temperature", elem_id="history_temperature", placeholder="default")
                e_top_p = gr.Textbox("", label="top_p", elem_id="history_top_p", placeholder="default")
                e_top_k = gr.Textbox("", label="top_k", elem_id="history_top_k", placeholder="default")
            with gr.Row():
                e_max = gr.Number(1024, label="max_tokens", precision=0, minimum=1, elem_id="history_max_tokens")
                e_stop = gr.Textbox("", label="Stop sequences (one per line)", elem_id="history_stop")
    rerun_btn = gr.Button("Rerun with changes", variant="primary", elem_id="history_rerun")
    rerun_status = gr.Markdown("", elem_id="history_rerun_status")
    changes = gr.Markdown("", elem_id="history_changes")
    with gr.Row():
        old_out = gr.Textbox(label="Before", lines=8, interactive=False, elem_id="history_old")
        new_out = gr.Textbox(label="After", lines=8, interactive=False, elem_id="history_new")
    diff = gr.HighlightedText(label="Word diff (− removed, + added)", combine_adjacent=True, show_legend=True,
                              color_map={"-": "red", "+": "green"}, elem_id="history_diff")
    editor = [e_prompt, e_system, e_model, e_temp, e_top_p, e_top_k, e_max, e_stop]

    def search(text: str, model: str) -> tuple[Any, Any]:
        runs_store = _history()
        if runs_store is None:
            gr.Warning("History is unavailable (the data directory is not writable).")
            return gr.update(), gr.update()
        runs = runs_store.search(text or "", model=model or "", limit=200)
        return history_rows(runs), gr.update(choices=["", *runs_store.models()])

    refresh.click(search, [query, model_filter], [table, model_filter], **PRIVATE)
    tab.select(search, [query, model_filter], [table, model_filter], **PRIVATE)  # fresh list on every visit
    query.submit(search, [query, model_filter], [table, model_filter], **PRIVATE)

    def pick(evt: gr.SelectData, frame: pd.DataFrame) -> Any:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        try:
            return int(frame.iloc[int(row)]["id"])
        except (IndexError, KeyError, ValueError, TypeError):
            return gr.update()

    def open_run(rid: Any) -> list[Any]:
        runs_store = _history()
        run = runs_store.get(int(rid)) if (runs_store is not None and rid is not None) else None
        if run is None:
            gr.Warning(f"No run with id {rid}.")
            return [gr.update()] * (1 + len(editor))
        p = run.params
        return [json.dumps({k: v for k, v in run.__dict__.items()}, indent=2, ensure_ascii=False, default=str),
                last_user_text(run.messages), run.system or "", run.model, _blank(p.get("temperature")),
                _blank(p.get("top_p")), _blank(p.get("top_k")), p.get("max_tokens", 1024),
                stop_text(p.get("stop") or [])]

    table.select(pick, [table], run_id, **PRIVATE).then(open_run, run_id, [detail, *editor], **PRIVATE)
    open_btn.click(open_run, run_id, [detail, *editor], **PRIVATE)

    async def rerun(rid: Any, text: str, system: str, model: str, temp: str, top_p: str, top_k: str, max_tokens: Any,
                    stop: str, cap: cost.SpendCap, api_key: str, *values: Any) -> AsyncIterator[list[Any]]:
        runs_store = _history()
        old = runs_store.get(int(rid)) if (runs_store is not None and rid is not None) else None
        if old is None:
            yield ["⚠️ Open a run first.", gr.skip(), gr.skip(), gr.skip(), gr.skip()]
            return
        settings = UIContext.collect(*values)
        try:
            base, extra = base_settings(settings)
            run = column_settings(base.with_values(system=system or "", thinking_budget=None, effort=None),
                                  model or old.model, temp, top_p, top_k, max_tokens, stop)
            target = _target(ctx, settings, api_key)
        except PlaygroundError as exc:
            yield [f"⚠️ {exc}", gr.skip(), gr.skip(), gr.skip(), gr.skip()]
            return
        messages, dropped = _drop_omitted_media(list(old.messages[:-1]) if old.messages else [])
        messages.append({"role": "user", "content": text or last_user_text(old.messages)})
        runner = Runner(api_key=target.api_key, api_base=target.api_base, provider=target.provider, concurrency=1,
                        store=runs_store, spend_cap=cap, kind="rerun", backend=target.api_base or target.kind,
                        extra_kwargs=extra)
        note = f" ({dropped} media block(s) left out: history keeps no file bytes)" if dropped else ""
        yield [f"Rerunning run #{old.id}{note}…", changes_markdown(old.params, run.params()), old.output, "", []]
        job = Job(0, run, messages, {"parent_id": old.id, "label": f"rerun of #{old.id}"})
        async for _ in paced(runner.run([job]), RENDER_INTERVAL):
            yield [gr.skip(), gr.skip(), gr.skip(), runner.results[0].text, gr.skip()]
        result = runner.results[0]
        head = f"Run #{result.run_id} (rerun of #{old.id}){note}: " + stats_line(result)
        old_params = {**old.params, "model": old.model, "system": old.system or ""}
        new_params = {**run.params(), "model": run.model, "system": run.system}
        yield [head, changes_markdown(old_params, new_params), old.output, result.text,
               word_diff(old.output, result.text)]

    rerun_btn.click(rerun, [run_id, *editor, spend, ctx.api_key, *ctx.settings_inputs],
                    [rerun_status, changes, old_out, new_out, diff], **PRIVATE)


# -- Export / Share ----------------------------------------------------------------------------
def export_body(source: str, rid: Any, text: str, settings: dict[str, Any], api_base: str | None
                ) -> tuple[dict[str, Any], str | None]:
    """The request body to export and the base URL it goes to (a stored run's, or the current settings')."""
    if source == "run":
        runs_store = _history()
        run = runs_store.get(int(rid)) if (runs_store is not None and rid is not None) else None
        if run is None:
            raise PlaygroundError(f"no run with id {rid} in the history.")
        if not run.request_body:
            raise PlaygroundError(f"run {rid} has no recorded request body (it failed before sending).")
        base = run.backend if run.backend.startswith("http") else None
        return run.request_body, base
    base, extra = base_settings(settings)
    messages = user_messages(text or "Hello")
    try:  # the provider's own body builder: the export is exactly what a run would send
        from playground.providers.anthropic_request import build_body
    except ImportError:
        body = base.to_body(messages, stream=bool(settings.get("stream")))
        body.update({k: v for k, v in extra.items() if k in ("tools", "tool_choice", "thinking")})
        return body, api_base
    kwargs = {k: v for k, v in to_provider_kwargs(settings).items() if v is not None and k != "headers"}
    return build_body(base.model, messages, **kwargs), api_base


def _export_tab(ctx: UIContext) -> dict[str, Any]:
    gr.Markdown("Export the current Playground settings, or a run from History, as code. The key is never "
                "included: every snippet reads `ANTHROPIC_API_KEY`.")
    with gr.Row():
        source = gr.Radio([("Playground settings", "settings"), ("A run from History", "run")], value="settings",
                          label="Export", elem_id="export_source")
        rid = gr.Number(None, label="Run id", precision=0, elem_id="export_run_id")
    prompt = gr.Textbox(label="Prompt (for the Playground settings)", lines=2, elem_id="export_prompt")
    export_btn = gr.Button("Export", variant="primary", elem_id="export_btn")
    export_status = gr.Markdown("", elem_id="export_status")
    # Stacked, not in nested tabs: a closed tab's contents are not mounted (nothing to copy from).
    with gr.Row():
        curl = gr.Code("", language="shell", label="curl", elem_id="export_curl", max_lines=18)
        raw = gr.Code("", language="json", label="JSON body", elem_id="export_json", max_lines=18)
    with gr.Row():
        package = gr.Code("", language="python", label="Python (this package)", elem_id="export_package",
                          max_lines=22)
        sdk = gr.Code("", language="python", label="Python (official anthropic SDK)", elem_id="export_sdk",
                      max_lines=22)

    def do_export(src: str, run_id: Any, text: str, api_key: str, *values: Any) -> list[Any]:
        settings = UIContext.collect(*values)
        try:
            api_base = _target(ctx, settings, api_key).api_base
            body, base = export_body(src, run_id, text, settings, api_base)
            out = exports.export_all(body, api_base=base)
        except (PlaygroundError, ValueError) as exc:
            return [f"⚠️ {exc}", gr.skip(), gr.skip(), gr.skip(), gr.skip()]
        note = ""
        if "<omitted: sha256" in out["json"]:
            note = ("History keeps no file bytes: replace each `<omitted: …>` media `data` with the file's base64 "
                    "before running these.")
        return [note, out["curl"], out["package"], out["sdk"], out["json"]]

    export_btn.click(do_export, [source, rid, prompt, ctx.api_key, *ctx.settings_inputs],
                     [export_status, curl, package, sdk, raw], **PRIVATE)

    gr.Markdown("### Presets")
    presets = PresetStore()
    with gr.Row():
        preset_name = gr.Textbox(label="Save the Playground settings as", elem_id="preset_name")
        save_btn = gr.Button("Save preset", elem_id="preset_save")
    with gr.Row():
        preset_list = gr.Dropdown(_safe_names(presets), label="Presets", elem_id="preset_list",
                                  allow_custom_value=False)
        load_btn = gr.Button("Load into Playground", elem_id="preset_load")
        delete_btn = gr.Button("Delete", elem_id="preset_delete")
    restored = [ctx.settings[k] for k in RESTORED_KEYS]

    def save(name: str, *values: Any) -> Any:
        try:
            run, _ = base_settings(UIContext.collect(*values))
            presets.save(name or "", run)
        except (PresetError, PlaygroundError, store.HistoryError) as exc:
            gr.Warning(str(exc))
            return gr.update()
        gr.Info(f"Preset {name.strip()!r} saved.")
        return gr.update(choices=_safe_names(presets), value=name.strip())

    def load(name: str) -> list[Any]:
        try:
            run = presets.load(name or "")
        except PresetError as exc:
            gr.Warning(str(exc))
            return [gr.update()] * len(RESTORED_KEYS)
        values = ui_values(run)
        return [values[k] for k in RESTORED_KEYS]

    def delete(name: str) -> Any:
        presets.delete(name or "")
        return gr.update(choices=_safe_names(presets), value=None)

    save_btn.click(save, [preset_name, *ctx.settings_inputs], preset_list, **PRIVATE)
    load_btn.click(load, preset_list, restored, **PRIVATE)
    delete_btn.click(delete, preset_list, preset_list, **PRIVATE)

    gr.Markdown("### Share link")
    with gr.Row():
        include_prompt = gr.Checkbox(False, label="Include the prompt above in the link", elem_id="share_prompt")
        share_btn = gr.Button("Make share link", elem_id="share_btn")
    link = gr.Textbox(label="Link (settings only: never a key)", elem_id="share_link", buttons=["copy"])
    note = gr.Markdown("", elem_id="share_note")

    def make_link(text: str, with_prompt: bool, *values: Any) -> str:
        try:
            run, _ = base_settings(UIContext.collect(*values))
        except PlaygroundError as exc:
            gr.Warning(str(exc))
            return ""
        return share.to_query(run, prompt=text or "", include_prompt=bool(with_prompt))

    # The page's own address is only known to the browser: Python makes the query, JS prefixes it.
    share_btn.click(make_link, [prompt, include_prompt, *ctx.settings_inputs], link, **PRIVATE).then(
        None, link, link, js="(q) => q ? window.location.origin + window.location.pathname + '?' + q : ''")
    return {"prompt": prompt, "note": note}


def _safe_names(presets: PresetStore) -> list[str]:
    try:
        return presets.names()
    except PresetError:
        return []


def restore_from_link(request: gr.Request) -> list[Any]:
    """On page load: settings (and the prompt, if the link has one) from the URL's query string."""
    params = dict(request.query_params) if request is not None else {}
    if not any(k in params for k in share.SHARE_KEYS):
        return [gr.skip()] * (len(RESTORED_KEYS) + 3)
    run, prompt, problems = share.from_query(params)
    values = ui_values(run)
    shown = {k: values[k] for k in RESTORED_KEYS}
    # Only what the link carries: the rest keeps the Playground's defaults.
    present = set(params)
    mapping = {"stop_sequences": "stop", "thinking": "thinking_budget"}
    out = [shown[k] if mapping.get(k, k) in present else gr.skip() for k in RESTORED_KEYS]
    note = "Settings restored from the link." + (" Ignored: " + " ".join(problems) if problems else "")
    text = prompt if prompt else gr.skip()
    return [*out, text, text, note]


# -- entry point -------------------------------------------------------------------------------
def build_tuning_tabs(ctx: UIContext) -> None:
    """Add the Compare, Sweep, History and Export / Share tabs (call inside the top-level ``gr.Tabs``)."""
    with gr.Tab("Compare", id="tuning_compare"):
        # Session state lives inside a tab: a non-Tab child of gr.Tabs confuses its tab order.
        spend = gr.State(cost.SpendCap())
        token = gr.State(SessionToken())
        compare_prompt = _compare_tab(ctx, spend, token)
    with gr.Tab("Sweep", id="tuning_sweep"):
        _sweep_tab(ctx, spend, token)
    with gr.Tab("History", id="tuning_history") as history_tab:
        _history_tab(ctx, spend, history_tab)
    with gr.Tab("Export / Share", id="tuning_export"):
        export = _export_tab(ctx)
    targets = [ctx.settings[k] for k in RESTORED_KEYS] + [compare_prompt, export["prompt"], export["note"]]
    chat_box = getattr(ctx, "prompt", None)
    if chat_box is None:
        on_load(ctx, restore_from_link, targets)
        return

    def restore_with_chat_box(request: gr.Request) -> list[Any]:
        values = restore_from_link(request)
        text = values[-3]  # the shared prompt, or a skip
        return [*values, {"text": text, "files": []} if isinstance(text, str) else gr.skip()]

    on_load(ctx, restore_with_chat_box, [*targets, chat_box])


def on_load(ctx: UIContext, fn: Callable[..., Any], outputs: list[Any]) -> None:
    """Run ``fn`` when the page loads, after the Playground's own load handlers when the context
    offers that hook (so its model-list refresh does not overwrite restored settings)."""
    hooks = getattr(ctx, "after_load", None)
    if isinstance(hooks, list):
        hooks.append({"fn": fn, "inputs": None, "outputs": outputs, **PRIVATE})
        return
    from gradio.context import get_blocks_context

    blocks = get_blocks_context()
    if blocks is not None:
        blocks.root_block.load(fn, None, outputs, **PRIVATE)



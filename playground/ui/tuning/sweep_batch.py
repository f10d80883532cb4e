"""The Sweep tab as a Message Batch: "Run as a batch (50% price)", its progress, a resume after a
restart, and the small Batches view (recent batches: refresh, cancel, results).

The logic is :class:`playground.tuning.batch.BatchSweep`; this module turns its states into the Sweep
tab's outputs (the same table, summary, plots and CSV as a normal sweep, via :class:`SweepView`).
"""

from __future__ import annotations

import html
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import gradio as gr
import pandas as pd

from playground.backends import get_backend
from playground.errors import PlaygroundError
from playground.providers.batches import BatchErrored, BatchInfo, BatchNotEndedError
from playground.settings import RunSettings, SettingsError
from playground.store.batches import BatchLedger
from playground.tuning.batch import KIND, BatchBusy, BatchSweep, is_gone
from playground.tuning.runner import Update
from playground.ui.context import UIContext, read_settings

from .common import RUNNERS, history_store, owner_of, reader_owner, session_key
from .sweep_view import SweepView

LIST_LIMIT = 20  # the Batches view shows the newest this many
REFRESH_S = 0.25
BATCH_COLUMNS = ["id", "status", "processing", "succeeded", "errored", "canceled", "expired", "created", "ended",
                 "sweep"]


def batch_control(backend: str | None) -> Any:
    """The ``sweep_batch`` checkbox for the Playground's backend: enabled where it has Message
    Batches, else off and disabled with the reason."""
    try:
        row = get_backend(backend or "offline")
    except PlaygroundError:
        return gr.update(interactive=False, value=False, info="Pick a backend in the Playground tab first.")
    if row.supports_batches:
        return gr.update(interactive=True, info="All cells go into one Message Batch: half the price, results "
                                                "when the batch ends (minutes on the real API).")
    return gr.update(interactive=False, value=False,
                     info=f"The {row.label} has no Message Batches: only the offline emulator and the Anthropic "
                          "API do.")


def batch_progress_html(info: BatchInfo | None, elapsed_s: float, total: int) -> str:
    """The progress line and bar while the batch runs: status, the request counts, elapsed time."""
    if info is None:
        return f'<div id="sweep_batch_status">creating the batch of {total} requests…</div>'
    c = info.request_counts
    done = c.total - c.processing
    return (f'<div id="sweep_batch_status">Batch <code>{html.escape(info.id)}</code> · '
            f'{html.escape(info.describe())} · {elapsed_s:.0f} s elapsed</div>'
            f'<progress value="{done}" max="{max(c.total or total, 1)}" style="width:100%"></progress>')


def ledger() -> BatchLedger | None:
    runs = history_store()
    if runs is None:
        return None
    try:
        return BatchLedger(runs)
    except Exception:  # noqa: BLE001 — an unreadable store must not break the tab
        return None


class BatchFollower:
    """Drives one :class:`BatchSweep` into the Sweep tab's outputs (plan, progress, table, summary,
    plots, CSV, Confirm, Cancel)."""

    def __init__(self, n_outputs: int) -> None:
        self.n_outputs = n_outputs

    def _say(self, text: str, progress: Any = None) -> list[Any]:
        return [text, gr.skip() if progress is None else progress, *[gr.skip()] * (self.n_outputs - 4),
                gr.skip(), gr.update(interactive=False)]

    async def follow(self, sweep: BatchSweep, key: Any, est_text: str = "") -> AsyncIterator[list[Any]]:
        """Poll the batch until it ends, then collect it into the table and History."""
        RUNNERS[key] = sweep  # type: ignore[assignment]  # Cancel finds it here (BatchSweep.cancel_batch)
        view = SweepView(sweep.jobs.values(), sweep.params, sweep.group_id,
                         started=time.monotonic() - max(0.0, time.time() - sweep.started))
        total = len(sweep.jobs)
        cost = f" {est_text}." if est_text else ""
        try:
            try:
                async for info in sweep.poll():
                    elapsed = time.time() - sweep.started
                    asked = " Cancel asked: the batch stops after the requests in flight." if (
                        sweep.cancel_requested and not info.ended) else ""
                    yield [f"Batch `{info.id}` ({total} requests): {info.processing_status}, {elapsed:.0f} s "
                           f"elapsed.{cost}{asked}", batch_progress_html(info, elapsed, total),
                           *[gr.skip()] * (self.n_outputs - 4), gr.skip(), gr.update(interactive=not info.ended)]
                if sweep.detached:  # the session ended: the batch stays stored for the next visit
                    return
                last = time.monotonic()
                async for result in sweep.collect():
                    view.take([Update(result.key, result, True)])
                    if time.monotonic() - last >= REFRESH_S:
                        last = time.monotonic()
                        yield view.render(final=False)
            except BatchBusy as exc:
                yield self._say(f"⚠️ {exc}")
                return
            except PlaygroundError as exc:
                if is_gone(exc):
                    sweep.abandon()
                    yield self._say(f"⚠️ Batch `{sweep.batch_id}` is not on this backend any more (404: deleted, "
                                    "or the offline emulator restarted since); it is no longer offered to resume.")
                else:
                    yield self._say(f"⚠️ Batch `{sweep.batch_id}`: {exc} It stays stored: open the Sweep tab "
                                    "again to resume collecting it.")
                return
        finally:
            if RUNNERS.get(key) is sweep:
                RUNNERS.pop(key, None)
        out = view.render(final=True)
        spent = sum(r.cost_usd or 0 for r in view.finished.values())
        status = sweep.info.processing_status if sweep.info else "ended"
        out[0] = (f"Batch `{sweep.batch_id}` {status}. " + out[0] +
                  f" Cost at batch prices (50% of list): ${spent:.6f}.")
        out[1] = batch_progress_html(sweep.info, time.time() - sweep.started, total)
        yield out


class BatchesHandlers:
    """The Sweep tab's batch paths: resume a stored batch, and the Batches view."""

    def __init__(self, ctx: UIContext, n_outputs: int) -> None:
        self.ctx = ctx
        self.follower = BatchFollower(n_outputs)
        self.n_outputs = n_outputs

    def _target(self, settings: RunSettings, api_key: str | None) -> Any:
        return self.ctx.backends.target(settings.backend, api_key, settings.base_url)

    async def resume(self, chat: Any, api_key: str, cap: Any = None) -> AsyncIterator[list[Any]]:
        """On opening the Sweep tab: pick up this session's (or, in shared scope, the app's) newest
        batch sweep that was started but not collected (after a restart, say) and collect it."""
        key = session_key(chat, "sweep")
        book = ledger()
        pending = book.pending(kind=KIND, owner=reader_owner(chat)) if book is not None and key not in RUNNERS else []
        if not pending:
            yield [gr.skip()] * self.n_outputs
            return
        async for out in self._collect(pending[0], book, chat, api_key, key, "Resuming", cap):
            yield out

    async def _collect(self, pending: Any, book: BatchLedger, chat: Any, api_key: str, key: Any,
                       verb: str, cap: Any = None) -> AsyncIterator[list[Any]]:
        try:
            target = self._target(BatchSweep.settings_of(pending), api_key)
        except (PlaygroundError, StopIteration, KeyError) as exc:
            yield self.follower._say(f"⚠️ Cannot resume batch `{pending.batch_id}`: {exc}")
            return
        sweep = BatchSweep.resume(pending, target, ledger=book, store=history_store(), spend_cap=cap)
        yield self.follower._say(f"{verb} batch `{pending.batch_id}` ({len(sweep.jobs)} requests), started "
                                 f"{time.time() - sweep.started:.0f} s ago…")
        async for out in self.follower.follow(sweep, key):
            yield out

    # -- the Batches view ------------------------------------------------------------------------
    def _view_target(self, api_key: str, values: tuple[Any, ...]) -> Any:
        settings = read_settings(values)
        if not settings.backend_row.supports_batches:
            raise PlaygroundError(f"the {settings.backend_row.label} has no Message Batches: pick the offline "
                                  "emulator or the Anthropic API in the Playground tab.")
        return self._target(settings, api_key)

    async def refresh(self, chat: Any, api_key: str, *values: Any) -> tuple[Any, str]:
        """The newest batches on the Playground's backend (status, counts, times, whether a sweep of ours)."""
        try:
            target = self._view_target(api_key, values)
            infos = []
            async for info in target.provider.list_batches(limit=LIST_LIMIT, **target.provider_kwargs()):
                infos.append(info)
                if len(infos) >= LIST_LIMIT:
                    break
        except (PlaygroundError, SettingsError) as exc:
            return gr.skip(), f"⚠️ Could not list batches: {exc}"
        book = ledger()
        rows = []
        for info in infos:
            mine = book.get(info.id) if book is not None else None
            ours = "" if mine is None or not _visible(mine, chat) else "collected" if mine.collected else "pending"
            c = info.request_counts
            rows.append([info.id, info.processing_status, c.processing, c.succeeded, c.errored, c.canceled, c.expired,
                         _when(info.created_at), _when(info.ended_at), ours])
        note = f"{len(rows)} most recent batch{'es' if len(rows) != 1 else ''} on {target.backend.label}."
        if not rows:
            note = f"No batches on {target.backend.label} yet."
        return pd.DataFrame(rows, columns=BATCH_COLUMNS), note

    @staticmethod
    def pick(evt: gr.SelectData, frame: pd.DataFrame) -> Any:
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        try:
            return str(frame.iloc[int(row)]["id"])
        except (IndexError, KeyError, ValueError, TypeError):
            return gr.update()

    async def cancel(self, batch_id: str, chat: Any, api_key: str, *values: Any) -> str:
        batch_id = (batch_id or "").strip()
        if not batch_id:
            return "⚠️ Pick a batch in the table (or paste its id) first."
        running = RUNNERS.get(session_key(chat, "sweep"))
        if isinstance(running, BatchSweep) and running.batch_id == batch_id:
            running.cancel_batch()  # the sweep that follows it sends the cancel and collects what ran
            return f"Cancel asked for `{batch_id}`: the Sweep above collects what finished."
        try:
            target = self._view_target(api_key, values)
            info = await target.provider.cancel_batch(batch_id, **target.provider_kwargs())
        except (PlaygroundError, SettingsError) as exc:
            return f"⚠️ Could not cancel `{batch_id}`: {_reason(exc)}"
        return f"Batch `{batch_id}`: {info.describe()}. Press *Refresh* to follow it."

    async def results(self, batch_id: str, chat: Any, api_key: str, *values: Any) -> AsyncIterator[list[Any]]:
        """A sweep batch of ours: collected into the Sweep table and History. Another batch: a short
        summary of its outcomes. Outputs: the view's status line, then the Sweep tab's outputs."""
        skip = [gr.skip()] * self.n_outputs
        batch_id = (batch_id or "").strip()
        if not batch_id:
            yield ["⚠️ Pick a batch in the table (or paste its id) first.", *skip]
            return
        book = ledger()
        mine = book.get(batch_id) if book is not None else None
        key = session_key(chat, "sweep")
        if mine is not None and _visible(mine, chat) and mine.kind == KIND and book is not None:
            if key in RUNNERS:
                yield ["⚠️ A sweep is running in this tab: wait for it or cancel it first.", *skip]
                return
            yield [f"Batch `{batch_id}` is one of this app's sweeps: its results go into the Sweep table above "
                   "and History.", *skip]
            async for out in self._collect(mine, book, chat, api_key, key, "Collecting"):
                yield [gr.skip(), *out]
            return
        try:
            target = self._view_target(api_key, values)
            counts: Counter[str] = Counter()
            errors: list[str] = []
            async for outcome in target.provider.batch_results(batch_id, **target.provider_kwargs()):
                counts[type(outcome).__name__.removeprefix("Batch").lower()] += 1
                if isinstance(outcome, BatchErrored) and len(errors) < 3:
                    errors.append(f"`{outcome.custom_id}`: {type(outcome.error).__name__}: {outcome.error}")
        except BatchNotEndedError as exc:
            yield [f"⏳ {exc}", *skip]
            return
        except (PlaygroundError, SettingsError) as exc:
            yield [f"⚠️ Could not read the results of `{batch_id}`: {_reason(exc)}", *skip]
            return
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no results"
        text = f"Batch `{batch_id}` (not a sweep of this app): {summary}."
        if errors:
            text += " First errors: " + "; ".join(errors)
        yield [text, *skip]


def _visible(pending: Any, chat: Any) -> bool:
    """Whether this session may see a stored batch (its own, or any in ``shared`` history scope)."""
    owner = reader_owner(chat)
    return owner is None or pending.owner == owner_of(chat)


def _when(stamp: str | None) -> str:
    return (stamp or "")[:19].replace("T", " ")


def _reason(exc: BaseException) -> str:
    if is_gone(exc):
        return "no such batch on this backend (404)."
    return str(exc)

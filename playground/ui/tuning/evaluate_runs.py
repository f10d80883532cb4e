"""Where the Evaluate tab keeps its runs, and who may see them.

Each eval run is a library run directory, ``<history dir>/evals/runs/<run id>/`` (attempts.jsonl,
run.json), plus ``ui.json``: the browser session that made it (its owner id, never shown), the number
of planned attempts and the backend. Replies are cached in ``<history dir>/evals/cache``. A finished
run is also one History row of kind ``eval`` (:func:`history_run`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from playground import store
from playground.errors import PlaygroundError
from playground.evals import EvalRun, EvalSpec, Summary
from playground.evals.reports import format_table
from playground.evals.runner import read_attempts
from playground.evals.spec import run_settings

from .common import reader_owner

UI_FILE = "ui.json"
RUN_ID_PATTERN = re.compile(r"^[\w.-]{1,120}$")
RUNNING: dict[tuple[str | None, str], EvalRun] = {}  # this browser session's live eval (its Stop finds it)
OPEN: OrderedDict[str, EvalRun] = OrderedDict()  # recently shown runs, so grading needs no reload
OPEN_MAX = 16


def evals_dir() -> Path:
    """Where eval runs and the response cache live: next to the run history."""
    return store.default_path().parent / "evals"


def new_run_id(name: str) -> str:
    slug = re.sub(r"[^\w.-]+", "-", name).strip("-")[:40] or "eval"
    return f"{slug}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def recent_runs(owner: str | None, limit: int = 20) -> list[tuple[str, str]]:
    """``(label, run id)`` of the newest run directories this reader may see (``owner`` None: all)."""
    root = evals_dir() / "runs"
    if not root.is_dir():
        return []
    found = []
    for d in root.iterdir():
        info = ui_info(d)
        if info is None or (owner is not None and info.get("owner") != owner):
            continue
        found.append((d.stat().st_mtime, d, info))
    out = []
    for _, d, info in sorted(found, key=lambda t: t[0], reverse=True)[:limit]:
        done = sum(a.error is None for a in read_attempts(d))
        total = int(info.get("total") or 0)
        state = "finished" if total and done >= total else "unfinished"
        out.append((f"{d.name} · {done}/{total} attempts · {state}", d.name))
    return out


def ui_info(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / UI_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_dir_for(run_id: Any, chat: Any) -> Path:
    """The directory of run ``run_id`` if this browser session may see it; PlaygroundError otherwise
    (the same message whether it exists or not)."""
    rid = str(run_id or "")
    path = evals_dir() / "runs" / rid
    info = ui_info(path) if RUN_ID_PATTERN.match(rid) else None
    owner = reader_owner(chat)
    if info is None or (owner is not None and info.get("owner") != owner):
        raise PlaygroundError(f"No eval run {rid!r} in this session's runs." if rid else "Pick a run first.")
    return path


def spec_rows_csv(spec: EvalSpec) -> str:
    """The spec's cases as CSV (every variable a column)."""
    columns = list(dict.fromkeys(k for c in spec.cases for k in c.vars))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for c in spec.cases:
        writer.writerow([c.vars.get(k, "") for k in columns])
    return out.getvalue()


def history_run(run: EvalRun, summary: Summary, owner: str | None, duration_s: float, run_id: str) -> store.Run:
    """The History row of a finished (or stopped) eval: kind ``eval``, labelled with the eval's name,
    the baseline's settings as its parameters, the summary table as its output."""
    base = run.spec.variant(run.spec.baseline)
    settings = run_settings(base.settings)
    total = sum(v.cost_usd for v in summary.variants)
    tokens_in = sum(v.input_tokens for v in summary.variants)
    tokens_out = sum(v.output_tokens for v in summary.variants)
    head = (f"Eval {summary.name}: {len(summary.attempts)} attempts, {len(summary.variants)} variants × "
            f"{summary.n_cases} cases × {summary.repeats} repeats"
            + (f", stopped ({summary.stopped})" if summary.stopped else "") + f" — run {run_id}")
    return store.Run(kind="eval", backend=run.target.api_base or run.target.kind, model=settings.model_id,
                     params=settings.to_json(), system=settings.system or None,
                     messages=[{"role": "user", "content": base.prompt}], output=head + "\n\n" + format_table(summary),
                     usage={"input_tokens": tokens_in, "output_tokens": tokens_out}, cost_usd=total,
                     duration_s=duration_s, error=None, group_id=run_id, label=f"eval {summary.name}", owner=owner)


def remember(run_id: str, run: EvalRun) -> None:
    OPEN[run_id] = run
    OPEN.move_to_end(run_id)
    while len(OPEN) > OPEN_MAX:
        OPEN.popitem(last=False)

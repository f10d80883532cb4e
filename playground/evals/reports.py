"""Reports of a summary: the pinned JSON, a CSV of attempts, JUnit XML for CI, and the terminal table."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .summary import Summary, VariantSummary

CSV_COLUMNS = ("variant", "case", "repeat", "score", "pass", "error", "latency_ms", "cost_usd", "cached",
               "stop_reason", "input_tokens", "output_tokens", "prompt", "output", "reasons")


def _variant_json(v: VariantSummary) -> dict[str, Any]:
    return {
        "id": v.id, "n_cases": v.n_cases, "n_attempts": v.n_attempts, "errors": v.errors, "mean": v.mean,
        "ci_low": v.ci_low, "ci_high": v.ci_high, "pass_rate": v.pass_rate, "cost_usd": v.cost_usd,
        "latency_ms_p50": v.latency_ms_p50,
        "vs_baseline": None if v.vs_baseline is None else v.vs_baseline.to_json(),
        # beyond the pinned keys
        "pass_ci_low": v.pass_ci_low, "pass_ci_high": v.pass_ci_high, "input_tokens": v.input_tokens,
        "output_tokens": v.output_tokens, "flaky_cases": v.flaky_cases, "k": v.k, "pass_at_k": v.pass_at_k,
        "pass_hat_k": v.pass_hat_k,
    }


def to_json(summary: Summary) -> dict[str, Any]:
    """The ``--json`` document: ``{"name", "variants": [...], "attempts": [...]}`` (pinned keys) and more."""
    attempts = sorted(summary.attempts, key=lambda a: (a.variant, a.case, a.repeat))
    return {
        "name": summary.name,
        "variants": [_variant_json(v) for v in summary.variants],
        "attempts": [a.to_json() for a in attempts],
        "baseline": summary.baseline, "repeats": summary.repeats, "n_cases": summary.n_cases,
        "errors": summary.errors, "spent_usd": summary.spent_usd, "stopped": summary.stopped,
        "gate": None if summary.gate is None else {"passed": summary.gate.passed, "reasons": summary.gate.reasons},
    }


def write_json(summary: Summary, path: str | Path) -> None:
    Path(path).write_text(json.dumps(to_json(summary), indent=2, ensure_ascii=False), encoding="utf-8")


def write_csv(summary: Summary, path: str | Path) -> None:
    """One row per attempt."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for a in sorted(summary.attempts, key=lambda a: (a.variant, a.case, a.repeat)):
            reasons = "; ".join(f"{r['type']}: {r['reason']}" for r in a.asserts)
            writer.writerow([a.variant, a.case, a.repeat, a.score, a.passed, a.error or "", a.latency_ms,
                             a.cost_usd, a.cached, a.stop_reason or "", a.input_tokens, a.output_tokens, a.prompt,
                             a.output, reasons])


def write_junit(summary: Summary, path: str | Path) -> None:
    """One testsuite per variant, one testcase per (variant, case): failed when the case is below its
    threshold (or, without one, when a repeat failed), an error when no repeat could be scored."""
    suites = ET.Element("testsuites", name=summary.name)
    for v in summary.variants:
        failures = errors = 0
        suite = ET.SubElement(suites, "testsuite", name=f"{summary.name}.{v.id}")
        for cid, cell in v.cases.items():
            tc = ET.SubElement(suite, "testcase", classname=f"{summary.name}.{v.id}", name=cid)
            if cell.passed is None:
                if cell.errors:
                    errors += 1
                    ET.SubElement(tc, "error", message=f"{cell.errors} attempt(s) errored, none scored")
                else:
                    ET.SubElement(tc, "skipped", message="not run or not graded yet")
            elif not cell.passed:
                failures += 1
                need = f"threshold {cell.threshold:g}" if cell.threshold is not None else "every repeat to pass"
                ET.SubElement(tc, "failure", message=f"score {cell.score:.3f} ({sum(cell.passes)}/{len(cell.passes)} "
                              f"repeats passed; needs {need})")
        suite.set("tests", str(len(v.cases)))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def fmt_num(x: float | None, fmt: str = ".3f") -> str:
    """A statistic as shown in tables ("—" when there is none)."""
    return "—" if x is None else format(x, fmt)


_num = fmt_num


def comparison_cells(c: Any) -> tuple[str, str, str, str]:
    """``(Δ vs baseline [95% CI], W/T/L, p, verdict)`` of a variant's ``vs_baseline`` (the baseline's own row
    when ``c`` is None), as the CLI table and the Evaluate tab both show them."""
    if c is None:
        return "(baseline)", "", "", ""
    delta = f"{_num(c.mean_diff, '+.3f')} [{_num(c.ci_low, '+.3f')}, {_num(c.ci_high, '+.3f')}]"
    return delta, f"{c.wins}/{c.ties}/{c.losses}", f"{c.p_value:.3g}", c.verdict


def format_table(summary: Summary) -> str:
    """The summary table printed at the end of a run."""
    rows = [("variant", "mean [95% CI]", "cases×rep", "pass rate", "Δ vs base [95% CI]", "W/T/L", "p", "verdict",
             "flaky", "p50 ms", "cost $", "errors")]
    for v in summary.variants:
        ci = f"{_num(v.mean)} [{_num(v.ci_low)}, {_num(v.ci_high)}]"
        rate = "—" if v.pass_rate is None else f"{v.pass_rate:.0%} [{_num(v.pass_ci_low, '.0%')}, {_num(v.pass_ci_high, '.0%')}]"
        delta, wtl, p, verdict = comparison_cells(v.vs_baseline)
        rows.append((v.id, ci, f"{v.n_cases}×{summary.repeats}", rate, delta, wtl, p, verdict, str(len(v.flaky_cases)),
                     _num(v.latency_ms_p50, ".0f"), f"{v.cost_usd:.4f}", str(v.errors)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = []
    for v in summary.variants:
        c = v.vs_baseline
        if c is not None and c.min_detectable_diff is not None and c.verdict != "better" and c.verdict != "worse":
            notes.append(f"{v.id}: with {c.n_shared} shared cases, a difference smaller than about "
                         f"{c.min_detectable_diff:.3f} would usually go undetected; add cases to see smaller ones.")
    if summary.gate is not None:
        notes.append("gate: " + ("passed" if summary.gate.passed else "FAILED — " + "; ".join(summary.gate.reasons)))
    if summary.stopped:
        notes.append(f"the run stopped early ({summary.stopped}); resume it with --resume")
    return "\n".join(lines + notes)

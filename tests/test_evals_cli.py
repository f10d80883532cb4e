"""The command line as a user runs it: a subprocess against the in-process offline backend, checking
the JSON, the JUnit file and each exit code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from evals_cli import ROOT, run_cli

pytestmark = pytest.mark.slow

INLINE = """
[eval]
name = "inline"
repeats = 2
seed = 3
concurrency = 4
max_cost_usd = 1.0

[defaults]
model = "claude-haiku-4-5"
max_tokens = 32

[[variants]]
id = "short"
prompt = "Say something about {{topic}}."

[[variants]]
id = "long"
prompt = "Write about {{topic}}."
max_tokens = 48
{extra}
[[cases]]
topic = "rivers"
[[cases]]
topic = "mountains"
[[cases]]
_id = "sea"
topic = "the sea"

[[asserts]]
type = "max_words"
value = 500

[[asserts]]
type = "max_chars"
value = 5000

[gate]
min_mean = 0.5
no_regression = true
"""
PINNED_VARIANT = {"id", "n_cases", "n_attempts", "errors", "mean", "ci_low", "ci_high", "pass_rate", "cost_usd",
                  "latency_ms_p50", "vs_baseline"}
PINNED_VS = {"mean_diff", "ci_low", "ci_high", "wins", "ties", "losses", "p_value", "verdict"}
PINNED_ATTEMPT = {"variant", "case", "repeat", "vars", "prompt", "output", "score", "pass", "error", "latency_ms",
                  "cost_usd", "asserts"}


def test_inline_spec_passes_the_gate_with_pinned_json_and_junit(tmp_path: Path) -> None:
    (tmp_path / "spec.toml").write_text(INLINE.format(extra=""), encoding="utf-8")
    done = run_cli(tmp_path, "spec.toml", "--json", "out.json", "--junit", "out.xml", "--csv", "out.csv")
    assert done.returncode == 0, done.stderr
    assert "inline on offline: 12 attempts, 12 calls (0 cached)" in done.stderr
    assert "mean [95% CI]" in done.stdout and "gate: passed" in done.stdout
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["name"] == "inline"
    short, long_ = data["variants"]
    assert PINNED_VARIANT <= set(short) and short["vs_baseline"] is None
    assert PINNED_VS <= set(long_["vs_baseline"])
    assert long_["vs_baseline"]["verdict"] == "no detectable difference"  # both score 1 everywhere
    assert (long_["vs_baseline"]["wins"], long_["vs_baseline"]["ties"], long_["vs_baseline"]["losses"]) == (0, 3, 0)
    assert (short["n_cases"], short["n_attempts"], short["errors"], short["mean"]) == (3, 6, 0, 1.0)
    assert len(data["attempts"]) == 12
    first = data["attempts"][0]
    assert PINNED_ATTEMPT <= set(first)
    assert {"type", "score", "pass", "reason"} <= set(first["asserts"][0])
    assert first["vars"]["topic"] and first["prompt"].startswith(("Say", "Write"))
    # cost is list price on the offline backend too, and adds up
    assert short["cost_usd"] == pytest.approx(sum(a["cost_usd"] for a in data["attempts"] if a["variant"] == "short"))
    suites = ET.parse(tmp_path / "out.xml").getroot()
    cases = suites.findall("testsuite/testcase")
    assert len(cases) == 6 and not suites.findall(".//failure")
    assert (tmp_path / "out.csv").read_text().count("\n") == 13
    # a second run is answered from the cache
    again = run_cli(tmp_path, "spec.toml")
    assert again.returncode == 0 and "12 attempts, 0 calls (12 cached)" in again.stderr


def test_csv_dataset_example_fails_its_gate_offline(tmp_path: Path) -> None:
    # The shipped example, as written: the emulator does not know capitals, so the gate fails (exit 1).
    shutil.copytree(ROOT / "examples" / "capitals", tmp_path / "capitals")
    done = run_cli(tmp_path, "capitals/spec.toml", "--json", "out.json", "--junit", "out.xml", "--repeat", "1")
    assert done.returncode == 1, done.stderr
    assert "gate: FAILED" in done.stdout and "min_mean" in done.stdout
    data = json.loads((tmp_path / "out.json").read_text())
    assert [v["id"] for v in data["variants"]] == ["v1", "v2"]
    assert data["variants"][0]["n_cases"] == 8 and len(data["attempts"]) == 16
    assert {a["vars"]["_ideal"] for a in data["attempts"]} >= {"Paris", "Tokyo"}
    root = ET.parse(tmp_path / "out.xml").getroot()
    failed = root.findall(".//testcase[failure]")
    assert failed, "cases below their threshold are JUnit failures"
    assert len(root.findall(".//testcase")) == 16


def test_bad_spec_exits_2_naming_the_problem(tmp_path: Path) -> None:
    (tmp_path / "spec.toml").write_text(INLINE.format(extra="").replace('"max_chars"', '"max_char"'))
    done = run_cli(tmp_path, "spec.toml")
    assert done.returncode == 2
    assert "asserts[1].type: unknown assertion type 'max_char'" in done.stderr
    assert "Traceback" not in done.stderr
    missing = run_cli(tmp_path, "nope.toml")
    assert missing.returncode == 2 and "spec file not found" in missing.stderr


def test_cost_cap_refuses_with_exit_3(tmp_path: Path) -> None:
    (tmp_path / "spec.toml").write_text(INLINE.format(extra=""))
    done = run_cli(tmp_path, "spec.toml", "--max-cost", "0.00001", "--no-cache")
    assert done.returncode == 3
    assert "REFUSED" in done.stderr
    assert not (tmp_path / ".evals" / "runs").exists() or not list((tmp_path / ".evals" / "runs").rglob("attempts.jsonl"))


def test_too_many_errors_exit_4_and_resume(tmp_path: Path) -> None:
    (tmp_path / "spec.toml").write_text(INLINE.format(extra='fault = "mid_stream_error"'))
    done = run_cli(tmp_path, "spec.toml", "--run-dir", "run1", "--json", "out.json")
    assert done.returncode == 4
    assert "6 of 12 attempts errored" in done.stderr
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["variants"][1]["errors"] == 6 and data["variants"][1]["mean"] is None
    # resuming asks only the errored attempts again (the 6 good ones are kept)
    resumed = run_cli(tmp_path, "spec.toml", "--resume", "run1")
    assert "12 attempts, 6 already done, 6 calls" in resumed.stderr


@pytest.mark.timeout(240)
def test_bench_eval_runs() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_eval.py"), "--attempts", "20",
                           "--concurrency", "1", "4", "--rounds", "1"], cwd=ROOT, capture_output=True, text=True,
                          timeout=200)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "eval att/s" in done.stdout and "overhead outside the provider call" in done.stdout

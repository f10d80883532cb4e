"""``python -m playground.evals run SPEC --batch`` as a user runs it: a subprocess on the in-process
offline backend, compared with a normal run of the same spec; and the backends without batches."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import evals_cli
import pytest

pytestmark = pytest.mark.slow
# the offline batch polled quickly and ending soon, so that a test waits for it briefly
BATCH_ENV = {"PLAYGROUND_EVAL_BATCH_POLL_S": "0.05", "PLAYGROUND_EVAL_BATCH_DELAY_MS": "40"}

SPEC = """
[eval]
name = "batched"
repeats = 2
seed = 3

[defaults]
model = "claude-haiku-4-5"
max_tokens = 400

[[variants]]
id = "short"
prompt = "Say something about {{topic}}."

[[variants]]
id = "long"
prompt = "Write about {{topic}}."
max_tokens = 300

[[cases]]
topic = "rivers"
[[cases]]
_id = "sea/deep"
topic = "the sea"

[[asserts]]
type = "max_chars"
value = 100000
"""


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return evals_cli.run_cli(cwd, *args, env=BATCH_ENV)


def upper_bound(stderr: str) -> float:
    return float(re.search(r"at most \$([0-9.]+)", stderr).group(1))


def test_batch_run_matches_a_normal_run_at_half_the_price(tmp_path: Path) -> None:
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    normal = run_cli(tmp_path, "spec.toml", "--json", "normal.json", "--no-cache")
    assert normal.returncode == 0, normal.stderr
    batch = run_cli(tmp_path, "spec.toml", "--batch", "--json", "batch.json", "--no-cache", "--run-dir", "brun")
    assert batch.returncode == 0, batch.stderr
    assert "batched on offline as a batch (50% price): 8 attempts, 8 calls (0 cached)" in batch.stderr
    # the pre-run check shows batch prices: half the normal upper bound (printed to 4 decimals)
    assert upper_bound(batch.stderr) == pytest.approx(upper_bound(normal.stderr) / 2, abs=1e-4)
    assert re.search(r"batch msgbatch_\w+: in_progress: \d+ processing", batch.stderr)
    assert re.search(r"batch msgbatch_\w+: ended: 0 processing, 8 succeeded, 0 errored", batch.stderr)
    saved = json.loads((tmp_path / "brun" / "batch.json").read_text())
    assert saved["id"].startswith("msgbatch_") and saved["collected"] is True

    a, b = (json.loads((tmp_path / name).read_text()) for name in ("normal.json", "batch.json"))
    shape = [(v["id"], v["n_cases"], v["n_attempts"], v["errors"]) for v in a["variants"]]
    assert shape == [(v["id"], v["n_cases"], v["n_attempts"], v["errors"]) for v in b["variants"]]
    assert shape == [("short", 2, 4, 0), ("long", 2, 4, 0)]
    slots = {(x["variant"], x["case"], x["repeat"]) for x in a["attempts"]}
    assert slots == {(x["variant"], x["case"], x["repeat"]) for x in b["attempts"]}
    for x in b["attempts"]:  # claude-haiku-4-5: $1 in, $5 out per million; a batch bills half
        assert x["output"] and x["error"] is None and x["output_tokens"] > 0
        assert x["cost_usd"] == pytest.approx((x["input_tokens"] * 1 + x["output_tokens"] * 5) / 1e6 / 2)
    for x in a["attempts"]:
        assert x["cost_usd"] == pytest.approx((x["input_tokens"] * 1 + x["output_tokens"] * 5) / 1e6)
    for v in b["variants"]:
        assert v["cost_usd"] == pytest.approx(sum(x["cost_usd"] for x in b["attempts"] if x["variant"] == v["id"]))

    # resuming a finished batch run asks nothing and creates no batch
    again = run_cli(tmp_path, "spec.toml", "--batch", "--resume", "brun", "--no-cache")
    assert again.returncode == 0, again.stderr
    assert "8 already done, 0 calls" in again.stderr and "created batch" not in again.stderr


def test_batch_on_the_openai_backend_exits_2(tmp_path: Path) -> None:
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    done = run_cli(tmp_path, "spec.toml", "--batch", "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1")
    assert done.returncode == 2
    assert "--batch: the openai backend has no Message Batches" in done.stderr
    assert "Traceback" not in done.stderr

"""benchmarks/bench_scale.py still runs end to end (tiny sizes; the numbers are not judged here): every
section prints its table. Everything stays on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bench_scale_runs() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_scale.py"), "--cells", "10,20",
                           "--runs", "100,200", "--turns", "1,2", "--sessions", "2", "--idle-s", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=880)
    assert done.returncode == 0, f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    out = done.stdout
    for title in ("## Sweep", "## History", "## Chat (real app", "## Chat floor", "## Sessions"):
        assert title in out, title
    history = out.split("## History", 1)[1].splitlines()
    assert history[3].split(" | ")[:2] == ["200", "20"]  # 20 runs hold the rare word, and search finds them
    assert "CPU ms/cell ratio" in out and "bytes received ratio" in out

"""The benchmark scripts still run (tiny sizes, numbers not judged): a script that rots silently
would report nothing the next time someone measures. Everything stays on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")


def run(script: str, *args: str, timeout: float = 150) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.mark.timeout(180)
def test_bench_stream_runs() -> None:
    out = run("bench_stream.py", "--deltas", "300", "--repeat", "1")
    assert "provider / plain loop time:" in out and "SDK / provider time:" in out


@pytest.mark.timeout(180)
def test_bench_emulator_runs() -> None:
    out = run("bench_emulator.py", "--tokens", "300", "--clients", "4", "--client-tokens", "50")
    assert "events/s" in out and "errors" in out


@pytest.mark.timeout(180)
def test_load_sessions_runs() -> None:
    out = run("load_sessions.py", "--sessions", "2", "--turns", "1", "--processes", "1", "--latency-ms", "0",
              "--tokens-per-second", "0", "--max-tokens", "20")
    assert "failed" in out and "p95" in out


@pytest.mark.browser
@pytest.mark.timeout(180)
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed (scripts/test installs it)")
def test_bench_ui_runs() -> None:
    out = run("bench_ui.py", "--runs", "1", "--warmup", "0", "--tokens", "300")
    assert "lag_ms" in out and "median over runs" in out
    assert "bare Gradio chat run 1" in out and "ratio" in out  # the baseline ran beside it


@pytest.mark.browser
@pytest.mark.timeout(180)
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not installed (scripts/test installs it)")
def test_screenshot_script_runs(tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "shot.png"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "screenshot.py"), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done.stderr[-4000:]
    with Image.open(out) as image:
        assert image.size == (1440, 900)  # scripts/screenshot.py shoots the laptop layout


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_load_async_runs() -> None:
    out = run("load_async.py", "--sessions", "3", "--turns", "2", "--latency-ms", "0", "--tokens-per-second", "0",
              "--max-tokens", "20")
    assert "runs=6" in out and "errors=0 mixed=0" in out and "p95" in out and "RSS before" in out

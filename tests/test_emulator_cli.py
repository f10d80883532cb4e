"""``python -m playground.emulator``: starts, answers within 2 s, stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.timeout(30)


def start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "playground.emulator", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def interpreter_startup() -> float:
    """Seconds a bare ``python -c "import aiohttp"`` takes right now (the machine may be busy)."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "import aiohttp"], check=True, timeout=20)
    return time.monotonic() - started


def test_cli_serves_and_exits_on_sigterm() -> None:
    baseline = interpreter_startup()
    started = time.monotonic()
    proc = start("--port", "0", "--seed", "1", "--api-key", "sk-cli")
    try:
        line = proc.stdout.readline()  # the server prints its URL once it is listening
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match, line
        base = match.group(0)
        request = urllib.request.Request(
            base + "/v1/messages", method="POST",
            data=json.dumps({"model": "playground-tiny", "max_tokens": 5,
                             "messages": [{"role": "user", "content": "hi"}]}).encode(),
            headers={"x-api-key": "sk-cli", "anthropic-version": "2023-06-01", "content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as resp:
            body = json.load(resp)
        # From spawning the process to the answer, beyond what any aiohttp program needs to start.
        assert time.monotonic() - started - baseline < 2.0
        assert body["type"] == "message" and body["usage"]["output_tokens"] <= 5
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert "Emulator stopped." in out and "Traceback" not in err
        assert "sk-cli" not in out + err + line  # the key is never printed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_rejects_unknown_fault_and_busy_port() -> None:
    bad = subprocess.run([sys.executable, "-m", "playground.emulator", "--fault", "meteor"],
                         capture_output=True, text=True, timeout=20)
    assert bad.returncode == 2 and "--fault" in bad.stderr
    first = start("--port", "0")
    try:
        port = re.search(r":(\d+) ", first.stdout.readline()).group(1)
        second = subprocess.run([sys.executable, "-m", "playground.emulator", "--port", port],
                                capture_output=True, text=True, timeout=20)
        assert second.returncode == 1 and "cannot start the emulator" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=10)

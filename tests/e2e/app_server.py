"""Start ``python app.py`` as a real subprocess on a free port and wait until it answers HTTP 200.

Used by the browser tests, the gradio_client test and the UI benchmark. The app runs with no
``ANTHROPIC_API_KEY`` and from an empty working directory (so no ``.env`` is picked up): it
selects the in-process offline emulator.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppProcess:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_ready(url: str, proc: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        # poll again shortly: the server is starting (about 2-3 s on this machine)
        proc_wait = min(0.1, max(0.0, deadline - time.monotonic()))
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(proc_wait)
    raise TimeoutError(f"app.py did not answer 200 within {timeout} s:\n{log_path.read_text()[-3000:]}")


@contextlib.contextmanager
def running_app(name: str, env: dict[str, str] | None = None, timeout: float = 60,
                script: Path = ROOT / "app.py") -> Iterator[AppProcess]:
    """Run the app until the block exits. ``env`` adds variables (e.g. PLAYGROUND_EMULATOR_TPS);
    ``script`` runs another Gradio app the same way (the UI benchmark's baseline)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    child_env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    child_env.update(GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False",
                     PYTHONUNBUFFERED="1")
    child_env.update(env or {})
    log_path = ARTIFACTS / f"app-{name}.log"
    with tempfile.TemporaryDirectory() as cwd, open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, str(script)], cwd=cwd, env=child_env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait_ready(url, proc, log_path, timeout)
            yield AppProcess(url, proc, log_path)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

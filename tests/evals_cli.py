"""``python -m playground.evals run`` as a user runs it, in a subprocess on the offline backend (the
default once no API key is set). A plain module (not a test file): ``from evals_cli import run_cli``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI's ``run`` with ``args`` in ``cwd`` (this checkout's code; ``env`` added to the environment)."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    environ.pop("ANTHROPIC_API_KEY", None)  # the default backend is then offline
    return subprocess.run([sys.executable, "-m", "playground.evals", "run", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=120)

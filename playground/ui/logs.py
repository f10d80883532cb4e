"""Server log setup for ``python app.py``: one line per handled condition (a stopped run, a client
that went away, a refused value), tracebacks only for real bugs.

The package logs under ``playground``; its INFO lines go to stderr with a short prefix. Other
libraries keep Python's default (warnings and worse), so httpx/gradio request chatter stays out.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """Send the ``playground`` loggers' records at ``level`` and above to stderr (once per process)."""
    logger = logging.getLogger("playground")
    if any(getattr(h, "_playground", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))
    handler._playground = True  # type: ignore[attr-defined]  # marks ours: configure twice, log once
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False

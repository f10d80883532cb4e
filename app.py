"""Hugging Face Spaces entry point: read the configuration once, build the playground and launch it.

`python app.py` honours GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (read by Gradio itself).
"""

import os
import sys

# Before gradio is imported: no usage analytics, the page must work offline.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from playground.config import ConfigError, load_config  # noqa: E402
from playground.ui.app import build_app, launch_options  # noqa: E402
from playground.ui.logs import configure_logging  # noqa: E402

configure_logging()  # one line per handled condition; tracebacks only for bugs

try:
    config = load_config()  # the environment and .env, read once here and passed down
except ConfigError as exc:  # a bad variable stops the start with its name, not a traceback
    sys.exit(f"Configuration error: {exc}")
demo = build_app(config=config)
# Every listener's limit defaults to 1, which would let one visitor's stream block everyone else.
demo.queue(default_concurrency_limit=config.concurrency)

if __name__ == "__main__":
    demo.launch(**launch_options())

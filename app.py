"""Hugging Face Spaces entry point: build the playground and launch it.

`python app.py` honours GRADIO_SERVER_NAME / GRADIO_SERVER_PORT (read by Gradio itself).
"""

import os

# Before gradio is imported: no usage analytics, the page must work offline.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from playground.ui.app import build_app, concurrency_limit, launch_options  # noqa: E402
from playground.ui.logs import configure_logging  # noqa: E402

configure_logging()  # one line per handled condition; tracebacks only for bugs

demo = build_app()
# Every listener's limit defaults to 1, which would let one visitor's stream block everyone else.
demo.queue(default_concurrency_limit=concurrency_limit())

if __name__ == "__main__":
    demo.launch(**launch_options())

"""The baseline for bench_ui.py: the smallest Gradio chat that streams the same reply the same way.

One Chatbot, a prompt box and a Send button; the handler reads the offline backend through the same
provider and yields at most every 50 ms (the pattern gradio-notes recommends), with no inspector, no
thinking or tool blocks, no history. What the playground costs beyond this is its own overhead.

Started by bench_ui.py as ``python benchmarks/bare_chat_app.py`` (GRADIO_SERVER_PORT set).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's playground package

import gradio as gr  # noqa: E402

from playground.emulator import start_in_thread  # noqa: E402
from playground.providers import Anthropic  # noqa: E402
from playground.settings import ENDLESS_HEADER  # noqa: E402

INTERVAL_S = 0.05
EMULATOR = start_in_thread()  # pacing off


async def chat(text: str, max_tokens: float, history: list[dict]):
    history = [*history, {"role": "user", "content": text}, {"role": "assistant", "content": ""}]
    answer, last = "", 0.0
    async for part in Anthropic.create_async_generator(
            "playground-tiny", [{"role": "user", "content": text}], api_key="bench", api_base=EMULATOR.api_base,
            max_tokens=int(max_tokens), stream=True, headers={ENDLESS_HEADER: "1"}):
        if isinstance(part, str):
            answer += part
            if time.monotonic() - last >= INTERVAL_S:
                last = time.monotonic()
                history[-1] = {"role": "assistant", "content": answer}
                yield history
    history[-1] = {"role": "assistant", "content": answer + "\n\nstop reason: end"}
    yield history


with gr.Blocks(analytics_enabled=False) as demo:
    chatbot = gr.Chatbot(elem_id="chat")
    prompt = gr.Textbox(elem_id="prompt")
    max_tokens = gr.Number(10_000, elem_id="max_tokens")
    send = gr.Button("Send", elem_id="send")
    clear = gr.Button("Clear", elem_id="clear")
    send.click(chat, [prompt, max_tokens, chatbot], chatbot)
    clear.click(lambda: [], None, chatbot, queue=False)

if __name__ == "__main__":
    demo.queue().launch()

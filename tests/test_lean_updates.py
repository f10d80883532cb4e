"""ui.lean_updates: a streamed event's updates postprocessed on the loop, skips of read-only outputs repeated.

Checked against Gradio's own postprocess step (Blocks.postprocess_data and its stream diff): the wrapped
updates build no component for a skipped chat and send nothing for it.
"""

from __future__ import annotations

import asyncio

import gradio as gr
import pytest
from gradio.state_holder import SessionState

from playground.ui.lean_updates import lean

TURN = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
LONGER = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello there"}]


def _collect(gen) -> list[tuple]:
    async def run() -> list[tuple]:
        return [u async for u in gen]
    return asyncio.run(run())


def test_plain_values_are_postprocessed_and_a_read_only_skip_repeats_the_last_value() -> None:
    chat, view, box, note = gr.Chatbot(), gr.Textbox(), gr.Textbox(), gr.Markdown()

    async def handler():
        yield TURN, "request 1", "typed", "note 1"
        yield gr.skip(), gr.skip(), gr.skip(), "note 2"
        yield LONGER, gr.update(visible=False), gr.skip(), "note 3"
        yield gr.skip(), gr.skip(), gr.skip(), "note 4"

    first, second, third, fourth = _collect(lean(handler, [chat, view, box, note], repeatable=[chat, view])())
    # the Chatbot's JSON form, as Gradio's own postprocess makes it
    assert first[0] == chat.postprocess(TURN).model_dump()
    assert first[0][1]["content"][0]["text"] == "Hello" and first[1] == "request 1"
    # a skip of the chat and of the read-only view sends the same objects again; the editable box keeps its skip
    assert second[0] is first[0] and second[1] is first[1]
    assert second[2] == gr.skip() and second[3] == "note 2"
    # a property update passes through, and a skip after it cannot repeat a value: it stays a skip
    assert third[0][1]["content"][0]["text"] == "Hello there"
    assert third[1] == gr.update(visible=False) and fourth[1] == gr.skip()
    assert fourth[0] is third[0]


def test_a_skip_before_any_value_stays_a_skip() -> None:
    chat = gr.Chatbot()

    async def handler():
        yield (gr.skip(),)
        yield (TURN,)

    first, second = _collect(lean(handler, [chat], repeatable=[chat])())
    assert first == (gr.skip(),)
    assert second[0][0]["content"][0]["text"] == "Hi"


def test_through_gradios_postprocess_a_repeated_chat_builds_nothing_and_sends_no_change(monkeypatch) -> None:
    async def handler():
        yield TURN, "request", "step 1"
        yield LONGER, gr.skip(), "step 2"
        yield gr.skip(), gr.skip(), "step 3"

    with gr.Blocks() as demo:
        chat = gr.Chatbot()
        view = gr.Textbox()
        step = gr.Markdown()
        wrapped = lean(handler, [chat, view, step], repeatable=[chat, view])
        gr.Button().click(wrapped, None, [chat, view, step], postprocess=False)
    fn = next(f for f in demo.fns.values() if f.fn is wrapped)
    built = []
    init = gr.Chatbot.__init__

    def counting_init(self, *args, **kwargs):
        built.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(gr.Chatbot, "__init__", counting_init)

    async def stream() -> list[list]:
        state, sent = SessionState(demo), []
        async for update in wrapped():
            data = await demo.postprocess_data(fn, list(update), state)
            sent.append(demo.handle_streaming_diffs(fn, data, "session", "run", final=False))
        return sent

    first, second, third = asyncio.run(stream())
    assert built == [], "a postprocess=False event with values builds no Chatbot"
    assert first[0][1]["content"][0]["text"] == "Hello"  # the first update goes in full
    assert second[0] == [["append", [1, "content", 0, "text"], " there"]]  # then only what changed
    assert third[:2] == [[], []], "the repeated chat and view: an empty diff, nothing sent"


@pytest.mark.parametrize("value", [TURN, []])
def test_the_wrapper_keeps_the_handlers_signature_for_gradio(value) -> None:
    async def handler(session, prompt, *values):
        yield (value,)

    wrapped = lean(handler, [gr.Chatbot()])
    import inspect

    assert inspect.isasyncgenfunction(wrapped)
    assert list(inspect.signature(wrapped).parameters) == ["session", "prompt", "values"]
    assert _collect(wrapped(None, None))[0][0] == gr.Chatbot().postprocess(value).model_dump()


def test_an_update_of_only_skips_goes_as_it_is_so_the_completion_stays_small() -> None:
    chat, view = gr.Chatbot(), gr.Textbox()

    async def handler():
        yield TURN, "request"
        yield gr.skip(), gr.skip()  # the handler's last update: Gradio's completion repeats it in full
        yield gr.skip(), "again"

    first, last, after = _collect(lean(handler, [chat, view], repeatable=[chat, view])())
    assert last == (gr.skip(), gr.skip())
    assert after[0] == gr.skip(), "after a real skip, Gradio's last value is the skip: repeating would resend all"

"""ui.lean_session_state: a browser session's Gradio state starts without a copy of every block's config,
yet holds (and hands the deep-link snapshot) the same configs as Gradio's own eager SessionState."""

from __future__ import annotations

import asyncio
import tracemalloc

import gradio as gr
import pytest
from gradio import state_holder
from gradio.state_holder import SessionState, StateHolder

from playground.ui.app import build_app
from playground.ui.lean_session_state import LeanSessionState


@pytest.fixture(scope="module")
def demo() -> gr.Blocks:
    return build_app()


def _size_kb(make) -> float:
    tracemalloc.start()
    try:
        kept = make()  # noqa: F841 - measured while alive
        return tracemalloc.get_traced_memory()[0] / 1000
    finally:
        tracemalloc.stop()


def test_the_app_installs_it_for_new_sessions(demo) -> None:
    assert state_holder.SessionState is LeanSessionState
    holder = StateHolder()
    holder.set_blocks(demo)
    assert isinstance(holder["a-session"], LeanSessionState)


def test_a_new_session_copies_no_config_and_costs_a_fraction_of_the_eager_one(demo) -> None:
    lean = LeanSessionState(demo)
    assert lean.config_values == {}
    eager_kb = _size_kb(lambda: SessionState(demo))
    lean_kb = _size_kb(lambda: LeanSessionState(demo))
    assert eager_kb > 300, eager_kb  # the copy it avoids (437 blocks' configs)
    assert lean_kb < eager_kb / 10, (lean_kb, eager_kb)


def test_after_the_same_updates_it_holds_what_the_eager_state_holds(demo) -> None:
    clear = next(f for f in demo.fns.values() if f.name == "clear")  # outputs: the chat and the inspector views
    async def apply(state: SessionState) -> None:
        updates = [[{"role": "user", "content": "hi"}], *(f"view {i}" for i in range(len(clear.outputs) - 1))]
        updates[1] = gr.update(value="shown", visible=False)  # a property change: Gradio rebuilds that block
        await demo.postprocess_data(clear, updates, state)  # (fresh updates: Gradio consumes them)

    eager, lean = SessionState(demo), LeanSessionState(demo)
    asyncio.run(apply(eager))
    asyncio.run(apply(lean))
    changed = {block._id for block in clear.outputs}
    assert set(lean.config_values) == changed  # only what the session changed is stored
    assert lean.config_values == {k: eager.config_values[k] for k in changed}
    props = lean.config_values[clear.outputs[1]._id]["props"]
    assert props["visible"] is False and props["value"] == "shown"
    # the deep-link snapshot: every block, as the eager copy has it
    assert list(lean.components) == list(eager.components)

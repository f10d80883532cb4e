"""A streaming handler's updates, handed to Gradio in the form that costs it least.

For every output of every streamed update, Gradio (6) either postprocesses a plain value in a worker
thread — one thread hop per output per update, and while a stream keeps another thread busy each hop
waits for the GIL (~8 ms measured with one busy thread) — or, for an update dict, ``gr.skip()``
included, builds a whole new component and its config (3 ms for a Chatbot, 1.2 ms for a
MultimodalTextbox, ~0.1 ms for a Textbox).

:func:`lean` wraps an async-generator handler of an event registered with ``postprocess=False``:

- a plain value is postprocessed here, on the event loop: the same work as Gradio's, without the hop;
- ``gr.skip()`` for a *repeatable* output (one the person cannot edit: the chat, the read-only inspector
  views) sends again the value this event last sent it. Gradio's stream diff of a value against itself
  is empty, so nothing travels and no component is built. An editable box keeps ``gr.skip()``: a
  repeated value would put back what was sent while the person typed;
- an update of nothing but skips goes as it is (a handler's last update: Gradio's completion message
  repeats every output's last update in full).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import gradio as gr
from gradio.data_classes import GradioModel, GradioRootModel
from gradio.utils import is_prop_update

SKIP = gr.skip()  # (a dict: compared by value, as Gradio does)


def postprocessed(component: Any, value: Any) -> Any:
    """What Gradio would make of ``value`` for ``component`` (its postprocess, then the JSON form)."""
    out = component.postprocess(value)
    return out.model_dump() if isinstance(out, (GradioModel, GradioRootModel)) else out


def lean(handler: Callable[..., AsyncIterator[tuple[Any, ...]]], outputs: list[Any],
         repeatable: Iterable[Any] = ()) -> Callable[..., AsyncIterator[tuple[Any, ...]]]:
    """``handler`` (an async generator of one value per output) for an event with ``postprocess=False``."""
    repeat = [any(o is r for r in repeatable) for o in outputs]

    @functools.wraps(handler)
    async def wrapped(*args: Any) -> AsyncIterator[tuple[Any, ...]]:
        last: list[Any] = [None] * len(outputs)  # per output: the last plain value this event sent, postprocessed
        async for update in handler(*args):
            if all(v == SKIP for v in update):
                # An update that changes nothing goes as it is: Gradio's completion message repeats each
                # output's last update in full, and the handlers end with this one to keep that small.
                last = [None] * len(outputs)
                yield tuple(update)
                continue
            out = []
            for i, (component, value) in enumerate(zip(outputs, update, strict=True)):
                if is_prop_update(value):
                    if repeat[i] and last[i] is not None and value == SKIP:  # send it again
                        value = last[i]
                    else:
                        last[i] = None
                else:
                    value = last[i] = postprocessed(component, value)
                out.append(value)
            yield tuple(out)

    return wrapped

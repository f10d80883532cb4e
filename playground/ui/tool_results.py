"""The Playground's tool-result boxes: one per pending tool call, each with an "is error" switch.

The playground runs no tools: when the last answer called some, the person types each call's result.
Gradio cannot add components cheaply per event, so the page has a fixed pool of ``POOL`` hidden
groups and :func:`refresh` shows one per call (in call order, labelled with the tool's name, id and
input). Each Send reads the boxes at the click (:data:`READ_BOXES_JS`, then :func:`read_draft`) into a
:class:`~playground.ui.session.Draft`: the user message then carries one ``tool_result`` block per
``tool_use_id`` (``Session.next_user_message``); an empty box is said at that box and nothing is sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from playground.ui import prefill as prefill_rules
from playground.ui.messages import code_span
from playground.ui.session import Draft, Session, ToolResult

POOL = 8  # boxes on the page; a reply with more calls than this is said in the header
INPUT_SHOWN = 160  # characters of a call's input in its label
MISSING = "Type this call's result (what the tool returned, or the error) before sending."
HEADER = "**Tool results** · one per call, sent together in call order with your message (if any)."


@dataclass
class ToolResultBoxes:
    """The pool's components."""

    column: Any
    header: Any
    groups: list[Any]
    labels: list[Any]
    texts: list[Any]
    errors: list[Any]
    carrier: Any  # hidden: what a Send reads the boxes into (READ_BOXES_JS)

    @property
    def outputs(self) -> list[Any]:
        """What :func:`refresh` updates, in its order."""
        return [self.column, self.header, *self.groups, *self.labels, *self.texts, *self.errors]


def build() -> ToolResultBoxes:
    """The hidden pool (call inside the chat column, where it shows under the chat)."""
    groups, labels, texts, errors = [], [], [], []
    with gr.Column(visible=False, elem_id="tool_results") as column:
        header = gr.Markdown(HEADER, elem_id="tool_results_header")
        for i in range(POOL):
            with gr.Group(visible=False, elem_id=f"tool_result_{i}") as group:
                labels.append(gr.Markdown("", elem_id=f"tool_result_label_{i}", padding=True))
                with gr.Row(equal_height=True):
                    # interactive: said outright, as no event takes them as an input (the Send reads them itself)
                    texts.append(gr.Textbox("", label=f"Result {i + 1}", show_label=False, placeholder="Result", lines=1,
                                            max_lines=8, elem_id=f"tool_result_text_{i}", scale=5, interactive=True))
                    errors.append(gr.Checkbox(False, label="is error", elem_id=f"tool_result_error_{i}",
                                              scale=1, min_width=110, interactive=True))
            groups.append(group)
    carrier = gr.Textbox("", visible=False, elem_id="tool_boxes_value")
    return ToolResultBoxes(column, header, groups, labels, texts, errors, carrier)


def call_label(n: int, call: dict[str, Any]) -> str:
    """``Call n · name · id · input`` for a box (Markdown; the name, id and input as code, so shown literally)."""
    args = json.dumps(call.get("input") or {}, ensure_ascii=False, separators=(", ", ": "))
    if len(args) > INPUT_SHOWN:
        args = args[:INPUT_SHOWN] + "…"
    return f"Call {n} · {code_span(str(call.get('name', '')))} · {code_span(str(call['id']))} · input {code_span(args)}"


def refresh(session: Session) -> list[Any]:
    """Show a box per pending call (and hide the rest), empty, or refilled from the turn Undo/Retry/an
    edit took back when it answered these same calls. Boxes already showing these calls are left as
    they are (what was typed, and a refused Send's message, stay)."""
    calls = session.pending_calls()
    restored = {r.tool_use_id: r for r in (session.undone.tool_results if session.undone else ())}
    session.undone = None
    ids = tuple(c["id"] for c in calls)
    if ids == session.boxes_for and not restored:
        if session.box_marks == session.marks_shown:
            return [gr.skip()] * (2 + 4 * POOL)
        session.marks_shown = session.box_marks  # the same calls, after a Send read them: say (or clear) the empty ones
        return [gr.skip()] * (2 + 2 * POOL) + [_mark(m) for m in session.box_marks] + [gr.skip()] * POOL
    session.boxes_for = ids
    session.box_marks = session.marks_shown = (False,) * POOL  # new boxes: nothing said at them yet
    header = HEADER if len(calls) <= POOL else (
        f"**Tool results** · this reply made {len(calls)} calls; the page has boxes for {POOL}. "
        "Undo, and ask for fewer calls at once.")
    groups, labels, texts, errors = [], [], [], []
    for i in range(POOL):
        call = calls[i] if i < len(calls) else None
        old = restored.get(call["id"]) if call else None
        groups.append(gr.update(visible=call is not None))
        labels.append(call_label(i + 1, call) if call else "")
        texts.append(gr.update(value=old.content if old else "", info="", elem_classes=[]))
        errors.append(gr.update(value=bool(old and old.is_error)))
    return [gr.update(visible=bool(calls)), header, *groups, *labels, *texts, *errors]


def _mark(missing: bool) -> Any:
    return gr.update(info=MISSING if missing else "", elem_classes=["invalid"] if missing else [])


# The Send's `js`: at the click, the result boxes' texts and "is error" switches, read from the page, go in
# the last input (ToolResultBoxes.carrier) as JSON. As Gradio inputs, the 16 boxes would each cost the page a lookup
# and a copy at every Send and, once a Send has run, on every status message of every event after it
# (the playground's click -> answer went from 0.212 to 0.196 s without them). A box is on the page
# whenever a pending call needs it; a hidden one (no call) reads as empty, as the server ignores it.
READ_BOXES_JS = f"""(...values) => {{
    const texts = [], errors = [];
    for (let i = 0; i < {POOL}; i++) {{
        texts.push(document.querySelector(`#tool_result_text_${{i}} textarea`)?.value ?? "");
        errors.push(document.querySelector(`#tool_result_error_${{i}} input`)?.checked ?? false);
    }}
    values[values.length - 1] = JSON.stringify({{texts, errors}});
    return values;
}}"""


def boxes_value(texts: Sequence[str], errors: Sequence[bool]) -> str:
    """What :data:`READ_BOXES_JS` sends for these boxes (``POOL`` of each)."""
    return json.dumps({"texts": list(texts), "errors": list(errors)})


def read_draft(session: Session, backend: str, model: str, thinking: str, prefill: str, boxes: str) -> Draft:
    """What this Send carries besides the message: the result boxes (``boxes``, as :func:`boxes_value`)
    and the prefill, read at the click. An empty box for a pending call refuses the Send: the marks are
    kept on the session and :func:`refresh` (after the Send) shows the message at those boxes."""
    try:
        given = json.loads(boxes or "{}")
    except ValueError:
        given = {}
    texts, errors = list(given.get("texts") or []), list(given.get("errors") or [])
    calls = session.pending_calls()
    allowed, _ = prefill_rules.state(backend, model, thinking)
    results, missing = [], []
    for i in range(POOL):
        call = calls[i] if i < len(calls) else None
        text = str(texts[i] or "") if i < len(texts) else ""
        missing.append(call is not None and not text.strip())
        if call is not None and not missing[-1]:
            results.append(ToolResult(call["id"], str(call.get("name", "")), text, bool(i < len(errors) and errors[i])))
    session.box_marks = tuple(missing)
    return Draft(tuple(results), str(prefill or "") if allowed else "", len(results) != len(calls))

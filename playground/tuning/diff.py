"""Word-level diff of two outputs and the list of parameters that changed between two runs."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

# Words, runs of whitespace and single punctuation marks: joined back they give the text unchanged.
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")

_MISSING = object()


def tokenize(text: str) -> list[str]:
    """Split ``text`` into tokens that concatenate back to it exactly."""
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[tuple[str, str | None]]:
    """``(text, label)`` segments for ``gr.HighlightedText``: label ``"-"`` removed, ``"+"`` added, None same.

    Joining the segments without ``"+"`` gives ``old``; without ``"-"`` gives ``new``.
    """
    a, b = tokenize(old), tokenize(new)
    out: list[tuple[str, str | None]] = []

    def emit(text: str, label: str | None) -> None:
        if not text:
            return
        if out and out[-1][1] == label:  # merge neighbours so the view is not one span per word
            out[-1] = (out[-1][0] + text, label)
        else:
            out.append((text, label))

    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            emit("".join(a[i1:i2]), None)
        else:
            emit("".join(a[i1:i2]), "-")
            emit("".join(b[j1:j2]), "+")
    return out


def diff_html(old: str, new: str) -> str:
    """The word diff as HTML: removed words struck through in red, added words in green."""
    parts = []
    for text, label in word_diff(old, new):
        esc = html.escape(text)
        if label == "-":
            parts.append(f'<del class="diff-del" style="background:#fdd;color:#900">{esc}</del>')
        elif label == "+":
            parts.append(f'<ins class="diff-ins" style="background:#dfd;color:#060">{esc}</ins>')
        else:
            parts.append(esc)
    return '<div class="word-diff" style="white-space:pre-wrap">' + "".join(parts) + "</div>"


@dataclass(frozen=True)
class ParamChange:
    """One parameter that differs: ``old``/``new`` are None when absent on that side."""

    name: str
    old: Any
    new: Any


def param_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ParamChange]:
    """Every key whose value differs between ``old`` and ``new`` (added and removed keys too), sorted."""
    changes = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name, _MISSING), new.get(name, _MISSING)
        if a != b:
            changes.append(ParamChange(name, None if a is _MISSING else a, None if b is _MISSING else b))
    return changes


def _show(value: Any) -> str:
    # "|" would end the markdown cell early
    return "—" if value is None else json.dumps(value, ensure_ascii=False).replace("|", "\\|")


def changes_markdown(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """A markdown table of the changed parameters, new values in bold (or a note that none changed)."""
    changes = param_changes(old, new)
    if not changes:
        return "_No parameter changed._"
    rows = ["| parameter | before | after |", "|---|---|---|"]
    rows += [f"| **{c.name}** | {_show(c.old)} | **{_show(c.new)}** |" for c in changes]
    return "\n".join(rows)

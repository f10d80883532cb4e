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
    chunks = [(op == "equal", "".join(a[i1:i2]), "".join(b[j1:j2]))
              for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes()]
    out: list[tuple[str, str | None]] = []
    for same, old_text, new_text in _absorb_small_equalities(chunks):
        if same:
            out.append((old_text, None))
        else:
            out.extend((text, label) for text, label in ((old_text, "-"), (new_text, "+")) if text)
    return out


Chunk = tuple[bool, str, str]  # (same on both sides, old text, new text)


def _absorb_small_equalities(chunks: list[Chunk]) -> list[Chunk]:
    """Fold an unchanged stretch into the changes around it when it is no longer than the change on
    either side (the usual semantic clean-up): two different sentences that share a stray "I" or
    "the" read as one removal and one addition, not as confetti of one-word edits."""
    while True:
        merged: list[Chunk] = []
        folded = False
        for i, (same, old_text, new_text) in enumerate(chunks):
            nxt = chunks[i + 1] if i + 1 < len(chunks) else None
            prev = merged[-1] if merged else None
            if (same and prev is not None and not prev[0] and nxt is not None and not nxt[0]
                    and len(old_text) <= min(max(len(prev[1]), len(prev[2])), max(len(nxt[1]), len(nxt[2])))):
                same, folded = False, True
            if not same and prev is not None and not prev[0]:
                merged[-1] = (False, prev[1] + old_text, prev[2] + new_text)
            else:
                merged.append((same, old_text, new_text))
        chunks = merged
        if not folded:
            return chunks


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

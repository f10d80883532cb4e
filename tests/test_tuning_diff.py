"""Word diff and parameter-change highlighting."""

from __future__ import annotations

from playground.tuning.diff import changes_markdown, diff_html, param_changes, tokenize, word_diff


def test_tokenize_round_trips():
    text = "Hello,  world!\nIt's 3.14 — ok"
    assert "".join(tokenize(text)) == text


def test_word_diff_reconstructs_both_sides():
    old, new = "The cat sat on the mat.", "The dog sat on a mat!"
    segs = word_diff(old, new)
    assert "".join(t for t, lab in segs if lab != "+") == old
    assert "".join(t for t, lab in segs if lab != "-") == new
    assert ("cat", "-") in segs and ("dog", "+") in segs
    assert word_diff("same", "same") == [("same", None)]
    assert word_diff("", "new text") == [("new text", "+")]


def test_diff_html_escapes_and_marks():
    out = diff_html("a <b>", "a <i>")
    assert "a &lt;<del" in out and ">b</del><ins" in out and ">i</ins>&gt;</div>" in out
    assert "<b>" not in out and "<i>" not in out


def test_param_changes_and_markdown():
    old = {"temperature": 0.2, "top_k": 5, "stop": ["a|b"]}
    new = {"temperature": 0.9, "stop": ["a|b"], "max_tokens": 64}
    changes = param_changes(old, new)
    assert [(c.name, c.old, c.new) for c in changes] == [
        ("max_tokens", None, 64), ("temperature", 0.2, 0.9), ("top_k", 5, None)]
    md = changes_markdown(old, new)
    assert "| **temperature** | 0.2 | **0.9** |" in md and "| **top_k** | 5 | **—** |" in md
    assert changes_markdown(old, dict(old)) == "_No parameter changed._"

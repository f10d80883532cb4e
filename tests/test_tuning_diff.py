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


def test_unrelated_sentences_diff_as_one_removal_and_one_addition():
    # a shared stray word ("I", "the") must not cut two different sentences into one-word edits
    old = "Alice had no idea what Latitude was, I'm sure of the rest."
    new = "It was as much as she could see, and I wonder about the shoes."
    segs = word_diff(old, new)
    assert "".join(t for t, lab in segs if lab != "+") == old
    assert "".join(t for t, lab in segs if lab != "-") == new
    assert len(segs) <= 3, segs
    # a real small edit inside a long shared text stays small
    segs = word_diff("The quick brown fox jumps over the lazy dog.", "The quick brown cat jumps over the lazy dog.")
    assert segs == [("The quick brown ", None), ("fox", "-"), ("cat", "+"), (" jumps over the lazy dog.", None)]

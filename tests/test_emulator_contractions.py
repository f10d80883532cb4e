"""The offline sampler writes contractions and possessives as English has them (issue 12): a
contraction stays one token, so no stem is ever joined to another word's ending."""

from __future__ import annotations

import random
import re

import pytest

from playground.emulator.sampler import SamplingParams, default_model
from playground.emulator.tokenizer import count, tokenize

# Standard English contractions (lower case), written independently of the corpus.
CONTRACTIONS = frozenset("""
i'm i've i'll i'd you're you've you'll you'd he's he'll he'd she's she'll she'd it's it'll it'd
we're we've we'll we'd they're they've they'll they'd that's that'll that'd there's there'll there'd
here's what's what'll what'd who's who'll who'd where's where'd when's how's why's let's
don't doesn't didn't won't wouldn't can't couldn't shan't shouldn't isn't aren't wasn't weren't
hasn't haven't hadn't mustn't needn't mightn't ain't o'clock ma'am y'all
""".split())
# Stems that exist only as part of a contraction: "didn's" is broken, not a possessive.
_STEMS = frozenset(c.split("'")[0] for c in CONTRACTIONS if c.endswith("n't")) | {"won", "can", "shan"}
_APOSTROPHE_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)+|[A-Za-z]+'(?![A-Za-z])")


def is_valid(word: str) -> bool:
    """A listed contraction, a possessive (``Alice's``, ``the Duchess'``), or ``Name'll``, with the
    case of the part after the apostrophe matching the word (``she'S`` is broken)."""
    stem, _, tail = word.partition("'")
    if tail and not (tail.islower() or word.isupper()):
        return False
    lower = word.lower()
    if lower in CONTRACTIONS:
        return True
    if tail.lower() == "s" or (not tail and stem.lower().endswith("s")):  # possessive
        return stem.lower() not in _STEMS and stem.lower() not in {"i", "you", "we", "they", "that", "there"}
    return tail.lower() in ("ll", "d") and stem[:1].isupper() and stem[1:].islower()  # "Dinah'll"


def test_the_validity_rule_rejects_the_broken_forms_seen_in_issue_12() -> None:
    for broken in ("she'S", "that't", "won'd", "didn's", "there't"):
        assert not is_valid(broken), broken
    for good in ("she's", "won't", "Alice's", "THAT'S", "Dinah'll", "I'm", "Caterpillar's"):
        assert is_valid(good), good


def test_a_contraction_is_one_token() -> None:
    assert tokenize("She won't say what's Alice's") == ["She", " won't", " say", " what's", " Alice's"]
    assert count(" don't") == 1 and count(" 'quoted'") == 3  # quote marks stay separate tokens


@pytest.mark.slow
def test_2000_sampled_replies_write_only_valid_contractions_and_possessives() -> None:
    model = default_model()
    prompts = ["Tell me about the White Rabbit", "What did the Queen say?", "Why is a raven like a desk?",
               "Describe the Cheshire Cat", "she said that it was", "I don't know what you mean"]
    seen: dict[str, int] = {}
    for i in range(2000):
        params = SamplingParams(temperature=(0.5, 1.0, 1.5)[i % 3], top_k=None, top_p=None)
        text = "".join(model.tokens(prompts[i % len(prompts)], params, random.Random(i)))
        for word in _APOSTROPHE_WORD.findall(text):
            seen[word] = seen.get(word, 0) + 1
    broken = sorted(w for w in seen if not is_valid(w))
    assert not broken, f"broken contractions: {broken[:20]}"
    assert sum(seen.values()) > 200  # the replies do use contractions: the check above had material

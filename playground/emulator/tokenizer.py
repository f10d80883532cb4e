"""The emulator's own tokenizer: simple, lossless and documented, so token counts are checkable.

Rule: a token is a run of up to 16 word characters (``\\w``), optionally joined by one
apostrophe to a second such run (a contraction or possessive: ``don't``, ``Alice's``), or one
other non-space character, together with the whitespace in front of it; whitespace at the very
end of a text is one more token. Keeping ``she's`` whole is what stops the sampler from
stitching a stem to another word's ending (``she'S``, ``that't``, ``won'd``). Joining the tokens
gives back the text exactly, so ``count(a + b) == count(a) + count(b)`` whenever ``b`` starts
with whitespace.

    >>> tokenize("Hello, world!")
    ['Hello', ',', ' world', '!']
    >>> tokenize("She won't 'go'")
    ['She', " won't", " '", 'go', "'"]

The sampler emits exactly these tokens, so ``max_tokens`` cuts at a token the client can
recount with :func:`count`.
"""

from __future__ import annotations

import re

# Every character belongs to exactly one match, so tokenization never loses text.
_TOKEN_RE = re.compile(r"\s*(?:\w{1,16}(?:'\w{1,16})?|[^\w\s])|\s+")


def tokenize(text: str) -> list[str]:
    """Split ``text`` into tokens whose concatenation is ``text``."""
    return _TOKEN_RE.findall(text)


def count(text: str) -> int:
    """Number of tokens in ``text`` (0 for the empty string)."""
    return len(_TOKEN_RE.findall(text))

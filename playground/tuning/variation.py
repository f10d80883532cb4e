"""How varied a set of outputs is: distinct outputs and mean pairwise similarity over repeats."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from difflib import SequenceMatcher

_WORD = re.compile(r"\w+|[^\w\s]")


def _normalize(text: str) -> str:
    # Outputs that differ only in spacing or case read the same to a person.
    return " ".join(text.split()).lower()


def distinct_outputs(outputs: Sequence[str]) -> int:
    """How many different outputs there are, ignoring case and whitespace."""
    return len({_normalize(o) for o in outputs})


def similarity(a: str, b: str) -> float:
    """Word-level similarity in [0, 1] (difflib ratio over word tokens); two empty texts are identical."""
    wa, wb = _WORD.findall(a.lower()), _WORD.findall(b.lower())
    if not wa and not wb:
        return 1.0
    return SequenceMatcher(None, wa, wb, autojunk=False).ratio()


def mean_pairwise_similarity(outputs: Sequence[str]) -> float | None:
    """Mean :func:`similarity` over every pair; None with fewer than two outputs (nothing to compare)."""
    pairs = list(itertools.combinations(outputs, 2))
    if not pairs:
        return None
    return sum(similarity(a, b) for a, b in pairs) / len(pairs)

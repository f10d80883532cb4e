"""How varied a set of outputs is: distinct outputs and mean pairwise similarity over repeats."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

_WORD = re.compile(r"\w+|[^\w\s]")
# C(20, 2): up to 20 outputs every pair is compared; beyond, a fixed sample of this many pairs.
MAX_PAIRS = 190


def normalize(text: str) -> str:
    """An output as a person reads it: spacing and case ignored (what "distinct" compares)."""
    return " ".join(text.split()).lower()


def distinct_outputs(outputs: Sequence[str]) -> int:
    """How many different outputs there are, ignoring case and whitespace."""
    return len({normalize(o) for o in outputs})


def similarity(a: str, b: str) -> float:
    """Word-level similarity in [0, 1] (difflib ratio over word tokens); two empty texts are identical."""
    wa, wb = _WORD.findall(a.lower()), _WORD.findall(b.lower())
    if not wa and not wb:
        return 1.0
    return SequenceMatcher(None, wa, wb, autojunk=False).ratio()


@dataclass(frozen=True)
class Similarity:
    """A mean pairwise similarity and what it was computed over (``compared`` of ``total`` pairs)."""

    mean: float | None
    compared: int
    total: int

    @property
    def sampled(self) -> bool:
        """True when only a sample of the pairs was compared."""
        return self.compared < self.total

    def describe(self) -> str:
        """For the summary table: ``"6 pairs"`` or ``"190 of 1,225 pairs (sample)"``."""
        if not self.total:
            return ""
        if self.sampled:
            return f"{self.compared:,} of {self.total:,} pairs (sample)"
        return f"{self.total:,} pair{'s' if self.total != 1 else ''}"


def sample_pairs(n: int, limit: int = MAX_PAIRS) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, over ``n`` items: all of them when there are at most ``limit``,
    else ``limit`` of them drawn with a seed fixed by ``n`` (the same outputs always give the same score)."""
    total = n * (n - 1) // 2
    if total <= limit:
        return list(itertools.combinations(range(n), 2))
    rng = random.Random(n)
    picked = sorted(rng.sample(range(total), limit))
    # pair number k (in combinations order) -> (i, j), walking rows of decreasing length
    pairs, i, start = [], 0, 0
    for k in picked:
        while k >= start + (n - 1 - i):
            start += n - 1 - i
            i += 1
        pairs.append((i, i + 1 + k - start))
    return pairs


def sampled_similarity(outputs: Sequence[str], limit: int = MAX_PAIRS) -> Similarity:
    """Mean :func:`similarity` over the pairs :func:`sample_pairs` picks (every pair up to ``limit``)."""
    n = len(outputs)
    pairs = sample_pairs(n, limit)
    total = n * (n - 1) // 2
    if not pairs:
        return Similarity(None, 0, total)
    return Similarity(sum(similarity(outputs[i], outputs[j]) for i, j in pairs) / len(pairs), len(pairs), total)


def mean_pairwise_similarity(outputs: Sequence[str]) -> float | None:
    """Mean :func:`similarity` over every pair; None with fewer than two outputs (nothing to compare)."""
    return sampled_similarity(outputs, limit=len(outputs) ** 2).mean
